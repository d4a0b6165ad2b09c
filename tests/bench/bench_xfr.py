"""Zone transfer benchmark: AXFR of an N-record zone and IXFR of a one-record change, from
Lockstep dnsd and from Knot, to kdig.

The zone is zonegen.py's (1,000,000 records by default), imported with zonectl for dnsd and
loaded from the same file by knotd. Both servers run with one worker, pinned to the first CPU
this process may use; kdig runs pinned to the second. Per run and server:

- AXFR: `kdig @127.0.0.1 -p PORT bench.example. AXFR +noall +stats`, wall time of the kdig
  process; kdig's own count of records must be N + 1 (the closing SOA), else the run fails.
  The server's CPU time during the transfer (utime + stime from /proc) is recorded too.
- IXFR: after one change on both (zonectl rr add; knotc zone-begin/set/commit), `kdig ixfr=1`
  must give the one difference (5 records: SOA, old SOA, new SOA, the record, SOA); then the
  median of IXFR_REPEAT exchanges from this process (new TCP connection, query, the one-message
  answer, whose 5 records are checked), the servers taking turns: a kdig process's own start-up
  (~10 ms) would swamp a sub-millisecond exchange.

dnsd and Knot take turns run by run. Ratios: time_ratio = Knot seconds / dnsd seconds
(>= 1.0: dnsd is at least as fast). The headline is the AXFR ratio.
"""

import os
import re
import socket
import struct
import subprocess
import time

import benchlib
from benchlib import BenchError
import zonegen

NAME = "xfr"
DESCRIPTION = "AXFR of a large zone and IXFR of one change to kdig: Lockstep dnsd vs Knot"

ORIGIN = "bench.example."
KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
KDIG = "/usr/bin/kdig"
READY_TIMEOUT = 600.0      # until a server answers the zone's SOA
IMPORT_TIMEOUT = 600.0
XFR_TIMEOUT = 300.0        # one kdig transfer
IXFR_REPEAT = 200          # timed exchanges per server
CHANGE = ("xfr-bench-new", "300", "A", "192.0.2.99")
STATS = re.compile(r"Received (\d+) B \((\d+) messages?, (\d+) records?\)")
ELAPSED = re.compile(r"From \S+ in ([0-9.]+) ms")

KNOT_ZONE = """\
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "{dir}"
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: changes
    semantic-checks: off
zone:
  - domain: {origin}
    file: "{zonefile}"
    acl: xfr
"""


def _cpus():
    allowed = benchlib.allowed_cpus()
    return allowed[0], allowed[1] if len(allowed) > 1 else allowed[0]


def _cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _start(argv, port, what, log):
    """Starts a server (output to the file log) and waits until it answers the SOA; killed by
    its PID when it does not."""
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    try:
        benchlib.wait_ready(proc, "%s (the SOA of %s on port %d)" % (what, ORIGIN, port),
                            benchlib.answering_soa(port, ORIGIN), READY_TIMEOUT, log=log)
    except BaseException:
        benchlib.kill_process(proc)
        raise
    return proc


