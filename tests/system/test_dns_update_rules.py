"""DNS UPDATE rules that BIND and Knot follow (RFC 2136 3.4.2.2), and updates as long as a TCP
message can be.

The same knsupdate scripts go to dnsd and to knotd serving the same zone with the same key;
afterwards both answer the same for every name the scripts touched, and both changed their zone
or not alike. A CNAME added beside other data, or data added at a CNAME, is ignored (NOERROR),
not refused; a CNAME replaces a CNAME; a record added again keeps its TTL, a new record gives
its RRset its TTL; the apex keeps its SOA and NS. Then a 60 KiB update over TCP (nsupdate -v, and
dnspython), above the 4,096 bytes a TCP query may have.
"""

import socket
import subprocess
import time

import dns.edns
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring
import dns.update
import pytest

from conftest import write
from dnsd_helpers import dnsd_factory, recv_exact  # noqa: F401  (fixture)
from proc_helpers import wait_until
from test_dns_update import tool
from xfr_helpers import HOST4, KNOTD, Server, knot_head, need

ZONE_TEXT = """$ORIGIN example.com.
$TTL 3600
@     SOA   ns1 hostmaster 1 3600 900 604800 300
@     NS    ns1
ns1   A     192.0.2.1
www   A     192.0.2.80
cn    CNAME www
sig   CNAME www
"""

# Each script runs on both servers, in order; the comment says what RFC 2136 wants.
SCRIPTS = [
    # a CNAME where other data is: ignored
    ["update add www.example.com. 300 CNAME other.example.com."],
    # data where a CNAME is: ignored
    ["update add cn.example.com. 300 A 192.0.2.5"],
    # a CNAME where a CNAME is: replaced
    ["update add cn.example.com. 300 CNAME new.example.com."],
    # in one update, the first of the two wins
    ["update add n1.example.com. 300 A 192.0.2.5", "update add n1.example.com. 300 CNAME www"],
    ["update add n2.example.com. 300 CNAME www.example.com.",
     "update add n2.example.com. 300 A 192.0.2.5"],
    # an ignored record beside an applied one: the applied one stays
    ['update add www.example.com. 300 TXT "hi"', 'update add cn.example.com. 300 TXT "x"'],
    # the data deleted first: the CNAME then finds the name free
    ["update delete n1.example.com. A", "update add n1.example.com. 300 CNAME www"],
    # a CNAME at the apex, beside SOA and NS: ignored
    ["update add example.com. 300 CNAME www.example.com."],
    # the same record with another TTL; a new record with another TTL than its RRset's
    ["update add www.example.com. 600 A 192.0.2.80"],
    ["update add www.example.com. 900 A 192.0.2.81"],
    # the apex keeps its NS RRset and its last NS record (RFC 2136 3.4.2.4)
    ["update delete example.com. NS"],
    ["update delete example.com. NS ns1.example.com."],
    # "delete every RRset" at the apex keeps SOA and NS, and takes the rest
    ["update add example.com. 300 MX 10 www.example.com.", 'update add example.com. 300 TXT "t"'],
    ["update delete example.com."],
]
NAMES = ["", "www", "cn", "n1", "n2"]
TYPES = ["A", "CNAME", "TXT", "SOA", "NS", "MX"]


class KnotUpdatable(Server):
    """knotd serving zone_file, taking updates signed with key (name, secret)."""

    name = "knot-update"

    def __init__(self, workdir, zone_file, key, secret):
        super().__init__(workdir)
        need(KNOTD, "knot")
        self.conf = self.dir / "knot.conf"
        self.conf.write_text(knot_head(HOST4, self.port, self.dir, self.logfile) + f"""\
key:
  - id: {key}
    algorithm: hmac-sha256
    secret: {secret}
acl:
  - id: up
    key: {key}
    action: update
zone:
  - domain: example.com.
    file: "{zone_file}"
    storage: "{self.dir}"
    zonefile-sync: -1
    acl: up
""")

    def argv(self):
        return [KNOTD, "-c", str(self.conf)]


