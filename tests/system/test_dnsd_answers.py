"""dnsd answers: the content of authoritative answers, as NSD and Knot give them.

One dnsd serves data/dnsd/example.com.zone and data/dnsd/sub2.example.com.zone
for the whole module; the tests only read.  The comments cite the RFC text
that decides each expected answer.
"""

import time

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from dnsd_helpers import (assert_aa, assert_negative, assert_rcode, example_server,  # noqa: F401
                          find, rdatas, show)

NOERROR, NXDOMAIN, REFUSED = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED
SERIAL = 2024070101          # of data/dnsd/example.com.zone
NEG_TTL = 300                # min(SOA TTL 3600, minimum 300) of example.com
SUB2_NEG_TTL = 60            # min(SOA TTL 60, minimum 600) of sub2.example.com


@pytest.fixture(scope="module")
def srv(example_server):
    return example_server


def authoritative(srv, qname, rdtype, **kw):
    """srv's answer to qname/rdtype (keyword arguments: make_query's), asserted NOERROR with AA."""
    r = srv.query(qname, rdtype, **kw)
    assert_rcode(r, NOERROR)
    assert_aa(r)
    return r


def answer_types(msg):
    return [(rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype)) for rr in msg.answer]


# ------------------------------------------------------------ exact matches

@pytest.mark.parametrize("rdtype, expected", [
    ("A", {"192.0.2.80"}),
    ("AAAA", {"2001:db8::80"}),
    ("MX", {"10 mail.example.com."}),
    ("TXT", {'"web server" "second string"'}),
])
def test_exact_match(srv, rdtype, expected):
    # RFC 1034 section 4.3.2 step 3a: the RRset of the exact name is the answer, from
    # authoritative data, so AA is set (RFC 1035 section 4.1.1).  dnsd does no recursion:
    # RA stays clear even though the query asks for recursion (RD=1).
    # RFC 4343 section 4.1: the question is copied with its case, and NSD and Knot write
    # the owner of the answer as the question's name (a compression pointer to it).
    qname = "WwW.ExAmPlE.CoM."
    r = authoritative(srv, qname, rdtype, rd=True)
    assert not r.flags & dns.flags.RA, "RA set by an authoritative-only server:\n%s" % show(r)
    assert r.flags & dns.flags.RD, "RD of the query not copied (RFC 1035 4.1.1):\n%s" % show(r)
    assert r.question[0].name.to_text() == qname, "question case changed:\n%s" % show(r)
    assert len(r.answer) == 1, show(r)
    rrset = r.answer[0]
    assert rrset.name.to_text() == qname, "answer owner should keep the query's case " \
        "(%s), got %s" % (qname, rrset.name.to_text())
    assert rrset.rdtype == dns.rdatatype.from_text(rdtype)
    assert rdatas(rrset) == expected, show(r)
    assert rrset.ttl == 3600
    assert not r.authority or all(rr.rdtype == dns.rdatatype.NS for rr in r.authority), \
        "only the zone's NS may be in the authority section of a positive answer:\n%s" % show(r)


def test_record_ttl(srv):
    # RFC 1035 section 3.2.1: each RR carries its own TTL; mail has 300, not $TTL.
    r = srv.query("mail.example.com", "A")
    assert_rcode(r, NOERROR)
    rrset = find(r, "answer", "mail.example.com", "A")
    assert rrset is not None and rrset.ttl == 300, show(r)
    assert rdatas(rrset) == {"192.0.2.25"}


def test_apex_soa(srv):
    r = authoritative(srv, "example.com", "SOA")
    soa = find(r, "answer", "example.com", "SOA")
    assert soa is not None and soa[0].serial == SERIAL, show(r)
    assert soa.ttl == 3600, "a positive SOA answer keeps the SOA's own TTL:\n%s" % show(r)


# ------------------------------------------------------------ negative answers

@pytest.mark.parametrize("qname", ["nothere.example.com", "x.www.example.com",
                                   "NoThErE.ExAmPlE.cOm", "a.b.c.nothere.example.com"])
def test_nxdomain(srv, qname):
    # RFC 1034 section 4.3.2 step 3c / RFC 2308 section 2.1: name error, AA, the zone's SOA
    # in the authority section with TTL min(SOA TTL, SOA minimum) (RFC 2308 section 3).
    r = srv.query(qname, "A")
    assert_negative(r, NXDOMAIN, "example.com", NEG_TTL, serial=SERIAL)


def test_nxdomain_soa_ttl_below_minimum(srv):
    # RFC 2308 section 3: the SOA TTL is the smaller of the two, here the TTL (60) of
    # sub2's SOA, which is below its minimum field (600).
    r = srv.query("nothere.sub2.example.com", "A")
    assert_negative(r, NXDOMAIN, "sub2.example.com", SUB2_NEG_TTL, serial=7)


