"""SIGHUP under load (issue 16): dnsperf runs over UDP and TCP while dnsd's configuration
changes and is reloaded 20 times (log level, TCP limits, a listen address added and removed,
a secondary with a TSIG key in the store), and no query fails; listen addresses of dnsd and
httpsd come and go with SIGHUP while the others, and the connections already accepted, go on.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import Zonectl
from dnsd_helpers import (DNSD, EXAMPLE_ZONES, HOST4, Dnsd, check_dnsd_binary, tcp_connect,
                          tcp_recv, tcp_send)
from httpsd_helpers import Httpsd, get_request, make_state, policy_text, read_response
from proc_helpers import as_root_config, free_port, started, wait_until

DNSPERF = "/usr/bin/dnsperf"
RELOADS = 20                 # the count
UDP_QPS, TCP_QPS = 2000, 500
DNSPERF_TIMEOUT = 3          # seconds before dnsperf counts a query as lost
DNSPERF_LIMIT = 120          # seconds: an upper bound; the test stops it with SIGINT
STEP_TIMEOUT = 10            # seconds for one reload to show in the log, loaded machine
STEP_MIN = 0.25              # seconds at least between two reloads: 5 s of load in all
QUERIES = ("www.example.com A", "example.com SOA", "mail.example.com A", "example.com MX",
           "example.com NS")


class ConfigDnsd(Dnsd):
    """dnsd taking its listen addresses from the configuration (no --listen), as SIGHUP
    changes them only there."""

    def argv(self):
        a = [str(DNSD), "--state", str(self.state), "-c", str(self.config)]
        return a + (["--workers", str(self.workers)] if self.workers else []) + self.extra_args


class ConfigHttpsd(Httpsd):
    def argv(self):
        a = super().argv()
        i = a.index("--listen")
        return a[:i] + a[i + 2:]


def need_dnsperf():
    if not os.access(DNSPERF, os.X_OK):
        pytest.fail("%s is missing: `make deps` installs dnsperf" % DNSPERF, pytrace=False)


def hup(daemon, text, timeout=STEP_TIMEOUT):
    """SIGHUP, then wait for one more log line containing text."""
    before = sum(text in l for l in daemon.log_lines())
    daemon.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: sum(text in l for l in daemon.log_lines()) > before, timeout), \
        "no new %r after SIGHUP:\n%s" % (text, daemon.log_text())


def wait_more(daemon, text, before, timeout=STEP_TIMEOUT):
    assert wait_until(lambda: sum(text in l for l in daemon.log_lines()) > before, timeout), \
        "no %r:\n%s" % (text, daemon.log_text())


def udp_answer(port, qname="www.example.com.", timeout=2.0):
    """The answer from 127.0.0.1:port over a connected UDP socket, or the exception (a refused
    port shows as ConnectionRefusedError at once)."""
    q = dns.message.make_query(qname, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.connect((HOST4, port))
        s.send(q.to_wire())
        return dns.message.from_wire(s.recv(65535))
    except OSError as e:
        return e
    finally:
        s.close()


def tcp_refused(port):
    try:
        socket.create_connection((HOST4, port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def dnsd_config(listen, level="info", idle=10, max_clients=200, more=""):
    """listen: ports on 127.0.0.1, or addresses as text; more: lines for the dnsd section."""
    return as_root_config("server:\n    log-level: %s\ndnsd:\n    listen: %s\n"
                          "    tcp-idle-timeout: %d\n    tcp-max-clients: %d\n%s"
                          % (level, " ".join(p if isinstance(p, str) else "%s:%d" % (HOST4, p)
                                              for p in listen), idle, max_clients, more),
                          "dnsd")


def start_dnsperf(workdir, port, tcp):
    data = workdir / "queries.txt"
    data.write_text("\n".join(QUERIES) + "\n")
    out = open(workdir / ("dnsperf-%s.out" % ("tcp" if tcp else "udp")), "w+")
    argv = [DNSPERF, "-s", HOST4, "-p", str(port), "-d", str(data), "-c", "4",
            "-l", str(DNSPERF_LIMIT), "-t", str(DNSPERF_TIMEOUT),
            "-Q", str(TCP_QPS if tcp else UDP_QPS)] + (["-m", "tcp"] if tcp else [])
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT), out


def stop_dnsperf(proc, out):
    """SIGINT (dnsperf stops and prints its statistics; queries in flight at that moment
    count as interrupted, not lost): {sent, completed, lost, interrupted, rcodes: {name:
    count}} and the text."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(DNSPERF_TIMEOUT + 15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    out.seek(0)
    text = out.read()
    out.close()
    stats = {"rcodes": {}}
    for key in ("sent", "completed", "lost", "interrupted"):
        m = re.search(r"Queries %s:\s+(\d+)" % key, text)
        assert m or key == "interrupted", "no 'Queries %s' in dnsperf's output:\n%s" % (key, text)
        stats[key] = int(m.group(1)) if m else 0
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        for name, count in re.findall(r"([A-Z]+) (\d+) \(", m.group(1)):
            stats["rcodes"][name] = int(count)
    return stats, text


