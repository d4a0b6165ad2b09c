"""Shared helpers for the dnsd system tests (tests/system/test_dnsd_*.py).

Every test runs the real build/dnsd on a zone store that the real zonectl
filled, and talks DNS to it over 127.0.0.1 (and ::1) with dnspython or raw
sockets.  The interface used:

    build/dnsd --state DIR --listen 127.0.0.1:PORT [--listen [::1]:PORT]
               [--workers N] [-c FILE]
        runs in the foreground, logs to stderr, prints a line containing
        "dnsd: ready" on stderr once it listens; SIGTERM: exit 0 within 1 s.
    build/dnsd -n [-c FILE]
        checks the configuration: "configuration OK" and exit 0, or the
        errors as FILE:LINE and exit 1.

The environment variable LOCKSTEP_DNSD names another binary to test (an
installed dnsd, say); the default is build/dnsd.  A missing binary fails
every test that needs it with a clear message: it is never a skip.

Fixtures (import them into the test module to use them):

    example_server   module scope: dnsd serving data/dnsd/example.com.zone
                     and data/dnsd/sub2.example.com.zone, read-only use
    dnsd_factory     function scope: start(zones=..., config=..., ...) starts
                     a dnsd of its own on the state dir of the `zc` fixture
"""

import os
import socket
import struct
import time
from pathlib import Path

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from conftest import BUILD, DATA, Zonectl
from proc_helpers import HOST4, HOST6, Daemon, free_port, started  # noqa: F401  (re-exported)

DNSD = Path(os.environ.get("LOCKSTEP_DNSD") or (BUILD / "dnsd"))
DNSD_DATA = DATA / "dnsd"
EXAMPLE_ZONE = DNSD_DATA / "example.com.zone"
SUB2_ZONE = DNSD_DATA / "sub2.example.com.zone"
EXAMPLE_ZONES = (EXAMPLE_ZONE, SUB2_ZONE)

READY = "dnsd: ready"
READY_TIMEOUT = 10      # seconds to wait for READY after the start
QUERY_TIMEOUT = 2       # seconds to wait for an answer
STOP_TIMEOUT = 3        # seconds between SIGTERM and SIGKILL at teardown


def dnsd_counters(state):
    """dnsd's counters as it last wrote them to STATE/dnsd.stats (every second), as `zonectl
    stats` reads them: {name: value}; empty before the first write."""
    out = {}
    try:
        text = (Path(state) / "dnsd.stats").read_text()
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if v.isdigit():
            out[k] = int(v)
    return out


def check_dnsd_binary():
    """Fails the test (never skips) when the dnsd binary is not there."""
    if DNSD.is_dir():
        pytest.fail("%s is a directory, not the dnsd program: build dnsd (make all) "
                    "before the dnsd system tests" % DNSD, pytrace=False)
    if not (DNSD.is_file() and os.access(DNSD, os.X_OK)):
        pytest.fail("%s is missing or not executable: build dnsd (make all) before the "
                    "dnsd system tests" % DNSD, pytrace=False)


def ipv6_loopback_or_fail():
    """Fails with a clear message when ::1 cannot be bound (the CI machine has it)."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            s.bind((HOST6, 0))
        finally:
            s.close()
    except OSError as e:
        pytest.fail("cannot bind a socket to [::1] on this machine (%s): the IPv6 tests "
                    "need the IPv6 loopback address" % e, pytrace=False)


def listen_arg(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


# ---------------------------------------------------------------- messages

def make_query(qname, rdtype="A", rdclass="IN", edns=None, payload=1232, dnssec=False,
               rd=False, options=None, ednsflags=0):
    """A query message; EDNS only when edns (its version) is given or dnssec is set."""
    use_edns = edns if edns is not None else (0 if (dnssec or options) else None)
    q = dns.message.make_query(qname, rdtype, rdclass)
    if use_edns is not None:
        # Set in one call: dnspython 2.3's make_query(want_dnssec=False) rewrites the OPT
        # and loses an EDNS version other than 0.
        q.use_edns(use_edns, ednsflags=ednsflags | (dns.flags.DO if dnssec else 0),
                   payload=payload, options=options)
    if not rd:
        q.flags &= ~dns.flags.RD
    return q


def rcode_text(code):
    try:
        return dns.rcode.to_text(code)
    except Exception:
        return str(code)


def show(msg):
    """A message as text, for assertion messages."""
    if msg is None:
        return "<no answer>"
    if isinstance(msg, (bytes, bytearray)):
        return "<%d bytes: %s>" % (len(msg), bytes(msg[:64]).hex())
    return msg.to_text()


def flag_set(msg, flag):
    return bool(msg.flags & flag)


def find(msg, section, name, rdtype):
    """The RRset of name/rdtype in section ("answer", "authority", "additional"), or None."""
    want_name = dns.name.from_text(name)
    want_type = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    for rrset in getattr(msg, section):
        if rrset.name == want_name and rrset.rdtype == want_type:
            return rrset
    return None


def rdatas(rrset):
    """The RRset's records as a set of lower-case presentation strings."""
    return {r.to_text().lower() for r in rrset} if rrset is not None else set()


