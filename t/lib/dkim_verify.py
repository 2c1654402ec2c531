#!/usr/bin/python3
# The independent DKIM verifier of t/57-dkim.t: Debian's python3-dkim
# (dkimpy) checking a mail as the SMTP server received it, with the DNS
# answered by a stub that knows one record.
#
#   dkim_verify.py MAILFILE NAME RECORD
#
# NAME is the record's DNS name ("mail._domainkey.example.org"), RECORD
# its TXT ("v=DKIM1; k=ed25519; p=...").  Prints "pass", or "fail" and
# the verifier's log, and exits 0 or 1.

import logging
import sys

import dkim


def main(argv):
    path, name, record = argv[1], argv[2].encode(), argv[3].encode()
    asked = []

    def dnsfunc(qname, timeout=5):
        asked.append(qname)
        return record if qname.rstrip(b'.') == name else None

    with open(path, 'rb') as f:
        message = f.read()

    logging.basicConfig(stream=sys.stdout, level=logging.DEBUG,
                        format='# %(message)s')
    ok = dkim.verify(message, logger=logging.getLogger('dkim'),
                     dnsfunc=dnsfunc)
    print('# asked DNS for: %s' % b', '.join(asked).decode())
    print('pass' if ok else 'fail')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
