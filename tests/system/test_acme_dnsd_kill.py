"""dnsd killed with SIGKILL in the middle of an ACME order it runs itself (after newOrder,
while acme_mock.py validates the challenge): the restarted dnsd resumes the order or starts a
new one, the challenge TXT is gone within one retry period, and the certificate lands."""

import time

import pytest

from acme_helpers import env_maker
from proc_helpers import wait_until
from test_acme_client_mock import ISSUE_TIMEOUT, NAME, MockEnv, txt_present

RETRY_PERIOD = 60       # the first retry after a failure comes within a minute


@pytest.fixture
def kill_env(tmp_path):
    yield from env_maker(MockEnv, tmp_path, "k")


def test_dnsd_killed_mid_validation(kill_env):
    env = kill_env()
    env.ca.validation_delay = 6
    # zonectl's own try is refused, so the order is dnsd's: it tries again 2 s later
    env.ca.fail_next("newOrder", 429, "rateLimited", retry_after=2)
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert "rateLimited" in r.err, r.out + r.err + env.logs()
    assert wait_until(lambda: env.ca.requests_of("challenge") and txt_present(env), 60,
                      step=0.1), env.logs()
    st = env.status()
    assert st["state"] in ("ordering", "validating") and st["order"], st
    assert [x.status for x in env.ca.requests_of("newOrder")] == [429, 201]
    env.sts.dnsd.kill()
    env.sts.dnsd.start()
    restarted = time.monotonic()
    assert wait_until(lambda: env.status()["state"] == "issued", ISSUE_TIMEOUT, step=0.5), \
        "%s\n%s" % (env.status(), env.logs())
    # no TXT of ours left behind, and it went within one retry period of the restart
    assert wait_until(lambda: not txt_present(env), 5, step=0.2), env.logs()
    assert time.monotonic() - restarted < RETRY_PERIOD + 30, env.logs()
    # resumed (one order after the refused one) or a new one: never more than that
    assert len([x for x in env.ca.requests_of("newOrder") if x.status == 201]) in (1, 2)
    env.served()