def section_view(msg, section):
    """A comparable view of a section: {(owner, type, ttl, rdata text)}."""
    out = set()
    for rrset in getattr(msg, section):
        for r in rrset:
            out.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype),
                     rrset.ttl, r.to_text().lower()))
    return out


def assert_rcode(msg, rcode):
    assert msg.rcode() == rcode, "want rcode %s, got %s:\n%s" % (
        rcode_text(rcode), rcode_text(msg.rcode()), show(msg))


def assert_aa(msg, expected=True):
    assert flag_set(msg, dns.flags.AA) == expected, "AA should be %s:\n%s" % (
        "set" if expected else "clear", show(msg))


def assert_negative(msg, rcode, zone, soa_ttl, serial=None):
    """An authoritative negative answer (RFC 2308 sections 2.1, 2.2 and 3).

    rcode as given, AA set, empty answer, the zone's SOA (and nothing else of
    that zone's apex) in authority with TTL soa_ttl.
    """
    assert_rcode(msg, rcode)
    assert_aa(msg)
    assert not msg.answer, "the answer section should be empty:\n%s" % show(msg)
    soa = find(msg, "authority", zone, "SOA")
    assert soa is not None, "no SOA of %s in the authority section:\n%s" % (zone, show(msg))
    assert soa.ttl == soa_ttl, "SOA TTL in authority should be %d (RFC 2308: min(SOA TTL, " \
        "SOA minimum)), got %d:\n%s" % (soa_ttl, soa.ttl, show(msg))
    assert len(soa) == 1
    if serial is not None:
        assert soa[0].serial == serial, "SOA serial %d, want %d" % (soa[0].serial, serial)
    return soa


def header(wire):
    """(id, flags, qdcount, ancount, nscount, arcount) of a wire message."""
    return struct.unpack("!HHHHHH", wire[:12])