def test_dnsd_twenty_reloads_under_dnsperf_lose_no_query(tmp_path, zc):
    need_dnsperf()
    check_dnsd_binary()
    for z in EXAMPLE_ZONES:
        zc.ok("zone", "import", z)
    zc.ok("tsig", "add", "xfr-key")
    port, extra = free_port(), free_port()
    with started(tmp_path, "dnsd") as servers:
        d = servers.add(ConfigDnsd(servers.workdir(), zc.state, port, workers=2,
                                   config=dnsd_config([port])))
        d.start()
        perf = [start_dnsperf(d.workdir, port, tcp) for tcp in (False, True)]
        try:
            kept = None
            time.sleep(STEP_MIN)
            for i in range(RELOADS):
                step_end = time.monotonic() + STEP_MIN
                phase = i % 4      # 0: add the extra address, 2: remove it
                listen = [port, extra] if phase in (0, 1) else [port]
                d.config.write_text(dnsd_config(listen, "debug" if i % 2 else "info",
                                                idle=10 + i, max_clients=200 + i))
                # The zone's ACL changes in the store meanwhile: a secondary with a key.
                if i % 2 == 0:
                    zc.ok("zone", "secondaries", "example.com", "add", "127.0.0.9:%d" % extra,
                          "--key", "xfr-key")
                else:
                    zc.ok("zone", "secondaries", "example.com", "del", "127.0.0.9")
                closed = sum("stopped listening on %s:%d" % (HOST4, extra) in l
                             for l in d.log_lines())
                hup(d, "reloaded (SIGHUP)")
                if phase == 0:
                    r = udp_answer(extra)
                    assert isinstance(r, dns.message.Message) and \
                        r.rcode() == dns.rcode.NOERROR, (r, d.log_text())
                    kept = tcp_connect(extra)       # accepted: must outlive the address
                    tcp_send(kept, dns.message.make_query("mail.example.com.", "A").to_wire())
                    assert dns.message.from_wire(tcp_recv(kept)).rcode() == dns.rcode.NOERROR
                if phase == 2:
                    wait_more(d, "stopped listening on %s:%d" % (HOST4, extra), closed)
                    assert wait_until(lambda: isinstance(udp_answer(extra, timeout=0.5),
                                                         ConnectionRefusedError), 5), \
                        "%s:%d still answers over UDP after its removal" % (HOST4, extra)
                    assert tcp_refused(extra), "%s:%d still accepts TCP" % (HOST4, extra)
                    # The connection accepted before the removal still gets answers.
                    tcp_send(kept, dns.message.make_query("www.example.com.", "A").to_wire())
                    assert dns.message.from_wire(tcp_recv(kept)).rcode() == dns.rcode.NOERROR
                    kept.close()
                    kept = None
                time.sleep(max(0, step_end - time.monotonic()))
        finally:
            results = [stop_dnsperf(p, out) for p, out in perf]
        assert d.running(), d.log_text()
        log = d.log_text(200)
        assert sum("reloaded (SIGHUP)" in l for l in d.log_lines()) == RELOADS, log
        assert "restart dnsd" not in log, log          # everything changed was live
        for (stats, text), want in zip(results, (UDP_QPS, TCP_QPS)):
            assert stats["lost"] == 0, text
            assert stats["completed"] + stats["interrupted"] == stats["sent"], text
            assert stats["interrupted"] <= want, text   # at most a second's worth in flight
            assert stats["rcodes"] == {"NOERROR": stats["completed"]}, text
            assert stats["completed"] >= want * RELOADS * STEP_MIN / 2, text
        # Still serving the address that never changed, at the end.
        r = udp_answer(port)
        assert isinstance(r, dns.message.Message) and r.rcode() == dns.rcode.NOERROR, r


