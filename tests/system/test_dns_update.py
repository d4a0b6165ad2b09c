"""DNS UPDATE (RFC 2136, RFC 3007) into dnsd, driven by nsupdate (BIND) and knsupdate (Knot).

An update is one more writer on the edit path: an MX added by nsupdate makes a new MTA-STS
policy that httpsd serves before the _mta-sts id changes; an MX removed stays in the policy
for its grace period, as with zonectl; every refusal changes nothing.
"""

import shutil
import subprocess
import time

import pytest

from proc_helpers import wait_until

from conftest import EXIT_CONFLICT, EXIT_NOTFOUND, ZONES_DIR
from dnsd_helpers import dnsd_counters
from sts_helpers import mx_lines, sts_factory  # noqa: F401  (fixture)

TOOL_TIMEOUT = 30       # seconds for one nsupdate/knsupdate run (it retries itself)


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail("%s is not installed: `make deps` installs it (Debian %s)" % (
            name, "bind9-dnsutils" if name == "nsupdate" else "knot-dnsutils"), pytrace=False)
    return path


def add_key(e, name):
    """A TSIG key made by zonectl: the secret."""
    return e.zc.json("tsig", "add", name)["secret"]


def send(e, lines, key=None, secret=None, prog="nsupdate", tcp=False, alg="hmac-sha256"):
    """Runs one update script against e's dnsd: (exit status, output)."""
    script = "server 127.0.0.1 %d\nzone example.com.\n%s\nsend\n" % (e.dnsd.port, "\n".join(lines))
    argv = [tool(prog)]
    if prog == "nsupdate":
        argv += ["-t", "10", "-u", "2", "-r", "2"]
    if tcp:
        argv.append("-v")
    if key:
        argv += ["-y", "%s:%s:%s" % (alg, key, secret)]
    p = subprocess.run(argv, input=script, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=TOOL_TIMEOUT)
    return p.returncode, p.stdout


def serial(e):
    return e.zc.zones()["example.com."]["serial"]


def has(e, name, rdtype):
    return bool(e.dnsd.query(name, rdtype).answer)


def updater(e, key="upd", *policy):
    secret = add_key(e, key)
    e.zc.ok("zone", "update-policy", "example.com", "add", key, *policy)
    return secret


@pytest.mark.parametrize("prog", ["nsupdate", "knsupdate"])
def test_mx_added_publishes_policy_then_id(sts_factory, prog):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    first = e.txt_id()
    assert first
    secret = updater(e)
    s0 = serial(e)
    rc, out = send(e, ["update add example.com. 3600 MX 30 mx3.example.com."], "upd", secret,
                   prog=prog)
    assert rc == 0, out
    # Answered after the durable commit: the MX is there at once.
    assert has(e, "example.com", "MX") and serial(e) > s0
    mx = [r.to_text() for rrset in e.dnsd.query("example.com", "MX").answer for r in rrset]
    assert "30 mx3.example.com." in mx
    # dnsd's publisher fetches the new policy from httpsd, then changes the id; whenever the
    # new id is visible, the policy it stands for is already served.
    new = e.wait("new id", lambda: e.txt_id() not in (None, first) and e.txt_id())
    assert int(new) > int(first)
    assert "mx3.example.com" in mx_lines(e.fetch()[2])
    assert e.status()["published_version"] == 2
    # The history names the key and the address.
    hist = e.zc.ok("zone", "history", "example.com").out
    assert "update by key upd from 127.0.0.1" in hist


def test_mx_removed_leaves_policy_after_grace(sts_factory):
    e = sts_factory(extra_config="  txt-ttl: 1\n")
    e.zc.ok("rr", "set", "example.com", "@", "MX", "1", "10 mx1.example.com.",
            "20 mx2.example.com.")
    e.zc.ok("mta-sts", "enable", "example.com")
    secret = updater(e)
    rc, out = send(e, ["update delete example.com. MX 20 mx2.example.com."], "upd", secret,
                   prog="knsupdate")
    assert rc == 0, out
    # As with `zonectl rr del`: the name stays in the policy for MX TTL + TXT TTL, then goes.
    assert "mx2.example.com" in mx_lines(e.fetch()[2])
    assert e.status()["grace"][0]["name"] == "mx2.example.com"
    e.wait("grace end", lambda: mx_lines(e.fetch()[2]) == ["mx1.example.com"])
    e.wait("the policy without mx2 published", lambda: e.status()["published_version"] == 2)


def test_prerequisites(sts_factory):
    e = sts_factory()
    secret = updater(e)
    s0 = serial(e)
    # www exists: "nxdomain www" fails with YXDOMAIN and nothing changes.
    rc, out = send(e, ["prereq nxdomain www.example.com.",
                       "update add new.example.com. 300 A 192.0.2.9"], "upd", secret)
    assert rc != 0 and "YXDOMAIN" in out, out
    assert not has(e, "new.example.com", "A") and serial(e) == s0
    # No MX at www: "yxrrset www MX" fails with NXRRSET.
    rc, out = send(e, ["prereq yxrrset www.example.com. MX",
                       "update add new.example.com. 300 A 192.0.2.9"], "upd", secret)
    assert rc != 0 and "NXRRSET" in out, out
    assert not has(e, "new.example.com", "A") and serial(e) == s0
    # Both hold (over TCP this time): applied.
    rc, out = send(e, ["prereq yxrrset www.example.com. A", "prereq nxdomain new.example.com.",
                       "update add new.example.com. 300 A 192.0.2.9"], "upd", secret, tcp=True)
    assert rc == 0, out
    assert has(e, "new.example.com", "A") and serial(e) > s0
    # Value-dependent: www A is exactly 192.0.2.80.
    rc, out = send(e, ["prereq yxrrset www.example.com. A 192.0.2.80",
                       "update delete new.example.com. A"], "upd", secret)
    assert rc == 0, out
    assert not has(e, "new.example.com", "A")
    # Counted for `zonectl stats` (and /metrics): two refused, two applied.
    want = {"update.applied": 2, "update.refused": 2, "update.unchanged": 0, "update.busy": 0}
    def got():
        return {k: dnsd_counters(e.zc.state).get(k) for k in want}
    assert wait_until(lambda: got() == want, 5), dnsd_counters(e.zc.state)


