"""SIGHUP to httpsd reaches the API process: its api.* settings take effect after a reload (a
new API process takes the sockets, the old one finishes the requests it has begun), and a file
with a bad api: section is refused with the settings in force kept."""

import json
import re
import signal
import socket

import pytest

from api_helpers import PREFIX, api_env_started
from httpsd_helpers import read_response
from proc_helpers import as_root_config, wait_until

Z = PREFIX + "/zones/example.com."
LOG_WAIT = 15


@pytest.fixture
def env(tmp_path):
    with api_env_started(tmp_path, api_extra="  max-body: 4096\n") as e:
        yield e


def body(address, pad=0):
    b = {"rrsets": [{"name": "r.example.com.", "type": "A", "ttl": 60, "changetype": "REPLACE",
                     "records": [{"content": address, "disabled": False}]}]}
    return (json.dumps(b) + " " * pad).encode()


def count(e, pattern):
    return sum(1 for line in e.httpsd.log_lines() if re.search(pattern, line))


def hup(e, text, expect):
    """Writes the configuration, sends SIGHUP, waits for one more log line matching expect."""
    e.httpsd.config.write_text(as_root_config(text, "httpsd"))
    before = count(e, expect)
    e.httpsd.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: count(e, expect) > before, LOG_WAIT), e.httpsd.log_text()


def api_pids(e):
    return re.findall(r"API process (\d+) serves", e.httpsd.log_text())


def test_reload_applies_api_settings_and_finishes_requests_begun(env):
    big = body("192.0.2.2", 6000)
    assert env.api.call("PATCH", Z, raw=big).status == 413
    # A request begun before the reload: head and half its body.
    slow = body("192.0.2.1")
    s = socket.create_connection(("127.0.0.1", env.api.port), timeout=10)
    s.sendall(("PATCH %s HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\nContent-Type: "
               "application/json\r\nContent-Length: %d\r\n\r\n"
               % (Z, env.key, len(slow))).encode() + slow[:10])
    first = api_pids(env)
    hup(env, env.conf_text.replace("max-body: 4096", "max-body: 65536"), r"takes over from")
    assert len(api_pids(env)) == len(first) + 1
    # The new process has the new limit; the old one still answers what it began.
    assert wait_until(lambda: env.api.call("PATCH", Z, raw=big).status == 204, LOG_WAIT)
    s.sendall(slow[10:])
    status = read_response(s)[0]
    s.close()
    assert status == 204
    assert wait_until(lambda: count(env, r"ended after its last requests") == 1, LOG_WAIT), \
        env.httpsd.log_text()
    assert "192.0.2.2" in env.zc.export("example.com")
    # A bad api: section: refused, the settings in force stay, the process too.
    pids = api_pids(env)
    hup(env, env.conf_text.replace("max-body: 4096", "max-body: banana"),
        r"configuration in force stays")
    assert api_pids(env) == pids
    assert env.api.call("PATCH", Z, raw=body("192.0.2.3", 6000)).status == 204
    assert env.api.call("PATCH", Z, raw=body("192.0.2.4", 70000)).status == 413
