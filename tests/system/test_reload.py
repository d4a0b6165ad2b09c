"""SIGHUP: dnsd and httpsd read their configuration again without dropping a query or a
connection; a bad file changes nothing; what needs a restart is named."""
import signal
import threading
import time

import dns.message
import dns.query
import dns.rcode

from dnsd_helpers import HOST4, dnsd_factory  # noqa: F401  (fixture)
from httpsd_helpers import policy_text, serving
from proc_helpers import as_root_config, wait_until

RELOADS = 20           # the count: 20 reloads under load, no failed query
QUERY_TIMEOUT = 2.0


def rewrite(daemon, text, section):
    daemon.config.write_text(as_root_config(text, section))


def hup_and_wait(daemon, text):
    """SIGHUP, then the log line text (its n-th appearance: counts lines already there)."""
    before = sum(text in l for l in daemon.log_lines())
    daemon.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: sum(text in l for l in daemon.log_lines()) > before, 5), \
        daemon.log_text()


def test_dnsd_reload_applies_live_options(dnsd_factory):
    d = dnsd_factory.start(config=as_root_config("dnsd:\n    query-log: no\n", "dnsd"))
    d.query("example.com.", "SOA")
    assert not any("query" in l and "example.com" in l for l in d.log_lines()), d.log_text()
    rewrite(d, "dnsd:\n    query-log: yes\n", "dnsd")
    hup_and_wait(d, "reloaded (SIGHUP)")
    assert d.proc.poll() is None
    r = d.query("www.example.com.", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert d.wait_log("www.example.com"), d.log_text()     # the query line, now on


def test_dnsd_bad_file_keeps_the_configuration(dnsd_factory):
    d = dnsd_factory.start(config=as_root_config("dnsd:\n    query-log: yes\n", "dnsd"))
    d.config.write_text("dnsd:\n    query-log: perhaps\n    colour: blue\n")
    hup_and_wait(d, "the configuration in force stays")
    text = d.log_text()
    assert "bad value 'perhaps'" in text and "unknown key 'colour'" in text, text
    assert not any("reloaded (SIGHUP)" in l for l in d.log_lines())
    d.query("mail.example.com.", "A")
    assert d.wait_log("mail.example.com"), d.log_text()    # query-log still on


def test_dnsd_names_what_needs_a_restart(dnsd_factory):
    d = dnsd_factory.start()
    rewrite(d, "dnsd:\n    workers: 3\n    udp-max-size: 1400\nhttpsd:\n    workers: 5\n", "dnsd")
    hup_and_wait(d, "reloaded (SIGHUP)")
    text = d.log_text()
    assert "dnsd.workers changed; restart dnsd to apply it" in text, text
    assert "dnsd.udp-max-size changed; restart dnsd to apply it" in text, text
    assert "httpsd.workers" not in text, text               # not dnsd's to read


def test_dnsd_reloads_under_load_lose_no_query(dnsd_factory):
    d = dnsd_factory.start(workers=2)
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}

    def load():
        q = dns.message.make_query("www.example.com.", "A")
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                r = dns.query.udp(q, HOST4, port=d.port, timeout=QUERY_TIMEOUT)
                counts["ok" if r.rcode() == dns.rcode.NOERROR else "failed"] += 1
            except Exception:   # a timeout or a reset is a lost query
                counts["failed"] += 1

    t = threading.Thread(target=load)
    t.start()
    try:
        for i in range(RELOADS):
            level = "debug" if i % 2 else "info"
            rewrite(d, "server:\n    log-level: %s\ndnsd:\n    tcp-max-clients: %d\n"
                    % (level, 100 + i), "dnsd")
            hup_and_wait(d, "reloaded (SIGHUP)")
    finally:
        stop.set()
        t.join(70)
    assert counts["failed"] == 0 and counts["ok"] > RELOADS, counts
    assert sum("reloaded (SIGHUP)" in l for l in d.log_lines()) == RELOADS


def test_httpsd_reload_and_bad_file(tmp_path):
    with serving(tmp_path, ["mta-sts.example.com"], {"example.com": policy_text()}) as (st, h):
        # warning: the notice "reloaded" is below it, the restart line is not.
        rewrite(h, "server:\n    log-level: warning\nhttpsd:\n    max-header-size: 2048\n", "httpsd")
        h.proc.send_signal(signal.SIGHUP)
        assert h.wait_log("httpsd.max-header-size changed; restart httpsd to apply it"), h.log_text()
        r = h.curl("-o", "/dev/null", "-w", "%{http_code}", h.url(), cacert=st.ca)
        assert r.returncode == 0 and r.stdout == b"200", r.stderr
        h.config.write_text("httpsd:\n    frobnicate: 1\n")
        h.proc.send_signal(signal.SIGHUP)
        assert h.wait_log("the configuration in force stays"), h.log_text()
        r = h.curl("-o", "/dev/null", "-w", "%{http_code}", h.url(), cacert=st.ca)
        assert r.returncode == 0 and r.stdout == b"200", r.stderr
        assert h.proc.poll() is None
