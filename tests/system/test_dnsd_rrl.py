"""Response rate limiting: a burst of UDP queries from one /24 is cut to the rate, every
second limited answer slips out empty with TC, and TCP, other prefixes and clients with a
valid DNS cookie are never limited. The counters show in `zonectl stats`; SIGHUP changes
the rate live.

A burst is sent from a source address of its own (127.0.0.0/8 is all local), so tests do
not share a bucket, and the rate is set low so that a burst needs no precise timing.
"""

import os
import socket
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode

from dnsd_helpers import dnsd_counters, dnsd_factory, make_query, show  # noqa: F401
from proc_helpers import as_root_config, sighup, wait_until

RATE = 20
BURST = 200
COOKIE = 10
# Loopback is exempt by default; these tests flood from it, so exempt something else.
NO_EXEMPT = "    rrl-exempt: 192.0.2.0/24\n"


def burst(d, source, n=BURST, options=None, name="www.example.com", rdtype="A"):
    """n queries sent at once from source; (full answers, TC answers, answers) within 2 s."""
    q = make_query(name, rdtype, edns=0, options=options)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((source, 0))
    full = tc = 0
    answers = []
    try:
        for i in range(n):
            q.id = i
            s.sendto(q.to_wire(), ("127.0.0.1", d.port))
        s.settimeout(0.5)
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                wire = s.recv(4096)
            except socket.timeout:
                break
            r = dns.message.from_wire(wire)
            answers.append(r)
            if r.flags & dns.flags.TC:
                assert not r.answer, "a slipped answer carries data:\n%s" % show(r)
                tc += 1
            else:
                assert r.rcode() == dns.rcode.NOERROR and r.answer, show(r)
                full += 1
    finally:
        s.close()
    return full, tc, answers


def start(dnsd_factory, rate=RATE, slip=2):
    return dnsd_factory.start(config=as_root_config(
        "dnsd:\n    rrl-rate: %d\n    rrl-slip: %d\n%s" % (rate, slip, NO_EXEMPT), "dnsd"))


def test_burst_is_limited_and_slips(dnsd_factory):
    d = start(dnsd_factory)
    full, tc, answers = burst(d, "127.0.2.1")
    # One second's worth, or two when the burst straddles a second.
    assert RATE <= full <= 2 * RATE, "full answers: %d of %d" % (full, BURST)
    limited = BURST - full
    assert abs(tc - limited / 2) <= 2, "slip 2: want about %d TC answers, got %d" % (
        limited / 2, tc)
    # A slipped answer keeps the question and the OPT, so the client retries over TCP.
    slipped = [r for r in answers if r.flags & dns.flags.TC]
    assert slipped[0].question and slipped[0].edns == 0, show(slipped[0])
    # TCP from the same address is never limited.
    for _ in range(30):
        r = d.query("www.example.com", "A", tcp=True)
        assert r.rcode() == dns.rcode.NOERROR and r.answer, show(r)
    # Another /24 has its own limit, even now.
    full2, _, _ = burst(d, "127.0.3.1", n=RATE)
    assert full2 == RATE
    # The counters (dnsd writes them every second).
    assert wait_until(lambda: dnsd_counters(d.state).get("rrl.dropped", 0) >= limited - tc - 2,
                      5), dnsd_counters(d.state)
    st = dnsd_counters(d.state)
    assert st["rrl.slipped"] >= tc and st["rrl.dropped"] > 0, st


def test_kinds_and_names_apart(dnsd_factory):
    d = start(dnsd_factory)
    full, _, _ = burst(d, "127.0.4.1")
    assert full <= 2 * RATE
    # Data for another name has its own bucket; random names under one zone share one.
    full, _, _ = burst(d, "127.0.4.1", n=RATE, name="mail.example.com")
    assert full == RATE, "another name is limited by the first name's burst"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.4.1", 0))
    s.settimeout(0.5)
    got = 0
    for i in range(BURST):
        q = make_query("r%d.nx.example.com" % i, "A", edns=0)
        s.sendto(q.to_wire(), ("127.0.0.1", d.port))
    try:
        while True:
            r = dns.message.from_wire(s.recv(4096))
            if not r.flags & dns.flags.TC:
                assert r.rcode() == dns.rcode.NXDOMAIN, show(r)
                got += 1
    except socket.timeout:
        pass
    s.close()
    assert RATE <= got <= 2 * RATE, "NXDOMAIN for random names: %d answered in full" % got


def test_valid_cookie_is_not_limited(dnsd_factory):
    d = start(dnsd_factory)
    # The cookie is learnt from the address that then floods (it hashes the address).
    _, _, first = burst(d, "127.0.5.1", n=1,
                        options=[dns.edns.GenericOption(COOKIE, os.urandom(8))])
    cookie = [o.data for o in first[0].options if o.otype == COOKIE][0]
    full, tc, _ = burst(d, "127.0.5.1", options=[dns.edns.GenericOption(COOKIE, cookie)])
    assert full == BURST and tc == 0, "a client with a valid cookie was limited: %d/%d" % (
        full, BURST)
    # A client cookie alone proves nothing: limited.
    full, tc, _ = burst(d, "127.0.6.1",
                        options=[dns.edns.GenericOption(COOKIE, os.urandom(8))])
    assert full <= 2 * RATE and tc > 0


def test_default_rate_and_reload(dnsd_factory):
    d = dnsd_factory.start(config=as_root_config("dnsd:\n" + NO_EXEMPT, "dnsd"))
    full, tc, _ = burst(d, "127.0.7.1", n=150)
    assert full == 150 and tc == 0, "the default rate (200/s) cut a burst of 150"
    # SIGHUP: a low rate applies at once, then 0 turns the limit off.
    d.config.write_text(as_root_config("dnsd:\n    rrl-rate: %d\n%s" % (RATE, NO_EXEMPT),
                                       "dnsd"))
    hup(d)
    full, tc, _ = burst(d, "127.0.8.1")
    assert full <= 2 * RATE and tc > 0
    d.config.write_text(as_root_config("dnsd:\n    rrl-rate: 0\n%s" % NO_EXEMPT, "dnsd"))
    hup(d)
    full, tc, _ = burst(d, "127.0.8.1")
    assert full == BURST and tc == 0
    # Back on, with the flooding /24 exempt: not limited either.
    d.config.write_text(as_root_config("dnsd:\n    rrl-rate: %d\n    rrl-exempt: 127.0.9.0/24\n"
                                       % RATE, "dnsd"))
    hup(d)
    full, tc, _ = burst(d, "127.0.9.1")
    assert full == BURST and tc == 0, "an exempt prefix was limited"
    full, tc, _ = burst(d, "127.0.10.1")
    assert full <= 2 * RATE and tc > 0


def test_loopback_exempt_by_default(dnsd_factory):
    d = dnsd_factory.start(config=as_root_config("dnsd:\n    rrl-rate: %d\n" % RATE, "dnsd"))
    full, tc, _ = burst(d, "127.0.11.1")
    assert full == BURST and tc == 0


def hup(d):
    sighup(d)
    assert not any("rrl" in l and "restart" in l for l in d.log_lines()), d.log_text()
