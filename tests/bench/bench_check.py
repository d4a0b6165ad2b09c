"""Check benchmark: zonectl check's library over 1,000 domains of a foreign world.

The foreign world of the system tests (tests/system/foreign_world.py: Knot for the zone
foreign.test, nginx for the policies, aiosmtpd with STARTTLS for the MX hosts, all on
loopback, certificates from a test CA) with BENCH_CHECK_DOMAINS (default 1,000) clean
domains, each with one MX. check_many.c (linked with build/libshared.a) runs check_run() on
every domain, BENCH_CHECK_CONCURRENCY (default 16) checks at a time, each check one
connection at a time, as watch runs them. Reported: wall time, the driver's CPU time, the
most sockets it held at once (sampled every millisecond), and the statuses. Goal: under 60 s,
at most `concurrency` sockets at once, every domain ok.

Unlike the other benchmarks this one needs what the system tests need: python3-pytest,
python3-cryptography, python3-aiosmtpd, nginx, knot.
"""

import json
import os
import subprocess
import sys
import tempfile

from benchlib import BenchError, remove_tree

NAME = "check"
DESCRIPTION = "zonectl check over 1,000 foreign domains: wall, CPU, sockets at once"

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DOMAINS = 1000
DEFAULT_CONCURRENCY = 16
GOAL_S = 60.0


def build_driver(ctx):
    """tests/bench/check_many.c linked with build/libshared.a, into BUILD/bench/."""
    src = os.path.join(HERE, "check_many.c")
    lib = os.path.join(ctx.build, "libshared.a")
    exe = os.path.join(ctx.build, "bench", "check_many")
    try:
        if os.path.getmtime(exe) >= max(os.path.getmtime(src), os.path.getmtime(lib)):
            return exe
    except OSError:
        pass
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    gmime = subprocess.run(["pkg-config", "--libs", "gmime-3.0"], capture_output=True,
                           text=True).stdout.split()
    cc = os.environ.get("CC", "cc")
    res = subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-I", ctx.repo,
                          "-o", exe, src, lib, "-lldns", "-llmdb", "-ljansson", "-lmbedtls",
                          "-lmbedx509", "-lmbedcrypto", "-lz", "-luv", "-lpthread"] + gmime,
                         capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        raise BenchError("cannot build %s: %s" % (exe, res.stderr[-2000:]))
    return exe


def run(ctx):
    n = int(os.environ.get("BENCH_CHECK_DOMAINS", DEFAULT_DOMAINS))
    conc = int(os.environ.get("BENCH_CHECK_CONCURRENCY", DEFAULT_CONCURRENCY))
    sys.path.insert(0, os.path.join(ctx.repo, "tests", "system"))
    try:
        from foreign_world import Domain, World
    except ImportError as e:
        raise BenchError("the foreign world needs the system tests' packages: %s" % e)
    driver = build_driver(ctx)
    tmp = tempfile.mkdtemp(prefix="lockstep-bench-check-")
    errors = []
    try:
        w = World(tmp)
        for i in range(n):
            w.add(Domain("d%05d" % i))
        ctx.log("foreign world: %d domains (Knot, nginx, aiosmtpd)" % n)
        names = os.path.join(tmp, "domains.txt")
        with open(names, "w") as f:
            f.write("".join(w.name("d%05d" % i) + "\n" for i in range(n)))
        with w.running():
            args = w.check_args()
            p = subprocess.run([driver] + args + ["--concurrency", str(conc), "--timeout", "30",
                                                  names], capture_output=True, text=True,
                               timeout=900)
        if p.returncode != 0:
            raise BenchError("check_many: exit %d: %s" % (p.returncode, p.stderr[-2000:]))
        r = json.loads(p.stdout)
    finally:
        remove_tree(tmp)
    if r["ok"] != n:
        errors.append("%d of %d domains not ok: %s; %s" % (n - r["ok"], n, r["codes"],
                                                           p.stderr[-1000:]))
    if r["wall_s"] >= GOAL_S:
        errors.append("%.1f s for %d domains, goal under %.0f s" % (r["wall_s"], n, GOAL_S))
    if r["max_sockets"] > conc:
        errors.append("%d sockets at once, concurrency %d" % (r["max_sockets"], conc))
    rows = [["domains", n], ["concurrency (checks at once)", conc],
            ["wall time (s)", r["wall_s"]], ["driver CPU (s)", r["cpu_s"]],
            ["per domain (ms)", 1000.0 * r["wall_s"] / max(n, 1)],
            ["most sockets at once", r["max_sockets"]], ["ok", r["ok"]],
            ["warn / error / failed", "%d / %d / %d" % (r["warn"], r["error"], r["failed"])]]
    return {"ok": not errors, "errors": errors, "result": r,
            "table": {"columns": ["what", "value"], "rows": rows,
                      "notes": ["each check: 4 DNS queries, one HTTPS fetch, one SMTP STARTTLS "
                                "handshake, one connection at a time; CPU is the driver's only "
                                "(Knot, nginx and aiosmtpd run beside it)"]}}