@pytest.mark.parametrize("qname, rdtype", [
    ("www.example.com", "SRV"),
    ("mail.example.com", "TXT"),
    ("example.com", "SRV"),
    ("ns2.example.com", "AAAA"),
])
def test_nodata(srv, qname, rdtype):
    # RFC 2308 section 2.2: NODATA is NOERROR with an empty answer and the SOA in the
    # authority section (TTL as for NXDOMAIN, section 3).
    r = srv.query(qname, rdtype)
    assert_negative(r, NOERROR, "example.com", NEG_TTL, serial=SERIAL)


@pytest.mark.parametrize("qname", ["b.example.com", "B.EXAMPLE.COM", "wild.example.com",
                                   "ent.wild.example.com"])
def test_empty_non_terminal_is_nodata(srv, qname):
    # b.example.com has no records but a.b.example.com exists: b is an empty non-terminal,
    # which exists (RFC 4592 section 2.2.2, RFC 8020 section 2), so the answer is NODATA,
    # never NXDOMAIN.  The same for wild (above *.wild) and ent.wild (above a.ent.wild);
    # an empty non-terminal also blocks the wildcard *.wild (RFC 4592 section 2.2.2).
    r = srv.query(qname, "A")
    assert_negative(r, NOERROR, "example.com", NEG_TTL)


# ------------------------------------------------------------ CNAME

@pytest.mark.parametrize("qname, rdtype, chain, data", [
    # RFC 1034 section 4.3.2 step 3a: the CNAME goes into the answer, then the lookup is
    # restarted at its target, whose A record follows.  RFC 2181 section 10.1.1.
    ("alias.example.com", "A", [("alias.example.com.", "CNAME"), ("www.example.com.", "A")],
     {0: {"www.example.com."}, 1: {"192.0.2.80"}}),
    # RFC 1034 section 4.3.2 step 3a, applied twice: chain1 -> chain2 -> www.
    ("chain1.example.com", "A", [("chain1.example.com.", "CNAME"),
                                 ("chain2.example.com.", "CNAME"), ("www.example.com.", "A")], {}),
    # RFC 1034 section 3.6.2: a query for the CNAME type itself gets the CNAME, unchased.
    ("alias.example.com", "CNAME", [("alias.example.com.", "CNAME")], {}),
    # RFC 1034 section 4.3.2 step 3a then step 2: www.example.net is in no zone of this
    # server, so the answer is the CNAME alone; the resolver follows it.
    ("out.example.com", "A", [("out.example.com.", "CNAME")], {0: {"www.example.net."}}),
    # RFC 4592 section 4.3: a wildcard CNAME is synthesised with the QNAME as its owner,
    # and the lookup goes on at its target.
    ("foo.wc.example.com", "A", [("foo.wc.example.com.", "CNAME"), ("www.example.com.", "A")],
     {1: {"192.0.2.80"}}),
], ids=["to_in_zone_name", "chain_of_two", "query_for_cname", "out_of_zone_stops",
        "wildcard_cname"])
def test_cname(srv, qname, rdtype, chain, data):
    """chain: the answer's (owner, type) in order; data: {index in the answer: its records}."""
    r = authoritative(srv, qname, rdtype)
    assert answer_types(r) == chain, show(r)
    for i, want in data.items():
        assert rdatas(r.answer[i]) == want, show(r)


def test_cname_to_missing_name(srv):
    # RFC 6604 section 3: the RCODE is that of the last name in the chain; nothere does
    # not exist, so NXDOMAIN with the CNAME in the answer and the SOA in authority.
    r = srv.query("dangling.example.com", "A")
    assert_rcode(r, NXDOMAIN)
    assert_aa(r)
    assert answer_types(r) == [("dangling.example.com.", "CNAME")], show(r)
    soa = find(r, "authority", "example.com", "SOA")
    assert soa is not None and soa.ttl == NEG_TTL, show(r)


def test_cname_loop_is_bounded(srv):
    # RFC 1034 section 3.6.2: CNAME loops must not make a server loop.  loop1 -> loop2 ->
    # loop1: the answer comes promptly (NSD and Knot give the two CNAMEs, NOERROR), and
    # the server goes on answering.
    start = time.monotonic()
    r = srv.query("loop1.example.com", "A")
    elapsed = time.monotonic() - start
    assert elapsed < 1.5, "the loop took %.2f s to answer" % elapsed
    assert r.rcode() in (NOERROR, dns.rcode.SERVFAIL), show(r)
    if r.rcode() == NOERROR:
        assert r.answer and answer_types(r)[0] == ("loop1.example.com.", "CNAME"), show(r)
        assert len(r.answer) <= 8, "too many RRsets for a loop of two:\n%s" % show(r)
        for rrset in r.answer:
            assert rrset.rdtype == dns.rdatatype.CNAME, show(r)
    srv.assert_alive()


