"""zonectl --json: one JSON document per command, times as RFC 3339 UTC or null, and valid
JSON even when names, paths or data hold bytes that are not UTF-8.

Each command's output is checked the way a script reads it: one line, ASCII only (other
characters as \\u escapes), parsed by json.loads.
"""

import os
import re

from conftest import (EXIT_CONFLICT, EXIT_INPUT, EXIT_NOTFOUND, EXIT_OK, minimal_zone,
                      parse_json, write)
from sts_helpers import sts_factory  # noqa: F401  (fixture)

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def doc(zc, *args, rc=EXIT_OK, **kw):
    """Runs zonectl --json ARGS; asserts the exit status and one ASCII line; returns the JSON."""
    r = zc("--json", *args, **kw)
    assert r.rc == rc, "zonectl --json %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(map(str, args)), r.rc, rc, r.out, r.err)
    assert r.out.endswith("\n") and r.out.count("\n") == 1, r.out
    assert r.out.isascii(), r.out
    return parse_json(r.out)


def is_time(v):
    return isinstance(v, str) and RFC3339_UTC.match(v) is not None


def test_zone_and_record_commands(zc, tmp_path):
    path = write(tmp_path / "t.zone", minimal_zone("t.test.", body="""
        @ IN MX 10 mx1
        mx1 IN A 192.0.2.2
        """))
    d = doc(zc, "zone", "import", path)
    assert d["changed"] is True and d["created"] is True and d["serial"] == 1
    zones = doc(zc, "zone", "list")["zones"]
    assert [z["name"] for z in zones] == ["t.test."]
    assert is_time(zones[0]["created"]) and is_time(zones[0]["modified"])
    assert isinstance(zones[0]["serial"], int) and isinstance(zones[0]["records"], int)

    d = doc(zc, "rr", "add", "t.test", "www 60 IN A 192.0.2.80")
    assert d["serial_old"] == 1 and d["serial"] == 2 and d["warnings"] == []
    assert any("192.0.2.80" in x for x in d["added"])
    d = doc(zc, "rr", "set", "t.test", "www", "A", "60", "192.0.2.81")
    assert d["changed"] is True and d["removed"]
    d = doc(zc, "batch", "t.test", input="add web 60 IN A 192.0.2.82\n")
    assert d["serial"] == 4
    d = doc(zc, "rr", "del", "t.test", "web")
    assert d["serial"] == 5
    d = doc(zc, "rr", "del", "t.test", "nothere", rc=EXIT_INPUT)
    assert set(d) == {"error", "reason", "messages"} and d["messages"]
    d = doc(zc, "zone", "import", path)     # the file again: back to it, a new serial
    d = doc(zc, "zone", "import", path)     # and once more: nothing to do
    assert d == {"zone": "t.test.", "changed": False, "warnings": []}

    recs = doc(zc, "rr", "list", "t.test")["records"]
    assert {"name", "ttl", "class", "type", "data"} <= set(recs[0])
    assert doc(zc, "rr", "list", "t.test", "nothere", rc=EXIT_NOTFOUND) == {
        "zone": "t.test.", "records": []}

    history = doc(zc, "zone", "history", "t.test")["history"]
    assert [h["serial"] for h in history][:2] == [1, 2]
    assert all(is_time(h["time"]) for h in history)
    assert doc(zc, "zone", "history", "none.test", rc=EXIT_NOTFOUND) == {"history": []}

    d = doc(zc, "check-config")
    assert d["ok"] is True and d["messages"] == []
    assert doc(zc, "zone", "del", "t.test") == {"zone": "t.test.", "deleted": True}
    d = doc(zc, "zone", "del", "t.test", rc=EXIT_NOTFOUND)
    assert d["error"] and d["reason"]


