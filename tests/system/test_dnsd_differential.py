"""dnsd side by side with Knot and NSD: the same zone file served by all three on loopback, the
same questions, and dnsd's answer compared with Knot's (rcode, AA, TC, every section with its
TTLs). NSD answers too: its answer is shown beside them when they differ, and the zone file
and transfer tests check dnsd against NSD where NSD and Knot agree.

The zone holds one case per point of issue 15's "Answers": DNAME (RFC 6672), CNAME chains into a
delegation and a wildcard, ANY at a CNAME (RFC 8482), DS at the apex, an RRset given two TTLs.
"""

import socket
import struct
import subprocess

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from conftest import Zonectl, write
from dnsd_helpers import check_dnsd_binary, recv_exact, start_dnsd
from proc_helpers import HOST4, started
from xfr_helpers import KnotPrimary, NsdPrimary, knot_and_nsd, need

ZONE = "example.com."
ZONE_TEXT = """$ORIGIN example.com.
$TTL 3600
@           SOA   ns1 hostmaster 7 3600 900 604800 300
@           NS    ns1
ns1         A     192.0.2.1
www         A     192.0.2.80
mail        MX    10 www
; RFC 6672: a DNAME, one whose target is outside, a chain and a loop
d     120   DNAME target.example.com.
x.target    A     192.0.2.10
y.x.target  TXT   "deep"
target      A     192.0.2.11
out         DNAME example.net.
ch1         DNAME ch2.example.com.
ch2   200   DNAME target.example.com.
lp1         DNAME lp2.example.com.
lp2         DNAME lp1.example.com.
cd          CNAME x.d.example.com.
; CNAME chains into a delegation and into a wildcard
child       NS    ns.child
ns.child    A     192.0.2.53
to-child    CNAME host.child.example.com.
c1          CNAME c2
c2          CNAME host.child.example.com.
*.wild  600 A     192.0.2.9
to-wild     CNAME x.wild
to-none     CNAME none.example.com.
; ANY at a CNAME
cn          CNAME www
; one RRset, two TTLs
tt    100   A     192.0.2.1
tt    200   A     192.0.2.2
tt2   200   A     192.0.2.1
tt2   100   A     192.0.2.2
tt3   300   A     192.0.2.1
tt3   100   A     192.0.2.2
tt3   200   A     192.0.2.3
"""

# Parent-side types at, above and below a cut: DS below the cut and glue are the child's (a
# referral); NS and other types at the cut are a referral; DS, CDS, DNSKEY and NSEC at the apex
# or at a name with data are NODATA. Knot and NSD agree on every one of these.
PARENT_SIDE = [
    ("x.child", "DS"), ("ns.child", "DS"), ("deep.x.child", "DS"), ("child", "NS"),
    ("child", "A"), ("child", "SOA"), ("child", "ANY"), ("child", "DNSKEY"), ("ns.child", "A"),
    ("x.child", "NS"), ("child", "NSEC"), ("", "NSEC"), ("", "DNSKEY"), ("www", "DS"),
    ("nothing", "DS"), ("to-child", "DS"), ("", "CDS"), ("child", "CDS"),
]

# (name, type): every question asked of the three servers.
CASES = [
    # DNAME: synthesis (the CNAME gets the DNAME's TTL), deeper names, the owner itself.
    ("x.d", "A"), ("y.x.d", "TXT"), ("nothing.d", "A"), ("d", "DNAME"), ("d", "A"),
    ("x.d", "DNAME"), ("x.out", "A"), ("x.ch1", "A"), ("x.lp1", "A"), ("cd", "A"),
    # CNAME into the delegation: the referral after the chain; into the wildcard.
    ("to-child", "A"), ("c1", "A"), ("to-wild", "A"), ("to-wild", "MX"), ("to-none", "A"),
    # ANY
    ("cn", "ANY"),
    # DS at the apex and at the cut, and other types at the apex
    ("", "DS"), ("child", "DS"),
] + PARENT_SIDE + [
    # an RRset given two TTLs
    ("tt", "A"), ("tt2", "A"), ("tt3", "A"),
]


def fqdn(name):
    return "%s.%s" % (name, ZONE) if name else ZONE


def view(msg):
    """What the comparison looks at: rcode, AA, TC, and each section as sorted records."""
    def section(rrsets):
        out = []
        for rrset in rrsets:
            for rd in rrset:
                out.append((rrset.name.to_text().lower(), rrset.ttl,
                            dns.rdatatype.to_text(rrset.rdtype), rd.to_text().lower()))
        return sorted(out)
    return {"rcode": dns.rcode.to_text(msg.rcode()), "aa": bool(msg.flags & dns.flags.AA),
            "tc": bool(msg.flags & dns.flags.TC), "answer": section(msg.answer),
            "authority": section(msg.authority), "additional": section(msg.additional)}