def _kdig(port, cpu, *args):
    """One kdig run: (wall seconds, messages, records, kdig's own seconds for the exchange)."""
    argv = benchlib.pinned(cpu, [KDIG, "@127.0.0.1", "-p", str(port), ORIGIN] + list(args) +
                   ["+noall", "+stats"])
    t = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=XFR_TIMEOUT)
    wall = time.perf_counter() - t
    m, e = STATS.search(p.stdout), ELAPSED.search(p.stdout)
    if p.returncode != 0 or m is None or e is None:
        raise BenchError("kdig %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                    (p.stdout + p.stderr)[-500:]))
    return wall, int(m.group(2)), int(m.group(3)), float(e.group(1)) / 1000.0


def _ixfr_query(serial):
    """An IXFR query for ORIGIN from serial, with its 2-byte TCP length."""
    soa = (b"\xc0\x0c" + struct.pack("!HHIH", 6, 1, 0, 22) + b"\x00\x00" +
           struct.pack("!IIIII", serial, 0, 0, 0, 0))
    q = struct.pack("!HHHHHH", 0x4242, 0, 1, 0, 1, 0) + benchlib.encode_name(ORIGIN) + \
        struct.pack("!HH", 251, 1) + soa
    return struct.pack("!H", len(q)) + q


def _ixfr_once(port, wire):
    """Seconds for one IXFR over a new TCP connection, and the answer's record count."""
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(wire)
        n = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
        msg = s.recv(n, socket.MSG_WAITALL)
    finally:
        s.close()
    took = time.perf_counter() - t
    hdr = benchlib.parse_header(msg)
    return took, hdr[3] if hdr and benchlib.rcode(hdr) == 0 else -1


class Servers:
    """dnsd and knotd serving the same zone, each on its own port, pinned to one CPU."""

    def __init__(self, ctx, tmp, zonefile, cpu):
        self.ctx, self.tmp, self.zonefile, self.cpu = ctx, tmp, zonefile, cpu
        self.procs = {}
        self.ports = {}

    def start_dnsd(self):
        state = os.path.join(self.tmp, "state")
        t = time.perf_counter()
        for args in (["zone", "import", self.zonefile, "--origin", ORIGIN],
                     ["zone", "secondaries", ORIGIN, "add", "127.0.0.1"]):
            p = subprocess.run([self.ctx.zonectl, "--state", state] + args, capture_output=True,
                               text=True, timeout=IMPORT_TIMEOUT)
            if p.returncode != 0:
                raise BenchError("zonectl %s: %s" % (" ".join(args), p.stderr.strip()))
        self.ctx.log("xfr: imported into Lockstep in %.1f s" % (time.perf_counter() - t))
        port = self.ports["dnsd"] = benchlib.free_port()
        conf = os.path.join(self.tmp, "dnsd.conf")
        with open(conf, "w") as f:
            f.write(benchlib.stay_root_config("dnsd"))
        self.procs["dnsd"] = _start(
            benchlib.pinned(self.cpu, [os.path.join(self.ctx.build, "dnsd"), "--state", state,
                                       "--listen", "127.0.0.1:%d" % port, "--workers", "1",
                                       "-c", conf]),
            port, "dnsd", os.path.join(self.tmp, "dnsd.log"))
        self.dnsd_state = state

    def start_knot(self):
        kdir = os.path.join(self.tmp, "knot")
        os.makedirs(kdir)
        port = benchlib.free_port()
        self.knot_conf = os.path.join(kdir, "knot.conf")
        with open(self.knot_conf, "w") as f:
            f.write(benchlib.knot_conf(port, kdir, kdir, "warning") +
                    KNOT_ZONE.format(dir=kdir, origin=ORIGIN, zonefile=self.zonefile))
        t = time.perf_counter()
        self.ports["knot"] = port
        self.procs["knot"] = _start(benchlib.pinned(self.cpu, [KNOTD, "-c", self.knot_conf]),
                                    port, "knotd", os.path.join(kdir, "knot.log"))
        self.ctx.log("xfr: knotd loaded the zone in %.1f s" % (time.perf_counter() - t))

    def change(self):
        """The same one-record change on both: serial 1 -> 2."""
        p = subprocess.run([self.ctx.zonectl, "--state", self.dnsd_state, "rr", "add", ORIGIN,
                            "%s %s IN %s %s" % CHANGE], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise BenchError("zonectl rr add: %s" % p.stderr.strip())
        knotc = [KNOTC, "-c", self.knot_conf, "-s", os.path.join(self.tmp, "knot", "knot.sock")]
        for args in (["zone-begin", ORIGIN], ["zone-set", ORIGIN] + list(CHANGE),
                     ["zone-commit", ORIGIN]):
            p = subprocess.run(knotc + args, capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                raise BenchError("knotc %s: %s" % (" ".join(args), (p.stdout + p.stderr).strip()))

    def stop(self):
        for p in self.procs.values():
            benchlib.kill_process(p)


def run(ctx):
    tmp = benchlib.make_tempdir("lockstep-bench-xfr-")
    result = {"name": NAME, "records": ctx.records, "runs": ctx.runs, "origin": ORIGIN}
    errors = []
    server_cpu, client_cpu = _cpus()
    servers = None
    try:
        for path, pkg in ((KNOTD, "knot"), (KNOTC, "knot"), (KDIG, "knot-dnsutils")):
            if not os.access(path, os.X_OK):
                raise BenchError("%s not installed (Debian package %s)" % (path, pkg))
        if not os.access(os.path.join(ctx.build, "dnsd"), os.X_OK):
            raise BenchError("%s/dnsd is missing: make all" % ctx.build)
        zonefile = os.path.join(tmp, "bench.example.zone")
        zonegen.generate(zonefile, ctx.records, ORIGIN)
        servers = Servers(ctx, tmp, zonefile, server_cpu)
        servers.start_dnsd()
        servers.start_knot()
        axfr = {"dnsd": [], "knot": []}
        for i in range(ctx.runs):
            for who in ("dnsd", "knot"):      # turns, so drift hits both alike
                pid = servers.procs[who].pid
                c0 = _cpu_seconds(pid)
                wall, msgs, recs, _ = _kdig(servers.ports[who], client_cpu, "AXFR")
                c1 = _cpu_seconds(pid)
                if recs != ctx.records + 1:
                    raise BenchError("%s AXFR: kdig counted %d records, want %d"
                                     % (who, recs, ctx.records + 1))
                axfr[who].append({"seconds": wall, "messages": msgs,
                                  "server_cpu_seconds": None if c0 is None or c1 is None
                                  else c1 - c0})
                ctx.log("xfr: run %d: %s AXFR %.3f s (%d messages, server CPU %s s)"
                        % (i + 1, who, wall, msgs, "%.2f" % (c1 - c0) if c0 is not None else "?"))
        servers.change()
        ixfr = {"dnsd": [], "knot": []}
        wire = _ixfr_query(1)
        for who in ("dnsd", "knot"):
            _, msgs, recs, _ = _kdig(servers.ports[who], client_cpu, "IXFR=1")
            if recs != 5:
                raise BenchError("%s IXFR=1 after one change: %d records, want 5 (a "
                                 "difference, not the zone)" % (who, recs))
        affinity = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {client_cpu})      # this process is the client now
        try:
            for i in range(IXFR_REPEAT):
                for who in ("dnsd", "knot"):
                    took, n = _ixfr_once(servers.ports[who], wire)
                    if n != 5:
                        raise BenchError("%s IXFR from serial 1: %d records in one message, "
                                         "want 5" % (who, n))
                    ixfr[who].append(took)
        finally:
            os.sched_setaffinity(0, affinity)
        summary = {}
        for who in ("dnsd", "knot"):
            runs = axfr[who]
            cpu = [r["server_cpu_seconds"] for r in runs if r["server_cpu_seconds"] is not None]
            summary[who] = {"axfr_seconds": benchlib.median([r["seconds"] for r in runs]),
                            "axfr_server_cpu_seconds": benchlib.median(cpu) if cpu else None,
                            "axfr_messages": runs[0]["messages"],
                            "ixfr_seconds": benchlib.median(ixfr[who]),
                            "axfr_runs": runs, "ixfr_runs": ixfr[who]}
        d, k = summary["dnsd"], summary["knot"]
        ratio = k["axfr_seconds"] / d["axfr_seconds"]
        cpu_ratio = (k["axfr_server_cpu_seconds"] / d["axfr_server_cpu_seconds"]
                     if d["axfr_server_cpu_seconds"] and k["axfr_server_cpu_seconds"] else None)
        ixfr_ratio = k["ixfr_seconds"] / d["ixfr_seconds"]
        result.update(summary)
        result["ratios"] = {"axfr_time": ratio, "axfr_server_cpu": cpu_ratio,
                            "ixfr_time": ixfr_ratio}
        result["headline"] = {"time_ratio": ratio, "mem_ratio": None}
        rows = []
        for who, label in (("dnsd", "Lockstep dnsd"), ("knot", "Knot")):
            s = summary[who]
            rows.append([label, s["axfr_seconds"], s["axfr_server_cpu_seconds"],
                         s["axfr_messages"], s["ixfr_seconds"] * 1000.0,
                         ratio if who == "dnsd" else None, ixfr_ratio if who == "dnsd" else None])
        result["table"] = {
            "columns": ["server", "AXFR s", "srv CPU s", "messages", "IXFR ms", "AXFR ratio",
                        "IXFR ratio"],
            "rows": rows,
            "notes": ["AXFR: kdig +noall +stats wall time for %s records (median of %d runs); "
                      "srv CPU: the server's CPU time during it" % (format(ctx.records, ","),
                                                                     ctx.runs),
                      "IXFR: from serial 1 after one added record (kdig checks the answer once), "
                      "then %d timed TCP exchanges each (connect, query, answer; median)"
                      % IXFR_REPEAT,
                      "ratios = Knot / dnsd: >= 1.0 means dnsd is at least as fast; server CPU "
                      "ratio %s" % ("%.2f" % cpu_ratio if cpu_ratio else "n/a"),
                      "servers pinned to CPU %d, kdig to CPU %d" % (server_cpu, client_cpu)]}
    except BenchError as e:
        errors.append(str(e))
    finally:
        if servers:
            servers.stop()
        benchlib.remove_tree(tmp)
    result["errors"] = errors
    result["ok"] = not errors
    return result
