"""MTA-STS publishing benchmark: how fast a change reaches senders, and a daily rotation.

1. Publish latency: dnsd + httpsd on one store with example.com enabled; 100 times,
   `zonectl rr add example.com '@ 3600 IN MX k mxk.example.com.'` (each adds a name,
   so each makes a new policy), timed from starting zonectl until the new _mta-sts id
   answers over DNS from dnsd (polled every millisecond). The change takes two commits
   (the MX with its policy, then the id) and a verified HTTPS fetch between them.
   Reported: p50, p99, max. Goal: p99 under 100 ms.
2. Many domains: a zone with N (BENCH_STS_DOMAINS, default 10,000) mail domains, each with
   an MX, enabled with `zonectl mta-sts enable --no-publish` (a demo certificate each);
   then `zonectl mta-sts publish` publishes every first id (N fetches from httpsd, N
   commits), and with rotate-interval 1 a second run rotates every id (the same fetch
   first, as for any id change). Reported: both times, per-domain cost, httpsd RSS after
   serving N names. Goal: a full rotation of 10,000 domains in under a minute.
"""

import os
import re
import socket
import statistics
import subprocess
import time

import benchlib
from benchlib import BenchError

NAME = "sts"
DESCRIPTION = "MTA-STS: MX change to new id over DNS (p50/p99); rotation of N domains"

CHANGES = 100
DEFAULT_DOMAINS = 10000
ID_TIMEOUT = 10.0          # seconds a new id may take before the run fails
START_TIMEOUT = 10.0


