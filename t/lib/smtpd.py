#!/usr/bin/python3
# The SMTP server of t/53-signin-code.t: aiosmtpd (Debian's
# python3-aiosmtpd) storing what it receives in a Maildir, as
# "python3 -m aiosmtpd -c aiosmtpd.handlers.Mailbox DIR" does, plus what
# its command line cannot do: require AUTH with a given user and password.
#
#   smtpd.py HOST PORT MAILDIR [--tls CERT KEY] [--auth USER PASSWORD]
#                              [--raw]
#
# With --tls, STARTTLS is offered and required before any mail; AUTH is
# only offered over TLS.  With --raw each mail is stored as the bytes
# received (Mailbox parses and writes it again, with headers of its own):
# what a signature check needs.  It runs until killed.

import asyncio
import mailbox
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


def main(argv):
    host, port, maildir = argv[1], int(argv[2]), argv[3]
    rest = argv[4:]
    kw = {}
    handler = Mailbox(maildir)

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
        elif opt == '--raw':
            handler = Raw(maildir)
        else:
            sys.exit('smtpd.py: unknown option ' + opt)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, **kw), host, port))
    print('smtpd.py: listening on %s:%d' % (host, port), flush=True)

    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == '__main__':
    main(sys.argv)
