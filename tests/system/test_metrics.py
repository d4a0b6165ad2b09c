"""Prometheus metrics: dnsd.metrics-listen and httpsd.metrics-listen (issue 16, "Logs and metrics").

Both daemons run on one state directory with metrics-listen on free loopback ports. The tests
send DNS queries (dnspython) and HTTPS requests (Python ssl), scrape GET /metrics and check that
each counter moved by exactly what was sent; `promtool check metrics` must find nothing in either
page; and a real Prometheus (Debian's `prometheus`), scraping both every second, must report both
targets up and show dnsd's query counter through its HTTP API. Every wait is bounded.
"""

import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.parse
import urllib.request

import dns.edns
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import pytest

from dnsd_helpers import DNSD, start_dnsd
from httpsd_helpers import (HTTPSD, Httpsd, get_request, policy_text, read_response,
                            make_state)
from proc_helpers import HOST4, free_port, kill_process, started, stop_process
from sts_helpers import sts_factory  # noqa: F401  (a fixture)

PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
SCRAPE_TIMEOUT = 5          # seconds for one GET /metrics
SETTLE_TIMEOUT = 10         # seconds for counters to show what was sent
PROMETHEUS_TIMEOUT = 90     # seconds for Prometheus to start and scrape both targets
HOST = "mta-sts.example.com"
BODY = policy_text()

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def tool(path):
    if not os.access(path, os.X_OK):
        pytest.fail("%s is missing: `make deps` installs the prometheus package" % path,
                    pytrace=False)
    return path


def scrape(port, path="/metrics", method="GET"):
    """(status, headers, body text) of one request to a metrics listener."""
    c = http.client.HTTPConnection(HOST4, port, timeout=SCRAPE_TIMEOUT)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        c.close()


def samples(text):
    """{'name{labels}': value} of every sample line of a page."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def metrics(port):
    status, headers, body = scrape(port)
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    return samples(body)


def wait_delta(port, before, want):
    """Scrapes until every key of want moved by exactly its value from before (or the
    deadline); returns the last scrape. Counters move on worker threads, so the last answer
    a client got may be counted a moment after it left."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        now = metrics(port)
        got = {k: now.get(k, 0) - before.get(k, 0) for k in want}
        if got == want or time.monotonic() > deadline:
            assert got == want, "counters moved by %r, expected %r" % (got, want)
            return now
        time.sleep(0.1)


@pytest.fixture
def both(tmp_path):
    """(dnsd, dnsd metrics port, httpsd, httpsd metrics port, state) on one state directory."""
    for path in (DNSD, HTTPSD):
        if not os.access(path, os.X_OK):
            pytest.fail("%s is missing: make all" % path, pytrace=False)
    st = make_state(tmp_path, [HOST], {"example.com": BODY})
    dport, hport = free_port(), free_port()
    with started(tmp_path, "m") as servers:
        d = start_dnsd(servers, st.zc, workers=2,
                       config="dnsd:\n    metrics-listen: %s:%d\n"
                              "mta-sts:\n    publisher: no\n" % (HOST4, dport))
        h = servers.add(Httpsd(servers.workdir(), st.dir, free_port(), workers=2,
                               config="httpsd:\n    metrics-listen: %s:%d\n" % (HOST4, hport)))
        h.start()
        yield d, dport, h, hport, st


def test_dnsd_counters_move_by_what_was_sent(both):
    d, port, _, _, _ = both
    before = metrics(port)
    for _ in range(3):
        assert d.query("www.example.com", "A").rcode() == dns.rcode.NOERROR
    assert d.query("nothing.example.com", "AAAA").rcode() == dns.rcode.NXDOMAIN
    for _ in range(2):
        assert d.query("example.com", "MX", tcp=True).rcode() == dns.rcode.NOERROR
    # 127.0.0.1 is no secondary of example.com: the AXFR is refused (NOTAUTH, as Knot).
    r = d.send(dns.message.make_query("example.com", "AXFR"), tcp=True)
    assert r.rcode() == dns.rcode.NOTAUTH
    # A client cookie, then the server cookie it got back: one of each kind.
    q = dns.message.make_query("www.example.com", "A")
    q.use_edns(0, options=[dns.edns.GenericOption(10, b"12345678")])
    cookie = [o.data for o in d.send(q).options if o.otype == 10][0]
    q.use_edns(0, options=[dns.edns.GenericOption(10, cookie)])
    assert d.send(q).rcode() == dns.rcode.NOERROR
    after = wait_delta(port, before, {
        'dnsd_cookies_total{kind="client"}': 1,
        'dnsd_cookies_total{kind="valid"}': 1,
        'dnsd_cookies_total{kind="bad"}': 0,
        'dnsd_rrl_total{action="dropped"}': 0,
        'dnsd_queries_total{transport="udp"}': 6,
        'dnsd_queries_total{transport="tcp"}': 3,
        'dnsd_queries_by_type_total{type="A"}': 5,
        'dnsd_queries_by_type_total{type="AAAA"}': 1,
        'dnsd_queries_by_type_total{type="MX"}': 2,
        'dnsd_queries_by_type_total{type="other"}': 1,
        'dnsd_responses_total{rcode="NOERROR"}': 7,
        'dnsd_responses_total{rcode="NXDOMAIN"}': 1,
        'dnsd_responses_total{rcode="REFUSED"}': 0,
        'dnsd_transfers_refused_total': 1,
        'dnsd_transfers_total{type="axfr"}': 0,
        'dnsd_queries_dropped_total': 0,
        'dnsd_answer_duration_seconds_count': 9,
        'dnsd_answer_duration_seconds_bucket{le="+Inf"}': 9,
    })
    # Buckets are cumulative and end at the count; the sum is a few microseconds per answer.
    buckets = [v for k, v in after.items() if k.startswith("dnsd_answer_duration_seconds_bucket")]
    assert buckets == sorted(buckets)
    assert 0 < after["dnsd_answer_duration_seconds_sum"] < 7 * 1.0
    assert after['dnsd_build_info{version="0.1.0"}'] == 1
    assert abs(after["dnsd_start_time_seconds"] - time.time()) < 600
    assert after["dnsd_workers"] == 2
    assert after["dnsd_mtasts_domains_waiting"] == 0
    # The certificate zonectl issued, as Unix time: what the certificate itself says.
    expiry = after['dnsd_certificate_expiry_seconds{name="%s"}' % HOST]
    assert expiry > time.time() + 86400


