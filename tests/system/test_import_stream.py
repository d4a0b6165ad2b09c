"""zone import of a large file whose last record is bad: a new zone's RRsets are written one
by one as they are checked (shared/store/zone_new.c), so these prove that an error found
after many of them were written still leaves the store exactly as it was."""

import re

from conftest import EXIT_INPUT, minimal_zone, write

RECORDS = 30000


def large_zone(origin, last=""):
    """A zone of RECORDS records after the head, then last: names in file order that is not
    the store's order, so the bad name at the end sorts after nearly all of them."""
    body = "".join("h%05d IN A 192.0.2.%d\n" % (i, i % 250 + 1) for i in range(RECORDS))
    return minimal_zone(origin) + body + last


def lines(text):
    return text.count("\n")


def rrset_rows(zc):
    """Rows of the store's RRset table, as `store check` counts them (orphans included)."""
    r = zc.ok("store", "check")
    m = re.search(r"^\s*rrsets\s+(\d+)\s*$", r.out, re.M)
    assert m, r.out
    return int(m.group(1))


# The last two lines: a CNAME beside other data at a name that sorts last.
BAD_TAIL = "zzz IN A 192.0.2.9\nzzz IN CNAME h00001\n"


def test_bad_last_record_new_zone_changes_nothing(zc, tmp_path):
    zc.ok("zone", "import", write(tmp_path / "other.zone", minimal_zone("other.test.")))
    before, rows = zc.snapshot(), rrset_rows(zc)
    text = large_zone("big.test.", BAD_TAIL)
    path = tmp_path / "big.zone"
    path.write_text(text)
    r = zc("zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    assert "big.zone:%d:" % lines(text) in r.err, r.err
    assert "not imported" in r.err or "zone big.test." in r.err, r.err
    assert zc.snapshot() == before
    assert rrset_rows(zc) == rows
    # The good part of the same file then lands whole, under the zone id the failed run used.
    path.write_text(large_zone("big.test."))
    r = zc.ok("zone", "import", path)
    assert "zone big.test. created: %d records" % (RECORDS + 3) in r.out, r.out
    assert zc.zones()["big.test."]["records"] == RECORDS + 3
    assert rrset_rows(zc) == rows + RECORDS + 3      # SOA, NS, ns1 A, h*: one RRset each


def test_bad_last_record_replacing_zone_changes_nothing(zc, tmp_path):
    path = tmp_path / "big.zone"
    path.write_text(large_zone("big.test."))
    zc.ok("zone", "import", path)
    before, rows = zc.snapshot(), rrset_rows(zc)
    text = large_zone("big.test.", BAD_TAIL).replace("192.0.2.7\n", "192.0.2.8\n")
    path.write_text(text)
    r = zc("zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    assert "big.zone:%d:" % lines(text) in r.err, r.err
    assert zc.snapshot() == before
    assert rrset_rows(zc) == rows


def test_bad_last_record_in_bulk(zc, tmp_path):
    """Several files in one transaction: the large bad one is skipped whole, the others land;
    with --all-or-nothing nothing does."""
    d = tmp_path / "in"
    write(d / "a.zone", minimal_zone("a.test."))
    text = large_zone("big.test.", BAD_TAIL)
    (d / "big.zone").write_text(text)
    write(d / "c.zone", minimal_zone("c.test."))
    r = zc("zone", "import", "--dir", d, "--all-or-nothing")
    assert r.rc == EXIT_INPUT, r
    assert "big.zone:%d:" % lines(text) in r.err, r.err
    assert zc.zones() == {}
    r = zc("zone", "import", "--dir", d)
    assert r.rc == EXIT_INPUT, r
    assert "big.zone:%d:" % lines(text) in r.err, r.err
    assert sorted(zc.zones()) == ["a.test.", "c.test."]
    assert rrset_rows(zc) == 6          # SOA, NS and ns1's A of each small zone
