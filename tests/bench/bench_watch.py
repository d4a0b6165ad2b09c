"""Watch benchmark: `zonectl watch run` over 1,000 watched domains of a foreign world.

The foreign world of the system tests (foreign_world.py: Knot, nginx, aiosmtpd on loopback)
with BENCH_WATCH_DOMAINS (default 1,000) clean domains, each added with `zonectl watch add`
and its check options. Once all are due (a new domain's first run comes within a minute),
one `zonectl watch run` runs them all with watch.concurrency BENCH_WATCH_CONCURRENCY (default
16): each check, its row, its diff, and its write (32 domains per transaction). Reported: wall time and CPU of that run,
the most sockets zonectl held at once (sampled from /proc every millisecond or so), the rows
stored. Goal: under 60 s, at most `concurrency` sockets at once, every domain ok.

Needs what the system tests need: python3-pytest, python3-cryptography, python3-aiosmtpd,
nginx, knot.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import BenchError, remove_tree

NAME = "watch"
DESCRIPTION = "zonectl watch run over 1,000 watched foreign domains: wall, CPU, sockets at once"

DEFAULT_DOMAINS = 1000
DEFAULT_CONCURRENCY = 16
GOAL_S = 60.0
FIRST_RUN_S = 61       # a new domain's first run is due within a minute


def sockets(pid):
    """How many sockets process pid holds now (0 once it is gone)."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        pass
    return n


def run(ctx):
    n = int(os.environ.get("BENCH_WATCH_DOMAINS", DEFAULT_DOMAINS))
    conc = int(os.environ.get("BENCH_WATCH_CONCURRENCY", DEFAULT_CONCURRENCY))
    sys.path.insert(0, os.path.join(ctx.repo, "tests", "system"))
    try:
        from foreign_world import Domain, World
    except ImportError as e:
        raise BenchError("the foreign world needs the system tests' packages: %s" % e)
    zonectl = os.path.join(ctx.build, "zonectl")
    tmp = tempfile.mkdtemp(prefix="lockstep-bench-watch-")
    errors = []
    try:
        conf = os.path.join(tmp, "lockstep.conf")
        state = os.path.join(tmp, "state")
        with open(conf, "w") as f:
            f.write("watch:\n  concurrency: %d\n  own: no\n" % conc)
        base = [zonectl, "-c", conf, "--state", state]
        w = World(tmp)
        for i in range(n):
            w.add(Domain("d%05d" % i))
        ctx.log("foreign world: %d domains (Knot, nginx, aiosmtpd)" % n)
        with w.running():
            t0 = time.monotonic()
            for i in range(n):
                name = w.name("d%05d" % i)
                # A rule per host (policy host, MX) to the world's servers.
                args = ["--resolver", "127.0.0.1:%d" % w.knot.port, "--ca", str(w.ca.pem),
                        "--connect-to", "mta-sts.%s:443:127.0.0.1:%d" % (name, w.https_port),
                        "--connect-to", "mx.%s:25:127.0.0.1:%d" % (name, w.smtp_port)]
                p = subprocess.run(base + ["watch", "add", name, "--every", "60"] + args,
                                   capture_output=True, text=True, timeout=60)
                if p.returncode != 0:
                    raise BenchError("watch add: exit %d: %s" % (p.returncode, p.stderr))
            ctx.log("%d domains added in %.1f s; waiting %d s until all are due"
                    % (n, time.monotonic() - t0, FIRST_RUN_S))
            time.sleep(FIRST_RUN_S)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            proc = subprocess.Popen(base + ["--json", "watch", "run"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            most = [0]

            def sample():
                while proc.poll() is None:
                    most[0] = max(most[0], sockets(proc.pid))
                    time.sleep(0.001)
            th = threading.Thread(target=sample, daemon=True)
            th.start()
            out, err = proc.communicate(timeout=900)
            wall = time.monotonic() - start
            th.join()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rows = subprocess.run(base + ["--json", "watch", "list"], capture_output=True,
                                  text=True, timeout=120).stdout
    finally:
        remove_tree(tmp)
    try:
        r = json.loads(out)
        listed = json.loads(rows)["domains"]
    except ValueError:
        raise BenchError("watch run: exit %d: %s" % (proc.returncode, err[-2000:]))
    ok = sum(1 for d in listed if d["status"] == "ok")
    if proc.returncode != 0 or r["ran"] != n or ok != n:
        errors.append("exit %d, %d of %d ran, %d ok: %s" % (proc.returncode, r["ran"], n, ok,
                                                           err[-1000:]))
    if wall >= GOAL_S:
        errors.append("%.1f s for %d domains, goal under %.0f s" % (wall, n, GOAL_S))
    if most[0] > conc:
        errors.append("%d sockets at once, concurrency %d" % (most[0], conc))
    table = [["domains", n], ["watch.concurrency", conc], ["wall time (s)", wall],
             ["zonectl CPU (s)", cpu], ["per domain (ms)", 1000.0 * wall / max(n, 1)],
             ["most sockets at once", most[0]], ["ran", r["ran"]], ["ok", ok]]
    return {"ok": not errors, "errors": errors,
            "result": {"wall_s": wall, "cpu_s": cpu, "max_sockets": most[0], "ran": r["ran"],
                       "ok": ok},
            "table": {"columns": ["what", "value"], "rows": table,
                      "notes": ["one zonectl watch run: each domain checked (4 DNS queries, one "
                                "HTTPS fetch, one SMTP STARTTLS handshake), its row and open "
                                "problems written with 31 others in one transaction"]}}