# ------------------------------------------------------------ wildcards (RFC 4592)

@pytest.mark.parametrize("qname", ["x.wild.example.com", "X.Y.Wild.Example.Com"])
def test_wildcard_synthesis(srv, qname):
    # RFC 4592 section 3.3.1: the wildcard's RRset is synthesised with the owner set to the
    # QNAME (not "*.wild"); x.y.wild matches too because its closest encloser is wild.
    r = authoritative(srv, qname, "A")
    assert len(r.answer) == 1, show(r)
    assert r.answer[0].name.to_text().lower() == qname.lower() + ".", \
        "owner should be the QNAME, got %s" % r.answer[0].name
    assert rdatas(r.answer[0]) == {"192.0.2.100"}


def test_wildcard_other_type(srv):
    r = srv.query("x.wild.example.com", "TXT")
    assert_rcode(r, NOERROR)
    assert rdatas(find(r, "answer", "x.wild.example.com", "TXT")) == {'"wildcard"'}, show(r)


def test_wildcard_nodata(srv):
    # RFC 4592 section 3.3.1 / RFC 2308 section 2.2: the wildcard owns no AAAA, so the
    # synthesised answer is NODATA.
    r = srv.query("x.wild.example.com", "AAAA")
    assert_negative(r, NOERROR, "example.com", NEG_TTL)


def test_wildcard_not_for_existing_name(srv):
    # RFC 4592 section 2.2.1 / 3.3.1: a name that exists is never matched by a wildcard:
    # exists.wild has only TXT, so A is NODATA, not the wildcard's A.
    r = srv.query("exists.wild.example.com", "A")
    assert_negative(r, NOERROR, "example.com", NEG_TTL)
    r = srv.query("exists.wild.example.com", "TXT")
    assert rdatas(find(r, "answer", "exists.wild.example.com", "TXT")) == {'"exists"'}, show(r)


def test_wildcard_not_below_empty_non_terminal(srv):
    # RFC 4592 section 2.2.1 (the _telnet._tcp.host1.example example): the closest encloser
    # of x.ent.wild is the empty non-terminal ent.wild, and *.ent.wild does not exist, so
    # the answer is NXDOMAIN; *.wild does not apply.
    r = srv.query("x.ent.wild.example.com", "A")
    assert_negative(r, NXDOMAIN, "example.com", NEG_TTL)


# ------------------------------------------------------------ delegations

def assert_referral(r, cut="sub.example.com"):
    # RFC 1034 section 4.3.2 step 3b: a referral: NOERROR, AA clear (the data below the cut
    # is not ours), empty answer, the NS RRset of the cut in authority, the glue addresses in
    # additional; no SOA (RFC 2308 section 2.2 tells a referral from NODATA by it).
    assert_rcode(r, NOERROR)
    assert_aa(r, False)
    assert not r.answer, "a referral has no answer:\n%s" % show(r)
    ns = find(r, "authority", cut, "NS")
    assert ns is not None, "no NS of %s in authority:\n%s" % (cut, show(r))
    assert find(r, "authority", "example.com", "SOA") is None, show(r)
    return ns


@pytest.mark.parametrize("qname, rdtype", [
    ("www.sub.example.com", "A"),
    ("deep.www.sub.example.com", "AAAA"),
    ("sub.example.com", "A"),
    ("sub.example.com", "NS"),          # NS at the cut: the parent is not authoritative
    ("ns.sub.example.com", "A"),        # glue is not authoritative data (RFC 1034 4.2.1)
])
def test_referral(srv, qname, rdtype):
    r = srv.query(qname, rdtype)
    ns = assert_referral(r)
    assert rdatas(ns) == {"ns.sub.example.com.", "ns.example.net."}, show(r)
    # Glue: in-bailiwick name server addresses in additional (RFC 1034 section 4.3.2 3b,
    # RFC 9471); none for the out-of-zone ns.example.net.
    assert rdatas(find(r, "additional", "ns.sub.example.com", "A")) == {"192.0.2.200"}, show(r)
    assert rdatas(find(r, "additional", "ns.sub.example.com", "AAAA")) == {"2001:db8::200"}, \
        show(r)
    assert find(r, "additional", "ns.example.net", "A") is None, show(r)


def test_ds_at_cut_without_ds(srv):
    # RFC 4035 section 3.1.4.1, RFC 4034 section 5: DS lives on the parent side of the cut,
    # so the parent answers a DS query authoritatively: here NODATA with its SOA.
    r = srv.query("sub.example.com", "DS")
    assert_negative(r, NOERROR, "example.com", NEG_TTL)


