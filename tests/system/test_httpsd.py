"""httpsd against curl, openssl s_client and Python's ssl: the policy route, errors, TLS rules,
live certificate and body changes, keep-alive, limits, -n and a clean SIGTERM.

Policies are put into the store with build/tests/sts_put_body until `zonectl mta-sts enable`
exists; certificates come from `zonectl cert demo-ca` and `zonectl cert issue`.
"""

import os
import socket
import ssl
import time

import pytest

from httpsd_helpers import (HOST4, check_config, get_request, httpsd_factory,  # noqa: F401
                            make_state, policy_text, read_response, serving, wait_closed)
from proc_helpers import wait_until

HOST = "mta-sts.example.com"
NOPOLICY = "mta-sts.nopolicy.example"
BODY = policy_text()


@pytest.fixture(scope="module")
def env(tmp_path_factory, zonectl_binary):
    """One state dir and one httpsd (2 workers) for the module's read-mostly tests."""
    with serving(tmp_path_factory.mktemp("httpsd"),
                 (HOST, NOPOLICY, "mta-sts.rotate.example", "mta-sts.mode.example"),
                 {"example.com": BODY, "rotate.example": policy_text(mx="rotate.example.com"),
                  "mode.example": policy_text(mx="mode.example.com")}) as (st, h):
        yield st, h


def test_get_policy_with_curl(env, tmp_path):
    st, h = env
    out = tmp_path / "body"
    r = h.curl("-o", str(out), "-w", "%{http_code} %{content_type} %{ssl_verify_result}",
               h.url(), cacert=st.ca)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "200 text/plain 0"
    assert out.read_bytes() == BODY
    want = "httpsd: access: 127.0.0.1 %s GET /.well-known/mta-sts.txt 200 %d" % (HOST, len(BODY))
    assert h.wait_log(want), h.log_text()


def test_head_has_no_body(env):
    st, h = env
    with h.tls(cafile=st.ca) as s:
        s.sendall(get_request(method="HEAD") + get_request())
        status, hdr, body, rest = read_response(s, head_only=True)
        assert status == 200 and body == b""
        assert hdr["content-length"] == str(len(BODY))
        assert hdr["content-type"] == "text/plain"
        # The very next bytes are the second answer's head, not a body.
        status, hdr, body, rest = read_response(s, pending=rest)
        assert status == 200 and body == BODY


