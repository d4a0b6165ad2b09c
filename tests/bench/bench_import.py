"""Import benchmark: load an N-record zone file into Lockstep and into Knot.

Lockstep: `zonectl --state S zone import FILE --origin bench.example.` run as
a child; wall time and peak RSS (os.wait4). The imported record count is
checked with `zonectl --json zone list` (or by counting `zone export` lines).

Knot: knotd started on a private config (127.0.0.1, free port, all state in
the temp dir) serving the same file; wall time from spawning knotd until it
answers SOA authoritatively, Knot's own load time (from the moment its log
says the zone will be loaded until it says "loaded", timestamped as the lines
arrive), and peak RSS (VmHWM) once loaded. Run with semantic-checks off and
on.

Each measurement is repeated `runs` times with fresh state; medians are
reported. time_ratio = knot_seconds / lockstep_seconds (>= 1.0: Lockstep is
at least as fast); mem_ratio = knot_rss / lockstep_rss (>= 1.0: Lockstep
uses at most as much memory).
"""

import json
import os
import re
import subprocess
import threading
import time

import benchlib
from benchlib import BenchError
import zonegen

NAME = "import"
DESCRIPTION = "zone file import: Lockstep zonectl vs Knot knotd load"

ORIGIN = "bench.example."
KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
IMPORT_TIMEOUT = 600.0      # seconds per zonectl run
KNOT_LOAD_TIMEOUT = 600.0   # seconds until knotd must answer
POLL_INTERVAL = 0.020


# --- Lockstep -----------------------------------------------------------------

