"""POST /tlsrpt under load (issue 12): reports that arrive together from many clients, and every
200 means the report is durable in new/.

- many concurrent keep-alive POSTs of distinct reports: every answer 200, the spool then holds
  each report exactly once (nothing left in tmp/), and the import stores them all;
- kill -9 of httpsd while reports pour in: every report answered 200 before the kill is whole
  in new/ and is imported.
dnsd is not started, so the spool stays as httpsd left it until `zonectl tlsrpt import`.
"""

import gzip
import http.client
import json
import struct
import zlib
import threading

from test_tlsrpt import day, report, sts_policy
from test_tlsrpt_https import https_connection
from sts_helpers import sts_factory  # noqa: F401  (fixture)

HOST = "mta-sts.example.com"
THREADS = 12
PER_THREAD = 15


def body(rid):
    """A gzip report whose report-id is rid (distinct reports are stored separately)."""
    r = report("Intake Test Org", rid, day(), [sts_policy(10, 1, details=[
        {"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.9",
         "receiving-mx-hostname": "mx1.example.com", "failed-session-count": 1}])])
    return gzip.compress(json.dumps(r).encode())


def connection(e):
    """A keep-alive HTTPS connection to httpsd for mta-sts.example.com."""
    return https_connection(e, timeout=60)(HOST, timeout=60)


def post(conn, data):
    conn.request("POST", "/tlsrpt", body=data,
                 headers={"Content-Type": "application/tlsrpt+gzip"})
    r = conn.getresponse()
    return r.status, r.read().decode()


def spool(e, sub):
    d = e.zc.state / "tlsrpt" / sub
    return sorted(d.iterdir()) if d.exists() else []


SEG_MAGIC = b"LSTRSEG1"


def records(data):
    """The bodies in a segment, read as tlsrpt_seg.h lays it out: u32 length, s64 received,
    u8 domain length, domain, body, CRC-32 of all that. A short or damaged record ends it."""
    off, out = len(SEG_MAGIC), []
    while len(data) - off >= 13:
        blen, _, dlen = struct.unpack_from("<IqB", data, off)
        end = off + 13 + dlen + blen
        if end + 4 > len(data):
            break
        (crc,) = struct.unpack_from("<I", data, end)
        if crc != zlib.crc32(data[off:end]):
            break
        out.append(data[off + 13 + dlen:end])
        off = end + 4
    return out


def spooled_bodies(e):
    """Every report in the spool as received: files in new/ and segments in new/ and seg/
    (while no writer moves them)."""
    out = []
    for p in spool(e, "new") + spool(e, "seg"):
        data = p.read_bytes()
        out += records(data) if data.startswith(SEG_MAGIC) else [data]
    return out


def spooled_ids(e):
    """The report-id of each report in the spool (each must be a whole gzip JSON report)."""
    return [json.loads(gzip.decompress(b))["report-id"] for b in spooled_bodies(e)]


def listed_ids(e):
    return sorted(r["report_id"] for r in
                  e.zc.json("tlsrpt", "list", "example.com")["reports"])


def enabled(sts_factory):
    e = sts_factory(extra_config="tlsrpt:\n  per-address-per-hour: 0\n", dnsd=False)
    e.zc.ok("mta-sts", "enable", "example.com")
    return e


def test_concurrent_posts_land_once_and_are_imported(sts_factory):
    e = enabled(sts_factory)
    answers, lock = [], threading.Lock()

    def sender(t):
        conn = connection(e)
        try:
            for i in range(PER_THREAD):
                rid = "r-%d-%d" % (t, i)
                st, text = post(conn, body(rid))
                with lock:
                    answers.append((rid, st, text))
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(180)
    assert not any(th.is_alive() for th in threads), "senders still running after 180 s"
    want = sorted("r-%d-%d" % (t, i) for t in range(THREADS) for i in range(PER_THREAD))
    assert sorted(a[0] for a in answers) == want
    assert [a for a in answers if a[1:] != (200, "OK\n")] == []
    # httpsd hands its open segment to new/ soon after the last report (a listing taken while
    # it moves could miss it).
    e.wait("segments in new/", lambda: spool(e, "seg") == [], timeout=30)
    assert sorted(spooled_ids(e)) == want        # each exactly once
    assert spool(e, "tmp") == []
    # Reports that came together shared a segment (and its sync).
    assert len(spool(e, "new") + spool(e, "seg")) < len(want)
    r = e.zc.ok("tlsrpt", "import")
    assert spool(e, "new") == [], r.out
    assert listed_ids(e) == want


def test_report_answered_200_survives_kill_9(sts_factory):
    e = enabled(sts_factory)
    ok, lock, stop = [], threading.Lock(), threading.Event()

    def sender(t):
        conn = connection(e)
        i = 0
        try:
            while not stop.is_set() and i < 200:
                rid = "k-%d-%d" % (t, i)
                i += 1
                st, text = post(conn, body(rid))
                assert (st, text) == (200, "OK\n")
                with lock:
                    ok.append(rid)
        except (OSError, http.client.HTTPException):
            pass                  # httpsd was killed mid-request: that report was not answered
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    e.wait("20 reports answered", lambda: len(ok) >= 20, timeout=60, step=0.005)
    e.httpsd.kill()               # SIGKILL right after those answers, reports still arriving
    with lock:
        answered = set(ok)
    stop.set()
    for th in threads:
        th.join(60)
    assert not any(th.is_alive() for th in threads)
    in_new = spooled_ids(e)       # every report in the spool is whole
    assert len(in_new) == len(set(in_new))
    assert answered <= set(in_new), sorted(answered - set(in_new))
    e.zc.ok("tlsrpt", "import")   # takes the dead writer's segment from seg/
    assert answered <= set(listed_ids(e))
    assert spool(e, "seg") == [] and spool(e, "new") == []
