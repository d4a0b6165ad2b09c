"""Who may transfer a zone from dnsd: the secondaries ACL with TSIG keys (RFC 8945), checked
with dnspython as the client, from several loopback source addresses. Every answer to a signed
query is signed (each message of a transfer), or is NOTAUTH with the TSIG error."""
import socket
import struct
import time

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.xfr
import pytest

from dnsd_helpers import HOST4, dnsd_factory, tcp_recv, tcp_send  # noqa: F401
from xfr_helpers import import_zone, make_key

ZONE = "example.com."
HOSTS = 3000              # enough records for several messages


def zone_text(serial=1):
    return "\n".join(["$ORIGIN example.com.", "$TTL 300",
                      "@ SOA ns1 hostmaster %d 3600 900 1209600 300" % serial, "@ NS ns1",
                      "ns1 A 192.0.2.1", "@ MX 10 mail", "mail A 192.0.2.25"] +
                     ["h%d A 10.0.%d.%d" % (i, i >> 8, i & 255) for i in range(HOSTS)]) + "\n"


def tsig(name, alg, secret):
    return dns.tsig.Key(name + ".", secret, alg)


def query(rdtype="AXFR", key=None, serial=None, when=None):
    q = dns.message.make_query(ZONE, rdtype)
    if serial is not None:
        q.authority.append(dns.rrset.from_text(ZONE, 0, "IN", "SOA", ". . %d 0 0 0 0" % serial))
    if key is not None:
        q.use_tsig(key, fudge=300)
    if when is None:
        return q, q.to_wire()
    real = time.time
    time.time = lambda: when          # a client whose clock is wrong
    try:
        return q, q.to_wire()
    finally:
        time.time = real


