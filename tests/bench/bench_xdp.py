"""UDP answers per server CPU second on a veth pair: dnsd over AF_XDP and over sockets, NSD, and
Knot over AF_XDP (issue 17: the UDP goal, 1.25x NSD, and the step past the socket layer).

Loopback has only the generic XDP hook, which saves nothing, so this benchmark builds two
network namespaces joined by a veth pair (native XDP, copy mode), as a server and a client
on one wire: the server's namespace holds 10.98.0.1, the client's 10.98.0.2. The servers
take turns on the server's end; one runs at a time (an interface has one XDP program).

Where the CPU goes is made the same for every server: both ends have GRO on and threaded
NAPI, the server end's NAPI thread pinned to the server CPU and the client end's to the client
CPU. So everything the server's side of the wire costs (the XDP program, the kernel's receive
path and socket layer, or the AF_XDP copy) falls on the server CPU, and the client's receive
path on the client's. The figure compared is answers per second of the server CPU's busy time
(from /proc/stat: the server, its NAPI thread and softirqs, whatever ran there), and, beside
it, the server processes' own CPU.

Zone sets and query files are bench_dns's: one zone of 10,000 names, and 10,000 small zones.
The client is bench_dns's udp_load (batched), pinned to the client CPU, BENCH_XDP_SECONDS
(default 5) a run; BENCH_XDP_RUNS rounds (default 3), the order turning each round; medians.
BENCH_XDP_VARIANTS (e.g. "nsd dnsd-xdp") limits the servers measured.

Variants: NSD (sockets), Knot with `xdp: listen`, dnsd on sockets, dnsd with
`dnsd.xdp-listen`. Needs root (namespaces, XDP); without it nothing is measured and the
benchmark says so.
"""

import os
import subprocess
import time

import bench_dns
import benchlib
import dnsgen
from benchlib import BenchError

NAME = "xdp"
DESCRIPTION = ("UDP answers per server CPU second on a veth pair: dnsd over AF_XDP and sockets, "
               "NSD, Knot over AF_XDP")

SRV_IP, CLI_IP = "10.98.0.1", "10.98.0.2"
PORT = 53
SECONDS = 5
RUNS = 3
READY_TIMEOUT = 60.0
VARIANTS = ("nsd", "knot-xdp", "dnsd", "dnsd-xdp")
LABELS = {"nsd": "NSD", "knot-xdp": "Knot, AF_XDP", "dnsd": "dnsd, sockets",
          "dnsd-xdp": "dnsd, AF_XDP"}
IP = "/usr/sbin/ip"
ETHTOOL = "/usr/sbin/ethtool"


def _run(argv, check=True, timeout=60):
    p = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise BenchError("%s: exit %d: %s" % (" ".join(map(str, argv)), p.returncode,
                                              (p.stdout + p.stderr).strip()[-1000:]))
    return p


class Wire:
    """The two namespaces and their veth pair; NAPI threads pinned per side."""

    def __init__(self):
        tag = os.getpid() % 100000
        self.srv, self.cli = "lsbxs%d" % tag, "lsbxc%d" % tag
        self.dev_s, self.dev_c = "lsbxvs%d" % tag, "lsbxvc%d" % tag

    def up(self):
        _run([IP, "netns", "add", self.srv])
        _run([IP, "netns", "add", self.cli])
        _run([IP, "link", "add", self.dev_s, "netns", self.srv, "type", "veth", "peer", "name",
              self.dev_c, "netns", self.cli])
        for ns, dev, addr in ((self.srv, self.dev_s, SRV_IP), (self.cli, self.dev_c, CLI_IP)):
            _run([IP, "-n", ns, "addr", "add", addr + "/24", "dev", dev])
            _run([IP, "-n", ns, "link", "set", dev, "up"])
            _run([IP, "-n", ns, "link", "set", "lo", "up"])
            _run(self.exec(ns, [ETHTOOL, "-K", dev, "gro", "on"]))
            _run(self.exec(ns, ["sh", "-c", "echo 1 > /sys/class/net/%s/threaded" % dev]))

    def exec(self, ns, argv):
        return [IP, "netns", "exec", ns] + [str(a) for a in argv]

    def pin_napi(self, server_cpu, client_cpu):
        """The NAPI threads (napi/DEV-ID) to their side's CPU; attaching XDP makes new ones."""
        found = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % pid) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            for dev, cpu in ((self.dev_s, server_cpu), (self.dev_c, client_cpu)):
                if comm.startswith("napi/%s-" % dev):
                    os.sched_setaffinity(int(pid), {cpu})
                    found += 1
        if found < 2:
            raise BenchError("the veth pair's NAPI threads were not found (threaded NAPI)")

    def xdp_off(self):
        _run([IP, "-n", self.srv, "link", "set", "dev", self.dev_s, "xdp", "off"], check=False)

    def down(self):
        _run([IP, "netns", "del", self.srv], check=False)
        _run([IP, "netns", "del", self.cli], check=False)


