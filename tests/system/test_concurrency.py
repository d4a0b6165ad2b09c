"""Several zonectl processes on one store at once: commits serialise, readers see whole commits."""

import subprocess
import threading
import time

import pytest

from conftest import (EXIT_CONFLICT, EXIT_NOTFOUND, EXIT_OK, minimal_zone, parse_json, records,
                      serial_change, write)

ZONE = "example.com"
WAIT = 60          # seconds any one process may take
POLL_LIMIT = 2000  # bound on reader iterations


@pytest.fixture
def procs():
    """Processes a test starts; any still running at the end are killed."""
    started = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        try:
            p.communicate(timeout=10)
        except Exception:
            pass


@pytest.fixture
def zone(zc, tmp_path):
    zc.ok("zone", "import", write(tmp_path / "base.zone", minimal_zone(serial=100)))
    return zc


def start_all(zc, procs, argvs, **kw):
    for args in argvs:
        procs.append(zc.popen(*args, **kw))
    results = []
    for p in procs[-len(argvs):]:
        out, err = p.communicate(timeout=WAIT)
        results.append((p.returncode, out, err))
    return results


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_writers_serialise(zone, procs, round_):
    n = 8
    s0 = zone.serial(ZONE)
    h0 = len(zone.history(ZONE))
    results = start_all(zone, procs, [("rr", "add", ZONE, "w%d A 192.0.2.%d" % (i, 10 + i))
                                      for i in range(n)])
    for rc, out, err in results:
        assert rc == EXIT_OK, (rc, out, err)
    # Each writer got its own serial: s0+1 .. s0+n, each from the one before.
    pairs = sorted(serial_change(out) for _, out, _ in results)
    assert pairs == [(s0 + k, s0 + k + 1) for k in range(n)]
    text = zone.export(ZONE)
    for i in range(n):
        assert "w%d.example.com.\t3600\tIN\tA\t192.0.2.%d" % (i, 10 + i) in text
    assert zone.serial(ZONE) == s0 + n
    assert zone.zones()["example.com."]["records"] == 3 + n
    h = zone.history(ZONE)[h0:]
    assert len(h) == n
    assert [(e["serial_old"], e["serial"]) for e in h] == [(s0 + k, s0 + k + 1) for k in range(n)]
    assert all(e["source"].startswith("zonectl rr add by user ") and (e["removed"], e["added"]) == (1, 2) for e in h)


def test_concurrent_batches_are_atomic(zone, procs):
    """Four batches of 50 records each at once: each lands whole, one commit each."""
    s0 = zone.serial(ZONE)
    argvs, inputs = [], []
    for b in range(4):
        argvs.append(("batch", ZONE))
        inputs.append("".join("add b%d-%d A 10.%d.0.%d\n" % (b, i, b, i) for i in range(50)))
    ps = []
    for a in argvs:
        p = zone.popen(*a, stdin=subprocess.PIPE)
        procs.append(p)
        ps.append(p)
    results = [p.communicate(input=t, timeout=WAIT) for p, t in zip(ps, inputs)]
    assert [p.returncode for p in ps] == [0] * 4, results
    hist = zone.history(ZONE)[-4:]
    assert [(e["serial_old"], e["serial"]) for e in hist] == [(s0 + k, s0 + k + 1) for k in range(4)]
    assert all(e["added"] == 51 and e["removed"] == 1 for e in hist)
    assert zone.zones()["example.com."]["records"] == 3 + 200


def test_concurrent_zone_add_one_wins(zc, procs):
    results = start_all(zc, procs, [("zone", "add", "race.test", "--ns", "ns%d.example.net." % i)
                                    for i in range(6)])
    rcs = sorted(rc for rc, _, _ in results)
    assert rcs == [EXIT_OK] + [EXIT_CONFLICT] * 5, results
    winner = [out for rc, out, _ in results if rc == EXIT_OK][0]
    assert "created" in winner
    ns = [l for l in records(zc.export("race.test")) if "\tNS\t" in l]
    assert len(ns) == 1
    assert len(zc.history("race.test")) == 1


