"""dnsd on the wire: EDNS, truncation, compression, malformed input, opcodes, TCP, IPv6.

Most tests share one dnsd (serving data/dnsd/example.com.zone and
sub2.example.com.zone) and check after anything hostile that it still answers.
"""

import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from dnsd_helpers import (HOST4, HOST6, assert_aa, assert_rcode, dnsd_factory,  # noqa: F401
                          example_server, find, header, ipv6_loopback_or_fail, listen_arg,
                          make_query, rdatas, recv_exact, show, skip_name, tcp_recv, tcp_send,
                          wait_closed)

NOERROR = dns.rcode.NOERROR
FORMERR = dns.rcode.FORMERR
QR = 0x8000
TC = 0x0200
NO_ANSWER_WAIT = 1.0        # seconds to wait before deciding that no answer comes


@pytest.fixture(scope="module")
def srv(example_server):
    return example_server


# ------------------------------------------------------------ EDNS (RFC 6891)

def test_edns_opt_only_when_asked(srv):
    # RFC 6891 section 7: a responder includes an OPT record only in the answer to a
    # query that had one.
    r = srv.query("www.example.com", "A", edns=0)
    assert r.edns == 0, "no OPT (EDNS version 0) in the answer to an EDNS query:\n%s" % show(r)
    r = srv.query("www.example.com", "A")
    assert r.edns == -1, "OPT in the answer to a query without EDNS:\n%s" % show(r)


@pytest.mark.parametrize("payload", [512, 1232, 4096, 65535])
def test_edns_server_payload(srv, payload):
    # RFC 6891 section 6.2.5 and the DNS flag day 2020 default of NSD and Knot: the server
    # advertises at most 1232 bytes (and at least 512) whatever the client offers.
    r = srv.query("www.example.com", "A", edns=0, payload=payload)
    assert r.edns == 0, show(r)
    assert 512 <= r.payload <= 1232, "server UDP payload %d, want 512..1232" % r.payload


def test_edns_do_bit_copied(srv):
    # RFC 3225 section 3: the DO bit of the query is copied into the response.
    r = srv.query("www.example.com", "A", dnssec=True)
    assert r.edns == 0, show(r)
    assert r.ednsflags & dns.flags.DO, "DO bit not echoed:\n%s" % show(r)
    r = srv.query("www.example.com", "A", edns=0)
    assert not r.ednsflags & dns.flags.DO, "DO set though the query did not set it:\n%s" % show(r)


def test_edns_badvers(srv):
    # RFC 6891 section 6.1.3: a query with an EDNS version above what the responder
    # implements gets BADVERS (extended RCODE 16) with an OPT record of version 0.
    r = srv.query("www.example.com", "A", edns=1)
    assert r.edns == 0, "the BADVERS answer must carry an OPT of version 0:\n%s" % show(r)
    assert r.rcode() == dns.rcode.BADVERS, "want BADVERS, got %s:\n%s" % (
        dns.rcode.to_text(r.rcode()), show(r))
    assert not r.answer, show(r)
    srv.assert_alive()


def test_edns_unknown_option_ignored(srv):
    # RFC 6891 section 6.1.2: options a responder does not understand are ignored; the
    # query is answered as usual (and NSD and Knot do not echo the option).
    opt = dns.edns.GenericOption(65001, b"lockstep-test")
    r = srv.query("www.example.com", "A", edns=0, options=[opt])
    assert_rcode(r, NOERROR)
    assert r.edns == 0, show(r)
    assert rdatas(find(r, "answer", "www.example.com", "A")) == {"192.0.2.80"}, show(r)
    assert all(o.otype != 65001 for o in r.options), "unknown option echoed:\n%s" % show(r)


# ------------------------------------------------------------ truncation

def big_query(**kw):
    return make_query("big.example.com", "TXT", **kw)


def parse_truncated(wire, limit, what):
    assert wire is not None, "no answer over UDP to big.example.com TXT (%s)" % what
    assert len(wire) <= limit, "%s: the UDP answer is %d bytes, above %d" % (
        what, len(wire), limit)
    flags = header(wire)[1]
    assert flags & TC, "%s: TC not set on an answer that cannot hold the RRset" % what
    # RFC 2181 section 9: whatever is in a truncated answer must still be whole records.
    r = dns.message.from_wire(wire)
    assert len(r.question) == 1 and r.question[0].name.to_text() == "big.example.com."
    for rrset in r.answer:
        assert len(rrset) < 30, "%s: all 30 records in %d bytes?" % (what, len(wire))
    return r


