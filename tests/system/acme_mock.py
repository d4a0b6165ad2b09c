"""A small ACME server (RFC 8555) for the system tests, for what Pebble 2.4 lacks: ACME Renewal
Information (RFC 9773), profiles, rate limits (429 and rateLimited with Retry-After), badNonce
on demand, and a dns-01 validation that asks every DNS server of a list (dnsd and its NSD or
Knot secondaries) and fails unless all of them serve the TXT. Standard library, dnspython and
python3-cryptography only. It checks requests as a real CA does: flattened JWS with ES256 over
the protected header and payload, a fresh nonce, the url in the header equal to the request's,
jwk for newAccount and kid (an account URL) for the rest, POST-as-GET with an empty payload.
Its keys and certificates come from acme_mock_pki.py, its validations from acme_mock_validate.py.

    from acme_mock import AcmeMock
    with AcmeMock(tmp_path, dns_servers=[("127.0.0.1", dnsd_port), ...]) as ca:
        ca.directory_url    # https://localhost:PORT/directory (127.0.0.1 and ::1 listen)
        ca.https_ca_file    # PEM: trust for the server's own HTTPS (the client's ca-bundle)
        ca.root_file        # PEM: the root the issued certificates chain to
        ca.root2_file       # PEM: the root of the alternate chain (Link rel="alternate")
        ...                 # the client runs; then assertions on:
        ca.requests         # every request: Request(method, path, kind, protected, payload,
                            #   status, problem), kind as in the directory ("newOrder") or
                            #   "order", "authz", "challenge", "finalize", "certificate",
                            #   "account", "directory", "renewalInfo"
        ca.orders           # {order URL: dict} with "identifiers", "profile", "replaces",
                            #   "status", "certificate" (its URL) among others
        ca.validations      # every validation: Validation(identifier, type, ok, detail, seen)
        ca.issued           # Issued(cert_id, der, pem_chain, not_before, not_after, replaced)

Settings (attributes; change them at any time, the next request uses them):
    profiles        {name: (description, lifetime seconds)}, in the directory's meta; an order
                    names one with "profile" (unknown: invalidProfile), or gets default_profile
    default_profile the profile of an order without one
    dns_servers     [(address, port)]: dns-01 asks each for TXT _acme-challenge.NAME over UDP
    dns_attempts    looks at all servers this many times, dns_interval seconds apart, before
                    the challenge is invalid (default 1: what a client must wait for itself)
    tls_alpn_target (address, port) tls-alpn-01 connects to (SNI and ALPN acme-tls/1 as RFC 8737)
    validation_delay seconds between the challenge POST and the validation
    ari_window      None: the last third of a certificate's lifetime starts its window (as the
                    renewal rule of the client), ending at five sixths; or (start, end) as
                    datetime for every certificate; ari_windows[cert_id] for one
    ari_retry_after seconds in renewalInfo's Retry-After
    require_replaces True: a newOrder for names with a current, unreplaced certificate from us
                    that lacks "replaces" is refused (malformed), to catch a client that forgets
    order_limit     (count, seconds): newOrder over count in the sliding window gets 429
                    rateLimited with Retry-After until the oldest leaves it
    finalize_polls  the order stays "processing" for this many POST-as-GETs after finalize
Failures on demand:
    ca.fail_next("newOrder", 429, "rateLimited", retry_after=2, count=1)   # any kind
    ca.bad_nonce_next(2)                # the next two POSTs get badNonce, whatever their nonce
    ca.forget_accounts()                # kid requests get accountDoesNotExist
    ca.down = True                      # connections are closed without an answer
"""

import datetime
import errno
import http.server
import json
import secrets
import socket
import ssl
import threading
import time
from collections import deque, namedtuple
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from acme_mock_pki import (IssuingCA, b64u, b64u_decode, cert_id, https_certificate,
                           jwk_public_key, jwk_thumbprint, now_utc, rfc3339)
from acme_mock_validate import IO_TIMEOUT, validate_dns, validate_tls_alpn

