"""Record edits: rr add/del/set, batch, serial policies, history and zone edit."""

import datetime
import os
import pwd
import re
import stat
import sys
import time

import pytest

from conftest import (EXIT_CONFLICT, EXIT_INPUT, EXIT_NOTFOUND, EXIT_OK, diff_lines,
                      minimal_zone, norm_rr, serial_change, write)

ZONE = "example.com"
SOA_FMT = "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. %d 3600 900 1209600 300"


@pytest.fixture
def zone(zc, tmp_path):
    """example.com. at serial 10 with a few records."""
    zc.ok("zone", "import", write(tmp_path / "base.zone", minimal_zone(serial=10, body="""
        www 300 A 192.0.2.80
        www 300 A 192.0.2.81
        @ MX 10 mail
        mail A 192.0.2.25
        txt TXT "hello"
        """)))
    return zc


def rrs_at(zc, name, rtype=None):
    args = ["rr", "list", ZONE, name] + ([rtype] if rtype else [])
    r = zc(*args)
    if r.rc == EXIT_NOTFOUND:
        return []
    assert r.rc == EXIT_OK, r
    return [norm_rr(l) for l in r.out.splitlines() if l.strip()]


def assert_commit(r, old, new, minus, plus):
    """The output of a commit: exactly these - and + records besides the SOA, and the serials."""
    assert r.rc == EXIT_OK, r
    assert serial_change(r.out) == (old, new), r.out
    m, p = diff_lines(r.out)
    assert sorted(m) == sorted([SOA_FMT % old] + [norm_rr(x) for x in minus]), r.out
    assert sorted(p) == sorted([SOA_FMT % new] + [norm_rr(x) for x in plus]), r.out


# ---------------------------------------------------------------- rr add

def test_rr_add(zone):
    r = zone("rr", "add", ZONE, "new 600 IN A 192.0.2.9")
    assert_commit(r, 10, 11, [], ["new.example.com. 600 IN A 192.0.2.9"])
    assert rrs_at(zone, "new") == ["new.example.com. 600 IN A 192.0.2.9"]
    # Without a TTL, a record joins its RRset's TTL.
    r = zone("rr", "add", ZONE, "www A 192.0.2.82")
    assert_commit(r, 11, 12, [], ["www.example.com. 300 IN A 192.0.2.82"])
    # A new RRset without a TTL gets zones.default-ttl (3600).
    r = zone("rr", "add", ZONE, "fresh AAAA 2001:db8::9")
    assert_commit(r, 12, 13, [], ["fresh.example.com. 3600 IN AAAA 2001:db8::9"])
    # Absolute owner names work too.
    r = zone("rr", "add", ZONE, "abs.example.com. 60 IN TXT \"x y\"")
    assert_commit(r, 13, 14, [], ['abs.example.com. 60 IN TXT "x y"'])


def test_rr_add_refused(zone):
    before = zone.snapshot()
    for rr, why in [("www CNAME mail", r"CNAME"),
                    ("other.example.org. A 192.0.2.1", r"outside"),
                    ("bad A 192.0.2.300", r"rdata|address"),
                    ("@ SOA ns1 hostmaster 99 1 1 1 1", r"SOA")]:
        r = zone("rr", "add", ZONE, rr)
        assert r.rc == EXIT_INPUT, (rr, r)
        assert re.search(why, r.err), (rr, r.err)
        assert zone.snapshot() == before, rr
    # A zone that is not there.
    r = zone("rr", "add", "nothere.test", "x A 192.0.2.1")
    assert r.rc == EXIT_NOTFOUND, r


def test_rr_add_existing_record_is_no_change(zone):
    before = zone.snapshot()
    r = zone.ok("rr", "add", ZONE, "www 300 A 192.0.2.80")
    assert "no changes" in r.out
    assert zone.snapshot() == before


# ---------------------------------------------------------------- rr del