def skip_name(wire, off):
    """Offset just after the (possibly compressed) name at off."""
    for _ in range(128):
        n = wire[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n
    raise AssertionError("name at offset %d has too many labels" % off)


# ---------------------------------------------------------------- raw sockets

def udp_raw(wire, port, host=HOST4, timeout=QUERY_TIMEOUT):
    """Sends wire in one UDP datagram; returns the reply datagram, or None after timeout."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(wire)
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def tcp_connect(port, host=HOST4, timeout=QUERY_TIMEOUT):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def recv_exact(sock, n):
    """Exactly n bytes from sock; fewer only when the peer closed (EOF)."""
    buf = b""
    for _ in range(n + 1):          # each recv returns at least one byte or EOF
        if len(buf) >= n:
            break
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def tcp_send(sock, wire):
    """Sends one message with its 2-byte length prefix (RFC 1035 section 4.2.2)."""
    sock.sendall(struct.pack("!H", len(wire)) + wire)


def tcp_recv(sock):
    """Reads one length-prefixed message; fails the test on EOF or a short read."""
    head = recv_exact(sock, 2)
    assert len(head) == 2, "connection closed before the 2-byte length of an answer"
    (length,) = struct.unpack("!H", head)
    body = recv_exact(sock, length)
    assert len(body) == length, "the answer is %d bytes, the length prefix said %d" % (
        len(body), length)
    return body


def wait_closed(sock, timeout):
    """Seconds until the peer closed the connection (EOF or reset), None if still open.

    Any data read before the close is returned too: (elapsed or None, data).
    """
    start = time.monotonic()
    data = b""
    for _ in range(10000):
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            return None, data
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            return None, data
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start, data
        if not chunk:
            return time.monotonic() - start, data
        data += chunk
    return None, data


# ---------------------------------------------------------------- the server

class Dnsd(Daemon):
    """One dnsd process: started, waited for until ready, stopped by its PID (proc_helpers)."""

    name = "dnsd"
    user_section = "dnsd"
    ready = READY
    ready_timeout = READY_TIMEOUT
    stop_timeout = STOP_TIMEOUT

    def __init__(self, workdir, state, port, listen=None, workers=None, config=None,
                 extra_args=()):
        super().__init__(workdir, state, port, config if config is not None else
                         "# empty: every option at its default\n", extra_args)
        self.listen = list(listen) if listen else [listen_arg(HOST4, port)]
        self.workers = workers

    def check_binary(self):
        check_dnsd_binary()

    def argv(self):
        a = [str(DNSD), "--state", str(self.state)]
        for l in self.listen:
            a += ["--listen", l]
        if self.workers is not None:
            a += ["--workers", str(self.workers)]
        return a + ["-c", str(self.config)] + self.extra_args

    # ------------------------------------------------------------ queries

    def _died(self):
        if self.proc is not None and self.proc.poll() is not None:
            return "\ndnsd has exited with code %d; stderr:\n%s" % (self.proc.returncode,
                                                                   self.log_text())
        return ""

    def send(self, q, tcp=False, host=HOST4, timeout=QUERY_TIMEOUT):
        """Sends the message q, returns the parsed answer; fails clearly on a timeout."""
        try:
            if tcp:
                return dns.query.tcp(q, host, timeout=timeout, port=self.port)
            return dns.query.udp(q, host, timeout=timeout, port=self.port)
        except dns.exception.Timeout:
            pytest.fail("no answer within %s s over %s to:\n%s%s" % (
                timeout, "TCP" if tcp else "UDP", show(q), self._died()), pytrace=False)
        except (ConnectionError, OSError) as e:
            pytest.fail("query over %s failed (%s):\n%s%s" % (
                "TCP" if tcp else "UDP", e, show(q), self._died()), pytrace=False)

    def query(self, qname, rdtype="A", tcp=False, host=HOST4, **kw):
        """make_query(qname, rdtype, **kw) sent over UDP (or TCP); the parsed answer."""
        return self.send(make_query(qname, rdtype, **kw), tcp=tcp, host=host)

    def udp_raw(self, wire, timeout=QUERY_TIMEOUT, host=HOST4):
        return udp_raw(wire, self.port, host=host, timeout=timeout)

    def tcp_connect(self, host=HOST4, timeout=QUERY_TIMEOUT):
        return tcp_connect(self.port, host=host, timeout=timeout)

    def assert_alive(self, name="www.example.com", address="192.0.2.80"):
        """dnsd still runs and answers a normal query correctly over UDP and TCP."""
        assert self.running(), "dnsd is not running any more" + self._died()
        for tcp in (False, True):
            r = self.query(name, "A", tcp=tcp)
            assert_rcode(r, dns.rcode.NOERROR)
            assert address in rdatas(find(r, "answer", name, "A")), show(r)


def start_dnsd(servers, zc, zones=EXAMPLE_ZONES, **kw):
    """Loads zones into zc's state dir with zonectl, then starts a dnsd of servers on it."""
    check_dnsd_binary()
    for z in zones:
        zc.ok("zone", "import", z)
    port = kw.pop("port", None) or free_port(ipv6=kw.pop("ipv6", False))
    state = kw.pop("state", None) or zc.state
    return servers.add(Dnsd(servers.workdir(), state, port, **kw)).start()


class DnsdFactory:
    """Starts dnsd processes for one test; the fixture stops them all (asserting exit 0)."""

    def __init__(self, servers, zc):
        self.servers = servers
        self.zc = zc

    def start(self, zones=EXAMPLE_ZONES, **kw):
        """Imports zones with zonectl and starts a dnsd; keyword arguments go to Dnsd."""
        return start_dnsd(self.servers, self.zc, zones=zones, **kw)


@pytest.fixture
def dnsd_factory(tmp_path, zc):
    with started(tmp_path, "dnsd") as servers:
        yield DnsdFactory(servers, zc)


@pytest.fixture(scope="module")
def example_server(tmp_path_factory, zonectl_binary):
    """One dnsd for the whole module, serving example.com and sub2.example.com."""
    check_dnsd_binary()
    tmp = tmp_path_factory.mktemp("dnsd")
    zc = Zonectl(tmp)
    with started(tmp, "dnsd") as servers:
        d = start_dnsd(servers, zc)
        d.zc = zc
        yield d
