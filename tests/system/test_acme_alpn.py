"""httpsd answers tls-alpn-01 (RFC 8737): a client offering ALPN acme-tls/1 for a name with a
pending entry in the store's acme_alpn table gets the validation certificate (one dNSName, the
critical id-pe-acmeIdentifier extension holding the SHA-256 of the key authorization), ALPN
acme-tls/1, and the connection ends after the handshake. Every other client is served as
before. Entries are put with build/tests/acme_alpn_put (a test-only helper: the ACME client
puts them in production) while httpsd runs, so httpsd must see them without a restart.
"""

import hashlib
import json
import os
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

from acme_client import Client, DnsStub
from acme_mock import https_certificate
from conftest import BUILD
from httpsd_helpers import (HOST4, IO_TIMEOUT, OPENSSL, HttpsdFactory, get_request,
                            make_state, policy_text, read_response, serving, started, wait_closed)
from proc_helpers import free_port, stop_process, wait_until

HOST = "mta-sts.example.com"
OTHER = "mta-sts.other.example"        # has a certificate, never an entry
NOCERT = "mta-sts.nocert.example"      # neither a certificate nor (at first) an entry
ACME_ALPN_PUT = BUILD / "tests" / "acme_alpn_put"
ACME_IDENTIFIER = ObjectIdentifier("1.3.6.1.5.5.7.1.31")
PEBBLE = Path("/usr/bin/pebble")
KEYAUTH = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"


@pytest.fixture(scope="module")
def env(tmp_path_factory, zonectl_binary):
    if not os.access(ACME_ALPN_PUT, os.X_OK):
        pytest.fail("%s is missing: make all builds it" % ACME_ALPN_PUT, pytrace=False)
    with serving(tmp_path_factory.mktemp("alpn"), (HOST, OTHER),
                 {"example.com": policy_text(), "other.example": policy_text()}) as (st, h):
        yield st, h


def put(st, host, keyauth):
    """Puts (or with keyauth "-", deletes) host's validation certificate."""
    r = subprocess.run([str(ACME_ALPN_PUT), str(st.dir), host, keyauth], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def handshake(h, sni, alpn):
    """A TLS handshake (no verification) offering the ALPN list alpn (None: no extension):
    (the peer's certificate, the protocol chosen, the socket), or an ssl.SSLError."""
    ctx = ssl._create_unverified_context()
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    raw = socket.create_connection((HOST4, h.port), timeout=IO_TIMEOUT)
    try:
        s = ctx.wrap_socket(raw, server_hostname=sni)
    except Exception:
        raw.close()
        raise
    der = s.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der), s.selected_alpn_protocol(), s


def validation_extension(cert):
    """The id-pe-acmeIdentifier extension of cert, or None."""
    try:
        return cert.extensions.get_extension_for_oid(ACME_IDENTIFIER)
    except x509.ExtensionNotFound:
        return None


def check_validation_certificate(cert, host, keyauth):
    ext = validation_extension(cert)
    assert ext is not None, "no acmeIdentifier extension in %s" % cert
    assert ext.critical
    # The extension's value is a DER OCTET STRING of the SHA-256 of the key authorization.
    assert ext.value.value == b"\x04\x20" + hashlib.sha256(keyauth.encode()).digest()
    san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.DNSName) == [host]
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    assert cert.issuer == cert.subject          # self-signed
    cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                             ec.ECDSA(cert.signature_hash_algorithm))


def test_validation_certificate_and_close(env):
    st, h = env
    put(st, HOST, KEYAUTH)                       # while httpsd runs: no restart
    cert, proto, s = handshake(h, HOST, ["acme-tls/1"])
    with s:
        assert proto == "acme-tls/1"
        check_validation_certificate(cert, HOST, KEYAUTH)
        # Nothing is served on it: the handshake was the answer, then the connection ends.
        try:
            s.sendall(get_request())
        except (ssl.SSLError, OSError):
            pass
        assert wait_closed(s, IO_TIMEOUT) is not None, "the connection stays open"
    # Upper-case SNI and a new key authorization put over the old one.
    put(st, HOST, "other-token.thumbprint")
    cert, proto, s = handshake(h, HOST.upper(), ["acme-tls/1"])
    s.close()
    assert proto == "acme-tls/1"
    check_validation_certificate(cert, HOST, "other-token.thumbprint")
    put(st, HOST, "-")


