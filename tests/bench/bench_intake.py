"""TLS reports received by httpsd (POST /tlsrpt, issue 12), policy fetches meanwhile, and import.

httpsd (one worker, pinned to one CPU, run as nobody when the benchmark runs as root, access
log off, `tlsrpt.per-address-per-hour: 0`) serves mta-sts.bench.example with a demo-CA
certificate. The load client is bench_https's https_load (OpenSSL), pinned to the other CPU,
POSTing one gzip report of about 10 KiB (an RFC 8460 report with pseudo-random failure details,
so it does not compress away):

- intake: 32 threads for some seconds, keep-alive and a new TLS connection per report; every
  answer must be 200 "OK", and the spool must then hold one file per answer (each 200 means
  the report was durable);
- fetches meanwhile: policy GETs (4 keep-alive threads) alone, then with reports POSTed at
  1,000 a second alongside (32 more threads, paced), taking turns (alone, beside, alone,
  beside, alone), each run beside compared with the two alone around it: the fetch rate's
  drop, the median of those pairs (goal: at most 10 %);
  and, since one client CPU cannot keep httpsd saturated, the same reports alone with the
  server CPU they take: a saturated server's fetch capacity beside them is that share less,
  corrected by the fetches' own cost per CPU second alone and beside the reports;
- fetches at a fixed offered rate (what a busy policy server sees, not the saturated worst case
  above): policy GETs paced at 2,000 and 5,000 a second on keep-alive connections and at a few
  dozen a second on new TLS connections, alone and with 1,000 reports/s beside; for each, the
  rate reached and the latency p50/p99 (from the time the pacing gave each request, so a
  server that falls behind shows in it);
- import: N distinct reports written into the spool, then `zonectl tlsrpt import` timed.

Report clients keep 32 connections: httpsd syncs the spool at most every 10 ms unless 32
reports wait (tlsrpt_spool_log.h), so a connection carries at most about 100 reports a second,
and fewer connections would measure the client's patience, not the server. Real senders are
many connections, each with a report or two a day. Paced reports that reach under 90 % of
their rate fail the run.

Each load client prints the first failed request's reason on standard error, which a failed
run shows.

Goal (issue 12): 1,000 reports/s on one core without policy fetches slowing by more than 10 %.
"""

import gzip
import json
import os
import random
import struct
import subprocess
import time
import zlib

import bench_https
import benchlib
from bench_dns import _cpu_ticks, _cpus, _process_tree, _setting
from benchlib import BenchError

NAME = "intake"
DESCRIPTION = "TLS reports/s into httpsd (POST /tlsrpt), policy fetches meanwhile, import rate"

DOMAIN = "bench.example"
HOST = "mta-sts." + DOMAIN
REPORT_THREADS = 32        # report connections (see above: a sync every 10 ms at most)
FETCH_THREADS = 4
PACED_THREADS = 16         # enough that paced fetches are never short of a free client thread
# Offered fetch rates: (mode, fetches a second). A new connection costs a full handshake
# (about 3.7 ms of server CPU), so their rate stays low.
FETCH_RATES = (("keepalive", 2000), ("keepalive", 5000), ("new", 50))
REPORT_RATE = 1000         # reports a second while the fetches are measured (the goal)
WARM_SECONDS = 1           # the paced reports' connections come up before anything is measured
REPORT_BYTES = 10 * 1024   # the gzip report's size, about
PAIRS = 2                  # fetch runs beside reports a round, each between two alone
DEFAULT_SECONDS = 5
DEFAULT_RUNS = 3
IMPORT_REPORTS = 2000
ZONE = """$ORIGIN bench.example.
$TTL 300
@    SOA ns1 hostmaster 1 3600 900 1209600 300
@    NS  ns1
ns1  A   192.0.2.1
@    MX  10 mx1
mx1  A   192.0.2.25
"""
CONF = ("httpsd:\n    access-log: no\ntlsrpt:\n    per-address-per-hour: 0\n"
        "mta-sts:\n    service-address: 127.0.0.1\n")
POLICY_LINES = ["version: STSv1", "mode: testing", "mx: mx1.bench.example", "max_age: 604800"]