@pytest.mark.parametrize("request_bytes,status", [
    (get_request(path="/"), 404),
    (get_request(path="/.well-known/mta-sts.txt.bak"), 404),
    (get_request(host=NOPOLICY), 421),
    (get_request(method="POST"), 405),
    (get_request(method="DELETE"), 405),
    (b"GET /.well-known/mta-sts.txt HTTP/1.1\r\n\r\n", 400),
    (b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: mta-sts.example.com\r\n\r\n", 505),
    (get_request(method="POST", extra="Content-Length: 100000\r\n"), 413),
])
def test_error_statuses(env, request_bytes, status):
    st, h = env
    with h.tls(cafile=st.ca) as s:
        s.sendall(request_bytes)
        got, hdr, body, _ = read_response(s)
        assert got == status, body
        assert hdr["content-type"] == "text/plain"
        assert "location" not in hdr           # never a redirect
        if status == 405:
            assert hdr["allow"] == "GET, HEAD"
        if status in (400, 413, 505):
            assert hdr.get("connection") == "close"
            assert wait_closed(s, 3) is not None


def test_no_policy_is_404(env):
    st, h = env
    r = h.curl("-w", "%{http_code}", "-o", "/dev/null", h.url(host=NOPOLICY), host=NOPOLICY,
               cacert=st.ca)
    assert r.returncode == 0 and r.stdout == b"404", r.stderr


def test_unknown_name_gets_an_alert(env):
    st, h = env
    r = h.curl(h.url(host="other.example"), host="other.example", cacert=st.ca)
    assert r.returncode == 35, r.stderr             # CURLE_SSL_CONNECT_ERROR
    assert b"unrecognized name" in r.stderr
    for args in (["-servername", "other.example"], ["-servername", "mta-sts.unknown.example"],
                 ["-noservername"]):
        rc, out = h.s_client(*args)
        assert rc != 0 and "alert number 112" in out, out     # unrecognized_name
        assert "BEGIN CERTIFICATE" not in out and "Server certificate" not in out


def test_unknown_mta_sts_name_logged_once(env):
    """A client asking for an mta-sts name without a certificate: logged once per name, so a
    missing certificate shows, and a client trying names fills no log."""
    st, h = env
    for _ in range(3):
        rc, out = h.s_client("-servername", "mta-sts.nocert.example")
        assert rc != 0 and "alert number 112" in out, out
    h.s_client("-servername", "mta-sts.nocert2.example")
    want = "no certificate for mta-sts.nocert.example in %s/certs" % st.dir
    assert h.wait_log(want), h.log_text()
    assert h.wait_log("no certificate for mta-sts.nocert2.example"), h.log_text()
    time.sleep(0.3)
    assert sum(want in l for l in h.log_lines()) == 1, h.log_text()


def test_tls_12_only(env):
    st, h = env
    rc, out = h.s_client("-servername", HOST, "-tls1_2", "-CAfile", str(st.ca))
    assert rc == 0 and "Protocol  : TLSv1.2" in out and "Verify return code: 0" in out, out
    # The server's order: ChaCha20-Poly1305 first (mbedTLS's is cheaper), AES-GCM for a
    # client without it.
    assert "ECDHE-ECDSA-CHACHA20-POLY1305" in out, out
    rc, out = h.s_client("-servername", HOST, "-tls1_2", "-CAfile", str(st.ca), "-cipher",
                         "ECDHE-ECDSA-AES128-GCM-SHA256")
    assert rc == 0 and "ECDHE-ECDSA-AES128-GCM-SHA256" in out, out
    rc, out = h.s_client("-servername", HOST, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert rc != 0 and "alert protocol version" in out, out
    rc, out = h.s_client("-servername", HOST, "-tls1_3")
    assert rc != 0 and "Cipher is (NONE)" in out, out
    # Only AEAD suites: a CBC-only client finds nothing in common.
    rc, out = h.s_client("-servername", HOST, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256")
    assert rc != 0 and "handshake failure" in out, out
    with h.tls(cafile=st.ca) as s:
        assert s.version() == "TLSv1.2"
        assert s.cipher()[0].startswith("ECDHE-ECDSA-") and ("GCM" in s.cipher()[0] or
                                                          "CHACHA20" in s.cipher()[0])


def test_session_resumption(env):
    st, h = env
    ctx = ssl.create_default_context(cafile=str(st.ca))
    with h.tls(ctx=ctx) as s:
        assert not s.session_reused
        s.sendall(get_request())
        read_response(s)
        session = s.session
    with h.tls(ctx=ctx, session=session) as s:
        assert s.session_reused
        s.sendall(get_request())
        assert read_response(s)[0] == 200


def test_keep_alive_and_pipelining(env):
    st, h = env
    r = h.curl("-w", "%{num_connects} ", "-o", "/dev/null", "-o", "/dev/null", h.url(),
               h.url(), cacert=st.ca)
    assert r.returncode == 0 and r.stdout.split() == [b"1", b"0"], (r.stdout, r.stderr)
    with h.tls(cafile=st.ca) as s:
        s.sendall(get_request() + get_request(path="/nothing") + get_request(method="HEAD"))
        first = read_response(s)
        second = read_response(s, pending=first[3])
        third = read_response(s, head_only=True, pending=second[3])
        assert (first[0], second[0], third[0]) == (200, 404, 200)
        assert first[2] == BODY and third[2] == b""
        # Still open for a fourth.
        s.sendall(get_request())
        assert read_response(s)[2] == BODY


def test_connection_close_and_http10(env):
    st, h = env
    with h.tls(cafile=st.ca) as s:
        s.sendall(get_request(extra="Connection: close\r\n"))
        status, hdr, body, _ = read_response(s)
        assert status == 200 and body == BODY and hdr.get("connection") == "close"
        assert wait_closed(s, 3) is not None
    with h.tls(cafile=st.ca) as s:
        s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.0\r\n\r\n")
        status, hdr, body, _ = read_response(s)
        assert status == 200 and body == BODY
        assert wait_closed(s, 3) is not None


def test_header_too_large(env):
    st, h = env
    with h.tls(cafile=st.ca) as s:
        big = get_request(extra="X-Big: %s\r\n" % ("a" * 9000))
        try:
            s.sendall(big)
        except (ConnectionError, ssl.SSLError):
            pass
        status, hdr, _, _ = read_response(s)
        assert status == 431 and hdr.get("connection") == "close"
        assert wait_closed(s, 3) is not None


def test_body_change_seen_by_next_request(env):
    st, h = env
    new = policy_text(mx="mx2.example.com", mode="testing")
    with h.tls(cafile=st.ca) as s:
        s.sendall(get_request())
        assert read_response(s)[2] == BODY
        st.put_body("example.com", new)
        try:
            s.sendall(get_request())
            assert read_response(s)[2] == new      # same connection, next request
        finally:
            st.put_body("example.com", BODY)


def peer_serial(h, st, host):
    with h.tls(sni=host, cafile=st.ca) as s:
        return s.getpeercert()["serialNumber"]


def name_refused(h, st, host):
    """True when the handshake for host fails with unrecognized_name (no usable certificate)."""
    try:
        peer_serial(h, st, host)
    except ssl.SSLError as e:
        return "UNRECOGNIZED_NAME" in str(e) or "unrecognized name" in str(e)
    return False


def name_served(h, st, host):
    try:
        return bool(peer_serial(h, st, host))
    except ssl.SSLError:
        return False


def test_replaced_certificate_used_without_restart(env):
    st, h = env
    host = "mta-sts.rotate.example"
    pid = h.proc.pid
    old = peer_serial(h, st, host)
    st.issue(host)
    # The cache looks again at most once a second.
    assert wait_until(lambda: peer_serial(h, st, host) != old, 4, step=0.2), \
        "the old certificate is still served"
    assert h.proc.pid == pid and h.running()


def test_exposed_key_refused(env):
    st, h = env
    host = "mta-sts.mode.example"
    assert peer_serial(h, st, host)
    key = st.key(host)
    os.chmod(key, 0o644)
    try:
        assert wait_until(lambda: name_refused(h, st, host), 4, step=0.2), \
            "a 0644 key is still used"
        assert h.wait_log("readable by group or others (mode 0644"), h.log_text()
        r = check_config(st.dir, h.config)
        assert r.returncode == 1 and "mode 0644" in r.stderr, r.stderr
    finally:
        os.chmod(key, 0o600)
    assert wait_until(lambda: name_served(h, st, host), 4, step=0.2), \
        "the key is not used again after chmod 0600"


def test_check_config(env, tmp_path):
    st, h = env
    r = check_config(st.dir, h.config)
    assert r.returncode == 0 and r.stdout == "configuration OK\n", r.stderr
    assert "4 certificates usable" in r.stderr
    r = check_config(tmp_path / "none", h.config)
    assert r.returncode == 1 and "configuration OK" not in r.stdout
    assert "certs" in r.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("httpsd:\n    max-header-size: 10\n")
    r = check_config(st.dir, bad)
    assert r.returncode == 1 and "bad.conf:2" in r.stderr and "max-header-size" in r.stderr


def test_timeouts(httpsd_factory, tmp_path):
    st = make_state(tmp_path, (HOST,), {"example.com": BODY})
    h = httpsd_factory.start(st.dir, workers=1, config="httpsd:\n    header-timeout: 1\n"
                                                "    idle-timeout: 1\n    access-log: no\n")
    # No TLS at all, then a slow head: closed after header-timeout.
    with socket.create_connection((HOST4, h.port), timeout=5) as raw:
        t = wait_closed(raw, 4)
        assert t is not None and 0.7 < t < 3, t
    with h.tls(cafile=st.ca) as s:
        s.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: ")
        t = wait_closed(s, 4)
        assert t is not None and t < 3, t
    # Idle keep-alive: closed after idle-timeout, not before.
    with h.tls(cafile=st.ca) as s:
        s.sendall(get_request())
        assert read_response(s)[0] == 200
        start = time.monotonic()
        t = wait_closed(s, 4)
        assert t is not None and 0.7 < time.monotonic() - start < 3
    assert not any("access:" in l for l in h.log_lines())     # access-log: no


def policy_status(h, st):
    """The status of one GET of the policy on a new connection; None when refused."""
    try:
        with h.tls(cafile=st.ca) as s:
            s.sendall(get_request())
            return read_response(s)[0]
    except (ssl.SSLError, ConnectionError, OSError):
        return None


def test_trusted_not_counted_per_address(httpsd_factory, tmp_path):
    """This host's publish step opens fetch-concurrency connections: local is never limited."""
    st = make_state(tmp_path, (HOST,), {"example.com": BODY})
    h = httpsd_factory.start(st.dir, workers=2, config="httpsd:\n    max-per-address: 2\n")
    held = []
    try:
        for _ in range(5):
            held.append(h.tls(cafile=st.ca))
        for s in held:
            s.sendall(get_request())
            assert read_response(s)[0] == 200
    finally:
        for s in held:
            s.close()


def test_connections_per_address(httpsd_factory, tmp_path):
    st = make_state(tmp_path, (HOST,), {"example.com": BODY})
    # Trusted clients (this host, by default) are not counted: 127.0.0.1 is made a stranger.
    h = httpsd_factory.start(st.dir, workers=2, config="httpsd:\n    max-per-address: 2\n"
                             "    trusted: 192.0.2.1\n")
    held = []
    try:
        for _ in range(2):
            held.append(h.tls(cafile=st.ca))
        for s in held:
            s.sendall(get_request())
            assert read_response(s)[0] == 200
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            extra = h.tls(cafile=st.ca)
            extra.sendall(get_request())
            read_response(extra)
        held.pop().close()
        assert wait_until(lambda: policy_status(h, st) == 200, 3, step=0.1), \
            "a slot freed by a close is not given to a new connection"
    finally:
        for s in held:
            s.close()
