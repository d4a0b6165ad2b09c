"""dnsd serves the store as it is now: zonectl commits show in the next answer,
with no reload; and kdig (Knot's dig) sees the same answers as dnspython.
"""

import re
import shutil
import subprocess

import dns.flags
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from conftest import minimal_zone, serial_change, write
from dnsd_helpers import (assert_aa, assert_negative, assert_rcode, dnsd_factory,  # noqa: F401
                          example_server, find, rdatas, section_view, show)

NOERROR, NXDOMAIN, REFUSED = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED
NEG_TTL = 300


def soa_serial(d, zone="example.com"):
    r = d.query(zone, "SOA")
    assert_rcode(r, NOERROR)
    soa = find(r, "answer", zone, "SOA")
    assert soa is not None, show(r)
    return soa[0].serial


# ------------------------------------------------------------ live changes

def test_rr_add_and_del_visible_at_once(dnsd_factory, zc):
    # dnsd answers from the store's current state: no reload, no restart.
    d = dnsd_factory.start()
    assert_negative(d.query("new.example.com", "A"), NXDOMAIN, "example.com", NEG_TTL)

    zc.ok("rr", "add", "example.com", "new 300 IN A 192.0.2.77")
    r = d.query("new.example.com", "A")
    assert_rcode(r, NOERROR)
    assert_aa(r)
    rrset = find(r, "answer", "new.example.com", "A")
    assert rdatas(rrset) == {"192.0.2.77"} and rrset.ttl == 300, show(r)

    zc.ok("rr", "add", "example.com", "new 300 IN A 192.0.2.78")
    r = d.query("new.example.com", "A", tcp=True)
    assert rdatas(find(r, "answer", "new.example.com", "A")) == {"192.0.2.77", "192.0.2.78"}, \
        show(r)

    zc.ok("rr", "del", "example.com", "new", "A")
    assert_negative(d.query("new.example.com", "A"), NXDOMAIN, "example.com", NEG_TTL)


def test_rr_set_and_batch_visible(dnsd_factory, zc):
    d = dnsd_factory.start()
    zc.ok("rr", "set", "example.com", "www", "A", "600", "192.0.2.180")
    r = d.query("www.example.com", "A")
    rrset = find(r, "answer", "www.example.com", "A")
    assert rdatas(rrset) == {"192.0.2.180"} and rrset.ttl == 600, show(r)

    # One batch: www becomes a CNAME; a.b goes, so b.example.com is no longer an empty
    # non-terminal and becomes NXDOMAIN.
    zc.ok("batch", "example.com", input="del www\nadd www 300 IN CNAME mail\ndel a.b\n")
    r = d.query("www.example.com", "A")
    assert_rcode(r, NOERROR)
    assert [(x.name.to_text(), dns.rdatatype.to_text(x.rdtype)) for x in r.answer] == \
        [("www.example.com.", "CNAME"), ("mail.example.com.", "A")], show(r)
    assert_negative(d.query("b.example.com", "A"), NXDOMAIN, "example.com", NEG_TTL)


def test_zone_import_and_del_while_running(dnsd_factory, zc, tmp_path):
    d = dnsd_factory.start()
    assert_rcode(d.query("www.example.org", "A"), REFUSED)

    zc.ok("zone", "import", write(tmp_path / "example.org.zone", minimal_zone(
        "example.org.", serial=42, body="www 300 IN A 198.51.100.80\n")))
    r = d.query("www.example.org", "A")
    assert_rcode(r, NOERROR)
    assert_aa(r)
    assert rdatas(find(r, "answer", "www.example.org", "A")) == {"198.51.100.80"}, show(r)
    assert soa_serial(d, "example.org") == 42
    assert_negative(d.query("nothere.example.org", "A"), NXDOMAIN, "example.org", 300,
                    serial=42)

    zc.ok("zone", "del", "example.org")
    for name in ("www.example.org", "example.org"):
        r = d.query(name, "A")
        assert_rcode(r, REFUSED)
    # The other zones are untouched.
    assert rdatas(find(d.query("www.example.com", "A"), "answer", "www.example.com", "A")) == \
        {"192.0.2.80"}


def test_zone_del_of_child_zone_falls_back_to_parent(dnsd_factory, zc):
    # Once sub2.example.com is no zone of its own, example.com's delegation of sub2
    # answers: a referral (RFC 1034 section 4.3.2 step 3b).
    d = dnsd_factory.start()
    assert_aa(d.query("www.sub2.example.com", "A"))
    zc.ok("zone", "del", "sub2.example.com")
    r = d.query("www.sub2.example.com", "A")
    assert_rcode(r, NOERROR)
    assert_aa(r, False)
    assert not r.answer and find(r, "authority", "sub2.example.com", "NS") is not None, show(r)