def test_rr_del_one_record(zone):
    r = zone("rr", "del", ZONE, "www", "A", "192.0.2.80")
    assert_commit(r, 10, 11, ["www.example.com. 300 IN A 192.0.2.80"], [])
    assert rrs_at(zone, "www") == ["www.example.com. 300 IN A 192.0.2.81"]


def test_rr_del_rrset(zone):
    zone.ok("rr", "add", ZONE, "www AAAA 2001:db8::80")
    r = zone("rr", "del", ZONE, "www", "A")
    assert_commit(r, 11, 12, ["www.example.com. 300 IN A 192.0.2.80",
                              "www.example.com. 300 IN A 192.0.2.81"], [])
    assert rrs_at(zone, "www") == ["www.example.com. 3600 IN AAAA 2001:db8::80"]


def test_rr_del_name(zone):
    zone.ok("rr", "add", ZONE, "www AAAA 2001:db8::80")
    r = zone("rr", "del", ZONE, "www")
    assert_commit(r, 11, 12, ["www.example.com. 300 IN A 192.0.2.80",
                              "www.example.com. 300 IN A 192.0.2.81",
                              "www.example.com. 3600 IN AAAA 2001:db8::80"], [])
    assert rrs_at(zone, "www") == []


def test_rr_del_absent_fails(zone):
    before = zone.snapshot()
    for args in (["nothere"], ["www", "AAAA"], ["www", "A", "192.0.2.99"], ["nothere", "A"]):
        r = zone("rr", "del", ZONE, *args)
        assert r.rc == EXIT_INPUT, (args, r)
        assert "nothing to delete" in r.err or "no " in r.err, (args, r.err)
        assert zone.snapshot() == before, args


def test_rr_del_apex_soa_or_ns_refused(zone):
    before = zone.snapshot()
    for args in (["@", "SOA"], ["@", "NS"], ["@"]):
        r = zone("rr", "del", ZONE, *args)
        assert r.rc == EXIT_INPUT, (args, r)
        assert zone.snapshot() == before, args


# ---------------------------------------------------------------- rr set

def test_rr_set(zone):
    r = zone("rr", "set", ZONE, "@", "MX", "300", "10 mx1", "20 mx2.example.net.")
    assert_commit(r, 10, 11, ["example.com. 3600 IN MX 10 mail.example.com."],
                  ["example.com. 300 IN MX 10 mx1.example.com.",
                   "example.com. 300 IN MX 20 mx2.example.net."])
    assert sorted(rrs_at(zone, "@", "MX")) == ["example.com. 300 IN MX 10 mx1.example.com.",
                                               "example.com. 300 IN MX 20 mx2.example.net."]
    # A new RRset.
    r = zone("rr", "set", ZONE, "txt2", "TXT", "60", '"a"', '"b c"')
    assert_commit(r, 11, 12, [], ['txt2.example.com. 60 IN TXT "a"', 'txt2.example.com. 60 IN TXT "b c"'])


def test_rr_set_bad_rdata_changes_nothing(zone):
    before = zone.snapshot()
    r = zone("rr", "set", ZONE, "www", "A", "300", "192.0.2.1", "192.0.2.999")
    assert r.rc == EXIT_INPUT, r
    assert zone.snapshot() == before


def test_rr_set_soa_with_higher_serial_is_honoured(zone):
    r = zone("rr", "set", ZONE, "@", "SOA", "3600",
             "ns1.example.com. hostmaster.example.com. 5000 3600 900 1209600 300")
    assert_commit(r, 10, 5000, [], [])
    assert zone.serial(ZONE) == 5000
    # The next edit continues from there.
    r = zone("rr", "add", ZONE, "after A 192.0.2.7")
    assert serial_change(r.out) == (5000, 5001)


def test_rr_set_soa_fields_change_bumps_serial(zone):
    # A lower serial than the zone's with another field changed: the policy's serial wins.
    r = zone("rr", "set", ZONE, "@", "SOA", "3600",
             "ns1.example.com. hostmaster.example.com. 3 7200 900 1209600 300")
    assert r.rc == EXIT_OK, r
    assert serial_change(r.out) == (10, 11)
    soa = rrs_at(zone, "@", "SOA")[0].split()
    assert soa[6:9] == ["11", "7200", "900"]