def test_httpsd_counters_move_by_what_was_sent(both):
    _, _, h, port, st = both
    before = metrics(port)
    for path in ("/.well-known/mta-sts.txt", "/.well-known/mta-sts.txt", "/nothing"):
        with h.tls(sni=HOST, cafile=st.ca) as s:
            s.sendall(get_request(path=path))
            status, _, body, _ = read_response(s)
            assert status == (404 if path == "/nothing" else 200)
            not_after = ssl.cert_time_to_seconds(s.getpeercert()["notAfter"])
    # A name httpsd has no certificate for, and a ClientHello without SNI.
    with pytest.raises(ssl.SSLError):
        h.tls(sni="mta-sts.unknown.example")
    raw = socket.create_connection((HOST4, h.port), timeout=5)
    nosni = ssl._create_unverified_context()
    nosni.check_hostname = False
    with pytest.raises(ssl.SSLError):
        nosni.wrap_socket(raw, server_hostname=None)
    raw.close()
    after = wait_delta(port, before, {
        "httpsd_connections_accepted_total": 5,
        "httpsd_connections_refused_total": 0,
        "httpsd_tls_handshakes_total": 3,
        'httpsd_tls_handshake_failures_total{reason="unknown_name"}': 1,
        'httpsd_tls_handshake_failures_total{reason="no_sni"}': 1,
        'httpsd_tls_handshake_failures_total{reason="timeout"}': 0,
        'httpsd_responses_total{code="200"}': 2,
        'httpsd_responses_total{code="404"}': 1,
        'httpsd_responses_total{code="other"}': 0,
        'httpsd_errors_total{kind="tls"}': 0,
    })
    assert after['httpsd_build_info{version="0.1.0"}'] == 1
    assert after["httpsd_workers"] == 2
    assert after['httpsd_certificate_expiry_seconds{name="%s"}' % HOST] == not_after
    assert after["httpsd_certificates_unusable"] == 0


def test_listener_answers_only_get_metrics(both):
    _, dport, _, hport, _ = both
    for port in (dport, hport):
        assert scrape(port, "/")[0] == 404
        assert scrape(port, "/metrics/x")[0] == 404
        status, headers, _ = scrape(port, "/metrics", "POST")
        assert status == 405 and headers["allow"] == "GET, HEAD"
        status, headers, body = scrape(port, "/metrics", "HEAD")
        assert status == 200 and body == "" and int(headers["content-length"]) > 1000
        assert scrape(port, "/metrics?x=1")[0] == 200
        # A head that never ends is cut at 4 KiB with 431; the connection then closes.
        with socket.create_connection((HOST4, port), timeout=SCRAPE_TIMEOUT) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 5000)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            assert data.startswith(b"HTTP/1.1 431 "), data[:100]


def test_promtool_finds_nothing(both):
    _, dport, _, hport, _ = both
    promtool = tool(PROMTOOL)
    for port in (dport, hport):
        body = scrape(port)[2]
        r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "", \
            "promtool on port %d: rc %d\n%s%s" % (port, r.returncode, r.stdout, r.stderr)