def _zonectl(ctx, conf, *args, timeout=600):
    p = subprocess.run([ctx.zonectl, "-c", conf] + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise BenchError("zonectl %s: exit %d\n%s" % (" ".join(map(str, args)), p.returncode,
                                                      p.stderr.decode(errors="replace")[-2000:]))
    return p.stdout.decode(errors="replace")


def _txt_id(port, name):
    """The _mta-sts id dnsd answers for name, by a hand-made UDP query (no dnspython needed)."""
    qid = int(time.monotonic() * 1000) & 0xffff
    msg = benchlib.build_query(qid, "_mta-sts." + name, 16)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    try:
        s.sendto(msg, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
    finally:
        s.close()
    m = re.search(rb"v=STSv1; id=([A-Za-z0-9]+)", data)
    return m.group(1).decode() if m else None


def _config(state, https_port, extra=""):
    # mta-sts stays the last section: a later line appended to the file belongs to it.
    return ("server:\n  state-dir: %s\n%smta-sts:\n  endpoints: 127.0.0.1:%d\n"
            "  service-address: 127.0.0.1\n  trust-store: %s/demo-ca/ca.pem\n"
            "  fetch-timeout: 5\n%s" % (state, benchlib.stay_root_config("dnsd", "httpsd"),
                                        https_port, state, extra))


def _start(argv, log):
    """Starts a server, its stderr to the file log."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
    return proc


def _latency(ctx, tmp):
    state = os.path.join(tmp, "lat")
    conf = os.path.join(tmp, "lat.conf")
    hp, dp = benchlib.free_port(), benchlib.free_port()
    with open(conf, "w") as f:
        f.write(_config(state, hp))
    _zonectl(ctx, conf, "zone", "import", os.path.join(ctx.repo, "zones", "example.com.zone"))
    _zonectl(ctx, conf, "cert", "demo-ca")
    procs = []
    try:
        for name, port in (("httpsd", hp), ("dnsd", dp)):
            log = os.path.join(tmp, "%s.log" % name[0])
            procs.append(_start([os.path.join(ctx.build, name), "-c", conf, "--listen",
                                 "127.0.0.1:%d" % port, "--workers", "1"], log))
            benchlib.wait_ready(procs[-1], "%s on port %d" % (name, port),
                                benchlib.listening(port), START_TIMEOUT, 0.02, log)
        _zonectl(ctx, conf, "mta-sts", "enable", "example.com")
        last = _txt_id(dp, "example.com")
        if not last:
            raise BenchError("no _mta-sts id after enable")
        times = []
        for k in range(3, 3 + CHANGES):
            t0 = time.monotonic()
            _zonectl(ctx, conf, "rr", "add", "example.com",
                     "@ 3600 IN MX %d mx%d.example.com." % (k, k))
            def new_id():
                i = _txt_id(dp, "example.com")
                return i if i and i != last else None
            now = benchlib.wait_until(new_id, ID_TIMEOUT - (time.monotonic() - t0), 0.001)
            if not now:
                raise BenchError("change %d: no new id within %.0f s" % (k, ID_TIMEOUT))
            times.append(time.monotonic() - t0)
            last = now
        times.sort()
        return {"changes": len(times), "p50_ms": 1000 * statistics.median(times),
                "p99_ms": 1000 * times[int(0.99 * (len(times) - 1))],
                "max_ms": 1000 * times[-1], "min_ms": 1000 * times[0]}
    finally:
        for p in procs:
            benchlib.kill_process(p)


def _many(ctx, tmp, n):
    state = os.path.join(tmp, "many")
    conf = os.path.join(tmp, "many.conf")
    hp = benchlib.free_port()
    with open(conf, "w") as f:
        f.write(_config(state, hp))
    zone = os.path.join(tmp, "mail.bench.zone")
    with open(zone, "w") as f:
        f.write("$ORIGIN mail.bench.\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
                "@ IN NS ns1\nns1 IN A 192.0.2.1\nmx IN A 192.0.2.25\n")
        for i in range(n):
            f.write("d%05d 3600 IN MX 10 mx.mail.bench.\n" % i)
    _zonectl(ctx, conf, "zone", "import", zone)
    _zonectl(ctx, conf, "cert", "demo-ca")
    t0 = time.monotonic()
    for i in range(n):
        _zonectl(ctx, conf, "mta-sts", "enable", "d%05d.mail.bench" % i, "--no-publish")
        if i and i % 2000 == 0:
            ctx.log("sts: %d of %d domains enabled" % (i, n))
    enable_s = time.monotonic() - t0
    log = os.path.join(tmp, "hm.log")
    proc = _start([os.path.join(ctx.build, "httpsd"), "-c", conf, "--listen",
                   "127.0.0.1:%d" % hp, "--workers", "2"], log)
    try:
        benchlib.wait_ready(proc, "httpsd on port %d" % hp, benchlib.listening(hp),
                            START_TIMEOUT, 0.02, log)
        t0 = time.monotonic()
        out = _zonectl(ctx, conf, "mta-sts", "publish", timeout=3600)
        first_s = time.monotonic() - t0
        first = out.count(" published, serial")
        with open(conf, "a") as f:
            f.write("  rotate-interval: 1\n")
        time.sleep(1.1)
        t0 = time.monotonic()
        out = _zonectl(ctx, conf, "mta-sts", "publish", timeout=3600)
        rotate_s = time.monotonic() - t0
        rotated = out.count(" rotated, serial")
        rss = benchlib.proc_status_kib(proc.pid, "VmRSS")
        hwm = benchlib.proc_status_kib(proc.pid, "VmHWM")
    finally:
        benchlib.kill_process(proc)
    if first != n or rotated != n:
        raise BenchError("published %d and rotated %d of %d domains" % (first, rotated, n))
    return {"domains": n, "enable_s": enable_s, "first_publish_s": first_s,
            "rotation_s": rotate_s, "rotation_ms_per_domain": 1000 * rotate_s / n,
            "httpsd_rss_mib": benchlib.kib_to_mib(rss) if rss else None,
            "httpsd_hwm_mib": benchlib.kib_to_mib(hwm) if hwm else None}


def run(ctx):
    errors = []
    result = {"name": NAME}
    n = int(os.environ.get("BENCH_STS_DOMAINS", DEFAULT_DOMAINS))
    result.update(records=n, runs=1)
    tmp = benchlib.make_tempdir("lockstep-bench-sts-")
    rows = []
    try:
        try:
            lat = _latency(ctx, tmp)
            result["latency"] = lat
            rows.append(["MX change -> new id over DNS, p50", "%.1f ms" % lat["p50_ms"],
                         "-", "-"])
            rows.append(["MX change -> new id over DNS, p99", "%.1f ms" % lat["p99_ms"],
                         "< 100 ms", "met" if lat["p99_ms"] < 100 else "missed"])
            rows.append(["MX change -> new id over DNS, max", "%.1f ms" % lat["max_ms"], "-", "-"])
        except BenchError as e:
            errors.append("latency: %s" % e)
        try:
            many = _many(ctx, tmp, n)
            result["many"] = many
            rows.append(["enable %d domains (one zonectl each)" % n, "%.1f s" % many["enable_s"],
                         "-", "-"])
            rows.append(["first publish of %d ids" % n, "%.1f s" % many["first_publish_s"],
                         "-", "-"])
            rows.append(["rotation of %d ids (fetch, then id)" % n, "%.1f s (%.2f ms each)" % (
                many["rotation_s"], many["rotation_ms_per_domain"]), "< 60 s",
                "met" if many["rotation_s"] < 60 else "missed"])
            rows.append(["httpsd RSS after %d names" % n, "%.1f MiB (peak %.1f)" % (
                many["httpsd_rss_mib"] or 0, many["httpsd_hwm_mib"] or 0), "-", "-"])
        except BenchError as e:
            errors.append("many domains: %s" % e)
    finally:
        benchlib.remove_tree(tmp)
    result["table"] = {"columns": ["measure", "value", "goal", ""], "rows": rows,
                       "notes": ["latency includes starting zonectl, two durable commits "
                                 "and one verified TLS fetch"]}
    if "many" in result:
        result["headline"] = {"rotation_s": result["many"]["rotation_s"]}
    result["ok"] = not errors
    result["errors"] = errors
    return result
