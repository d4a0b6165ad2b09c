"""The ACME test server (acme_mock.py) driven by a minimal ACME client (acme_client.py), so the ACME
client's tests can rely on it: accounts, orders with profiles, dns-01 asked of every DNS server
in the list (a lagging one fails the challenge), finalize and the chain to the mock's root, ARI
windows and `replaces`, 429 and rateLimited with Retry-After, badNonce, and JWS checks. The
tls-alpn-01 validation runs against the real httpsd with an entry from build/tests/acme_alpn_put.
"""

import datetime
import socket
import ssl
import subprocess
import urllib.error

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from acme_client import TIMEOUT, Client, DnsStub, keyauth_digest
from acme_mock import ERR, AcmeMock, cert_id
from conftest import BUILD
from dnsd_helpers import dnsd_factory  # noqa: F401  (fixture)
from httpsd_helpers import policy_text, serving
from proc_helpers import HOST4, wait_until
from xfr_helpers import KnotSecondary, NsdSecondary, import_zone

ACME_ALPN_PUT = BUILD / "tests" / "acme_alpn_put"
NAME = "mta-sts.example.com"


@pytest.fixture
def ca(tmp_path):
    servers = [DnsStub(), DnsStub()]
    mock = AcmeMock(tmp_path / "ca", dns_servers=[s.addr for s in servers])
    mock.txt_servers = servers
    with mock:
        yield mock
    for s in servers:
        s.close()


def issue(client, ca, names, **extra):
    """A whole order over dns-01 with both DNS servers serving the TXT: (order URL, chain)."""
    st, h, order = client.order(names, **extra)
    assert st == 201, order
    url = h["Location"]
    ch = client.challenge(order, "dns-01")
    for s in ca.txt_servers:
        s.txt["_acme-challenge.%s." % names[0]] = keyauth_digest(client, ch["token"])
    assert client.post(ch["url"], {})[0] == 200
    assert client.wait_authz(order)["status"] == "valid"
    st, _, order = client.finalize(order, names)
    assert st == 200, order
    got = {}
    assert wait_until(lambda: got.update(o=client.post(url, None)[2]) or
                      got["o"]["status"] == "valid", TIMEOUT, step=0.1), got
    st, h, chain = client.post(got["o"]["certificate"], None)
    assert st == 200 and h["Content-Type"] == "application/pem-certificate-chain"
    client.alternate = [v for v in h.get_all("Link") if 'rel="alternate"' in v]
    return url, pem_chain(chain)


def pem_chain(data):
    end = b"-----END CERTIFICATE-----\n"
    return [x509.load_pem_x509_certificate(part + end) for part in data.split(end)
            if part.strip()]


def signed_by(cert, issuer):
    issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                               ec.ECDSA(cert.signature_hash_algorithm))


def test_directory_account_and_profiles(ca):
    c = Client(ca.directory_url, ca.https_ca_file)
    assert ca.directory_url.startswith("https://localhost:")
    # localhost is both addresses: a client may try either first.
    for family, addr in ((socket.AF_INET, HOST4), (socket.AF_INET6, "::1")):
        ctx = ssl.create_default_context(cafile=str(ca.https_ca_file))
        with socket.socket(family) as raw:
            raw.settimeout(TIMEOUT)
            raw.connect((addr, ca.port))
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /directory HTTP/1.1\r\nHost: localhost\r\nConnection: close"
                          b"\r\n\r\n")
                assert s.recv(12) == b"HTTP/1.1 200", addr
    assert set(c.dir["meta"]["profiles"]) == {"classic", "shortlived"}
    assert c.dir["renewalInfo"].endswith("/renewal-info")
    assert c.register() == 201
    first = c.kid
    assert c.register() == 200 and c.kid == first          # the same key: the same account
    st, _, obj = c.post(first, None)
    assert st == 200 and obj["contact"] == ["mailto:a@example.com"]
    st, _, prob = c.order([NAME], profile="nosuch")
    assert st == 400 and prob["type"] == ERR + "invalidProfile"
    st, _, order = c.order([NAME], profile="shortlived")
    assert st == 201 and order["profile"] == "shortlived"
    assert {ch["type"] for ch in c.post(order["authorizations"][0], None)[2]["challenges"]} \
        == {"dns-01", "tls-alpn-01"}


