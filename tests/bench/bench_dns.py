"""DNS serving benchmark: Lockstep dnsd, NSD and Knot under load (udp_load over UDP, dnsperf over
TCP), measured per server CPU second (issue 17: the corrected benchmark).

Zone sets from dnsgen.py, each served by every server:

- 1zone: one zone bench.example. with 10,000 names, each with A, AAAA, MX, TXT;
- 10k-zones: 10,000 small zones z<i>.bench. (SOA, NS, A, MX + the NS's A);
- 100k-zones: 100,000 such zones, UDP only (BENCH_DNS_100K=0 leaves it out): start-up time,
  memory and answers with 100,000 zones.

Query files (dnsgen.py, 100,000 lines, fixed seed): 70 % existing data, 20 % NXDOMAIN,
10 % NODATA. For a zone set, all three servers are started at once on free ports of
127.0.0.1 with their state in the temp dir, one worker each, all pinned to one CPU with
taskset; dnsperf runs pinned to the other CPU. Scenarios: udp and tcp on each set.

Per scenario, BENCH_DNS_RUNS rounds (default 3): in each round every server gets one dnsperf
run of BENCH_DNS_SECONDS (default 6), the order turning every round, so load from elsewhere on
the machine falls on all alike; medians are reported. Per run: qps, lost queries, response
codes (checked against the mix), the server's CPU time (utime + stime of its processes) and so
its answers per CPU second, the busy share of the client's core, syscalls per answer (`perf
stat -e raw_syscalls:sys_enter` on the server's processes) and memory (VmRSS, VmHWM, PSS).

Client: over UDP, udp_load (udp_load.c, built into BUILD/bench/ on first use) by default,
dnsperf with BENCH_DNS_CLIENT=dnsperf; over TCP, dnsperf. udp_load takes dnsperf's options and
prints its statistics lines, but sends and receives in batches (sendmmsg, recvmmsg), so one
client core asks faster than one server core answers and every server runs saturated (99 %
of its core). dnsperf spends about as much CPU a query as a server does answering it: on two
cores it could not keep a server faster than itself busy, and a server that empties its socket
and sleeps pays a wake-up for each few answers, so the faster server looked less efficient per
CPU second (dnsd 84 % busy against NSD's 91-96 %, 2026-12-04).

Saturation: a run counts as saturated when the server's CPU or dnsperf's was at least 90 % busy
(udp_load's CPU is no measure: only the server's counts with it); answers per server CPU second
is the figure compared, since it does not depend on which side limited the run. A scenario
where a server had most of its runs unsaturated (neither side busy: the run measured latency
and noise) gets no ratio and is flagged.

Ratios per scenario: CPU ratio vs NSD = dnsd answers per CPU second / NSD's (goal >= 1.25 over
UDP on 1 zone and 10,000 zones); qps ratio = dnsd qps / the faster of NSD and Knot; mem ratio
= the smaller PSS of NSD and Knot / dnsd PSS. After the rounds, dnsd and NSD are profiled under
UDP load (`perf record -e cpu-clock`): the top symbols and the kernel's share say where their
time goes; the notes also give the share of dnsd's answers served from its answer cache.
BENCH_DNS_MODES (e.g. "udp") limits the transports measured.

Lockstep dnsd: the zones are first loaded with `zonectl zone import` (`--dir` for the zone
sets; timed and reported apart), then `dnsd --state S --listen 127.0.0.1:PORT --workers 1`.
When dnsd is not built, its rows are errors and NSD and Knot are still measured.
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
DESCRIPTION = ("answers per CPU second, qps and memory: Lockstep dnsd vs NSD and Knot (UDP, TCP; "
               "1 zone, 10k zones)")

NSD = "/usr/sbin/nsd"
KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
DNSPERF = "/usr/bin/dnsperf"

NAMES = 10000             # hosts in bench.example.
ZONES = 10000             # small zones
QUERIES = 100000          # lines per query file
DEFAULT_SECONDS = 6
DEFAULT_RUNS = 3          # rounds: medians of at least 3, servers taking turns
ZONES_100K = 100000       # the 100k-zones set (BENCH_DNS_100K=0 leaves it out)
SATURATED = 90.0          # CPU %: a side this busy limited the run
CPU_GOAL = 1.25           # dnsd UDP answers per CPU second / NSD's (issue 17)
PERF = "/usr/bin/perf"

# dnsperf: the same for every server. 8 sockets (UDP) / connections (TCP) with
# 200 queries outstanding in all keep one server CPU busy without overflowing
# its socket buffers (Knot loses UDP queries with 1,000 outstanding).
DNSPERF_CLIENTS = 8
DNSPERF_OUTSTANDING = 200
DNSPERF_THREADS = 1
DNSPERF_TIMEOUT = 2       # seconds until a query counts as lost
# The UDP client: udp_load (udp_load.c, batched, so that it saturates a server core from one
# client core) by default, or dnsperf (BENCH_DNS_CLIENT=dnsperf, the figures before
# 2026-12-04 night). Set by run(): [path or None].
UDP_CLIENT = [None]

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
    """One dnsperf run pinned to cpu (extra: more dnsperf options); its parsed figures. Over
    UDP the client is udp_load instead when UDP_CLIENT holds its path (same options, same
    output)."""
    client = UDP_CLIENT[0] if mode == "udp" and UDP_CLIENT[0] else DNSPERF
    argv = benchlib.pinned(cpu, [client, "-m", mode, "-s", "127.0.0.1", "-p", str(port),
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


def probes_for(zset, nzones=ZONES):
    if zset == "1zone":
        o = dnsgen.ORIGIN
        return [("h0." + o, benchlib.TYPE_A, 0, True, "data"),
                ("h%d.%s" % (NAMES - 1, o), TYPE_MX, 0, True, "data"),
                ("x0." + o, benchlib.TYPE_A, 3, False, "NXDOMAIN"),
                ("h0." + o, TYPE_SRV, 0, False, "NODATA")]
    first, last = dnsgen.small_zone_name(0), dnsgen.small_zone_name(nzones - 1)
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


def dnsd_load(ctx, files, state, log, zonesdir=None):
    """zonectl zone import FILE..., IMPORT_CHUNK files a run, or one `zone import --dir`
    when zonesdir holds the files; returns seconds for all."""
    os.makedirs(state, exist_ok=True)
    t0 = time.perf_counter()
    if zonesdir:
        res = subprocess.run([ctx.zonectl, "--state", state, "zone", "import", "--dir",
                              zonesdir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, timeout=IMPORT_BUDGET)
        if res.returncode != 0:
            raise BenchError("`zonectl zone import --dir %s` exited with %d: %s"
                             % (zonesdir, res.returncode,
                                res.stderr.decode("utf-8", "replace").strip()[-2000:]))
        return time.perf_counter() - t0
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


def write_nsd_conf(sdir, port, data, addr="127.0.0.1"):
    """NSD's configuration for the zone set data on addr@port, in sdir; returns its argv."""
    conf = os.path.join(sdir, "nsd.conf")
    with open(conf, "w") as f:
        f.write(NSD_CONF.format(port=port, dir=sdir, zonesdir=data["zonesdir"])
                .replace("127.0.0.1@", addr + "@"))
        for origin, path in data["zones"]:
            f.write("\nzone:\n    name: %s\n    zonefile: \"%s\"\n"
                    % (origin, os.path.basename(path)))
    return [NSD, "-d", "-c", conf]


