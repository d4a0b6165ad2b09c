"""httpsd under a TLS handshake flood: MTA-STS publish latency, limits on and off.

dnsd + httpsd (one worker each) on one store with example.com enabled, as in bench_sts.py.
Ten addresses (127.0.0.2 .. 127.0.0.11) flood httpsd with ClientHellos (flood.py: 100 new
connections a second from each, 50 at once at most: about twice what one worker can sign),
and meanwhile MX changes publish: `zonectl rr add ... --wait`, timed from starting zonectl
until the new _mta-sts id answers over DNS. Two runs, each on a fresh store:

- limits on: httpsd's defaults (max-handshakes 256, max-handshakes-per-address 4,
  new-connections-per-second 10, trusted: local), 100 changes. Goal: p99 under 1 s.
- limits off: every limit 0 and nothing trusted (httpsd as it was before the limits),
  changes for at most a minute; a publish that waits past fetch-timeout counts as its time
  and as failed.
"""

import os
import statistics
import subprocess
import time

import bench_sts
import benchlib
import flood
from benchlib import BenchError

NAME = "flood"
DESCRIPTION = "MTA-STS publish latency under a TLS handshake flood, httpsd limits on vs off"

SOURCES = ["127.0.0.%d" % i for i in range(2, 12)]
CHANGES_ON = 100
CHANGES_OFF = 30
OFF_SECONDS = 60
WAIT_S = 5                  # zonectl --timeout: as fetch-timeout in bench_sts's configuration
ID_TIMEOUT = 10.0
START_TIMEOUT = 10.0
LIMITS_OFF = ("httpsd:\n  max-handshakes: 0\n  max-handshakes-per-address: 0\n"
              "  new-connections-per-second: 0\n  trusted: 192.0.2.1\n")


def _run(ctx, tmp, label, httpsd_conf, changes, seconds):
    state = os.path.join(tmp, label)
    conf = os.path.join(tmp, label + ".conf")
    hconf = os.path.join(tmp, label + "-httpsd.conf")
    hp, dp = benchlib.free_port(), benchlib.free_port()
    with open(conf, "w") as f:
        f.write(bench_sts._config(state, hp))
    with open(hconf, "w") as f:
        f.write(bench_sts._config(state, hp) + httpsd_conf)
    bench_sts._zonectl(ctx, conf, "zone", "import",
                       os.path.join(ctx.repo, "zones", "example.com.zone"))
    bench_sts._zonectl(ctx, conf, "cert", "demo-ca")
    procs = []
    try:
        for name, port, c in (("httpsd", hp, hconf), ("dnsd", dp, conf)):
            log = os.path.join(tmp, "%s-%s.log" % (label, name))
            procs.append(bench_sts._start([os.path.join(ctx.build, name), "-c", c, "--listen",
                                           "127.0.0.1:%d" % port, "--workers", "1"], log))
            benchlib.wait_ready(procs[-1], "%s on port %d" % (name, port),
                                benchlib.listening(port), START_TIMEOUT, 0.02, log)
        bench_sts._zonectl(ctx, conf, "mta-sts", "enable", "example.com", "--wait")
        hello = flood.client_hello("mta-sts.example.com")
        times, failed = [], 0
        with flood.Flood("127.0.0.1", hp, hello, SOURCES) as f:
            time.sleep(0.5)
            start = time.monotonic()
            for k in range(3, 3 + changes):
                if time.monotonic() - start > seconds:
                    break
                last = bench_sts._txt_id(dp, "example.com")
                t0 = time.monotonic()
                p = subprocess.run(
                    [ctx.zonectl, "-c", conf, "rr", "add", "example.com",
                     "@ 3600 IN MX %d mx%d.example.com." % (k, k), "--wait", "--timeout",
                     str(WAIT_S)], stdin=subprocess.DEVNULL, capture_output=True,
                    timeout=WAIT_S * 4)
                if p.returncode != 0:
                    failed += 1
                elif not benchlib.wait_until(
                        lambda: bench_sts._txt_id(dp, "example.com") not in (None, last),
                        ID_TIMEOUT, 0.001):
                    raise BenchError("%s: change %d: no new id within %.0f s"
                                     % (label, k, ID_TIMEOUT))
                times.append(time.monotonic() - t0)
            answered, closed = f.counts()
    finally:
        for p in procs:
            benchlib.kill_process(p)
    if not times:
        raise BenchError("%s: no change measured" % label)
    times.sort()
    return {"changes": len(times), "failed": failed,
            "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[int(0.99 * (len(times) - 1))], "max_ms": 1000 * times[-1],
            "flood_answered": answered, "flood_closed": closed}


def run(ctx):
    errors, rows = [], []
    result = {"name": NAME, "runs": 1}
    tmp = benchlib.make_tempdir("lockstep-bench-flood-")
    try:
        for label, conf, changes, seconds in (("on", "", CHANGES_ON, 10 ** 6),
                                              ("off", LIMITS_OFF, CHANGES_OFF, OFF_SECONDS)):
            try:
                r = _run(ctx, tmp, label, conf, changes, seconds)
            except BenchError as e:
                errors.append(str(e))
                continue
            result[label] = r
            goal = "< 1000 ms" if label == "on" else "-"
            met = ("met" if r["p99_ms"] < 1000 else "missed") if label == "on" else "-"
            rows.append(["limits %s: publish p50 / p99 / max" % label, "%.0f / %.0f / %.0f ms" % (
                r["p50_ms"], r["p99_ms"], r["max_ms"]), goal, met])
            rows.append(["limits %s: changes (failed), flood answered / closed" % label,
                         "%d (%d), %d / %d" % (r["changes"], r["failed"], r["flood_answered"],
                                               r["flood_closed"]), "-", "-"])
    finally:
        benchlib.remove_tree(tmp)
    result["table"] = {"columns": ["measure", "value", "goal", ""], "rows": rows,
                       "notes": ["flood: 10 addresses x 100 ClientHellos a second, 50 at once "
                                 "each; publish: zonectl start to new id over DNS"]}
    if "on" in result:
        result["headline"] = {"flood_publish_p99_ms": result["on"]["p99_ms"]}
    if "on" in result and result["on"]["failed"]:
        errors.append("limits on: %d publishes failed" % result["on"]["failed"])
    result["ok"] = not errors
    result["errors"] = errors
    return result
