"""A renewal failing 14 days (or less) before expiry logs at error level once a day: a 6-day
certificate from acme_mock.py (so it is always that close to expiry, no clock tricks), the
CA moving its renewal window into the past after the issue (dnsd asks again a minute later),
then refusing every new order. dnsd's first failed renewal is an error; the retry after the
back-off is a warning, the next error a day after the first (the day itself:
test_urgent_daily in tests/unit/test_acme.c)."""

import datetime
import re

import pytest

from acme_helpers import env_maker
from conftest import EXIT_OK
from proc_helpers import wait_until
from test_acme_client_mock import ISSUE_TIMEOUT, NAME, MockEnv

pytestmark = pytest.mark.long   # waits for real time: make test-long

POLL_MIN = 60           # ACME_ARI_POLL_MIN
RETRY_FIRST = 60        # the first retry after a failure comes within a minute
URGENT = re.compile(r"^error dnsd: acme: %s: renewal failing and the certificate expires "
                    r"within 14 days: urn:ietf:params:acme:error:rejectedIdentifier: "
                    % re.escape(NAME))
WAITING = re.compile(r"^warning dnsd: acme: %s: waiting: "
                     r"urn:ietf:params:acme:error:rejectedIdentifier: .*\(try 2\)$"
                     % re.escape(NAME))


@pytest.fixture
def urgent_env(tmp_path):
    yield from env_maker(MockEnv, tmp_path, "u")


def test_failing_renewal_near_expiry_is_an_error_once_a_day(urgent_env):
    env = urgent_env(extra="  profile: shortlived\n")
    env.ca.profiles["shortlived"] = ("6 days", 6 * 86400)
    env.ca.ari_retry_after = 1
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err + env.logs()
    # from now on: the window says "renew now", and the CA refuses every new order
    now = datetime.datetime.now(datetime.timezone.utc)
    env.ca.ari_window = (now - datetime.timedelta(hours=2), now - datetime.timedelta(hours=1))
    env.ca.fail_next("newOrder", 400, "rejectedIdentifier", count=1000)
    lines = env.sts.dnsd.log_lines
    assert wait_until(lambda: any(URGENT.match(l) for l in lines()),
                      POLL_MIN + 60, step=0.5), env.logs()
    assert wait_until(lambda: any(WAITING.match(l) for l in lines()),
                      RETRY_FIRST + 30, step=0.5), env.logs()
    urgent = [l for l in lines() if URGENT.match(l)]
    assert len(urgent) == 1, urgent           # the retry was not a second error that day
    refused = [x for x in env.ca.requests_of("newOrder") if x.status == 400]
    assert len(refused) >= 2, refused
    st = env.zc.json("cert", "status", NAME)
    assert st["problem_type"].endswith(":rejectedIdentifier") and st["tries"] >= 2, st
