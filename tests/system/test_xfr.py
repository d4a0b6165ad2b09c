"""Zone transfers out of dnsd: the secondaries ACL, AXFR (RFC 5936), IXFR (RFC 1995), and a real
secondary (Knot) pulling a zone from dnsd."""
import socket
import struct
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.zone

from dnsd_helpers import HOST4, dnsd_factory, recv_exact, tcp_send  # noqa: F401
from xfr_helpers import KnotSecondary, import_zone

ZONE = "example.com."


def zone_text(serial=1, hosts=0):
    body = ["$ORIGIN example.com.", "$TTL 300",
            "@ SOA ns1 hostmaster %d 3600 900 1209600 300" % serial, "@ NS ns1", "ns1 A 192.0.2.1",
            "@ MX 10 mail", "mail A 192.0.2.25", "www CNAME @"]
    body += ["h%d A 10.%d.%d.%d" % (i, i >> 16 & 255, i >> 8 & 255, i & 255) for i in range(hosts)]
    return "\n".join(body) + "\n"


def transfer(port, rdtype="AXFR", serial=None):
    """Every message of a transfer over TCP: (messages, records in order)."""
    q = dns.message.make_query(ZONE, rdtype)
    if serial is not None:
        soa = dns.rrset.from_text(ZONE, 0, "IN", "SOA", ". . %d 0 0 0 0" % serial)
        q.authority.append(soa)
    msgs, records, soas = [], [], 0
    deadline = time.monotonic() + 30
    with socket.create_connection((HOST4, port), timeout=10) as s:
        tcp_send(s, q.to_wire())
        while time.monotonic() < deadline and len(msgs) < 10000:
            hdr = recv_exact(s, 2)
            if len(hdr) < 2:
                break
            n = struct.unpack("!H", hdr)[0]
            data = recv_exact(s, n)
            assert len(data) == n, "connection closed mid-message"
            m = dns.message.from_wire(data, one_rr_per_rrset=True)
            msgs.append(m)
            if m.rcode() != dns.rcode.NOERROR:
                break
            for rrset in m.answer:
                for rd in rrset:
                    records.append((rrset.name.to_text(), rrset.ttl,
                                    dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
                    if rrset.rdtype == dns.rdatatype.SOA:
                        soas += 1
            # A transfer ends with its second SOA (or the only one: IXFR, up to date).
            if soas >= 2 or (rdtype == "IXFR" and soas == 1 and len(records) == 1):
                break
    return msgs, records


def test_axfr_refused_unless_secondary(dnsd_factory, zc, tmp_path):
    import_zone(zc, tmp_path, zone_text())
    d = dnsd_factory.start(zones=())
    msgs, records = transfer(d.port)
    # NOTAUTH, as Knot answers a client its ACL does not list (NSD: REFUSED).
    assert msgs and msgs[0].rcode() == dns.rcode.NOTAUTH and not records
    assert d.wait_log("transfer refused for 127.0.0.1 (not a secondary"), d.log_text()
    # Over UDP an AXFR is never given: NOTIMP, as Knot and NSD (RFC 5936 4.2).
    r = dns.query.udp(dns.message.make_query(ZONE, "AXFR"), HOST4, port=d.port, timeout=2)
    assert r.rcode() == dns.rcode.NOTIMP


def test_axfr_is_the_zone(dnsd_factory, zc, tmp_path):
    import_zone(zc, tmp_path, zone_text(serial=7, hosts=30))
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.1")
    d = dnsd_factory.start(zones=())
    msgs, records = transfer(d.port)
    assert msgs[0].rcode() == dns.rcode.NOERROR and msgs[0].flags & dns.flags.AA
    assert records[0][2] == "SOA" and records[-1] == records[0], "SOA first and last"
    exported = dns.zone.from_text(zc.export(ZONE), origin=ZONE, relativize=False)
    want = sorted((n.to_text(), rds.ttl, dns.rdatatype.to_text(rds.rdtype), rd.to_text())
                  for n, rds in exported.iterate_rdatasets() for rd in rds)
    assert sorted(records[:-1]) == want
    assert len(records) == 6 + 30 + 1


def test_large_zone_in_several_messages(dnsd_factory, zc, tmp_path):
    import_zone(zc, tmp_path, zone_text(hosts=20000))
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.1")
    d = dnsd_factory.start(zones=())
    msgs, records = transfer(d.port)
    assert len(msgs) > 10, "a 20,000-record zone takes several messages"
    assert all(len(m.to_wire()) <= 65535 for m in msgs)
    assert len(records) == 6 + 20000 + 1
    assert len({r for r in records}) == 6 + 20000     # no record twice (but the SOA)
    assert d.wait_log("transfer to 127.0.0.1 done, 20007 records"), d.log_text()


def test_ixfr(dnsd_factory, zc, tmp_path):
    import_zone(zc, tmp_path, zone_text(serial=5, hosts=3))
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.1")
    d = dnsd_factory.start(zones=())
    # Up to date: the current SOA alone (RFC 1995 2).
    msgs, records = transfer(d.port, "IXFR", serial=5)
    assert [r[2] for r in records] == ["SOA"] and " 5 " in records[0][3]
    # Behind: the whole zone, AXFR-style (RFC 1995 4).
    msgs, records = transfer(d.port, "IXFR", serial=3)
    assert records[0][2] == "SOA" and records[-1] == records[0] and len(records) == 6 + 3 + 1


def test_knot_secondary_pulls_the_zone(dnsd_factory, zc, tmp_path):
    import_zone(zc, tmp_path, zone_text(serial=11, hosts=100))
    zc.ok("zone", "secondaries", ZONE, "add", "127.0.0.1")
    d = dnsd_factory.start(zones=())
    knot = KnotSecondary(tmp_path / "knot", d.port)
    try:
        knot.start()
        knot.wait_serial(11, timeout=20)        # Knot loaded the zone from dnsd
        r = dns.query.udp(dns.message.make_query("h42." + ZONE, "A"), HOST4, port=knot.port,
                          timeout=2)
        assert r.answer and r.answer[0][0].address == "10.0.0.42"
    finally:
        knot.stop()
