"""UDP under load: a worker whose socket fills whole recvmmsg batches reads it off epoll
(drain, dnsd/udp.c) until a read finds less than a batch, then epoll watches it again.

The queries are queued while dnsd is stopped (SIGSTOP), so that its first reads find full
batches whatever the machine's speed; the test then checks that every query was answered
rightly, that an UPDATE among them was answered too, that dnsd went back to epoll (it
answers a lone query, and it no longer spins: an idle handle left running would burn a
core), and that a SIGHUP closing the address while the worker drains it ends cleanly.
"""

import os
import signal
import socket
import time

import dns.message
import dns.query
import dns.rcode
import dns.update

from dnsd_helpers import (DNSD, EXAMPLE_ZONES, HOST4, Dnsd, assert_rcode,  # noqa: F401
                          dnsd_counters, dnsd_factory, find, make_query, rdatas)
from proc_helpers import as_root_config, cpu_seconds, free_port, wait_until

QUEUED = 160              # 10 batches of 16: about 100 KB of socket buffer
ANSWER_WAIT = 10          # seconds for all the answers to come back


def queue_while_stopped(d, wires, sock):
    """Sends every message while dnsd is stopped; they wait in its socket buffer."""
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        for w in wires:
            sock.sendto(w, (HOST4, d.port))
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)


def collect(sock, n, deadline):
    """Up to n answers by message id, until the deadline."""
    got = {}
    sock.settimeout(0.2)
    while len(got) < n and time.monotonic() < deadline:
        try:
            data = sock.recv(65535)
        except socket.timeout:
            continue
        m = dns.message.from_wire(data)
        got[m.id] = m
    return got


def test_full_batches_drain_then_epoll_again(dnsd_factory):
    d = dnsd_factory.start(workers=1, config=as_root_config("# defaults\n", "dnsd"))
    names = ["www.example.com", "mail.example.com", "nothere.example.com"]
    wires, want = [], {}
    for i in range(QUEUED):
        q = make_query(names[i % 3], "A")
        q.id = i + 1
        wires.append(q.to_wire())
        want[q.id] = names[i % 3]
    # An UPDATE in the middle: dnsd refuses it (no update policy), but must answer it.
    up = dns.update.UpdateMessage("example.com")
    up.add("new", 300, "A", "192.0.2.99")
    up.id = QUEUED + 1
    wires.insert(QUEUED // 2, up.to_wire())
    before = dnsd_counters(d.state).get("udp.drains", 0)

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        queue_while_stopped(d, wires, s)
        got = collect(s, QUEUED + 1, time.monotonic() + ANSWER_WAIT)
    finally:
        s.close()

    assert len(got) == QUEUED + 1, "%d of %d answers" % (len(got), QUEUED + 1)
    for i, name in want.items():
        r = got[i]
        if name == "nothere.example.com":
            assert_rcode(r, dns.rcode.NXDOMAIN)
        else:
            assert_rcode(r, dns.rcode.NOERROR)
            assert find(r, "answer", name, "A") is not None, r.to_text()
    assert got[QUEUED + 1].rcode() == dns.rcode.REFUSED, got[QUEUED + 1].to_text()
    # The full batches sent the socket to drain (the counters are written every second).
    assert wait_until(lambda: dnsd_counters(d.state).get("udp.drains", 0) > before, 5), \
        "no drain counted: %r" % dnsd_counters(d.state)

    # Back on epoll: a lone query is answered, and an idle dnsd uses (almost) no CPU.
    r = d.query("www.example.com", "A")
    assert "192.0.2.80" in rdatas(find(r, "answer", "www.example.com", "A"))
    c0 = cpu_seconds(d.proc.pid)
    time.sleep(1.0)
    idle = cpu_seconds(d.proc.pid) - c0
    assert idle < 0.3, "dnsd used %.2f s of CPU in 1 s of quiet: still draining?" % idle
    d.assert_alive()


class ConfigDnsd(Dnsd):
    """dnsd taking its listen addresses from the configuration (no --listen), as SIGHUP
    changes them only there."""

    def argv(self):
        return [str(DNSD), "--state", str(self.state), "-c", str(self.config), "--workers", "1"]


def listen_config(port):
    return as_root_config("dnsd:\n    listen: %s:%d\n" % (HOST4, port), "dnsd")


def test_sighup_closes_an_address_while_it_drains(dnsd_factory):
    """The drained socket's address leaves dnsd.listen: the worker stops draining it and
    closes it; the new address answers."""
    port1, port2 = free_port(), free_port()
    zc, servers = dnsd_factory.zc, dnsd_factory.servers
    for z in EXAMPLE_ZONES:
        zc.ok("zone", "import", z)
    d = servers.add(ConfigDnsd(servers.workdir(), zc.state, port1,
                               config=listen_config(port1))).start()
    wires = []
    for i in range(QUEUED):
        q = make_query("www.example.com", "A")
        q.id = i + 1
        wires.append(q.to_wire())
    d.config.write_text(listen_config(port2))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            for w in wires:
                s.sendto(w, (HOST4, port1))
            os.kill(d.proc.pid, signal.SIGHUP)     # handled once it runs again
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)
        got = collect(s, QUEUED, time.monotonic() + 3)
    finally:
        s.close()
    assert got, "no answer at all from the address being closed"
    assert wait_until(lambda: "stopped listening on %s:%d" % (HOST4, port1) in d.log_text(),
                      10), d.log_text()
    r = dns.query.udp(make_query("www.example.com", "A"), HOST4, port=port2, timeout=2)
    assert_rcode(r, dns.rcode.NOERROR)
    assert "192.0.2.80" in rdatas(find(r, "answer", "www.example.com", "A"))
    assert d.running(), d.log_text()
