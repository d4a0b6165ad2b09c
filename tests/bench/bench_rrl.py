"""What response rate limiting and DNS COOKIES cost dnsd per answer (issue 15: RRL under 5 %).

One dnsd (one worker, pinned) on the 10,000-name zone of bench_dns, dnsperf (pinned to the
other CPU) over UDP in four variants, interleaved run by run so that drift in the machine
hits them alike:

- off: `rrl-rate: 0`, `cookies: no` (the baseline);
- rrl: every answer goes through the limit's table (`rrl-rate` high enough never to limit,
  and loopback not exempt), the cost of classifying and counting;
- cookies: every query carries a client cookie (dnsperf -E 10:...), so every answer makes a
  server cookie (SipHash-2-4) and carries it;
- both.

Reported per variant: qps, answers per server CPU second (the fair figure when dnsperf does
not saturate the server), and the cost relative to off. Medians over the runs.
"""

import os
import subprocess
import time

import bench_dns
import benchlib
import dnsgen
from benchlib import BenchError

NAME = "rrl"
DESCRIPTION = "dnsd UDP answers per CPU second with RRL and cookies on vs off"

SECONDS = 5
RUNS = 3
NAMES = 10000
QUERIES = 100000
COOKIE = "10:0123456789abcdef"       # EDNS option 10, an 8-byte client cookie
VARIANTS = (
    ("off", "dnsd:\n    rrl-rate: 0\n    cookies: no\n", False),
    ("rrl", "dnsd:\n    rrl-rate: 1000000\n    rrl-exempt: 192.0.2.0/24\n    cookies: no\n",
     False),
    ("cookies", "dnsd:\n    rrl-rate: 0\n    cookies: yes\n", True),
    ("both", "dnsd:\n    rrl-rate: 1000000\n    rrl-exempt: 192.0.2.0/24\n    cookies: yes\n",
     True),
)


def _one(ctx, tmp, state, zone_origin, qfile, conf_text, cookie, cpus, i, label):
    conf = os.path.join(tmp, "dnsd-%s.conf" % label)
    with open(conf, "w") as f:
        f.write(benchlib.stay_root_config("dnsd") + conf_text)
    port = benchlib.free_port()
    log_path = os.path.join(tmp, "dnsd-%s-%d.log" % (label, i))
    argv = [bench_dns.dnsd_path(ctx), "--state", state, "--listen", "127.0.0.1:%d" % port,
            "--workers", "1", "-c", conf]
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(benchlib.pinned(cpus[0], argv), stdin=subprocess.DEVNULL,
                                stdout=logf, stderr=logf, start_new_session=True)
    try:
        bench_dns.wait_ready(proc, port, [zone_origin], time.monotonic() + 30, log_path,
                             "dnsd")
        pids = bench_dns._process_tree(proc.pid)
        cpu0 = bench_dns._cpu_ticks(pids)
        r = bench_dns.run_dnsperf("udp", port, qfile, SECONDS, cpus[1],
                                  os.path.join(tmp, "perf-%s-%d.txt" % (label, i)),
                                  ["-E", COOKIE] if cookie else [])
        cpu_s = (bench_dns._cpu_ticks(pids) - cpu0) / float(os.sysconf("SC_CLK_TCK"))
        r["server_cpu_pct"] = 100.0 * cpu_s / r["run_seconds"] if r["run_seconds"] else None
        r["per_cpu_second"] = r["completed"] / cpu_s if cpu_s > 0 else None
        if r["lost"] > bench_dns.LOSS_LIMIT * max(r["sent"], 1):
            raise BenchError("%s run %d lost %d of %d queries" % (label, i, r["lost"],
                                                                  r["sent"]))
        return r
    finally:
        benchlib.kill_process(proc)


def run(ctx):
    result = {"name": NAME, "ok": False, "errors": []}
    if bench_dns.dnsd_path(ctx) is None or not os.access(bench_dns.DNSPERF, os.X_OK):
        result["errors"].append("dnsd or dnsperf missing: nothing measured")
        return result
    server_cpu, client_cpu, note = bench_dns._cpus()
    tmp = benchlib.make_tempdir("lockstep-bench-rrl-")
    runs = {label: [] for label, _c, _k in VARIANTS}
    try:
        zfile = os.path.join(tmp, "bench.example.zone")
        dnsgen.generate_zone(zfile, NAMES)
        qfile = os.path.join(tmp, "queries.txt")
        dnsgen.generate_queries(qfile, "1zone", QUERIES, names=NAMES)
        state = os.path.join(tmp, "state")
        bench_dns.dnsd_load(ctx, [zfile], state, ctx.log)
        for i in range(max(ctx.runs, RUNS)):
            for label, conf, cookie in VARIANTS:
                r = _one(ctx, tmp, state, dnsgen.ORIGIN, qfile, conf, cookie,
                         (server_cpu, client_cpu), i, label)
                ctx.log("rrl: %s run %d: %.0f qps, %.0f answers per CPU s, server CPU %.0f %%"
                        % (label, i + 1, r["qps"], r["per_cpu_second"] or 0,
                           r["server_cpu_pct"] or 0))
                runs[label].append(r)
    except (BenchError, OSError, subprocess.SubprocessError) as e:
        result["errors"].append(str(e))
        return result
    finally:
        benchlib.remove_tree(tmp)
    med = {label: {k: benchlib.median([r[k] for r in rs])
                   for k in ("qps", "per_cpu_second", "server_cpu_pct")}
           for label, rs in runs.items()}
    base = med["off"]["per_cpu_second"]
    rows = []
    for label, _c, _k in VARIANTS:
        m = med[label]
        cost = 100.0 * (1 - m["per_cpu_second"] / base) if base and m["per_cpu_second"] else None
        m["cost_pct"] = cost
        rows.append([label, m["qps"], m["per_cpu_second"], m["server_cpu_pct"], cost])
    result.update(ok=True, variants=med, runs_each=len(runs["off"]), note=note,
                  table={"columns": ["variant", "qps", "answers/CPU s", "server CPU %",
                                     "cost % vs off"],
                         "rows": rows,
                         "notes": ["UDP, one worker, %d s per run, median of %d interleaved "
                                   "runs; cost from answers per server CPU second"
                                   % (SECONDS, len(runs["off"]))]},
                  headline={"rrl_cost_pct": med["rrl"]["cost_pct"],
                            "cookie_cost_pct": med["cookies"]["cost_pct"]})
    return result
