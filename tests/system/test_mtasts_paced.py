"""dnsd's rounds of rotations reach the endpoints one connection at a time (issue 17).

A round whose due work is a few rotations fetches them one after the other, so that a
change's own fetch never queues behind a burst of them at httpsd; a round with more due
(PUBLISHER_PACED_MAX, 32) keeps every fetch thread. The endpoint here is a TCP listener that
counts connections open at once and closes each after a pause: the rotations fail there and
so stay due every round (rotate-interval 1), which is what the count needs.
"""

import socket
import threading
import time

from conftest import Zonectl
from dnsd_helpers import Dnsd
from httpsd_helpers import Httpsd
from proc_helpers import free_port, started, wait_until
from sts_helpers import config_text, mx_zone_file

ZONE = "paced.test"
HOLD_S = 0.05          # each connection stays open this long
PACED_MAX = 32         # dnsd/publisher.h


class CountingEndpoint:
    """Accepts on 127.0.0.1, holds each connection hold_s, records the most open at once
    (a connection the client gave up on counts until then)."""

    def __init__(self, hold_s=HOLD_S):
        self.hold_s = hold_s
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.open = self.most = self.total = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            with self.lock:
                self.open += 1
                self.total += 1
                self.most = max(self.most, self.open)
            threading.Thread(target=self.hold, args=(c,), daemon=True).start()

    def hold(self, c):
        self.stop.wait(self.hold_s)
        with self.lock:
            self.open -= 1
        c.close()

    def reset(self):
        with self.lock:
            self.most, self.total = self.open, 0

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def enable(zc, tmp_path, names):
    lst = tmp_path / ("list%d.txt" % len(names))
    lst.write_text("\n".join(names) + "\n")
    r = zc.ok("mta-sts", "enable", "--list", lst)
    return r.out + r.err


def rotating(servers, tmp_path, ep, enabled):
    """enabled of the zone's domains published through a real httpsd by zonectl, then a dnsd
    rotating them every second against ep (fetch-timeout 1). Returns (zc, names, dnsd)."""
    zc = Zonectl(tmp_path)
    zf = tmp_path / "paced.zone"
    mx_zone_file(zf, ZONE, "d", PACED_MAX + 8)
    https_port = free_port()
    conf = config_text(zc.state, https_port)
    zc.config.write_text(conf)
    dconf = config_text(zc.state, ep.port, "  rotate-interval: 1\n").replace(
        "fetch-timeout: 3", "fetch-timeout: 1")
    zc.ok("zone", "import", zf)
    zc.ok("cert", "demo-ca")
    servers.add(Httpsd(servers.workdir(), zc.state, https_port, workers=1, config=conf)).start()
    names = ["d%04d.%s" % (i, ZONE) for i in range(PACED_MAX + 8)]
    enable(zc, tmp_path, names[:enabled])
    dnsd = servers.add(Dnsd(servers.workdir(), zc.state, free_port(), workers=1,
                            config=dconf)).start()
    return zc, names, dnsd


def test_a_few_rotations_fetch_one_at_a_time(tmp_path):
    ep = CountingEndpoint()
    try:
        with started(tmp_path, "d") as servers:
            zc, names, dnsd = rotating(servers, tmp_path, ep, 8)
            few = names[:8]

            # Eight rotations due every round: one connection at a time.
            assert wait_until(lambda: ep.total >= 3 * len(few), 30, 0.1), dnsd.log_text()
            assert ep.most == 1, "%d connections at once for %d rotations" % (ep.most, len(few))

            # Forty due: a backlog keeps the fetch threads.
            enable(zc, tmp_path, names[len(few):])
            ep.reset()
            assert wait_until(lambda: ep.total >= 2 * len(names), 30, 0.1), dnsd.log_text()
            assert ep.most > 1, "a round of %d rotations fetched one at a time" % len(names)
    finally:
        ep.close()


def test_a_paced_run_waits_for_one_slow_fetch_only(tmp_path):
    """An endpoint that never answers: each paced run tries one fetch (fetch-timeout 1 s),
    not all eight one after the other, so other work waits one timeout at most."""
    ep = CountingEndpoint(hold_s=30)
    try:
        with started(tmp_path, "d") as servers:
            _zc, _names, dnsd = rotating(servers, tmp_path, ep, 8)
            assert wait_until(lambda: ep.total >= 1, 30, 0.1), dnsd.log_text()
            ep.reset()
            time.sleep(6)
            # A run: one fetch timing out (1 s), then the publisher's pause (1 s): about 3
            # in 6 s; eight fetches in a row would be 6.
            assert 1 <= ep.total <= 4, "%d fetches started in 6 s" % ep.total
    finally:
        ep.close()
