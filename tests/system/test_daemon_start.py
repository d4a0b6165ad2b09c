"""Daemon start-up, dnsd and httpsd alike: one of each per state directory (STATE/PROG.lock,
refused with the first one's PID), one per port, the pidfile, the user they run as (root only
when `user: root` is written; CAP_NET_BIND_SERVICE kept; no new privileges), READY=1 and
STOPPING=1 through NOTIFY_SOCKET, and httpsd's read-only store.

Several tests need root, as CI runs them: they fail elsewhere, they do not skip.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import dns.exception
import dns.message
import dns.rcode
import pytest

from conftest import Zonectl
from dnsd_helpers import EXAMPLE_ZONE, HOST4, Dnsd, check_dnsd_binary, make_query, udp_raw
from httpsd_helpers import Httpsd, check_binaries
from proc_helpers import free_port, kill_process, started, stop_process, wait_until

KINDS = ("dnsd", "httpsd")
RUN_TIMEOUT = 10        # seconds a daemon that must refuse to start may take to say so
NOTIFY_TIMEOUT = 10     # seconds from the start until READY=1
CAP_NET_BIND_SERVICE = 10


def need_root():
    if os.geteuid() != 0:
        pytest.fail("this test needs root to start the daemons as root (CI runs as root)",
                    pytrace=False)


def make(kind, servers, state, config="", port=None):
    """A Dnsd or Httpsd (one worker) on state, not started yet."""
    if kind == "dnsd":
        check_dnsd_binary()
    else:
        check_binaries()
    cls = Dnsd if kind == "dnsd" else Httpsd
    return servers.add(cls(servers.workdir(), state, port or free_port(), workers=1,
                           config=config or "# defaults\n"))


def run_once(d, timeout=RUN_TIMEOUT):
    """Runs d's command line to its end: (exit code, stderr). One that keeps running is
    killed, and the test fails."""
    p = subprocess.Popen(d.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_process(p)
        pytest.fail("%s kept running (it should have refused to start):\n%s"
                    % (d.name, " ".join(d.argv())), pytrace=False)
    return p.returncode, err


def proc_status(pid):
    """/proc/PID/status as {field: value}."""
    out = {}
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def answers(kind, port):
    """True when the daemon answers on port right now (a DNS query; a TCP connection)."""
    try:
        if kind == "dnsd":
            wire = udp_raw(make_query("www.example.com").to_wire(), port, timeout=2)
            return wire is not None and dns.message.from_wire(wire).rcode() in (
                dns.rcode.NOERROR, dns.rcode.REFUSED)
        socket.create_connection((HOST4, port), 2).close()
        return True
    except (OSError, dns.exception.DNSException):
        return False


@pytest.mark.parametrize("kind", KINDS)
def test_second_instance_refused_with_first_pid(kind, tmp_path):
    state = tmp_path / "state"
    with started(tmp_path, kind) as servers:
        first = make(kind, servers, state).start()
        lock = state / ("%s.lock" % kind)
        assert lock.read_text() == "%d\n" % first.proc.pid
        # Same state directory, another port: refused before it binds anything.
        second = make(kind, servers, state)
        rc, err = run_once(second)
        assert rc != 0, err
        want = "%s already runs on %s as PID %d" % (kind, state, first.proc.pid)
        assert want in err, err
        assert "%s: ready" % kind not in err, err
        assert not answers(kind, second.port)
        assert first.running() and answers(kind, first.port)
        assert lock.read_text() == "%d\n" % first.proc.pid
        first.stop()
        # Gone with the first one: the next one starts.
        make(kind, servers, state).start()


@pytest.mark.parametrize("kind", KINDS)
def test_second_on_same_port_refused(kind, tmp_path):
    # Another state directory, the same port: SO_REUSEPORT would have shared the queries.
    with started(tmp_path, kind) as servers:
        first = make(kind, servers, tmp_path / "a")
        first.start()
        second = make(kind, servers, tmp_path / "b", port=first.port)
        rc, err = run_once(second)
        assert rc != 0, err
        assert "cannot bind %s:%d: Address already in use (another server listens there)" \
            % (HOST4, first.port) in err, err
        assert first.running()


@pytest.mark.parametrize("kind", KINDS)
def test_pidfile_written_and_removed(kind, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    pidfile = run / ("%s.pid" % kind)
    with started(tmp_path, kind) as servers:
        d = make(kind, servers, tmp_path / "state",
                 config="%s:\n    pidfile: %s\n" % (kind, pidfile))
        d.start()
        assert wait_until(pidfile.exists, 5), "no %s after the start" % pidfile
        assert pidfile.read_text() == "%d\n" % d.proc.pid
        d.stop()
        assert not pidfile.exists(), "%s left behind at exit" % pidfile
        # A pidfile that cannot be written stops the start, with the reason.
        bad = make(kind, servers, tmp_path / "state",
                   config="%s:\n    pidfile: %s/missing/x.pid\n" % (kind, run))
        rc, err = run_once(bad)
        assert rc != 0 and "cannot write the pidfile %s/missing/x.pid" % run in err, err


@pytest.mark.parametrize("kind", KINDS)
def test_root_refuses_to_stay_root_unless_told(kind, tmp_path):
    need_root()
    state = tmp_path / "state"
    with started(tmp_path, kind) as servers:
        d = make(kind, servers, state)
        d.config.write_text("# no user: written\n")   # as_root_config added one: take it away
        try:
            lockstep = pwd.getpwnam("lockstep")
        except KeyError:
            lockstep = None
        if lockstep is None:
            rc, err = run_once(d)
            assert rc != 0, err
            assert "started as root, and %s.user is not set and there is no user 'lockstep'" \
                % kind in err, err
            assert "%s: ready" % kind not in err and not answers(kind, d.port)
        else:
            # The user exists here: an empty user: means that one.
            shared = Path(tempfile.mkdtemp(prefix="lockstep-start-"))
            try:
                os.chown(shared, lockstep.pw_uid, lockstep.pw_gid)
                d.state = shared / "state"
                d.start()
                assert proc_status(d.proc.pid)["Uid"].split() == [str(lockstep.pw_uid)] * 4
                d.stop()
            finally:
                shutil.rmtree(shared, ignore_errors=True)
        # Written, root stays root, and still gains nothing by exec.
        d.config.write_text("%s:\n    user: root\n" % kind)
        d.state = state
        d.start()
        status = proc_status(d.proc.pid)
        assert status["Uid"].split() == ["0"] * 4, status
        assert status["NoNewPrivs"] == "1", status


@pytest.mark.parametrize("kind", KINDS)
def test_drop_keeps_only_bind_capability(kind, tmp_path):
    need_root()
    nobody = pwd.getpwnam("nobody")
    # pytest's own directories are root's alone: the state lives where nobody can reach it.
    top = Path(tempfile.mkdtemp(prefix="lockstep-nobody-"))
    try:
        os.chown(top, nobody.pw_uid, nobody.pw_gid)
        state = top / "state"    # made by the daemon, as root, for nobody
        with started(tmp_path, kind) as servers:
            d = make(kind, servers, state, config="%s:\n    user: nobody\n" % kind).start()
            status = proc_status(d.proc.pid)
            assert status["Uid"].split() == [str(nobody.pw_uid)] * 4, status
            assert status["Gid"].split() == [str(nobody.pw_gid)] * 4, status
            want = "%016x" % (1 << CAP_NET_BIND_SERVICE)
            for field in ("CapEff", "CapPrm", "CapBnd"):
                assert status[field] == want, (field, status)
            assert status["CapInh"] == "0" * 16 and status["CapAmb"] == "0" * 16, status
            assert status["NoNewPrivs"] == "1", status
            assert answers(kind, d.port)
            for p in (state, state / ("%s.lock" % kind), state / "data.mdb"):
                assert p.stat().st_uid == nobody.pw_uid, p
            assert (state.stat().st_mode & 0o777) == 0o700
    finally:
        shutil.rmtree(top, ignore_errors=True)


def notify_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path if not path.startswith("@") else "\0" + path[1:])
    s.settimeout(NOTIFY_TIMEOUT)
    return s


@pytest.mark.parametrize("kind,abstract", [("dnsd", False), ("httpsd", True)])
def test_notify_ready_after_it_answers(kind, abstract, tmp_path):
    name = ("@lockstep-test-notify-%d" % os.getpid()) if abstract else str(tmp_path / "notify")
    sock = notify_socket(name)
    with started(tmp_path, kind) as servers:
        d = make(kind, servers, tmp_path / "state")
        if kind == "dnsd":
            Zonectl(tmp_path, state=d.state).ok("zone", "import", EXAMPLE_ZONE)
        log = open(tmp_path / "notify-daemon.log", "w")
        proc = subprocess.Popen(d.argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=dict(os.environ, NOTIFY_SOCKET=name))
        try:
            try:
                msg = sock.recv(4096).decode()
            except socket.timeout:
                pytest.fail("no datagram on NOTIFY_SOCKET within %d s:\n%s"
                            % (NOTIFY_TIMEOUT, (tmp_path / "notify-daemon.log").read_text()))
            lines = msg.split("\n")
            assert "READY=1" in lines, msg
            status = [l for l in lines if l.startswith("STATUS=")]
            assert status and "%s:%d" % (HOST4, d.port) in status[0], msg
            # Ready means it answers now, not in a moment.
            assert answers(kind, d.port), "READY=1 came before %s answered" % kind
            rc, killed = stop_process(proc, 5)
            assert rc == 0 and not killed
            assert "STOPPING=1" in sock.recv(4096).decode().split("\n")
        finally:
            kill_process(proc)
            log.close()
            sock.close()


def access_modes(pid, name):
    """The access modes (os.O_RDONLY, O_WRONLY, O_RDWR) of pid's open files called name."""
    modes = set()
    for fd in Path("/proc/%d/fd" % pid).iterdir():
        try:
            if os.path.basename(os.readlink(fd)) != name:
                continue
            info = Path("/proc/%d/fdinfo/%s" % (pid, fd.name)).read_text()
        except FileNotFoundError:
            continue
        flags = [l for l in info.splitlines() if l.startswith("flags:")][0]
        modes.add(int(flags.split()[1], 8) & os.O_ACCMODE)
    assert modes, "process %d has no %s open" % (pid, name)
    return modes


@pytest.mark.parametrize("with_store", [True, False])
def test_httpsd_store_read_only(with_store, tmp_path):
    state = tmp_path / "state"
    if with_store:
        Zonectl(tmp_path, state=state).ok("zone", "import", EXAMPLE_ZONE)
    with started(tmp_path, "both") as servers:
        h = make("httpsd", servers, state).start()
        assert access_modes(h.proc.pid, "data.mdb") == {os.O_RDONLY}
        # dnsd writes (NOTIFY, the publish step): the same check sees it can.
        d = make("dnsd", servers, state).start()
        assert access_modes(d.proc.pid, "data.mdb") & {os.O_RDWR, os.O_WRONLY}
        assert answers("httpsd", h.port)