def details(target):
    """Failure details whose report gzips to about target bytes: each has a random reason code
    (RFC 8460 4.3), as real ones carry text that does not compress away. Deterministic."""
    rnd = random.Random(12)
    out = []
    while len(gzip.compress(json.dumps(out).encode())) < target - 400:
        for _ in range(16):
            out.append({"result-type": rnd.choice(["certificate-expired", "validation-failure",
                                                   "starttls-not-supported"]),
                        "sending-mta-ip": "198.51.%d.%d" % (rnd.randint(0, 255),
                                                            rnd.randint(1, 254)),
                        "receiving-ip": "192.0.2.25",
                        "receiving-mx-hostname": "mx1.bench.example",
                        "failed-session-count": rnd.randint(1, 9),
                        "failure-reason-code": "%032x" % rnd.getrandbits(128)})
    return out


def report(report_id, fails):
    """An RFC 8460 report for bench.example with the failure details fails, gzipped."""
    rep = {"organization-name": "Bench Sender", "contact-info": "tlsrpt@sender.example",
           "report-id": report_id,
           "date-range": {"start-datetime": "2026-12-01T00:00:00Z",
                          "end-datetime": "2026-12-01T23:59:59Z"},
           "policies": [{"policy": {"policy-type": "sts", "policy-string": POLICY_LINES,
                                    "policy-domain": DOMAIN, "mx-host": ["mx1.bench.example"]},
                         "summary": {"total-successful-session-count": 1000,
                                     "total-failure-session-count":
                                         sum(d["failed-session-count"] for d in fails)},
                         "failure-details": fails}]}
    return gzip.compress(json.dumps(rep).encode())


SEG_MAGIC = b"LSTRSEG1"      # shared/rpt/tlsrpt_seg.h


def spool_new(env):
    return os.path.join(env.state, "tlsrpt", "new")


def spool_seg(env):
    return os.path.join(env.state, "tlsrpt", "seg")


def settle_spool(env):
    """Waits (bounded) until httpsd has handed its open segment to new/ (it does so 200 ms
    after the last report), so the files there hold every report answered."""
    for _ in range(200):
        if not os.path.isdir(spool_seg(env)) or not os.listdir(spool_seg(env)):
            return
        time.sleep(0.05)
    raise BenchError("httpsd kept a segment open 10 s after the last report")


def spooled_reports(env):
    """Reports in new/: one per single file, a segment's records counted (tlsrpt_seg.h)."""
    d, n = spool_new(env), 0
    for name in os.listdir(d) if os.path.isdir(d) else []:
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        if not data.startswith(SEG_MAGIC):
            n += 1
            continue
        off = len(SEG_MAGIC)
        while len(data) - off >= 13:
            blen, _, dlen = struct.unpack_from("<IqB", data, off)
            end = off + 13 + dlen + blen
            if end + 4 > len(data) or struct.unpack_from("<I", data, end)[0] != \
                    zlib.crc32(data[off:end]):
                break
            n += 1
            off = end + 4
    return n, len(os.listdir(d)) if os.path.isdir(d) else 0


def clear_spool(env):
    settle_spool(env)
    d = spool_new(env)
    if os.path.isdir(d):
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))


def post_argv(env, rate=0):
    argv = ["-P", "/tlsrpt", "-X", env.report, "-T", "application/tlsrpt+gzip", "-s", HOST]
    return argv + (["-r", str(rate)] if rate else [])


def intake_run(env, proc, port, mode, seconds, cpus):
    """One run of reports POSTed as fast as they are taken; checks the spool."""
    clear_spool(env)
    pids = _process_tree(proc.pid)
    c0 = _cpu_ticks(pids)
    r = bench_https.load(env, port, mode, seconds, cpus[1], extra=post_argv(env),
                         body=env.ok, threads=REPORT_THREADS)
    cpu = (_cpu_ticks(pids) - c0) / float(os.sysconf("SC_CLK_TCK"))
    if r["errors"] or r["exit"]:
        raise BenchError("intake %s: %d errors of %d (%s)" % (mode, r["errors"], r["requests"],
                                                             r.get("stderr") or "no reason"))
    settle_spool(env)
    spooled, files = spooled_reports(env)
    if spooled != r["requests"]:
        raise BenchError("intake %s: %d answers 200 but %d reports in the spool"
                         % (mode, r["requests"], spooled))
    r["per_file"] = spooled / files if files else None
    r["server_cpu_pct"] = 100.0 * cpu / r["seconds"]
    r["per_cpu_second"] = r["requests"] / cpu if cpu > 0 else None
    clear_spool(env)
    return r


