"""EDNS compliance in the manner of ISC's EDNS compliance tester (genreport, ednscomp.isc.org)
and RFC 8906 section 8: the same queries to dnsd, Knot and NSD serving one zone, each answer
graded as the tester grades it, "ok" or a set of failure words (the tester's own: noopt,
nosoa, soa, status, version, echoed, mbz, nodo, toobig, timeout, plus nocookie).

The checks are written here from the tester's published expectations: every query is for the
zone's SOA without RD (dig +norec), over UDP unless the test says TCP.
  dns        no OPT                       NOERROR, the SOA in the answer, no OPT back
  edns       EDNS version 0               NOERROR, SOA, OPT version 0
  edns1      EDNS version 1               BADVERS, OPT version 0, no SOA
  edns@512   DNSKEY, DO, buffer 512       OPT version 0, NOERROR, no more than 512 bytes
  ednsopt    unknown option 100           NOERROR, SOA, OPT version 0, option 100 not echoed
  edns1opt   version 1 and option 100     BADVERS, OPT version 0, no SOA, 100 not echoed
  do         DO set                       NOERROR, SOA, OPT version 0, DO echoed
  ednsflags  unknown EDNS flag 0x80       NOERROR, SOA, OPT version 0, the flag not echoed
  optlist    NSID, ECS, EXPIRE, COOKIE,   NOERROR, SOA, OPT version 0, only options that
             PADDING                      were asked back
  ednstcp    EDNS version 0 over TCP      NOERROR, SOA, OPT version 0
  cookie     a client cookie              NOERROR, SOA, a COOKIE that starts with the
                                          client's and is 16 to 40 bytes long
Every UDP answer must also fit the buffer the query advertised (toobig).

dnsd must pass every test; Knot and NSD are the reference: a test dnsd fails must be one that
both of them fail too (issue 15)."""

import socket
import struct

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import Zonectl, write
from dnsd_helpers import check_dnsd_binary, recv_exact, start_dnsd
from proc_helpers import HOST4, started
from xfr_helpers import knot_and_nsd

ZONE = "example.com."
ZONE_TEXT = """$ORIGIN example.com.
$TTL 3600
@     SOA   ns1 hostmaster 3 3600 900 604800 300
@     NS    ns1
ns1   A     192.0.2.1
www   A     192.0.2.80
"""
UNKNOWN_OPTION = 100
CLIENT_COOKIE = bytes.fromhex("0102030405060708")
BUFSIZE = 4096     # what the tester's dig advertises unless the test says otherwise
OPT = dns.edns.OptionType
DO = dns.flags.DO


def query(version=0, options=(), ednsflags=0, payload=BUFSIZE, rdtype="SOA"):
    """The tester's query: ZONE rdtype, RD clear; version -1 is a query without OPT."""
    q = dns.message.make_query(ZONE, rdtype)
    # use_edns itself: make_query's want_dnssec=False would clear DO again.
    q.use_edns(edns=version, ednsflags=ednsflags, payload=payload, options=list(options))
    q.flags &= ~dns.flags.RD
    return q


def send(q, port, tcp=False):
    """(answer, its size in bytes), or (None, 0) on timeout or a reset."""
    wire = q.to_wire()
    try:
        if tcp:
            with socket.create_connection((HOST4, port), timeout=3) as s:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                n = struct.unpack("!H", recv_exact(s, 2))[0]
                data = recv_exact(s, n)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(3)
                s.sendto(wire, (HOST4, port))
                data = s.recv(65535)
    except (OSError, struct.error, AssertionError):
        return None, 0
    return dns.message.from_wire(data), len(data)


def has_soa(r):
    return any(rr.rdtype == dns.rdatatype.SOA for rr in r.answer)


def grade(r, size, status="NOERROR", soa=True, opt=True, limit=BUFSIZE, tcp=False):
    """The failure words of one answer against the common expectations; empty is ok."""
    if r is None:
        return {"timeout"}
    bad = set()
    if dns.rcode.to_text(r.rcode()) != status:
        bad.add("status")
    if soa and not has_soa(r):
        bad.add("nosoa")
    if not soa and has_soa(r):
        bad.add("soa")
    if opt and r.edns < 0:
        bad.add("noopt")
    if opt and r.edns > 0:
        bad.add("version")
    if not opt and r.edns >= 0:
        bad.add("opt")
    if not tcp and size > max(512, limit):
        bad.add("toobig")
    return bad


def codes(r):
    return [o.otype for o in r.options] if r is not None and r.edns >= 0 else []


def run_dns(port):
    return grade(*send(query(version=-1), port), opt=False)