def test_truncated_without_edns(srv):
    # RFC 1035 sections 2.3.4 and 4.2.1: UDP messages without EDNS are at most 512 bytes;
    # a larger answer is cut and TC set (RFC 2181 section 9).
    wire = srv.udp_raw(big_query().to_wire())
    r = parse_truncated(wire, 512, "no EDNS")
    assert r.edns == -1, show(r)


@pytest.mark.parametrize("payload", [1232, 4096])
def test_truncated_with_edns(srv, payload):
    # RFC 6891 sections 6.2.3-6.2.5: the answer fits min(client payload, server limit
    # <= 1232); the OPT record is kept in the truncated answer (RFC 6891 section 7).
    wire = srv.udp_raw(big_query(edns=0, payload=payload).to_wire())
    r = parse_truncated(wire, 1232, "EDNS payload %d" % payload)
    assert r.edns == 0, "OPT missing from the truncated answer:\n%s" % show(r)


def test_big_answer_over_tcp(srv):
    # RFC 7766 section 5: over TCP the whole answer is sent (up to 65535 bytes).
    r = srv.send(big_query(), tcp=True)
    assert_rcode(r, NOERROR)
    assert not r.flags & dns.flags.TC, show(r)
    txt = find(r, "answer", "big.example.com", "TXT")
    assert txt is not None and len(txt) == 30, show(r)
    assert all(len(b"".join(rd.strings)) == 200 for rd in txt)


# ------------------------------------------------------------ compression

def uncompressed_size(r):
    size = 12
    for q in r.question:
        size += len(q.name.to_wire()) + 4
    for section in (r.answer, r.authority, r.additional):
        for rrset in section:
            for rd in rrset:
                size += len(rrset.name.to_wire()) + 10 + len(rd.to_wire())
    return size


def test_name_compression(srv):
    # RFC 1035 section 4.1.4: names in the answer are compressed: the owner of every
    # answer record (example.com, the question's name) is a 2-byte pointer.
    wire = srv.udp_raw(make_query("example.com", "MX").to_wire())
    assert wire is not None, "no answer to example.com MX"
    r = dns.message.from_wire(wire)
    assert_rcode(r, NOERROR)
    _, _, qd, an, _, _ = header(wire)
    assert qd == 1 and an == 3, show(r)
    off = skip_name(wire, 12) + 4
    for i in range(an):
        assert wire[off] & 0xC0 == 0xC0, "owner of answer record %d is not a compression " \
            "pointer (byte 0x%02x at offset %d)" % (i, wire[off], off)
        assert struct.unpack("!H", wire[off:off + 2])[0] & 0x3FFF == 12, \
            "owner of answer record %d should point at the question's name" % i
        rdlen = struct.unpack("!H", wire[off + 10:off + 12])[0]
        off += 12 + rdlen
    full = uncompressed_size(r)
    assert len(wire) < full, "answer is %d bytes, uncompressed it would be %d" % (len(wire), full)


# ------------------------------------------------------------ malformed input

def packet(qdcount=1, flags=0x0000, qid=0x4c53, body=b""):
    return struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, 0) + body


QUESTION = dns.message.make_query("www.example.com", "A").question[0].name.to_wire() + \
    struct.pack("!HH", 1, 1)

