"""Processes and ports for the system tests: what dnsd_helpers, httpsd_helpers, sts_helpers and
xfr_helpers share.

    port = free_port()                      # free for TCP and UDP on 127.0.0.1 (and ::1)
    v = wait_until(cond, timeout)           # cond() polled, bounded in count and time
    rc, killed = stop_process(proc, 3)      # SIGTERM by PID, SIGKILL after 3 s
    class Dnsd(Daemon): ...                 # a server that logs a ready line on stderr
    with started(tmp, "dnsd") as servers:   # every daemon added is stopped at the end
        d = servers.add(Dnsd(servers.workdir(), ...)).start()
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

# One copy of the bounded poll for the tests and the benchmarks (benchlib is stdlib only).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from benchlib import wait_until  # noqa: E402,F401  (used here, and re-exported)

HOST4 = "127.0.0.1"
HOST6 = "::1"
KILL_WAIT = 5           # seconds to wait for a process after SIGKILL


def sighup(d):
    """SIGHUP to the daemon d (dnsd or httpsd); waits (bounded) for its "reloaded (SIGHUP)"
    line."""
    before = sum("reloaded (SIGHUP)" in l for l in d.log_lines())
    d.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: sum("reloaded (SIGHUP)" in l for l in d.log_lines()) > before,
                      5), d.log_text()


def free_port(ipv6=False, attempts=50, candidates=None, host=HOST4):
    """A port free for UDP and TCP on host (127.0.0.1 unless told) and on ::1 when ipv6.

    Binds TCP to port 0 (or to each of candidates in turn), then UDP (and the IPv6 pair) to
    the same port, and closes them all; retries a bounded number of times when one is taken.
    """
    tries = list(candidates) if candidates is not None else [0] * attempts
    for want in tries:
        socks = []
        try:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(t)
            t.bind((host, want))
            port = t.getsockname()[1]
            wanted = [(socket.AF_INET, socket.SOCK_DGRAM, host)]
            if ipv6:
                wanted += [(socket.AF_INET6, socket.SOCK_STREAM, HOST6),
                           (socket.AF_INET6, socket.SOCK_DGRAM, HOST6)]
            for fam, typ, host in wanted:
                s = socket.socket(fam, typ)
                socks.append(s)
                s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.fail("no free port for UDP and TCP found in %d attempts" % len(tries))


def cpu_seconds(pid):
    """utime + stime of the process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_process(proc, timeout):
    """SIGTERM to proc's PID, SIGKILL after timeout seconds: (exit code, killed).

    Nothing is sent to a process that has already exited."""
    if proc.poll() is not None:
        return proc.returncode, False
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout), False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        return proc.wait(KILL_WAIT), True


