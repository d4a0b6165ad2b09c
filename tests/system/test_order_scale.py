"""The ordering at provider scale, with an endpoint that really lags (issue 17).

1,000 domains, one zone each, made by `zonectl zone import --dir` and `zonectl mta-sts enable
--list -`, rotate every second (rotate-interval 1) while a random subset of them gets MX
changes. Of the two httpsd endpoints the second serves a copy of the store (`zonectl
backup`), so it serves old policies until it is stopped, given a fresh copy and restarted, as
a replica that lags would; once it is also frozen (SIGSTOP) for a while. Observers read the
`_mta-sts` id over DNS from dnsd, then fetch the policy from either endpoint: the policy must
never be older than the policy version the id stands for. The test also checks that the
second endpoint did serve old policies while ids were rotating, so the publisher had to wait
for it rather than the ordering holding by luck.
"""

import os
import random
import signal
import threading
import time

import dns.exception
import pytest

from conftest import Zonectl
from dnsd_helpers import Dnsd
from httpsd_helpers import Httpsd
from proc_helpers import free_port, started, wait_until
from sts_helpers import (StsEnv, id_versions, mx_level, observe, published_count,
                         rotating_config)

DOMAINS = 1000
CHANGED = 24            # domains that also get MX changes (a random subset)
PER_ROUND = 8           # of those, changed in one round
RUN_S = 30              # observing, with rotations and changes going on, at least ...
RUN_MAX_S = 180         # ... and on a loaded machine until MIN_OBSERVATIONS, at most this
SYNC_S = 4              # the lagging endpoint gets a fresh copy this often
FROZEN_S = 4            # once, it is stopped with SIGSTOP for this long
OBSERVERS = 4
MIN_OBSERVATIONS = 300
STOP_S = 60             # SIGTERM to exit, on a machine under load
MIN_ROTATIONS_SEEN = 10


def domain(i):
    return "o%04d.test" % i


def write_zones(zdir):
    zdir.mkdir()
    for i in range(DOMAINS):
        d = domain(i)
        (zdir / ("%s.zone" % d)).write_text(
            "$ORIGIN %s.\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
            "@ IN NS ns1\nns1 IN A 192.0.2.1\n@ 3600 IN MX 10 mx0\nmx0 IN A 192.0.2.25\n" % d)


def stopped(daemon):
    """SIGTERM and exit 0, with time for a loaded machine (Daemon.stop allows 3 s)."""
    rc, _secs, killed = daemon.terminate(timeout=STOP_S)
    assert not killed and rc == 0, "%s: exit %s%s\n%s" % (
        daemon.name, rc, " (killed)" if killed else "", daemon.log_text())


class Lagging:
    """The second endpoint: httpsd on a copy of the store, refreshed every SYNC_S seconds."""

    def __init__(self, zc, httpsd):
        self.zc, self.httpsd, self.n = zc, httpsd, 0

    def copy(self):
        """A consistent copy of the live store becomes the endpoint's store (while it is down)."""
        self.n += 1
        tmp = self.httpsd.state / ("copy-%d.mdb" % self.n)
        self.zc.ok("backup", tmp, timeout=120)
        os.replace(tmp, self.httpsd.state / "data.mdb")

    def resync(self):
        stopped(self.httpsd)
        self.copy()
        self.httpsd.start()

    def freeze(self, secs, stop):
        self.httpsd.proc.send_signal(signal.SIGSTOP)
        try:
            stop.wait(secs)
        finally:
            self.httpsd.proc.send_signal(signal.SIGCONT)


