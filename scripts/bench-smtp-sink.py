#!/usr/bin/python3
# The SMTP server of scripts/bench-newsletter: Debian's aiosmtpd taking
# every message and keeping none (the first one excepted, written to
# FIRST so the same bytes can be sent again by another client).  On
# SIGTERM it prints how many messages and connections it had, and the
# CPU seconds it used, and exits.
#
#   bench-smtp-sink.py PORT FIRST

import asyncio
import resource
import signal
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, first):
        self.first = first
        self.messages = 0

    async def handle_DATA(self, server, session, envelope):
        if self.messages == 0:
            with open(self.first, 'wb') as f:
                f.write(envelope.original_content)
        self.messages += 1
        return '250 OK'


class Counting(SMTP):
    connections = 0

    def connection_made(self, transport):
        Counting.connections += 1
        super().connection_made(transport)


def main(argv):
    port, first = int(argv[1]), argv[2]
    sink = Sink(first)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: Counting(sink), '127.0.0.1', port))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print('listening', flush=True)
    loop.run_forever()
    server.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print('%d %d %.2f' % (sink.messages, Counting.connections,
                          ru.ru_utime + ru.ru_stime), flush=True)


if __name__ == '__main__':
    main(sys.argv)
