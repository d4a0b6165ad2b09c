"""MTA-STS end to end: zonectl, httpsd and dnsd on one store, checked as senders see it.

The invariant every test here leans on: an _mta-sts id is only visible over DNS once
every httpsd endpoint serves the policy that id stands for.
"""

import re
import signal
import threading
import time


from conftest import EXIT_CONFLICT, EXIT_INPUT, EXIT_OK
from proc_helpers import kill_process
from sts_helpers import mx_lines, sts_factory  # noqa: F401  (fixture)


def published(out):
    """(version, id) from the publish line zonectl prints, or None."""
    m = re.search(r"policy version (\d+) served by every endpoint; id (\w+) (?:published|rotated)",
                  out)
    return (int(m.group(1)), m.group(2)) if m else None


def test_enable_publishes_policy_then_id(sts_factory):
    e = sts_factory()
    assert e.txt_id() is None
    r = e.zc.ok("mta-sts", "enable", "example.com", "--mode", "enforce",
                "--rua", "mailto:tlsrpt@example.com")
    pub = published(r.out)
    assert pub, r.out + r.err
    assert pub[0] == 1
    # Over DNS: the id, the service address and the TLS-RPT record.
    assert e.txt_id() == pub[1]
    st, headers, body = e.fetch()
    assert st == 200
    assert headers["content-type"].startswith("text/plain")
    assert body == (b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
                    b"mx: mx2.example.com\r\nmax_age: 604800\r\n")
    s = e.status()
    assert s["state"] == "published" and s["id"] == pub[1]
    assert s["policy"].encode() == body
    assert s["endpoints"][0]["ok"] is True
    r = e.dnsd.query("_smtp._tls.example.com", "TXT")
    # Lockstep's own HTTPS intake first (tlsrpt.receive), the outside --rua after it.
    assert b"v=TLSRPTv1; rua=https://mta-sts.example.com/tlsrpt,mailto:tlsrpt@example.com" in b"".join(
        b"".join(rd.strings) for rrset in r.answer for rd in rrset)
    r = e.dnsd.query("mta-sts.example.com", "A")
    assert [rd.address for rrset in r.answer for rd in rrset] == ["127.0.0.1"]
    # Exactly one TXT at _mta-sts.
    r = e.dnsd.query("_mta-sts.example.com", "TXT")
    assert sum(len(rrset) for rrset in r.answer) == 1


def test_mx_change_publishes_new_policy_and_id(sts_factory):
    e = sts_factory()
    first = published(e.zc.ok("mta-sts", "enable", "example.com").out)
    serial0 = e.zc.zones()["example.com."]["serial"]
    r = e.zc.ok("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.")
    pub = published(r.out)
    assert pub and pub[0] == 2, r.out
    assert int(pub[1]) > int(first[1])
    # Two commits: the MX with the policy, then the id.
    assert e.zc.zones()["example.com."]["serial"] == serial0 + 2
    assert e.txt_id() == pub[1]
    assert mx_lines(e.fetch()[2]) == ["mx1.example.com", "mx2.example.com", "mx3.example.com"]
    # An MX change that leaves the policy as it is (a preference) makes no new id.
    r = e.zc.ok("rr", "set", "example.com", "@", "MX", "3600", "5 mx1.example.com.",
                "20 mx2.example.com.", "30 mx3.example.com.")
    assert published(r.out) is None
    assert e.txt_id() == pub[1]


def test_hand_edits_of_managed_records_refused(sts_factory):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    before = e.zc.export("example.com")
    for args in (("rr", "add", "example.com", '_mta-sts 300 IN TXT "v=STSv1; id=1"'),
                 ("rr", "del", "example.com", "_mta-sts"),
                 ("rr", "del", "example.com", "mta-sts", "A")):
        r = e.zc(*args)
        assert r.rc == EXIT_INPUT, r
        assert "managed by MTA-STS" in r.err and "zonectl mta-sts" in r.err
    # Deleting every MX of an enforce domain is refused with the way out.
    e.zc.ok("mta-sts", "mode", "example.com", "enforce")
    mid = e.zc.export("example.com")
    r = e.zc("rr", "del", "example.com", "@", "MX")
    assert r.rc == EXIT_INPUT and "no MX records" in r.err and "mta-sts mode" in r.err
    assert e.zc.export("example.com") == mid
    assert before != mid


