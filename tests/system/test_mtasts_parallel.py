"""The publish step in parallel and in batches, as senders see it (issue 17).

1,000 domains rotate every second (rotate-interval 1), published by dnsd's timer and by a
`zonectl mta-sts publish` racing it, while a few domains of another zone get MX changes
(each published by its zonectl), with the default fetch-concurrency (64) and two httpsd
endpoints (the second on the same store), the second stopped for a while and started again.
Observers read the _mta-sts id over DNS, then fetch the policy from either endpoint: the
policy must never be older than the policy version the id stands for.
"""

import random
import threading
import time

import pytest

from conftest import Zonectl
from dnsd_helpers import Dnsd
from httpsd_helpers import Httpsd
from proc_helpers import free_port, started, wait_until
from sts_helpers import (StsEnv, id_versions, mx_level, mx_zone_file, observe,
                         published_count, rotating_config)

DOMAINS = 1000
CHANGED = 6            # domains that also get MX changes
CHANGES = 5            # each
RUN_S = 14             # observing, with rotations going on
ZONE = "mail.test"
CHG = "chg.test"       # the zone of the domains that change


@pytest.mark.long                   # 1,000 domains rotating for a minute
def test_parallel_rotation_keeps_ordering(tmp_path):
    with started(tmp_path, "d") as servers:
        # The store, a demo CA, and the zone with 1,000 domains enabled (a certificate each).
        zc = Zonectl(tmp_path)
        zf, zf2 = tmp_path / "mail.zone", tmp_path / "chg.zone"
        mx_zone_file(zf, ZONE, "d", DOMAINS)
        mx_zone_file(zf2, CHG, "c", CHANGED)
        h1, h2 = free_port(), free_port()
        conf = rotating_config(zc.state, (h1, h2), 3)
        zc.config.write_text(conf)
        zc.ok("zone", "import", zf, zf2)
        zc.ok("cert", "demo-ca")
        changed = ["c%04d.%s" % (i, CHG) for i in range(CHANGED)]
        names = changed + ["d%04d.%s" % (i, ZONE) for i in range(DOMAINS)]
        lst = tmp_path / "domains.txt"
        lst.write_text("\n".join(names) + "\n")
        zc.ok("mta-sts", "enable", "--list", lst, "--no-publish")
        # The second endpoint: another httpsd on the same store, through a state directory
        # of links (one httpsd runs per state directory).
        state2 = tmp_path / "state2"
        state2.mkdir()
        for f in ("data.mdb", "lock.mdb", "certs", "demo-ca"):
            (state2 / f).symlink_to(zc.state / f)
        https = [servers.add(Httpsd(servers.workdir(), s, p, workers=1, config=conf))
                 for s, p in ((zc.state, h1), (state2, h2))]
        for h in https:
            h.start()
        dnsd = servers.add(Dnsd(servers.workdir(), zc.state, free_port(), workers=1,
                                config=conf)).start()
        env = StsEnv.sender(dnsd, zc.state, h1)

        # dnsd publishes all 1,000 (in parallel, in batches), then rotates them.
        assert wait_until(lambda: published_count(dnsd) >= DOMAINS + CHANGED, 240, 0.5), \
            dnsd.log_text()
        assert wait_until(lambda: any(" rotated " in l for l in dnsd.log_lines()), 60, 0.5)

        samples, errors, outputs = [], [], []
        stop = threading.Event()
        watched = changed + random.Random(17).sample(names[CHANGED:], 20)

        def observer(seed):
            rnd = random.Random(seed)
            while not stop.is_set():
                d = rnd.choice(watched)
                port = rnd.choice((h1, h2))
                seen = observe(env, d, port)
                if isinstance(seen, str):
                    errors.append(seen)
                elif seen:                # None: the lagging endpoint is down
                    samples.append((d, seen[0], seen[1], port))

        observers = [threading.Thread(target=observer, args=(s,), daemon=True) for s in range(3)]
        for t in observers:
            t.start()
        racing = []

        def race():              # a second publisher, all zones, beside dnsd's timer
            r = zc("mta-sts", "publish", timeout=240)
            racing.append((r.rc, r.out, r.err))
        racer = threading.Thread(target=race, daemon=True)
        racer.start()
        t0 = time.monotonic()
        try:
            for k in range(1, CHANGES + 1):
                for d in changed:
                    r = zc("rr", "add", CHG, "%s 3600 IN MX %d mx%d.%s."
                           % (d.split(".")[0], 10 + k, k, CHG), timeout=120)
                    assert r.rc in (0, 4), r.out + r.err     # 4: a publish waits
                    outputs.append(r.out)
                if k == 2:
                    https[1].stop()          # the second endpoint lags ...
                if k == 4:
                    https[1].start()         # ... and comes back
                time.sleep(max(0.0, (RUN_S * k / CHANGES) - (time.monotonic() - t0)))
        finally:
            stop.set()
            for t in observers:
                t.join(30)
            racer.join(240)
        assert racing and racing[0][0] in (0, 4), racing
        outputs.append(racing[0][1])

        # Every change reaches DNS once both endpoints serve it.
        for d in changed:
            env.https_port = h2
            assert wait_until(lambda: mx_level(env.fetch(d, port=h1)[2]) == CHANGES and
                              mx_level(env.fetch(d, port=h2)[2]) == CHANGES, 60, 0.5)
        # A publish run in progress ends after its fetches in flight (up to fetch-timeout
        # each, longer on a loaded machine or under a sanitizer), then dnsd exits 0.
        rc, _secs, killed = dnsd.terminate(timeout=60)
        assert not killed and rc == 0, dnsd.log_text()

        # Which policy version each id stands for: from dnsd's log and zonectl's output.
        version = id_versions(dnsd.log_lines() + "\n".join(outputs).splitlines())
        assert not errors, errors[:10]
        assert len(samples) > 50, "too few observations: %d" % len(samples)
        rotated = sum(1 for l in dnsd.log_lines() + "\n".join(outputs).splitlines()
                      if " rotated" in l)
        assert rotated >= DOMAINS, "only %d rotations" % rotated
        checked = 0
        for d, i, lvl, port in samples:
            v = version.get((d, i))
            assert v is not None, "%s: id %s over DNS that no publish reported" % (d, i)
            # Version 1 is the enable's policy (mx0); each MX change made the next one.
            assert lvl + 1 >= v, ("%s: id %s stands for version %d, but port %d served the "
                                  "policy of version %d" % (d, i, v, port, lvl + 1))
            checked += d in changed and v > 1
        assert checked > 0, "no observation of a changed domain after its change"