def start_load(env, port, seconds, cpu, extra, body, threads, mode="keepalive"):
    argv = [env.load, "-p", str(port), "-c", str(threads), "-d", str(seconds), "-m",
            mode, "-b", body] + extra
    return subprocess.Popen(benchlib.pinned(cpu, argv), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def finish_load(proc, seconds, what):
    try:
        out, err = proc.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        benchlib.kill_process(proc)
        raise BenchError("%s: https_load did not finish" % what)
    m = dict(kv.split("=") for kv in out.decode().split())
    if "rps" not in m or proc.returncode:
        raise BenchError("%s: https_load failed: %s %s" % (what, out, err))
    return {k: float(v) if "." in v else int(v) for k, v in m.items() if k != "mode"}


def start_reports(env, port, seconds, cpus):
    """REPORT_RATE reports a second, paced, on REPORT_THREADS connections, for seconds after
    WARM_SECONDS: returns once the connections are up. Their handshakes all come at once from
    an address httpsd trusts (loopback: no handshake is deferred), some 80 ms of the server's
    CPU that would otherwise fall on the first fetches measured beside them."""
    proc = start_load(env, port, seconds + WARM_SECONDS, cpus[1], post_argv(env, REPORT_RATE),
                      env.ok, REPORT_THREADS)
    time.sleep(WARM_SECONDS)
    return proc


def finish_reports(proc, seconds, what):
    """finish_load of start_reports: a rate under 90 % of REPORT_RATE fails the run (what is
    measured beside the reports would be measured beside fewer)."""
    r = finish_load(proc, seconds + WARM_SECONDS, what)
    if r["rps"] < 0.9 * REPORT_RATE:
        raise BenchError("%s: %.0f reports/s of the %d/s paced" % (what, r["rps"], REPORT_RATE))
    return r


def fetch_runs(env, proc, port, seconds, cpus):
    """The server CPU of REPORT_RATE reports/s alone, then saturating fetches alone and with
    those reports beside, taking turns: alone, beside, alone, ... (PAIRS beside), each beside
    run compared with the mean of the runs alone on either side of it (this machine's fetch
    rate moves by a fifth over tens of seconds). Returns {"alone": [(fetches/s, server CPU
    %)], "busy": [the same beside reports], "drops": [%], "sent": reports/s beside,
    "reports_cpu": server CPU % of the reports alone}."""
    clear_spool(env)
    pids = _process_tree(proc.pid)
    tick = float(os.sysconf("SC_CLK_TCK"))
    posts = start_reports(env, port, seconds, cpus)
    r0, t0 = _cpu_ticks(pids), time.monotonic()
    finish_reports(posts, seconds, "reports alone")
    reports_cpu = 100.0 * (_cpu_ticks(pids) - r0) / tick / (time.monotonic() - t0)
    clear_spool(env)

    def fetches(what):
        c0 = _cpu_ticks(pids)
        r = finish_load(start_load(env, port, seconds, cpus[1], ["-s", HOST], env.policy,
                                   FETCH_THREADS), seconds, what)
        return r["rps"], 100.0 * (_cpu_ticks(pids) - c0) / tick / r["seconds"]

    alone, busy, sent = [fetches("fetches alone")], [], []
    for _ in range(PAIRS):
        posts = start_reports(env, port, seconds, cpus)
        busy.append(fetches("fetches with reports"))
        sent.append(finish_reports(posts, seconds, "reports beside fetches")["rps"])
        clear_spool(env)
        alone.append(fetches("fetches alone"))
    drops = [100.0 * (1 - busy[i][0] / ((alone[i][0] + alone[i + 1][0]) / 2))
             for i in range(PAIRS)]
    return {"alone": alone, "busy": busy, "drops": drops, "sent": min(sent),
            "reports_cpu": reports_cpu}


def paced_runs(env, proc, port, seconds, cpus, mode, rate):
    """Policy fetches offered at `rate` a second (`mode` connections), alone and with
    REPORT_RATE reports/s beside: {"alone"|"busy": {rps, p50_ms, p99_ms}, "reports": rps}."""
    clear_spool(env)
    fetch = ["-s", HOST, "-r", str(rate)]
    alone = finish_load(start_load(env, port, seconds, cpus[1], fetch, env.policy,
                                   PACED_THREADS, mode), seconds, "paced fetches alone")
    posts = start_reports(env, port, seconds, cpus)
    busy = finish_load(start_load(env, port, seconds, cpus[1], fetch, env.policy,
                                  PACED_THREADS, mode), seconds, "paced fetches with reports")
    sent = finish_reports(posts, seconds, "reports beside paced fetches")
    clear_spool(env)
    keep = ("rps", "p50_ms", "p99_ms")
    return {"alone": {k: alone[k] for k in keep}, "busy": {k: busy[k] for k in keep},
            "reports": sent["rps"]}


def import_run(env, n, fails):
    """n distinct reports written into the spool, then `zonectl tlsrpt import`: reports/s."""
    d = spool_new(env)
    os.makedirs(d, exist_ok=True)
    now = int(time.time())
    for i in range(n):
        with open(os.path.join(d, "%d.%09d.%d.0,%s" % (now, i, os.getpid(), DOMAIN)), "wb") as f:
            f.write(report("bench-%d" % i, fails))
    t0 = time.perf_counter()
    r = subprocess.run([env.ctx.zonectl, "-c", env.conf, "--state", env.state, "tlsrpt",
                        "import"], capture_output=True, text=True, timeout=600)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        raise BenchError("tlsrpt import: %s" % r.stderr.strip())
    left = len(os.listdir(d))
    r = subprocess.run([env.ctx.zonectl, "-c", env.conf, "--state", env.state, "--json",
                        "tlsrpt", "list", DOMAIN], capture_output=True, text=True, timeout=600)
    stored = len(json.loads(r.stdout)["reports"]) if r.returncode == 0 else -1
    if left or stored != n:
        raise BenchError("tlsrpt import: %d left in the spool, %d of %d stored"
                         % (left, stored, n))
    return {"reports": n, "seconds": secs, "per_second": n / secs}


def run(ctx):
    result = {"name": NAME, "records": 1, "ok": False, "errors": []}
    seconds = _setting(ctx, "intake_seconds", "BENCH_INTAKE_SECONDS", DEFAULT_SECONDS, 1, 600)
    rounds = min(ctx.runs, DEFAULT_RUNS)
    server_cpu, client_cpu, note = _cpus()
    cpus = (server_cpu, client_cpu)
    for path in (os.path.join(ctx.build, "httpsd"), ctx.zonectl):
        if not os.access(path, os.X_OK):
            result["errors"].append("%s is missing (make all)" % path)
            return result
    tmp = benchlib.make_tempdir("lockstep-bench-intake-")
    os.chmod(tmp, 0o755)
    proc = None
    runs = {"keepalive": [], "new": []}
    fetch = []
    paced = {r: [] for r in FETCH_RATES}
    try:
        env = bench_https.Env(ctx, tmp)
        with open(env.conf, "w") as f:
            f.write(CONF)
        env.load = benchlib.build_tool(ctx, "https_load", ["-lssl", "-lcrypto", "-lpthread"])
        zfile = os.path.join(tmp, "bench.example.zone")
        with open(zfile, "w") as f:
            f.write(ZONE)
        env.zonectl("cert", "demo-ca")
        env.zonectl("zone", "import", zfile)
        env.zonectl("mta-sts", "enable", DOMAIN, "--no-publish")
        if not os.path.isdir(os.path.join(env.state, "certs", HOST)):
            env.zonectl("cert", "issue", HOST)
        env.report = os.path.join(tmp, "report.json.gz")
        fails = details(REPORT_BYTES)
        body = report("bench-intake", fails)
        with open(env.report, "wb") as f:
            f.write(body)
        env.ok = os.path.join(tmp, "ok.txt")
        with open(env.ok, "w") as f:
            f.write("OK\n")
        env.policy = os.path.join(tmp, "served-policy.txt")
        with open(env.policy, "w") as f:
            f.write("".join(l + "\r\n" for l in POLICY_LINES))
        env.drop_root()
        port = benchlib.free_port()
        proc, log = bench_https.start_server(env, "httpsd", port, server_cpu)
        bench_https.wait_ready(env, proc, port, log)
        for i in range(rounds):
            for mode in runs:
                r = intake_run(env, proc, port, mode, seconds, cpus)
                ctx.log("intake: %s run %d: %.0f reports/s, server CPU %.0f %%, %.1f reports "
                        "a spool file" % (mode, i + 1, r["rps"], r["server_cpu_pct"],
                                          r["per_file"] or 0))
                runs[mode].append(r)
            f = fetch_runs(env, proc, port, seconds, cpus)
            ctx.log("intake: fetches alone %s, with %d reports/s beside %s (server CPU %s, %s): "
                    "%s %% fewer; the reports alone: server CPU %.1f %%"
                    % ("/".join("%.0f" % a[0] for a in f["alone"]), f["sent"],
                       "/".join("%.0f" % b[0] for b in f["busy"]),
                       "/".join("%.0f" % a[1] for a in f["alone"]),
                       "/".join("%.0f" % b[1] for b in f["busy"]),
                       "/".join("%.1f" % d for d in f["drops"]), f["reports_cpu"]))
            fetch.append(f)
            for mode, rate in FETCH_RATES:
                p = paced_runs(env, proc, port, seconds, cpus, mode, rate)
                ctx.log("intake: %s fetches offered at %d/s: alone %.0f/s p50 %.2f ms p99 "
                        "%.2f ms; with %.0f reports/s beside %.0f/s p50 %.2f ms p99 %.2f ms"
                        % (mode, rate, p["alone"]["rps"], p["alone"]["p50_ms"],
                           p["alone"]["p99_ms"], p["reports"], p["busy"]["rps"],
                           p["busy"]["p50_ms"], p["busy"]["p99_ms"]))
                paced[(mode, rate)].append(p)
        benchlib.kill_process(proc)
        proc = None
        imp = import_run(env, IMPORT_REPORTS, fails)
        ctx.log("intake: import of %d reports in %.2f s (%.0f/s)"
                % (imp["reports"], imp["seconds"], imp["per_second"]))
    except (BenchError, OSError, subprocess.SubprocessError, ValueError) as e:
        result["errors"].append(str(e))
        return result
    finally:
        if proc is not None:
            benchlib.kill_process(proc)
        benchlib.remove_tree(tmp)
    med = {m: {k: benchlib.median([r[k] or 0 for r in rs])
               for k in ("rps", "server_cpu_pct", "per_cpu_second", "per_file")}
           for m, rs in runs.items()}
    cpu_alone = benchlib.median([a[1] for f in fetch for a in f["alone"]])
    cpu_busy = benchlib.median([b[1] for f in fetch for b in f["busy"]])
    # What a server kept saturated by fetches would lose to the reports: the core's share
    # that REPORT_RATE reports/s take alone (a client on this 2-core machine cannot saturate
    # httpsd, so the closed-loop pair above moves with the client too).
    reports_share = benchlib.median([f["reports_cpu"] for f in fetch])
    alone = benchlib.median([a[0] for f in fetch for a in f["alone"]])
    busy = benchlib.median([b[0] for f in fetch for b in f["busy"]])
    posted = min(f["sent"] for f in fetch)
    drops = [d for f in fetch for d in f["drops"]]
    slowdown = benchlib.median(drops)
    # Fetches per server CPU second: alone, and beside the reports with the reports' CPU (as
    # measured alone at the same rate) taken out. The saturated pair above also moves with
    # the client, which shares its CPU with the report client; this one does not. From both,
    # the fetch capacity a saturated server keeps beside the reports.
    fetch_share = (cpu_busy - reports_share) / 100.0
    fetch_eff_alone = alone / (cpu_alone / 100.0) if cpu_alone else None
    fetch_eff_busy = busy / fetch_share if fetch_share > 0 else None
    capacity_drop = (100.0 * (1 - (1 - reports_share / 100.0) * fetch_eff_busy / fetch_eff_alone)
                     if fetch_eff_alone and fetch_eff_busy else None)
    rows = [["reports, keep-alive", med["keepalive"]["rps"], med["keepalive"]["server_cpu_pct"],
             med["keepalive"]["per_cpu_second"]],
            ["reports, new connections", med["new"]["rps"], med["new"]["server_cpu_pct"],
             med["new"]["per_cpu_second"]],
            ["policy fetches alone", alone, cpu_alone, fetch_eff_alone],
            ["policy fetches, %.0f reports/s beside (per CPU second: the reports' CPU taken out)"
             % posted, busy, cpu_busy, fetch_eff_busy],
            ["reports at %d/s alone (the server CPU they take)" % REPORT_RATE, REPORT_RATE,
             reports_share, 100.0 * REPORT_RATE / reports_share if reports_share else None],
            ["tlsrpt import", imp["per_second"], None, None]]
    paced_med = []
    for (mode, rate), ps in paced.items():
        m = {w: {k: benchlib.median([p[w][k] for p in ps]) for k in ("rps", "p50_ms", "p99_ms")}
             for w in ("alone", "busy")}
        m.update(mode=mode, offered=rate, reports=benchlib.median([p["reports"] for p in ps]))
        paced_med.append(m)
        for w, what in (("alone", "alone"), ("busy", "%.0f reports/s beside" % m["reports"])):
            rows.append(["%s fetches offered %d/s, %s (p50/p99 ms %.2f/%.2f)"
                         % (mode, rate, what, m[w]["p50_ms"], m[w]["p99_ms"]), m[w]["rps"],
                         None, None])
    result.update(ok=True, runs=rounds, intake=med, report_bytes=len(body),
                  fetch={"alone": alone, "with_reports": busy, "reports_per_s": posted,
                         "slowdown_pct": slowdown, "slowdown_pairs_pct": drops,
                         "paced": paced_med,
                         "server_cpu_pct_alone": cpu_alone, "server_cpu_pct_with": cpu_busy,
                         "per_cpu_second_alone": fetch_eff_alone,
                         "per_cpu_second_with": fetch_eff_busy,
                         "reports_server_cpu_pct": reports_share,
                         "capacity_drop_pct": capacity_drop},
                  import_=imp, note=note,
                  table={"columns": ["what", "per second", "server CPU %", "per CPU second"],
                         "rows": rows,
                         "notes": ["httpsd one worker on CPU %d, https_load on CPU %d; %d s "
                                   "per run, median of %d; reports of %d bytes (gzip); "
                                   "fetch slowdown %.1f %% (goal <= 10 %%; the median of %d "
                                   "pairs: %s); %.1f reports a spool file (keep-alive)"
                                   % (server_cpu, client_cpu, seconds, rounds, len(body),
                                      slowdown, len(drops),
                                      ", ".join("%.1f" % d for d in drops),
                                      med["keepalive"]["per_file"]),
                                   "a saturated server's fetch capacity beside %d reports/s: "
                                   "%.1f %% less (the reports' %.1f %% of the core, and the "
                                   "fetches' cost per CPU second beside them)"
                                   % (REPORT_RATE, capacity_drop or 0, reports_share)]
                         + (["fetches alone kept httpsd only %.0f %% busy: the client was the "
                             "limit, so the slowdown is partly the client's (it shares its CPU "
                             "with the report client)" % cpu_alone]
                            if cpu_alone < 90 else [])},
                  headline={"reports_per_s": med["keepalive"]["rps"],
                            "fetch_slowdown_pct": slowdown,
                            "fetch_capacity_drop_pct": capacity_drop})
    return result
