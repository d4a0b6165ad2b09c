"""httpsd under a TLS handshake flood: the publish step's own fetch stays fast.

dnsd (with its publisher) and httpsd run on one store with example.com enabled. Ten
addresses (127.0.0.2 .. 127.0.0.11, bound by the client sockets) flood httpsd with TLS
handshakes (tests/bench/flood.py): 100 new connections a second from each, 50 at once at
most, each sending a ClientHello made once (so the flood costs the client nothing and httpsd
an ECDHE and a signature) and waiting for httpsd's first flight; 1,000 a second in all,
about twice what one httpsd worker can sign.
Meanwhile 100 MX changes publish: `zonectl rr add` commits the MX and its policy, fetches
the policy from httpsd (from 127.0.0.1: this host, trusted by `trusted: local`) and
commits the new id; each is timed from starting zonectl until the new id answers over DNS.

With the limits on, the publish p99 must stay under 1 s and the flood must have been
limited (connections refused, httpsd's counters moved). As a control the same flood runs
after a SIGHUP that turns every limit off and trusts no one (today's httpsd): the publish
latency there is logged and must be worse, so this test can fail.
"""

import re
import signal
import socket
import statistics
import time

from httpsd_helpers import HOST4, IO_TIMEOUT, check_config, make_state, policy_text, serving, \
    wait_closed
from proc_helpers import as_root_config, wait_until
from flood import Flood, client_hello  # noqa: E402  (tests/bench, on the path by proc_helpers)
from conftest import BUILD  # noqa: E402
from sts_helpers import StsEnv, sts_factory  # noqa: F401  (fixture)

FLOOD_ADDRS = ["127.0.0.%d" % i for i in range(2, 12)]
FLOOD_RATE = 100         # new connections a second per address: twice what httpsd can serve
FLOOD_INFLIGHT = 50      # connections per address at once
CHANGES = 100
# The goal: p99 under 1 s. A sanitizer build (make SANITIZE=...) runs httpsd's TLS
# about three times slower, so it gets 2 s; the control without limits stays above 3 s either
# way, so the test still tells the two apart. bench_flood measures the real figures.
P99_MAX = 2.0 if "/san-" in str(BUILD) else 1.0
CONTROL_CHANGES = 20
CONTROL_SECONDS = 10     # the control stops after this many seconds, whatever it reached
ID_TIMEOUT = 10          # seconds a change may take until its id answers
CONTROL_TIMEOUT = 3      # zonectl --timeout in the control, where fetches may time out

LIMITS_ON = ""           # the defaults: 256 handshakes, 4 per address, 10 new a second
# Every limit off, and 127.0.0.1 a stranger like the flood: httpsd as it was.
LIMITS_OFF = ("httpsd:\n  max-handshakes: 0\n  max-handshakes-per-address: 0\n"
              "  new-connections-per-second: 0\n  trusted: 192.0.2.1\n")

COUNTS = re.compile(r"limits: (?:so far )?(\d+) trusted and (\d+) other connections let in, "
                    r"(\d+) refused \(new-connections-per-second (\d+), "
                    r"max-handshakes-per-address (\d+), max-handshakes (\d+), "
                    r"address table (\d+)\), (\d+) handshakes timed out")


def publish_latencies(e, first_k, n, seconds=None, timeout=None):
    """n MX changes (mx<k>.example.com, k from first_k), each timed from starting zonectl
    until its new id answers over DNS; stops early after seconds when given. With timeout
    (the control), a change whose publish waits past it counts as its time, and the run
    goes on; without, it fails the test."""
    out = []
    start = time.monotonic()
    for k in range(first_k, first_k + n):
        if seconds is not None and time.monotonic() - start > seconds:
            break
        before = e.txt_id()
        t0 = time.monotonic()
        r = e.zc("rr", "add", "example.com", "@ 3600 IN MX %d mx%d.example.com." % (k, k),
                 "--wait", "--timeout", str(timeout or ID_TIMEOUT))
        if timeout is not None and r.rc != 0:
            out.append(time.monotonic() - t0)
            continue
        assert r.rc == 0, r
        assert wait_until(lambda: e.txt_id() not in (None, before), ID_TIMEOUT, step=0.002), \
            "change %d: no new id within %d s\n%s" % (k, ID_TIMEOUT, e.httpsd.log_text())
        out.append(time.monotonic() - t0)
    return out


