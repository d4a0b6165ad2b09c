"""Helpers shared by the benchmark modules in tests/bench (stdlib only).

Rules every benchmark follows: talk only to 127.0.0.1 / ::1, bound every
loop in count and time, kill the processes it starts by PID, and remove its
temporary directories, also when something fails.
"""

import os
import resource
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import time


class BenchError(Exception):
    """A benchmark could not produce a valid measurement."""


def median(values):
    return statistics.median(values) if values else None


def kib_to_mib(kib):
    return None if kib is None else kib / 1024.0


def make_tempdir(prefix):
    """A temporary directory; the caller removes it (see remove_tree)."""
    return tempfile.mkdtemp(prefix=prefix)


def remove_tree(path):
    """shutil.rmtree that never raises (used in finally blocks)."""
    import shutil
    if path and os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


def free_port():
    """A port on 127.0.0.1 that is free for both TCP and UDP right now.

    Bounded: gives up after 50 attempts."""
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                udp.close()
            return port
        finally:
            tcp.close()
    raise BenchError("could not find a free port on 127.0.0.1")


def tail(path, limit=4000):
    """The last `limit` characters of a file (for error messages)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait4_bounded(proc, timeout):
    """Reaps proc with a blocking os.wait4; returns (exit_code, peak_rss_kib).

    A watchdog timer kills the child by PID after `timeout` seconds, and then
    BenchError is raised."""
    import threading
    fired = []

    def watchdog():
        fired.append(True)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                try:
                    os.kill(proc.pid, sig)
                except OSError:
                    return
            for _ in range(40):          # up to 2 s for it to go
                time.sleep(0.05)
                try:
                    if os.waitid(os.P_PID, proc.pid,
                                 os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                        return
                except ChildProcessError:
                    return

    timer = threading.Timer(timeout, watchdog)
    timer.daemon = True
    timer.start()
    try:
        # Wait for the exit without reaping, so the PID stays ours (a zombie)
        # until the watchdog can no longer fire; then reap with wait4.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    finally:
        timer.cancel()
        if timer.is_alive():
            timer.join()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if fired:
        raise BenchError("%s (pid %d) did not exit within %d s and was killed"
                         % (proc.args[0], proc.pid, timeout))
    return proc.returncode, ru.ru_maxrss


def build_tool(ctx, name, libs):
    """Compiles tests/bench/NAME.c into BUILD/bench/NAME when missing or older than it or a
    header beside it; returns the path. (The load clients and helpers of several benchmarks.)"""
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, name + ".c")
    exe = os.path.join(ctx.build, "bench", name)
    try:
        newest = max([os.path.getmtime(src)] + [os.path.getmtime(os.path.join(here, f))
                                                for f in os.listdir(here) if f.endswith(".h")])
        if os.path.getmtime(exe) >= newest:
            return exe
    except OSError:
        pass
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    cc = os.environ.get("CC", "cc")
    res = subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-o", exe, src] + libs,
                         capture_output=True, timeout=120)
    if res.returncode != 0:
        raise BenchError("cannot build %s: %s" % (exe, res.stderr.decode("utf-8", "replace")))
    return exe


HELPER_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rusage_exec.c")


def build_helper(build_dir, log=None):
    """Compiles rusage_exec.c into BUILD/bench/rusage_exec when missing or out
    of date; returns its path, or None when no C compiler could build it."""
    out_dir = os.path.join(build_dir, "bench")
    exe = os.path.join(out_dir, "rusage_exec")
    try:
        if os.path.getmtime(exe) >= os.path.getmtime(HELPER_SOURCE):
            return exe
    except OSError:
        pass
    os.makedirs(out_dir, exist_ok=True)
    tmp = "%s.%d.tmp" % (exe, os.getpid())
    cc = os.environ.get("CC", "cc")
    try:
        res = subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-o", tmp,
                              HELPER_SOURCE], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=120)
        if res.returncode == 0:
            os.replace(tmp, exe)
            return exe
        if log:
            log("cannot build %s: %s" % (exe, res.stderr.decode("utf-8", "replace").strip()))
    except (OSError, subprocess.TimeoutExpired) as e:
        if log:
            log("cannot build %s: %s" % (exe, e))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return None


def run_measured(argv, stdout_path, stderr_path, timeout, helper=None, cwd=None):
    """Runs argv as a child; returns (exit_code, wall_seconds, peak_rss_kib, method).

    With `helper` (the rusage_exec binary), the command is forked from that
    small program, which measures it exactly. Without it, the child is
    waited for here with os.wait4, and its peak RSS can't be reported below
    this Python process's own peak (see rusage_exec.c); method says which.
    The child is killed by PID (its process group) after `timeout` seconds."""
    report = None
    cmd = list(argv)
    if helper:
        fd, report = tempfile.mkstemp(prefix="rusage-", suffix=".txt",
                                      dir=os.path.dirname(os.path.abspath(stderr_path)))
        os.close(fd)
        cmd = [helper, report] + cmd
    try:
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    cwd=cwd, start_new_session=True)
        try:
            code, rss = wait4_bounded(proc, timeout)
            wall = time.perf_counter() - t0
        finally:
            if proc.returncode is None:
                kill_process(proc)
        if not helper:
            return code, wall, rss, "wait4 from the driver (floor %d KiB)" % \
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(report) as f:
            fields = dict(kv.split("=", 1) for kv in f.read().split())
        if code == 125 and "exit" not in fields:
            raise BenchError("rusage_exec failed: %s" % tail(stderr_path))
        return (int(fields["exit"]), int(fields["wall_ns"]) / 1e9, int(fields["maxrss_kib"]),
                "rusage_exec")
    finally:
        if report and os.path.exists(report):
            os.unlink(report)


def kill_process(proc, grace=5.0):
    """SIGTERM, then SIGKILL after `grace` seconds; by PID / process group."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until(cond, timeout, step=0.05):
    """The first true value of cond(), polled every step seconds; its last value after timeout.

    cond runs at least once (timeout 0: exactly once); the loop is bounded in count as well
    as in time, so a cond that returns at once cannot spin. (The system tests use it too.)"""
    deadline = time.monotonic() + timeout
    value = None
    for _ in range(max(0, int(timeout / step)) + 2):
        value = cond()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)
    return value