def test_soa_serial_follows_commits(dnsd_factory, zc):
    d = dnsd_factory.start()
    serial = soa_serial(d)
    assert serial == zc.serial("example.com") == 2024070101
    for i in range(5):
        out = zc.ok("rr", "add", "example.com", "host%d 300 IN A 192.0.2.%d" % (i, 150 + i)).out
        old, new = serial_change(out)
        assert old == serial
        assert soa_serial(d) == new, "SOA serial in the answer is not the commit's (%d)" % new
        # The SOA of negative answers follows too (RFC 2308 section 3).
        assert_negative(d.query("nothere.example.com", "A"), NXDOMAIN, "example.com", NEG_TTL,
                        serial=new)
        r = d.query("host%d.example.com" % i, "A")
        assert rdatas(find(r, "answer", "host%d.example.com" % i, "A")) == {
            "192.0.2.%d" % (150 + i)}, show(r)
        serial = new


# ------------------------------------------------------------ kdig cross-check

KDIG = shutil.which("kdig") or "/usr/bin/kdig"
STATUS = re.compile(r"->>HEADER<<-.*status: ([A-Z]+)")
FLAGS = re.compile(r";; Flags: ([a-z ]*);")
SECTION = re.compile(r";; ([A-Z]+) SECTION:")


def kdig(port, qname, rdtype, *opts):
    """Runs kdig; returns (status, flags, {section: set of records}) parsed from its output."""
    if not shutil.which("kdig"):
        pytest.fail("kdig is missing: install knot-dnsutils (make deps)", pytrace=False)
    argv = [KDIG, "@127.0.0.1", "-p", str(port), "+norec", "+time=2", "+retry=0",
            *opts, qname, rdtype]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=10)
    out = p.stdout
    m = STATUS.search(out)
    assert p.returncode == 0 and m, "%s: exit %d\n%s" % (" ".join(argv), p.returncode, out)
    fm = FLAGS.search(out)
    assert fm, "no ';; Flags:' line in kdig's output:\n%s" % out
    flags = set(fm.group(1).split())
    sections = {"ANSWER": set(), "AUTHORITY": set(), "ADDITIONAL": set()}
    current = None
    for line in out.splitlines():
        sm = SECTION.match(line)
        if sm:
            current = sm.group(1)
            continue
        if not line.strip():
            current = None
            continue
        if line.startswith(";") or current not in sections:
            continue
        owner, ttl, rdclass, t, rdata = line.split(None, 4)
        rrset = dns.rrset.from_text(owner, int(ttl), rdclass, t, rdata)
        for rd in rrset:
            sections[current].add((rrset.name.to_text().lower(), t, int(ttl),
                                   rd.to_text().lower()))
    return m.group(1), flags, sections, out


SAMPLE = [
    ("www.example.com", "A"),
    ("www.example.com", "TXT"),
    ("example.com", "MX"),
    ("nothere.example.com", "A"),
    ("b.example.com", "A"),
    ("chain1.example.com", "A"),
    ("x.wild.example.com", "A"),
    ("www.sub.example.com", "A"),
    ("sub.example.com", "DS"),
    ("www.sub2.example.com", "A"),
    ("www.example.org", "A"),
]


@pytest.mark.parametrize("qname, rdtype", SAMPLE)
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_kdig_agrees(example_server, qname, rdtype, transport):
    d = example_server
    opts = ("+tcp",) if transport == "tcp" else ()
    status, flags, sections, out = kdig(d.port, qname, rdtype, *opts)
    r = d.query(qname, rdtype, tcp=(transport == "tcp"))
    assert status == dns.rcode.to_text(r.rcode()), "kdig: %s, dnspython: %s\n%s\n%s" % (
        status, dns.rcode.to_text(r.rcode()), out, show(r))
    assert ("aa" in flags) == bool(r.flags & dns.flags.AA), "AA differs\n%s\n%s" % (out, show(r))
    assert "ra" not in flags, out
    assert "qr" in flags, out
    assert sections["ANSWER"] == section_view(r, "answer"), "answer differs\n%s\n%s" % (
        out, show(r))
    assert sections["AUTHORITY"] == section_view(r, "authority"), \
        "authority differs\n%s\n%s" % (out, show(r))


def test_kdig_sees_live_change(dnsd_factory, zc):
    d = dnsd_factory.start()
    status, _, sections, out = kdig(d.port, "kdig.example.com", "AAAA")
    assert status == "NXDOMAIN", out
    zc.ok("rr", "add", "example.com", "kdig 300 IN AAAA 2001:db8::77")
    status, flags, sections, out = kdig(d.port, "kdig.example.com", "AAAA")
    assert status == "NOERROR" and "aa" in flags, out
    assert sections["ANSWER"] == {("kdig.example.com.", "AAAA", 300, "2001:db8::77")}, out
