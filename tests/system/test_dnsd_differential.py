"""dnsd side by side with Knot and NSD: the same zone file served by all three on loopback, the
same questions, and dnsd's answer compared with Knot's (rcode, AA, TC, every section with its
TTLs). NSD answers too: where it agrees with Knot the test checks dnsd against it as well.

The zone holds one case per point of issue 15's "Answers": DNAME (RFC 6672), CNAME chains into a
delegation and a wildcard, ANY at a CNAME (RFC 8482), DS at the apex, an RRset given two TTLs.
"""

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import Zonectl, write
from dnsd_helpers import check_dnsd_binary, start_dnsd
from proc_helpers import HOST4, started
from xfr_helpers import NSD, KnotPrimary, Server, need

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
    # an RRset given two TTLs
    ("tt", "A"), ("tt2", "A"), ("tt3", "A"),
]


def fqdn(name):
    return "%s.%s" % (name, ZONE) if name else ZONE


class NsdPrimary(Server):
    """nsd serving zone_file for ZONE."""

    name = "nsd"

    def __init__(self, workdir, zone_file):
        super().__init__(workdir)
        need(NSD, "nsd")
        self.conf = self.dir / "nsd.conf"
        self.conf.write_text(f"""server:
    server-count: 1
    ip-address: {HOST4}@{self.port}
    zonesdir: "{self.dir}"
    database: ""
    pidfile: "{self.dir}/nsd.pid"
    xfrdfile: "{self.dir}/xfrd.state"
    zonelistfile: "{self.dir}/zone.list"
    logfile: "{self.logfile}"
    username: ""
    chroot: ""
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: {ZONE}
    zonefile: "{zone_file}"
""")

    def argv(self):
        return [NSD, "-d", "-c", str(self.conf)]


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
    knot = KnotPrimary(tmp / "knot", zone_file)
    nsd = NsdPrimary(tmp / "nsd", zone_file)
    with started(tmp, "dnsd") as servers:
        d = start_dnsd(servers, zc, zones=(zone_file,))
        knot.start()
        try:
            nsd.start()
            try:
                yield {"dnsd": d.port, "knot": knot.port, "nsd": nsd.port, "knot_log": knot,
                       "zc": zc, "tmp": tmp}
            finally:
                nsd.stop()
        finally:
            knot.stop()


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
