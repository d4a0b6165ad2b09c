"""The mta-sts resource's `check` field: the domain's last stored watch result (zonectl watch):
status, problem codes with their levels, time; null before the first run."""

import re

import pytest

from api_helpers import PREFIX, api_env_started
from proc_helpers import free_port

R = PREFIX + "/zones/example.com./mta-sts"
RUN_TIMEOUT = 60


@pytest.fixture
def env(tmp_path):
    with api_env_started(tmp_path) as e:
        yield e


def test_check_is_the_last_watch_result(env):
    a = env.api.call("GET", R)
    assert a.status == 200 and a.json["check"] is None, a
    # No resolver at that address: every record is missing, so the check finds errors.
    nobody = "127.0.0.1:%d" % free_port()
    env.zc.ok("watch", "add", "example.com", "--resolver", nobody, "--timeout", "3")
    r = env.zc("watch", "run", "example.com", timeout=RUN_TIMEOUT)
    assert r.rc != 0, r
    a = env.api.call("GET", R)
    assert a.status == 200, a
    check = a.json["check"]
    assert set(check) == {"status", "problems", "time"}, check
    assert check["status"] == "error", check
    codes = {p["code"]: p["level"] for p in check["problems"]}
    assert codes.get("sts-txt-missing") == "error", check
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", check["time"]), check
    # The same as zonectl shows.
    shown = env.zc.json("watch", "list")["domains"]
    assert [d["status"] for d in shown if d["domain"] == "example.com"] == ["error"], shown