def write_knot_conf(sdir, port, data, addr="127.0.0.1", extra=""):
    """knotd's configuration for the zone set data on addr@port, in sdir, with the sections
    extra (bench_xdp's `xdp:`) before the template; returns its argv."""
    for sub in ("run", "storage"):
        os.makedirs(os.path.join(sdir, sub), exist_ok=True)
    conf = os.path.join(sdir, "knot.conf")
    with open(conf, "w") as f:
        f.write(benchlib.knot_conf(port, os.path.join(sdir, "run"),
                                   os.path.join(sdir, "storage"), "warning")
                .replace("127.0.0.1@", addr + "@") + extra + KNOT_TEMPLATE.format(dir=sdir))
        for origin, path in data["zones"]:
            f.write("  - domain: %s\n    file: \"%s\"\n" % (origin, path))
    return [KNOTD, "-c", conf]


def prepare(ctx, server, zset, data, sdir, port, log):
    """Writes the server's configuration; returns (argv, extra result fields)."""
    if server == "nsd":
        argv = write_nsd_conf(sdir, port, data)
        return argv, {"config": argv[-1]}
    if server == "knot":
        argv = write_knot_conf(sdir, port, data)
        return argv, {"config": argv[-1]}
    state = os.path.join(sdir, "state")
    load_s = dnsd_load(ctx, [p for _o, p in data["zones"]], state, log,
                       data["zonesdir"] if len(data["zones"]) > 1 else None)
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


