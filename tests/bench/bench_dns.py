"""DNS serving benchmark: dnsperf against Lockstep dnsd, NSD and Knot.

Two zone sets from dnsgen.py, each served in turn by every server:

- 1zone: one zone bench.example. with 10,000 names, each with A, AAAA, MX, TXT;
- 10k-zones: 10,000 small zones z<i>.bench. (SOA, NS, A, MX + the NS's A).

Query files (dnsgen.py, 100,000 lines, fixed seed): 70 % existing data,
20 % NXDOMAIN, 10 % NODATA. Each server is started fresh on a free port of
127.0.0.1 with its state in the temp dir, one worker, pinned to one CPU with
taskset; dnsperf runs pinned to another CPU, first over UDP, then over TCP, so
there are four scenarios: udp-1zone, tcp-1zone, udp-10k-zones, tcp-10k-zones.

Per server and scenario: qps, lost queries, response codes (checked against
the mix), the server's CPU use and the client CPU's load during the run, and
its memory right after the run: VmRSS / VmHWM and Pss summed over the
server's processes (NSD forks an xfrd and a server process; summed RSS counts
the pages they share once per process, PSS splits them among the sharers).

Lockstep dnsd: the zones are first loaded with `zonectl --state S zone import
FILE...` (1,000 files a run, batched commits; timed and reported apart), then
`dnsd --state S --listen 127.0.0.1:PORT --workers 1` serves them. When dnsd is
not built, its rows are errors and NSD and Knot are still measured.

Ratios per scenario: qps ratio = dnsd qps / the faster of NSD and Knot;
mem ratio = the smaller PSS of NSD and Knot / dnsd PSS. >= 1.0 means dnsd
is at least as good; the goal is >= 1.0 in every scenario.

Settings: 10 s per dnsperf run and 1 run per server and scenario (median when
more); BENCH_DNS_SECONDS and BENCH_DNS_RUNS in the environment (or
ctx.dns_seconds / ctx.dns_runs, when the driver provides them) change that.
bench.py's --runs does not apply here: 5 runs would take about 15 minutes.
"""

import json
import os
import re
import subprocess
import time

import benchlib
from benchlib import BenchError
import dnsgen

NAME = "dns"
DESCRIPTION = "dnsperf qps and memory: Lockstep dnsd vs NSD and Knot (UDP, TCP; 1 zone, 10k zones)"

NSD = "/usr/sbin/nsd"
KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
DNSPERF = "/usr/bin/dnsperf"

NAMES = 10000             # hosts in bench.example.
ZONES = 10000             # small zones
QUERIES = 100000          # lines per query file
DEFAULT_SECONDS = 10
DEFAULT_RUNS = 1

# dnsperf: the same for every server. 8 sockets (UDP) / connections (TCP) with
# 200 queries outstanding in all keep one server CPU busy without overflowing
# its socket buffers (Knot loses UDP queries with 1,000 outstanding).
DNSPERF_CLIENTS = 8
DNSPERF_OUTSTANDING = 200
DNSPERF_THREADS = 1
DNSPERF_TIMEOUT = 2       # seconds until a query counts as lost

READY_TIMEOUT = 60.0      # spawn until every zone answers SOA
STOP_TIMEOUT = 30.0
IMPORT_TIMEOUT = 120.0    # one zonectl import
IMPORT_BUDGET = 900.0     # all 10,000 imports
LOSS_LIMIT = 0.01         # lost / sent
NXDOMAIN_TOLERANCE = 0.02
OTHER_RCODE_LIMIT = 0.001

TYPE_SRV, TYPE_MX, TYPE_CAA = 33, 15, 257

SCENARIO_SETS = (("1zone", "1zone"), ("zones", "10k-zones"))
MODES = ("udp", "tcp")
SERVERS = ("nsd", "knot", "dnsd")
LABELS = {"nsd": "NSD", "knot": "Knot", "dnsd": "Lockstep dnsd"}


# --- settings -----------------------------------------------------------------

def _setting(ctx, attr, env, default, lo, hi):
    val = getattr(ctx, attr, None)
    if val is None and os.environ.get(env):
        try:
            val = int(os.environ[env])
        except ValueError:
            raise BenchError("%s must be an integer, got %r" % (env, os.environ[env]))
    if val is None:
        val = default
    if not lo <= val <= hi:
        raise BenchError("%s must be between %d and %d, got %d" % (env, lo, hi, val))
    return val