MALFORMED = {
    "five-bytes": b"\x4c\x53\x00\x00\x00",
    "header-only-qdcount-1": packet(),
    "qdcount-0": packet(qdcount=0),
    "qdcount-2": packet(qdcount=2, body=QUESTION + QUESTION),
    "truncated-question": packet(body=b"\x03www\x07exam"),
    "question-without-type": packet(body=QUESTION[:-4]),
    "compression-loop-self": packet(body=b"\xc0\x0c" + struct.pack("!HH", 1, 1)),
    "compression-loop-two": packet(body=b"\x01a\xc0\x0e" + struct.pack("!HH", 1, 1)),
    "pointer-past-end": packet(body=b"\xc0\xff" + struct.pack("!HH", 1, 1)),
    "label-past-end": packet(body=b"\x3fabc"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_query(srv, name):
    # RFC 1035 section 4.1.1 (FORMERR): NSD and Knot answer a malformed query with FORMERR
    # or drop it; both are fine.  An answer must be a response (QR set) with our ID and
    # FORMERR, and the server must go on answering.
    wire = MALFORMED[name]
    reply = srv.udp_raw(wire, timeout=NO_ANSWER_WAIT)
    if reply is not None:
        assert len(reply) >= 12, "answer of %d bytes to %s" % (len(reply), name)
        qid, flags = struct.unpack("!HH", reply[:4])
        assert flags & QR, "answer to %s without QR" % name
        assert qid == 0x4c53, "answer to %s has ID 0x%04x" % (name, qid)
        assert flags & 0xF == FORMERR, "want FORMERR or no answer for %s, got rcode %d" % (
            name, flags & 0xF)
    srv.assert_alive()


@pytest.mark.parametrize("name", ["qdcount-2", "truncated-question", "compression-loop-self"])
def test_malformed_query_over_tcp(srv, name):
    # The same over TCP: FORMERR, or the connection closed; never a hang or a crash.
    with srv.tcp_connect() as s:
        tcp_send(s, MALFORMED[name])
        elapsed, data = wait_closed(s, 2 * NO_ANSWER_WAIT)
        if data:
            assert len(data) >= 14, data
            flags = struct.unpack("!H", data[4:6])[0]
            assert flags & QR and flags & 0xF == FORMERR, \
                "want FORMERR or a close for %s, got flags 0x%04x" % (name, flags)
    srv.assert_alive()


def test_response_gets_no_answer(srv):
    # RFC 1035 section 4.1.1: QR=1 marks a response; a server does not answer responses
    # (NSD and Knot drop them), which would let two servers ping-pong forever.
    q = make_query("www.example.com", "A")
    q.flags |= dns.flags.QR
    assert srv.udp_raw(q.to_wire(), timeout=NO_ANSWER_WAIT) is None, \
        "dnsd answered a message with QR=1"
    srv.assert_alive()


@pytest.mark.parametrize("opcode", [dns.opcode.IQUERY, dns.opcode.STATUS, 3])
def test_unsupported_opcode_notimp(srv, opcode):
    # RFC 1035 section 4.1.1: RCODE 4, Not Implemented, for a kind of query the server does
    # not support; IQUERY is obsolete (RFC 3425 section 4: NOTIMP).  The opcode is copied.
    q = make_query("www.example.com", "A")
    q.set_opcode(opcode)
    reply = srv.udp_raw(q.to_wire())
    assert reply is not None, "no answer to opcode %d" % opcode
    qid, flags = struct.unpack("!HH", reply[:4])
    assert qid == q.id and flags & QR, reply
    assert (flags >> 11) & 0xF == opcode, "opcode not copied: flags 0x%04x" % flags
    assert flags & 0xF == dns.rcode.NOTIMP, "want NOTIMP for opcode %d, got rcode %d" % (
        opcode, flags & 0xF)


@pytest.mark.parametrize("qname", ["version.bind", "id.server", "hostname.bind",
                                   "version.server"])
def test_chaos_refused_by_default(srv, qname):
    # CH TXT version.bind and id.server (RFC 4892) identify the server; dnsd does not tell
    # by default and refuses, as NSD with hide-version/hide-identity does.
    r = srv.query(qname, "TXT", rdclass="CH")
    assert_rcode(r, dns.rcode.REFUSED)
    assert not r.answer, show(r)


# ------------------------------------------------------------ TCP (RFC 7766)

def test_tcp_pipelined_queries(srv):
    # RFC 7766 section 6.2.1.1: a client may send several queries on one connection
    # without waiting; every answer comes back with its query's ID, in any order.
    q1 = make_query("www.example.com", "A")
    q2 = make_query("mail.example.com", "AAAA")
    q2.id = (q1.id + 1) % 65536
    with srv.tcp_connect() as s:
        s.sendall(struct.pack("!H", len(q1.to_wire())) + q1.to_wire() +
                  struct.pack("!H", len(q2.to_wire())) + q2.to_wire())
        answers = {}
        for _ in range(2):
            r = dns.message.from_wire(tcp_recv(s))
            answers[r.id] = r
    assert set(answers) == {q1.id, q2.id}, "answer IDs %s, want %s" % (
        sorted(answers), sorted((q1.id, q2.id)))
    assert rdatas(find(answers[q1.id], "answer", "www.example.com", "A")) == {"192.0.2.80"}
    assert rdatas(find(answers[q2.id], "answer", "mail.example.com", "AAAA")) == \
        {"2001:db8::25"}


def test_tcp_length_framing(srv):
    # RFC 1035 section 4.2.2: every message over TCP has a 2-byte length prefix; the server
    # must cope with the prefix and the message arriving in pieces (RFC 7766 section 8).
    q = make_query("www.example.com", "A")
    wire = q.to_wire()
    framed = struct.pack("!H", len(wire)) + wire
    with srv.tcp_connect() as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (framed[:1], framed[1:2], framed[2:9], framed[9:]):
            s.sendall(piece)
            time.sleep(0.05)
        head = recv_exact(s, 2)
        assert len(head) == 2
        (length,) = struct.unpack("!H", head)
        body = recv_exact(s, length)
        assert len(body) == length, "length prefix %d, got %d bytes" % (length, len(body))
        r = dns.message.from_wire(body)
        assert r.id == q.id
        assert rdatas(find(r, "answer", "www.example.com", "A")) == {"192.0.2.80"}, show(r)
        # The connection stays open for another query (RFC 7766 section 6.2.1).
        q2 = make_query("ns1.example.com", "A")
        tcp_send(s, q2.to_wire())
        r2 = dns.message.from_wire(tcp_recv(s))
        assert r2.id == q2.id and rdatas(r2.answer[0]) == {"192.0.2.53"}, show(r2)


def test_tcp_zero_length_closes(srv):
    # A length prefix of 0 cannot frame a DNS message (the header alone is 12 bytes):
    # NSD and Knot close the connection without an answer.
    with srv.tcp_connect() as s:
        s.sendall(b"\x00\x00")
        elapsed, data = wait_closed(s, 2.0)
        assert elapsed is not None, "connection still open 2 s after a zero length prefix"
        assert data == b"", "answer to a zero length prefix: %r" % data[:32]
    srv.assert_alive()


def test_tcp_truncated_message_closes(srv):
    # The length says 100 bytes, 20 come, then the client closes its side: no answer, and
    # the server closes the connection (RFC 7766 section 6.2.3: no half messages).
    wire = make_query("www.example.com", "A").to_wire()
    with srv.tcp_connect() as s:
        s.sendall(struct.pack("!H", 100) + wire[:20])
        s.shutdown(socket.SHUT_WR)
        elapsed, data = wait_closed(s, 2.0)
        assert elapsed is not None, "connection still open 2 s after a truncated message"
        assert data == b"", "answer to a truncated message: %r" % data[:32]
    srv.assert_alive()


def test_tcp_idle_timeout(dnsd_factory):
    # RFC 7766 section 6.2.3: the server closes idle connections; `tcp-idle-timeout: 2`
    # in section dnsd: of the configuration file makes that 2 seconds.
    d = dnsd_factory.start(config="dnsd:\n    tcp-idle-timeout: 2\n")
    with d.tcp_connect() as s:
        elapsed, data = wait_closed(s, 5.0)
        assert elapsed is not None, "idle connection still open after 5 s (timeout 2 s)"
        assert data == b"", data[:32]
        assert elapsed >= 1.0, "idle connection closed after %.2f s, the timeout is 2 s" % elapsed
    # A connection that asks and then idles is closed too, after its answer.
    with d.tcp_connect() as s:
        q = make_query("www.example.com", "A")
        tcp_send(s, q.to_wire())
        r = dns.message.from_wire(tcp_recv(s))
        assert r.id == q.id
        elapsed, data = wait_closed(s, 5.0)
        assert elapsed is not None, "connection still open 5 s after its last answer"
    d.assert_alive()


# ------------------------------------------------------------ IPv6

def test_ipv6_listener(dnsd_factory):
    # dnsd listens on every --listen address, [::1] included, over UDP and TCP.
    ipv6_loopback_or_fail()
    from dnsd_helpers import free_port
    port = free_port(ipv6=True)
    d = dnsd_factory.start(port=port, listen=[listen_arg(HOST4, port), listen_arg(HOST6, port)])
    for host in (HOST6, HOST4):
        for tcp in (False, True):
            r = d.query("www.example.com", "AAAA", tcp=tcp, host=host)
            assert_rcode(r, NOERROR)
            assert_aa(r)
            assert rdatas(find(r, "answer", "www.example.com", "AAAA")) == {"2001:db8::80"}, \
                "over %s to %s:\n%s" % ("TCP" if tcp else "UDP", host, show(r))


def test_tcp_client_resets_mid_answer(srv):
    # Clients that pipeline many queries and then reset the connection (SO_LINGER 0) make
    # dnsd's writes fail; that must end those connections only, never the server (dnsd also
    # ignores SIGPIPE, which this test cannot provoke reliably).
    q = make_query("example.com", "TXT").to_wire()
    for _ in range(20):
        s = socket.create_connection((HOST4, srv.port), timeout=2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall((struct.pack("!H", len(q)) + q) * 200)
        s.close()
    time.sleep(0.2)
    srv.assert_alive()
    r = srv.query("example.com", "SOA", tcp=True)
    assert_rcode(r, dns.rcode.NOERROR)