def tcp_exchange(port, wire, source=HOST4):
    """The first message the server answers one query with over TCP, as a one-item list."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.bind((source, 0))
        s.connect((HOST4, port))
        tcp_send(s, wire)
        return [tcp_recv(s)]


def tsig_rdata(wire):
    """The TSIG record of an answer with only a question before it, read without checking."""
    off = 12
    _, used = dns.name.from_wire(wire, off)
    off += used + 4
    _, used = dns.name.from_wire(wire, off)
    off += used
    rdtype, _, _, rdlen = struct.unpack("!HHIH", wire[off:off + 10])
    assert rdtype == dns.rdatatype.TSIG and off + 10 + rdlen == len(wire)
    return dns.rdata.from_wire(dns.rdataclass.ANY, rdtype, wire, off + 10, rdlen)


def rcode(wire):
    return wire[3] & 0xF


def tsig_error(wire, key):
    """The TSIG error of an answer, as the exception dnspython raises for it."""
    try:
        dns.message.from_wire(wire, keyring={key.name: key}, request_mac=b"")
    except (dns.tsig.PeerBadSignature, dns.tsig.PeerBadKey, dns.tsig.PeerBadTime) as e:
        return type(e).__name__
    return None


@pytest.fixture
def server(dnsd_factory, zc, tmp_path):
    import_zone(zc, tmp_path, zone_text(serial=7))
    keys = {n: make_key(zc, n, a) for n, a in (("k1", "hmac-sha256"), ("k2", "hmac-sha512"),
                                                  ("k3", "hmac-sha1"))}
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.1", "--key", "k1")
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.2")
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.4", "--key", "k3")
    d = dnsd_factory.start(zones=())
    d.keys = {n: tsig(*k) for n, k in keys.items()}
    d.secrets = [k[2] for k in keys.values()]
    return d


def refused_line(d, addr, why):
    return d.wait_log("dnsd: example.com.: transfer refused for %s (%s)" % (addr, why))


def test_signed_axfr_every_message_signed(server):
    d = server
    for name, source in (("k1", "127.0.0.1"), ("k3", "127.0.0.4")):
        key = d.keys[name]
        msgs = list(dns.query.xfr(HOST4, ZONE, port=d.port, keyring={key.name: key},
                                  keyname=key.name, keyalgorithm=key.algorithm, source=source,
                                  lifetime=20))
        # dnspython checked every message's MAC against the previous one (RFC 8945 5.3.1).
        assert len(msgs) > 1 and all(m.had_tsig for m in msgs), len(msgs)
        names = {r.name for m in msgs for r in m.answer}
        assert len(names) == HOSTS + 3
    # IXFR over TCP, signed, up to date: the SOA alone, signed.
    q, wire = query("IXFR", key=d.keys["k1"], serial=7)
    out = tcp_exchange(d.port, wire)
    r = dns.message.from_wire(out[0], keyring={d.keys["k1"].name: d.keys["k1"]}, request_mac=q.mac)
    assert r.had_tsig and [rr.rdtype for rr in r.answer] == [dns.rdatatype.SOA]
    # Secrets never reach the log.
    assert not [l for l in d.log for s in d.secrets if s in l]


def test_wrong_secret_is_badsig(server):
    d = server
    forged = dns.tsig.Key("k1.", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "hmac-sha256")
    q, wire = query(key=forged)
    out = tcp_exchange(d.port, wire)
    assert rcode(out[0]) == dns.rcode.NOTAUTH
    assert tsig_error(out[0], forged) == "PeerBadSignature"
    assert tsig_rdata(out[0]).mac == b""        # unsigned (RFC 8945 5.3.2)
    assert refused_line(d, "127.0.0.1", "TSIG BADSIG, key k1"), d.log_text()


def test_other_or_unknown_key_is_badkey(server):
    d = server
    # k2 exists and verifies, but the entry for 127.0.0.1 says k1.
    q, wire = query(key=d.keys["k2"])
    out = tcp_exchange(d.port, wire)
    assert rcode(out[0]) == dns.rcode.NOTAUTH
    assert tsig_error(out[0], d.keys["k2"]) == "PeerBadKey" and tsig_rdata(out[0]).mac == b""
    assert refused_line(d, "127.0.0.1", "signed with TSIG key k2, not k1"), d.log_text()
    unknown = dns.tsig.Key("nobody.", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "hmac-sha256")
    q, wire = query(key=unknown)
    out = tcp_exchange(d.port, wire)
    assert rcode(out[0]) == dns.rcode.NOTAUTH and tsig_error(out[0], unknown) == "PeerBadKey"
    assert refused_line(d, "127.0.0.1", "TSIG BADKEY, key nobody"), d.log_text()


def test_bad_time_is_badtime(server):
    d = server
    q, wire = query(key=d.keys["k1"], when=time.time() - 1000)
    out = tcp_exchange(d.port, wire)
    assert rcode(out[0]) == dns.rcode.NOTAUTH
    assert tsig_error(out[0], d.keys["k1"]) == "PeerBadTime"
    # The BADTIME answer is signed and carries the server's time (RFC 8945 5.2.3).
    rd = tsig_rdata(out[0])
    assert len(rd.other) == 6 and abs(int.from_bytes(rd.other, "big") - time.time()) < 10
    assert len(rd.mac) == 32 and rd.error == dns.rcode.BADTIME
    assert rd.time_signed == q.tsig[0].time_signed


def test_unsigned_or_unlisted_refused(server):
    d = server
    q, wire = query()
    # Refusals are NOTAUTH, as Knot answers them (NSD: REFUSED).
    out = tcp_exchange(d.port, wire)                       # 127.0.0.1 must sign with k1
    assert rcode(out[0]) == dns.rcode.NOTAUTH
    assert refused_line(d, "127.0.0.1", "not signed: TSIG key k1 required"), d.log_text()
    out = tcp_exchange(d.port, wire, source="127.0.0.3")   # not a secondary at all
    assert rcode(out[0]) == dns.rcode.NOTAUTH
    assert refused_line(d, "127.0.0.3", "not a secondary of the zone"), d.log_text()
    # Signed with a good key is not enough for an address that is not listed.
    q, wire = query(key=d.keys["k1"])
    out = tcp_exchange(d.port, wire, source="127.0.0.3")
    assert rcode(out[0]) == dns.rcode.NOTAUTH
    # 127.0.0.2 is listed without a key: unsigned is fine there.
    msgs = list(dns.query.xfr(HOST4, ZONE, port=d.port, source="127.0.0.2", lifetime=20))
    assert sum(len(r) for m in msgs for r in m.answer) == HOSTS + 5 + 1


def test_signed_soa_and_udp_ixfr(server):
    d = server
    key = d.keys["k1"]
    # A secondary's refresh: SOA over UDP, signed; the answer is signed (dnspython checks it).
    q, _ = query("SOA", key=key)
    r = dns.query.udp(q, HOST4, port=d.port, timeout=2)
    assert r.had_tsig and r.answer[0][0].serial == 7
    forged = dns.tsig.Key("k1.", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "hmac-sha256")
    q, wire = query("SOA", key=forged)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(wire, (HOST4, d.port))
        ans = s.recv(4096)
    assert rcode(ans) == dns.rcode.NOTAUTH and tsig_error(ans, forged) == "PeerBadSignature"
    # IXFR over UDP from an older serial: the current SOA only (go to TCP), signed.
    q, _ = query("IXFR", key=key, serial=3)
    r = dns.query.udp(q, HOST4, port=d.port, timeout=2)
    assert r.had_tsig and [rr.rdtype for rr in r.answer] == [dns.rdatatype.SOA]
    assert r.answer[0][0].serial == 7
    # ... and refused to an address that may not transfer.
    q, _ = query("IXFR", serial=3)
    r = dns.query.udp(q, HOST4, port=d.port, timeout=2, source="127.0.0.3")
    assert r.rcode() == dns.rcode.NOTAUTH