def ask(port, name, rdtype):
    q = dns.message.make_query(fqdn(name), rdtype, use_edns=0, payload=1232)
    return view(dns.query.udp(q, HOST4, port=port, timeout=3))


@pytest.fixture(scope="module")
def three(tmp_path_factory, zonectl_binary):
    """dnsd, knotd and nsd serving ZONE_TEXT; yields their ports and dnsd's import output."""
    check_dnsd_binary()
    tmp = tmp_path_factory.mktemp("diff")
    zone_file = write(tmp / "example.com.zone", ZONE_TEXT)
    zc = Zonectl(tmp)
    with started(tmp, "dnsd") as servers:
        d = start_dnsd(servers, zc, zones=(zone_file,))
        zc.ok("zone", "secondaries", ZONE, "add", HOST4)   # as Knot's acl: 127.0.0.1 only
        with knot_and_nsd(tmp, zone_file, provide_xfr=HOST4) as (knot, nsd):
            yield {"dnsd": d.port, "knot": knot.port, "nsd": nsd.port, "knot_log": knot,
                   "zc": zc, "tmp": tmp}


@pytest.mark.parametrize("name, rdtype", PARENT_SIDE,
                         ids=["%s/%s" % (n or "@", t) for n, t in PARENT_SIDE])
def test_parent_side_types_as_nsd(three, name, rdtype):
    # NSD adds the apex NS to positive answers; none of these is one, so the match is exact.
    dnsd = ask(three["dnsd"], name, rdtype)
    assert dnsd == ask(three["nsd"], name, rdtype), (fqdn(name), rdtype, dnsd)


@pytest.mark.parametrize("name, rdtype", CASES, ids=["%s/%s" % (n or "@", t) for n, t in CASES])
def test_same_answer_as_knot(three, name, rdtype):
    knot = ask(three["knot"], name, rdtype)
    dnsd = ask(three["dnsd"], name, rdtype)
    assert dnsd == knot, "%s %s\n dnsd: %s\n knot: %s\n nsd:  %s" % (
        fqdn(name), rdtype, dnsd, knot, ask(three["nsd"], name, rdtype))


def test_ttl_mismatch_warns_on_import_as_knot(three, tmp_path):
    # Knot's zone loader logs "TTL mismatch ... TTL set to N" for every record that changes its
    # RRset's TTL, and the last one wins; zonectl warns for the same lines (file:line).
    zc = Zonectl(tmp_path)
    path = write(tmp_path / "example.com.zone", ZONE_TEXT)
    r = zc.ok("zone", "import", str(path))
    lines = ZONE_TEXT.splitlines()
    warned = sorted(int(l.split(":")[1]) for l in r.err.splitlines()
                    if "TTL" in l and "gets" in l and l.startswith(str(path) + ":"))
    knot_log = three["knot_log"].log()
    knot_set = [l.rsplit(" ", 1)[1] for l in knot_log.splitlines() if "TTL mismatch" in l]
    want = [i + 1 for i, l in enumerate(lines) if l.startswith("tt") and
            i > 0 and lines[i - 1].split()[0] == l.split()[0] and
            lines[i - 1].split()[1] != l.split()[1]]
    assert warned == want, r.err
    assert len(knot_set) == len(want), knot_log
    for line_no, ttl in zip(want, knot_set):
        msg = [l for l in r.err.splitlines() if l.startswith("%s:%d:" % (path, line_no))][0]
        assert "gets %s " % ttl in msg, (msg, knot_set)


# ------------------------------------------------------------ zone files, checked as NSD checks

NSD_CHECKZONE = "/usr/sbin/nsd-checkzone"