def test_enable_refusals(sts_factory):
    e = sts_factory()
    r = e.zc("mta-sts", "enable", "www.example.com")
    assert r.rc == EXIT_INPUT and "no MX records" in r.err
    e.zc.ok("rr", "add", "example.com", "nomail 300 IN MX 0 .")
    r = e.zc("mta-sts", "enable", "nomail.example.com")
    assert r.rc == EXIT_INPUT and "null MX" in r.err
    e.zc.ok("mta-sts", "enable", "nomail.example.com", "--mode", "none")
    e.zc.ok("rr", "add", "example.com", "cn 300 IN MX 10 shop.example.com.")
    r = e.zc("mta-sts", "enable", "cn.example.com")
    assert r.rc == EXIT_INPUT and "is a CNAME" in r.err
    r = e.zc("mta-sts", "enable", "example.com", "--mx-extra", "bad_name.example")
    assert r.rc == EXIT_INPUT and "--mx-extra" in r.err
    r = e.zc("mta-sts", "enable", "example.com", "--max-age", "31557601")
    assert r.rc == EXIT_INPUT
    # Names a certificate cannot carry are refused before anything is written.
    for bad in ["bad name.example.com", "a\rb.example.com", "%s.example.com" % ("x" * 64),
                "under_score.example.com"]:
        r = e.zc("mta-sts", "enable", bad)
        assert r.rc in (EXIT_INPUT, 2) and ("not a host name" in r.err or "valid" in r.err), r
    assert [d["domain"] for d in e.zc.json("mta-sts", "status")["domains"]] == \
        ["nomail.example.com"]


def test_max_age_zero_is_allowed_with_a_warning(sts_factory):
    e = sts_factory()
    r = e.zc.ok("mta-sts", "enable", "example.com", "--max-age", "0")
    assert "max-age 0: senders cache nothing" in r.err
    assert e.fetch()[2].endswith(b"max_age: 0\r\n")


def test_httpsd_down_id_waits_then_publishes(sts_factory):
    e = sts_factory()
    first = published(e.zc.ok("mta-sts", "enable", "example.com").out)
    e.httpsd.stop()
    r = e.zc.ok("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.")
    assert "waiting" in r.out and "connect" in r.out, r.out
    assert e.txt_id() == first[1]
    s = e.status()
    assert s["state"] == "waiting" and s["version"] == 2 and s["published_version"] == 1
    assert "127.0.0.1:%d" % e.https_port in s["reason"]
    # The cause goes away: dnsd's publisher finishes the job.
    e.httpsd.start()
    new = e.wait("new id after httpsd came back", lambda: (e.txt_id() != first[1]) and e.txt_id())
    assert int(new) > int(first[1])
    assert e.status()["published_version"] == 2
    assert "mta-sts: example.com.: policy version 2 served" in e.dnsd.log_text()


def test_missing_certificate_id_waits(sts_factory):
    e = sts_factory()
    first = published(e.zc.ok("mta-sts", "enable", "example.com").out)
    certdir = e.zc.state / "certs" / "mta-sts.example.com"
    hidden = e.tmp / "hidden-cert"
    certdir.rename(hidden)
    time.sleep(1.5)      # httpsd looks at a host's files at most once a second
    r = e.zc.ok("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.")
    assert "waiting" in r.out, r.out
    # The state directory's path when it fits the reason, else STATE.
    want = "no certificate for mta-sts.example.com in "
    assert want in r.out and ("%s/certs" % e.zc.state in r.out or "STATE/certs" in r.out), r.out
    assert e.txt_id() == first[1]
    assert want in e.status()["reason"]
    hidden.rename(certdir)
    e.wait("publish once the certificate is back", lambda: e.txt_id() != first[1])
    assert mx_lines(e.fetch()[2])[-1] == "mx3.example.com"


def hanging_change(e):
    """Enables example.com, stops httpsd (fetches hang in the handshake) and starts a zonectl
    MX change; returns (the first publish, the zonectl) once its first commit is in. The
    caller sends httpsd SIGCONT and ends the zonectl."""
    first = published(e.zc.ok("mta-sts", "enable", "example.com").out)
    e.httpsd.proc.send_signal(signal.SIGSTOP)
    p = e.zc.popen("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.")
    try:
        e.wait("the first commit", lambda: e.status()["version"] == 2, timeout=10)
    except BaseException:
        kill_process(p)
        p.communicate(timeout=5)
        e.httpsd.proc.send_signal(signal.SIGCONT)
        raise
    return first, p


def test_kill9_between_commit_and_publish(sts_factory):
    """zonectl killed after its first commit, while it fetches: the id stays, dnsd completes."""
    e = sts_factory()
    first, p = hanging_change(e)
    try:
        assert p.poll() is None, "zonectl ended before it could be killed"
        p.send_signal(signal.SIGKILL)
        p.wait(5)
        assert e.status()["published_version"] == 1
        assert e.txt_id() == first[1]
    finally:
        kill_process(p)                                 # on a failure above
        p.communicate(timeout=5)
        e.httpsd.proc.send_signal(signal.SIGCONT)
    new = e.wait("dnsd publishes after the kill", lambda: (e.txt_id() != first[1]) and e.txt_id())
    assert e.status()["published_version"] == 2
    assert int(new) > int(first[1])


