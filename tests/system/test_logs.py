"""The daemons' log lines: a log file with time stamps and levels, log-level, SIGUSR1 reopening
the file (logrotate) without losing a query, and the forms on stderr (a pipe, the journal)."""

import calendar
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import write
from dnsd_helpers import (DNSD, HOST4, Dnsd, check_dnsd_binary, dnsd_factory,  # noqa: F401
                          free_port, listen_arg, make_query, started)
from httpsd_helpers import Httpsd, make_state, policy_text
from proc_helpers import as_root_config, wait_until

# 2026-12-03T08:30:01.123Z notice dnsd: ready: ...
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d{3}Z (error|warning|notice|info|debug) "
                  r"(dnsd|httpsd): (.+)$")
WAIT = 10               # seconds for a line to reach the file


class FileLogging:
    """A daemon whose lines go to a log file: ready once it serves (probe), since nothing
    comes on stderr. Mixed into Dnsd and Httpsd."""

    ready = "\0"        # never on stderr

    def start(self):
        threading.Thread(target=self._probe_ready, daemon=True).start()
        return super().start()

    def _probe_ready(self):
        if wait_until(lambda: self.running() and self.serves(), self.ready_timeout, step=0.05):
            self._ready.set()


class FileDnsd(FileLogging, Dnsd):
    def serves(self):
        try:
            dns.query.udp(make_query("example.com", "SOA"), HOST4, port=self.port, timeout=0.2)
            return True
        except Exception:
            return False


class FileHttpsd(FileLogging, Httpsd):
    def serves(self):
        try:
            socket.create_connection((HOST4, self.port), timeout=0.2).close()
            return True
        except OSError:
            return False


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


def wait_line(path, text, timeout=WAIT):
    """The first line of the file at path that contains text, waiting up to timeout seconds."""
    return wait_until(lambda: next((l for l in lines(path) if text in l), None), timeout)


def parsed(path):
    """Every line of the file as (UTC seconds, level, component, message); fails on any other."""
    out = []
    for l in lines(path):
        m = LINE.match(l)
        assert m, "not a log file line (time stamp, level, component, message): %r" % l
        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
        out.append((t, m.group(2), m.group(3), m.group(4)))
    return out


def log_config(path, level=None, extra=""):
    text = "server:\n    log-file: \"%s\"\n" % path
    if level:
        text += "    log-level: %s\n" % level
    return text + extra


def start_file_dnsd(servers, zc, config):
    check_dnsd_binary()
    zc.ok("zone", "import", str(write(zc.tmp / "example.com.zone", ZONE)))
    return servers.add(FileDnsd(servers.workdir(), zc.state, free_port(), workers=2,
                                config=config)).start()


ZONE = """$ORIGIN example.com.
$TTL 300
@ SOA ns1 hostmaster 1 3600 900 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.80
"""


def test_log_file_time_stamps_and_levels(tmp_path, zc):
    log = tmp_path / "dnsd.log"
    before = time.time()
    with started(tmp_path, "dnsd") as servers:
        d = start_file_dnsd(servers, zc, log_config(log, extra="dnsd:\n    query-log: yes\n"))
        assert wait_line(log, "dnsd: ready"), lines(log)
        r = dns.query.udp(make_query("www.example.com", "A"), HOST4, port=d.port, timeout=2)
        assert r.rcode() == dns.rcode.NOERROR
        assert wait_line(log, "query: 127.0.0.1 udp www.example.com. A NOERROR"), lines(log)
        assert d.log_lines() == [], "lines on stderr besides the log file:\n" + d.log_text()
    after = time.time()
    got = parsed(log)
    levels = {msg.split(":")[0]: level for _, level, _, msg in got}
    assert levels["ready"] == "notice" and levels["query"] == "info", got
    assert ("notice", "dnsd", "stopping (SIGTERM)") in [g[1:] for g in got], got
    for t, _, component, _ in got:
        assert component == "dnsd"
        assert int(before) - 1 <= t <= after + 1, "time stamp %d is not UTC now (%d)" % (t, before)


def test_log_level_warning_hides_info(tmp_path, zc):
    log = tmp_path / "dnsd.log"
    with started(tmp_path, "dnsd") as servers:
        d = start_file_dnsd(servers, zc, log_config(log, "warning",
                                                    "dnsd:\n    query-log: yes\n"))
        for _ in range(3):
            r = dns.query.udp(make_query("www.example.com", "A"), HOST4, port=d.port, timeout=2)
            assert r.rcode() == dns.rcode.NOERROR
        # A refused transfer is a warning: it is there, the query lines before it are not.
        r = dns.query.tcp(dns.message.make_query("example.com", "AXFR"), HOST4, port=d.port,
                          timeout=2)
        assert r.rcode() == dns.rcode.NOTAUTH
        assert wait_line(log, "transfer refused for 127.0.0.1"), lines(log)
        d.proc.send_signal(signal.SIGUSR1)      # its notice is below warning too
        time.sleep(0.3)
    got = parsed(log)
    assert [level for _, level, _, _ in got if level not in ("warning", "error")] == [], got
    assert any("transfer refused" in msg for _, _, _, msg in got), got


def query_loop(port, stop, failures, count):
    """UDP queries one after another until stop is set; failures gets every one not answered."""
    q = make_query("www.example.com", "A")
    while not stop.is_set():
        try:
            r = dns.query.udp(q, HOST4, port=port, timeout=2)
            if r.rcode() != dns.rcode.NOERROR:
                failures.append(dns.rcode.to_text(r.rcode()))
        except Exception as e:      # a timeout is a lost query
            failures.append(repr(e))
        count[0] += 1