def p99(v):
    return sorted(v)[min(len(v) - 1, int(len(v) * 0.99))]


def counts(e, which=-1):
    """httpsd's limit counters from its log: the which-th counts line."""
    lines = [m.groups() for m in map(COUNTS.search, e.httpsd.log_lines()) if m]
    assert lines, e.httpsd.log_text()
    return [int(x) for x in lines[which]]


def configure(e, text):
    e.httpsd.config.write_text(as_root_config(e.conf_text + text, "httpsd"))


def hup(e, text):
    configure(e, text)
    before = sum("reloaded (SIGHUP)" in l for l in e.httpsd.log_lines())
    e.httpsd.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: sum("reloaded (SIGHUP)" in l for l in e.httpsd.log_lines())
                      > before, 5), e.httpsd.log_text()


def test_publish_stays_fast_under_handshake_flood(sts_factory):
    e = sts_factory()
    e.httpsd.stop()
    configure(e, LIMITS_ON)
    e.httpsd.start()
    e.zc.ok("mta-sts", "enable", "example.com", "--wait")
    hello = client_hello("mta-sts.example.com")
    quiet = publish_latencies(e, 100, 5)

    with Flood(HOST4, e.https_port, hello, FLOOD_ADDRS, FLOOD_RATE, FLOOD_INFLIGHT) as f:
        time.sleep(0.5)
        on = publish_latencies(e, 200, CHANGES)
        flood_on = f.counts()
    hup(e, LIMITS_OFF)
    so_far = counts(e)
    with Flood(HOST4, e.https_port, hello, FLOOD_ADDRS, FLOOD_RATE, FLOOD_INFLIGHT) as f:
        time.sleep(0.5)
        off = publish_latencies(e, 400, CONTROL_CHANGES, CONTROL_SECONDS, CONTROL_TIMEOUT)
        flood_off = f.counts()
    e.httpsd.stop()
    total = counts(e)
    print("quiet: p50 %.3f s, max %.3f s" % (statistics.median(quiet), max(quiet)))
    print("limits on: %d changes, p50 %.3f s, p99 %.3f s, max %.3f s; flood answered %d, "
          "closed %d; httpsd counts %s" % (
              len(on), statistics.median(on), p99(on), max(on), *flood_on, so_far))
    print("limits off (control): %d changes, p50 %.3f s, p99 %.3f s, max %.3f s; flood "
          "answered %d, closed %d; httpsd counts %s" % (
              len(off), statistics.median(off), p99(off), max(off), *flood_off, total))
    assert p99(on) < P99_MAX, on
    # The flood was limited: refusals counted by httpsd and seen by the flood.
    assert so_far[2] > 0 and so_far[3] + so_far[4] + so_far[5] > 0, so_far
    assert flood_on[1] > 0, flood_on
    assert so_far[0] >= len(on), so_far       # the publish fetches came in trusted
    # The control: no refusals then, and the publish slower than with the limits.
    assert total[2] == so_far[2], (so_far, total)
    assert statistics.median(off) > statistics.median(on), (on, off)


# ---------------------------------------------------------------- each limit on its own