def test_reader_sees_each_commit(zone, procs):
    """A commit is visible to the next reader process as soon as the writer exits."""
    seen = []
    stop = threading.Event()
    errors = []

    def poll():
        deadline = time.monotonic() + 30
        for _ in range(POLL_LIMIT):
            if stop.is_set() or time.monotonic() > deadline:
                return
            r = zone("rr", "list", ZONE, "@", "SOA")
            if r.rc != EXIT_OK:
                errors.append(r)
                return
            seen.append(int(r.out.split()[6]))

    t = threading.Thread(target=poll)
    t.start()
    try:
        s0 = 100
        for k in range(1, 7):
            r = zone("rr", "add", ZONE, "seen%d A 192.0.2.%d" % (k, k))
            assert r.rc == EXIT_OK, r
            # Straight after the writer exits, a new reader sees its record and serial.
            got = zone("rr", "list", ZONE, "seen%d" % k, "A")
            assert got.rc == EXIT_OK, got
            assert "192.0.2.%d" % k in got.out
            assert zone.serial(ZONE) == s0 + k
    finally:
        stop.set()
        t.join(timeout=WAIT)
    assert not t.is_alive()
    assert not errors, errors
    assert seen, "the polling reader never ran"
    # The polling reader saw serials only go up, and only ones that were committed.
    assert seen == sorted(seen)
    assert set(seen) <= set(range(100, 107))


def big_zone(path, n, origin="big.test."):
    """A zone of exactly n records (n >= 10)."""
    lines = ["$ORIGIN " + origin, "$TTL 3600",
             "@ SOA ns1 hostmaster 7 3600 900 1209600 300", "@ NS ns1", "ns1 A 192.0.2.1"]
    i = 0
    while len(lines) - 2 < n:
        k = i % 4
        b, c, d = (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff
        if k == 0:
            lines.append("h%d A 10.%d.%d.%d" % (i, b, c, d))
        elif k == 1:
            lines.append("h%d AAAA 2001:db8:%x:%x::%x" % (i - 1, b, c, d))
        elif k == 2:
            lines.append('t%d TXT "text %d"' % (i, i))
        else:
            lines.append("m%d MX 10 h%d" % (i, i - 3))
        i += 1
    path.write_text("\n".join(lines) + "\n")
    return path


def test_large_import_is_all_or_nothing_for_readers(zc, tmp_path, procs):
    n = 50000
    src = big_zone(tmp_path / "big.zone", n)
    zc.ok("zone", "add", "other.test", "--ns", "ns1.other.test")   # the store exists already
    imp = zc.popen("zone", "import", src)
    procs.append(imp)
    observations = []   # (import running when the read started, records or None)
    deadline = time.monotonic() + WAIT
    after = 0
    for i in range(POLL_LIMIT):
        running = imp.poll() is None
        if i % 4 == 3:
            # Now and then the whole zone, counted record by record.
            r = zc("zone", "export", "big.test")
            if r.rc == EXIT_NOTFOUND:
                count = None
            else:
                assert r.rc == EXIT_OK, r
                count = len(records(r.out))
        else:
            r = zc("--json", "zone", "list")
            assert r.rc == EXIT_OK, r
            zones = {z["name"]: z for z in parse_json(r.out)["zones"]}
            assert "other.test." in zones
            count = zones["big.test."]["records"] if "big.test." in zones else None
            if count is not None:
                assert zones["big.test."]["serial"] == 7
        observations.append((running, count))
        if not running:
            after += 1
            if after >= 4:
                break
        assert time.monotonic() < deadline, "reader loop took too long"
    out, err = imp.communicate(timeout=WAIT)
    assert imp.returncode == EXIT_OK, (out, err)
    assert "created: %d records" % n in out
    counts = {c for _, c in observations}
    assert counts <= {None, n}, "a reader saw a partial zone: %s" % sorted(counts, key=str)
    assert any(running for running, _ in observations), "no read overlapped the import"
    assert observations[-1][1] == n