ERR = "urn:ietf:params:acme:error:"
NONCES_KEPT = 10000          # nonces handed out and not used yet; the oldest are forgotten
BODY_MAX = 1 << 20           # bytes of a request body
BIND_ATTEMPTS = 20           # ports tried for one free on both 127.0.0.1 and ::1
DEFAULT_PROFILES = {"classic": ("90 days", 90 * 86400), "shortlived": ("6 days", 6 * 86400)}

Request = namedtuple("Request", "method path kind protected payload status problem")
Validation = namedtuple("Validation", "identifier type ok detail seen")
Issued = namedtuple("Issued", "cert_id der pem_chain not_before not_after replaced")


class Problem(Exception):
    """An ACME error answer (RFC 8555 6.7)."""

    def __init__(self, status, kind, detail, retry_after=None):
        super().__init__(detail)
        self.status, self.kind, self.detail, self.retry_after = status, kind, detail, retry_after

    def doc(self):
        return {"type": ERR + self.kind, "detail": self.detail, "status": self.status}


class AcmeMock:
    def __init__(self, workdir, dns_servers=(), host="127.0.0.1", port=0, hostname="localhost"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host, self.hostname = host, hostname
        self.profiles = dict(DEFAULT_PROFILES)
        self.default_profile = "classic"
        self.dns_servers = list(dns_servers)
        self.dns_attempts, self.dns_interval = 1, 0.5
        self.tls_alpn_target = None
        self.validation_delay = 0.0
        self.ari_window, self.ari_windows, self.ari_retry_after = None, {}, 21600
        self.require_replaces = False
        self.order_limit = None
        self.finalize_polls = 0
        self.down = False
        self.requests, self.validations, self.issued = [], [], {}
        self.orders, self.authzs, self.challenges, self.accounts = {}, {}, {}, {}
        self._certs = {}                       # certificate URL -> Issued
        self._lock = threading.RLock()
        self._nonces, self._nonce_order = set(), deque()
        self._fail = []                        # [kind, status, type, retry_after, count]
        self._bad_nonces = 0
        self._order_times = deque()
        self._ids = 0
        self._threads = []
        self.https_ca_file = https_certificate(self.workdir, hostname, host)
        self.pki = IssuingCA(self.workdir)
        self.root_file, self.root2_file = self.pki.root_file, self.pki.root2_file
        self._servers = self._bind(host, port)
        self.port = self._servers[0].server_address[1]
        self.base = "https://%s:%d" % (hostname, self.port)
        self.directory_url = self.base + "/directory"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.workdir / "https.pem"), str(self.workdir / "https.key"))
        for srv in self._servers:
            srv.daemon_threads = True
            srv.mock = self
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                         do_handshake_on_connect=False)
        self._server_threads = []

    # ------------------------------------------------------------ life cycle

    @staticmethod
    def _bind(host, port):
        """The server on host, and on ::1 with the same port when host is 127.0.0.1 and the
        machine has ::1 (a client may try localhost's IPv6 address first)."""
        for _ in range(BIND_ATTEMPTS):
            first = http.server.ThreadingHTTPServer((host, port), _Handler)
            if host != "127.0.0.1":
                return [first]
            try:
                second = _Server6(("::1", first.server_address[1]), _Handler)
                return [first, second]
            except OSError as e:
                first.server_close()
                if port or e.errno == errno.EADDRNOTAVAIL or e.errno == errno.EAFNOSUPPORT:
                    return [http.server.ThreadingHTTPServer((host, port), _Handler)]
        raise OSError("no port free on both 127.0.0.1 and ::1")

    def start(self):
        for srv in self._servers:
            t = threading.Thread(target=srv.serve_forever, daemon=True)
            t.start()
            self._server_threads.append(t)
        return self

    def stop(self):
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        for t in self._threads:
            t.join(IO_TIMEOUT * (len(self.dns_servers) + 2) * max(1, self.dns_attempts))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ failures on demand

    def fail_next(self, kind, status, problem, retry_after=None, count=1):
        with self._lock:
            self._fail.append([kind, status, problem, retry_after, count])

    def bad_nonce_next(self, count=1):
        with self._lock:
            self._bad_nonces += count

    def forget_accounts(self):
        with self._lock:
            self.accounts.clear()

    # ------------------------------------------------------------ queries for tests

    def requests_of(self, kind):
        with self._lock:
            return [r for r in self.requests if r.kind == kind]

    def problems(self, problem):
        with self._lock:
            return [r for r in self.requests if r.problem == ERR + problem]

    # ------------------------------------------------------------ helpers

    def _url(self, path):
        return self.base + path

    def _next_id(self):
        self._ids += 1
        return "%d%s" % (self._ids, secrets.token_hex(4))

    def nonce(self):
        with self._lock:
            n = b64u(secrets.token_bytes(16))
            self._nonces.add(n)
            self._nonce_order.append(n)
            while len(self._nonce_order) > NONCES_KEPT:
                self._nonces.discard(self._nonce_order.popleft())
            return n

    def directory(self):
        meta = {"profiles": {k: v[0] for k, v in self.profiles.items()},
                "termsOfService": self._url("/terms")}
        return {"newNonce": self._url("/nonce"), "newAccount": self._url("/account"),
                "newOrder": self._url("/order"), "revokeCert": self._url("/revoke"),
                "keyChange": self._url("/key-change"),
                "renewalInfo": self._url("/renewal-info"), "meta": meta}

    def _injected(self, kind):
        with self._lock:
            for f in self._fail:
                if f[0] == kind and f[4] > 0:
                    f[4] -= 1
                    raise Problem(f[1], f[2], "injected %s for %s" % (f[2], kind), f[3])

    # ------------------------------------------------------------ JWS

    def verify_jws(self, body, url, kind):
        """The flattened JWS body of a POST to url: (protected header, payload or None for
        POST-as-GET, account or None, jwk)."""
        try:
            jws = json.loads(body)
            protected = json.loads(b64u_decode(jws["protected"]))
            signature = b64u_decode(jws["signature"])
            payload_b64 = jws["payload"]
            if not isinstance(protected, dict) or not isinstance(payload_b64, str):
                raise ValueError("bad types")
        except (ValueError, KeyError, TypeError) as e:
            raise Problem(400, "malformed", "not a flattened JWS: %s" % e)
        if protected.get("alg") != "ES256":
            raise Problem(400, "badSignatureAlgorithm", "alg must be ES256")
        with self._lock:
            if self._bad_nonces > 0:
                self._bad_nonces -= 1
                raise Problem(400, "badNonce", "injected badNonce")
            n = protected.get("nonce")
            if n not in self._nonces:
                raise Problem(400, "badNonce", "unknown or used nonce %r" % (n,))
            self._nonces.discard(n)
        if protected.get("url") != url:
            raise Problem(401, "unauthorized", "url %r in the JWS, request to %r"
                          % (protected.get("url"), url))
        has_jwk, has_kid = "jwk" in protected, "kid" in protected
        if has_jwk == has_kid:
            raise Problem(400, "malformed", "exactly one of jwk and kid")
        account = None
        if kind == "newAccount" and not has_jwk:
            raise Problem(400, "malformed", "newAccount needs jwk, not kid")
        if kind in ("newAccount", "revokeCert") and has_jwk:
            jwk = protected["jwk"]
        elif has_kid:
            with self._lock:
                account = self.accounts.get(protected["kid"])
            if account is None:
                raise Problem(400, "accountDoesNotExist", "no account %s" % protected["kid"])
            jwk = account["jwk"]
        else:
            raise Problem(400, "malformed", "%s needs kid, not jwk" % kind)
        try:
            key = jwk_public_key(jwk)
            if len(signature) != 64:
                raise InvalidSignature()
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                       int.from_bytes(signature[32:], "big"))
            key.verify(der, (jws["protected"] + "." + payload_b64).encode(),
                       ec.ECDSA(hashes.SHA256()))
        except (ValueError, KeyError, TypeError) as e:
            raise Problem(400, "badPublicKey", "bad jwk: %s" % e)
        except InvalidSignature:
            raise Problem(400, "malformed", "the JWS signature does not verify")
        if payload_b64 == "":
            return protected, None, account, jwk
        try:
            return protected, json.loads(b64u_decode(payload_b64)), account, jwk
        except ValueError as e:
            raise Problem(400, "malformed", "payload: %s" % e)

    # ------------------------------------------------------------ resources

    def new_account(self, payload, jwk):
        if payload is None:
            raise Problem(400, "malformed", "newAccount needs a payload")
        tp = jwk_thumbprint(jwk)
        with self._lock:
            for url, a in self.accounts.items():
                if a["thumbprint"] == tp:
                    return 200, a["object"], {"Location": url}
            if payload.get("onlyReturnExisting"):
                raise Problem(400, "accountDoesNotExist", "no account for this key")
            if not payload.get("termsOfServiceAgreed"):
                raise Problem(403, "userActionRequired", "agree to the terms of service")
            url = self._url("/account/" + self._next_id())
            obj = {"status": "valid", "contact": payload.get("contact", []),
                   "orders": url + "/orders"}
            self.accounts[url] = {"jwk": jwk, "thumbprint": tp, "object": obj}
            return 201, obj, {"Location": url}

    def _check_order_limit(self):
        if not self.order_limit:
            return
        count, window = self.order_limit
        t = time.monotonic()
        while self._order_times and self._order_times[0] <= t - window:
            self._order_times.popleft()
        if len(self._order_times) >= count:
            wait = max(1, int(self._order_times[0] + window - t + 0.999))
            raise Problem(429, "rateLimited", "too many new orders: %d per %d s"
                          % (count, window), wait)
        self._order_times.append(t)

    def _current_cert_for(self, names):
        t = now_utc()
        for iss in self.issued.values():
            c = x509.load_der_x509_certificate(iss.der)
            san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            if (sorted(san.get_values_for_type(x509.DNSName)) == names and not iss.replaced
                    and iss.not_after > t):
                return iss
        return None

    def new_order(self, payload, account_url):
        if not isinstance(payload, dict) or not isinstance(payload.get("identifiers"), list) \
                or not payload["identifiers"]:
            raise Problem(400, "malformed", "newOrder needs identifiers")
        names = []
        for ident in payload["identifiers"]:
            if not isinstance(ident, dict) or ident.get("type") != "dns" or \
                    not isinstance(ident.get("value"), str) or not ident["value"]:
                raise Problem(400, "rejectedIdentifier", "only dns identifiers: %r" % (ident,))
            names.append(ident["value"].lower())
        profile = payload.get("profile", self.default_profile)
        if profile not in self.profiles:
            raise Problem(400, "invalidProfile", "no profile %r" % (profile,))
        replaces = payload.get("replaces")
        with self._lock:
            if replaces is not None:
                old = self.issued.get(replaces)
                if old is None:
                    raise Problem(400, "malformed", "replaces %r: not a certificate of ours"
                                  % (replaces,))
                if old.replaced:
                    raise Problem(409, "alreadyReplaced", "%s was replaced already" % replaces)
            elif self.require_replaces and self._current_cert_for(sorted(names)):
                raise Problem(400, "malformed", "an order for %s without replaces, while a "
                              "current certificate exists (ARI)" % ", ".join(names))
            self._check_order_limit()
            oid = self._next_id()
            url = self._url("/order/" + oid)
            authz_urls = []
            for name in names:
                aid = self._next_id()
                aurl = self._url("/authz/" + aid)
                token = b64u(secrets.token_bytes(32))
                chals = []
                for ctype in ("dns-01", "tls-alpn-01"):
                    curl = self._url("/chall/" + self._next_id())
                    self.challenges[curl] = {"type": ctype, "url": curl, "token": token,
                                             "status": "pending", "authz": aurl}
                    chals.append(curl)
                self.authzs[aurl] = {"identifier": {"type": "dns", "value": name},
                                     "status": "pending", "challenges": chals, "order": url,
                                     "account": account_url,
                                     "expires": rfc3339(now_utc() + datetime.timedelta(days=7))}
                authz_urls.append(aurl)
            order = {"status": "pending", "identifiers": payload["identifiers"],
                     "authorizations": authz_urls, "finalize": url + "/finalize",
                     "expires": rfc3339(now_utc() + datetime.timedelta(days=7)),
                     "profile": profile, "replaces": replaces, "account": account_url,
                     "polls": 0}
            self.orders[url] = order
            return 201, self.order_object(url), {"Location": url}

    def order_object(self, url):
        o = self.orders[url]
        obj = {k: o[k] for k in ("status", "identifiers", "authorizations", "finalize",
                                 "expires", "profile")}
        if o["replaces"]:
            obj["replaces"] = o["replaces"]
        if o.get("certificate"):
            obj["certificate"] = o["certificate"]
        if o.get("error"):
            obj["error"] = o["error"]
        return obj

    def authz_object(self, url):
        a = self.authzs[url]
        obj = {k: a[k] for k in ("identifier", "status", "expires")}
        obj["challenges"] = [self.challenge_object(c) for c in a["challenges"]]
        return obj

    def challenge_object(self, url):
        c = self.challenges[url]
        obj = {"type": c["type"], "url": url, "token": c["token"], "status": c["status"]}
        if c.get("validated"):
            obj["validated"] = c["validated"]
        if c.get("error"):
            obj["error"] = c["error"]
        return obj

    def owned(self, table, url, account_url):
        with self._lock:
            item = table.get(url)
            if item is None:
                raise Problem(404, "malformed", "no such resource %s" % url)
            owner = item.get("account") or self.authzs.get(item.get("authz"), {}).get("account")
            if owner != account_url:
                raise Problem(403, "unauthorized", "%s belongs to another account" % url)
            return item

    def respond_challenge(self, url, account_url):
        c = self.owned(self.challenges, url, account_url)
        with self._lock:
            a = self.authzs[c["authz"]]
            if c["status"] == "pending" and a["status"] == "pending":
                c["status"] = "processing"
                jwk = self.accounts[account_url]["jwk"]
                keyauth = c["token"] + "." + jwk_thumbprint(jwk)
                t = threading.Thread(target=self._validate, args=(url, keyauth), daemon=True)
                self._threads.append(t)
                t.start()
            return 200, self.challenge_object(url), {"Link": '<%s>;rel="up"' % c["authz"]}

    def _validate(self, url, keyauth):
        time.sleep(self.validation_delay)
        c = self.challenges[url]
        name = self.authzs[c["authz"]]["identifier"]["value"]
        if c["type"] == "dns-01":
            ok, detail, seen = validate_dns(self.dns_servers, self.dns_attempts,
                                            self.dns_interval, name, keyauth)
        else:
            ok, detail, seen = validate_tls_alpn(self.tls_alpn_target, name, keyauth)
        with self._lock:
            self.validations.append(Validation(name, c["type"], ok, detail, seen))
            a = self.authzs[c["authz"]]
            c["status"] = "valid" if ok else "invalid"
            c["validated"] = rfc3339(now_utc())
            if not ok:
                kind = "dns" if c["type"] == "dns-01" else "tls"
                c["error"] = {"type": ERR + ("unauthorized" if "wrong" in detail else kind),
                              "detail": detail, "status": 403}
            a["status"] = c["status"]
            order = self.orders[a["order"]]
            states = [self.authzs[u]["status"] for u in order["authorizations"]]
            if order["status"] == "pending":
                if "invalid" in states:
                    order["status"] = "invalid"
                    order["error"] = c.get("error")
                elif all(s == "valid" for s in states):
                    order["status"] = "ready"

    def finalize(self, url, payload, account_url):
        order_url = url[:-len("/finalize")]
        o = self.owned(self.orders, order_url, account_url)
        with self._lock:
            if o["status"] != "ready":
                raise Problem(403, "orderNotReady", "order is %s" % o["status"])
            try:
                csr = x509.load_der_x509_csr(b64u_decode(payload["csr"]))
            except (ValueError, KeyError, TypeError) as e:
                raise Problem(400, "badCSR", "CSR does not parse: %s" % e)
            if not csr.is_signature_valid:
                raise Problem(400, "badCSR", "CSR signature does not verify")
            try:
                names = csr.extensions.get_extension_for_class(
                    x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
            except x509.ExtensionNotFound:
                names = []
            want = sorted(i["value"].lower() for i in o["identifiers"])
            if sorted(n.lower() for n in names) != want:
                raise Problem(400, "badCSR", "CSR names %r, the order %r" % (names, want))
            pub = csr.public_key()
            if not isinstance(pub, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
                raise Problem(400, "badCSR", "unsupported key type")
            self._issue(order_url, o, want, pub)
            return 200, self.order_object(order_url), {"Location": order_url}

    def _issue(self, order_url, o, names, pub):
        cert, chain = self.pki.issue(pub, names, self.profiles[o["profile"]][1])
        cid = cert_id(cert)
        curl = self._url("/cert/" + self._next_id())
        iss = Issued(cid, cert.public_bytes(serialization.Encoding.DER), chain,
                     cert.not_valid_before.replace(tzinfo=datetime.timezone.utc),
                     cert.not_valid_after.replace(tzinfo=datetime.timezone.utc), False)
        self.issued[cid] = iss
        self._certs[curl] = iss
        if o["replaces"]:
            self.issued[o["replaces"]] = self.issued[o["replaces"]]._replace(replaced=True)
        o["certificate"] = curl
        o["cert_id"] = cid
        o["status"] = "processing" if self.finalize_polls > 0 else "valid"
        o["polls"] = self.finalize_polls

    def get_order(self, url, account_url):
        o = self.owned(self.orders, url, account_url)
        with self._lock:
            if o["status"] == "processing":
                o["polls"] -= 1
                if o["polls"] <= 0:
                    o["status"] = "valid"
            obj = self.order_object(url)
            if o["status"] != "valid":
                obj.pop("certificate", None)
            return 200, obj, {"Retry-After": "1"} if o["status"] == "processing" else {}

    def renewal_info(self, cid):
        with self._lock:
            iss = self.issued.get(cid)
            if iss is None:
                raise Problem(404, "malformed", "no certificate %s" % cid)
            window = self.ari_windows.get(cid) or self.ari_window
            if window is None:
                life = iss.not_after - iss.not_before
                window = (iss.not_before + life * 2 / 3, iss.not_before + life * 5 / 6)
            return 200, {"suggestedWindow": {"start": rfc3339(window[0]),
                                             "end": rfc3339(window[1])}}, \
                {"Retry-After": str(self.ari_retry_after)}

    def certificate(self, url, account_url):
        """The chain at url (the default one, or with "/alt" the alternate, RFC 8555 7.4.2)
        and the headers that go with it."""
        primary = url[:-len("/alt")] if url.endswith("/alt") else url
        with self._lock:
            iss = self._certs.get(primary)
            owner = next((o["account"] for o in self.orders.values()
                          if o.get("certificate") == primary), None)
        if iss is None:
            raise Problem(404, "malformed", "no certificate at %s" % url)
        if owner != account_url:
            raise Problem(403, "unauthorized", "not your certificate")
        if url != primary:
            return self.pki.alternate_chain(iss.pem_chain), {}
        return iss.pem_chain, {"Link": '<%s/alt>;rel="alternate"' % url}


class _Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "acme-mock"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        if self.server.mock.down:
            self.close_connection = True
            return
        try:
            self.connection.settimeout(IO_TIMEOUT)
            self.connection.do_handshake()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def handle_one_request(self):
        if self.server.mock.down:
            self.close_connection = True
            return
        try:
            super().handle_one_request()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def _send(self, status, body, ctype, extra, kind, protected, payload, problem=None):
        m = self.server.mock
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        with m._lock:
            m.requests.append(Request(self.command, self.path, kind, protected, payload,
                                      status, problem))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else 0))
        self.send_header("Replay-Nonce", m.nonce())
        self.send_header("Cache-Control", "no-store")
        self.send_header("Link", '<%s>;rel="index"' % m.directory_url)
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _problem(self, p, kind, protected=None, payload=None):
        extra = {"Retry-After": str(p.retry_after)} if p.retry_after is not None else {}
        self._send(p.status, p.doc(), "application/problem+json", extra, kind, protected,
                   payload, ERR + p.kind)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        m = self.server.mock
        path = self.path.split("?")[0]
        try:
            if path == "/directory":
                m._injected("directory")
                return self._send(200, m.directory(), "application/json", {}, "directory",
                                  None, None)
            if path == "/nonce":
                m._injected("newNonce")
                return self._send(200 if self.command == "HEAD" else 204, b"",
                                  "application/octet-stream", {}, "newNonce", None, None)
            if path.startswith("/renewal-info/"):
                m._injected("renewalInfo")
                status, obj, extra = m.renewal_info(path[len("/renewal-info/"):])
                return self._send(status, obj, "application/json", extra, "renewalInfo",
                                  None, None)
            raise Problem(405, "malformed", "use POST-as-GET for %s" % path)
        except Problem as p:
            self._problem(p, "get")

    def do_POST(self):
        m = self.server.mock
        path = self.path.split("?")[0]
        url = m._url(path)
        kind = self._kind(path)
        protected = payload = None
        try:
            n = int(self.headers.get("Content-Length", "-1"))
            if n < 0 or n > BODY_MAX:
                raise Problem(413 if n > BODY_MAX else 411, "malformed", "Content-Length")
            body = self.rfile.read(n)
            if self.headers.get("Content-Type", "").split(";")[0].strip() != \
                    "application/jose+json":
                raise Problem(415, "malformed", "Content-Type must be application/jose+json")
            protected, payload, account, jwk = m.verify_jws(body, url, kind)
            m._injected(kind)
            account_url = protected.get("kid")
            if kind == "newAccount":
                status, obj, extra = m.new_account(payload, jwk)
            elif kind == "newOrder":
                status, obj, extra = m.new_order(payload, account_url)
            elif kind == "account":
                if account_url != url:
                    raise Problem(403, "unauthorized", "not your account")
                status, obj, extra = 200, m.accounts[url]["object"], {}
            elif kind == "order":
                status, obj, extra = m.get_order(url, account_url)
            elif kind == "authz":
                m.owned(m.authzs, url, account_url)
                status, obj, extra = 200, m.authz_object(url), {}
            elif kind == "challenge":
                if payload is None:
                    m.owned(m.challenges, url, account_url)
                    status, obj, extra = 200, m.challenge_object(url), {}
                else:
                    status, obj, extra = m.respond_challenge(url, account_url)
            elif kind == "finalize":
                status, obj, extra = m.finalize(url, payload, account_url)
            elif kind == "certificate":
                chain, extra = m.certificate(url, account_url)
                return self._send(200, chain.encode(), "application/pem-certificate-chain",
                                  extra, kind, protected, payload)
            else:
                raise Problem(404, "malformed", "no resource %s" % path)
            self._send(status, obj, "application/json", extra, kind, protected, payload)
        except Problem as p:
            self._problem(p, kind, protected, payload)

    @staticmethod
    def _kind(path):
        if path == "/account":
            return "newAccount"
        if path == "/order":
            return "newOrder"
        if path == "/revoke":
            return "revokeCert"
        for prefix, kind in (("/account/", "account"), ("/authz/", "authz"),
                             ("/chall/", "challenge"), ("/cert/", "certificate")):
            if path.startswith(prefix):
                return kind
        if path.startswith("/cert/"):
            return "certificate"
        if path.startswith("/order/"):
            return "finalize" if path.endswith("/finalize") else "order"
        return "unknown"
