"""HTTP API benchmark: PATCH of one rrset and GET zones, through httpsd's API process.

1. PATCH latency: example.com loaded, one token; 1,000 PATCH requests on one keep-alive
   connection, each replacing www.example.com's A RRset with a different address (so each is
   a durable commit: validation, the MTA-STS hook, serial, journal, history). Reported: p50,
   p99, max. Goal: p99 under 10 ms.
2. Concurrent PATCHes: CLIENTS clients (16), each on its own keep-alive connection with its
   own rrset, PATCH at the same time, CONCURRENT_EACH requests each. Reported: requests/s,
   p50, p99, and the durable syncs per request (fsync, fdatasync and msync counted by
   `strace -c -f` attached to the API process, when strace is installed). The API's group
   commit makes the writes ready together durable with one sync.
3. GET zones with N zones (BENCH_API_ZONES, default 10,000), imported with one
   `zonectl zone import --dir`; the list is fetched 5 times. Reported: the median time and the
   answer's size.
"""

import http.client
import json
import os
import statistics
import shutil
import subprocess
import threading
import time

import benchlib
from bench_sts import _zonectl   # zonectl with a configuration, BenchError on failure
from benchlib import BenchError

NAME = "api"
DESCRIPTION = ("HTTP API: PATCH of one rrset p50/p99 over 1,000; 16 concurrent PATCHing clients "
               "(group commit); GET zones with 10,000 zones")

PATCHES = 1000
CLIENTS = 16
CONCURRENT_EACH = 100
SYNC_CALLS = ("fsync", "fdatasync", "msync", "sync_file_range")
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


def _patch_one(c, key, name, *addresses):
    """One PATCH replacing name's A RRset on connection c: (seconds, status)."""
    body = json.dumps({"rrsets": [{
        "name": name, "type": "A", "ttl": 300, "changetype": "REPLACE",
        "records": [{"content": a, "disabled": False} for a in addresses]}]})
    t0 = time.monotonic()
    c.request("PATCH", "/api/v1/servers/localhost/zones/example.com.", body=body,
              headers={"X-API-Key": key, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    return time.monotonic() - t0, r.status


def _patch(ctx, tmp):
    state, conf, hp, ap = _start(ctx, tmp, "patch")
    _zonectl(ctx, conf, "zone", "import", os.path.join(ctx.repo, "zones", "example.com.zone"))
    key = _zonectl(ctx, conf, "api", "token", "add", "bench").strip().splitlines()[-1]
    proc = _run_httpsd(ctx, tmp, conf, hp, ap, "patch")
    times = []
    try:
        c = http.client.HTTPConnection("127.0.0.1", ap, timeout=10)
        for i in range(PATCHES):
            took, status = _patch_one(c, key, "www.example.com.",
                                      "192.0.2.%d" % (i % 250 + 1),
                                      "198.51.100.%d" % (i // 250 + 1))
            times.append(took)
            if status != 204:
                raise BenchError("PATCH %d: status %d" % (i, status))
        c.close()
    finally:
        benchlib.kill_process(proc)
    times.sort()
    return {"patches": len(times), "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[int(0.99 * (len(times) - 1))], "max_ms": 1000 * times[-1]}


def _api_pid(proc):
    """The API process: the child of httpsd's API supervisor (httpsd's child)."""
    def children(pid):
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []
    for sup in children(proc.pid):
        kids = children(sup)
        if kids:
            return kids[0]
    return None


def _strace_start(pid, out):
    if shutil.which("strace") is None or pid is None:
        return None
    p = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(pid)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)      # attached before the first request
    return p


def _strace_syncs(p, out):
    """The sync calls strace counted, or None without strace."""
    if p is None:
        return None
    p.terminate()        # strace detaches and writes its summary
    p.wait(30)
    n = 0
    with open(out) as f:
        for line in f:
            w = line.split()
            if len(w) >= 5 and w[-1] in SYNC_CALLS:
                n += int(w[3])
    return n


def _concurrent(ctx, tmp):
    """Timed without strace (it slows every system call), then again under it for the syncs."""
    timed = _concurrent_once(ctx, tmp, "group", False)
    traced = _concurrent_once(ctx, tmp, "group-traced", True)
    timed["syncs_per_request"] = traced["syncs_per_request"]
    return timed


def _concurrent_once(ctx, tmp, name, trace):
    state, conf, hp, ap = _start(ctx, tmp, name)
    _zonectl(ctx, conf, "zone", "import", os.path.join(ctx.repo, "zones", "example.com.zone"))
    key = _zonectl(ctx, conf, "api", "token", "add", "bench").strip().splitlines()[-1]
    proc = _run_httpsd(ctx, tmp, conf, hp, ap, name)
    times, errors = [], []
    gate = threading.Barrier(CLIENTS + 1)

    def client(k):
        c = http.client.HTTPConnection("127.0.0.1", ap, timeout=60)
        mine = []
        gate.wait()
        try:
            for i in range(CONCURRENT_EACH):
                took, status = _patch_one(c, key, "c%02d.example.com." % k,
                                          "192.0.2.%d" % (i % 250 + 1))
                mine.append(took)
                if status != 204:
                    errors.append("client %d PATCH %d: status %d" % (k, i, status))
                    return
        finally:
            c.close()
            times.extend(mine)

    out = os.path.join(tmp, name + ".strace")
    tracer = _strace_start(_api_pid(proc), out) if trace else None
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        gate.wait()
        t0 = time.monotonic()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        syncs = _strace_syncs(tracer, out)
    finally:
        benchlib.kill_process(proc)
    if errors:
        raise BenchError(errors[0])
    times.sort()
    n = len(times)
    return {"clients": CLIENTS, "requests": n, "rate": n / wall,
            "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[int(0.99 * (n - 1))],
            "syncs_per_request": None if syncs is None else syncs / n}


def _concurrent_rows(p, n):
    spr = p["syncs_per_request"]
    return [["%d clients PATCHing at once: requests/s (%d)" % (p["clients"], p["requests"]),
             "%.0f" % p["rate"], "-", "-"],
            ["%d clients PATCHing at once: p50 / p99" % p["clients"],
             "%.2f / %.2f ms" % (p["p50_ms"], p["p99_ms"]), "-", "-"],
            ["durable syncs per request (strace -c -f of the API process)",
             "no strace" if spr is None else "%.3f" % spr, "< 1 (group commit)",
             "-" if spr is None else ("met" if spr < 1 else "missed")]]


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
             ("concurrent", lambda: _concurrent(ctx, tmp), _concurrent_rows),
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
                       "notes": ["each lone PATCH is one durable commit (fsync); PATCHes ready together "
                                 "share one (group commit)",
                                 "client: Python http.client on one keep-alive connection"]}
    if "patch" in result:
        result["headline"] = {"patch_p99_ms": result["patch"]["p99_ms"]}
    result["ok"] = not errors
    result["errors"] = errors
    return result