def https_conn(port, ca, host="mta-sts.example.com"):
    ctx = ssl.create_default_context(cafile=str(ca))
    raw = socket.create_connection((HOST4, port), timeout=5)
    try:
        return ctx.wrap_socket(raw, server_hostname=host)
    except Exception:
        raw.close()
        raise


def https_status(port, ca):
    with https_conn(port, ca) as c:
        c.sendall(get_request(extra="Connection: close\r\n"))
        return read_response(c)[0]


def httpsd_config(ports):
    return "httpsd:\n    listen: %s\n" % " ".join("%s:%d" % (HOST4, p) for p in ports)


def test_httpsd_listen_added_and_removed_keeps_connections(tmp_path):
    st = make_state(tmp_path, ["mta-sts.example.com"], {"example.com": policy_text()})
    first, extra = free_port(), free_port()
    with started(tmp_path, "httpsd") as servers:
        h = servers.add(ConfigHttpsd(servers.workdir(), st.dir, first,
                                     config=httpsd_config([first])))
        h.start()
        assert https_status(first, st.ca) == 200
        assert tcp_refused(extra)
        h.config.write_text(as_root_config(httpsd_config([first, extra]), "httpsd"))
        hup(h, "reloaded (SIGHUP)")
        assert h.wait_log("SIGHUP: listening on %s:%d" % (HOST4, extra)), h.log_text()
        assert https_status(extra, st.ca) == 200
        # Two keep-alive connections on the address about to go: one idle between requests,
        # one in the middle of a request when the SIGHUP comes.
        idle, midway = https_conn(extra, st.ca), https_conn(extra, st.ca)
        idle.sendall(get_request())
        assert read_response(idle)[0] == 200
        request = get_request()
        midway.sendall(request[:20])
        h.config.write_text(as_root_config(httpsd_config([first]), "httpsd"))
        hup(h, "reloaded (SIGHUP)")
        assert h.wait_log("stopped listening on %s:%d" % (HOST4, extra)), h.log_text()
        assert tcp_refused(extra), "%s:%d still accepts connections" % (HOST4, extra)
        midway.sendall(request[20:])
        status, _, body, _ = read_response(midway)
        assert status == 200 and b"version: STSv1" in body
        idle.sendall(get_request())
        assert read_response(idle)[0] == 200
        idle.close()
        midway.close()
        assert https_status(first, st.ca) == 200
        assert "restart httpsd" not in h.log_text(100), h.log_text(100)


