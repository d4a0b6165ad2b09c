"""TCP under abuse: slow but active clients holding every slot must not lock others out.

The issue's case: dnsd with `workers: 1`, 1,000 connections from 10 addresses, each sending
a query every second with its bytes dribbled over 0.1 s. Then 40 new clients (kdig +tcp, 2 s
timeout) must get at least 38 answers (before eviction: 0), and a secondary's AXFR must
succeed meanwhile. Separately, a query that starts to arrive must arrive within
tcp-io-timeout.
"""

import shutil
import socket
import struct
import subprocess
import time

import dns.message
import dns.rcode

from dnsd_helpers import dnsd_counters, dnsd_factory, make_query  # noqa: F401
from proc_helpers import as_root_config, wait_until
from tcp_dribble import DribbleAttack

KDIG = shutil.which("kdig") or "/usr/bin/kdig"
ATTACKERS = ["127.0.30.%d" % i for i in range(1, 11)]
PER_ADDRESS = 100
NEW_CLIENTS = 40
ATTACK_LIMIT = 90          # seconds: the attack ends by then whatever happens


def kdig(port, source, *args, timeout=2):
    return subprocess.run([KDIG, "@127.0.0.1", "-p", str(port), "-b", source, "+tcp",
                           "+timeout=%d" % timeout, "+retry=0"] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_slow_clients_cannot_lock_out_new_ones(dnsd_factory):
    d = dnsd_factory.start(workers=1, config=as_root_config("# defaults\n", "dnsd"))
    dnsd_factory.zc.ok("zone", "secondaries", "example.com", "add", "127.0.31.1")
    attack = DribbleAttack(d.port, ATTACKERS, PER_ADDRESS,
                           make_query("www.example.com", "A").to_wire(), ATTACK_LIMIT).start()
    try:
        assert wait_until(lambda: attack.connected >= 950 and attack.answers >= 1000, 30), \
            "the attack did not build up: %d connected, %d answers" % (attack.connected,
                                                                        attack.answers)
        ok = 0
        for i in range(NEW_CLIENTS):
            p = kdig(d.port, "127.0.32.%d" % (i + 1), "www.example.com", "A")
            ok += p.returncode == 0 and "NOERROR" in p.stdout and "192.0.2.80" in p.stdout
        # The table is still full of attackers that keep going.
        assert attack.connected >= 900, attack.connected
        # A secondary's AXFR gets a slot too, and the whole zone.
        p = kdig(d.port, "127.0.31.1", "example.com", "AXFR", timeout=5)
        axfr_soas = p.stdout.count("\tSOA\t")
    finally:
        attack.stop()
    assert ok >= 38, "only %d of %d new clients got an answer" % (ok, NEW_CLIENTS)
    assert axfr_soas == 2, "AXFR during the attack failed:\n" + p.stdout + p.stderr
    assert d.running(), d.log_text()
    # The table was full: someone made way (a new client that closes frees its slot again,
    # so one eviction can serve several). dnsd writes its counters every second.
    assert wait_until(lambda: dnsd_counters(d.state).get("tcp.evicted", 0) >= 1, 5), \
        dnsd_counters(d.state)


def test_query_must_arrive_within_io_timeout(dnsd_factory):
    d = dnsd_factory.start(config=as_root_config(
        "dnsd:\n    tcp-io-timeout: 1\n    tcp-idle-timeout: 20\n", "dnsd"))
    wire = make_query("www.example.com", "A").to_wire()
    slow = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    idle = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    slow.sendall(struct.pack("!H", len(wire)) + wire[:3])    # a query begun, never finished
    start = time.monotonic()
    assert slow.recv(1) == b"", "the half-sent query's connection was not closed"
    took = time.monotonic() - start
    assert 0.5 < took < 4, "closed after %.1f s, want tcp-io-timeout (1 s)" % took
    # A connection between queries waits for tcp-idle-timeout, and still answers.
    idle.sendall(struct.pack("!H", len(wire)) + wire)
    head = idle.recv(2)
    assert len(head) == 2
    answer = b""
    need = struct.unpack("!H", head)[0]
    while len(answer) < need:
        answer += idle.recv(need - len(answer))
    assert dns.message.from_wire(answer).rcode() == dns.rcode.NOERROR
    slow.close()
    idle.close()