def test_refusals_change_nothing(sts_factory):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    secret = updater(e)
    lim = updater(e, "lim", "--name", "*.dyn", "--type", "A")
    bare = add_key(e, "nopolicy")
    wrong = "A" * 43 + "="
    s0 = serial(e)
    before = e.zc.export("example.com")
    add = ["update add new.example.com. 300 A 192.0.2.9"]
    cases = [
        ("unsigned", add, None, None, "REFUSED"),
        ("no policy", add, "nopolicy", bare, "REFUSED"),
        ("outside the key's names", add, "lim", lim, "REFUSED"),
        ("outside the key's types", ["update add h.dyn.example.com. 300 AAAA 2001:db8::9"],
         "lim", lim, "REFUSED"),
        ("one change outside refuses all", ["update add h.dyn.example.com. 300 A 192.0.2.9",
                                            "update add new.example.com. 300 A 192.0.2.9"],
         "lim", lim, "REFUSED"),
        ("SOA", ["update add example.com. 300 SOA ns1.example.com. h.example.com. 4000000000 "
                 "1 1 1 1"], "upd", secret, "REFUSED"),
        ("managed record", ['update add _mta-sts.example.com. 300 TXT "v=STSv1; id=1"'],
         "upd", secret, "REFUSED"),
        ("managed name", ["update delete mta-sts.example.com. A"], "upd", secret, "REFUSED"),
        ("unknown key", add, "nokey", secret, "BADKEY"),
        ("bad signature", add, "upd", wrong, "BADSIG"),
    ]
    for what, lines, key, sec, expect in cases:
        rc, out = send(e, lines, key, sec)
        assert rc != 0 and expect in out, "%s: %s" % (what, out)
        assert serial(e) == s0, what
        assert not has(e, "new.example.com", "A"), what
    assert e.zc.export("example.com") == before
    # A zone that is not in the store: NOTAUTH.
    rc, out = send(e, ["zone example.org.", "update add a.example.org. 300 A 192.0.2.9"],
                   "upd", secret)
    assert rc != 0 and "NOTAUTH" in out, out


def test_update_policy_commands(sts_factory):
    e = sts_factory(dnsd=False)
    add_key(e, "upd")
    r = e.zc.ok("zone", "update-policy", "example.com", "add", "upd", "--name", "*.dyn",
                "--name", "host.example.com.", "--type", "A", "--type", "TXT")
    assert "update policy added" in r.out
    r = e.zc.ok("zone", "update-policy", "example.com", "add", "upd", "--name", "*.dyn",
                "--name", "host.example.com.", "--type", "A", "--type", "TXT")
    assert "no change" in r.out
    j = e.zc.json("zone", "update-policy", "example.com", "list")
    assert j == {"zone": "example.com.", "policies": [
        {"key": "upd", "names": ["*.dyn.example.com.", "host.example.com."],
         "types": ["A", "TXT"]}]}
    r = e.zc.ok("zone", "update-policy", "example.com", "add", "upd")
    assert "replaced" in r.out
    assert e.zc.json("zone", "update-policy", "example.com", "list")["policies"] == [
        {"key": "upd", "names": None, "types": None}]
    assert e.zc("zone", "update-policy", "example.com", "add", "nokey").rc == EXIT_NOTFOUND
    assert e.zc("zone", "update-policy", "example.com", "add", "upd", "--type", "BOGUS").rc == 2
    assert e.zc("zone", "update-policy", "example.com", "add", "upd", "--name",
                "x.example.org.").rc == 2
    assert e.zc("zone", "update-policy", "example.com", "list", "--name", "a").rc == 2
    assert e.zc("zone", "update-policy", "nozone.example", "list").rc == EXIT_NOTFOUND
    j = e.zc.json("zone", "update-policy", "example.com", "del", "upd")
    assert j["deleted"] is True and j["key"] == "upd"
    assert "no change" in e.zc.ok("zone", "update-policy", "example.com", "del", "upd").out
    assert e.zc.json("zone", "update-policy", "example.com", "list")["policies"] == []
    assert "--name PATTERN" in e.zc.ok("zone", "update-policy", "--help").out
    # Deleting the zone deletes its policies; the store check knows the table. A key that a
    # policy names cannot be deleted.
    e.zc.ok("zone", "update-policy", "example.com", "add", "upd")
    r = e.zc("tsig", "del", "upd")
    assert r.rc == EXIT_CONFLICT and "update-policy example.com. del upd" in r.err, r
    e.zc.ok("zone", "del", "example.com")
    e.zc.ok("zone", "import", ZONES_DIR / "example.com.zone")
    assert e.zc.json("zone", "update-policy", "example.com", "list")["policies"] == []
    e.zc.ok("store", "check")
    e.zc.ok("tsig", "del", "upd")
