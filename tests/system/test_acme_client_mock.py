"""Lockstep's ACME client against the test server acme_mock.py, for what Pebble 2.4 lacks:
profiles, ARI (the renewal window and `replaces`), 429 and rateLimited with Retry-After,
badNonce, a CA that forgot the account, and an order that waits for a lagging NSD secondary
before it answers the challenge."""

import datetime
import threading
import time
from pathlib import Path

import pytest

from acme_helpers import CaEnv, configure, env_maker, served_cert
from acme_mock import AcmeMock, cert_id
from conftest import EXIT_CONFLICT, EXIT_NOTFOUND, EXIT_OK, ZONES_DIR, parse_json
from proc_helpers import HOST4, started, wait_until
from sts_helpers import StsEnv
from xfr_helpers import NsdSecondary

NAME = "mta-sts.example.com"
ISSUE_TIMEOUT = 90


class MockEnv(CaEnv):
    def __init__(self, tmp, extra=""):
        tmp = Path(tmp)
        (tmp / "env").mkdir(parents=True)
        self.sts = StsEnv(tmp / "env")
        self.ca = AcmeMock(tmp / "ca", dns_servers=[(HOST4, self.sts.dnsd.port)]).start()
        self.conf_text = configure(self.sts, self.ca.directory_url, self.ca.https_ca_file,
                                   self.ca.root_file, "dns-01", extra)
        self.zc = self.sts.zc
        self.stop_ca = self.ca.stop

    def served(self):
        return served_cert(self.sts, self.ca.root_file, NAME, logs=self.logs)

    def status(self):
        return self.zc.json("cert", "status", NAME)

    def logs(self):
        return "dnsd:\n%s\nhttpsd:\n%s\nrequests: %s" % (
            self.sts.dnsd.log_text(), self.sts.httpsd.log_text(),
            [(r.kind, r.status, r.problem) for r in self.ca.requests[-20:]])


@pytest.fixture
def mock_env(tmp_path):
    yield from env_maker(MockEnv, tmp_path, "m")


def enable(env):
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    return r