def test_zonectl_shows_a_publish_dnsd_took(sts_factory):
    """dnsd publishes the policy a zonectl commit made before that zonectl's own step can:
    zonectl still says what became of its change (the race a slow machine shows)."""
    e = sts_factory()
    first, p = hanging_change(e)
    try:
        p.send_signal(signal.SIGSTOP)                   # zonectl holds, mid-fetch
        e.httpsd.proc.send_signal(signal.SIGCONT)
        e.wait("dnsd publishes version 2", lambda: e.status()["published_version"] == 2)
        p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=30)
    finally:
        e.httpsd.proc.send_signal(signal.SIGCONT)
        if p.returncode is None:
            p.send_signal(signal.SIGCONT)
            kill_process(p)
            p.communicate(timeout=5)
    assert p.returncode == 0, err
    assert "published by another publisher" in out, out
    version, tid = published(out)
    assert version == 2 and tid == e.txt_id() and int(tid) > int(first[1])


def test_observer_never_sees_id_before_its_policy(sts_factory):
    """MX changes in a loop; an observer reads the id over DNS, then fetches the policy."""
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    versions = {}                  # id -> policy version it stands for
    versions_lock = threading.Lock()
    seen = []
    stop = threading.Event()

    def observe():
        for _ in range(5000):
            if stop.is_set():
                return
            tid = e.txt_id()
            st, _, body = e.fetch()
            seen.append((tid, st, len(mx_lines(body))))

    t = threading.Thread(target=observe)
    t.start()
    try:
        for k in range(3, 15):
            r = e.zc.ok("rr", "add", "example.com", "@ 3600 IN MX %d mx%d.example.com." % (k, k))
            pub = published(r.out)
            assert pub, r.out
            with versions_lock:
                versions[pub[1]] = pub[0]
            # The next change waits for two looks at this one: a fast publish must not
            # outrun the observer (each look is a DNS query and a new TLS handshake).
            n = len(seen)
            deadline = time.monotonic() + 15
            while len(seen) < n + 2 and t.is_alive() and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        stop.set()
        t.join(30)
    assert len(seen) > 20
    # Version v has v + 1 mx lines (mx1, mx2, then one more per change).
    checked = 0
    for tid, st, nmx in seen:
        assert st == 200
        if tid in versions:
            assert nmx >= versions[tid] + 1, (tid, versions[tid], nmx)
            checked += 1
    assert checked > 10


def test_rotation_grace_and_removal(sts_factory):
    e = sts_factory(extra_config="  rotate-interval: 2\n  txt-ttl: 1\n")
    e.zc.ok("rr", "set", "example.com", "@", "MX", "1", "10 mx1.example.com.",
            "20 mx2.example.com.")
    first = published(e.zc.ok("mta-sts", "enable", "example.com", "--max-age", "3").out)
    # Rotation: a new id with the same policy, fetched first.
    rotated = e.wait("rotation", lambda: (e.txt_id() not in (None, first[1])) and e.txt_id())
    assert e.status()["published_version"] == 1
    assert int(rotated) > int(first[1])
    # Grace: mx2 leaves the RRset but stays in the policy for MX TTL + TXT TTL (2 s).
    r = e.zc.ok("rr", "del", "example.com", "@", "MX", "20 mx2.example.com.")
    assert published(r.out) is None
    assert "mx2.example.com" in mx_lines(e.fetch()[2])
    assert e.status()["grace"][0]["name"] == "mx2.example.com"
    e.wait("grace end", lambda: mx_lines(e.fetch()[2]) == ["mx1.example.com"])
    e.wait("the policy without mx2 published", lambda: e.status()["published_version"] == 2)
    # Removal: mode none under a new id, then the records go after max_age (3 s).
    r = e.zc.ok("mta-sts", "disable", "example.com")
    assert published(r.out), r.out
    assert b"mode: none" in e.fetch()[2]
    e.wait("removal", lambda: e.status()["state"] == "removed", timeout=20)
    assert e.txt_id() is None
    r = e.dnsd.query("mta-sts.example.com", "A")
    assert not r.answer
    assert e.fetch()[0] == 404
    # Enabled again: ids keep increasing.
    again = published(e.zc.ok("mta-sts", "enable", "example.com").out)
    assert int(again[1]) > int(rotated)


def test_publish_command_and_status_text(sts_factory):
    e = sts_factory()
    e.httpsd.stop()
    r = e.zc.ok("mta-sts", "enable", "example.com", "--mx-extra", "*.backup.example.net")
    assert "waiting" in r.out
    r = e.zc("mta-sts", "publish", "example.com")
    assert r.rc == EXIT_CONFLICT and "waiting" in r.out
    text = e.zc.ok("mta-sts", "status", "example.com").out
    assert "waiting" in text and "none yet" in text and "mx: *.backup.example.net" in text
    e.httpsd.start()
    r = e.zc.ok("mta-sts", "publish", "example.com")
    assert published(r.out)
    assert e.zc.ok("mta-sts", "publish").rc == EXIT_OK


