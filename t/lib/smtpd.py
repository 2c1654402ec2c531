#!/usr/bin/python3
# The SMTP server of t/53-signin-code.t: aiosmtpd (Debian's
# python3-aiosmtpd) storing what it receives in a Maildir, as
# "python3 -m aiosmtpd -c aiosmtpd.handlers.Mailbox DIR" does, plus what
# its command line cannot do: require AUTH with a given user and password.
#
#   smtpd.py HOST PORT MAILDIR [--tls CERT KEY] [--auth USER PASSWORD]
#            [--rules DIR] [--raw]
#
# With --tls, STARTTLS is offered and required before any mail; AUTH is
# only offered over TLS.  With --rules, the recipient's local part says
# how RCPT TO is answered (t/54-newsletter.t), and DIR gets a line in
# "connections" per connection and a file "held-ADDRESS" per hold:
#
#   bounce...  550 5.1.1, every time
#   defer...   451 4.2.1 the first two times, then 250
#   hold...    the first time no answer for two minutes (the client is
#              killed meanwhile: nothing is delivered), then 250
#
# With --raw each mail is stored as the bytes received (Mailbox parses
# and writes it again, with headers of its own): what a signature check
# (t/57-dkim.t) needs.  It runs until killed.

import asyncio
import mailbox
import os
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Raw:
    """Stores the bytes of each mail as they came, DATA's dots undone."""

    def __init__(self, maildir):
        self.mailbox = mailbox.Maildir(maildir)

    async def handle_DATA(self, server, session, envelope):
        self.mailbox.add(envelope.original_content)
        return '250 OK'


class Rules(Mailbox):
    def __init__(self, maildir, state):
        super().__init__(maildir)
        self.state = state
        self.seen = {}

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.split('@')[0].lower()
        n = self.seen.get(address, 0) + 1
        self.seen[address] = n
        if local.startswith('bounce'):
            return '550 5.1.1 No such user here'
        if local.startswith('defer') and n <= 2:
            return '451 4.2.1 Mailbox busy, try again later'
        if local.startswith('hold') and n == 1:
            open(os.path.join(self.state, 'held-' + address), 'w').close()
            await asyncio.sleep(120)
        envelope.rcpt_tos.append(address)
        return '250 OK'


class CountingSMTP(SMTP):
    state = None

    def connection_made(self, transport):
        if self.state:
            with open(os.path.join(self.state, 'connections'), 'a') as f:
                f.write('1\n')
        super().connection_made(transport)


def main(argv):
    host, port, maildir = argv[1], int(argv[2]), argv[3]
    rest = argv[4:]
    kw = {}
    raw = False

    while rest:
        opt = rest.pop(0)
        if opt == '--tls':
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(rest.pop(0), rest.pop(0))
            kw['tls_context'] = ctx
            kw['require_starttls'] = True
        elif opt == '--auth':
            user = rest.pop(0).encode()
            password = rest.pop(0).encode()

            def authenticator(server, session, envelope, mechanism, data,
                              user=user, password=password):
                ok = (isinstance(data, LoginPassword) and data.login == user
                      and data.password == password)
                # not "handled": aiosmtpd answers 535 itself
                return AuthResult(success=ok, handled=False)

            kw['authenticator'] = authenticator
            kw['auth_required'] = True
        elif opt == '--rules':
            CountingSMTP.state = rest.pop(0)
        elif opt == '--raw':
            raw = True
        else:
            sys.exit('smtpd.py: unknown option ' + opt)

    if raw:
        handler = Raw(maildir)
    elif CountingSMTP.state:
        handler = Rules(maildir, CountingSMTP.state)
    else:
        handler = Mailbox(maildir)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: CountingSMTP(handler, **kw), host, port))
    print('smtpd.py: listening on %s:%d' % (host, port), flush=True)

    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == '__main__':
    main(sys.argv)