# ---------------------------------------------------------------- batch

def test_batch_applies_all_in_one_commit(zone):
    text = ("# a comment\n"
            "add b1 A 192.0.2.10\n"
            "\n"
            "; another comment\n"
            "add b2 300 A 192.0.2.11\n"
            "set @ MX 300 10 mx1\n"
            "set @ MX 300 20 mx2\n"
            "del txt\n"
            "del www A 192.0.2.80\n")
    r = zone("batch", ZONE, input=text)
    assert_commit(r, 10, 11,
                  ["example.com. 3600 IN MX 10 mail.example.com.", 'txt.example.com. 3600 IN TXT "hello"',
                   "www.example.com. 300 IN A 192.0.2.80"],
                  ["b1.example.com. 3600 IN A 192.0.2.10", "b2.example.com. 300 IN A 192.0.2.11",
                   "example.com. 300 IN MX 10 mx1.example.com.",
                   "example.com. 300 IN MX 20 mx2.example.com."])
    h = zone.history(ZONE)
    assert h[-1]["serial_old"] == 10 and h[-1]["serial"] == 11 and len(h) == 2


@pytest.mark.parametrize("bad,line,why", [
    ("add b3 A 192.0.2.999", 4, r"rdata|address"),
    ("del nothere", 4, r"nothing to delete|no records"),
    ("frobnicate x", 4, r"unknown action|add|del|set"),
    ("add www CNAME mail", 4, r"CNAME"),
    ("set b9 A", 4, r"set needs|NAME TYPE TTL"),
])
def test_batch_all_or_nothing(zone, bad, line, why):
    text = "add b1 A 192.0.2.10\n# comment\nadd b2 A 192.0.2.11\n%s\nadd b4 A 192.0.2.12\n" % bad
    before = zone.snapshot()
    history = zone.history(ZONE)
    r = zone("batch", ZONE, input=text)
    assert r.rc == EXIT_INPUT, r
    m = [l for l in r.err.splitlines() if l.startswith("<stdin>:%d:" % line)]
    assert m, r.err
    assert any(re.search(why, l) for l in m), r.err
    assert not [l for l in r.err.splitlines() if re.match(r"<stdin>:(1|2|3|5):", l)], r.err
    assert zone.snapshot() == before
    assert zone.history(ZONE) == history
    assert rrs_at(zone, "b1") == []


def test_batch_reports_every_bad_line(zone):
    text = "add b1 A 192.0.2.300\nadd ok A 192.0.2.1\nadd b3 AAAA nope\n"
    r = zone("batch", ZONE, input=text)
    assert r.rc == EXIT_INPUT, r
    lines = [int(m.group(1)) for m in re.finditer(r"^<stdin>:(\d+):", r.err, re.M)]
    assert lines == [1, 3], r.err


def test_batch_empty_input_changes_nothing(zone):
    before = zone.snapshot()
    r = zone("batch", ZONE, input="# nothing\n\n")
    assert r.rc == EXIT_OK, r
    assert "no changes" in r.out
    assert zone.snapshot() == before


# ---------------------------------------------------------------- listing and JSON

def test_rr_list(zone):
    all_ = [norm_rr(l) for l in zone.ok("rr", "list", ZONE).out.splitlines()]
    assert all_[0].startswith("example.com. 3600 IN SOA")
    assert len(all_) == 8
    assert rrs_at(zone, "www", "A") == ["www.example.com. 300 IN A 192.0.2.80",
                                        "www.example.com. 300 IN A 192.0.2.81"]
    assert rrs_at(zone, "www.example.com.", "A") == rrs_at(zone, "www", "A")
    assert rrs_at(zone, "@", "MX") == ["example.com. 3600 IN MX 10 mail.example.com."]
    assert rrs_at(zone, "@", "SOA") == [SOA_FMT % 10]
    r = zone("rr", "list", ZONE, "www", "AAAA")
    assert r.rc == EXIT_NOTFOUND and r.out == "", r
    r = zone("rr", "list", ZONE, "nothere")
    assert r.rc == EXIT_NOTFOUND, r
    doc = zone.json("rr", "list", ZONE, "www", "A")
    assert [(x["name"], x["ttl"], x["type"], x["data"]) for x in doc["records"]] == [
        ("www.example.com.", 300, "A", "192.0.2.80"), ("www.example.com.", 300, "A", "192.0.2.81")]