def test_openssl_s_client(env):
    """The brief's client: openssl s_client -alpn acme-tls/1 sees the critical extension."""
    st, h = env
    put(st, HOST, KEYAUTH)
    try:
        r = subprocess.run([OPENSSL, "s_client", "-connect", "%s:%d" % (HOST4, h.port),
                            "-servername", HOST, "-alpn", "acme-tls/1"], input=b"",
                           capture_output=True, timeout=IO_TIMEOUT)
        out = r.stdout.decode("utf-8", "replace")
        assert "ALPN protocol: acme-tls/1" in out, out
        pem = out[out.index("-----BEGIN CERTIFICATE-----"):
                  out.index("-----END CERTIFICATE-----") + 25]
        text = subprocess.run([OPENSSL, "x509", "-noout", "-text"], input=pem.encode(),
                              capture_output=True, timeout=IO_TIMEOUT).stdout.decode()
        assert "1.3.6.1.5.5.7.1.31: critical" in text, text
        assert "DNS:%s" % HOST in text, text
        check_validation_certificate(x509.load_pem_x509_certificate(pem.encode()), HOST, KEYAUTH)
    finally:
        put(st, HOST, "-")


def ordinary(h, st, sni, alpn):
    """A verified handshake and a policy GET, as any sender does."""
    ctx = ssl.create_default_context(cafile=str(st.ca))
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    with socket.create_connection((HOST4, h.port), timeout=IO_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            cert = x509.load_der_x509_certificate(s.getpeercert(binary_form=True))
            assert validation_extension(cert) is None
            s.sendall(get_request(host=sni))
            status, _, body, _ = read_response(s)
            assert status == 200 and body == policy_text()
            return s.selected_alpn_protocol()


def test_other_clients_served_as_before(env):
    """With an entry pending: a client without ALPN, or offering http/1.1, gets the ordinary
    policy certificate and the policy."""
    st, h = env
    put(st, HOST, KEYAUTH)
    try:
        assert ordinary(h, st, HOST, None) is None
        assert ordinary(h, st, HOST, ["http/1.1"]) == "http/1.1"
        assert ordinary(h, st, OTHER, None) is None
        r = subprocess.run([OPENSSL, "s_client", "-connect", "%s:%d" % (HOST4, h.port),
                            "-servername", HOST, "-CAfile", str(st.ca)], input=b"",
                           capture_output=True, timeout=IO_TIMEOUT)
        out = r.stdout.decode("utf-8", "replace")
        assert "Verify return code: 0 (ok)" in out and "ALPN" not in out.replace(
            "No ALPN negotiated", ""), out
    finally:
        put(st, HOST, "-")


def refused(h, sni, alpn):
    """The handshake fails (as it does without tls-alpn-01): the alert's text, upper case."""
    with pytest.raises(ssl.SSLError) as e:
        handshake(h, sni, alpn)[2].close()
    return str(e.value).upper().replace("_", " ")


def test_no_entry_no_validation_certificate(env):
    """acme-tls/1 for a name without an entry: the handshake fails as it does today, with
    no_application_protocol for a name with a certificate and unrecognized_name without one;
    never a validation certificate. A deleted entry is gone at the next handshake."""
    st, h = env
    put(st, HOST, KEYAUTH)
    try:
        assert "NO APPLICATION PROTOCOL" in refused(h, OTHER, ["acme-tls/1"])
        assert "UNRECOGNIZED NAME" in refused(h, NOCERT, ["acme-tls/1"])
        assert "UNRECOGNIZED NAME" in refused(h, "other.example", ["acme-tls/1"])
    finally:
        put(st, HOST, "-")
    assert "NO APPLICATION PROTOCOL" in refused(h, HOST, ["acme-tls/1"])


def test_entry_for_a_name_without_certificate(env):
    """The case tls-alpn-01 is for: a name httpsd has no certificate for yet."""
    st, h = env
    put(st, NOCERT, KEYAUTH)
    try:
        cert, proto, s = handshake(h, NOCERT, ["acme-tls/1"])
        s.close()
        assert proto == "acme-tls/1"
        check_validation_certificate(cert, NOCERT, KEYAUTH)
        assert "UNRECOGNIZED NAME" in refused(h, NOCERT, None)
    finally:
        put(st, NOCERT, "-")


def test_store_check_decodes_entries(env):
    st, h = env
    put(st, NOCERT, KEYAUTH)
    try:
        r = st.zc.ok("--json", "store", "check")
        assert json.loads(r.out)["records"]["acme_alpn"] == 1, r.out
    finally:
        put(st, NOCERT, "-")


def test_store_without_the_table(tmp_path, zonectl_binary):
    """A store an older Lockstep wrote has no acme_alpn table: httpsd makes it at start, so an
    entry a writer puts later is seen without a restart (a reader cannot open a table made
    after it started)."""
    (tmp_path / "state").mkdir()
    st = make_state(tmp_path / "state", (HOST,), {"example.com": policy_text()})
    r = subprocess.run([str(ACME_ALPN_PUT), str(st.dir), "--drop"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "acme_alpn" not in subprocess.run(["mdb_stat", "-a", str(st.dir)], capture_output=True,
                                             text=True, timeout=30).stdout
    with started(tmp_path, "httpsd") as servers:
        h = HttpsdFactory(servers).start(st.dir)
        put(st, HOST, KEYAUTH)
        cert, proto, s = handshake(h, HOST, ["acme-tls/1"])
        s.close()
        assert proto == "acme-tls/1"
        check_validation_certificate(cert, HOST, KEYAUTH)


def test_pebble_validates_tls_alpn_01(tmp_path, zonectl_binary):
    """Pebble validates tls-alpn-01 against httpsd with Go's TLS client (what Let's Encrypt's
    validation uses), through an order made by a minimal client (acme_client.py); with no
    entry, or the entry of another key authorization, the challenge fails."""
    if not os.access(PEBBLE, os.X_OK):
        pytest.fail("%s is missing: make deps installs pebble" % PEBBLE, pytrace=False)
    (tmp_path / "state").mkdir()
    (tmp_path / "pebble").mkdir()
    st = make_state(tmp_path / "state", (OTHER,), {"example.com": policy_text()})
    https_ca = https_certificate(tmp_path / "pebble", "localhost", HOST4)
    dns = DnsStub(a=HOST4)
    log = tmp_path / "pebble" / "log"
    with started(tmp_path, "httpsd") as servers, open(log, "wb") as out:
        h = HttpsdFactory(servers).start(st.dir)
        port = free_port()
        config = tmp_path / "pebble" / "config.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": "%s:%d" % (HOST4, port),
            "managementListenAddress": "%s:%d" % (HOST4, free_port()),
            "certificate": str(tmp_path / "pebble" / "https.pem"),
            "privateKey": str(tmp_path / "pebble" / "https.key"),
            "httpPort": free_port(), "tlsPort": h.port, "ocspResponderURL": "",
            "externalAccountBindingRequired": False}}))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0",
                   PEBBLE_AUTHZREUSE="0")
        proc = subprocess.Popen([str(PEBBLE), "-config", str(config), "-dnsserver",
                                 "%s:%d" % dns.addr], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
        try:
            assert wait_until(lambda: b"Listening on" in log.read_bytes(), 15, step=0.1), \
                log.read_text()
            c = Client("https://localhost:%d/dir" % port, https_ca)
            c.register()

            def respond(ch):
                """POSTs to the challenge: Pebble's answer in the message when not 200."""
                r = c.post(ch["url"], {})
                assert r[0] == 200, (r, log.read_text()[-3000:])

            def attempt(keyauth):
                order = c.order([HOST])[2]
                ch = c.challenge(order, "tls-alpn-01")
                put(st, HOST, keyauth or (ch["token"] + "." + c.thumbprint()))
                respond(ch)
                return c.wait_authz(order)

            authz = attempt(None)
            assert authz["status"] == "valid", (authz, log.read_text())
            authz = attempt("another-token." + c.thumbprint())
            assert authz["status"] == "invalid", authz
            detail = json.dumps(authz["challenges"])
            assert "acmeValidation extension value" in detail, detail
            put(st, HOST, "-")
            order = c.order([HOST])[2]
            ch = c.challenge(order, "tls-alpn-01")
            respond(ch)
            assert c.wait_authz(order)["status"] == "invalid"
        finally:
            stop_process(proc, 3)
            dns.close()
