"""The API next to the real thing: Debian's pdns-server 4.7.3 (gsqlite3 backend) and Lockstep's
API answer the same requests in the same order, and agree request by request in status and in
the keys of every object (server, zone list item, zone, rrset, record, search result, statistic).

Left out on purpose are the cases where Lockstep is stricter than PowerDNS (a TTL given as a
string, negative or >= 2^31, content that is not UTF-8: PowerDNS takes them, Lockstep answers
422); test_api.py checks those."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from api_helpers import ApiClient, start_api_env
from proc_helpers import free_port, started, stop_process, wait_until

PDNS = "/usr/sbin/pdns_server"
SCHEMA = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
PDNS_KEY = "compare-key"
P = "/api/v1/servers/localhost"
Z = P + "/zones"


def rrset(name, rtype, ttl, *contents, change="REPLACE"):
    r = {"name": name, "type": rtype, "changetype": change}
    if change == "REPLACE":
        r.update(ttl=ttl, records=[{"content": c, "disabled": False} for c in contents],
                 comments=[])
    return {"rrsets": [r]}


# (what, method, path, JSON body or raw bytes, send the key)
REQUESTS = [
    ("api versions", "GET", "/api", None, True),
    ("servers", "GET", "/api/v1/servers", None, True),
    ("server", "GET", P, None, True),
    ("no key", "GET", Z, None, False),
    ("create zone", "POST", Z, {"name": "cmp.test.", "kind": "Native",
                               "nameservers": ["ns1.cmp.test."]}, True),
    ("create it again", "POST", Z, {"name": "cmp.test.", "kind": "Native",
                                   "nameservers": ["ns1.cmp.test."]}, True),
    ("create a Master zone", "POST", Z, {"name": "master.test.", "kind": "Master",
                                        "nameservers": ["ns1.master.test."]}, True),
    ("malformed JSON", "POST", Z, b'{"name": ', True),
    ("zone list", "GET", Z, None, True),
    ("zone", "GET", Z + "/cmp.test.", None, True),
    ("replace an rrset", "PATCH", Z + "/cmp.test.",
     rrset("www.cmp.test.", "A", 300, "192.0.2.1", "192.0.2.2"), True),
    ("acme TXT", "PATCH", Z + "/cmp.test.",
     rrset("_acme-challenge.cmp.test.", "TXT", 120, '"token"'), True),
    ("zone with records", "GET", Z + "/cmp.test.", None, True),
    ("out of zone", "PATCH", Z + "/cmp.test.", rrset("www.other.test.", "A", 300, "192.0.2.1"),
     True),
    ("bad address", "PATCH", Z + "/cmp.test.", rrset("www.cmp.test.", "A", 300, "1.2.3"), True),
    ("CNAME beside A", "PATCH", Z + "/cmp.test.",
     rrset("www.cmp.test.", "CNAME", 300, "x.cmp.test."), True),
    ("delete an rrset", "PATCH", Z + "/cmp.test.",
     rrset("_acme-challenge.cmp.test.", "TXT", 0, change="DELETE"), True),
    ("zone metadata", "PUT", Z + "/cmp.test.", {"kind": "Master"}, True),
    ("notify", "PUT", Z + "/cmp.test./notify", None, True),
    ("export", "GET", Z + "/cmp.test./export", None, True),
    ("search", "GET", P + "/search-data?q=www*", None, True),
    ("statistics", "GET", P + "/statistics", None, True),
    ("no such zone", "GET", Z + "/nothing.test.", None, True),
    ("delete zone", "DELETE", Z + "/cmp.test.", None, True),
    ("delete it again", "DELETE", Z + "/cmp.test.", None, True),
]


def shape(v):
    """What must agree: the keys of every object, each list by the shape of its first item."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return None


def key_sets(v, path="$"):
    """Every object's key set by its place; lists by their first item."""
    out = {}
    if isinstance(v, dict):
        out[path] = sorted(v)
        for k, x in v.items():
            out.update(key_sets(x, path + "." + k))
    elif isinstance(v, list) and v:
        out.update(key_sets(v[0], path + "[]"))
    return out


@pytest.fixture
def pdns(tmp_path):
    if not Path(PDNS).exists() or not SCHEMA.exists():
        pytest.fail("pdns-server and pdns-backend-sqlite3 are needed (make deps)")
    d = tmp_path / "pdns"
    d.mkdir()
    db = d / "pdns.sqlite3"
    con = sqlite3.connect(str(db))
    con.executescript(SCHEMA.read_text())
    con.close()
    web = free_port()
    argv = [PDNS, "--config-dir=%s" % d, "--socket-dir=%s" % d, "--guardian=no",
            "--daemon=no", "--disable-syslog", "--local-address=127.0.0.1",
            "--local-port=%d" % free_port(), "--launch=gsqlite3",
            "--gsqlite3-database=%s" % db, "--api=yes", "--api-key=%s" % PDNS_KEY,
            "--webserver=yes", "--webserver-address=127.0.0.1", "--webserver-port=%d" % web,
            "--webserver-allow-from=127.0.0.0/8"]
    log = open(d / "pdns.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    client = ApiClient(web, PDNS_KEY)
    try:
        ok = wait_until(lambda: client.answering() and proc.poll() is None, 20)
        assert ok, (d / "pdns.log").read_text()[-2000:]
        yield client
    finally:
        stop_process(proc, 5)
        log.close()


@pytest.fixture
def lockstep(tmp_path):
    with started(tmp_path, "env") as envs:
        env = start_api_env(envs, zones=())
        # statistics are dnsd's counters: wait for the first file it writes.
        assert wait_until(lambda: (env.zc.state / "dnsd.stats").exists(), 15)
        yield env.api


def test_same_status_and_keys_as_pdns_server(pdns, lockstep):
    differences = []
    for what, method, path, body, auth in REQUESTS:
        answers = []
        for client in (pdns, lockstep):
            raw = body if isinstance(body, bytes) else None
            js = None if isinstance(body, bytes) else body
            answers.append(client.call(method, path, body=js, raw=raw,
                                       key="default" if auth else None))
        theirs, ours = answers
        if theirs.status != ours.status:
            differences.append("%s: status %d from pdns, %d from Lockstep (%r)" % (
                what, theirs.status, ours.status, ours.raw[:200]))
            continue
        if theirs.json is not None and ours.json is not None and theirs.status < 400:
            a, b = key_sets(theirs.json), key_sets(ours.json)
            if what == "statistics":
                # PowerDNS adds Map and Ring items; every StatisticItem has the same 3 keys.
                a = {k: v for k, v in a.items() if k == "$[]"}
                b = {k: v for k, v in b.items() if k == "$[]"}
            if a != b:
                differences.append("%s: keys differ\n  pdns:     %s\n  Lockstep: %s" % (
                    what, a, b))
    assert not differences, "\n".join(differences)


def test_key_counts_as_the_issue_gives_them(pdns):
    """The reference itself: 8 server keys, 12 per zone list item, 20 per zone, 5 per rrset,
    2 per record (so a change in Debian's package shows here first)."""
    pdns.call("POST", Z, {"name": "count.test.", "kind": "Native",
                          "nameservers": ["ns1.count.test."]})
    assert len(pdns.call("GET", P).json) == 8
    assert {len(z) for z in pdns.call("GET", Z).json} == {12}
    zone = pdns.call("GET", Z + "/count.test.").json
    assert len(zone) == 20
    assert {len(r) for r in zone["rrsets"]} == {5}
    assert {len(x) for r in zone["rrsets"] for x in r["records"]} == {2}