def run_edns(port):
    return grade(*send(query(), port))


def run_edns1(port):
    return grade(*send(query(version=1), port), status="BADVERS", soa=False)


def run_edns512(port):
    r, size = send(query(ednsflags=DO, payload=512, rdtype="DNSKEY"), port)
    # The zone has no DNSKEY: the answer is NODATA with the SOA in the authority section.
    return grade(r, size, soa=False, limit=512)


def unknown_option():
    return dns.edns.GenericOption(UNKNOWN_OPTION, b"")


def run_ednsopt(port):
    r, size = send(query(options=[unknown_option()]), port)
    bad = grade(r, size)
    return bad | ({"echoed"} if UNKNOWN_OPTION in codes(r) else set())


def run_edns1opt(port):
    r, size = send(query(version=1, options=[unknown_option()]), port)
    bad = grade(r, size, status="BADVERS", soa=False)
    return bad | ({"echoed"} if UNKNOWN_OPTION in codes(r) else set())


def run_do(port):
    r, size = send(query(ednsflags=DO), port)
    bad = grade(r, size)
    return bad | ({"nodo"} if r is not None and not r.ednsflags & DO else set())


def run_ednsflags(port):
    r, size = send(query(ednsflags=0x80), port)
    bad = grade(r, size)
    return bad | ({"mbz"} if r is not None and r.ednsflags & 0x7FFF else set())


def run_optlist(port):
    asked = [dns.edns.GenericOption(OPT.NSID, b""),
             dns.edns.ECSOption("0.0.0.0", 0),
             dns.edns.GenericOption(OPT.EXPIRE, b""),
             dns.edns.GenericOption(OPT.COOKIE, CLIENT_COOKIE),
             dns.edns.GenericOption(OPT.PADDING, b"")]
    r, size = send(query(options=asked), port)
    bad = grade(r, size)
    return bad | ({"echoed"} if set(codes(r)) - {o.otype for o in asked} else set())


def run_ednstcp(port):
    return grade(*send(query(), port, tcp=True), tcp=True)


def run_cookie(port):
    r, size = send(query(options=[dns.edns.GenericOption(OPT.COOKIE, CLIENT_COOKIE)]), port)
    bad = grade(r, size)
    if r is None:
        return bad
    got = [o.to_wire() for o in r.options if o.otype == OPT.COOKIE]
    if len(got) != 1:
        return bad | {"nocookie"}
    if not (16 <= len(got[0]) <= 40 and got[0][:8] == CLIENT_COOKIE):
        bad.add("badcookie")
    return bad


TESTS = {"dns": run_dns, "edns": run_edns, "edns1": run_edns1, "edns@512": run_edns512,
         "ednsopt": run_ednsopt, "edns1opt": run_edns1opt, "do": run_do,
         "ednsflags": run_ednsflags, "optlist": run_optlist, "ednstcp": run_ednstcp,
         "cookie": run_cookie}


@pytest.fixture(scope="module")
def servers(tmp_path_factory, zonectl_binary):
    """{"dnsd"|"knot"|"nsd": port}, each serving ZONE_TEXT with its default EDNS settings."""
    check_dnsd_binary()
    tmp = tmp_path_factory.mktemp("edns")
    zone_file = write(tmp / "example.com.zone", ZONE_TEXT)
    zc = Zonectl(tmp)
    with started(tmp, "dnsd") as daemons:
        d = start_dnsd(daemons, zc, zones=(zone_file,))
        with knot_and_nsd(tmp, zone_file) as (knot, nsd):
            yield {"dnsd": d.port, "knot": knot.port, "nsd": nsd.port}


@pytest.mark.parametrize("test", list(TESTS))
def test_edns_compliance(servers, test):
    got = {k: sorted(TESTS[test](p)) or ["ok"] for k, p in servers.items()}
    print(test, got)
    shared = set(got["knot"]) & set(got["nsd"]) - {"ok"}
    assert not set(got["dnsd"]) - {"ok"} - shared, "%s: %s" % (test, got)
    assert got["dnsd"] == ["ok"], "%s: %s" % (test, got)


def test_grading_catches_failures(servers):
    # The grader is not vacuous: answers that break the expectations get their words.
    r, size = send(query(), servers["dnsd"])
    assert grade(r, size) == set()
    assert grade(r, size, status="BADVERS", soa=False) == {"status", "soa"}
    assert grade(r, size, opt=False) == {"opt"}
    assert grade(r, 600, limit=512) == {"toobig"}
    r.use_edns(-1)
    assert grade(r, size) == {"noopt"}
    assert grade(None, 0) == {"timeout"}