@pytest.mark.long
def test_lagging_endpoint_keeps_ordering_at_scale(tmp_path):
    rnd = random.Random(1717)
    with started(tmp_path, "d") as servers:
        zc = Zonectl(tmp_path)
        zdir = tmp_path / "zones"
        write_zones(zdir)
        h1, h2 = free_port(), free_port()
        conf = rotating_config(zc.state, (h1, h2), 2)
        zc.config.write_text(conf)
        r = zc.ok("zone", "import", "--dir", zdir, timeout=300)
        assert len(zc.zones()) == DOMAINS, r.out + r.err
        zc.ok("cert", "demo-ca")
        names = [domain(i) for i in range(DOMAINS)]
        zc.ok("mta-sts", "enable", "--list", "-", "--no-publish", input="\n".join(names) + "\n",
              timeout=600)

        state2 = tmp_path / "state2"
        state2.mkdir()
        for f in ("certs", "demo-ca"):
            (state2 / f).symlink_to(zc.state / f)
        https1 = servers.add(Httpsd(servers.workdir(), zc.state, h1, workers=1, config=conf))
        https2 = servers.add(Httpsd(servers.workdir(), state2, h2, workers=1, config=conf))
        lag = Lagging(zc, https2)
        lag.copy()
        https1.start()
        https2.start()
        dnsd = servers.add(Dnsd(servers.workdir(), zc.state, free_port(), workers=1,
                                config=conf)).start()
        env = StsEnv.sender(dnsd, zc.state, h1)

        assert wait_until(lambda: published_count(dnsd) >= DOMAINS, 300, 0.5), \
            "%d of %d published\n%s" % (published_count(dnsd), DOMAINS, dnsd.log_text())

        picked = rnd.sample(names, 2 * CHANGED)
        changed, watched = picked[:CHANGED], picked[CHANGED:]   # watched: rotations only
        made = {d: 0 for d in changed}         # MX changes committed per domain
        made_at = []                           # (monotonic time committed, domain, k)
        made_lock = threading.Lock()
        samples, errors, timeouts, lagged = [], [], [0], [0]
        outputs = []
        stop = threading.Event()

        def observer(seed):
            o = random.Random(seed)
            while not stop.is_set():
                x = o.random()
                d = o.choice(changed if x < 0.4 else watched if x < 0.8 else names)
                port = o.choice((h1, h2))
                t0 = time.monotonic()
                try:
                    seen = observe(env, d, port)
                except dns.exception.Timeout:
                    timeouts[0] += 1
                    continue
                if isinstance(seen, str):
                    errors.append(seen)
                elif seen:                     # None: the lagging endpoint is down
                    samples.append((d, seen[0], seen[1], port, t0))

        def lagging():
            frozen = False
            try:
                while not stop.wait(SYNC_S):
                    if not frozen and time.monotonic() - t_run > RUN_S / 2:
                        frozen = True
                        lag.freeze(FROZEN_S, stop)
                    lag.resync()
            except (Exception, pytest.fail.Exception) as e:
                errors.append("the lagging endpoint: %s" % e)

        observers = [threading.Thread(target=observer, args=(s,), daemon=True)
                     for s in range(OBSERVERS)]
        lagger = threading.Thread(target=lagging, daemon=True)
        t_run = time.monotonic()
        for t in observers + [lagger]:
            t.start()
        try:
            while time.monotonic() - t_run < RUN_S or (
                    len(samples) < 2 * MIN_OBSERVATIONS and time.monotonic() - t_run < RUN_MAX_S):
                for d in rnd.sample(changed, PER_ROUND):
                    k = made[d] + 1
                    r = zc("rr", "add", d, "@ 3600 IN MX %d mx%d.%s." % (10 + k, k, d), timeout=120)
                    assert r.rc in (0, 4), r.out + r.err    # 4: the publish waits
                    with made_lock:
                        made[d] = k
                        made_at.append((time.monotonic(), d, k))
                    outputs.append(r.out)
                try:                          # right after the change, usually before a copy
                    lagged[0] += mx_level(env.fetch(d, port=h2)[2]) < k
                except OSError:
                    pass
                stop.wait(1)
        finally:
            stop.set()
            for t in observers + [lagger]:
                t.join(60)
        assert not lagger.is_alive(), "the lagging endpoint's thread did not end"
        assert not errors, errors[:10]

        # With a fresh copy the lagging endpoint serves every change, and dnsd publishes it.
        lag.resync()
        def converged(d):
            try:
                served = mx_level(env.fetch(d, port=h2)[2])
            except OSError:
                return False              # a handshake timed out on a loaded machine
            return served == made[d] and zc.json("mta-sts", "status", d)["domains"][0][
                "published_version"] == made[d] + 1
        for d in changed:
            if made[d]:
                assert wait_until(lambda: converged(d), 120, 0.5), \
                    "%s: change %d not published\n%s" % (d, made[d], dnsd.log_text())
        for d in (dnsd, https1, https2):
            stopped(d)

        # Which policy version each id stands for: from dnsd's log and zonectl's output.
        logged = dnsd.log_lines() + "\n".join(outputs).splitlines()
        version = id_versions(logged)
        checked = stale = 0
        for d, i, lvl, port, t0 in samples:
            v = version.get((d, i))
            assert v is not None, "%s: id %s over DNS that no publish reported" % (d, i)
            assert lvl + 1 >= v, ("%s: id %s stands for policy version %d, but port %d served "
                                  "the policy of version %d" % (d, i, v, port, lvl + 1))
            checked += v > 1
            # The lagging endpoint served a policy older than one committed before this look.
            newest = max([k for t, dd, k in made_at if dd == d and t < t0], default=0)
            stale += port == h2 and lvl < newest
        stale += lagged[0]
        ids = {}
        for d, i, _lvl, _p, _t in samples:
            ids.setdefault(d, set()).add(i)
        seen_rotations = sum(len(s) - 1 for s in ids.values())
        print("order_scale: %d observations, %d id changes seen, %d rotations logged, %d "
              "looks at a changed domain's new policy, %d old policies from the lagging "
              "endpoint, %d DNS timeouts" % (len(samples), seen_rotations,
                                             sum(1 for l in logged if " rotated" in l), checked,
                                             stale, timeouts[0]))
        assert len(samples) >= MIN_OBSERVATIONS, "too few observations: %d (%d DNS timeouts)" \
            % (len(samples), timeouts[0])
        assert sum(1 for l in logged if " rotated" in l) >= DOMAINS
        assert seen_rotations >= MIN_ROTATIONS_SEEN, "observers saw %d id changes" % seen_rotations
        assert checked > 0, "no observation of a changed domain after its change"
        assert stale > 0, "the second endpoint never served an old policy: it did not lag"