def prometheus_query(port, query):
    url = "http://%s:%d/api/v1/query?%s" % (HOST4, port, urllib.parse.urlencode({"query": query}))
    with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as r:
        doc = json.load(r)
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def test_prometheus_scrapes_both(both, tmp_path):
    d, dport, _, hport, _ = both
    prometheus = tool(PROMETHEUS)
    for _ in range(5):
        d.query("www.example.com", "A")
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                   "scrape_configs:\n"
                   "  - job_name: dnsd\n    static_configs:\n"
                   "      - targets: ['%s:%d']\n"
                   "  - job_name: httpsd\n    static_configs:\n"
                   "      - targets: ['%s:%d']\n" % (HOST4, dport, HOST4, hport))
    r = subprocess.run([tool(PROMTOOL), "check", "config", str(cfg)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    port = free_port()
    log = open(tmp_path / "prometheus.log", "w")
    proc = subprocess.Popen([prometheus, "--config.file=%s" % cfg,
                             "--storage.tsdb.path=%s" % (tmp_path / "tsdb"),
                             "--web.listen-address=%s:%d" % (HOST4, port)],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + PROMETHEUS_TIMEOUT
        up, queries = {}, []
        while time.monotonic() < deadline:
            assert proc.poll() is None, "prometheus exited:\n" + \
                (tmp_path / "prometheus.log").read_text()[-3000:]
            try:
                up = {x["metric"]["job"]: x["value"][1] for x in prometheus_query(port, "up")}
                queries = prometheus_query(port, 'dnsd_queries_total{transport="udp"}')
            except OSError:
                up, queries = {}, []
            if up == {"dnsd": "1", "httpsd": "1"} and queries:
                break
            time.sleep(0.5)
        assert up == {"dnsd": "1", "httpsd": "1"}, "targets: %r\n%s" % (
            up, (tmp_path / "prometheus.log").read_text()[-3000:])
        assert len(queries) == 1 and float(queries[0]["value"][1]) >= 5, queries
    finally:
        stop_process(proc, 10)
        if proc.poll() is None:
            kill_process(proc)
        log.close()


def test_bad_metrics_listen_is_refused_with_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("dnsd:\n    metrics-listen: 127.0.0.1\n"
                    "httpsd:\n    metrics-listen: 127.0.0.1:99999\n")
    for binary, line in ((DNSD, 2), (HTTPSD, 4)):
        r = subprocess.run([str(binary), "-n", "-c", str(conf), "--state", str(tmp_path / "s")],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "%s:%d:" % (conf, line) in r.stderr and "metrics-listen" in r.stderr, r.stderr
        assert "configuration OK" not in r.stdout


def test_transfers_and_notify_are_counted(both):
    """An AXFR served to a secondary, NOTIFYs sent to it (answered by the test) after a change."""
    d, port, _, _, st = both
    sec = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sec.bind((HOST4, 0))
    sec.settimeout(0.2)
    try:
        st.zc.ok("zone", "secondaries", "example.com", "add",
                 "%s:%d" % (HOST4, sec.getsockname()[1]))
        before = metrics(port)
        xfr = dns.query.xfr(HOST4, "example.com", port=d.port, timeout=5, lifetime=10)
        assert sum(1 for _ in xfr) >= 1
        st.zc.ok("rr", "add", "example.com", "metrics-test A 192.0.2.99")
        # Answer every NOTIFY that comes (NOERROR) until one did and a moment went by quietly.
        answered, deadline, quiet = 0, time.monotonic() + SETTLE_TIMEOUT, 0
        while time.monotonic() < deadline and (answered == 0 or quiet < 5):
            try:
                wire, peer = sec.recvfrom(4096)
            except socket.timeout:
                quiet += 1
                continue
            quiet = 0
            q = dns.message.from_wire(wire, ignore_trailing=True)
            assert q.opcode() == dns.opcode.NOTIFY
            sec.sendto(dns.message.make_response(q).to_wire(), peer)
            answered += 1
        assert answered >= 1, "no NOTIFY came"
        wait_delta(port, before, {
            'dnsd_transfers_total{type="axfr"}': 1,
            'dnsd_transfers_total{type="ixfr"}': 0,
            "dnsd_transfers_refused_total": 0,
            "dnsd_transfers_failed_total": 0,
            "dnsd_notify_sent_total": answered,
            "dnsd_notify_answered_total": answered,
            "dnsd_notify_refused_total": 0,
            "dnsd_notify_failed_total": 0,
        })
    finally:
        sec.close()


def test_publish_step_metrics(sts_factory):
    """A policy that waits while httpsd is down shows as waiting; dnsd's publish step then
    publishes it once httpsd is back, and its latency lands in the histogram."""
    mport = free_port()
    e = sts_factory(extra_config="dnsd:\n  metrics-listen: %s:%d\n" % (HOST4, mport))
    before = metrics(mport)
    assert before["dnsd_mtasts_domains_waiting"] == 0
    e.httpsd.stop()
    r = e.zc("mta-sts", "enable", "example.com")
    assert "waiting" in r.out + r.err, r.out + r.err
    now = metrics(mport)
    assert now["dnsd_mtasts_domains_waiting"] == 1
    assert abs(now["dnsd_mtasts_oldest_waiting_seconds"] - time.time()) < 120
    e.httpsd.start()
    after = wait_delta(mport, before, {
        "dnsd_mtasts_publish_latency_seconds_count": 1,
        "dnsd_mtasts_domains_waiting": 0,
        "dnsd_mtasts_publish_errors_total": 0,
    })
    assert after["dnsd_mtasts_oldest_waiting_seconds"] == 0
    assert 0 <= after["dnsd_mtasts_publish_latency_seconds_sum"] <= SETTLE_TIMEOUT + 60
    assert e.txt_id() is not None
