"""The API's counters in httpsd's /metrics (httpsd.metrics-listen) and in the PowerDNS
statistics: answers by route kind and status class, failed authentications, 429s, durable
commits with their latency, and the group commit (fewer commits than committed requests when
clients PATCH at once)."""

import re
import threading
import urllib.request

import pytest

from api_helpers import PREFIX, api_env_started
from proc_helpers import free_port

Z = PREFIX + "/zones/example.com."
CLIENTS = 16
ROUNDS = 20
LINE = re.compile(r'^(httpsd_api_[a-z_]+)(\{[^}]*\})? (\S+)$')


@pytest.fixture
def env(tmp_path):
    mport = free_port()
    with api_env_started(tmp_path, "httpsd:\n  metrics-listen: 127.0.0.1:%d\n" % mport) as e:
        e.metrics_port = mport
        yield e


def scrape(env):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % env.metrics_port,
                                timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def req(kind, cls):
    return 'httpsd_api_requests_total{kind="%s",class="%s"}' % (kind, cls)


def patch(name, address):
    return {"rrsets": [{"name": name, "type": "A", "ttl": 60, "changetype": "REPLACE",
                        "records": [{"content": address, "disabled": False}]}]}


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def test_requests_auth_failures_and_429s_are_counted(env):
    api = env.api
    m0 = scrape(env)
    assert req("zones", "2xx") in m0, sorted(m0)
    assert api.call("GET", PREFIX + "/zones").status == 200
    assert api.call("PATCH", Z, patch("m.example.com.", "192.0.2.7")).status == 204
    assert api.call("PATCH", Z, patch("m.example.com.", "not-an-address")).status == 422
    assert api.call("GET", Z + "/mta-sts").status == 200
    assert api.call("GET", "/ui/").status == 200
    bad = [api.call("GET", PREFIX + "/zones", key="wrong-%d" % i).status for i in range(25)]
    assert bad.count(401) >= 1 and bad.count(429) >= 1, bad
    m1 = scrape(env)
    assert delta(m0, m1, req("zones", "2xx")) == 1
    assert delta(m0, m1, req("rrsets", "2xx")) == 1
    assert delta(m0, m1, req("rrsets", "4xx")) == 1
    assert delta(m0, m1, req("mta-sts", "2xx")) == 1
    assert delta(m0, m1, req("static", "2xx")) == 1
    assert delta(m0, m1, req("zones", "4xx")) == 25
    assert delta(m0, m1, "httpsd_api_auth_failures_total") == bad.count(401)
    assert delta(m0, m1, "httpsd_api_rate_limited_total") == bad.count(429)
    assert delta(m0, m1, "httpsd_api_committed_requests_total") == 1
    assert delta(m0, m1, "httpsd_api_commit_seconds_count") == 1
    assert delta(m0, m1, "httpsd_api_commit_seconds_sum") > 0
    # The same counters as PowerDNS statistics items.
    stats = {s["name"]: int(s["value"]) for s in api.call("GET", PREFIX + "/statistics").json}
    assert stats["api-rate-limited"] == m1["httpsd_api_rate_limited_total"]
    assert stats["api-committed-requests"] == m1["httpsd_api_committed_requests_total"]


def test_group_commit_makes_fewer_commits_than_requests(env):
    m0 = scrape(env)
    sent = 0
    for r in range(ROUNDS):
        gate = threading.Barrier(CLIENTS)
        answers = []

        def one(i):
            gate.wait()
            answers.append(env.api.call("PATCH", Z, patch("p%02d.example.com." % i,
                                                          "192.0.2.%d" % (r + 1))).status)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert answers == [204] * CLIENTS
        sent += CLIENTS
        m1 = scrape(env)
        assert delta(m0, m1, "httpsd_api_committed_requests_total") == sent
        if delta(m0, m1, "httpsd_api_commit_seconds_count") < sent:
            return      # at least one commit carried several PATCHes
    pytest.fail("%d concurrent PATCHes, every one its own commit: no group commit" % sent)