def test_dns01_needs_every_server_then_issues(ca):
    c = Client(ca.directory_url, ca.https_ca_file)
    c.register()
    st, _, order = c.order([NAME])
    ch = c.challenge(order, "dns-01")
    lagging = ca.txt_servers[1]
    ca.txt_servers[0].txt["_acme-challenge.%s." % NAME] = keyauth_digest(c, ch["token"])
    assert c.post(ch["url"], {})[0] == 200
    authz = c.wait_authz(order)
    assert authz["status"] == "invalid"
    err = authz["challenges"][[x["type"] for x in authz["challenges"]].index("dns-01")]["error"]
    assert err["type"] == ERR + "dns" and "%s:%d" % lagging.addr in err["detail"], err
    v = ca.validations[-1]
    assert not v.ok and v.seen["%s:%d" % ca.txt_servers[0].addr] == [
        keyauth_digest(c, ch["token"])]
    # Both serve it: valid, and the chain leads to the mock's root.
    _, chain = issue(c, ca, [NAME], profile="shortlived")
    leaf, inter = chain
    signed_by(leaf, inter)
    signed_by(inter, x509.load_pem_x509_certificate(ca.root_file.read_bytes()))
    # The alternate chain: the same leaf, the intermediate signed by the second root.
    assert len(c.alternate) == 1, c.alternate
    alt_url = c.alternate[0].split(">")[0].lstrip("<")
    st, _, data = c.post(alt_url, None)
    assert st == 200
    alt_leaf, alt_inter = pem_chain(data)
    assert alt_leaf == leaf and alt_inter != inter
    signed_by(alt_leaf, alt_inter)
    signed_by(alt_inter, x509.load_pem_x509_certificate(ca.root2_file.read_bytes()))
    life = leaf.not_valid_after - leaf.not_valid_before
    assert datetime.timedelta(days=5) < life < datetime.timedelta(days=7)   # shortlived
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [NAME]
    assert ca.validations[-1].ok and len(ca.validations[-1].seen) == 2


def test_ari_window_and_replaces(ca):
    c = Client(ca.directory_url, ca.https_ca_file)
    c.register()
    _, chain = issue(c, ca, [NAME])
    cid = cert_id(chain[0])
    st, h, info = c.http("GET", c.dir["renewalInfo"] + "/" + cid)
    assert st == 200 and int(h["Retry-After"]) > 0
    start = datetime.datetime.strptime(info["suggestedWindow"]["start"], "%Y-%m-%dT%H:%M:%SZ")
    nb = chain[0].not_valid_before
    assert datetime.timedelta(days=59) < start - nb < datetime.timedelta(days=61)
    soon = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ca.ari_window = (soon, soon + datetime.timedelta(hours=1))
    info = c.http("GET", c.dir["renewalInfo"] + "/" + cid)[2]
    assert info["suggestedWindow"]["start"] == soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert c.http("GET", c.dir["renewalInfo"] + "/AAAA.AAAA")[0] == 404
    # A renewal must say what it replaces.
    ca.require_replaces = True
    st, _, prob = c.order([NAME])
    assert st == 400 and prob["type"] == ERR + "malformed" and "replaces" in prob["detail"]
    st, _, prob = c.order([NAME], replaces="bm90.b3Vycw")
    assert st == 400 and prob["type"] == ERR + "malformed"
    url, chain2 = issue(c, ca, [NAME], replaces=cid)
    assert ca.orders[url]["replaces"] == cid and ca.issued[cid].replaced
    assert c.order([NAME], replaces=cid)[2]["type"] == ERR + "alreadyReplaced"
    assert cert_id(chain2[0]) != cid
    assert [r.payload.get("replaces") for r in ca.requests_of("newOrder")
            if r.status == 201] == [None, cid]


def test_rate_limits(ca):
    c = Client(ca.directory_url, ca.https_ca_file)
    c.register()
    ca.order_limit = (2, 60)
    assert c.order([NAME])[0] == 201
    assert c.order([NAME])[0] == 201
    st, h, prob = c.order([NAME])
    assert st == 429 and prob["type"] == ERR + "rateLimited"
    assert 1 <= int(h["Retry-After"]) <= 60
    ca.order_limit = None
    ca.fail_next("newOrder", 429, "rateLimited", retry_after=7)
    st, h, prob = c.order([NAME])
    assert st == 429 and h["Retry-After"] == "7" and prob["type"] == ERR + "rateLimited"
    assert c.order([NAME])[0] == 201
    assert len(ca.problems("rateLimited")) == 2


def test_nonces_and_jws_checks(ca):
    c = Client(ca.directory_url, ca.https_ca_file)
    c.register()
    ca.bad_nonce_next(1)
    st, h, prob = c.order([NAME])
    assert st == 400 and prob["type"] == ERR + "badNonce" and h["Replay-Nonce"]
    assert c.order([NAME])[0] == 201                      # retried with the fresh nonce
    used = c.nonce = c.http("HEAD", c.dir["newNonce"])[1]["Replay-Nonce"]
    assert c.order([NAME])[0] == 201
    st, _, prob = c.http("POST", c.dir["newOrder"], c.jws(c.dir["newOrder"], {
        "identifiers": [{"type": "dns", "value": NAME}]}, nonce=used))
    assert st == 400 and prob["type"] == ERR + "badNonce"          # a nonce is used once
    other = ec.generate_private_key(ec.SECP256R1())
    st, _, prob = c.http("POST", c.dir["newOrder"], c.jws(c.dir["newOrder"], {
        "identifiers": [{"type": "dns", "value": NAME}]}, key=other))
    assert st == 400 and prob["type"] == ERR + "malformed" and "signature" in prob["detail"]
    st, _, prob = c.http("POST", c.dir["newOrder"], c.jws(c.dir["newOrder"], {
        "identifiers": [{"type": "dns", "value": NAME}]}, header_url=c.dir["newAccount"]))
    assert st == 401 and prob["type"] == ERR + "unauthorized"
    ca.forget_accounts()
    st, _, prob = c.order([NAME])
    assert st == 400 and prob["type"] == ERR + "accountDoesNotExist"
    assert c.register() == 201                                   # registered again
    assert c.order([NAME])[0] == 201
    assert all(r.protected is None or r.protected["alg"] == "ES256" for r in ca.requests)


