"""dnsd's answer cache (dnsd.answer-cache): a kept answer never outlives the data it was built
from, keeps the case the client wrote, and answers exactly as a built one does.
"""

import time

import dns.message
import dns.rcode

from dnsd_helpers import (assert_aa, assert_rcode, dnsd_counters, dnsd_factory,  # noqa: F401
                          find, make_query, rdatas, show)

NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
CHANGES = 20         # changes in a row, each checked by the very next query
ASKS = 6             # queries before each change: every worker's cache holds the answer
NO_CACHE = "dnsd:\n    answer-cache: 0\n"
STATS_WAIT = 10.0    # seconds for dnsd.stats (written every second) to show the answers


def addresses(d, name, tcp=False):
    r = d.query(name, "A", tcp=tcp)
    assert_rcode(r, NOERROR)
    return rdatas(find(r, "answer", name, "A"))


def test_change_is_answered_at_once(dnsd_factory, zc):
    # Two workers, so that both caches hold the old answer before each change.
    d = dnsd_factory.start(workers=2)
    for i in range(CHANGES):
        before = "192.0.2.%d" % (100 + i)
        zc.ok("rr", "set", "example.com", "www", "A", "300", before)
        for _ in range(ASKS):
            assert addresses(d, "www.example.com") == {before}
            assert addresses(d, "WWW.example.COM") == {before}
        after = "192.0.2.%d" % (200 + i)
        zc.ok("rr", "set", "example.com", "www", "A", "300", after)
        # zonectl has exited, its commit is durable: the next answer is the new one.
        got = addresses(d, "www.example.com")
        assert got == {after}, "change %d: %s, not %s, right after the commit" % (i, got, after)
        assert addresses(d, "www.example.com", tcp=True) == {after}


def test_negative_answer_is_not_kept_past_an_add(dnsd_factory, zc):
    d = dnsd_factory.start(workers=2)
    for _ in range(ASKS):
        assert_rcode(d.query("fresh.example.com", "A"), NXDOMAIN)
        assert_rcode(d.query("www.example.com", "TXT"), NOERROR)   # NODATA
    zc.ok("rr", "add", "example.com", "fresh 300 IN A 192.0.2.55")
    zc.ok("rr", "add", "example.com", 'www 300 IN TXT "now"')
    assert addresses(d, "fresh.example.com") == {"192.0.2.55"}
    r = d.query("www.example.com", "TXT")
    assert find(r, "answer", "www.example.com", "TXT") is not None, show(r)
    zc.ok("rr", "del", "example.com", "fresh", "A")
    assert_rcode(d.query("fresh.example.com", "A"), NXDOMAIN)


def test_case_and_id_of_a_cached_answer(dnsd_factory):
    d = dnsd_factory.start()
    for name in ("www.example.com", "wWw.ExAmPlE.cOm", "WWW.EXAMPLE.COM", "www.example.com"):
        for _ in range(3):
            r = d.query(name, "A")
            assert_rcode(r, NOERROR)
            assert_aa(r)
            # 0x20: the question and the owner (a pointer to it) as the client wrote them.
            assert r.question[0].name.to_text() == name + ".", show(r)
            assert r.answer[0].name.to_text() == name + ".", show(r)
            assert rdatas(r.answer[0]) == {"192.0.2.80"}, show(r)
    # 12 answers: the first of each name's case built, the rest taken from the cache (the
    # case is not part of the key): 11, or one fewer per commit dnsd itself made meanwhile.
    end = time.monotonic() + STATS_WAIT
    while dnsd_counters(d.state).get("queries.udp", 0) < 12 and time.monotonic() < end:
        time.sleep(0.1)
    got = dnsd_counters(d.state)
    assert got.get("queries.udp", 0) >= 12, got
    assert 8 <= got.get("answers.cached", 0) <= 11, got


def raw_answers(d, asks):
    """The raw reply datagrams to asks (name, type, EDNS version or None), each sent three
    times with a fixed id: built the first time, from the cache after."""
    out = []
    for name, rdtype, edns in asks:
        q = make_query(name, rdtype, edns=edns)
        q.id = 4242
        for _ in range(3):
            wire = d.udp_raw(q.to_wire())
            assert wire is not None, "no answer to %s %s" % (name, rdtype)
            out.append(wire)
    return out


def test_same_bytes_with_and_without_cache(dnsd_factory, zc):
    asks = [(n, t, e) for e in (None, 0)
            for n, t in (("example.com", "MX"), ("Www.example.com", "A"),
                         ("nope.example.com", "A"), ("www.example.com", "AAAA"),
                         ("example.com", "NS"), ("EXAMPLE.com", "SOA"),
                         ("sub2.example.com", "SOA"))]
    on = dnsd_factory.start()
    cached = raw_answers(on, asks)
    on.stop()
    off = dnsd_factory.start(config=NO_CACHE, zones=())
    built = raw_answers(off, asks)
    for i, (a, b) in enumerate(zip(cached, built)):
        assert a == b, "%s: the cached answer differs:\n%s\n---\n%s" % (
            asks[i // 3], show(dns.message.from_wire(a)), show(dns.message.from_wire(b)))