def test_json_commit_output(zone):
    doc = zone.json("rr", "add", ZONE, "j 60 A 192.0.2.60")
    assert doc["serial_old"] == 10 and doc["serial"] == 11 and doc["changed"] is True
    assert [norm_rr(x) for x in doc["added"]] == [SOA_FMT % 11, "j.example.com. 60 IN A 192.0.2.60"]
    assert [norm_rr(x) for x in doc["removed"]] == [SOA_FMT % 10]
    doc = zone.json("rr", "del", ZONE, "j")
    assert (doc["serial_old"], doc["serial"]) == (11, 12)
    assert "j.example.com. 60 IN A 192.0.2.60" in [norm_rr(x) for x in doc["removed"]]
    doc = zone.json("rr", "set", ZONE, "k", "A", "60", "192.0.2.61", "192.0.2.62")
    assert (doc["serial_old"], doc["serial"]) == (12, 13) and len(doc["added"]) == 3
    doc = zone.json("batch", ZONE, input="add l A 192.0.2.63\n")
    assert (doc["serial_old"], doc["serial"]) == (13, 14)
    # Errors are JSON too.
    doc = zone.json("rr", "del", ZONE, "nothere", rc=EXIT_INPUT)
    assert "error" in doc and doc["messages"]


# ---------------------------------------------------------------- serial policies and history

