"""An SMTP server for the foreign world of the check tests: aiosmtpd on one address and port,
with STARTTLS and a certificate picked by SNI (the MX host name), or without STARTTLS.
Accepts and drops any mail. Prints "ready PORT" on stdout once it listens.

    foreign_smtp.py --host 127.0.0.1 --port N --certs certs.json      # STARTTLS
    foreign_smtp.py --host 127.0.0.1 --port N                         # plain only

certs.json: {"default": [cert, key], "by_name": {"mx.a.test": [cert, key], ...}}
"""

import argparse
import asyncio
import json
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def tls_context(spec):
    def ctx_for(pair):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(pair[0], pair[1])
        return c
    default = ctx_for(spec["default"])
    by_name = {n.lower(): ctx_for(p) for n, p in spec.get("by_name", {}).items()}

    def pick(sslobj, name, _ctx):
        if name and name.lower() in by_name:
            sslobj.context = by_name[name.lower()]
    default.sni_callback = pick
    return default


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--certs")
    a = ap.parse_args()
    ctx = tls_context(json.load(open(a.certs))) if a.certs else None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return SMTP(Sink(), hostname="foreign.test", tls_context=ctx, require_starttls=False,
                    loop=loop)
    server = loop.run_until_complete(loop.create_server(factory, a.host, a.port, backlog=1024))
    print("ready %d" % a.port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