def raw(port, src):
    """A TCP connection to httpsd from src that sends nothing (a handshake not begun)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(IO_TIMEOUT)
    s.connect((HOST4, port))
    return s


def test_each_limit_trusted_clients_and_sighup(tmp_path):
    conf = ("httpsd:\n  max-handshakes-per-address: 1\n  new-connections-per-second: 0\n"
            "  handshake-timeout: 1\n  header-timeout: 10\n")
    with serving(tmp_path, ["mta-sts.example.com"], {"example.com": policy_text()},
                 config=conf, workers=1) as (st, h):
        # One handshake in progress per address: the second from 127.0.0.2 is closed at once,
        # the first at handshake-timeout; 127.0.0.3 is another address.
        a = raw(h.port, "127.0.0.2")
        time.sleep(0.2)
        b = raw(h.port, "127.0.0.2")
        assert wait_closed(b, 1.0) is not None
        c = raw(h.port, "127.0.0.3")
        took = wait_closed(a, 4)
        assert took is not None and 0.5 < took < 3, took
        assert wait_closed(c, 4) is not None
        # This host is trusted: neither limit nor handshake-timeout (header-timeout is 10 s).
        mine = [raw(h.port, HOST4) for _ in range(5)]
        time.sleep(1.5)
        assert all(wait_closed(s, 0.1) is None for s in mine)
        r = h.curl(h.url(), cacert=st.ca)
        assert r.returncode == 0 and b"mx1.example.com" in r.stdout, r

        # SIGHUP: the rate instead (a bucket of 2 at 1 a second), live.
        h.config.write_text(as_root_config(
            "httpsd:\n  max-handshakes-per-address: 0\n  new-connections-per-second: 1\n"
            "  handshake-timeout: 5\n", "httpsd"))
        n = sum("reloaded (SIGHUP)" in l for l in h.log_lines())
        h.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: sum("reloaded (SIGHUP)" in l for l in h.log_lines()) > n, 5)
        kept = [raw(h.port, "127.0.0.4") for _ in range(2)]
        extra = raw(h.port, "127.0.0.4")
        assert wait_closed(extra, 1.0) is not None
        assert all(wait_closed(s, 0.3) is None for s in kept)
        # trusted: 127.0.0.4 listed, so no limit for it; without local, 127.0.0.1 is a
        # stranger (its second connection within the second is closed).
        h.config.write_text(as_root_config(
            "httpsd:\n  new-connections-per-second: 1\n  trusted: 127.0.0.4/32\n", "httpsd"))
        n = sum("reloaded (SIGHUP)" in l for l in h.log_lines())
        h.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: sum("reloaded (SIGHUP)" in l for l in h.log_lines()) > n, 5)
        more = [raw(h.port, "127.0.0.4") for _ in range(5)]
        assert all(wait_closed(s, 0.3) is None for s in more)
        local = [raw(h.port, HOST4) for _ in range(3)]
        assert wait_closed(local[2], 1.0) is not None
        for s in [a, b, c, extra] + mine + kept + more + local:
            s.close()
        h.stop()
        got = [m.groups() for m in map(COUNTS.search, h.log_lines()) if m]
        trusted, admitted, refused, rate, per_addr, total, table, timeouts = map(int, got[-1])
        assert per_addr >= 1 and rate >= 2 and timeouts >= 2, got[-1]
        assert any("127.0.0.2: connection closed (max-handshakes-per-address)" in l
                   for l in h.log_lines()), h.log_text()


def test_bad_limit_values_are_refused_with_the_line(tmp_path):
    st = make_state(tmp_path, ["mta-sts.example.com"], {})
    for text, want in (
        ("httpsd:\n  trusted: 192.0.2.1/24\n", ":2: bad value '192.0.2.1/24' for 'trusted'"),
        ("httpsd:\n  trusted: local nonsense\n", ":2: bad value"),
        ("httpsd:\n  max-handshakes: -1\n", ":2: bad value '-1' for 'max-handshakes'"),
        ("httpsd:\n  handshake-timeout: 0\n", ":2: value 0 for 'handshake-timeout' out of range"),
        ("httpsd:\n  new-connections-per-second: 1000001\n", ":2: value 1000001 for"),
    ):
        conf = tmp_path / "bad.conf"
        conf.write_text(text)
        r = check_config(st.dir, conf)
        assert r.returncode == 1 and want in r.stderr, (text, r.stderr)
    conf.write_text("httpsd:\n  trusted: local 192.0.2.0/24 2001:db8::/48 ::1\n"
                    "  max-handshakes: 0\n")
    r = check_config(st.dir, conf)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stderr
