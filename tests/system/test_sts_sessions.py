"""Kept TLS sessions read per name (issue 17, "one change, fast"): the publish step keeps the
session of each endpoint and host in STATE/sts-sessions.d, one small file per hash of that key,
and a one-domain change opens only its own name's file and resumes that session (no
certificate on the wire). The single file of earlier versions is removed unread, a damaged
file costs one full handshake and nothing else."""

import os
import re
import stat
import subprocess

from conftest import clean_env
from sts_helpers import sts_factory  # noqa: F401  (fixture)
from test_mtasts import published

STRACE = "/usr/bin/strace"
FILES = 16384          # STS_SESSIONS_FILES


def session_file(port, domain):
    """The file name sts_sessions.c gives the key "127.0.0.1:PORT mta-sts.DOMAIN"."""
    h = 1469598103934665603
    for b in ("127.0.0.1:%d mta-sts.%s" % (port, domain)).encode():
        h = ((h ^ b) * 1099511628211) & (2 ** 64 - 1)
    return "%04x" % (h % FILES)


def traced_change(e, k):
    """One MX change of example.com under strace: (files opened in the sessions directory,
    bytes received from httpsd on the fetch's socket)."""
    assert os.access(STRACE, os.X_OK), "strace missing (Debian package strace)"
    trace = e.tmp / ("trace%d.txt" % k)
    argv = [STRACE, "-f", "-qq", "-e", "trace=openat,connect,recvfrom,read", "-o", str(trace)]
    argv += e.zc.argv("rr", "add", "example.com", "@ 3600 IN MX %d mxk%d.example.com." % (20 + k, k))
    # LeakSanitizer cannot run under ptrace: off for a sanitizer build's traced run.
    env = clean_env(e.zc.tmp, {"ASAN_OPTIONS": "halt_on_error=1:detect_leaks=0"})
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert published(p.stdout), p.stdout + p.stderr
    opened, got, sock = [], 0, None
    for line in trace.read_text().splitlines():
        m = re.search(r'openat\(.*"([^"]*sts-sessions[^"]*)"', line)
        if m:
            opened.append(os.path.basename(m.group(1)))
        m = re.search(r"connect\((\d+), \{sa_family=AF_INET, sin_port=htons\((\d+)\)", line)
        if m and int(m.group(2)) == e.https_port:
            sock = m.group(1)
        m = re.search(r"(?:recvfrom|read)\((\d+), .*\) = (\d+)$", line)
        if m and m.group(1) == sock:
            got += int(m.group(2))
    assert sock is not None, "no connection to httpsd in the trace"
    return opened, got


def test_sessions_per_name(sts_factory):
    e = sts_factory(zones=("example.com.zone", "example.net.zone"))
    state = e.zc.state
    old = state / "sts-sessions"
    old.write_bytes(b"\x05\x00\x00\x00junk" * 1000)        # the single file of before
    for d in ("example.com", "example.net"):
        assert published(e.zc.ok("mta-sts", "enable", d).out)
    assert not old.exists()
    sdir = state / "sts-sessions.d"
    assert stat.S_IMODE(sdir.stat().st_mode) == 0o700
    mine = session_file(e.https_port, "example.com")
    names = sorted(os.listdir(sdir))
    assert mine in names and session_file(e.https_port, "example.net") in names, names
    for n in names:
        assert stat.S_IMODE((sdir / n).stat().st_mode) == 0o600

    # A change reads its own name's file only, and resumes: no certificate comes back.
    opened, resumed = traced_change(e, 1)
    assert set(opened) <= {"sts-sessions", "sts-sessions.d", mine}, opened
    assert mine in opened, opened
    # A damaged file: a full handshake (the certificate and key exchange on the wire), the
    # change still publishes, and the new session replaces the damaged one.
    for n in os.listdir(sdir):
        (sdir / n).write_bytes(b"LSS2\x7f\x7fdamaged")
    _, full = traced_change(e, 2)
    assert full > resumed + 300, (full, resumed)
    _, again = traced_change(e, 3)
    assert again < full - 300, (again, full)
    # A missing directory is no sessions: made again at the next change.
    for n in os.listdir(sdir):
        (sdir / n).unlink()
    sdir.rmdir()
    traced_change(e, 4)
    assert mine in os.listdir(sdir)