def knsupdate(port, lines, key, secret):
    script = "server %s %d\nzone example.com.\n%s\nsend\n" % (HOST4, port, "\n".join(lines))
    p = subprocess.run([tool("knsupdate"), "-y", "hmac-sha256:%s:%s" % (key, secret)],
                       input=script, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout


def answers(port):
    """Every (name, type) of NAMES x TYPES: rcode and the answer's records with TTLs; the SOA
    serial left out (the servers count differently), its change kept by the caller."""
    out = {}
    for name in NAMES:
        for t in TYPES:
            q = dns.message.make_query((name + "." if name else "") + "example.com.", t)
            r = dns.query.udp(q, HOST4, port=port, timeout=3)
            recs = sorted((rr.name.to_text(), rr.ttl, dns.rdatatype.to_text(rr.rdtype),
                           d.to_text()) for rr in r.answer for d in rr
                          if rr.rdtype != dns.rdatatype.SOA)
            out[(name, t)] = (dns.rcode.to_text(r.rcode()), recs)
    return out


def soa_serial(port):
    r = dns.query.udp(dns.message.make_query("example.com.", "SOA"), HOST4, port=port, timeout=3)
    return r.answer[0][0].serial


@pytest.fixture
def pair(dnsd_factory, zc, tmp_path):
    """dnsd and knotd with ZONE_TEXT and the key "upd": (dnsd port, knot port, secret)."""
    zone_file = write(tmp_path / "example.com.zone", ZONE_TEXT)
    d = dnsd_factory.start(zones=(zone_file,))
    secret = zc.json("tsig", "add", "upd")["secret"]
    zc.ok("zone", "update-policy", "example.com", "add", "upd")
    knot = KnotUpdatable(tmp_path / "knot", zone_file, "upd", secret).start()
    try:
        yield d.port, knot.port, secret
    finally:
        knot.stop()


def test_cname_rule_as_knot(pair):
    dport, kport, secret = pair
    assert answers(dport) == answers(kport)
    for lines in SCRIPTS:
        before = {p: soa_serial(p) for p in (dport, kport)}
        got = {p: knsupdate(p, lines, "upd", secret) for p in (dport, kport)}
        assert got[dport][0] == got[kport][0] == 0, (lines, got)
        a, b = answers(dport), answers(kport)
        assert a == b, (lines, {k: (a[k], b[k]) for k in a if a[k] != b[k]})
        changed = {p: soa_serial(p) != before[p] for p in (dport, kport)}
        assert changed[dport] == changed[kport], (lines, changed)
    # What the scripts left, spelled out (so that a Knot that changed its mind shows here).
    a = answers(dport)
    assert a[("www", "CNAME")][1] == [] and a[("www", "TXT")][1] != []
    assert a[("cn", "CNAME")][1] == [("cn.example.com.", 300, "CNAME", "new.example.com.")]
    assert a[("n1", "CNAME")][1] != [] and a[("n2", "CNAME")][1] != []
    assert a[("", "CNAME")][1] == []
    # The same record again kept its TTL; a new one gave the RRset its own.
    assert a[("www", "A")][1] == [("www.example.com.", 900, "A", "192.0.2.80"),
                                  ("www.example.com.", 900, "A", "192.0.2.81")]
    assert a[("", "NS")][1] == [("example.com.", 3600, "NS", "ns1.example.com.")]
    assert a[("", "MX")][1] == [] and a[("", "TXT")][1] == []


def big_txt_lines(n, name="big.example.com."):
    """n TXT records of 250 bytes each: about n * 265 bytes of update."""
    return ['update add %s 300 TXT "%03d%s"' % (name, i, "x" * 247) for i in range(n)]


def test_update_of_60k_over_tcp(pair, tmp_path):
    dport, _, secret = pair
    # nsupdate -v: TCP; 230 records make a message of about 61,000 bytes.
    script = "server %s %d\nzone example.com.\n%s\nsend\n" % (
        HOST4, dport, "\n".join(big_txt_lines(230)))
    p = subprocess.run([tool("nsupdate"), "-v", "-t", "20", "-y", "hmac-sha256:upd:" + secret],
                       input=script, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    assert p.returncode == 0, p.stdout
    r = dns.query.tcp(dns.message.make_query("big.example.com.", "TXT"), HOST4, port=dport,
                      timeout=10)
    assert sum(len(rr) for rr in r.answer) == 230
    # The same with dnspython: the message's size checked, and a query after it on the same
    # connection (the buffer went back to its query size) is answered.
    keyring = dns.tsigkeyring.from_text({"upd.": ("hmac-sha256", secret)})
    u = dns.update.UpdateMessage("example.com.", keyring=keyring, keyalgorithm="hmac-sha256")
    for i in range(240):
        u.add("big2.example.com.", 300, "TXT", '"%03d%s"' % (i, "y" * 247))
    wire = u.to_wire()
    assert 60000 < len(wire) <= 65535, len(wire)
    with socket.create_connection((HOST4, dport), timeout=10) as s:
        q = dns.message.make_query("www.example.com.", "A")
        s.sendall(len(wire).to_bytes(2, "big") + wire)
        qw = q.to_wire()
        s.sendall(len(qw).to_bytes(2, "big") + qw)
        first = dns.message.from_wire(read_frame(s), keyring=keyring, request_mac=u.mac)
        assert first.rcode() == dns.rcode.NOERROR
        second = dns.message.from_wire(read_frame(s))
        assert second.id == q.id and second.answer
    r = dns.query.tcp(dns.message.make_query("big2.example.com.", "TXT"), HOST4, port=dport,
                      timeout=10)
    assert sum(len(rr) for rr in r.answer) == 240


def test_long_messages_that_are_not_updates_still_close(pair):
    dport, _, secret = pair
    # A query above 4,096 bytes: the connection ends, as before.
    q = dns.message.make_query("www.example.com.", "A")
    q.use_edns(0, options=[dns.edns.GenericOption(65001, b"z" * 5000)])
    wire = q.to_wire(max_size=65535)
    with socket.create_connection((HOST4, dport), timeout=10) as s:
        try:
            s.sendall(len(wire).to_bytes(2, "big") + wire)
            got = s.recv(10)
        except ConnectionResetError:    # closed with the query's bytes unread
            got = b""
        assert got == b""
    # A long unsigned UPDATE is read whole and refused, not cut off.
    u = dns.update.UpdateMessage("example.com.")
    for i in range(100):
        u.add("big3.example.com.", 300, "TXT", '"%03d%s"' % (i, "z" * 247))
    wire = u.to_wire()
    assert len(wire) > 4096
    with socket.create_connection((HOST4, dport), timeout=10) as s:
        s.sendall(len(wire).to_bytes(2, "big") + wire)
        r = dns.message.from_wire(read_frame(s))
        assert r.rcode() == dns.rcode.REFUSED


def is_closed(s):
    """Whether the peer closed s (EOF or reset), without waiting."""
    s.setblocking(False)        # a socket with a timeout would wait for readability first
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def read_frame(s):
    return recv_exact(s, int.from_bytes(recv_exact(s, 2), "big"))


BIG_BUFFERS = 32      # dnsd/tcp.c TCP_MAX_BIG: 64 KiB UPDATE buffers at once, in the process


def test_long_update_buffers_are_bounded(pair):
    dport, _, _ = pair
    # The head of a 60,000-byte UPDATE (ID, then flags with opcode 5) on 40 connections: the
    # first 32 get a large buffer and wait for the rest; the others are closed at once.
    head = (60000).to_bytes(2, "big") + b"\x12\x34\x28\x00" + b"\x00" * 8
    conns = []
    try:
        for _ in range(40):
            s = socket.create_connection((HOST4, dport), timeout=10)
            s.sendall(head)
            conns.append(s)
        # Well within tcp-io-timeout (5 s), which would close the waiting ones too.
        assert wait_until(lambda: sum(map(is_closed, conns)) >= 40 - BIG_BUFFERS, 3, step=0.1)
        time.sleep(0.5)
        closed = [is_closed(s) for s in conns]
        assert sum(closed) == 40 - BIG_BUFFERS, closed
        # The buffers come back when their connections end: a new long update is read again.
        for s in conns:
            s.close()
        conns = []
        keyless = dns.update.UpdateMessage("example.com.")
        for i in range(30):
            keyless.add("b.example.com.", 300, "TXT", '"%03d%s"' % (i, "q" * 247))
        wire = keyless.to_wire()

        def answered():
            with socket.create_connection((HOST4, dport), timeout=10) as s:
                s.sendall(len(wire).to_bytes(2, "big") + wire)
                msg = read_frame(s)
                return bool(msg) and dns.message.from_wire(msg).rcode() == dns.rcode.REFUSED
        assert wait_until(answered, 10, step=0.2)
    finally:
        for s in conns:
            s.close()
