"""IXFR out of dnsd from the journal (RFC 1995): the differences one commit at a time, the whole
zone when the journal (bounded by zones.journal-max-size) does not reach back; and AXFR and
IXFR answers compared record by record with a Knot primary given the same changes."""
from dnsd_helpers import HOST4, dnsd_factory  # noqa: F401
from xfr_helpers import KnotPrimary, import_zone, kdig, records

ZONE = "example.com."
BASE = """$ORIGIN example.com.
$TTL 300
@ SOA ns1 hostmaster 100 3600 900 1209600 300
@ NS ns1
ns1 A 192.0.2.1
@ MX 10 mail
mail A 192.0.2.25
www CNAME @
txt TXT "one" "two"
"""


def ixfr(port, serial):
    return records(kdig("@" + HOST4, "-p", port, ZONE, "ixfr=%d" % serial, "+nostats"))


def axfr(port):
    return records(kdig("@" + HOST4, "-p", port, ZONE, "axfr", "+nostats"))


def changesets(recs):
    """An IXFR answer as [(old serial, removed set, new serial, added set)], checking its frame."""
    assert recs and recs[0][2] == "SOA" and recs[-1] == recs[0], recs
    body, out = recs[1:-1], []
    i = 0
    while i < len(body):
        assert body[i][2] == "SOA", body[i:]
        old = int(body[i][3].split()[2])
        j = i + 1
        while body[j][2] != "SOA":
            j += 1
        new = int(body[j][3].split()[2])
        k = j + 1
        while k < len(body) and body[k][2] != "SOA":
            k += 1
        out.append((old, sorted(body[i + 1:j]), new, sorted(body[j + 1:k])))
        i = k
    return out


def test_ixfr_and_axfr_match_knot(dnsd_factory, zc, tmp_path):
    f = import_zone(zc, tmp_path, BASE)
    zc.ok("zone", "secondaries", ZONE, "add", HOST4)
    d = dnsd_factory.start(zones=())
    knot = KnotPrimary(tmp_path / "knot", f).start()
    try:
        # The same three commits on both.
        zc.ok("batch", ZONE, input="add @ 300 IN MX 20 mx2\nadd mx2 300 IN A 192.0.2.26\n")
        knot.transaction(("set", ZONE, "300", "MX", "20 mx2." + ZONE),
                         ("set", "mx2." + ZONE, "300", "A", "192.0.2.26"))
        zc.ok("rr", "del", ZONE, "www", "CNAME")
        knot.transaction(("unset", "www." + ZONE, "CNAME"))
        zc.ok("rr", "set", ZONE, "ns1", "A", "600", "192.0.2.1", "192.0.2.2")
        knot.transaction(("unset", "ns1." + ZONE, "A"),
                         ("set", "ns1." + ZONE, "600", "A", "192.0.2.1"),
                         ("set", "ns1." + ZONE, "600", "A", "192.0.2.2"))
        assert knot.serial() == 103 and zc.serial(ZONE) == 103
        for serial in (100, 101, 102):
            ours, theirs = ixfr(d.port, serial), ixfr(knot.port, serial)
            assert changesets(ours) == changesets(theirs), (serial, ours, theirs)
            assert len(changesets(ours)) == 103 - serial        # one per commit
        assert ixfr(d.port, 103) == ixfr(knot.port, 103) == [ixfr(d.port, 103)[0]]
        ours, theirs = axfr(d.port), axfr(knot.port)
        assert ours[0] == theirs[0] == ours[-1] == theirs[-1]
        assert sorted(ours) == sorted(theirs) and len(ours) == 9 + 1
    finally:
        knot.stop()
    assert d.wait_log("IXFR, serial 100 -> 103, 3 changes"), d.log_text()


def test_journal_gap_falls_back_to_the_whole_zone(dnsd_factory, zc, tmp_path):
    # A small journal: a few small changes fit, one large change pushes them out.
    zc.config.write_text("zones:\n    journal-max-size: 1500\n")
    import_zone(zc, tmp_path, BASE)
    zc.ok("zone", "secondaries", ZONE, "add", HOST4)
    d = dnsd_factory.start(zones=())
    for i in range(3):
        zc.ok("rr", "add", ZONE, "a%d 300 IN A 192.0.2.%d" % (i, 100 + i))
    sets = changesets(ixfr(d.port, 100))
    assert [(s[0], s[2]) for s in sets] == [(100, 101), (101, 102), (102, 103)]
    assert sets[2][3] == [("a2.example.com.", 300, "A", "192.0.2.102")]
    big = " ".join('"%s"' % ("x" * 200) for _ in range(4))
    zc.ok("rr", "add", ZONE, "big 300 IN TXT " + big)
    # 100 is gone from the journal: the whole zone, AXFR-style (RFC 1995 4).
    recs = ixfr(d.port, 100)
    assert recs[0][2] == "SOA" and recs[1][2] != "SOA" and recs[-1] == recs[0]
    assert sorted(recs[:-1]) == sorted(axfr(d.port)[:-1]) and len(recs) == 7 + 4 + 1
    assert d.wait_log("IXFR, full zone at serial 104 (the journal does not reach serial 100)"), \
        d.log_text()
    # The newest change is still there as a difference.
    sets = changesets(ixfr(d.port, 103))
    assert [(s[0], s[2]) for s in sets] == [(103, 104)] and sets[0][3][0][0] == "big.example.com."
    # With journal-max-size 0 no change is kept: even the last one gets the whole zone.
    zc.config.write_text("zones:\n    journal-max-size: 0\n")
    zc.ok("rr", "add", ZONE, "a9 300 IN A 192.0.2.109")
    recs = ixfr(d.port, 104)
    assert recs[1][2] != "SOA" and len(recs) == 7 + 5 + 1