def test_keys_secondaries_certs_and_stats(zc, tmp_path):
    zc.ok("zone", "add", "s.test", "--ns", "ns1.example.net.")
    key = doc(zc, "tsig", "add", "xfr")
    assert key["name"] == "xfr" and key["algorithm"] == "hmac-sha256" and key["secret"]
    assert doc(zc, "tsig", "list") == {"keys": [{"name": "xfr", "algorithm": "hmac-sha256"}]}
    assert doc(zc, "tsig", "add", "xfr", rc=EXIT_CONFLICT)["error"]

    d = doc(zc, "zone", "secondaries", "s.test", "add", "192.0.2.9", "--key", "xfr")
    assert d == {"zone": "s.test.", "address": "192.0.2.9:53", "key": "xfr", "added": True,
                 "replaced": False}
    # The same again changes nothing; another port or key replaces the entry, and says so.
    d = doc(zc, "zone", "secondaries", "s.test", "add", "192.0.2.9", "--key", "xfr")
    assert (d["added"], d["replaced"]) == (False, False)
    d = doc(zc, "zone", "secondaries", "s.test", "add", "192.0.2.9:5300", "--key", "xfr")
    assert (d["added"], d["replaced"]) == (True, True)
    d = doc(zc, "zone", "secondaries", "s.test", "add", "192.0.2.9", "--key", "xfr")
    assert (d["added"], d["replaced"]) == (True, True)
    assert doc(zc, "zone", "secondaries", "s.test", "list") == {
        "zone": "s.test.", "secondaries": [{"address": "192.0.2.9:53", "key": "xfr"}]}
    assert "error" in doc(zc, "zone", "secondaries", "s.test", "add", "192.0.2.8", "--key",
                          "nokey", rc=EXIT_NOTFOUND)
    assert "error" in doc(zc, "tsig", "del", "xfr", rc=EXIT_CONFLICT)
    d = doc(zc, "zone", "secondaries", "s.test", "del", "192.0.2.9")
    assert d["deleted"] is True and d["key"] is None
    assert doc(zc, "tsig", "del", "xfr") == {"deleted": "xfr"}
    assert "error" in doc(zc, "tsig", "del", "xfr", rc=EXIT_NOTFOUND)

    assert doc(zc, "cert", "list") == {"certs": []}
    assert doc(zc, "cert", "demo-ca")["created"] is True
    assert doc(zc, "cert", "issue", "mta-sts.s.test") == {"issued": ["mta-sts.s.test"]}
    certs = doc(zc, "cert", "list")["certs"]
    assert certs[0]["host"] == "mta-sts.s.test" and certs[0]["error"] is None
    assert is_time(certs[0]["not_after"])

    assert "error" in doc(zc, "stats", rc=EXIT_NOTFOUND)
    (zc.state / "dnsd.stats").write_text("queries.udp 5\nqueries.tcp 2\n")
    assert doc(zc, "stats") == {"written": doc(zc, "stats")["written"],
                                "queries.udp": 5, "queries.tcp": 2}
    assert is_time(doc(zc, "stats")["written"])


def test_bytes_that_are_not_utf8(zc, tmp_path):
    """Such bytes come out as U+FFFD or as the master-file escapes: the JSON still parses."""
    body = (b'x IN TXT "\\255\\254" "caf\xc3\xa9" "\xff\xfe"\n'
            b'y IN TXT "\xe2\x82"\n')
    path = tmp_path / "u.zone"
    path.write_bytes(minimal_zone("u.test.").encode() + body)
    doc(zc, "zone", "import", path)
    recs = {r["name"]: r["data"] for r in doc(zc, "rr", "list", "u.test")["records"]}
    assert recs["x.u.test."].startswith('"\\255\\254"'), recs

    # A zone name with such bytes (kept as \DDD escapes).
    d = doc(zc, "zone", "add", os.fsdecode(b"caf\xc3\xa9\xff.test"), "--ns", "ns1.example.net.")
    assert d["zone"] == "caf\\195\\169\\255.test."
    assert "caf\\195\\169\\255.test." in [z["name"] for z in doc(zc, "zone", "list")["zones"]]

    # Messages that quote the input, and a file name, with such bytes.
    d = doc(zc, "rr", "add", "u.test", os.fsdecode(b"y 60 IN BOGUS\xfe 1"), rc=EXIT_INPUT)
    assert "BOGUS\ufffd" in d["messages"][0]["message"]
    bad = tmp_path / os.fsdecode(b"bad\xff.zone")
    bad.write_bytes(minimal_zone("b.test.").encode() + b"z IN A 192.0.2.256\n")
    d = doc(zc, "zone", "import", bad, rc=EXIT_INPUT)
    assert d["messages"][0]["file"].endswith("bad\ufffd.zone")
    assert "bad\ufffd.zone" in d["error"]


