"""A minimal ACME client (RFC 8555) and a DNS stub for the system tests: enough to drive
acme_mock.py (test_acme_mock.py) and Pebble (test_acme_alpn.py), not the project's client.

    dns = DnsStub()                     # UDP on 127.0.0.1: TXT from dns.txt {name: value},
    dns.txt["_acme-challenge.x.example."] = digest   # A from dns.a (None: NXDOMAIN)
    c = Client(directory_url, https_ca_file)
    c.register(); st, headers, order = c.order(["x.example"], profile="shortlived")
    ch = c.challenge(order, "dns-01"); c.post(ch["url"], {}); c.wait_authz(order)
"""

import hashlib
import json
import socket
import ssl
import threading
import urllib.error
import urllib.request

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from acme_mock import b64u
from proc_helpers import HOST4, wait_until

TIMEOUT = 10            # seconds for one request, or for a validation to end


class DnsStub:
    """A DNS server on 127.0.0.1: TXT from self.txt {name: value}, A from self.a (an address
    for every name, or None); NXDOMAIN for names with neither."""

    def __init__(self, a=None):
        self.txt = {}
        self.a = a
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST4, 0))
        self.sock.settimeout(0.2)
        self.addr = (HOST4, self.sock.getsockname()[1])
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            q = dns.message.from_wire(data)
            r = dns.message.make_response(q)
            name = q.question[0].name.to_text().lower()
            rdtype = q.question[0].rdtype
            if rdtype == dns.rdatatype.TXT and name in self.txt:
                r.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT",
                                                    '"%s"' % self.txt[name]))
            elif rdtype == dns.rdatatype.A and self.a:
                r.answer.append(dns.rrset.from_text(name, 60, "IN", "A", self.a))
            elif name not in self.txt and not self.a:
                r.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(r.to_wire(), peer)

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()


class Client:
    """Just enough of RFC 8555 to drive the mock: ES256 JWS, nonces, POST-as-GET."""

    def __init__(self, directory_url, https_ca_file):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.ctx = ssl.create_default_context(cafile=str(https_ca_file))
        self.kid = None
        self.nonce = None
        self.dir = self.http("GET", directory_url)[2]

    def http(self, method, url, body=None):
        """(status, headers, parsed JSON or bytes)."""
        req = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/jose+json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=TIMEOUT) as r:
                status, headers, data = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers, e.read()
        if headers.get("Replay-Nonce"):
            self.nonce = headers["Replay-Nonce"]
        if "json" in headers.get("Content-Type", "") and data:
            data = json.loads(data)
        return status, headers, data

    def jwk(self):
        n = self.key.public_key().public_numbers()
        return {"crv": "P-256", "kty": "EC", "x": b64u(n.x.to_bytes(32, "big")),
                "y": b64u(n.y.to_bytes(32, "big"))}

    def thumbprint(self):
        canon = json.dumps(self.jwk(), separators=(",", ":"), sort_keys=True)
        return b64u(hashlib.sha256(canon.encode()).digest())

    def jws(self, url, payload, nonce=None, use_jwk=False, key=None, header_url=None):
        if nonce is None:
            if self.nonce is None:
                self.http("HEAD", self.dir["newNonce"])
            nonce, self.nonce = self.nonce, None
        protected = {"alg": "ES256", "nonce": nonce, "url": header_url or url}
        if use_jwk or self.kid is None:
            protected["jwk"] = self.jwk()
        else:
            protected["kid"] = self.kid
        p64 = b64u(json.dumps(protected).encode())
        y64 = "" if payload is None else b64u(json.dumps(payload).encode())
        der = (key or self.key).sign((p64 + "." + y64).encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return json.dumps({"protected": p64, "payload": y64, "signature": b64u(sig)}).encode()

    def post(self, url, payload, **kw):
        return self.http("POST", url, self.jws(url, payload, **kw))

    def register(self):
        st, h, acct = self.post(self.dir["newAccount"], {"termsOfServiceAgreed": True,
                                                          "contact": ["mailto:a@example.com"]},
                                use_jwk=True)
        assert st in (200, 201), acct
        self.kid = h["Location"]
        return st

    def order(self, names, **extra):
        payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
        payload.update(extra)
        return self.post(self.dir["newOrder"], payload)

    def challenge(self, order, ctype):
        st, _, authz = self.post(order["authorizations"][0], None)
        assert st == 200, authz
        return next(c for c in authz["challenges"] if c["type"] == ctype)

    def wait_authz(self, order):
        """Polls the first authorization until it is no longer pending: the object."""
        got = {}

        def done():
            got["a"] = self.post(order["authorizations"][0], None)[2]
            return got["a"]["status"] != "pending"
        assert wait_until(done, TIMEOUT, step=0.1), got
        return got["a"]

    def finalize(self, order, names):
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                              critical=False)
               .sign(key, hashes.SHA256()))
        der = csr.public_bytes(serialization.Encoding.DER)
        return self.post(order["finalize"], {"csr": b64u(der)})


def keyauth_digest(client, token):
    """The dns-01 TXT value for token (RFC 8555 8.4)."""
    return b64u(hashlib.sha256((token + "." + client.thumbprint()).encode()).digest())