def wait_ready(proc, what, probe, timeout, step=0.05, log=None):
    """Polls probe() until true; BenchError when proc exits first or after timeout seconds
    (what names the server and what is awaited; log, a file whose tail goes with the error)."""
    ok = wait_until(lambda: proc.poll() is not None or probe(), timeout, step)
    more = (": " + tail(log)) if log else ""
    if proc.poll() is not None:
        raise BenchError("%s: exited with %s before it was ready%s" % (what, proc.returncode, more))
    if not ok:
        raise BenchError("%s: not ready within %d s%s" % (what, timeout, more))


def listening(port):
    """A probe for wait_ready: a TCP connection to 127.0.0.1:port is accepted."""
    def probe():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    return probe


def answering_soa(port, origin):
    """A probe for wait_ready: an authoritative answer to origin's SOA at 127.0.0.1:port (UDP)."""
    def probe():
        try:
            return is_authoritative_answer(udp_query("127.0.0.1", port, origin, TYPE_SOA, 0.5))
        except OSError:
            return False
    return probe


# --- CPUs and Knot -----------------------------------------------------------------

TASKSET = "/usr/bin/taskset"


def stay_root_config(*sections):
    """lockstep.conf lines that let the daemons of sections (dnsd, httpsd) started as root stay
    root, as the benchmarks' root-owned files need: a daemon started as root refuses to stay
    root unless `user: root` is written. Empty for any other user."""
    if os.geteuid() != 0:
        return ""
    return "".join("%s:\n    user: root\n" % s for s in sections)


def allowed_cpus():
    """The CPUs this process may run on, sorted."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def pinned(cpu, argv):
    """argv run by taskset on cpu (argv alone when there is no taskset)."""
    if os.access(TASKSET, os.X_OK):
        return [TASKSET, "-c", str(cpu)] + list(argv)
    return list(argv)


def knot_conf(port, rundir, storage, log_level, background_workers=True, databases=()):
    """The first sections of a knotd configuration the benchmarks write: 127.0.0.1:port, one
    UDP and one TCP worker (and one background worker), its databases under storage (and the
    (name, subdirectory) pairs of databases), the control socket in rundir, log to stderr
    from log_level. The caller appends its template and zone sections."""
    return ("server:\n"
            '    rundir: "%s"\n'
            "    listen: 127.0.0.1@%d\n"
            "    udp-workers: 1\n"
            "    tcp-workers: 1\n"
            "%s"
            "\ndatabase:\n"
            '    storage: "%s"\n'
            "%s"
            "\ncontrol:\n"
            '    listen: "%s/knot.sock"\n'
            "\nlog:\n"
            "  - target: stderr\n"
            "    any: %s\n\n"
            % (rundir, port, "    background-workers: 1\n" if background_workers else "",
               storage, "".join('    %s: "%s/%s"\n' % (name, storage, sub)
                                for name, sub in databases),
               rundir, log_level))


def proc_status_kib(pid, field):
    """A 'kB' field (VmHWM, VmRSS, ...) of /proc/PID/status, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


# --- a minimal DNS client (UDP, one question) ----------------------------------

TYPE_A, TYPE_NS, TYPE_SOA = 1, 2, 6


def encode_name(name):
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out.append(len(raw))
            out += raw
    out.append(0)
    return bytes(out)


def build_query(qid, name, qtype, rd=False):
    flags = 0x0100 if rd else 0
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", qtype, 1)


def parse_header(msg):
    """(id, flags, qdcount, ancount, nscount, arcount) or None."""
    if len(msg) < 12:
        return None
    return struct.unpack("!HHHHHH", msg[:12])


def udp_query(host, port, name, qtype, timeout, qid=None):
    """One UDP query; returns the reply header tuple or None on timeout."""
    qid = qid if qid is not None else (os.getpid() ^ int(time.monotonic() * 1000)) & 0xFFFF
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(build_query(qid, name, qtype))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                msg = s.recv(4096)
            except (socket.timeout, ConnectionRefusedError):
                return None
            hdr = parse_header(msg)
            if hdr and hdr[0] == qid:
                return hdr
        return None
    finally:
        s.close()


def rcode(hdr):
    return hdr[1] & 0x000F


def is_authoritative_answer(hdr):
    """NOERROR, AA set, at least one answer record."""
    return hdr is not None and rcode(hdr) == 0 and bool(hdr[1] & 0x0400) and hdr[3] > 0