def test_address_that_cannot_be_opened_changes_nothing_else(tmp_path, zc):
    """An address in use by another process, and one not on this host: both logged with the
    reason; the other options apply, and the address to be removed stays until all open."""
    check_dnsd_binary()
    for z in EXAMPLE_ZONES:
        zc.ok("zone", "import", z)
    a, b, taken = free_port(), free_port(), free_port()
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)   # another server on `taken`
    other.bind((HOST4, taken))
    other.listen(1)
    with started(tmp_path, "dnsd") as servers:
        d = servers.add(ConfigDnsd(servers.workdir(), zc.state, a, workers=2,
                                   config=dnsd_config([a, b])))
        d.start()
        d.config.write_text(dnsd_config([a, taken, "192.0.2.1:%d" % a],
                                        more="    query-log: yes\n"))
        hup(d, "reloaded (SIGHUP)")
        text = d.log_text(60)
        assert "cannot bind %s:%d: Address already in use (another server listens there)" \
            % (HOST4, taken) in text, text
        assert "cannot bind 192.0.2.1:%d: Cannot assign requested address" % a in text, text
        assert "still listening on %s:%d" % (HOST4, b) in text, text
        for port in (a, b):
            r = udp_answer(port, "mail.example.com.")
            assert isinstance(r, dns.message.Message) and r.rcode() == dns.rcode.NOERROR, r
        assert d.wait_log("mail.example.com"), d.log_text()    # query-log: applied
        # Once the address is free, the next SIGHUP completes the change.
        other.close()
        d.config.write_text(dnsd_config([a, taken]))
        hup(d, "stopped listening on %s:%d" % (HOST4, b))
        r = udp_answer(taken)
        assert isinstance(r, dns.message.Message) and r.rcode() == dns.rcode.NOERROR, r
        last = [None]

        def refused():
            last[0] = udp_answer(b, timeout=0.5)
            return isinstance(last[0], ConnectionRefusedError)
        assert wait_until(refused, 5), ("port %d still answers: %r" % (b, last[0]), d.log_text())


def test_low_port_after_the_privilege_drop():
    """Started as root for user nobody, dnsd keeps CAP_NET_BIND_SERVICE: a SIGHUP can add a
    port under 1024."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root to start dnsd as root (CI runs as root)",
                    pytrace=False)
    check_dnsd_binary()
    nobody = pwd.getpwnam("nobody")
    top = Path(tempfile.mkdtemp(prefix="lockstep-nobody-"))
    try:
        os.chown(top, nobody.pw_uid, nobody.pw_gid)
        port, low = free_port(), free_port(candidates=range(1023, 600, -1))   # root only
        with started(top, "dnsd") as servers:       # a configuration nobody can read again
            conf = "dnsd:\n    user: nobody\n    listen: %s:%d\n"
            d = servers.add(ConfigDnsd(servers.workdir(), top / "state", port, workers=2,
                                       config=conf % (HOST4, port)))
            d.start()
            d.config.write_text("dnsd:\n    user: nobody\n    listen: %s:%d %s:%d\n"
                                % (HOST4, port, HOST4, low))
            hup(d, "reloaded (SIGHUP)")
            assert "SIGHUP: listening on %s:%d" % (HOST4, low) in d.log_text(), d.log_text()
            r = udp_answer(low)        # no zone: REFUSED, but an answer from dnsd
            assert isinstance(r, dns.message.Message) and r.rcode() == dns.rcode.REFUSED, r
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("kind", ("dnsd", "httpsd"))
def test_status_names_the_new_addresses(kind, tmp_path, zc, monkeypatch):
    """systemd's STATUS= line follows a SIGHUP that changed the listen addresses."""
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(STEP_TIMEOUT)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    first, extra = free_port(), free_port()
    try:
        with started(tmp_path, kind) as servers:
            if kind == "dnsd":
                check_dnsd_binary()
                d = servers.add(ConfigDnsd(servers.workdir(), zc.state, first, workers=1,
                                           config=dnsd_config([first])))
                text = dnsd_config([first, extra])
            else:
                (tmp_path / "st").mkdir()
                st = make_state(tmp_path / "st", ["mta-sts.example.com"],
                                {"example.com": policy_text()})
                d = servers.add(ConfigHttpsd(servers.workdir(), st.dir, first, workers=1,
                                             config=httpsd_config([first])))
                text = as_root_config(httpsd_config([first, extra]), "httpsd")
            d.start()
            assert "READY=1" in sock.recv(4096).decode()
            d.config.write_text(text)
            hup(d, "reloaded (SIGHUP)")
            msg = sock.recv(4096).decode()
            assert msg.startswith("STATUS=") and \
                "%s:%d, %s:%d" % (HOST4, first, HOST4, extra) in msg, msg
    finally:
        sock.close()
