"""httpsd under hostile input: garbage instead of TLS, broken records after a handshake, resets
mid-handshake and mid-answer, a pipelining flood that never reads, many handshakes at once.
After each, httpsd still runs and serves the policy correctly."""

import os
import random
import socket
import ssl
import struct
import threading

import pytest

from httpsd_helpers import HOST4, get_request, policy_text, read_response, serving, wait_closed

HOST = "mta-sts.example.com"
BODY = policy_text()


@pytest.fixture(scope="module")
def env(tmp_path_factory, zonectl_binary):
    with serving(tmp_path_factory.mktemp("httpsd-robust"), (HOST,), {"example.com": BODY},
                 config="httpsd:\n    header-timeout: 2\n    access-log: no\n") as (st, h):
        yield st, h


def assert_serves(st, h):
    assert h.running(), h.log_text()
    with h.tls(cafile=st.ca) as s:
        s.sendall(get_request())
        status, _, body, _ = read_response(s)
        assert status == 200 and body == BODY


def reset(sock):
    """Close with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_garbage_instead_of_tls(env):
    st, h = env
    rnd = random.Random(8461)
    samples = [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\xff\xff" + b"\x00" * 64,
               b"\x16\x03\x03\x00\x05\x01\x00\x00\x01\x00", b"\x80\x2e\x01\x03\x01", b"\x00"]
    samples += [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 3000)))
                for _ in range(40)]
    for data in samples:
        with socket.create_connection((HOST4, h.port), timeout=5) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            assert wait_closed(s, 4) is not None, data[:20]
    assert_serves(st, h)


def client_hello(st):
    """The bytes of a ClientHello for HOST (Python's ssl through memory BIOs)."""
    ctx = ssl.create_default_context(cafile=str(st.ca))
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=HOST)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def handshake_raw(st, h):
    """A plain socket on which a TLS handshake with httpsd has completed."""
    ctx = ssl.create_default_context(cafile=str(st.ca))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=HOST)
    raw = socket.create_connection((HOST4, h.port), timeout=5)
    for _ in range(20):
        try:
            obj.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        data = out.read()
        if data:
            raw.sendall(data)
        if done:
            return raw
        chunk = raw.recv(65536)
        assert chunk, "httpsd closed during the handshake"
        inc.write(chunk)
    raw.close()
    pytest.fail("handshake did not finish")


def test_garbage_after_handshake(env):
    st, h = env
    for junk in (b"\x17\x03\x03\x00\x20" + os.urandom(32), b"\x15\x03\x03\x00\x02\x02\x28",
                 b"\x16\x03\x03\x00\x04\x00\x00\x00\x00", b"\x17\x03\x03\xff\xff",
                 os.urandom(500)):
        with handshake_raw(st, h) as raw:
            raw.sendall(junk)        # bytes that are no valid record of this session
            raw.shutdown(socket.SHUT_WR)
            assert wait_closed(raw, 4) is not None, junk[:8]
    assert_serves(st, h)


def test_resets(env):
    st, h = env
    hello = client_hello(st)
    for cut in (1, 5, 50, len(hello) - 1, len(hello)):
        raw = socket.create_connection((HOST4, h.port), timeout=5)
        raw.sendall(hello[:cut])
        reset(raw)
    for _ in range(5):
        # Reset while answers are being written, many requests in flight.
        s = h.tls(cafile=st.ca)
        s.sendall(get_request() * 50)
        reset(s)
    assert_serves(st, h)


def test_pipeline_flood_without_reading(env):
    st, h = env
    s = h.tls(cafile=st.ca)
    try:
        s.settimeout(5)
        sent = 0
        try:
            for _ in range(2000):          # about 90 KB of requests, never reading an answer
                s.sendall(get_request())
                sent += 1
        except (socket.timeout, ConnectionError, ssl.SSLError):
            pass
        assert sent > 0
    finally:
        reset(s)
    assert_serves(st, h)


def test_many_handshakes_at_once(env):
    st, h = env
    errors = []

    def one():
        try:
            with h.tls(cafile=st.ca, timeout=20) as s:
                s.sendall(get_request())
                if read_response(s, timeout=20)[2] != BODY:
                    errors.append("wrong body")
        except Exception as e:          # collected, asserted below
            errors.append(repr(e))
    threads = [threading.Thread(target=one) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert_serves(st, h)


def test_pipelined_burst_all_answered(env):
    """Hundreds of requests in a few TLS records are all answered, in order, with no stall."""
    st, h = env
    n = 600
    with h.tls(cafile=st.ca, timeout=20) as s:
        s.sendall(b"".join(get_request(method="HEAD" if i % 2 else "GET",
                                       path="/.well-known/mta-sts.txt" if i % 3 else "/x")
                           for i in range(n)))
        rest = b""
        for i in range(n):
            status, hdr, body, rest = read_response(s, head_only=bool(i % 2), pending=rest,
                                                    timeout=20)
            assert status == (200 if i % 3 else 404), i
            assert body == (b"" if i % 2 else (BODY if i % 3 else b"Not Found\n")), i
    assert_serves(st, h)
