"""An Unbound resolver in front of dnsd, and in front of Knot and NSD secondaries that
transferred the zone from dnsd, gives the same answers (issue 15, "External suites").

Three unbound processes on loopback, each with a stub-zone for example.com pointing at one
server (dnsd, the Knot secondary, the NSD secondary), no trust anchor (the zone is insecure),
no chroot, user or pid file, so /etc/unbound plays no part. The delegation child.example.com
points at 192.0.2.53, which a test cannot reach: each unbound has a second stub-zone for it,
served by a Knot primary on loopback, so chains that lead into the delegation resolve."""

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import Zonectl, write
from dnsd_helpers import check_dnsd_binary, start_dnsd
from proc_helpers import HOST4, started
from test_dnsd_differential import CASES, ZONE_TEXT, fqdn
from xfr_helpers import KnotPrimary, KnotSecondary, NsdSecondary, Server, make_key, need

UNBOUND = "/usr/sbin/unbound"
ZONE = "example.com."
CHILD_TEXT = """$ORIGIN child.example.com.
$TTL 3600
@       SOA   ns hostmaster 1 3600 900 604800 300
@       NS    ns
ns      A     192.0.2.53
host    A     192.0.2.54
host    TXT   "in the child"
"""
# The differential test's cases but three: x.out (its DNAME leads to example.net, out on the
# Internet), @/DS (a resolver asks the parent, com., for it) and cn/ANY (unbound follows the CNAME
# to www, where dnsd gives its RFC 8482 short answer, dnsd(8), and Knot and NSD the whole set;
# the answer at cn itself is compared in test_dnsd_differential). And more that a resolver's cache and iteration meet: NXDOMAIN, NODATA, MX with its additional
# address, TXT, names at and below the delegation.
UNBOUND_CASES = [c for c in CASES if c not in (("x.out", "A"), ("", "DS"), ("cn", "ANY"))] + [
    ("nothing", "A"), ("www", "TXT"), ("mail", "MX"), ("www", "A"), ("txt", "TXT"),
    ("", "SOA"), ("", "NS"), ("", "MX"), ("host.child", "A"), ("host.child", "TXT"),
    ("child", "NS"), ("nope.child", "A"), ("c1", "TXT"), ("y.x.d", "A"), ("a.b.wild", "A"),
]
EXTRA_TEXT = 'txt TXT "one" "two"\ntxt TXT "second record"\n@ MX 20 mail\n'


class Unbound(Server):
    """unbound on HOST4 resolving example.com through stub (host, port), child.example.com
    through child_port; nothing else."""

    name = "unbound"

    def __init__(self, workdir, stub, child_port):
        super().__init__(workdir)
        need(UNBOUND, "unbound")
        self.conf = self.dir / "unbound.conf"
        self.conf.write_text(f"""server:
    interface: {HOST4}@{self.port}
    port: {self.port}
    do-daemonize: no
    chroot: ""
    username: ""
    pidfile: ""
    directory: "{self.dir}"
    logfile: "{self.logfile}"
    use-syslog: no
    verbosity: 1
    num-threads: 1
    do-ip6: no
    do-not-query-localhost: no
    module-config: "iterator"
    domain-insecure: "{ZONE}"
    access-control: 127.0.0.0/8 allow
remote-control:
    control-enable: no
stub-zone:
    name: "{ZONE}"
    stub-addr: {stub[0]}@{stub[1]}
stub-zone:
    name: "child.{ZONE}"
    stub-addr: {HOST4}@{child_port}
""")

    def argv(self):
        return [UNBOUND, "-d", "-c", str(self.conf)]


def view(msg):
    """rcode and the answer section as sorted (owner, ttl, type, rdata)."""
    answer = sorted((r.name.to_text().lower(), r.ttl, dns.rdatatype.to_text(r.rdtype),
                     rd.to_text().lower()) for r in msg.answer for rd in r)
    return {"rcode": dns.rcode.to_text(msg.rcode()), "answer": answer}


