"""DNS COOKIES (RFC 7873) with RFC 9018 server cookies, and OPT in every answer to an EDNS query.

A client sends an 8-byte client cookie and learns a 16-byte server cookie (version 1, a time
stamp, SipHash-2-4); sent back, it is valid and returned unchanged while it is fresh. Cookies
work over UDP and TCP, a query with no question asks for a cookie alone (BADCOOKIE until the
client has one of ours), and two servers sharing `cookie-secret` accept each other's cookies,
as anycast peers must. kdig (Knot's dig) checks the same from outside.
"""

import os
import re
import shutil
import struct
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest

from conftest import Zonectl
from dnsd_helpers import (DNSD, EXAMPLE_ZONES, assert_rcode, dnsd_factory,  # noqa: F401
                          example_server, find, header, make_query, rdatas, show)

COOKIE = 10
BADCOOKIE = 23
SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"


@pytest.fixture(scope="module")
def srv(example_server):
    return example_server


def cookie_of(msg):
    """The COOKIE option's bytes in an answer, or None."""
    for o in msg.options:
        if o.otype == COOKIE:
            return o.data
    return None


def ask(srv, cookie, tcp=False, name="www.example.com"):
    q = make_query(name, "A", options=[dns.edns.GenericOption(COOKIE, cookie)])
    return srv.send(q, tcp=tcp)


def check_server_cookie(c, client, msg):
    assert c is not None, "no COOKIE option in the answer:\n%s" % show(msg)
    assert len(c) == 24, "want client cookie + 16-byte server cookie, got %d bytes" % len(c)
    assert c[:8] == client, "the client cookie is not echoed:\n%s" % show(msg)
    version, reserved, stamp = c[8], c[9:12], struct.unpack("!I", c[12:16])[0]
    assert version == 1 and reserved == b"\0\0\0", "not an RFC 9018 cookie: %s" % c.hex()
    assert abs(stamp - time.time()) < 60, "time stamp %d is not now" % stamp


def test_client_cookie_learns_server_cookie(srv):
    client = os.urandom(8)
    r = ask(srv, client)
    assert_rcode(r, dns.rcode.NOERROR)
    assert "192.0.2.80" in rdatas(find(r, "answer", "www.example.com", "A")), show(r)
    first = cookie_of(r)
    check_server_cookie(first, client, r)
    # Sent back: valid, and fresh, so the same cookie comes back.
    r = ask(srv, first)
    assert_rcode(r, dns.rcode.NOERROR)
    assert cookie_of(r) == first, "a fresh valid cookie should come back unchanged"


def test_cookie_over_tcp(srv):
    client = os.urandom(8)
    r = ask(srv, client, tcp=True)
    assert_rcode(r, dns.rcode.NOERROR)
    check_server_cookie(cookie_of(r), client, r)


def test_foreign_server_cookie_answered_with_ours(srv):
    client = os.urandom(8)
    for foreign in (client + bytes(16), client + b"\x01" + bytes(15), client + os.urandom(32)):
        r = ask(srv, foreign)
        # RFC 7873 5.2.4: not ours, so treated as a client cookie alone; the answer is normal.
        assert_rcode(r, dns.rcode.NOERROR)
        c = cookie_of(r)
        check_server_cookie(c, client, r)
        assert c != foreign[:24]


@pytest.mark.parametrize("length", [1, 7, 9, 15, 41])
def test_malformed_cookie_formerr_with_opt(srv, length):
    r = ask(srv, os.urandom(length))
    # RFC 7873 5.2.2: FORMERR; the OPT parsed, so the answer carries one.
    assert r.rcode() == dns.rcode.FORMERR, show(r)
    assert r.edns == 0, "FORMERR to an EDNS query without OPT:\n%s" % show(r)
    assert cookie_of(r) is None


def no_question(cookie):
    """A query with QDCOUNT 0 and an OPT holding a COOKIE option (RFC 7873 5.4)."""
    opt = struct.pack("!HH", COOKIE, len(cookie)) + cookie
    return (struct.pack("!HHHHHH", 0x4d2, 0, 0, 0, 0, 1) +
            b"\0" + struct.pack("!HHIH", 41, 1232, 0, len(opt)) + opt)


def test_query_without_question_gets_a_cookie(srv):
    client = os.urandom(8)
    r = dns.message.from_wire(srv.udp_raw(no_question(client)))
    assert r.rcode() == BADCOOKIE, "want BADCOOKIE for a client cookie alone:\n%s" % show(r)
    c = cookie_of(r)
    check_server_cookie(c, client, r)
    r = dns.message.from_wire(srv.udp_raw(no_question(c)))
    assert r.rcode() == dns.rcode.NOERROR, "want NOERROR with a valid cookie:\n%s" % show(r)
    assert cookie_of(r) == c