def _cpus():
    """(server CPU, client CPU, note): the first two CPUs this process may use."""
    allowed = benchlib.allowed_cpus()
    if len(allowed) >= 2:
        return allowed[0], allowed[1], None
    return allowed[0], allowed[0], ("only one CPU available: the servers and dnsperf share "
                                    "CPU %d, so the figures are not comparable with 2-CPU runs"
                                    % allowed[0])


# --- /proc: process trees, CPU time, memory -------------------------------------

def _stat_fields(pid):
    """/proc/PID/stat fields after the command name (index 0 = state), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rfind(")") + 2:].split()


def _process_tree(root):
    """root and every process below it or in its session (NSD's forks), sorted."""
    children, session = {}, []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if not fields or len(fields) < 4:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        if int(fields[3]) == root:
            session.append(pid)
    found, todo = set(), [root]
    while todo and len(found) < 10000:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        todo.extend(children.get(pid, []))
    found.update(session)
    return sorted(p for p in found if _stat_fields(p) is not None)


def _cpu_ticks(pids):
    total = 0
    for pid in pids:
        f = _stat_fields(pid)
        if f and len(f) > 12:
            total += int(f[11]) + int(f[12])     # utime + stime
    return total


def _core_times(cpu):
    """(busy, total) jiffies of one CPU from /proc/stat, or None."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu%d " % cpu):
                    v = [int(x) for x in line.split()[1:]]
                    idle = v[3] + (v[4] if len(v) > 4 else 0)
                    total = sum(v[:8])
                    return total - idle, total
    except (OSError, ValueError):
        pass
    return None


def _busy_pct(before, after):
    if not before or not after or after[1] <= before[1]:
        return None
    return 100.0 * (after[0] - before[0]) / (after[1] - before[1])


def _pss_kib(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def _memory(root):
    """Memory of the server's processes right now."""
    procs = []
    for pid in _process_tree(root):
        procs.append({"pid": pid, "comm": _comm(pid),
                      "rss_kib": benchlib.proc_status_kib(pid, "VmRSS"),
                      "hwm_kib": benchlib.proc_status_kib(pid, "VmHWM"),
                      "pss_kib": _pss_kib(pid)})

    def total(key):
        vals = [p[key] for p in procs]
        return sum(vals) if vals and None not in vals else None

    return {"rss_kib": total("rss_kib"), "hwm_kib": total("hwm_kib"),
            "pss_kib": total("pss_kib"), "processes": procs}


# --- dnsperf ------------------------------------------------------------------

_RE = {
    "sent": re.compile(r"Queries sent:\s+(\d+)"),
    "completed": re.compile(r"Queries completed:\s+(\d+)"),
    "lost": re.compile(r"Queries lost:\s+(\d+)"),
    "run_seconds": re.compile(r"Run time \(s\):\s+([0-9.]+)"),
    "qps": re.compile(r"Queries per second:\s+([0-9.]+)"),
    "latency_s": re.compile(r"Average Latency \(s\):\s+([0-9.]+)"),
}
_RE_RCODES = re.compile(r"Response codes:\s+(.*)")
_RE_RCODE = re.compile(r"([A-Z][A-Z0-9]*) (\d+) \(")


def parse_dnsperf(text):
    out = {}
    for key, rx in _RE.items():
        m = rx.search(text)
        if not m:
            raise BenchError("dnsperf output has no %r line" % rx.pattern.split(":")[0])
        out[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    m = _RE_RCODES.search(text)
    out["rcodes"] = {k: int(v) for k, v in _RE_RCODE.findall(m.group(1))} if m else {}
    out["qps"] = float(out["qps"])
    return out


def run_dnsperf(mode, port, qfile, seconds, cpu, out_path, extra=()):
    """One dnsperf run pinned to cpu (extra: more dnsperf options); its parsed figures."""
    argv = benchlib.pinned(cpu, [DNSPERF, "-m", mode, "-s", "127.0.0.1", "-p", str(port),
                         "-d", qfile, "-l", str(seconds), "-c", str(DNSPERF_CLIENTS),
                         "-q", str(DNSPERF_OUTSTANDING), "-T", str(DNSPERF_THREADS),
                         "-t", str(DNSPERF_TIMEOUT)] + list(extra))
    with open(out_path, "wb") as f:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            proc.wait(timeout=seconds + DNSPERF_TIMEOUT + 30)
        except subprocess.TimeoutExpired:
            raise BenchError("dnsperf did not finish within %d s (killed)"
                             % (seconds + DNSPERF_TIMEOUT + 30))
    finally:
        if proc.returncode is None:
            benchlib.kill_process(proc)
    text = benchlib.tail(out_path, 20000)
    if proc.returncode != 0:
        raise BenchError("dnsperf exited with %d:\n%s" % (proc.returncode, text[-2000:]))
    return parse_dnsperf(text)


def check_run(r, mix):
    """Problems with one dnsperf run: losses, or response codes off the mix."""
    problems = []
    if r["sent"] == 0 or r["completed"] == 0:
        return ["no queries answered (sent %d)" % r["sent"]]
    loss = r["lost"] / r["sent"]
    if loss >= LOSS_LIMIT:
        problems.append("%.2f %% of the queries lost (limit %.0f %%)"
                        % (100 * loss, 100 * LOSS_LIMIT))
    done = r["completed"]
    expect_nx = mix["nxdomain"] / float(sum(mix.values()))
    nx = r["rcodes"].get("NXDOMAIN", 0) / done
    if abs(nx - expect_nx) > NXDOMAIN_TOLERANCE:
        problems.append("NXDOMAIN in %.1f %% of the answers, expected %.0f %%"
                        % (100 * nx, 100 * expect_nx))
    other = {k: v for k, v in r["rcodes"].items() if k not in ("NOERROR", "NXDOMAIN")}
    if sum(other.values()) > OTHER_RCODE_LIMIT * done:
        problems.append("unexpected response codes: %s"
                        % ", ".join("%s %d" % kv for kv in sorted(other.items())))
    return problems


# --- readiness and answer checks ----------------------------------------------

def _header_ok(hdr, want_rcode, want_answers):
    if hdr is None or not hdr[1] & 0x8000:
        return False
    if benchlib.rcode(hdr) != want_rcode or not hdr[1] & 0x0400:
        return False
    return (hdr[3] > 0) if want_answers else (hdr[3] == 0)


def wait_ready(proc, port, origins, deadline, log_path, label):
    """Polls until every zone in origins answers SOA authoritatively: the first
    pending zone until it answers, then a sweep over the rest, repeated for
    the zones that did not answer yet. Bounded by deadline (and a round count).
    Returns time.monotonic() of the first authoritative answer."""
    pending = list(origins)
    first = None
    for _round in range(100000):
        if not pending:
            return first
        if proc.poll() is not None:
            raise BenchError("%s exited with %s before serving; log:\n%s"
                             % (label, proc.returncode, benchlib.tail(log_path, 3000)))
        if time.monotonic() > deadline:
            break
        still = []
        for idx, origin in enumerate(pending):
            if time.monotonic() > deadline:
                still.extend(pending[idx:])
                break
            hdr = benchlib.udp_query("127.0.0.1", port, origin, benchlib.TYPE_SOA,
                                     timeout=0.25)
            if not benchlib.is_authoritative_answer(hdr):
                if idx == 0:                 # not serving yet: don't sweep the rest
                    still = list(pending)
                    break
                still.append(origin)
            elif first is None:
                first = time.monotonic()
        pending = still
        if pending:
            time.sleep(0.05)
    if not pending:
        return first
    raise BenchError("%s: %d of %d zones (first %s) did not answer SOA within %d s; log:\n%s"
                     % (label, len(pending), len(origins), pending[0], READY_TIMEOUT,
                        benchlib.tail(log_path, 3000)))


def check_answers(port, probes, label):
    """A few queries with known answers; raises on a wrong one."""
    for name, qtype, rc, answers, what in probes:
        hdr = None
        for _ in range(3):
            hdr = benchlib.udp_query("127.0.0.1", port, name, qtype, timeout=1.0)
            if hdr is not None:
                break
        if not _header_ok(hdr, rc, answers):
            got = ("no answer" if hdr is None else
                   "rcode %d, aa %d, %d answers" % (benchlib.rcode(hdr),
                                                    bool(hdr[1] & 0x0400), hdr[3]))
            raise BenchError("%s answers %s type %d wrongly (%s expected): %s"
                             % (label, name, qtype, what, got))


def probes_for(zset):
    if zset == "1zone":
        o = dnsgen.ORIGIN
        return [("h0." + o, benchlib.TYPE_A, 0, True, "data"),
                ("h%d.%s" % (NAMES - 1, o), TYPE_MX, 0, True, "data"),
                ("x0." + o, benchlib.TYPE_A, 3, False, "NXDOMAIN"),
                ("h0." + o, TYPE_SRV, 0, False, "NODATA")]
    first, last = dnsgen.small_zone_name(0), dnsgen.small_zone_name(ZONES - 1)
    return [(first, TYPE_MX, 0, True, "data"),
            ("ns1." + last, benchlib.TYPE_A, 0, True, "data"),
            ("www0." + last, benchlib.TYPE_A, 3, False, "NXDOMAIN"),
            (first, TYPE_CAA, 0, False, "NODATA")]


# --- the servers ----------------------------------------------------------------

NSD_CONF = """\
server:
    server-count: 1
    ip-address: 127.0.0.1@{port}
    zonesdir: "{zonesdir}"
    database: ""
    pidfile: "{dir}/nsd.pid"
    xfrdfile: "{dir}/xfrd.state"
    zonelistfile: "{dir}/zone.list"
    username: ""
    chroot: ""
    verbosity: 0
    # NSD limits responses per client network by default (200 qps), which
    # drops most of a benchmark's answers.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0

remote-control:
    control-enable: no
"""

KNOT_TEMPLATE = """\
template:
  - id: default
    storage: "{dir}/storage"
    zonefile-load: whole
    journal-content: none
    zonefile-sync: -1

zone:
"""


def dnsd_path(ctx):
    """BUILD/dnsd when it is an executable file, else None."""
    path = os.path.join(ctx.build, "dnsd")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def missing(ctx, server):
    """Why server cannot run here, or None."""
    if server == "nsd" and not os.access(NSD, os.X_OK):
        return "%s not installed (Debian package nsd)" % NSD
    if server == "knot" and not (os.access(KNOTD, os.X_OK) and os.access(KNOTC, os.X_OK)):
        return "%s / %s not installed (Debian package knot)" % (KNOTD, KNOTC)
    if server == "dnsd":
        if dnsd_path(ctx) is None:
            return ("%s is missing or not an executable file: dnsd is not built "
                    "(`make` builds it); its rows are not measured"
                    % os.path.join(ctx.build, "dnsd"))
        if not os.access(ctx.zonectl, os.X_OK):
            return "%s is missing (needed to load dnsd's store)" % ctx.zonectl
    return None


def _zonectl_zone_count(zonectl, state):
    out = subprocess.run([zonectl, "--state", state, "--json", "zone", "list"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    if out.returncode != 0:
        raise BenchError("`zonectl --json zone list` exited with %d: %s"
                         % (out.returncode, out.stderr.decode("utf-8", "replace").strip()))
    try:
        zones = json.loads(out.stdout.decode("utf-8"))["zones"]
        return len(zones), sum(int(z.get("records", 0)) for z in zones)
    except (ValueError, KeyError, TypeError) as e:
        raise BenchError("cannot read `zonectl --json zone list`: %s" % e)


IMPORT_CHUNK = 1000        # zone files per zonectl run (a bulk import, batched commits)


def dnsd_load(ctx, files, state, log):
    """zonectl zone import FILE..., IMPORT_CHUNK files a run; returns seconds for all."""
    os.makedirs(state, exist_ok=True)
    t0 = time.perf_counter()
    for n in range(0, len(files), IMPORT_CHUNK):
        if time.perf_counter() - t0 > IMPORT_BUDGET:
            raise BenchError("importing %d zones took more than %d s (stopped at %d)"
                             % (len(files), IMPORT_BUDGET, n))
        argv = [ctx.zonectl, "--state", state, "zone", "import"] + files[n:n + IMPORT_CHUNK]
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, timeout=IMPORT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BenchError("`%s ...` did not finish within %d s" % (" ".join(argv[:6]),
                                                                      IMPORT_TIMEOUT))
        if res.returncode != 0:
            raise BenchError("`%s ...` exited with %d: %s"
                             % (" ".join(argv[:6]), res.returncode,
                                res.stderr.decode("utf-8", "replace").strip()[-2000:]))
    return time.perf_counter() - t0


def prepare(ctx, server, zset, data, sdir, port, log):
    """Writes the server's configuration; returns (argv, extra result fields)."""
    if server == "nsd":
        conf = os.path.join(sdir, "nsd.conf")
        with open(conf, "w") as f:
            f.write(NSD_CONF.format(port=port, dir=sdir, zonesdir=data["zonesdir"]))
            for origin, path in data["zones"]:
                f.write("\nzone:\n    name: %s\n    zonefile: \"%s\"\n"
                        % (origin, os.path.basename(path)))
        return [NSD, "-d", "-c", conf], {"config": conf}
    if server == "knot":
        for sub in ("run", "storage"):
            os.makedirs(os.path.join(sdir, sub), exist_ok=True)
        conf = os.path.join(sdir, "knot.conf")
        with open(conf, "w") as f:
            f.write(benchlib.knot_conf(port, os.path.join(sdir, "run"),
                                       os.path.join(sdir, "storage"), "warning") +
                    KNOT_TEMPLATE.format(dir=sdir))
            for origin, path in data["zones"]:
                f.write("  - domain: %s\n    file: \"%s\"\n" % (origin, path))
        return [KNOTD, "-c", conf], {"config": conf}
    state = os.path.join(sdir, "state")
    load_s = dnsd_load(ctx, [p for _o, p in data["zones"]], state, log)
    nzones, nrecords = _zonectl_zone_count(ctx.zonectl, state)
    if nzones != len(data["zones"]) or nrecords != data["records"]:
        raise BenchError("after import the store holds %d zones / %d records, expected "
                         "%d / %d" % (nzones, nrecords, len(data["zones"]), data["records"]))
    log("dns: dnsd store loaded with zonectl: %d zone(s), %d records in %.2f s"
        % (nzones, nrecords, load_s))
    conf = os.path.join(sdir, "dnsd.conf")
    with open(conf, "w") as f:
        f.write(benchlib.stay_root_config("dnsd"))
    return ([dnsd_path(ctx), "--state", state, "--listen", "127.0.0.1:%d" % port,
             "--workers", "1", "-c", conf], {"import_seconds": load_s})


def stop(server, proc, sdir):
    if proc.poll() is not None:
        return
    if server == "knot":
        try:
            subprocess.run([KNOTC, "-c", os.path.join(sdir, "knot.conf"), "-t", "5", "stop"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=15)
            proc.wait(timeout=STOP_TIMEOUT)
        except (subprocess.TimeoutExpired, OSError):
            pass
    benchlib.kill_process(proc)


# --- one server on one zone set ---------------------------------------------------

def _summarise(runs):
    out = {"runs": runs}
    for key in ("qps", "sent", "completed", "lost", "lost_pct", "nxdomain_pct",
                "server_cpu_pct", "server_core_pct", "client_core_pct",
                "queries_per_cpu_second", "rss_kib", "hwm_kib", "pss_kib", "latency_s"):
        vals = [r.get(key) for r in runs]
        out[key] = benchlib.median(vals) if vals and None not in vals else None
    return out


def measure_server(ctx, server, zset, data, tmp, settings, log):
    """Starts server on zone set zset, runs dnsperf over UDP and TCP; returns
    ({mode: summary}, server info, [errors]). Raises BenchError when nothing
    could be measured."""
    label = LABELS[server]
    zname = dict(SCENARIO_SETS)[zset]
    sdir = os.path.join(tmp, "%s-%s" % (server, zset))
    os.mkdir(sdir)
    port = benchlib.free_port()
    proc = None
    log_path = os.path.join(sdir, "server.log")
    errors, modes = [], {}
    try:
        argv, info = prepare(ctx, server, zset, data, sdir, port, log)
        t0 = time.monotonic()
        with open(log_path, "wb") as logf:
            proc = subprocess.Popen(benchlib.pinned(settings["server_cpu"], argv),
                                    stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                    cwd=sdir, start_new_session=True)
        first = wait_ready(proc, port, [o for o, _p in data["zones"]],
                           t0 + READY_TIMEOUT, log_path, label)
        info["ready_seconds"] = time.monotonic() - t0
        info["first_answer_seconds"] = first - t0
        info["memory_ready"] = _memory(proc.pid)
        log("dns: %s serves %s on port %d: first SOA answer after %.2f s, all zones after "
            "%.2f s (%d processes, %.1f MiB RSS)"
            % (label, zname, port, info["first_answer_seconds"], info["ready_seconds"],
               len(info["memory_ready"]["processes"]),
               (info["memory_ready"]["rss_kib"] or 0) / 1024.0))
        check_answers(port, probes_for(zset), label)
        clk = os.sysconf("SC_CLK_TCK")
        for mode in MODES:
            runs = []
            for i in range(settings["runs"]):
                if proc.poll() is not None:
                    raise BenchError("%s exited with %s during the benchmark; log:\n%s"
                                     % (label, proc.returncode, benchlib.tail(log_path, 3000)))
                pids = _process_tree(proc.pid)
                cpu0 = _cpu_ticks(pids)
                core0 = _core_times(settings["server_cpu"])
                cli0 = _core_times(settings["client_cpu"])
                out_path = os.path.join(sdir, "dnsperf-%s-%d.txt" % (mode, i))
                r = run_dnsperf(mode, port, data["queries"], settings["seconds"],
                                settings["client_cpu"], out_path)
                cpu1 = _cpu_ticks(pids)
                r["server_core_pct"] = _busy_pct(core0, _core_times(settings["server_cpu"]))
                r["client_core_pct"] = _busy_pct(cli0, _core_times(settings["client_cpu"]))
                cpu_s = (cpu1 - cpu0) / float(clk)
                r["server_cpu_seconds"] = cpu_s
                r["server_cpu_pct"] = 100.0 * cpu_s / r["run_seconds"] if r["run_seconds"] \
                    else None
                r["queries_per_cpu_second"] = r["completed"] / cpu_s if cpu_s > 0 else None
                r["lost_pct"] = 100.0 * r["lost"] / r["sent"] if r["sent"] else None
                r["nxdomain_pct"] = 100.0 * r["rcodes"].get("NXDOMAIN", 0) / r["completed"] \
                    if r["completed"] else None
                mem = _memory(proc.pid)
                r.update({"rss_kib": mem["rss_kib"], "hwm_kib": mem["hwm_kib"],
                          "pss_kib": mem["pss_kib"], "processes": mem["processes"]})
                problems = check_run(r, data["mix"])
                r["problems"] = problems
                r["dnsperf_output"] = benchlib.tail(out_path, 1500) if problems else None
                log("dns: %s %s-%s run %d: %.0f qps, lost %d, NXDOMAIN %.1f %%, "
                    "server CPU %s %%, client CPU %s %%, RSS %.1f MiB, PSS %s MiB"
                    % (label, mode, zname, i + 1, r["qps"], r["lost"], r["nxdomain_pct"] or 0,
                       "%.0f" % r["server_cpu_pct"] if r["server_cpu_pct"] is not None else "?",
                       "%.0f" % r["client_core_pct"] if r["client_core_pct"] is not None
                       else "?", (r["rss_kib"] or 0) / 1024.0,
                       "%.1f" % (r["pss_kib"] / 1024.0) if r["pss_kib"] is not None else "?"))
                for p in problems:
                    errors.append("%s, %s-%s run %d: %s; dnsperf's output ends:\n%s"
                                  % (label, mode, zname, i + 1, p,
                                     r["dnsperf_output"].strip()))
                    log("dns: PROBLEM: %s" % p)
                runs.append(r)
            modes[mode] = _summarise(runs)
            modes[mode]["problems"] = [p for r in runs for p in r["problems"]]
        if proc.poll() is not None:
            raise BenchError("%s exited with %s during the benchmark; log:\n%s"
                             % (label, proc.returncode, benchlib.tail(log_path, 3000)))
        return modes, info, errors
    finally:
        if proc is not None:
            stop(server, proc, sdir)
        benchlib.remove_tree(sdir)


# --- the benchmark ---------------------------------------------------------------

def _ratio(a, b):
    return a / b if a is not None and b else None


def _mib(kib):
    return benchlib.kib_to_mib(kib)


def generate(tmp, log):
    """The two zone sets and their query files."""
    sets = {}
    t = time.perf_counter()
    d1 = os.path.join(tmp, "zone1")
    os.mkdir(d1)
    zfile = os.path.join(d1, "bench.example.zone")
    counts = dnsgen.generate_zone(zfile, NAMES)
    q1 = os.path.join(tmp, "queries-1zone.txt")
    mix1 = dnsgen.generate_queries(q1, "1zone", QUERIES, names=NAMES)
    sets["1zone"] = {"zones": [(dnsgen.ORIGIN, zfile)], "zonesdir": d1, "queries": q1,
                     "mix": mix1, "records": counts["records"], "types": counts}
    dz = os.path.join(tmp, "zones")
    zones = dnsgen.generate_small_zones(dz, ZONES)
    qz = os.path.join(tmp, "queries-zones.txt")
    mixz = dnsgen.generate_queries(qz, "zones", QUERIES, zones=ZONES)
    sets["zones"] = {"zones": zones, "zonesdir": dz, "queries": qz, "mix": mixz,
                     "records": ZONES * dnsgen.SMALL_ZONE_RECORDS}
    log("dns: generated 1 zone of %d names (%d records), %d small zones and 2 x %d queries "
        "in %.2f s" % (NAMES, counts["records"], ZONES, QUERIES, time.perf_counter() - t))
    return sets


def run(ctx):
    """Runs the benchmark; returns a result dict (see bench.py)."""
    errors = []
    result = {"name": NAME, "records": NAMES * 4, "names": NAMES, "zones": ZONES,
              "queries": QUERIES}
    seconds = _setting(ctx, "dns_seconds", "BENCH_DNS_SECONDS", DEFAULT_SECONDS, 1, 600)
    runs = _setting(ctx, "dns_runs", "BENCH_DNS_RUNS", DEFAULT_RUNS, 1, 100)
    server_cpu, client_cpu, cpu_note = _cpus()
    settings = {"seconds": seconds, "runs": runs, "server_cpu": server_cpu,
                "client_cpu": client_cpu}
    result["runs"] = runs
    result["settings"] = dict(settings, dnsperf_clients=DNSPERF_CLIENTS,
                              dnsperf_outstanding=DNSPERF_OUTSTANDING,
                              dnsperf_threads=DNSPERF_THREADS,
                              dnsperf_timeout=DNSPERF_TIMEOUT,
                              taskset=os.access(benchlib.TASKSET, os.X_OK))
    if not os.access(DNSPERF, os.X_OK):
        result.update(ok=False, errors=["%s not installed (Debian package dnsperf): nothing "
                                        "measured" % DNSPERF])
        return result
    if not os.access(benchlib.TASKSET, os.X_OK):
        errors.append("%s missing: servers and dnsperf run unpinned" % benchlib.TASKSET)

    tmp = benchlib.make_tempdir("lockstep-bench-dns-")
    scen = {}        # "udp-1zone" -> {server: summary or {"error": text}}
    info = {}        # zone set -> {server: info}
    try:
        sets = generate(tmp, ctx.log)
        result["records"] = sets["1zone"]["records"]
        result["zone_sets"] = {
            k: {"zones": len(v["zones"]), "records": v["records"], "query_mix": v["mix"]}
            for k, v in sets.items()}
        skip = {s: missing(ctx, s) for s in SERVERS}
        for s, why in skip.items():
            if why:
                errors.append("%s: %s" % (LABELS[s], why))
                ctx.log("dns: %s NOT MEASURED: %s" % (LABELS[s], why))
        for zset, zlabel in SCENARIO_SETS:
            info[zset] = {}
            for mode in MODES:
                scen.setdefault("%s-%s" % (mode, zlabel), {})
            for server in SERVERS:
                if skip[server]:
                    for mode in MODES:
                        scen["%s-%s" % (mode, zlabel)][server] = {"error": skip[server]}
                    continue
                try:
                    modes, sinfo, errs = measure_server(ctx, server, zset, sets[zset], tmp,
                                                        settings, ctx.log)
                    info[zset][server] = sinfo
                    errors.extend(errs)
                    for mode in MODES:
                        scen["%s-%s" % (mode, zlabel)][server] = modes[mode]
                except (BenchError, OSError, subprocess.SubprocessError) as e:
                    msg = "%s on %s: %s" % (LABELS[server], zlabel, e)
                    errors.append(msg)
                    ctx.log("dns: FAILED: %s" % msg.split("\n")[0])
                    for mode in MODES:
                        scen["%s-%s" % (mode, zlabel)][server] = {"error": str(e)}
    finally:
        benchlib.remove_tree(tmp)

    # Ratios, table, headline
    result["scenarios"] = scen
    result["servers"] = info
    rows, ratios = [], {}
    for name, by_server in scen.items():
        others = [(s, by_server.get(s)) for s in ("nsd", "knot")]
        others = [(s, r) for s, r in others if r and r.get("qps") is not None]
        best_qps = max(others, key=lambda sr: sr[1]["qps"]) if others else None
        mems = [(s, r) for s, r in others if r.get("pss_kib") is not None]
        best_mem = min(mems, key=lambda sr: sr[1]["pss_kib"]) if mems else None
        d = by_server.get("dnsd") or {}
        rr = {"best_qps_server": best_qps[0] if best_qps else None,
              "best_mem_server": best_mem[0] if best_mem else None,
              "qps_ratio": _ratio(d.get("qps"), best_qps[1]["qps"] if best_qps else None),
              "mem_ratio": _ratio(best_mem[1]["pss_kib"] if best_mem else None,
                                  d.get("pss_kib")),
              "mem_ratio_rss": _ratio(min((r["rss_kib"] for _s, r in others
                                           if r.get("rss_kib") is not None), default=None),
                                      d.get("rss_kib")),
              "cpu_ratio": _ratio(d.get("queries_per_cpu_second"),
                                  max((r["queries_per_cpu_second"] for _s, r in others
                                       if r.get("queries_per_cpu_second")), default=None))}
        ratios[name] = rr
        for s in SERVERS:
            r = by_server.get(s)
            if r is None:
                continue
            label = "%s %s" % (name, LABELS[s])
            if "error" in r:
                rows.append([label, "ERROR"] + [None] * 9)
                continue
            is_d = s == "dnsd"
            rows.append([label, int(round(r["qps"])), r["lost_pct"], r["nxdomain_pct"],
                         r["server_cpu_pct"], r["client_core_pct"], _mib(r["rss_kib"]),
                         _mib(r["hwm_kib"]), _mib(r["pss_kib"]),
                         rr["qps_ratio"] if is_d else None,
                         rr["mem_ratio"] if is_d else None])
    result["ratios"] = ratios
    qr = [r["qps_ratio"] for r in ratios.values() if r["qps_ratio"] is not None]
    mr = [r["mem_ratio"] for r in ratios.values() if r["mem_ratio"] is not None]
    head = {"time_ratio": min(qr) if qr else None, "mem_ratio": min(mr) if mr else None,
            "scenarios_with_ratios": len(qr), "scenarios": len(ratios)}
    head["goal_met"] = (len(qr) == len(ratios) and len(mr) == len(ratios) and
                        min(qr) >= 1.0 and min(mr) >= 1.0) if qr and mr else None
    result["headline"] = head

    notes = [
        "qps ratio = dnsd qps / the faster of NSD and Knot; mem ratio = the smaller PSS of "
        "NSD and Knot / dnsd PSS; >= 1.0 means dnsd is at least as good (goal: >= 1.0 in "
        "every scenario; the summary shows the worst scenario)",
        "dnsperf -c %d -q %d -T %d -t %d, %d s per run, %d run(s) per server and scenario "
        "(median); server pinned to CPU %d, dnsperf to CPU %d; one worker per server"
        % (DNSPERF_CLIENTS, DNSPERF_OUTSTANDING, DNSPERF_THREADS, DNSPERF_TIMEOUT, seconds,
           runs, server_cpu, client_cpu),
        "1zone: %s with %d names x A/AAAA/MX/TXT; 10k-zones: %d zones z<i>.bench.; "
        "queries: %d lines, 70 %% data, 20 %% NXDOMAIN, 10 %% NODATA"
        % (dnsgen.ORIGIN, NAMES, ZONES, QUERIES),
        "srv CPU %: the server's processes' CPU time / run time; cli CPU %: load of "
        "dnsperf's CPU. srv CPU well below 100 with cli CPU near 100 means dnsperf (and the "
        "kernel's loopback work on its CPU) was the limit, not the server",
        "RSS, HWM (VmRSS, VmHWM) and PSS summed over the server's processes right after the "
        "run (NSD runs 3: xfrd, main, server; summed RSS counts the pages they share once per "
        "process, PSS splits them); mem ratio uses PSS",
    ]
    if cpu_note:
        notes.append(cpu_note)
    loads = []
    for zset, zlabel in SCENARIO_SETS:
        parts = []
        for s in SERVERS:
            si = (info.get(zset) or {}).get(s)
            if not si:
                continue
            txt = "%s %.2f/%.2f s" % (LABELS[s], si["first_answer_seconds"],
                                      si["ready_seconds"])
            if si.get("import_seconds") is not None:
                txt += " (+ zonectl import %.2f s)" % si["import_seconds"]
            parts.append(txt)
        if parts:
            loads.append("%s: %s" % (zlabel, ", ".join(parts)))
    if loads:
        notes.append("spawn until the first / every zone answers SOA (not part of qps; "
                     "checking 10,000 zones takes ~1 s itself): " + "; ".join(loads))
    if head["goal_met"] is not None:
        notes.append("goal (dnsd >= 1.0x the faster of NSD and Knot over UDP and TCP, with "
                     "less memory): %s" % ("met" if head["goal_met"] else "NOT met"))
    else:
        notes.append("goal (dnsd >= 1.0x the faster of NSD and Knot, with less memory): "
                     "unknown, dnsd was not measured in every scenario")
    result["table"] = {
        "columns": ["scenario / server", "qps", "lost %", "NXDOMAIN %", "srv CPU %",
                    "cli CPU %", "RSS MiB", "HWM MiB", "PSS MiB", "qps ratio", "mem ratio"],
        "rows": rows, "notes": notes}
    result["errors"] = errors
    result["ok"] = not errors
    return result