# --- the servers of one zone set, started together --------------------------------

class Server:
    """One server serving one zone set on its own port, pinned to the server CPU."""

    def __init__(self, name, zset, tmp):
        self.name, self.zset = name, zset
        self.label = LABELS[name]
        self.sdir = os.path.join(tmp, "%s-%s" % (name, zset))
        self.port = benchlib.free_port()
        self.log_path = os.path.join(self.sdir, "server.log")
        self.proc = None
        self.info = {}

    def start(self, ctx, data, settings, log):
        os.mkdir(self.sdir)
        argv, self.info = prepare(ctx, self.name, self.zset, data, self.sdir, self.port, log)
        t0 = time.monotonic()
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(benchlib.pinned(settings["server_cpu"], argv),
                                         stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                         cwd=self.sdir, start_new_session=True)
        first = wait_ready(self.proc, self.port, [o for o, _p in data["zones"]],
                           t0 + READY_TIMEOUT * max(1, len(data["zones"]) // ZONES),
                           self.log_path, self.label)
        self.info["ready_seconds"] = time.monotonic() - t0
        self.info["first_answer_seconds"] = first - t0
        self.info["memory_ready"] = _memory(self.proc.pid)
        log("dns: %s serves %s on port %d: first SOA answer after %.2f s, all zones after "
            "%.2f s (%d processes, %.1f MiB RSS)"
            % (self.label, data["label"], self.port, self.info["first_answer_seconds"],
               self.info["ready_seconds"], len(self.info["memory_ready"]["processes"]),
               (self.info["memory_ready"]["rss_kib"] or 0) / 1024.0))
        check_answers(self.port, probes_for(self.zset, len(data["zones"])), self.label)

    def alive(self):
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError("%s exited with %s during the benchmark; log:\n%s"
                             % (self.label, self.proc.returncode if self.proc else None,
                                benchlib.tail(self.log_path, 3000)))

    def stop(self):
        if self.proc is not None:
            stop(self.name, self.proc, self.sdir)
        benchlib.remove_tree(self.sdir)


def _syscalls(pids, seconds):
    """A `perf stat` of the syscalls pids make in seconds (runs beside dnsperf), or None."""
    if not os.access(PERF, os.X_OK):
        return None
    return subprocess.Popen([PERF, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p",
                             ",".join(str(p) for p in pids), "--", "sleep", str(seconds)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _syscalls_done(proc):
    if proc is None:
        return None
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        benchlib.kill_process(proc)
        return None
    for line in err.decode(errors="replace").splitlines():
        f = line.split(",")
        if len(f) > 2 and "raw_syscalls" in line and f[0].strip().isdigit():
            return int(f[0])
    return None


def one_run(srv, mode, i, data, settings, log):
    """One dnsperf run against srv; its figures (CPU, syscalls, memory, problems)."""
    srv.alive()
    clk = os.sysconf("SC_CLK_TCK")
    pids = _process_tree(srv.proc.pid)
    sc = _syscalls(pids, settings["seconds"])
    cpu0 = _cpu_ticks(pids)
    core0 = _core_times(settings["server_cpu"])
    cli0 = _core_times(settings["client_cpu"])
    out_path = os.path.join(srv.sdir, "dnsperf-%s-%d.txt" % (mode, i))
    t0 = os.times()
    r = run_dnsperf(mode, srv.port, data["queries"], settings["seconds"],
                    settings["client_cpu"], out_path)
    t1 = os.times()
    cpu1 = _cpu_ticks(pids)
    # dnsperf's own CPU: its core's busy share also counts whatever else runs there.
    r["client_cpu_pct"] = 100.0 * ((t1.children_user - t0.children_user) +
                                   (t1.children_system - t0.children_system)) / \
        r["run_seconds"] if r["run_seconds"] else None
    r["server_core_pct"] = _busy_pct(core0, _core_times(settings["server_cpu"]))
    r["client_core_pct"] = _busy_pct(cli0, _core_times(settings["client_cpu"]))
    calls = _syscalls_done(sc)
    r["syscalls_per_answer"] = calls / r["completed"] if calls and r["completed"] else None
    cpu_s = (cpu1 - cpu0) / float(clk)
    r["server_cpu_seconds"] = cpu_s
    r["server_cpu_pct"] = 100.0 * cpu_s / r["run_seconds"] if r["run_seconds"] else None
    r["queries_per_cpu_second"] = r["completed"] / cpu_s if cpu_s > 0 else None
    r["client"] = "udp_load" if mode == "udp" and UDP_CLIENT[0] else "dnsperf"
    r["saturated"] = saturated(r)
    r["lost_pct"] = 100.0 * r["lost"] / r["sent"] if r["sent"] else None
    r["nxdomain_pct"] = 100.0 * r["rcodes"].get("NXDOMAIN", 0) / r["completed"] \
        if r["completed"] else None
    mem = _memory(srv.proc.pid)
    r.update({"rss_kib": mem["rss_kib"], "hwm_kib": mem["hwm_kib"],
              "pss_kib": mem["pss_kib"], "processes": mem["processes"]})
    r["problems"] = check_run(r, data["mix"])
    r["dnsperf_output"] = benchlib.tail(out_path, 1500) if r["problems"] else None
    log("dns: %s %s-%s run %d: %.0f qps, %s q/CPU-s, lost %d, server CPU %s %%, client CPU "
        "%s %%, %s syscalls/answer, RSS %.1f MiB"
        % (srv.label, mode, data["label"], i + 1, r["qps"],
           "%.0f" % r["queries_per_cpu_second"] if r["queries_per_cpu_second"] else "?",
           r["lost"], "%.0f" % r["server_cpu_pct"] if r["server_cpu_pct"] is not None else "?",
           "%.0f" % r["client_cpu_pct"] if r["client_cpu_pct"] is not None else "?",
           "%.2f" % r["syscalls_per_answer"] if r["syscalls_per_answer"] else "?",
           (r["rss_kib"] or 0) / 1024.0))
    return r


def saturated(r):
    """Which side limited the run: "server" (its CPU at least SATURATED %), "client"
    (dnsperf's own CPU at least that), or None: neither, and the run's qps measures latency,
    noise and the other load on the machine, not the server. udp_load's CPU says nothing (it
    polls while answers come in), so with it only the server's CPU counts."""
    if (r.get("server_cpu_pct") or 0) >= SATURATED:
        return "server"
    if r.get("client") != "udp_load" and (r.get("client_cpu_pct") or 0) >= SATURATED:
        return "client"
    return None


def _summarise(runs):
    out = {"runs": runs}
    for key in ("qps", "sent", "completed", "lost", "lost_pct", "nxdomain_pct",
                "server_cpu_pct", "server_core_pct", "client_core_pct", "client_cpu_pct",
                "queries_per_cpu_second", "syscalls_per_answer", "rss_kib", "hwm_kib",
                "pss_kib", "latency_s"):
        vals = [r.get(key) for r in runs]
        out[key] = benchlib.median(vals) if vals and None not in vals else None
    sat = [r["saturated"] for r in runs]
    out["saturated_runs"] = sum(1 for s in sat if s)
    out["problems"] = [p for r in runs for p in r["problems"]]
    return out


def dnsd_cached_pct(srv):
    """The share of dnsd's answers so far that came from its answer cache (dnsd.stats, written
    every second), or None when the file is not there."""
    counts = {}
    try:
        with open(os.path.join(srv.sdir, "state", "dnsd.stats")) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                if v.isdigit():
                    counts[k] = int(v)
    except OSError:
        return None
    total = counts.get("queries.udp", 0) + counts.get("queries.tcp", 0)
    return round(100.0 * counts.get("answers.cached", 0) / total, 1) if total else None


def profile_server(srv, data, settings, seconds):
    """perf record (cpu-clock) of a server's processes under UDP load: the top symbols by share
    of samples, the share per DSO and the kernel's share."""
    if not os.access(PERF, os.X_OK):
        return None
    pdata = os.path.join(srv.sdir, "perf.data")
    rec = subprocess.Popen([PERF, "record", "-q", "-e", "cpu-clock", "-F", "999", "-o", pdata,
                            "-p", ",".join(str(p) for p in _process_tree(srv.proc.pid)),
                            "--", "sleep", str(seconds)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        run_dnsperf("udp", srv.port, data["queries"], seconds, settings["client_cpu"],
                    os.path.join(srv.sdir, "dnsperf-profile.txt"))
        rec.wait(timeout=seconds + 60)
    except (BenchError, subprocess.TimeoutExpired):
        benchlib.kill_process(rec)
        return None
    rep = subprocess.run([PERF, "report", "-i", pdata, "--stdio", "--no-children",
                          "--sort", "dso,symbol", "--percent-limit", "1"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    top = []
    for line in rep.stdout.decode(errors="replace").splitlines():
        m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+\[.\]\s+(.+)$", line)
        if m:
            sym = re.sub(r"(\s+-)+\s*$", "", m.group(3)).strip()
            top.append((float(m.group(1)), m.group(2), sym))
    # The kernel's share against user space: what AF_XDP could take away.
    rep = subprocess.run([PERF, "report", "-i", pdata, "--stdio", "--no-children",
                          "--sort", "dso"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    dsos = []
    for line in rep.stdout.decode(errors="replace").splitlines():
        m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s*$", line)
        if m:
            dsos.append((float(m.group(1)), m.group(2)))
    kernel = sum(p for p, d in dsos if d.startswith("[kernel"))
    return {"top": top[:16], "dsos": dsos[:8], "kernel_pct": round(kernel, 1)}


# --- the benchmark ---------------------------------------------------------------

def _ratio(a, b):
    return a / b if a is not None and b else None


def _mib(kib):
    return benchlib.kib_to_mib(kib)


def _modes():
    """The transports measured: BENCH_DNS_MODES (e.g. "udp"), by default udp and tcp."""
    want = os.environ.get("BENCH_DNS_MODES")
    if not want:
        return MODES
    modes = tuple(m for m in MODES if m in want.replace(",", " ").split())
    if not modes:
        raise BenchError("BENCH_DNS_MODES must name udp and/or tcp, got %r" % want)
    return modes


def generate(tmp, log, zones_100k):
    """The zone sets and their query files."""
    sets = {}
    modes_all = _modes()
    t = time.perf_counter()
    d1 = os.path.join(tmp, "zone1")
    os.mkdir(d1)
    zfile = os.path.join(d1, "bench.example.zone")
    counts = dnsgen.generate_zone(zfile, NAMES)
    q1 = os.path.join(tmp, "queries-1zone.txt")
    mix1 = dnsgen.generate_queries(q1, "1zone", QUERIES, names=NAMES)
    sets["1zone"] = {"zones": [(dnsgen.ORIGIN, zfile)], "zonesdir": d1, "queries": q1,
                     "mix": mix1, "records": counts["records"], "types": counts,
                     "label": "1zone", "modes": modes_all}
    for key, n, label, modes in (("zones", ZONES, "10k-zones", modes_all),
                                 ("zones100k", ZONES_100K, "100k-zones", ("udp",))):
        if key == "zones100k" and not zones_100k:
            continue
        dz = os.path.join(tmp, key)
        zones = dnsgen.generate_small_zones(dz, n)
        qz = os.path.join(tmp, "queries-%s.txt" % key)
        mixz = dnsgen.generate_queries(qz, "zones", QUERIES, zones=n)
        sets[key] = {"zones": zones, "zonesdir": dz, "queries": qz, "mix": mixz,
                     "records": n * dnsgen.SMALL_ZONE_RECORDS, "label": label,
                     "modes": modes}
    log("dns: generated the zone sets (%s) and their queries in %.2f s"
        % (", ".join(sets), time.perf_counter() - t))
    return sets


def measure_set(ctx, zset, data, tmp, settings, servers, log):
    """Every server of servers started on zset at once; then, per mode, runs rounds in which
    each server gets one dnsperf run, the order turning each round, so load from elsewhere
    falls on all alike. Returns ({mode: {server: summary}}, {server: info}, [errors])."""
    errors, started, info = [], {}, {}
    by_mode = {m: {} for m in data["modes"]}
    try:
        for name in servers:
            srv = Server(name, zset, tmp)
            try:
                srv.start(ctx, data, settings, log)
                started[name] = srv
                info[name] = srv.info
            except (BenchError, OSError, subprocess.SubprocessError) as e:
                srv.stop()
                msg = "%s on %s: %s" % (LABELS[name], data["label"], e)
                errors.append(msg)
                log("dns: FAILED: %s" % msg.split("\n")[0])
                for m in data["modes"]:
                    by_mode[m][name] = {"error": str(e)}
        for mode in data["modes"]:
            runs = {n: [] for n in started}
            for i in range(settings["runs"]):
                order = list(started)
                k = i % len(order) if order else 0
                for name in order[k:] + order[:k]:
                    if name not in runs:
                        continue
                    try:
                        r = one_run(started[name], mode, i, data, settings, log)
                    except (BenchError, OSError, subprocess.SubprocessError) as e:
                        errors.append("%s %s-%s: %s" % (LABELS[name], mode, data["label"], e))
                        by_mode[mode][name] = {"error": str(e)}
                        del runs[name]
                        continue
                    for p in r["problems"]:
                        errors.append("%s, %s-%s run %d: %s; dnsperf's output ends:\n%s"
                                      % (LABELS[name], mode, data["label"], i + 1, p,
                                         r["dnsperf_output"].strip()))
                    runs[name].append(r)
            for name, rs in runs.items():
                if rs:
                    by_mode[mode][name] = _summarise(rs)
        if "dnsd" in started:
            time.sleep(1.5)          # dnsd.stats is written every second
            info["dnsd"]["answers_cached_pct"] = dnsd_cached_pct(started["dnsd"])
        for name in ("dnsd", "nsd"):
            if name in started and settings.get("profile"):
                info[name]["profile"] = profile_server(started[name], data, settings,
                                                     settings["seconds"])
    finally:
        for srv in started.values():
            srv.stop()
    return by_mode, info, errors


def scenario_ratios(by_server):
    """Ratios of one scenario. The qps ratio of runs where neither side was saturated is None
    (flagged), never a number; the ratios per server CPU second are kept."""
    d = by_server.get("dnsd") or {}
    others = [(s, by_server.get(s)) for s in ("nsd", "knot")]
    others = [(s, r) for s, r in others if r and r.get("qps") is not None]
    best_qps = max(others, key=lambda sr: sr[1]["qps"]) if others else None
    mems = [(s, r) for s, r in others if r.get("pss_kib") is not None]
    best_mem = min(mems, key=lambda sr: sr[1]["pss_kib"]) if mems else None

    def valid(r):
        return r and r.get("runs") and r["saturated_runs"] * 2 > len(r["runs"])
    nsd = by_server.get("nsd") or {}
    flagged = [s for s, r in [("dnsd", d)] + others if r.get("runs") and not valid(r)]
    rr = {"best_qps_server": best_qps[0] if best_qps else None,
          "best_mem_server": best_mem[0] if best_mem else None,
          "qps_ratio": _ratio(d.get("qps"), best_qps[1]["qps"] if best_qps else None),
          "mem_ratio": _ratio(best_mem[1]["pss_kib"] if best_mem else None, d.get("pss_kib")),
          "mem_ratio_rss": _ratio(min((r["rss_kib"] for _s, r in others
                                       if r.get("rss_kib") is not None), default=None),
                                  d.get("rss_kib")),
          "cpu_ratio": _ratio(d.get("queries_per_cpu_second"),
                              max((r["queries_per_cpu_second"] for _s, r in others
                                   if r.get("queries_per_cpu_second")), default=None)),
          "cpu_ratio_nsd": _ratio(d.get("queries_per_cpu_second"),
                                  nsd.get("queries_per_cpu_second")),
          "unsaturated": flagged}
    if flagged:
        rr["qps_ratio"] = None     # per CPU second stays: it does not need saturation
    return rr


def run(ctx):
    """Runs the benchmark; returns a result dict (see bench.py)."""
    errors = []
    result = {"name": NAME, "records": NAMES * 4, "names": NAMES, "zones": ZONES,
              "queries": QUERIES}
    seconds = _setting(ctx, "dns_seconds", "BENCH_DNS_SECONDS", DEFAULT_SECONDS, 1, 600)
    runs = _setting(ctx, "dns_runs", "BENCH_DNS_RUNS", DEFAULT_RUNS, 1, 100)
    zones_100k = _setting(ctx, "dns_100k", "BENCH_DNS_100K", 1, 0, 1)
    server_cpu, client_cpu, cpu_note = _cpus()
    udp_client = os.environ.get("BENCH_DNS_CLIENT", "udp_load")
    if udp_client not in ("udp_load", "dnsperf"):
        raise BenchError("BENCH_DNS_CLIENT must be udp_load or dnsperf, got %r" % udp_client)
    UDP_CLIENT[0] = benchlib.build_tool(ctx, "udp_load", []) \
        if udp_client == "udp_load" else None
    settings = {"seconds": seconds, "runs": runs, "server_cpu": server_cpu,
                "client_cpu": client_cpu, "profile": True}
    result["runs"] = runs
    result["settings"] = dict(settings, dnsperf_clients=DNSPERF_CLIENTS,
                              dnsperf_outstanding=DNSPERF_OUTSTANDING,
                              dnsperf_threads=DNSPERF_THREADS,
                              dnsperf_timeout=DNSPERF_TIMEOUT, zones_100k=zones_100k,
                              udp_client=udp_client,
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
    labels, sets = {}, {}
    try:
        sets = generate(tmp, ctx.log, zones_100k)
        result["records"] = sets["1zone"]["records"]
        result["zone_sets"] = {
            k: {"zones": len(v["zones"]), "records": v["records"], "query_mix": v["mix"]}
            for k, v in sets.items()}
        skip = {s: missing(ctx, s) for s in SERVERS}
        for s, why in skip.items():
            if why:
                errors.append("%s: %s" % (LABELS[s], why))
                ctx.log("dns: %s NOT MEASURED: %s" % (LABELS[s], why))
        for zset, data in sets.items():
            labels[zset] = data["label"]
            by_mode, info[zset], errs = measure_set(
                ctx, zset, data, tmp, settings, [s for s in SERVERS if not skip[s]], ctx.log)
            errors.extend(errs)
            for mode, by_server in by_mode.items():
                name = "%s-%s" % (mode, data["label"])
                scen[name] = by_server
                for s in SERVERS:
                    if skip[s]:
                        scen[name][s] = {"error": skip[s]}
    finally:
        benchlib.remove_tree(tmp)

    result["scenarios"] = scen
    result["servers"] = info
    rows, ratios = [], {}
    for name, by_server in scen.items():
        rr = ratios[name] = scenario_ratios(by_server)
        for s in SERVERS:
            r = by_server.get(s)
            if r is None:
                continue
            label = "%s %s" % (name, LABELS[s])
            if "error" in r:
                rows.append([label, "ERROR"] + [None] * 10)
                continue
            is_d = s == "dnsd"
            qc = r["queries_per_cpu_second"]
            rows.append([label, int(round(r["qps"])), int(round(qc)) if qc else None,
                         r["server_cpu_pct"], r["client_cpu_pct"],
                         "%d/%d" % (r["saturated_runs"], len(r["runs"])),
                         r["syscalls_per_answer"], r["lost_pct"], _mib(r["pss_kib"]),
                         rr["cpu_ratio_nsd"] if is_d else None,
                         rr["qps_ratio"] if is_d else None,
                         rr["mem_ratio"] if is_d else None])
    result["ratios"] = ratios
    udp = {n: r for n, r in ratios.items() if n.startswith("udp-") and "100k" not in n}
    qr = [r["qps_ratio"] for r in ratios.values() if r["qps_ratio"] is not None]
    mr = [r["mem_ratio"] for r in ratios.values() if r["mem_ratio"] is not None]
    cr = [r["cpu_ratio_nsd"] for r in udp.values() if r["cpu_ratio_nsd"] is not None]
    head = {"time_ratio": min(qr) if qr else None, "mem_ratio": min(mr) if mr else None,
            "cpu_ratio_nsd_udp": min(cr) if cr else None,
            "scenarios_with_ratios": len(qr), "scenarios": len(ratios)}
    head["goal_met"] = (len(cr) == len(udp) and min(cr) >= CPU_GOAL) if cr else None
    result["headline"] = head

    notes = [
        "q/CPU-s = answers per second of the server's CPU time (utime + stime of its "
        "processes); the main figure, fair whichever side limited the run",
        "cli CPU %% = the client's own CPU time / run time (udp_load polls while answers "
        "come in: no measure of its load); sat = runs in which the server or dnsperf (not "
        "udp_load) used at least %d %% of a CPU (that side limited the run); a scenario where "
        "a server had most runs unsaturated (other load on the machine took the CPU) gets no "
        "qps ratio, only the ratios per CPU second" % SATURATED,
        "CPU ratio vs NSD = dnsd q/CPU-s / NSD q/CPU-s (goal >= %.2f over UDP, 1 zone and "
        "10,000 zones); qps ratio = dnsd qps / the faster of NSD and Knot; mem ratio = the "
        "smaller PSS of NSD and Knot / dnsd PSS" % CPU_GOAL,
        "%s -c %d -q %d -T %d -t %d, %d s per run, %d rounds per scenario: all servers "
        "run at once, each gets one run per round, the order turning every round; medians "
        "shown; servers pinned to CPU %d (one worker each), the client to CPU %d"
        % ("UDP: udp_load (batched), TCP: dnsperf" if udp_client == "udp_load" else "dnsperf",
           DNSPERF_CLIENTS, DNSPERF_OUTSTANDING, DNSPERF_THREADS, DNSPERF_TIMEOUT, seconds,
           runs, server_cpu, client_cpu),
        "syscalls/answer: `perf stat -e raw_syscalls:sys_enter` on the server's processes "
        "during the run, divided by the answers",
        "1zone: %s with %d names x A/AAAA/MX/TXT; 10k-zones: %d zones z<i>.bench.; "
        "100k-zones: %d such zones (UDP only); queries: %d lines, 70 %% data, 20 %% "
        "NXDOMAIN, 10 %% NODATA" % (dnsgen.ORIGIN, NAMES, ZONES, ZONES_100K, QUERIES),
        "the machine is shared: figures taken under other load are noisy; the rounds and "
        "medians spread that load over all servers alike",
    ]
    if cpu_note:
        notes.append(cpu_note)
    loads = []
    for zset in sets:
        parts = []
        for s in SERVERS:
            si = (info.get(zset) or {}).get(s)
            if not si or "ready_seconds" not in si:
                continue
            txt = "%s %.2f/%.2f s, %.1f MiB" % (LABELS[s], si["first_answer_seconds"],
                                                si["ready_seconds"],
                                                (si["memory_ready"]["rss_kib"] or 0) / 1024.0)
            if si.get("import_seconds") is not None:
                txt += " (+ zonectl import %.2f s)" % si["import_seconds"]
            parts.append(txt)
        if parts:
            loads.append("%s: %s" % (labels.get(zset, zset), ", ".join(parts)))
    if loads:
        notes.append("spawn until the first / every zone answers SOA, and RSS then (not part "
                     "of qps; checking every zone takes time itself): " + "; ".join(loads))
    for zset in info:
        pct = (info[zset].get("dnsd") or {}).get("answers_cached_pct")
        if pct is not None:
            notes.append("%s: %.1f %% of dnsd's answers came from its answer cache "
                         "(dnsd.answer-cache)" % (labels.get(zset, zset), pct))
        for s in ("dnsd", "nsd"):
            prof = (info[zset].get(s) or {}).get("profile")
            if prof:
                notes.append("where %s's time goes (%s, perf record cpu-clock, UDP): kernel "
                             "%.1f %%; %s" % (LABELS[s], labels.get(zset, zset),
                                              prof["kernel_pct"], "; ".join(
                                 "%.1f %% %s %s" % (p, os.path.basename(dso), sym)
                                 for p, dso, sym in prof["top"])))
    if head["goal_met"] is not None:
        notes.append("goal (dnsd UDP answers per CPU second >= %.2fx NSD's, 1 zone and 10,000 "
                     "zones): %s (worst %.2f)" % (CPU_GOAL, "met" if head["goal_met"]
                                                 else "NOT met", head["cpu_ratio_nsd_udp"]))
    else:
        notes.append("goal (dnsd UDP answers per CPU second >= %.2fx NSD's): no ratio "
                     "(a scenario was not measured, or not saturated)" % CPU_GOAL)
    result["table"] = {
        "columns": ["scenario / server", "qps", "q/CPU-s", "srv CPU %", "cli CPU %", "sat",
                    "sys/ans", "lost %", "PSS MiB", "CPU ratio vs NSD", "qps ratio",
                    "mem ratio"],
        "rows": rows, "notes": notes}
    result["errors"] = errors
    result["ok"] = not errors
    return result