def _cpu_busy(cpu):
    """cpu's busy ticks so far (all but idle and iowait) from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu%d " % cpu):
                v = [int(x) for x in line.split()[1:]]
                return sum(v[:8]) - v[3] - v[4]
    raise BenchError("no cpu%d in /proc/stat" % cpu)


def _argv(ctx, variant, wire, data, sdir):
    """The server's command line for variant (its files written into sdir)."""
    if variant == "nsd":
        return bench_dns.write_nsd_conf(sdir, PORT, data, SRV_IP)
    if variant == "knot-xdp":
        return bench_dns.write_knot_conf(sdir, PORT, data, SRV_IP,
                                         "xdp:\n    listen: %s@%d\n\n" % (wire.dev_s, PORT))
    conf = os.path.join(sdir, "dnsd-%s.conf" % variant)
    with open(conf, "w") as f:
        f.write(benchlib.stay_root_config("dnsd") + "dnsd:\n    rrl-rate: 0\n")
        if variant == "dnsd-xdp":
            f.write("    xdp-listen: %s@%d\n" % (wire.dev_s, PORT))
    return [bench_dns.dnsd_path(ctx), "--state", data["state"], "--listen",
            "%s:%d" % (SRV_IP, PORT), "--workers", "1", "-c", conf]


def _ready(wire, origin, proc, log_path, label):
    """Until origin's SOA comes back over the wire (through XDP when the server uses it)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError("%s exited with %d at start:\n%s"
                             % (label, proc.returncode, benchlib.tail(log_path, 2000)))
        p = _run(wire.exec(wire.cli, ["dig", "+short", "+tries=1", "+time=1", "-p", PORT,
                                      "@" + SRV_IP, origin, "SOA"]), check=False)
        if p.returncode == 0 and p.stdout.strip():
            return
        time.sleep(0.2)
    raise BenchError("%s: no SOA answer within %d s" % (label, READY_TIMEOUT))


def one_run(ctx, variant, wire, data, sdir, settings, i, log):
    os.makedirs(sdir, exist_ok=True)
    label = LABELS[variant]
    log_path = os.path.join(sdir, "server-%d.log" % i)
    argv = wire.exec(wire.srv, benchlib.pinned(settings["server_cpu"],
                                               _argv(ctx, variant, wire, data, sdir)))
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                cwd=sdir, start_new_session=True)
    try:
        _ready(wire, data["zones"][0][0], proc, log_path, label)
        wire.pin_napi(settings["server_cpu"], settings["client_cpu"])
        pids = bench_dns._process_tree(proc.pid)
        cpu0, busy0 = bench_dns._cpu_ticks(pids), _cpu_busy(settings["server_cpu"])
        out_path = os.path.join(sdir, "load-%d.txt" % i)
        client = wire.exec(wire.cli, benchlib.pinned(settings["client_cpu"], [
            bench_dns.UDP_CLIENT[0], "-m", "udp", "-s", SRV_IP, "-p", str(PORT), "-d",
            data["queries"], "-l", str(settings["seconds"]), "-c", "8", "-q", "200", "-t", "2"]))
        with open(out_path, "w") as f:
            p = subprocess.run(client, stdin=subprocess.DEVNULL, stdout=f,
                               stderr=subprocess.STDOUT, timeout=settings["seconds"] + 60)
        clk = float(os.sysconf("SC_CLK_TCK"))
        busy = (_cpu_busy(settings["server_cpu"]) - busy0) / clk
        own = (bench_dns._cpu_ticks(pids) - cpu0) / clk
        if p.returncode != 0:
            raise BenchError("udp_load exited with %d: %s" % (p.returncode,
                                                               benchlib.tail(out_path, 1000)))
        r = bench_dns.parse_dnsperf(benchlib.tail(out_path, 20000))
        problems = bench_dns.check_run(r, data["mix"])
        if problems:
            raise BenchError("%s run %d: %s" % (label, i + 1, "; ".join(problems)))
        r["core_busy_pct"] = 100.0 * busy / r["run_seconds"]
        r["own_cpu_pct"] = 100.0 * own / r["run_seconds"]
        r["per_core_second"] = r["completed"] / busy if busy > 0 else None
        r["per_own_cpu_second"] = r["completed"] / own if own > 0 else None
        r["us_per_answer"] = 1e6 * busy / r["completed"] if r["completed"] else None
        log("xdp: %s %s run %d: %.0f qps, %.0f answers per core second (%.2f us), core %.0f %% "
            "busy, the server's own CPU %.0f %%" % (label, data["label"], i + 1, r["qps"],
                                                   r["per_core_second"] or 0,
                                                   r["us_per_answer"] or 0, r["core_busy_pct"],
                                                   r["own_cpu_pct"]))
        return r
    finally:
        if variant == "knot-xdp" and proc.poll() is None:
            bench_dns.stop("knot", proc, sdir)
        benchlib.kill_process(proc)
        wire.xdp_off()            # Knot leaves its program on the interface


def _sets(ctx, tmp, log):
    """bench_dns's 1-zone and 10,000-zone sets, with dnsd's store loaded for each."""
    sets = {}
    d1 = os.path.join(tmp, "zone1")
    os.mkdir(d1)
    zfile = os.path.join(d1, "bench.example.zone")
    dnsgen.generate_zone(zfile, bench_dns.NAMES)
    q1 = os.path.join(tmp, "queries-1zone.txt")
    sets["1zone"] = {"zones": [(dnsgen.ORIGIN, zfile)], "zonesdir": d1, "queries": q1,
                     "mix": dnsgen.generate_queries(q1, "1zone", bench_dns.QUERIES,
                                                    names=bench_dns.NAMES), "label": "1 zone"}
    dz = os.path.join(tmp, "zones")
    qz = os.path.join(tmp, "queries-zones.txt")
    sets["zones"] = {"zones": dnsgen.generate_small_zones(dz, bench_dns.ZONES), "zonesdir": dz,
                     "queries": qz, "mix": dnsgen.generate_queries(qz, "zones", bench_dns.QUERIES,
                                                                   zones=bench_dns.ZONES),
                     "label": "10,000 zones"}
    for key, s in sets.items():
        s["state"] = os.path.join(tmp, "state-" + key)
        secs = bench_dns.dnsd_load(ctx, [p for _o, p in s["zones"]], s["state"], log,
                                   s["zonesdir"] if len(s["zones"]) > 1 else None)
        log("xdp: dnsd's store for %s loaded in %.1f s" % (s["label"], secs))
    return sets


def _why_not(ctx):
    if os.geteuid() != 0:
        return "needs root (network namespaces, XDP): nothing measured"
    for path, pkg in ((IP, "iproute2"), (ETHTOOL, "ethtool"), (bench_dns.NSD, "nsd"),
                      (bench_dns.KNOTD, "knot"), ("/usr/bin/dig", "bind9-dnsutils")):
        if not os.access(path, os.X_OK):
            return "%s missing (Debian package %s)" % (path, pkg)
    if bench_dns.dnsd_path(ctx) is None:
        return "dnsd is not built"
    if len(benchlib.allowed_cpus()) < 2:
        return "needs two CPUs (server and client pinned apart)"
    return None


def run(ctx):
    result = {"name": NAME, "ok": False, "errors": [], "records": bench_dns.NAMES}
    why = _why_not(ctx)
    if why:
        result["errors"].append(why)
        return result
    cpus = benchlib.allowed_cpus()
    settings = {"server_cpu": cpus[0], "client_cpu": cpus[1],
                "seconds": int(os.environ.get("BENCH_XDP_SECONDS", SECONDS))}
    runs = int(os.environ.get("BENCH_XDP_RUNS", RUNS))
    variants = tuple(os.environ.get("BENCH_XDP_VARIANTS", " ".join(VARIANTS)).split())
    if not variants or any(v not in VARIANTS for v in variants):
        result["errors"].append("BENCH_XDP_VARIANTS must name some of %s" % ", ".join(VARIANTS))
        return result
    bench_dns.UDP_CLIENT[0] = benchlib.build_tool(ctx, "udp_load", [])
    tmp = benchlib.make_tempdir("xdp")
    wire = Wire()
    rows, by = [], {}
    try:
        sets = _sets(ctx, tmp, ctx.log)
        wire.up()
        for key, data in sets.items():
            for i in range(runs):
                order = variants[i % len(variants):] + variants[:i % len(variants)]
                for v in order:
                    r = one_run(ctx, v, wire, data, os.path.join(tmp, "%s-%s" % (v, key)),
                                settings, i, ctx.log)
                    by.setdefault((key, v), []).append(r)
    except BenchError as e:
        result["errors"].append(str(e))
    finally:
        wire.xdp_off()
        wire.down()
        benchlib.remove_tree(tmp)
    headline = {}
    for key, label in (("1zone", "1 zone"), ("zones", "10,000 zones")):
        med = {}
        for v in VARIANTS:
            rs = by.get((key, v), [])
            if not rs:
                continue
            m = {k: benchlib.median([r[k] for r in rs if r.get(k)])
                 for k in ("qps", "per_core_second", "us_per_answer", "core_busy_pct",
                           "own_cpu_pct", "per_own_cpu_second")}
            med[v] = m
            rows.append([label, LABELS[v], len(rs), "%.0f" % m["qps"],
                         "%.0f" % m["per_core_second"], "%.2f" % m["us_per_answer"],
                         "%.0f" % m["core_busy_pct"], "%.0f" % m["own_cpu_pct"],
                         " ".join("%.0f" % r["per_core_second"] for r in rs)])
        if "nsd" in med and "dnsd-xdp" in med:
            ratio = med["dnsd-xdp"]["per_core_second"] / med["nsd"]["per_core_second"]
            headline["xdp_vs_nsd_" + key] = round(ratio, 2)
            if "dnsd" in med:
                headline["sockets_vs_nsd_" + key] = round(
                    med["dnsd"]["per_core_second"] / med["nsd"]["per_core_second"], 2)
            if "knot-xdp" in med:
                headline["xdp_vs_knot_xdp_" + key] = round(
                    med["dnsd-xdp"]["per_core_second"] / med["knot-xdp"]["per_core_second"], 2)
    result["table"] = {
        "columns": ["zones", "server", "runs", "qps", "answers/core s", "us/answer",
                    "core busy %", "own CPU %", "per run"],
        "rows": rows,
        "notes": ["answers per second of the server CPU's busy time (the server, its NAPI "
                  "thread, softirqs); ratios of medians: %s" % ", ".join(
                      "%s %.2f" % kv for kv in sorted(headline.items())),
                  "goal (issue 17): dnsd at least %.2fx NSD per CPU second on each zone set"
                  % bench_dns.CPU_GOAL]}
    result["headline"] = headline
    result["runs"] = runs
    result["samples"] = {"%s/%s" % k: v for k, v in by.items()}
    result["ok"] = not result["errors"] and bool(rows)
    return result
