"""dnsd as a program: configuration check, workers, SIGTERM, a missing state dir."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from conftest import write
from dnsd_helpers import (DNSD, HOST4, assert_rcode, check_dnsd_binary, dnsd_factory,  # noqa: F401
                          find, free_port, make_query, rdatas, show, tcp_recv, tcp_send)


def check_config(path):
    check_dnsd_binary()
    p = subprocess.run([str(DNSD), "-n", "-c", str(path)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=10)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.parametrize("text", [
    "# empty: every option at its default\n",
    "dnsd:\n    tcp-idle-timeout: 2\n",
    "server:\n    state-dir: \"{tmp}\"  # a comment\n"
    "dnsd:\n    tcp-idle-timeout: 10\n",
], ids=["empty", "idle-timeout", "two-sections"])
def test_check_config_ok(tmp_path, text):
    conf = write(tmp_path / "good.conf", text.format(tmp=tmp_path))
    rc, out = check_config(conf)
    assert rc == 0, "dnsd -n on a good file: exit %d\n%s" % (rc, out)
    assert "configuration OK" in out, out


@pytest.mark.parametrize("text, line", [
    ("# line 1\ndnsd:\n    no-such-key: 1\n", 3),
    ("dnsd:\n    tcp-idle-timeout: 2\n    tcp-idle-timeout: 3\n", 3),    # set twice
    ("dnsd:\n\n    tcp-idle-timeout: soon\n", 3),                       # not an integer
    ("no-such-section:\n    x: 1\n", 1),
], ids=["unknown-key", "set-twice", "not-integer", "unknown-section"])
def test_check_config_errors(tmp_path, text, line):
    # lockstep.conf(5): every error as FILE:LINE, and the whole file is rejected (exit 1).
    conf = write(tmp_path / "bad.conf", text)
    rc, out = check_config(conf)
    assert rc == 1, "dnsd -n on a bad file: exit %d (want 1)\n%s" % (rc, out)
    assert "%s:%d" % (conf, line) in out, "no %s:%d in:\n%s" % (conf, line, out)
    assert "configuration OK" not in out, out


def test_check_config_missing_file(tmp_path):
    rc, out = check_config(tmp_path / "missing.conf")
    assert rc == 1, "dnsd -n on a missing file: exit %d (want 1)\n%s" % (rc, out)
    assert "missing.conf" in out, out


def test_bad_config_does_not_start(tmp_path, zc):
    # An invalid configuration stops dnsd before it listens: exit 1, FILE:LINE on stderr.
    check_dnsd_binary()
    conf = write(tmp_path / "bad.conf", "dnsd:\n    no-such-key: 1\n")
    port = free_port()
    p = subprocess.run([str(DNSD), "--state", str(zc.state), "--listen", "%s:%d" % (HOST4, port),
                        "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=10)
    assert p.returncode == 1, "exit %d (want 1)\n%s" % (p.returncode, p.stderr)
    assert "%s:2" % conf in p.stderr, p.stderr
    assert "dnsd: ready" not in p.stderr, p.stderr


def test_workers(dnsd_factory):
    d = dnsd_factory.start(workers=2)
    names = ["www", "mail", "ns1", "ns2", "sip", "mail2"]
    want = {"www": "192.0.2.80", "mail": "192.0.2.25", "ns1": "192.0.2.53",
            "ns2": "192.0.2.54", "sip": "192.0.2.60", "mail2": "192.0.2.26"}
    for i in range(24):
        n = names[i % len(names)]
        r = d.query("%s.example.com" % n, "A", tcp=(i % 4 == 3))
        assert_rcode(r, dns.rcode.NOERROR)
        assert rdatas(find(r, "answer", "%s.example.com" % n, "A")) == {want[n]}, show(r)
    # Several TCP connections open at once are all served.
    socks = [d.tcp_connect() for _ in range(4)]
    try:
        for s in socks:
            tcp_send(s, make_query("www.example.com", "A").to_wire())
        for s in socks:
            r = dns.message.from_wire(tcp_recv(s))
            assert rdatas(r.answer[0]) == {"192.0.2.80"}, show(r)
    finally:
        for s in socks:
            s.close()


def port_is_free(port):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        u.bind((HOST4, port))
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as any server does
        t.bind((HOST4, port))
        t.listen(1)
        return True
    except OSError:
        return False
    finally:
        u.close()
        t.close()


def test_sigterm_exits_0_and_frees_port(dnsd_factory):
    d = dnsd_factory.start()
    d.assert_alive()
    idle = d.tcp_connect()          # an open TCP connection does not delay the exit
    try:
        start = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        try:
            rc = d.proc.wait(1.0)
        except subprocess.TimeoutExpired:
            pytest.fail("dnsd still running 1 s after SIGTERM")
        elapsed = time.monotonic() - start
    finally:
        idle.close()
    rc2, _, _ = d.terminate()       # collects the log; the process has exited
    assert rc == rc2 == 0, "exit code %d after SIGTERM (want 0)\nstderr:\n%s" % (rc, d.log_text())
    assert elapsed < 1.0
    assert port_is_free(d.port), "port %d still in use after dnsd exited" % d.port


def test_missing_state_dir_refuses(dnsd_factory, tmp_path):
    # A state directory that does not exist yet (its parent does) is not fatal: dnsd starts
    # with no zones and refuses every query.
    state = tmp_path / "no-state-yet"
    d = dnsd_factory.start(zones=(), state=state)
    for qname, rdtype, tcp in [("www.example.com", "A", False), ("example.com", "SOA", True),
                               (".", "NS", False)]:
        r = d.query(qname, rdtype, tcp=tcp)
        assert_rcode(r, dns.rcode.REFUSED)
        assert not r.answer, show(r)


def test_drops_privileges_after_binding(dnsd_factory, tmp_path):
    # Least privilege: dnsd binds as the user it starts as, then runs as dnsd.user. Only root
    # can switch users (CI runs as root); elsewhere the test cannot show anything.
    import pwd
    if os.geteuid() != 0:
        pytest.fail("this test needs root to start dnsd as root (CI runs as root)")
    import shutil
    import tempfile
    nobody = pwd.getpwnam("nobody")
    # pytest's own directories are root's alone: the state lives where nobody can reach it.
    state = Path(tempfile.mkdtemp(prefix="lockstep-nobody-"))
    try:
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        d = dnsd_factory.start(zones=(), state=state, config="dnsd:\n    user: nobody\n")
        status = Path("/proc/%d/status" % d.proc.pid).read_text()
        uids = [l.split()[1:] for l in status.splitlines() if l.startswith("Uid:")][0]
        assert uids == [str(nobody.pw_uid)] * 4, status
        r = d.query("www.example.com", "A")
        assert_rcode(r, dns.rcode.REFUSED)
        # The store it created belongs to the user it runs as.
        assert (state / "data.mdb").stat().st_uid == nobody.pw_uid
        d.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)