def test_wait_exit_status_follows_the_publish(sts_factory):
    e = sts_factory(dnsd=False)      # only zonectl runs the step here
    first = published(e.zc.ok("mta-sts", "enable", "example.com", "--wait").out)
    assert first[1]
    # httpsd down: --wait tries for --timeout seconds, then exit 4; the change is committed.
    e.httpsd.stop()
    t0 = time.monotonic()
    r = e.zc("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.", "--wait",
             "--timeout", "3")
    assert r.rc == EXIT_CONFLICT, r
    assert 2.5 <= time.monotonic() - t0 < 15
    assert r.out.count("waiting") >= 2, r.out        # it tried again
    assert e.status()["state"] == "waiting"
    # Without --wait the same wait is exit 0, as before.
    assert e.zc("rr", "add", "example.com", "@ 3600 IN MX 40 mx4.example.com.").rc == 0
    # httpsd comes back while zonectl waits: it publishes and exits 0.
    threading.Timer(2.0, e.httpsd.start).start()
    r = e.zc("rr", "add", "example.com", "@ 3600 IN MX 50 mx5.example.com.", "--wait",
             "--timeout", "30")
    assert r.rc == 0, r
    assert "served by every endpoint" in r.out, r.out
    s = e.status()
    assert s["state"] == "published" and s["published_version"] == s["version"]
    assert b"mx: mx5.example.com\r\n" in e.fetch()[2]


def test_settings_already_in_force_are_no_change(sts_factory):
    e = sts_factory(dnsd=False)
    e.zc.ok("mta-sts", "enable", "example.com", "--mode", "testing", "--wait")
    before = e.status()
    for args in (["mode", "example.com", "testing"], ["set", "example.com", "--max-age", "604800"]):
        r = e.zc.ok("mta-sts", *args)
        assert r.out.strip() == "mta-sts example.com: no change", r.out
    assert e.zc.json("mta-sts", "mode", "example.com", "testing") == {
        "domain": "example.com", "changed": False, "result": "no change"}
    after = e.status()
    assert (after["version"], after["id"]) == (before["version"], before["id"])
    # A real change still makes the next version.
    assert "no change" not in e.zc.ok("mta-sts", "mode", "example.com", "enforce").out
    assert e.status()["version"] == before["version"] + 1


def test_status_says_when_nothing_retries_a_wait(sts_factory):
    e = sts_factory(dnsd=False)
    e.httpsd.stop()
    e.zc.ok("mta-sts", "enable", "example.com")
    text = e.zc.ok("mta-sts", "status", "example.com").out
    assert "nothing retries this publish: no dnsd runs on this state directory" in text, text
    pub = e.zc.json("mta-sts", "status")["publisher"]
    assert pub == {"running": False, "dnsd_pid": None,
                   "reason": "no dnsd runs on this state directory"}


def test_status_names_the_dnsd_that_retries(sts_factory):
    e = sts_factory()
    e.httpsd.stop()
    e.zc.ok("mta-sts", "enable", "example.com")
    text = e.zc.ok("mta-sts", "status", "example.com").out
    assert "waiting" in text and "nothing retries" not in text, text
    pub = e.zc.json("mta-sts", "status")["publisher"]
    assert pub["running"] is True and pub["dnsd_pid"] == e.dnsd.proc.pid and pub["reason"] is None


def test_no_stale_tlsrpt_record(sts_factory):
    e = sts_factory(dnsd=False)

    def tlsrpt():
        r = e.zc("rr", "list", "example.com", "_smtp._tls", "TXT")
        return r.out.strip() if r.rc == 0 else None

    e.zc.ok("mta-sts", "enable", "example.com", "--rua", "mailto:tlsrpt@example.net")
    assert "rua=https://mta-sts.example.com/tlsrpt,mailto:tlsrpt@example.net" in tlsrpt()
    e.zc.ok("mta-sts", "disable", "example.com", "--now")
    assert tlsrpt() is None
    e.zc.ok("mta-sts", "enable", "example.com")            # no --rua this time: own only
    assert tlsrpt().endswith('"v=TLSRPTv1; rua=https://mta-sts.example.com/tlsrpt"')
    e.zc.ok("mta-sts", "set", "example.com", "--rua", "https://r.example.net/tlsrpt")
    assert "rua=https://mta-sts.example.com/tlsrpt,https://r.example.net/tlsrpt" in tlsrpt()
    e.zc.ok("mta-sts", "set", "example.com", "--no-rua")
    assert tlsrpt() is None