def _zonectl_records(zonectl, state, workdir):
    """Number of records Lockstep holds for ORIGIN, and how it was counted."""
    out = subprocess.run([zonectl, "--state", state, "--json", "zone", "list"],
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    if out.returncode == 0:
        try:
            data = json.loads(out.stdout.decode("utf-8"))
            for z in data.get("zones", []):
                if z.get("name", "").rstrip(".").lower() == ORIGIN.rstrip(".") \
                        and isinstance(z.get("records"), int):
                    return z["records"], "zone list --json"
        except (ValueError, AttributeError):
            pass
    # Fallback: count the record lines of an export.
    export = os.path.join(workdir, "export.zone")
    with open(export, "wb") as f:
        ex = subprocess.run([zonectl, "--state", state, "zone", "export", ORIGIN],
                            stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.PIPE,
                            timeout=600)
    try:
        if ex.returncode != 0:
            raise BenchError("cannot count imported records: `zone list --json` gave "
                             "exit %d (%s) and `zone export` gave exit %d (%s)"
                             % (out.returncode, out.stderr.decode("utf-8", "replace").strip(),
                                ex.returncode, ex.stderr.decode("utf-8", "replace").strip()))
        n = 0
        with open(export, "rb") as f:
            for line in f:
                s = line.strip()
                if s and not s.startswith(b";") and not s.startswith(b"$"):
                    n += 1
        return n, "zone export"
    finally:
        try:
            os.unlink(export)
        except OSError:
            pass


def _dir_kib(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total // 1024


def lockstep_once(ctx, zonefile, tmp, run):
    zonectl = ctx.zonectl
    rundir = os.path.join(tmp, "lockstep-%d" % run)
    os.mkdir(rundir)
    state = os.path.join(rundir, "state")
    os.mkdir(state)                      # fresh and empty for every run
    argv = [zonectl, "--state", state, "zone", "import", zonefile, "--origin", ORIGIN]
    out_path = os.path.join(rundir, "stdout")
    err_path = os.path.join(rundir, "stderr")
    try:
        code, wall, rss_kib, rss_method = benchlib.run_measured(
            argv, out_path, err_path, IMPORT_TIMEOUT, helper=ctx.helper)
        if code != 0:
            raise BenchError("`%s` exited with %d; stderr:\n%s"
                             % (" ".join(argv), code, benchlib.tail(err_path).rstrip()))
        records, method = _zonectl_records(zonectl, state, rundir)
        if records != ctx.records:
            raise BenchError("Lockstep holds %d records for %s after import (counted by %s), "
                             "expected %d" % (records, ORIGIN, method, ctx.records))
        return {"seconds": wall, "rss_kib": rss_kib, "rss_method": rss_method,
                "records": records, "count_method": method, "state_kib": _dir_kib(state)}
    finally:
        benchlib.remove_tree(rundir)


# --- Knot ---------------------------------------------------------------------

KNOT_DATABASES = (("journal-db", "journal"), ("timer-db", "timers"), ("kasp-db", "keys"),
                  ("catalog-db", "catalog"))
KNOT_ZONE = """\
template:
  - id: default
    storage: "{dir}/storage"

zone:
  - domain: {origin}
    file: "{zonefile}"
    journal-content: none
    zonefile-sync: -1
    zonefile-load: whole
    semantic-checks: {checks}
"""

_RE_WILL_LOAD = re.compile(r"\[%s\] zone will be loaded" % re.escape(ORIGIN))
_RE_PARSED = re.compile(r"\[%s\] zone file parsed" % re.escape(ORIGIN))
_RE_LOADED = re.compile(r"\[%s\] loaded, serial \S+ -> (\d+), (\d+) bytes" % re.escape(ORIGIN))
_RE_ERROR = re.compile(r"\b(error|critical):")


class _LogReader(threading.Thread):
    """Reads knotd's stderr line by line, stamping each line on arrival."""

    def __init__(self, stream, path, t0):
        super().__init__(daemon=True)
        self.stream, self.path, self.t0 = stream, path, t0
        self.lines = []           # (seconds since t0, text)
        self.lock = threading.Lock()

    def run(self):
        with open(self.path, "w", encoding="utf-8") as log:
            for raw in self.stream:      # ends at EOF, when knotd exits
                t = time.perf_counter() - self.t0
                text = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(text + "\n")
                with self.lock:
                    self.lines.append((t, text))

    def first(self, regex):
        with self.lock:
            for t, text in self.lines:
                m = regex.search(text)
                if m:
                    return t, m
        return None, None


def _knot_stop(conf, proc, timeout=30.0):
    """knotc stop, then SIGTERM/SIGKILL by PID; returns peak RSS KiB from wait4."""
    try:
        subprocess.run([KNOTC, "-c", conf, "-t", "5", "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15)
    except (subprocess.TimeoutExpired, OSError):
        pass
    try:
        _code, rss = benchlib.wait4_bounded(proc, timeout)
        return rss
    except BenchError:
        return None


def knot_once(ctx, zonefile, tmp, run, checks):
    kdir = os.path.join(tmp, "knot-%s-%d" % (checks, run))
    for sub in ("run", "storage"):
        os.makedirs(os.path.join(kdir, sub))
    port = benchlib.free_port()
    conf = os.path.join(kdir, "knot.conf")
    with open(conf, "w") as f:
        f.write(benchlib.knot_conf(port, os.path.join(kdir, "run"), os.path.join(kdir, "storage"),
                                   "info", background_workers=False,
                                   databases=KNOT_DATABASES) +
                KNOT_ZONE.format(dir=kdir, origin=ORIGIN, zonefile=zonefile, checks=checks))
    log_path = os.path.join(kdir, "knotd.log")
    proc = reader = None
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen([KNOTD, "-c", conf], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        reader = _LogReader(proc.stderr, log_path, t0)
        reader.start()
        answered = None
        deadline = t0 + KNOT_LOAD_TIMEOUT
        polls = 0
        max_polls = int(KNOT_LOAD_TIMEOUT / POLL_INTERVAL) + 1
        while polls < max_polls and time.perf_counter() < deadline:
            polls += 1
            next_poll = time.perf_counter() + POLL_INTERVAL
            hdr = benchlib.udp_query("127.0.0.1", port, ORIGIN, benchlib.TYPE_SOA,
                                     timeout=POLL_INTERVAL)
            if benchlib.is_authoritative_answer(hdr):
                answered = time.perf_counter() - t0
                break
            if proc.poll() is not None:
                reader.join(5)
                raise BenchError("knotd exited with %s before loading %s; log:\n%s"
                                 % (proc.returncode, ORIGIN, benchlib.tail(log_path)))
            # No answer yet (refused, timed out, or SERVFAIL): poll every 20 ms.
            pause = next_poll - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        if answered is None:
            raise BenchError("knotd did not answer SOA %s within %d s; log:\n%s"
                             % (ORIGIN, KNOT_LOAD_TIMEOUT, benchlib.tail(log_path)))
        hwm = benchlib.proc_status_kib(proc.pid, "VmHWM")
        # The log line announcing the load is written before the server answers;
        # give the reader thread a moment (bounded) to see it.
        for _ in range(100):
            if reader.first(_RE_LOADED)[0] is not None:
                break
            time.sleep(0.01)
        t_will, _ = reader.first(_RE_WILL_LOAD)
        t_parsed, _ = reader.first(_RE_PARSED)
        t_loaded, m_loaded = reader.first(_RE_LOADED)
        logged_load = parse_s = None
        zone_bytes = None
        if t_will is not None and t_loaded is not None:
            logged_load = t_loaded - t_will
        if t_will is not None and t_parsed is not None:
            parse_s = t_parsed - t_will
        if m_loaded:
            if int(m_loaded.group(1)) != 1:
                raise BenchError("knotd loaded serial %s, expected 1" % m_loaded.group(1))
            zone_bytes = int(m_loaded.group(2))
        exit_rss = _knot_stop(conf, proc)
        reader.join(5)
        errors = [text for _t, text in reader.lines if _RE_ERROR.search(text)]
        return {"seconds": answered, "logged_load_seconds": logged_load,
                "logged_parse_seconds": parse_s, "rss_kib": hwm, "exit_rss_kib": exit_rss,
                "zone_bytes": zone_bytes, "polls": polls, "log_errors": errors[:5]}
    finally:
        if proc is not None and proc.returncode is None:
            benchlib.kill_process(proc)
        if proc is not None and proc.stderr is not None:
            if reader is not None:
                reader.join(5)
            proc.stderr.close()
        benchlib.remove_tree(kdir)


def knot_available():
    return os.access(KNOTD, os.X_OK) and os.access(KNOTC, os.X_OK)


# --- the benchmark ------------------------------------------------------------

def _summarise(runs, keys):
    out = {"runs": runs}
    for k in keys:
        vals = [r[k] for r in runs if r.get(k) is not None]
        out[k] = benchlib.median(vals) if len(vals) == len(runs) else None
    return out


def _ratio(a, b):
    return a / b if a is not None and b else None


def run(ctx):
    """Runs the benchmark; returns a result dict (see bench.py)."""
    tmp = benchlib.make_tempdir("lockstep-bench-import-")
    result = {"name": NAME, "records": ctx.records, "runs": ctx.runs, "origin": ORIGIN}
    errors = []
    try:
        zonefile = os.path.join(tmp, "bench.example.zone")
        t = time.perf_counter()
        counts = zonegen.generate(zonefile, ctx.records, ORIGIN)
        result["zone"] = {"generate_seconds": time.perf_counter() - t,
                          "file_bytes": os.path.getsize(zonefile), "types": counts}
        ctx.log("import: generated %d records (%d bytes) in %.2f s"
                % (ctx.records, result["zone"]["file_bytes"], result["zone"]["generate_seconds"]))

        # Lockstep and Knot take turns run by run, so drift in the machine's speed (page
        # cache writeback, other load) hits both alike; the generated file is flushed first.
        os.sync()
        have_lockstep = os.access(ctx.zonectl, os.X_OK)
        if not have_lockstep:
            errors.append("lockstep: %s is missing or not executable (build it with `make %s`)"
                          % (ctx.zonectl, os.path.relpath(ctx.zonectl)))
        if not knot_available():
            errors.append("knot: %s / %s not installed (Debian package knot)" % (KNOTD, KNOTC))
        lruns, kruns = [], {"off": [], "on": []}
        failed = set()
        for i in range(ctx.runs):
            if have_lockstep and "lockstep" not in failed:
                try:
                    r = lockstep_once(ctx, zonefile, tmp, i)
                    ctx.log("import: lockstep run %d: %.3f s, %.1f MiB"
                            % (i + 1, r["seconds"], r["rss_kib"] / 1024.0))
                    lruns.append(r)
                except BenchError as e:
                    errors.append("lockstep: %s" % e)
                    ctx.log("import: LOCKSTEP FAILED: %s" % e)
                    failed.add("lockstep")
            for checks in ("off", "on"):
                if not knot_available() or checks in failed:
                    continue
                try:
                    r = knot_once(ctx, zonefile, tmp, i, checks)
                    ctx.log("import: knot (checks %s) run %d: answer after %.3f s, "
                            "logged load %s, %.1f MiB"
                            % (checks, i + 1, r["seconds"],
                               "%.3f s" % r["logged_load_seconds"]
                               if r["logged_load_seconds"] is not None else "n/a",
                               (r["rss_kib"] or 0) / 1024.0))
                    kruns[checks].append(r)
                except BenchError as e:
                    errors.append("knot (semantic-checks %s): %s" % (checks, e))
                    ctx.log("import: KNOT FAILED: %s" % e)
                    failed.add(checks)
        lock = _summarise(lruns, ("seconds", "rss_kib", "state_kib")) if lruns and \
            "lockstep" not in failed else None
        result["lockstep"] = lock
        result["knot"] = {}
        for checks in ("off", "on"):
            result["knot"][checks] = _summarise(
                kruns[checks], ("seconds", "logged_load_seconds", "logged_parse_seconds",
                                "rss_kib", "exit_rss_kib", "zone_bytes")) \
                if kruns[checks] and checks not in failed else None

        # Ratios and the table
        rows = []
        ls = lock["seconds"] if lock else None
        lm = benchlib.kib_to_mib(lock["rss_kib"]) if lock else None
        rows.append(["Lockstep zonectl import", ctx.records, ls, None, lm, None, None])
        result["ratios"] = {}
        for checks in ("off", "on"):
            k = result["knot"].get(checks)
            if not k:
                continue
            km = benchlib.kib_to_mib(k["rss_kib"])
            tr = _ratio(k["seconds"], ls)
            mr = _ratio(km, lm)
            result["ratios"][checks] = {
                "time_ratio": tr,
                "time_ratio_logged_load": _ratio(k["logged_load_seconds"], ls),
                "mem_ratio": mr}
            rows.append(["Knot load (semantic-checks %s)" % checks, ctx.records, k["seconds"],
                         k["logged_load_seconds"], km, tr, mr])
        result["table"] = {
            "columns": ["system", "records", "wall s", "logged load s", "peak RSS MiB",
                        "time ratio", "mem ratio"],
            "rows": rows,
            "notes": ["wall s: Lockstep = whole zonectl run; Knot = knotd spawn until the "
                      "first authoritative SOA answer (medians of %d runs)" % ctx.runs,
                      "logged load s: Knot log 'zone will be loaded' -> 'loaded' lines",
                      "time ratio = Knot wall s / Lockstep wall s; mem ratio = Knot RSS / "
                      "Lockstep RSS; >= 1.0 means Lockstep is at least as good"]}
        extra = []
        if lock and lock.get("state_kib") is not None:
            extra.append("Lockstep LMDB store on disk: %.1f MiB" % (lock["state_kib"] / 1024.0))
        k_off = result["knot"].get("off")
        if k_off and k_off.get("zone_bytes"):
            extra.append("Knot zone in memory (its log): %.1f MiB"
                         % (k_off["zone_bytes"] / 1048576.0))
        if extra:
            result["table"]["notes"].append("; ".join(extra))
        # Headline: against Knot with semantic checks off (its fastest load).
        head = result["ratios"].get("off") or {}
        result["headline"] = {"time_ratio": head.get("time_ratio"),
                              "mem_ratio": head.get("mem_ratio")}
    finally:
        benchlib.remove_tree(tmp)
    result["errors"] = errors
    result["ok"] = not errors
    return result