def test_down(ca):
    c = Client(ca.directory_url, ca.https_ca_file)
    ca.down = True
    with pytest.raises((urllib.error.URLError, ConnectionError, ssl.SSLError, OSError)):
        c.http("GET", ca.directory_url)
    ca.down = False
    assert c.http("GET", ca.directory_url)[0] == 200


def test_tls_alpn01_against_httpsd(ca, tmp_path, zonectl_binary):
    """The mock validates tls-alpn-01 against the real httpsd, as a CA would."""
    c = Client(ca.directory_url, ca.https_ca_file)
    c.register()
    (tmp_path / "https").mkdir()
    with serving(tmp_path / "https", ("mta-sts.other.example",),
                 {"example.com": policy_text()}) as (st, h):
        ca.tls_alpn_target = (HOST4, h.port)
        # No entry in the store: invalid.
        _, _, order = c.order([NAME])
        ch = c.challenge(order, "tls-alpn-01")
        assert c.post(ch["url"], {})[0] == 200
        assert c.wait_authz(order)["status"] == "invalid"
        assert not ca.validations[-1].ok, ca.validations[-1]
        # The entry httpsd reads, with this order's key authorization: valid.
        _, _, order = c.order([NAME])
        ch = c.challenge(order, "tls-alpn-01")
        r = subprocess.run([str(ACME_ALPN_PUT), str(st.dir), NAME,
                            ch["token"] + "." + c.thumbprint()], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert c.post(ch["url"], {})[0] == 200
        assert c.wait_authz(order)["status"] == "valid", ca.validations[-1]
        v = ca.validations[-1]
        assert v.ok and v.type == "tls-alpn-01" and v.seen["critical"]
        # A wrong key authorization: the digest does not match.
        _, _, order = c.order([NAME])
        ch = c.challenge(order, "tls-alpn-01")
        assert c.post(ch["url"], {})[0] == 200
        authz = c.wait_authz(order)
        assert authz["status"] == "invalid"
        assert "digest" in ca.validations[-1].detail


@pytest.mark.parametrize("secondary", [NsdSecondary, KnotSecondary])
def test_dns01_asks_dnsd_and_a_real_secondary(ca, dnsd_factory, zc, tmp_path, secondary):
    """dns-01 against the real servers: dnsd and its NSD or Knot secondary. While the secondary
    is down the challenge fails and says which server lacked the TXT; once the secondary has
    the zone's new serial it passes, with both servers' answers recorded."""
    import_zone(zc, tmp_path, "$ORIGIN example.com.\n$TTL 300\n"
                "@ SOA ns1 hostmaster 10 3600 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n")
    d = dnsd_factory.start(zones=())
    nsd = secondary(tmp_path / "secondary", d.port, host="127.0.0.3")
    zc.ok("zone", "secondaries", "example.com.", "add", nsd.address)
    ca.dns_servers = [(HOST4, d.port), (nsd.host, nsd.port)]
    c = Client(ca.directory_url, ca.https_ca_file)
    c.register()
    try:
        _, _, order = c.order([NAME])
        ch = c.challenge(order, "dns-01")
        zc.ok("rr", "add", "example.com.", '_acme-challenge.mta-sts 60 IN TXT "%s"'
              % keyauth_digest(c, ch["token"]))
        assert c.post(ch["url"], {})[0] == 200
        authz = c.wait_authz(order)
        assert authz["status"] == "invalid"
        v = ca.validations[-1]
        assert nsd.address in v.detail and "%s:%d" % (HOST4, d.port) not in v.detail, v
        assert v.seen["%s:%d" % (HOST4, d.port)] == [keyauth_digest(c, ch["token"])]
        zc.ok("rr", "del", "example.com.", "_acme-challenge.mta-sts", "TXT")
        nsd.start()
        nsd.wait_serial(12)
        _, _, order = c.order([NAME])
        ch = c.challenge(order, "dns-01")
        zc.ok("rr", "add", "example.com.", '_acme-challenge.mta-sts 60 IN TXT "%s"'
              % keyauth_digest(c, ch["token"]))
        nsd.wait_serial(13)
        assert c.post(ch["url"], {})[0] == 200
        assert c.wait_authz(order)["status"] == "valid", ca.validations[-1]
        assert ca.validations[-1].ok and len(ca.validations[-1].seen) == 2
    finally:
        nsd.stop()
