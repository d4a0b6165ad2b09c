"""dnsd's refusal lines under a flood (issue 15, Abuse/Logs): the same failure from the same
source is logged once (then "N more like this in the last minute", checked with a clock of its
own in tests/unit/test_log_keyed.c), and all such lines together stay under 100 a minute, with
one line saying the cap was reached (dnsd.log-rate-limit, applied on SIGHUP too). The first
occurrence is always logged."""

import socket
import subprocess

import dns.message
import dns.rrset

from dnsd_helpers import DNSD, HOST4, dnsd_factory  # noqa: F401
from proc_helpers import as_root_config, sighup, wait_until

ZONE = "example.com."
CAP = 100


CHUNK = 25     # queries sent before their answers are read: no socket buffer overflows


def send_from(port, source, wire, n):
    """n copies of wire from source, in chunks whose answers are read (bounded) before the
    next, so that a loaded machine drops none of them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(1.0)
        for start in range(0, n, CHUNK):
            k = min(CHUNK, n - start)
            for _ in range(k):
                s.sendto(wire, (HOST4, port))
            for _ in range(k):
                try:
                    s.recv(4096)
                except socket.timeout:
                    break


def count(d, text):
    return sum(1 for l in d.log_lines() if text in l)


def settle(d, text, want_at_least):
    """Waits (bounded) until the reader thread has seen the lines being counted."""
    wait_until(lambda: count(d, text) >= want_at_least, 5)


def test_flood_from_one_source_logs_once(dnsd_factory):
    # rrl-rate 0: every query answered, so that only the log limit is measured.
    # RRL off, so that every query is answered and nothing but the log limit is measured.
    d = dnsd_factory.start(config=as_root_config("dnsd:\n    rrl-rate: 0\n", "dnsd"))
    axfr = dns.message.make_query(ZONE, "AXFR").to_wire()
    send_from(d.port, "127.0.0.1", axfr, 300)
    # A malformed query (two OPT records): FORMERR, logged once per source as well.
    q = dns.message.make_query(ZONE, "A", use_edns=0)
    wire = bytearray(q.to_wire())
    opt = bytes(wire[-11:])
    wire[11] = 2
    send_from(d.port, "127.0.0.1", bytes(wire) + opt, 50)
    # A last different query proves the flood was read before the lines are counted.
    ixfr = dns.message.make_query(ZONE, "IXFR")
    ixfr.authority.append(dns.rrset.from_text(ZONE, 0, "IN", "SOA", ". . 1 0 0 0 0"))
    send_from(d.port, "127.0.0.1", ixfr.to_wire(), 1)
    assert d.wait_log("(not a secondary of the zone)"), d.log_text()
    settle(d, "malformed query from 127.0.0.1", 1)
    assert count(d, "transfer refused for 127.0.0.1 (AXFR over UDP)") == 1, d.log_text()
    assert count(d, "malformed query from 127.0.0.1") == 1, d.log_text()
    assert count(d, "log limit") == 0, d.log_text()
    d.assert_alive()


def test_flood_from_200_sources_stays_under_the_cap(dnsd_factory):
    d = dnsd_factory.start(config=as_root_config("dnsd:\n    rrl-rate: 0\n", "dnsd"))
    axfr = dns.message.make_query(ZONE, "AXFR").to_wire()
    sources = ["127.0.%d.%d" % (1 + i // 250, 1 + i % 250) for i in range(200)]
    for _ in range(2):
        for src in sources:
            send_from(d.port, src, axfr, 1)
    assert d.wait_log("log limit: %d lines this minute reached" % CAP), d.log_text()
    settle(d, "transfer refused for", CAP)
    refused = count(d, "transfer refused for")
    # The first source's line is there (the first occurrence always is), the cap holds.
    assert count(d, "transfer refused for %s " % sources[0]) == 1, d.log_text()
    assert refused == CAP, (refused, d.log_text())
    assert count(d, "log limit") == 1, d.log_text()
    d.assert_alive()


def test_cap_is_configurable_and_reloads(dnsd_factory):
    # log-rate-limit: 7 a minute; then, on SIGHUP, 0 (no cap): the next 40 sources all show.
    d = dnsd_factory.start(config=as_root_config("dnsd:\n    rrl-rate: 0\n"
                                                 "    log-rate-limit: 7\n", "dnsd"))
    axfr = dns.message.make_query(ZONE, "AXFR").to_wire()
    first = ["127.0.3.%d" % (1 + i) for i in range(30)]
    for src in first:
        send_from(d.port, src, axfr, 1)
    assert d.wait_log("log limit: 7 lines this minute reached"), d.log_text()
    settle(d, "transfer refused for", 7)
    assert count(d, "transfer refused for") == 7, d.log_text()
    d.config.write_text(as_root_config("dnsd:\n    rrl-rate: 0\n    log-rate-limit: 0\n", "dnsd"))
    sighup(d)
    later = ["127.0.4.%d" % (1 + i) for i in range(40)]
    for src in later:
        send_from(d.port, src, axfr, 1)
    settle(d, "transfer refused for %s " % later[-1], 1)
    assert all(count(d, "transfer refused for %s " % s) == 1 for s in later), d.log_text()
    assert count(d, "transfer refused for") == 7 + 40, d.log_text()
    d.assert_alive()


def test_log_rate_limit_out_of_range_is_refused(dnsd_factory, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("dnsd:\n    log-rate-limit: -1\n")
    r = subprocess.run([str(DNSD), "-n", "-c", str(conf)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    assert r.returncode != 0 and "log-rate-limit" in r.stdout and ":2" in r.stdout, r.stdout