def test_query_without_question_and_cookie_is_formerr(srv):
    wire = struct.pack("!HHHHHH", 7, 0, 0, 0, 0, 1) + b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    r = dns.message.from_wire(srv.udp_raw(wire))
    assert r.rcode() == dns.rcode.FORMERR, show(r)
    assert r.edns == 0, "FORMERR without the OPT the query had:\n%s" % show(r)
    # Without EDNS, no OPT: header only.
    wire = struct.pack("!HHHHHH", 8, 0, 0, 0, 0, 0)
    answer = srv.udp_raw(wire)
    assert header(answer)[1] & 0xF == dns.rcode.FORMERR
    assert struct.unpack("!H", answer[10:12])[0] == 0


def test_notimp_and_two_questions_keep_opt(srv):
    q = make_query("www.example.com", "A", edns=0)
    q.set_opcode(2)                  # STATUS: not implemented
    r = dns.message.from_wire(srv.udp_raw(q.to_wire()))
    assert r.rcode() == dns.rcode.NOTIMP and r.edns == 0, show(r)
    q = make_query("www.example.com", "A", edns=0)
    wire = bytearray(q.to_wire())
    # A second question, inserted after the first: QDCOUNT 2 is FORMERR (RFC 9619).
    qend = 12 + len(b"\x03www\x07example\x03com\x00") + 4
    wire[4:6] = struct.pack("!H", 2)
    wire[qend:qend] = wire[12:qend]
    answer = srv.udp_raw(bytes(wire))
    assert header(answer)[1] & 0xF == dns.rcode.FORMERR
    srv.assert_alive()


def peer(dnsd_factory, tmp_path, name, secret):
    """A dnsd with a store of its own (one dnsd per store), serving the example zones."""
    (tmp_path / name).mkdir()
    zc = Zonectl(tmp_path / name)
    for z in EXAMPLE_ZONES:
        zc.ok("zone", "import", z)
    return dnsd_factory.start(zones=(), state=zc.state,
                              config="dnsd:\n    cookie-secret: %s\n" % secret)


def test_shared_secret_between_servers(dnsd_factory, tmp_path):
    """Two servers with the same cookie-secret, as anycast peers: each accepts the other's."""
    a = peer(dnsd_factory, tmp_path, "a", SECRET)
    b = peer(dnsd_factory, tmp_path, "b", SECRET)
    c = cookie_of(ask(a, os.urandom(8)))
    r = ask(b, c)
    assert cookie_of(r) == c, "the peer did not accept the shared-secret cookie:\n%s" % show(r)
    # A server with another secret does not: it answers with its own.
    other = peer(dnsd_factory, tmp_path, "other", "00" * 16)
    r = ask(other, c)
    assert_rcode(r, dns.rcode.NOERROR)
    assert cookie_of(r) != c and cookie_of(r)[:8] == c[:8]


def test_secret_rollover(dnsd_factory, tmp_path):
    old, new = SECRET, "0f" * 16
    a = peer(dnsd_factory, tmp_path, "old", old)
    c = cookie_of(ask(a, os.urandom(8)))
    b = peer(dnsd_factory, tmp_path, "both", "%s %s" % (new, old))
    n = cookie_of(ask(b, c))
    assert n[:8] == c[:8] and n != c, "the old secret's cookie is remade with the new secret"
    # The new cookie is the new secret's own: returned unchanged.
    assert cookie_of(ask(b, n)) == n


def test_cookies_off(dnsd_factory):
    d = dnsd_factory.start(config="dnsd:\n    cookies: no\n")
    r = ask(d, os.urandom(8))
    assert_rcode(r, dns.rcode.NOERROR)
    assert r.edns == 0 and cookie_of(r) is None, show(r)


def test_bad_secret_refused(dnsd_factory, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("dnsd:\n    cookie-secret: 0123456789abcdef\n")
    p = subprocess.run([str(DNSD), "-n", "-c", str(conf)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    assert "bad.conf:2" in p.stderr and "cookie-secret" in p.stderr, p.stderr
    assert "0123456789abcdef" not in p.stderr, "the secret is echoed in the error"


def test_kdig_sees_cookies(srv):
    out = subprocess.run([KDIG, "@127.0.0.1", "-p", str(srv.port), "+cookie", "+norec",
                          "www.example.com", "A"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    m = re.search(r"COOKIE: ([0-9A-Fa-f]{16})([0-9A-Fa-f]{32})", out.stdout)
    assert m, "kdig shows no server cookie:\n" + out.stdout
    # kdig +cookie=HEX sends a known cookie; ours comes back unchanged while fresh.
    full = m.group(1) + m.group(2)
    out = subprocess.run([KDIG, "@127.0.0.1", "-p", str(srv.port), "+cookie=" + full, "+norec",
                          "www.example.com", "A"], capture_output=True, text=True, timeout=30)
    assert full.lower() in out.stdout.lower(), out.stdout
    assert "NOERROR" in out.stdout
