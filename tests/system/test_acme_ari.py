"""ACME Renewal Information (RFC 9773) asked again after the issue, not only at it: dnsd asks
acme_mock.py's renewalInfo when its Retry-After says (clamped to a minute at least), and
moves renew_at when the CA moved the window, and only then."""

import datetime
import time

from acme_helpers import env_maker
from conftest import EXIT_OK
from proc_helpers import wait_until
from test_acme_client_mock import ISSUE_TIMEOUT, NAME, MockEnv, rfc3339

import pytest

pytestmark = pytest.mark.long   # waits for real time: make test-long

POLL_MIN = 60           # ACME_ARI_POLL_MIN: a Retry-After under it is taken as a minute
DAY = 86400


@pytest.fixture
def ari_env(tmp_path):
    yield from env_maker(MockEnv, tmp_path, "ari")


def renew_at(env):
    return rfc3339(env.zc.json("cert", "status", NAME)["renew_at"])


def issued(env):
    """Waits (bounded) until the certificate is issued. dnsd may take the queued order before
    zonectl does; enable then returns at once and dnsd finishes the issue on its own."""
    def done():
        st = env.zc.json("cert", "status", NAME)
        return st["state"] == "issued" and st["renew_at"] is not None
    assert wait_until(done, ISSUE_TIMEOUT, step=0.2), env.logs()


def test_renewal_window_moved_after_issue_moves_renew_at(ari_env):
    env = ari_env()
    now = time.time()
    utc = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    env.ca.ari_window = (utc + datetime.timedelta(days=2), utc + datetime.timedelta(days=3))
    env.ca.ari_retry_after = 1
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    issued(env)
    first = renew_at(env)
    assert now + 2 * DAY - 60 <= first <= now + 3 * DAY + 60, first - now
    asked = len(env.ca.requests_of("renewalInfo"))
    t_issue = time.monotonic()
    # the CA moves the window: the next poll (a minute on, not the 1 s it said) follows it
    env.ca.ari_window = (utc + datetime.timedelta(days=5), utc + datetime.timedelta(days=6))
    moved = wait_until(lambda: now + 5 * DAY - 60 <= renew_at(env) <= now + 6 * DAY + 60,
                       POLL_MIN + 90, step=1)
    assert moved, "renew_at %s not moved; renewalInfo asked %d times\n%s" % (
        renew_at(env) - now, len(env.ca.requests_of("renewalInfo")), env.logs())
    assert time.monotonic() - t_issue >= POLL_MIN - 5, "Retry-After under a minute not clamped"
    polls = env.ca.requests_of("renewalInfo")
    assert len(polls) == asked + 1, [(p.status, p.path) for p in polls]
    # the same window again changes nothing; no new order was made for a poll
    moved_to = renew_at(env)
    assert wait_until(lambda: len(env.ca.requests_of("renewalInfo")) > asked + 1,
                      POLL_MIN + 90, step=1), env.logs()
    assert renew_at(env) == moved_to
    assert len(env.ca.requests_of("newOrder")) == 1
    assert env.zc.json("cert", "status", NAME)["state"] == "issued"