def ask(port, name, rdtype, host=HOST4):
    q = dns.message.make_query(fqdn(name), rdtype, use_edns=0, payload=1232)
    return view(dns.query.udp(q, host, port=port, timeout=10))


def same(a, b):
    """Equal but for TTLs, which may differ by the seconds between the two questions."""
    def strip(v):
        return {"rcode": v["rcode"], "answer": [(o, t, d) for o, _, t, d in v["answer"]]}
    if strip(a) != strip(b):
        return False
    return all(abs(x[1] - y[1]) <= 2 for x, y in zip(a["answer"], b["answer"]))


@pytest.fixture(scope="module")
def resolvers(tmp_path_factory, zonectl_binary):
    """{"dnsd"|"knot"|"nsd": port of the unbound in front of it}."""
    check_dnsd_binary()
    tmp = tmp_path_factory.mktemp("unbound")
    zc = Zonectl(tmp)
    zone_file = write(tmp / "example.com.zone", ZONE_TEXT + EXTRA_TEXT)
    child = KnotPrimary(tmp / "child", write(tmp / "child.zone", CHILD_TEXT), zone="child.example.com.")
    key = make_key(zc, "xfr-key", "hmac-sha256")
    others = [child]
    with started(tmp, "dnsd") as servers:
        try:
            d = start_dnsd(servers, zc, zones=(zone_file,))
            knot = KnotSecondary(tmp / "knot", d.port, key, host="127.0.0.2")
            nsd = NsdSecondary(tmp / "nsd", d.port, key, host="127.0.0.3")
            for s in (knot, nsd):
                zc.ok("zone", "secondaries", ZONE, "add", s.address, "--key", "xfr-key")
            for s in (child, knot, nsd):
                others.append(s)
                s.start()
            knot.wait_serial(7)
            nsd.wait_serial(7)
            ports = {}
            backends = {"dnsd": (HOST4, d.port), "knot": (knot.host, knot.port),
                        "nsd": (nsd.host, nsd.port)}
            for name, stub in backends.items():
                u = Unbound(tmp / ("unbound-" + name), stub, child.port)
                others.append(u)
                ports[name] = u.start().port
            ports["servers"] = backends
            yield ports
        finally:
            for s in reversed(others):
                s.stop()


@pytest.mark.parametrize("name, rdtype", UNBOUND_CASES,
                         ids=["%s/%s" % (n or "@", t) for n, t in UNBOUND_CASES])
def test_unbound_answers_the_same_through_dnsd_and_its_secondaries(resolvers, name, rdtype):
    got = {k: ask(resolvers[k], name, rdtype) for k in ("dnsd", "knot", "nsd")}
    direct = {k: ask(a[1], name, rdtype, a[0]) for k, a in resolvers["servers"].items()}
    msg = "%s %s\n through unbound: %s\n direct: %s" % (fqdn(name), rdtype, got, direct)
    # A resolver fails on a DNAME loop (RFC 6672 has it detect them); nowhere else.
    assert (got["dnsd"]["rcode"] == "SERVFAIL") == (name == "x.lp1"), msg
    assert same(got["dnsd"], got["knot"]) and same(got["dnsd"], got["nsd"]), msg


def test_unbound_cases_are_not_vacuous(resolvers):
    # Each kind of answer the cases were chosen for does come through the resolver.
    seen = {(ask(resolvers["dnsd"], n, t)["rcode"], bool(ask(resolvers["dnsd"], n, t)["answer"]))
            for n, t in (("nothing", "A"), ("www", "TXT"), ("to-child", "A"), ("x.d", "A"))}
    assert seen == {("NXDOMAIN", False), ("NOERROR", False), ("NOERROR", True)}, seen
    chain = ask(resolvers["dnsd"], "to-child", "A")["answer"]
    assert ("host.child.example.com.", "A", "192.0.2.54") in [(o, t, d) for o, _, t, d in chain]
    dname = ask(resolvers["dnsd"], "x.d", "A")["answer"]
    assert any(t == "DNAME" for _, _, t, _ in dname) and any(t == "CNAME" for _, _, t, _ in dname)