def test_ds_at_cut_with_ds(srv):
    r = authoritative(srv, "secure.example.com", "DS")
    ds = find(r, "answer", "secure.example.com", "DS")
    assert ds is not None and len(ds) == 1 and ds[0].key_tag == 12345, show(r)


def test_referral_with_ds_cut(srv):
    r = srv.query("www.secure.example.com", "A")
    ns = assert_referral(r, cut="secure.example.com")
    assert rdatas(ns) == {"ns.secure.example.com."}
    assert rdatas(find(r, "additional", "ns.secure.example.com", "A")) == {"192.0.2.201"}, show(r)


# ------------------------------------------------------------ additional section

@pytest.mark.parametrize("qname, rdtype, extra", [
    # RFC 1035 section 3.3.9: MX causes additional processing of the exchanges' A records
    # (and AAAA, RFC 3596 section 3); mx.example.net is not in the zone: nothing for it.
    ("example.com", "MX", {("mail.example.com", "A"): {"192.0.2.25"},
                           ("mail.example.com", "AAAA"): {"2001:db8::25"},
                           ("mail2.example.com", "A"): {"192.0.2.26"}}),
    # RFC 1035 section 3.3.11: NS causes additional processing of the servers' addresses.
    ("example.com", "NS", {("ns1.example.com", "A"): {"192.0.2.53"},
                           ("ns1.example.com", "AAAA"): {"2001:db8::53"},
                           ("ns2.example.com", "A"): {"192.0.2.54"}}),
    # RFC 2782 ("Target"): the addresses of the targets go into the additional section.
    ("_sip._tcp.example.com", "SRV", {("sip.example.com", "A"): {"192.0.2.60"},
                                      ("sip.example.com", "AAAA"): {"2001:db8::60"},
                                      ("sip2.example.com", "A"): {"192.0.2.61"}}),
])
def test_additional_section(srv, qname, rdtype, extra):
    r = authoritative(srv, qname, rdtype, edns=0)       # EDNS: room for all of it
    assert find(r, "answer", qname, rdtype) is not None, show(r)
    for (name, t), want in extra.items():
        assert rdatas(find(r, "additional", name, t)) == want, \
            "additional should hold %s %s %s:\n%s" % (name, t, sorted(want), show(r))
    for rrset in r.additional:
        assert rrset.name.to_text().lower().endswith("example.com."), \
            "additional data from outside the zone:\n%s" % show(r)


# ------------------------------------------------------------ ANY

def test_any_is_minimal_over_udp(srv):
    # RFC 8482 section 4: over UDP an ANY query gets one RRset of the name (section 4.1)
    # or a synthesised HINFO "RFC8482" "" (section 4.2), not every RRset of the name.
    r = authoritative(srv, "www.example.com", "ANY")
    assert r.answer, "empty answer to ANY:\n%s" % show(r)
    for rrset in r.answer:
        assert rrset.name.to_text().lower() == "www.example.com.", show(r)
    assert len(r.answer) == 1, "ANY should get one RRset (RFC 8482), got %d:\n%s" % (
        len(r.answer), show(r))
    rrset = r.answer[0]
    if rrset.rdtype == dns.rdatatype.HINFO:
        assert rrset[0].cpu == b"RFC8482", show(r)
    else:
        assert rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.MX,
                                dns.rdatatype.TXT), show(r)


# ------------------------------------------------------------ zones

@pytest.mark.parametrize("qname, rdtype", [("www.example.org", "A"), ("com", "SOA"), (".", "NS"),
                                           ("example.net", "A"), ("xexample.com", "A")])
def test_not_our_zone_refused(srv, qname, rdtype):
    # RFC 1035 section 4.1.1 (RCODE 5, Refused); what NSD and Knot answer for a name in no
    # zone they serve: REFUSED, AA clear, nothing in the sections.
    r = srv.query(qname, rdtype)
    assert_rcode(r, REFUSED)
    assert_aa(r, False)
    assert not r.answer and not r.authority, show(r)


def test_most_specific_zone_wins(srv):
    # RFC 1034 section 4.3.2 step 2: the zone nearest to the QNAME answers: sub2.example.com
    # is a zone of this server, so its data answers with AA, not the referral that
    # example.com holds for sub2.
    r = authoritative(srv, "www.sub2.example.com", "A")
    assert rdatas(find(r, "answer", "www.sub2.example.com", "A")) == {"192.0.2.211"}, show(r)

    r = authoritative(srv, "sub2.example.com", "SOA")
    soa = find(r, "answer", "sub2.example.com", "SOA")
    assert soa is not None and soa[0].serial == 7, show(r)

    r = authoritative(srv, "sub2.example.com", "NS")
    assert rdatas(find(r, "answer", "sub2.example.com", "NS")) == {"ns1.sub2.example.com."}, \
        show(r)