def test_sigusr1_reopens_the_log_file(tmp_path, zc):
    log = tmp_path / "dnsd.log"
    stop, failures, count = threading.Event(), [], [0]
    with started(tmp_path, "dnsd") as servers:
        d = start_file_dnsd(servers, zc, log_config(log, extra="dnsd:\n    query-log: yes\n"))
        assert wait_line(log, "dnsd: ready"), lines(log)
        t = threading.Thread(target=query_loop, args=(d.port, stop, failures, count))
        t.start()
        try:
            for i in range(1, 6):
                # What logrotate does: rename, then the postrotate kill -USR1.
                rotated = tmp_path / ("dnsd.log.%d" % i)
                os.rename(log, rotated)
                d.proc.send_signal(signal.SIGUSR1)
                line = wait_line(log, "reopened")
                assert line and "log file %s reopened (SIGUSR1)" % log in line, lines(rotated)
                mark = "mark%d.example.com" % i
                dns.query.udp(make_query(mark, "A"), HOST4, port=d.port, timeout=2)
                assert wait_line(log, "udp %s. A" % mark), lines(log)
                assert mark not in rotated.read_text()
                parsed(rotated)     # every line whole
                time.sleep(0.2)
        finally:
            stop.set()
            t.join(10)
        assert d.running()
    assert count[0] > 20, "only %d queries sent" % count[0]
    assert failures == [], "%d of %d queries failed: %s" % (len(failures), count[0], failures[:5])
    assert "stopping (SIGTERM)" in [msg for _, _, _, msg in parsed(log)]


def test_sigusr1_without_a_log_file(dnsd_factory):
    d = dnsd_factory.start()
    d.proc.send_signal(signal.SIGUSR1)
    assert d.wait_log("info dnsd: SIGUSR1: no log file to reopen"), d.log_text()
    d.assert_alive()


def test_httpsd_log_file_and_sigusr1(tmp_path, zonectl_binary):
    st = make_state(tmp_path, ["mta-sts.example.com"], {"example.com": policy_text()})
    log = tmp_path / "httpsd.log"
    with started(tmp_path, "httpsd") as servers:
        h = servers.add(FileHttpsd(servers.workdir(), st.dir, free_port(),
                                   config=log_config(log))).start()
        assert wait_line(log, "httpsd: ready"), lines(log)
        os.rename(log, tmp_path / "httpsd.log.1")
        h.proc.send_signal(signal.SIGUSR1)
        assert wait_line(log, "log file %s reopened" % log), lines(log)
        r = h.curl("-o", "/dev/null", "-w", "%{http_code}", h.url(), cacert=st.ca)
        assert r.returncode == 0 and r.stdout == b"200", r.stderr
        assert wait_line(log, "access: 127.0.0.1 mta-sts.example.com GET"), lines(log)
        assert h.log_lines() == [], h.log_text()
    assert {c for _, _, c, _ in parsed(log)} == {"httpsd"}


def test_log_file_that_cannot_be_opened(tmp_path, zc):
    check_dnsd_binary()
    conf = write(tmp_path / "d.conf", log_config(tmp_path / "missing-dir" / "dnsd.log"))
    p = subprocess.run([str(DNSD), "--state", str(zc.state), "--listen",
                        listen_arg(HOST4, free_port()), "-c", str(conf)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    assert p.returncode == 1, p.stderr
    assert "error dnsd: server.log-file: cannot open %s" % (tmp_path / "missing-dir" / "dnsd.log") \
        in p.stderr, p.stderr
    assert "No such file or directory" in p.stderr, p.stderr


def test_stderr_is_a_pipe(dnsd_factory):
    # The tests' own stderr pipe: levels, no time stamps (a supervisor stamps what it reads).
    d = dnsd_factory.start()
    ready = [l for l in d.log_lines() if "dnsd: ready" in l]
    assert ready and ready[0].startswith("notice dnsd: ready: "), d.log_text()


def read_line(fd, buf, timeout):
    """The next line from the pipe fd (buf keeps what came after it); "" after timeout or EOF."""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf[0]:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return ""
        data = os.read(fd, 4096)
        if not data:
            return ""
        buf[0] += data
    line, buf[0] = buf[0].split(b"\n", 1)
    return line.decode() + "\n"


def test_stderr_is_the_journal(tmp_path, zc):
    # systemd sets JOURNAL_STREAM to the DEV:INO of the stream it gave as stderr.
    check_dnsd_binary()
    zc.ok("zone", "import", str(write(tmp_path / "example.com.zone", ZONE)))
    conf = write(tmp_path / "d.conf", as_root_config("# defaults\n", "dnsd"))
    r, w = os.pipe()
    st = os.fstat(w)
    env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    p = subprocess.Popen([str(DNSD), "--state", str(zc.state), "--listen",
                          listen_arg(HOST4, free_port()), "--workers", "1", "-c", str(conf)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=w, env=env)
    os.close(w)
    buf, got = [b""], []
    try:
        for _ in range(20):
            got.append(read_line(r, buf, WAIT))
            if "ready" in got[-1] or not got[-1]:
                break
        assert got[-1].startswith("<5>dnsd: ready: "), got
        p.send_signal(signal.SIGTERM)
        assert p.wait(5) == 0
        for _ in range(20):
            got.append(read_line(r, buf, WAIT))
            if not got[-1]:
                break
        assert "<5>dnsd: stopping (SIGTERM)\n" in got, got
        assert all(re.match(r"<[3-7]>dnsd: ", l) for l in got if l), got
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
            p.wait(5)
