"""The spool's import (`zonectl tlsrpt import`, what dnsd's maintenance thread runs), issue 12:
a batch's reports are parsed on several threads before its write transaction. Killed with
SIGKILL while it imports, it loses nothing and counts nothing twice: the next import takes the
rest, the reports committed but not yet deleted from the spool come again as duplicates, and
the summary's totals are exactly the sum of the distinct reports. Bad reports go to bad/."""

import gzip
import json
import os
import time

from conftest import ZONES_DIR, Zonectl
from test_tlsrpt import day, report, sts_policy

DISTINCT = 600       # several batches of 64, so a kill can fall between two
REPEATS = 40         # the same reports sent again (another file, same org and report-id)
BAD = 3


def spool(zc):
    return zc.state / "tlsrpt" / "new"


def left(zc):
    return len(os.listdir(spool(zc)))


def write_spool(zc):
    """The reports as httpsd or `tlsrpt ingest` leave them: (successful, failed) expected."""
    d = spool(zc)
    d.mkdir(parents=True, exist_ok=True)
    now, ok, failed, k = int(time.time()), 0, 0, 0

    def put(data):
        nonlocal k
        (d / ("%d.%09d.%d.0,example.com" % (now, k, os.getpid()))).write_bytes(data)
        k += 1

    for i in range(DISTINCT):
        # About 100 details each, so the import takes long enough to be killed midway.
        details = [{"result-type": "validation-failure",
                    "sending-mta-ip": "198.51.%d.%d" % (j // 250, j % 250),
                    "receiving-mx-hostname": "mx1.example.com", "failed-session-count": 1}
                   for j in range(100 + i % 5)]
        # The same (type, MX, IP) twice: summed into one row detail.
        details += details[:1]
        r = report("Sender %d" % (i % 7), "rid-%d" % i, day(-1),
                   [sts_policy(i % 11, len(details), details=details)])
        ok, failed = ok + i % 11, failed + len(details)
        body = gzip.compress(json.dumps(r).encode())
        put(body)
        if i < REPEATS:
            put(body)
    for i in range(BAD):
        put(b'{"organization-name": "broken %d", ' % i)
    return ok, failed


def test_kill_mid_import_loses_and_doubles_nothing(tmp_path):
    zc = Zonectl(tmp_path)
    zc.ok("zone", "import", str(ZONES_DIR / "example.com.zone"))
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n")
    zc.ok("mta-sts", "enable", "example.com", "--no-publish")
    ok, failed = write_spool(zc)
    total = DISTINCT + REPEATS + BAD
    assert left(zc) == total
    mid = 0           # kills that fell after some batch was committed and before the end
    for attempt in range(6):
        start = left(zc)
        if start == 0:
            break
        p = zc.popen("tlsrpt", "import")
        deadline = time.monotonic() + 120
        # First kill soon after the start (inside a transaction, most likely), later ones
        # once a batch is in and its files are going away.
        while p.poll() is None and time.monotonic() < deadline:
            if attempt == 0 and time.monotonic() > deadline - 120 + 0.1:
                break
            if attempt > 0 and left(zc) < start:
                break
            time.sleep(0.002)
        if p.poll() is None:
            p.kill()
            now = left(zc)
            mid += 0 < now < start
        p.communicate(timeout=60)
    assert mid >= 1, "no kill fell in the middle of an import (the machine too fast?)"
    res = zc.json("tlsrpt", "import")
    assert res["imported"] <= DISTINCT, res
    assert left(zc) == 0
    assert len(zc.json("tlsrpt", "list", "example.com")["reports"]) == DISTINCT
    days = zc.json("tlsrpt", "summary", "example.com", "--days", "7")["domains"][0]["days"]
    assert [(d["day"], d["successful"], d["failed"]) for d in days] == [(day(-1), ok, failed)]
    bad = sorted(os.listdir(zc.state / "tlsrpt" / "bad"))
    assert len(bad) == BAD, bad