def utc_dates():
    return {datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d")}


def test_serial_policy_dateserial(zc):
    days = utc_dates()
    zc.ok("zone", "add", "d.test", "--ns", "ns1.d.test", "--serial-policy", "dateserial")
    days |= utc_dates()
    s0 = zc.serial("d.test")
    assert str(s0)[:8] in days and s0 % 100 == 0, s0
    assert zc.zones()["d.test."]["serial_policy"] == "dateserial"
    r = zc.ok("rr", "add", "d.test", "x A 192.0.2.1")
    assert serial_change(r.out) == (s0, s0 + 1)
    r = zc.ok("rr", "add", "d.test", "y A 192.0.2.2")
    assert serial_change(r.out) == (s0 + 1, s0 + 2)


def test_serial_policy_unixtime(zc):
    t0 = int(time.time())
    zc.ok("zone", "add", "u.test", "--ns", "ns1.u.test", "--serial-policy", "unixtime")
    t1 = int(time.time())
    s0 = zc.serial("u.test")
    assert t0 <= s0 <= t1 + 1, (t0, s0, t1)
    r = zc.ok("rr", "add", "u.test", "x A 192.0.2.1")
    old, new = serial_change(r.out)
    assert old == s0 and s0 < new <= max(s0 + 1, int(time.time()) + 1)


def test_serial_policy_increment_default(zc):
    zc.ok("zone", "add", "i.test", "--ns", "ns1.i.test")
    s0 = zc.serial("i.test")
    assert zc.zones()["i.test."]["serial_policy"] == "increment"
    for k in range(1, 4):
        r = zc.ok("rr", "add", "i.test", "h%d A 192.0.2.%d" % (k, k))
        assert serial_change(r.out) == (s0 + k - 1, s0 + k)


def test_serial_policy_from_configuration_and_import(zc, tmp_path):
    conf = write(tmp_path / "ds.conf", "zones:\n    serial-policy: dateserial\n")
    days = utc_dates()
    zc.ok("-c", conf, "zone", "add", "c.test", "--ns", "ns1.c.test", config=False)
    days |= utc_dates()
    z = zc.zones()["c.test."]
    assert z["serial_policy"] == "dateserial" and str(z["serial"])[:8] in days
    # zone import --serial-policy sets the policy of the zone it creates.
    zc.ok("zone", "import", write(tmp_path / "u.zone", minimal_zone("u.test.", serial=5)),
          "--serial-policy", "unixtime")
    z = zc.zones()["u.test."]
    assert z["serial_policy"] == "unixtime" and z["serial"] == 5
    t0 = int(time.time())
    r = zc.ok("rr", "add", "u.test", "x A 192.0.2.1")
    old, new = serial_change(r.out)
    # C's time() reads the coarse clock, up to a tick behind Python's: allow one second.
    assert old == 5 and t0 - 1 <= new <= int(time.time()) + 1


def test_serial_policy_unknown_is_usage_error(zc):
    r = zc("zone", "add", "x.test", "--ns", "ns1.x.test", "--serial-policy", "weekly")
    assert r.rc == 2, r
    assert zc.zones() == {}


def test_serial_wraps_by_rfc1982(zc, tmp_path):
    zc.ok("zone", "import", write(tmp_path / "w.zone", minimal_zone(serial=4294967295)))
    r = zc.ok("rr", "add", "example.com", "x A 192.0.2.1")
    assert serial_change(r.out) == (4294967295, 0)


def test_zone_history_lists_each_commit(zone):
    zone.ok("rr", "add", ZONE, "a A 192.0.2.1")
    zone.ok("rr", "del", ZONE, "txt")
    zone.ok("rr", "set", ZONE, "b", "A", "60", "192.0.2.2")
    zone.ok("batch", ZONE, input="add c A 192.0.2.3\nadd d A 192.0.2.4\n")
    h = zone.history(ZONE)
    assert [(e["serial_old"], e["serial"]) for e in h] == [(0, 10), (10, 11), (11, 12), (12, 13), (13, 14)]
    # Each names the Unix user who ran zonectl.
    who = " by user " + pwd.getpwuid(os.getuid()).pw_name
    assert [e["source"] for e in h] == [s + who for s in ("zonectl zone import", "zonectl rr add",
                                                          "zonectl rr del", "zonectl rr set",
                                                          "zonectl batch")]
    assert [(e["removed"], e["added"]) for e in h[1:]] == [(1, 2), (2, 1), (1, 2), (1, 3)]
    text = zone.ok("zone", "history", ZONE).out.splitlines()
    assert len(text) == 5
    assert "serial 13 -> 14" in text[-1] and "batch" in text[-1]
    # A failed edit adds no entry.
    zone("rr", "del", ZONE, "nothere")
    assert len(zone.history(ZONE)) == 5


# ---------------------------------------------------------------- zone edit

def editor(tmp_path, name, body):
    """An EDITOR script: body is Python run with the file's path as sys.argv[1]."""
    path = tmp_path / name
    path.write_text("#!%s\nimport sys, subprocess\np = sys.argv[1]\n%s\n" % (sys.executable, body))
    path.chmod(0o755)
    return path


def kept_file(err):
    m = re.search(r"kept in (\S+\.zone)", err)
    assert m, "no kept file named in:\n%s" % err
    return m.group(1)


def test_zone_edit_valid(zone, tmp_path):
    ed = editor(tmp_path, "ed_ok.py", """
t = open(p).read()
t = t.replace("192.0.2.25", "192.0.2.26") + "edited.example.com. 60 IN A 192.0.2.77\\n"
open(p, "w").write(t)
""")
    r = zone("zone", "edit", ZONE, env={"EDITOR": str(ed)})
    assert_commit(r, 10, 11, ["mail.example.com. 3600 IN A 192.0.2.25"],
                  ["mail.example.com. 3600 IN A 192.0.2.26", "edited.example.com. 60 IN A 192.0.2.77"])
    assert rrs_at(zone, "edited") == ["edited.example.com. 60 IN A 192.0.2.77"]
    assert zone.history(ZONE)[-1]["source"].startswith("zonectl zone edit by user ")
    # The temporary file is gone after a successful edit.
    assert not list(tmp_path.glob("zonectl-edit-*"))


def test_zone_edit_sed(zone, tmp_path):
    """EDITOR may carry arguments, as `sed -i ...`."""
    r = zone("zone", "edit", ZONE, env={"EDITOR": "sed -i s/192.0.2.81/192.0.2.91/"})
    assert_commit(r, 10, 11, ["www.example.com. 300 IN A 192.0.2.81"],
                  ["www.example.com. 300 IN A 192.0.2.91"])


def test_zone_edit_invalid_kept(zone, tmp_path):
    ed = editor(tmp_path, "ed_bad.py", """
open(p, "a").write("mail.example.com. 300 IN CNAME www.example.com.\\n")
""")
    before = zone.snapshot()
    r = zone("zone", "edit", ZONE, env={"EDITOR": str(ed)})
    assert r.rc == EXIT_INPUT, r
    assert "CNAME" in r.err
    kept = kept_file(r.err)
    assert os.path.exists(kept)
    assert "mail.example.com. 300 IN CNAME www.example.com." in open(kept).read()
    assert stat.S_IMODE(os.stat(kept).st_mode) & 0o077 == 0
    # The error names the kept file and the line of the problem.
    assert re.search(r"%s:\d+: error: .*CNAME" % re.escape(kept), r.err), r.err
    assert zone.snapshot() == before


def test_zone_edit_conflict_with_concurrent_commit(zone, tmp_path):
    argv = zone.argv("rr", "add", ZONE, "race A 192.0.2.55")
    ed = editor(tmp_path, "ed_race.py", """
rc = subprocess.call(%r, stdout=subprocess.DEVNULL)
if rc != 0:
    sys.exit(9)
open(p, "a").write("mine.example.com. 300 IN A 192.0.2.56\\n")
""" % (argv,))
    r = zone("zone", "edit", ZONE, env={"EDITOR": str(ed)})
    assert r.rc == EXIT_CONFLICT, r
    kept = kept_file(r.err)
    assert "mine.example.com. 300 IN A 192.0.2.56" in open(kept).read()
    # The other commit stands; the edit was not applied.
    assert rrs_at(zone, "race") == ["race.example.com. 3600 IN A 192.0.2.55"]
    assert rrs_at(zone, "mine") == []
    assert zone.serial(ZONE) == 11


def test_zone_edit_unchanged(zone, tmp_path):
    ed = editor(tmp_path, "ed_none.py", "pass")
    before = zone.snapshot()
    r = zone("zone", "edit", ZONE, env={"EDITOR": str(ed)})
    assert r.rc == EXIT_OK, r
    assert "no changes" in r.out
    assert zone.snapshot() == before
    assert not list(tmp_path.glob("zonectl-edit-*"))


def test_zone_edit_editor_fails(zone, tmp_path):
    ed = editor(tmp_path, "ed_fail.py", """
open(p, "a").write("zzz.example.com. 300 IN A 192.0.2.99\\n")
sys.exit(3)
""")
    before = zone.snapshot()
    r = zone("zone", "edit", ZONE, env={"EDITOR": str(ed)})
    assert r.rc != EXIT_OK, r
    assert zone.snapshot() == before


def test_zone_edit_missing_zone(zc, tmp_path):
    ed = editor(tmp_path, "ed_none.py", "pass")
    r = zc("zone", "edit", "nothere.test", env={"EDITOR": str(ed)})
    assert r.rc == EXIT_NOTFOUND, r


def test_batch_nul_byte_is_an_error_not_the_end(zone):
    # A NUL inside a line is reported, and the lines after it are still read (line 3 here).
    text = "add b1 A 192.0.2.10\nadd b\0x A 192.0.2.2\nadd b3 A 192.0.2.999\n"
    before = zone.snapshot()
    r = zone("batch", ZONE, input=text)
    assert r.rc == EXIT_INPUT, r
    lines = [int(m.group(1)) for m in re.finditer(r"^<stdin>:(\d+):", r.err, re.M)]
    assert lines == [2, 3], r.err
    assert "NUL" in r.err
    assert zone.snapshot() == before