def kill_process(proc):
    """SIGKILL to proc's PID when it still runs, and reap it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(KILL_WAIT)


def as_root_config(text, section):
    """text, with `user: root` added under section (dnsd, httpsd) when the tests run as root and
    it sets no user there: started as root, a daemon refuses to stay root unless the
    configuration says so (lockstep.conf(5), user)."""
    if os.geteuid() != 0:
        return text
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():
            current = stripped.rstrip(":")
        elif current == section and stripped.split(":")[0] == "user":
            return text
    return text + ("" if text.endswith("\n") or not text else "\n") + \
        "%s:\n    user: root\n" % section


class Daemon:
    """One server process: started, waited for until it logs its ready line, stopped by its PID.

    A subclass names the program (name, ready, binary(), check_binary(), argv()). stderr is
    read by a thread into log; stdout goes to WORKDIR/NAME.stdout. start() again after stop()
    starts it anew (the log goes on)."""

    name = "daemon"
    user_section = None     # the configuration section of its `user:` (as_root_config)
    ready = None            # the text on stderr that says it listens
    ready_timeout = 10      # seconds from the start until ready
    stop_timeout = 3        # seconds between SIGTERM and SIGKILL

    def __init__(self, workdir, state, port, config, extra_args=()):
        self.workdir = Path(workdir)
        self.state = Path(state)
        self.port = port
        self.config = self.workdir / ("%s.conf" % self.name)
        self.config.write_text(as_root_config(config, self.user_section)
                               if self.user_section else config)
        self.extra_args = list(extra_args)
        self.proc = None
        self.log = []
        self._log_lock = threading.Lock()
        self._ready = threading.Event()
        self._reader = None
        self._stdout = None
        self.stopped = False

    def check_binary(self):
        raise NotImplementedError

    def argv(self):
        raise NotImplementedError

    def _read_stderr(self, stream):
        for line in stream:
            with self._log_lock:
                self.log.append(line.rstrip("\n"))
            if self.ready in line:
                self._ready.set()

    def log_lines(self):
        with self._log_lock:
            return list(self.log)

    def log_text(self, last=40):
        lines = self.log_lines()[-last:]
        return "\n".join(lines) if lines else "<nothing on stderr>"

    def wait_log(self, text, timeout=5):
        """True once a line containing text was logged (the reader thread may lag a little)."""
        return bool(wait_until(lambda: any(text in l for l in self.log_lines()), timeout))

    def start(self):
        """Starts the program and waits until it is ready; fails the test with its log if not."""
        self.check_binary()
        self._ready.clear()
        self.stopped = False
        self._stdout = open(self.workdir / ("%s.stdout" % self.name), "a")
        env = dict(os.environ, LC_ALL="C", TMPDIR=str(self.workdir))
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=self._stdout,
                                     stderr=subprocess.PIPE, text=True, errors="replace",
                                     env=env)
        self._reader = threading.Thread(target=self._read_stderr, args=(self.proc.stderr,),
                                        daemon=True)
        self._reader.start()
        wait_until(lambda: self._ready.is_set() or self.proc.poll() is not None,
                   self.ready_timeout, step=0.02)
        if self._ready.is_set():
            return self
        command = " ".join(self.argv())
        if self.proc.poll() is not None:
            self.kill()
            pytest.fail("%s exited with code %d before printing %r\ncommand: %s\nstderr:\n%s"
                        % (self.name, self.proc.returncode, self.ready, command,
                           self.log_text()), pytrace=False)
        self.kill()
        pytest.fail("%s did not print %r within %d s\ncommand: %s\nstderr:\n%s" % (
            self.name, self.ready, self.ready_timeout, command, self.log_text()), pytrace=False)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL by PID (when it runs); a later stop() has nothing to check."""
        if self.proc is not None:
            kill_process(self.proc)
        self.stopped = True
        self._close()

    def _close(self):
        if self._reader is not None:
            self._reader.join(2)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None

    def terminate(self, timeout=None):
        """SIGTERM, then SIGKILL after timeout; returns (exit code, seconds, killed).

        seconds is None when it had exited before the SIGTERM; None for all when it was
        never started or is stopped already."""
        if self.proc is None or self.stopped:
            return None
        self.stopped = True
        if self.proc.poll() is not None:
            self._close()
            return self.proc.returncode, None, False
        start = time.monotonic()
        rc, killed = stop_process(self.proc, self.stop_timeout if timeout is None else timeout)
        elapsed = time.monotonic() - start
        self._close()
        return rc, elapsed, killed

    def stop(self):
        """SIGTERM (SIGKILL after stop_timeout) and assert that it exited 0 on its own."""
        res = self.terminate()
        if res is None:
            return
        rc, elapsed, killed = res
        assert elapsed is not None, "%s had already exited with code %s before the SIGTERM " \
            "at the end of the test\nstderr:\n%s" % (self.name, rc, self.log_text())
        assert not killed, "%s did not exit within %d s of SIGTERM; killed\nstderr:\n%s" % (
            self.name, self.stop_timeout, self.log_text())
        assert rc == 0, "%s exited with code %s after SIGTERM (want 0)\nstderr:\n%s" % (
            self.name, rc, self.log_text())


class Started:
    """The daemons of one test (or module), each in a work directory of its own."""

    def __init__(self, tmp, prefix):
        self.tmp = Path(tmp)
        self.prefix = prefix
        self.servers = []

    def workdir(self):
        d = self.tmp / ("%s%d" % (self.prefix, len(self.servers)))
        d.mkdir()
        return d

    def add(self, daemon):
        """Registers daemon (before its start, so that a failed start is cleaned up too)."""
        self.servers.append(daemon)
        return daemon

    def stop_all(self):
        """Stops every daemon by its PID; then fails with every error found on the way."""
        errors = []
        for d in self.servers:
            try:
                d.stop()
            except (Exception, pytest.fail.Exception) as e:
                d.kill()
                errors.append(str(e))
        assert not errors, "\n\n".join(errors)


@contextlib.contextmanager
def started(tmp, prefix):
    """A Started whose daemons are all stopped (exit 0 asserted) when the block ends."""
    s = Started(tmp, prefix)
    try:
        yield s
    finally:
        s.stop_all()