def rfc3339(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def test_profile_and_short_lifetime(mock_env):
    env = mock_env(extra="  profile: shortlived\n")
    env.ca.profiles["shortlived"] = ("6 days", 6 * 86400)
    r = enable(env)
    assert "certificate issued" in r.out, r.out + r.err + env.logs()
    orders = list(env.ca.orders.values())
    assert [o.get("profile") for o in orders] == ["shortlived"]
    c = {x["name"]: x for x in env.zc.json("cert", "list")["certs"]}[NAME]
    nb, na, renew = rfc3339(c["not_before"]), rfc3339(c["not_after"]), rfc3339(c["renew_at"])
    assert abs((na - nb) - 6 * 86400) < 7200
    # under 10 days: renewed at half the lifetime (ARI's default window starts later)
    assert abs(renew - (nb + (na - nb) / 2)) < 120, c
    env.served()


def test_profile_not_offered_is_not_asked(mock_env):
    env = mock_env(extra="  profile: nosuchprofile\n")
    enable(env)
    assert [o.get("profile") for o in env.ca.orders.values()] in ([None], ["classic"])
    for r in env.ca.requests_of("newOrder"):
        assert "profile" not in (r.payload or {}), r


def test_ari_window_and_replaces(mock_env):
    env = mock_env()
    now = datetime.datetime.now(datetime.timezone.utc)
    env.ca.ari_window = (now + datetime.timedelta(days=2), now + datetime.timedelta(days=3))
    enable(env)
    first = env.status()
    renew = rfc3339(first["renew_at"])
    # the window starts long before a third of 90 days is left: renew_at moved into it
    assert now.timestamp() + 2 * 86400 - 60 <= renew <= now.timestamp() + 3 * 86400 + 60, first
    assert env.ca.requests_of("renewalInfo"), "renewalInfo never asked"
    old = list(env.ca.issued.values())[0]
    env.ca.require_replaces = True      # a renewal without `replaces` is refused
    r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    replaces = [o.get("replaces") for o in env.ca.orders.values() if o.get("replaces")]
    assert replaces == [old.cert_id], (replaces, old.cert_id)
    assert env.status()["serial"] != first["serial"]


def test_rate_limited_waits_as_told(mock_env):
    env = mock_env()
    env.ca.fail_next("newOrder", 429, "rateLimited", retry_after=8)
    t0 = time.time()
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert "waiting: certificate for %s: urn:ietf:params:acme:error:rateLimited" % NAME in r.err, \
        r.out + r.err
    st = env.status()
    assert st["state"] == "failed" and st["problem_type"].endswith(":rateLimited"), st
    nt = rfc3339(st["next_try"])
    assert t0 + 8 - 2 <= nt <= time.time() + 8 + 2, (st, t0)    # as told, not the back-off
    status = env.zc("mta-sts", "status", "example.com").out
    assert "waiting: certificate for %s: urn:ietf:params:acme:error:rateLimited" % NAME in status
    # dnsd tries again once the wait is over, and only then
    assert wait_until(lambda: env.status()["state"] == "issued", 60, step=0.5), env.logs()
    orders = env.ca.requests_of("newOrder")
    assert len(orders) == 2 and orders[0].status == 429
    env.served()


def test_bad_nonce_and_forgotten_account(mock_env):
    env = mock_env()
    env.ca.bad_nonce_next(2)
    r = enable(env)
    assert "certificate issued" in r.out, r.out + r.err + env.logs()
    assert len(env.ca.problems("badNonce")) == 2
    env.ca.forget_accounts()
    r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    assert env.ca.problems("accountDoesNotExist")
    # registered twice: once at first, once after the CA forgot it (badNonce retries aside)
    assert len([x for x in env.ca.requests_of("newAccount") if x.status == 201]) == 2
    assert len(env.zc.json("acme", "account")["accounts"]) == 1


def test_ca_problem_is_reported(mock_env):
    env = mock_env()
    env.ca.fail_next("newOrder", 400, "rejectedIdentifier", count=100)
    r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_CONFLICT
    assert "rejectedIdentifier" in r.err, r.err
    st = env.status()
    assert st["problem_type"].endswith(":rejectedIdentifier") and st["tries"] == 1, st
    # the back-off: the first retry within a minute
    assert rfc3339(st["next_try"]) - time.time() < 60


@pytest.mark.long                   # the CA's refusals take 20 s of retries
def test_check_says_the_certificate_waits(mock_env):
    """zonectl check of an own domain: state-waiting names the certificate step the CA holds
    back, with the CA's problem as `zonectl mta-sts status` says it."""
    env = mock_env()
    env.ca.fail_next("newOrder", 400, "rejectedIdentifier", count=100)
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert "rejectedIdentifier" in r.err, r.out + r.err + env.logs()
    r = env.zc("check", "example.com", "--json", "--resolver",
               "%s:%d" % (HOST4, env.sts.dnsd.port), "--ca", str(env.ca.root_file),
               "--connect-to", ":443::%d" % env.sts.https_port, "--timeout", "10", timeout=120)
    data = parse_json(r.out)
    assert "own" in data["checked"], r.out + r.err
    # the policy waits too (nothing to serve it with); the certificate is its own problem
    got = [p for p in data["problems"] if p["code"] == "state-waiting" and p["subject"] == NAME]
    assert len(got) == 1, data
    want = "waiting: certificate for %s: urn:ietf:params:acme:error:rejectedIdentifier: " % NAME
    assert got[0]["message"].startswith(want), got
    status = env.zc("mta-sts", "status", "example.com").out
    assert got[0]["message"][len("waiting: "):] in status, (status, got)
    assert r.rc == 7, r.out + r.err                     # state-waiting is an error
    # Once the CA issues, the check no longer says so.
    with env.ca._lock:
        env.ca._fail.clear()
    r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    r = env.zc("check", "example.com", "--json", "--resolver",
               "%s:%d" % (HOST4, env.sts.dnsd.port), "--ca", str(env.ca.root_file),
               "--connect-to", ":443::%d" % env.sts.https_port, "--timeout", "10", timeout=120)
    assert not [p for p in parse_json(r.out)["problems"] if p["subject"] == NAME], r.out


def test_waits_for_a_lagging_nsd_secondary(mock_env, tmp_path):
    env = mock_env()
    nsd = NsdSecondary(tmp_path / "nsd", env.sts.dnsd.port, host="127.0.0.3")
    env.zc.ok("zone", "secondaries", "example.com.", "add", nsd.address)
    env.ca.dns_servers = [(HOST4, env.sts.dnsd.port), (nsd.host, nsd.port)]
    started_at = []

    def late_start():
        time.sleep(6)
        started_at.append(time.time())
        nsd.start()
    t = threading.Thread(target=late_start)
    t.start()
    try:
        r = enable(env)
        t.join()
        assert "certificate issued" in r.out, r.out + r.err + env.logs()
        challenge = [x for x in env.ca.requests if x.kind == "challenge" and x.payload == {}]
        assert challenge
        v = env.ca.validations
        assert v and all(x.ok for x in v) and len(v[-1].seen) == 2, v
        assert started_at, "nsd never started"
    finally:
        t.join()
        nsd.stop()


def txt_present(env):
    import dns.rdatatype
    a = env.sts.dnsd.query("_acme-challenge.%s" % NAME, "TXT")
    return any(x.rdtype == dns.rdatatype.TXT for x in a.answer)


def test_kill_9_mid_validation_resumes(mock_env):
    """zonectl killed while the CA validates: the stored order is resumed (no second new
    order), the challenge TXT it left is removed by the next run, the certificate issued."""
    env = mock_env()
    env.ca.validation_delay = 4
    p = env.zc.popen("cert", "renew", NAME)
    try:
        assert wait_until(lambda: env.ca.requests_of("challenge") and txt_present(env), 30,
                          step=0.1), env.logs()
        p.kill()
    finally:
        p.wait(30)
    st = env.status()
    assert st["state"] == "validating" and st["order"], st
    assert txt_present(env)                 # left behind by the killed run
    r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    assert not txt_present(env)
    assert len(env.ca.requests_of("newOrder")) == 1, "the order was not resumed"
    assert env.status()["state"] == "issued"
    env.served()


def test_disable_deletes_the_certificate(mock_env):
    env = mock_env()
    enable(env)
    env.served()
    certdir = env.zc.state / "certs" / NAME
    assert (certdir / "fullchain.pem").exists()
    env.zc.ok("mta-sts", "disable", "--now", "example.com")
    assert not certdir.exists()
    assert NAME not in [c["name"] for c in env.zc.json("cert", "list")["certs"]]
    assert env.zc("cert", "status", NAME).rc == EXIT_NOTFOUND
    # nothing renews it: no new order, whatever dnsd does meanwhile
    time.sleep(2)
    assert len(env.ca.requests_of("newOrder")) == 1


def test_next_directory_after_repeated_failures(tmp_path, mock_env):
    """The first directory fails (nothing listens there); after three failures in a row the
    second one is used."""
    from proc_helpers import free_port
    dead = "https://localhost:%d/directory" % free_port()
    env = mock_env()
    text = env.conf_text.replace("  directory: %s" % env.ca.directory_url,
                                 "  directory: %s %s" % (dead, env.ca.directory_url))
    env.zc.config.write_text(text)
    for i in range(3):
        r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
        assert r.rc == EXIT_CONFLICT and "Connection refused" in r.err, r.err
        assert env.status()["tries"] == i + 1
    r = env.zc("cert", "renew", NAME, timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    st = env.status()
    assert st["directory"] == env.ca.directory_url and st["tries"] == 0, st


def test_orders_per_hour_queues_the_rest(mock_env):
    """orders-per-hour 1: the first domain is ordered, the second waits in the queue with its
    position (enable, status and cert list say so) and no second order goes to the CA."""
    env = mock_env(extra="  orders-per-hour: 1\n")
    env.zc.ok("zone", "import", ZONES_DIR / "example.net.zone")
    enable(env)
    r = env.zc("mta-sts", "enable", "example.net", timeout=ISSUE_TIMEOUT)
    want = "waiting: certificate for mta-sts.example.net: queued for an order (position 1"
    assert want in r.err, r.out + r.err
    assert want in env.zc("mta-sts", "status", "example.net").out
    certs = {c["name"]: c for c in env.zc.json("cert", "list")["certs"]}
    assert certs["mta-sts.example.net"]["queue_position"] == 1
    assert certs["mta-sts.example.com"]["queue_position"] is None
    time.sleep(3)                       # dnsd's ACME step runs every second: still waiting
    assert len(env.ca.requests_of("newOrder")) == 1
    assert env.zc.json("cert", "status", "mta-sts.example.net")["state"] == "queued"
