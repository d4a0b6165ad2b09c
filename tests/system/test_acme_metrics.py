"""ACME on dnsd's /metrics (dnsd.metrics-listen): names by state, the queue, the orders this
dnsd began, finished and failed, the CA's problem types seen, and the time to the earliest
renew_at, scraped while acme_mock.py first refuses and then issues."""

import time

import pytest

from acme_helpers import env_maker
from proc_helpers import HOST4, as_root_config, free_port, wait_until
from test_acme_client_mock import ISSUE_TIMEOUT, NAME, MockEnv, rfc3339
from test_metrics import metrics, scrape

STATES = ("queued", "ordering", "validating", "issued", "renewing", "failed")


class MetricsEnv(MockEnv):
    """MockEnv whose dnsd also listens for scrapes."""

    def __init__(self, tmp, extra=""):
        super().__init__(tmp, extra)
        self.mport = free_port()
        line = "dnsd:\n  listen: 127.0.0.1:%d\n" % self.sts.dnsd.port
        assert line in self.conf_text
        text = self.conf_text.replace(
            line, line + "  metrics-listen: %s:%d\n" % (HOST4, self.mport))
        self.sts.dnsd.config.write_text(as_root_config(text, self.sts.dnsd.user_section))

    def metrics(self):
        return metrics(self.mport)


@pytest.fixture
def metrics_env(tmp_path):
    yield from env_maker(MetricsEnv, tmp_path, "mm")


def acme_samples(m):
    return {k: v for k, v in m.items() if k.startswith("dnsd_acme_")}


def test_acme_metrics_while_a_ca_refuses_then_issues(metrics_env):
    env = metrics_env()
    before = env.metrics()
    # nothing yet: every state at 0, no renew time
    for s in STATES:
        assert before['dnsd_acme_certificates{state="%s"}' % s] == 0, acme_samples(before)
    assert before["dnsd_acme_queue_length"] == 0
    assert before["dnsd_acme_orders_started_total"] == 0
    assert "dnsd_acme_next_renew_seconds" not in before, acme_samples(before)
    # zonectl's own try is told to wait 6 s; dnsd's first retry 3 s more; its second issues
    env.ca.fail_next("newOrder", 429, "rateLimited", retry_after=6)
    env.ca.fail_next("newOrder", 429, "rateLimited", retry_after=3)
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert "rateLimited" in r.err, r.out + r.err + env.logs()
    during = env.metrics()
    assert during['dnsd_acme_certificates{state="failed"}'] == 1, acme_samples(during)
    assert during['dnsd_acme_certificates{state="issued"}'] == 0, acme_samples(during)

    def issued():
        m = env.metrics()
        return m if m.get("dnsd_acme_orders_finished_total") == 1 else None
    after = wait_until(issued, ISSUE_TIMEOUT, step=0.5)
    assert after, "%s\n%s" % (acme_samples(env.metrics()), env.logs())
    a = acme_samples(after)
    # dnsd began two new orders (zonectl's is not its own): one refused, one issued
    assert a["dnsd_acme_orders_started_total"] == 2, a
    assert a["dnsd_acme_orders_failed_total"] == 1, a
    assert a['dnsd_acme_problems_total{type="rateLimited"}'] == 1, a
    assert [k for k in a if k.startswith("dnsd_acme_problems_total")] == \
        ['dnsd_acme_problems_total{type="rateLimited"}'], a
    for s in STATES:
        assert a['dnsd_acme_certificates{state="%s"}' % s] == (s == "issued"), a
    assert a["dnsd_acme_queue_length"] == 0, a
    renew_at = rfc3339(env.zc.json("cert", "status", NAME)["renew_at"])
    assert abs(a["dnsd_acme_next_renew_seconds"] - (renew_at - time.time())) < 30, a
    assert a["dnsd_acme_next_renew_seconds"] > 86400, a
    # the page stays valid text exposition: one TYPE per family
    status, _, body = scrape(env.mport)
    assert status == 200, body
    body_types = [l for l in body.splitlines() if l.startswith("# TYPE dnsd_acme_")]
    assert len(body_types) == len(set(body_types)) == 7, body_types
    env.served()