def nsd_checkzone(path):
    need(NSD_CHECKZONE, "nsd")
    p = subprocess.run([NSD_CHECKZONE, ZONE, str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    return p.returncode, p.stdout


@pytest.mark.parametrize("body, bad_line, words", [
    # RFC 6672 2.3: no data below a DNAME; nsd-checkzone: "DNAME at ... has data below it".
    ("d DNAME target.example.com.\nx.d A 192.0.2.1\n", 7, "below the DNAME at d.example.com."),
    ("x.d A 192.0.2.1\nd DNAME target.example.com.\n", 6, "below the DNAME at d.example.com."),
    # A serial is a number: NSD ("serial is expected") and Knot refuse time units there.
    (None, 3, "could not parse"),
], ids=["data-after-dname", "data-before-dname", "serial-1w"])
def test_zone_refused_as_nsd_refuses(zc, tmp_path, body, bad_line, words):
    text = ZONE_HEAD.replace(" 7 3600", " 1w 3600") if body is None else ZONE_HEAD + body
    path = write(tmp_path / "bad.zone", text)
    rc, out = nsd_checkzone(path)
    assert rc != 0, out
    r = zc("zone", "import", str(path))
    assert r.rc != 0, r.out + r.err
    assert "%s:%d: error:" % (path, bad_line) in r.err and words in r.err, r.err
    assert zc.zones() == {}


def test_data_below_stored_dname_refused(zc, tmp_path):
    # The edit path: a record added under a stored DNAME, and a DNAME added above stored names.
    zc.ok("zone", "import", str(write(tmp_path / "z", ZONE_HEAD + "d DNAME t.example.com.\n"
                                                     "www A 192.0.2.80\n")))
    before = zc.snapshot()
    for rr in ("x.d 300 A 192.0.2.1", "y.x.d 300 TXT below", "example.com. 300 DNAME t.example."):
        r = zc("rr", "add", ZONE, rr)
        assert r.rc != 0 and "<command line>:1: error:" in r.err and "DNAME" in r.err, r.err
    r = zc("rr", "add", ZONE, "www 300 DNAME t.example.")
    assert r.rc == 0, r.err       # DNAME beside data at one name: only names below are occluded
    assert zc.snapshot() != before


ZONE_HEAD = "\n".join(ZONE_TEXT.splitlines()[:5]) + "\n"
ESCAPED = r"""\@          TXT   "at"
a\.b        TXT   "dot"
q\"z        TXT   "quote"
\(p\)       TXT   "parens"
s\;t        TXT   "semicolon"
\$d         TXT   "dollar"
sp\032ace   TXT   "space"
to-at       CNAME \@.example.com.
"""
ESCAPED_NAMES = ["@", "a.b", 'q"z', "(p)", "s;t", "$d", "sp ace", "to-at"]


def escaped_query(label, rdtype="TXT"):
    return dns.message.make_query(dns.name.Name([label.encode()] + [b"example", b"com", b""]),
                                  rdtype, use_edns=0, payload=1232)


def test_escaped_owner_names_round_trip_and_load_in_knot_and_nsd(tmp_path, zonectl_binary):
    # Names holding @ " ( ) ; $ and a space: imported, exported escaped (as dig writes them),
    # imported again unchanged; the export loads into nsd-checkzone, Knot and NSD, which
    # answer for those names as dnsd does.
    zc = Zonectl(tmp_path)
    src = write(tmp_path / "src.zone", ZONE_HEAD + ESCAPED)
    zc.ok("zone", "import", str(src))
    exported = zc.export(ZONE)
    for esc in (r"\@.example.com.", r"q\"z.example.com.", r"\(p\).example.com.",
                r"s\;t.example.com.", r"\$d.example.com.", r"CNAME" + "\t" + r"\@.example.com."):
        assert esc in exported, exported
    out = write(tmp_path / "exported.zone", exported)
    assert nsd_checkzone(out)[0] == 0, nsd_checkzone(out)[1]
    before = zc.snapshot()
    r = zc("zone", "import", str(out))
    assert r.rc == 0 and zc.snapshot()["exports"] == before["exports"], r.out + r.err
    knot = KnotPrimary(tmp_path / "knot", out)
    nsd = NsdPrimary(tmp_path / "nsd", out)
    with started(tmp_path, "dnsd") as servers:
        d = start_dnsd(servers, zc, zones=())
        knot.start()
        nsd.start()
        try:
            for label in ESCAPED_NAMES:
                rdtype = "A" if label == "to-at" else "TXT"
                got = {k: view(dns.query.udp(escaped_query(label, rdtype), HOST4, port=p,
                                             timeout=3))
                       for k, p in (("dnsd", d.port), ("knot", knot.port), ("nsd", nsd.port))}
                assert got["dnsd"]["rcode"] == "NOERROR" and got["dnsd"]["answer"], got
                assert got["dnsd"]["answer"] == got["knot"]["answer"] == got["nsd"]["answer"], got
        finally:
            knot.stop()
            nsd.stop()


# ------------------------------------------------------------ transfers

def first_message(port, q, source, tcp):
    """The first message of the answer to q sent from source, or None when none came."""
    family = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, family) as s:
        s.settimeout(3)
        s.bind((source, 0))
        wire = q.to_wire()
        try:
            if not tcp:
                s.sendto(wire, (HOST4, port))
                return dns.message.from_wire(s.recv(65535))
            s.connect((HOST4, port))
            s.sendall(struct.pack("!H", len(wire)) + wire)
            n = struct.unpack("!H", recv_exact(s, 2))[0]
            return dns.message.from_wire(recv_exact(s, n))
        except (OSError, struct.error):
            return None


def xfr_view(m):
    """rcode, RD, TC, the OPT, and how many records each section holds. AA is left out: RFC
    5936 2.2.1 wants it set on a transfer and NSD sets it, Knot does not; dnsd sets it."""
    if m is None:
        return None
    return {"rcode": dns.rcode.to_text(m.rcode()), "rd": bool(m.flags & dns.flags.RD),
            "tc": bool(m.flags & dns.flags.TC), "edns": m.edns,
            "aa-if-error": bool(m.flags & dns.flags.AA) and m.rcode() != dns.rcode.NOERROR,
            "counts": (len(m.question), sum(len(r) for r in m.answer),
                       sum(len(r) for r in m.authority), sum(len(r) for r in m.additional))}


XFR_CASES = [(t, e, src, tcp, soa) for t in ("AXFR", "IXFR") for e in (0, -1)
             for src in ("127.0.0.1", "127.0.0.2") for tcp in (True, False)
             for soa in ((True,) if t == "IXFR" else (False,))]
XFR_CASES += [("IXFR", 0, "127.0.0.1", True, False), ("IXFR", 0, "127.0.0.1", False, False),
              ("IXFR", -1, "127.0.0.1", True, False)]


@pytest.mark.parametrize("rdtype, edns, source, tcp, soa", XFR_CASES,
                         ids=["%s-edns%d-%s-%s%s" % (t, e, s, "tcp" if tcp else "udp",
                                                     "" if soa or t == "AXFR" else "-nosoa")
                              for t, e, s, tcp, soa in XFR_CASES])
def test_transfer_answers_as_knot(three, rdtype, edns, source, tcp, soa):
    # An OPT in the first message to a query with one; RD copied; NOTIMP for AXFR over UDP,
    # NOTAUTH to a client that may not transfer, FORMERR for an IXFR without its SOA.
    q = dns.message.make_query(ZONE, rdtype, use_edns=edns)
    if soa:
        q.authority.append(dns.rrset.from_text(ZONE, 0, "IN", "SOA", ". . 5 0 0 0 0"))
    got = {k: xfr_view(first_message(three[k], q, source, tcp)) for k in ("dnsd", "knot")}
    assert got["knot"] is not None, got
    assert got["dnsd"] == got["knot"], got


@pytest.mark.parametrize("qname", ["nothere.org.", "www.example.com."])
def test_transfer_of_no_zone_is_notauth_as_knot_and_nsd(three, qname):
    q = dns.message.make_query(qname, "AXFR", use_edns=0)
    got = {k: xfr_view(first_message(three[k], q, HOST4, True)) for k in ("dnsd", "knot", "nsd")}
    assert got["dnsd"]["rcode"] == "NOTAUTH" and got["dnsd"] == got["knot"] == got["nsd"], got


def test_axfr_first_message_only_has_opt(three):
    # The whole transfer, in several messages: an OPT in the first (as Knot), none after.
    zc = three["zc"]
    body = "".join("h%d A 10.0.%d.%d\n" % (i, i >> 8, i & 255) for i in range(1500))
    path = write(three["tmp"] / "big.zone", ZONE_TEXT.replace("example.com.", "big.test.")
                 .replace("d     120   DNAME target.big.test.\n", "") + body)
    zc.ok("zone", "import", str(path))
    zc.ok("zone", "secondaries", "big.test.", "add", HOST4)
    q = dns.message.make_query("big.test.", "AXFR", use_edns=0)
    msgs, soas = [], 0
    with socket.create_connection((HOST4, three["dnsd"]), timeout=10) as s:
        wire = q.to_wire()
        s.sendall(struct.pack("!H", len(wire)) + wire)
        while soas < 2 and len(msgs) < 100:
            n = struct.unpack("!H", recv_exact(s, 2))[0]
            m = dns.message.from_wire(recv_exact(s, n), one_rr_per_rrset=True)
            msgs.append(m)
            soas += sum(1 for r in m.answer if r.rdtype == dns.rdatatype.SOA)
    assert soas == 2 and len(msgs) > 1, len(msgs)
    assert msgs[0].edns == 0 and all(m.edns == -1 for m in msgs[1:]), [m.edns for m in msgs]
    assert all(m.flags & dns.flags.AA and m.rcode() == dns.rcode.NOERROR for m in msgs)
