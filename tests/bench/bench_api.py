"""HTTP API benchmark: PATCH of one rrset and GET zones, through httpsd's API process.

1. PATCH latency: example.com loaded, one token; 1,000 PATCH requests on one keep-alive
   connection, each replacing www.example.com's A RRset with a different address (so each is
   a durable commit: validation, the MTA-STS hook, serial, journal, history). Reported: p50,
   p99, max. Goal: p99 under 10 ms.
2. GET zones with N zones (BENCH_API_ZONES, default 10,000), imported with one
   `zonectl zone import --dir`; the list is fetched 5 times. Reported: the median time and the
   answer's size.
"""

import http.client
import json
import os
import statistics
import subprocess
import time

import benchlib
from bench_sts import _zonectl   # zonectl with a configuration, BenchError on failure
from benchlib import BenchError

NAME = "api"
DESCRIPTION = "HTTP API: PATCH of one rrset p50/p99 over 1,000; GET zones with 10,000 zones"

PATCHES = 1000
DEFAULT_ZONES = 10000
LIST_RUNS = 5
START_TIMEOUT = 15.0


def _start(ctx, tmp, name):
    state = os.path.join(tmp, name)
    os.makedirs(state)
    conf = os.path.join(tmp, name + ".conf")
    hp, ap = benchlib.free_port(), benchlib.free_port()
    with open(conf, "w") as f:
        f.write("server:\n  state-dir: %s\n%sapi:\n  listen: 127.0.0.1:%d\n" % (
            state, benchlib.stay_root_config("httpsd"), ap))
    return state, conf, hp, ap


def _run_httpsd(ctx, tmp, conf, hp, ap, name):
    log = os.path.join(tmp, name + ".log")
    with open(log, "wb") as err:
        proc = subprocess.Popen([os.path.join(ctx.build, "httpsd"), "-c", conf, "--listen",
                                 "127.0.0.1:%d" % hp, "--workers", "1"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
    benchlib.wait_ready(proc, "the API on port %d" % ap, benchlib.listening(ap),
                        START_TIMEOUT, 0.02, log)
    return proc


def _patch(ctx, tmp):
    state, conf, hp, ap = _start(ctx, tmp, "patch")
    _zonectl(ctx, conf, "zone", "import", os.path.join(ctx.repo, "zones", "example.com.zone"))
    key = _zonectl(ctx, conf, "api", "token", "add", "bench").strip().splitlines()[-1]
    proc = _run_httpsd(ctx, tmp, conf, hp, ap, "patch")
    times = []
    try:
        c = http.client.HTTPConnection("127.0.0.1", ap, timeout=10)
        for i in range(PATCHES):
            body = json.dumps({"rrsets": [{
                "name": "www.example.com.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                "records": [{"content": "192.0.2.%d" % (i % 250 + 1), "disabled": False},
                            {"content": "198.51.100.%d" % (i // 250 + 1), "disabled": False}]}]})
            t0 = time.monotonic()
            c.request("PATCH", "/api/v1/servers/localhost/zones/example.com.", body=body,
                      headers={"X-API-Key": key, "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            times.append(time.monotonic() - t0)
            if r.status != 204:
                raise BenchError("PATCH %d: status %d" % (i, r.status))
        c.close()
    finally:
        benchlib.kill_process(proc)
    times.sort()
    return {"patches": len(times), "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[int(0.99 * (len(times) - 1))], "max_ms": 1000 * times[-1]}


def _list(ctx, tmp, n):
    state, conf, hp, ap = _start(ctx, tmp, "list")
    zdir = os.path.join(tmp, "zones")
    os.makedirs(zdir)
    for i in range(n):
        with open(os.path.join(zdir, "z%05d.test.zone" % i), "w") as f:
            f.write("$ORIGIN z%05d.test.\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
                    "@ IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A 192.0.2.80\n" % i)
    t0 = time.monotonic()
    _zonectl(ctx, conf, "zone", "import", "--dir", zdir)
    import_s = time.monotonic() - t0
    key = _zonectl(ctx, conf, "api", "token", "add", "bench").strip().splitlines()[-1]
    proc = _run_httpsd(ctx, tmp, conf, hp, ap, "list")
    times, size = [], 0
    try:
        for _ in range(LIST_RUNS):
            c = http.client.HTTPConnection("127.0.0.1", ap, timeout=60)
            t0 = time.monotonic()
            c.request("GET", "/api/v1/servers/localhost/zones", headers={"X-API-Key": key})
            r = c.getresponse()
            data = r.read()
            times.append(time.monotonic() - t0)
            c.close()
            if r.status != 200 or len(json.loads(data)) != n:
                raise BenchError("GET zones: status %d, %d bytes" % (r.status, len(data)))
            size = len(data)
    finally:
        benchlib.kill_process(proc)
    return {"zones": n, "import_s": import_s, "median_ms": 1000 * statistics.median(times),
            "min_ms": 1000 * min(times), "bytes": size}


def _patch_rows(p, n):
    return [["PATCH one rrset, p50 (of %d)" % p["patches"], "%.2f ms" % p["p50_ms"], "-", "-"],
            ["PATCH one rrset, p99", "%.2f ms" % p["p99_ms"], "< 10 ms",
             "met" if p["p99_ms"] < 10 else "missed"],
            ["PATCH one rrset, max", "%.2f ms" % p["max_ms"], "-", "-"]]


def _list_rows(lst, n):
    return [["GET zones with %d zones, median of %d" % (n, LIST_RUNS),
             "%.1f ms (%d KiB)" % (lst["median_ms"], lst["bytes"] // 1024), "-", "-"]]


def run(ctx):
    n = int(os.environ.get("BENCH_API_ZONES", DEFAULT_ZONES))
    result = {"name": NAME, "records": n, "runs": 1}
    errors, rows = [], []
    tmp = benchlib.make_tempdir("lockstep-bench-api-")
    steps = (("patch", lambda: _patch(ctx, tmp), _patch_rows),
             ("list", lambda: _list(ctx, tmp, n), _list_rows))
    try:
        for key, measure, show in steps:
            try:
                result[key] = measure()
                rows += show(result[key], n)
            except BenchError as e:
                errors.append("%s: %s" % (key, e))
    finally:
        benchlib.remove_tree(tmp)
    result["table"] = {"columns": ["measure", "value", "goal", ""], "rows": rows,
                       "notes": ["each PATCH is one durable commit (fsync) in the API process",
                                 "client: Python http.client on one keep-alive connection"]}
    if "patch" in result:
        result["headline"] = {"patch_p99_ms": result["patch"]["p99_ms"]}
    result["ok"] = not errors
    result["errors"] = errors
    return result