def test_mtasts_times_before_publishing(sts_factory):
    e = sts_factory(dnsd=False)     # only zonectl publishes: no race with dnsd
    st = doc(e.zc, "mta-sts", "status")
    assert st["domains"] == [] and st["publisher"]["running"] is False   # no dnsd here
    e.httpsd.stop()
    d = doc(e.zc, "mta-sts", "enable", "example.com")
    assert d["changed"] is True and d["zone"] == "example.com."
    s = doc(e.zc, "mta-sts", "status", "example.com")["domains"][0]
    assert s["state"] == "waiting" and s["published_version"] == 0 and s["id"] == ""
    assert s["published_time"] is None and s["next_rotation"] is None
    assert is_time(s["next_try"]) and s["tries"] >= 1 and s["reason"]
    assert s["endpoints"][0]["ok"] is False and is_time(s["endpoints"][0]["time"])
    assert s["grace"] == [] and s["mx_extra"] == []
    assert s["rua"] == ["https://mta-sts.example.com/tlsrpt"]     # httpsd's POST /tlsrpt
    assert s["policy"].startswith("version: STSv1")
    d = doc(e.zc, "mta-sts", "publish", "example.com", rc=EXIT_CONFLICT)
    assert d["domains"][0]["domain"] == "example.com"
    assert d["domains"][0]["outcome"] == "waiting" and d["domains"][0]["reason"]
    d = doc(e.zc, "mta-sts", "status", "nomail.example.com", rc=EXIT_NOTFOUND)
    assert set(d) == {"error", "reason", "messages"}
    e.httpsd.start()
    d = doc(e.zc, "mta-sts", "publish", "example.com")
    assert d["domains"][0]["outcome"] == "published" and d["domains"][0]["id"]
    s = doc(e.zc, "mta-sts", "status", "example.com")["domains"][0]
    assert is_time(s["published_time"]) and s["next_try"] is None


def test_mtasts_times_when_published(sts_factory):
    e = sts_factory(dnsd=False)     # only zonectl publishes: no race with dnsd
    doc(e.zc, "mta-sts", "enable", "example.com")
    s = doc(e.zc, "mta-sts", "status", "example.com")["domains"][0]
    assert s["state"] == "published" and s["published_version"] == 1
    assert is_time(s["published_time"]) and is_time(s["next_rotation"])
    assert s["next_rotation"] > s["published_time"]
    assert s["next_try"] is None
    assert s["endpoints"][0]["ok"] is True and is_time(s["endpoints"][0]["time"])
    # An MX leaves: it stays in the policy, in its grace period, until a time.
    doc(e.zc, "rr", "del", "example.com", "@", "MX", "20 mx2.example.com.")
    s = doc(e.zc, "mta-sts", "status", "example.com")["domains"][0]
    assert s["grace"][0]["name"] == "mx2.example.com" and is_time(s["grace"][0]["until"])
    # A change of the policy alone (no record) is an object too.
    d = doc(e.zc, "mta-sts", "set", "example.com", "--max-age", "86400", "--no-publish")
    assert d == {"domain": "example.com", "changed": True, "result": "settings changed"}
    d = doc(e.zc, "mta-sts", "publish")
    assert [x["outcome"] for x in d["domains"]] == ["published"]
    assert d["domains"][0]["serial"] > d["domains"][0]["serial_old"]
