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
import signal
import socket
import struct
import subprocess
import threading
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

DNSD = Path(os.environ.get("LOCKSTEP_DNSD") or (BUILD / "dnsd"))
DNSD_DATA = DATA / "dnsd"
EXAMPLE_ZONE = DNSD_DATA / "example.com.zone"
SUB2_ZONE = DNSD_DATA / "sub2.example.com.zone"
EXAMPLE_ZONES = (EXAMPLE_ZONE, SUB2_ZONE)

READY = "dnsd: ready"
READY_TIMEOUT = 10      # seconds to wait for READY after the start
QUERY_TIMEOUT = 2       # seconds to wait for an answer
STOP_TIMEOUT = 3        # seconds between SIGTERM and SIGKILL at teardown
HOST4 = "127.0.0.1"
HOST6 = "::1"


def check_dnsd_binary():
    """Fails the test (never skips) when the dnsd binary is not there."""
    if DNSD.is_dir():
        pytest.fail("%s is a directory, not the dnsd program: build dnsd (make all) "
                    "before the dnsd system tests" % DNSD, pytrace=False)
    if not (DNSD.is_file() and os.access(DNSD, os.X_OK)):
        pytest.fail("%s is missing or not executable: build dnsd (make all) before the "
                    "dnsd system tests" % DNSD, pytrace=False)


def free_port(ipv6=False, attempts=50):
    """A port free for UDP and TCP on 127.0.0.1 (and on ::1 when ipv6).

    Binds TCP to port 0, then UDP (and the IPv6 pair) to the same port, and
    closes them all; retries a bounded number of times when one is taken.
    """
    for _ in range(attempts):
        socks = []
        try:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(t)
            t.bind((HOST4, 0))
            port = t.getsockname()[1]
            wanted = [(socket.AF_INET, socket.SOCK_DGRAM, HOST4)]
            if ipv6:
                wanted += [(socket.AF_INET6, socket.SOCK_STREAM, HOST6),
                           (socket.AF_INET6, socket.SOCK_DGRAM, HOST6)]
            for fam, typ, host in wanted:
                s = socket.socket(fam, typ)
                socks.append(s)
                s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    pytest.fail("no free port for UDP and TCP found in %d attempts" % attempts)


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

class Dnsd:
    """One dnsd process: started, waited for until ready, stopped by its PID."""

    def __init__(self, workdir, state, port, listen=None, workers=None, config=None,
                 extra_args=()):
        self.workdir = Path(workdir)
        self.state = Path(state)
        self.port = port
        self.listen = list(listen) if listen else [listen_arg(HOST4, port)]
        self.workers = workers
        self.config = self.workdir / "dnsd.conf"
        self.config.write_text(config if config is not None else
                               "# empty: every option at its default\n")
        self.extra_args = list(extra_args)
        self.proc = None
        self.log = []
        self._log_lock = threading.Lock()
        self._ready = threading.Event()
        self._reader = None
        self.stopped = False

    def argv(self):
        a = [str(DNSD), "--state", str(self.state)]
        for l in self.listen:
            a += ["--listen", l]
        if self.workers is not None:
            a += ["--workers", str(self.workers)]
        return a + ["-c", str(self.config)] + self.extra_args

    def _read_stderr(self):
        for line in self.proc.stderr:
            with self._log_lock:
                self.log.append(line.rstrip("\n"))
            if READY in line:
                self._ready.set()

    def log_text(self, last=40):
        with self._log_lock:
            lines = self.log[-last:]
        return "\n".join(lines) if lines else "<nothing on stderr>"

    def start(self):
        check_dnsd_binary()
        self.stdout_file = open(self.workdir / "dnsd.stdout", "w")
        env = dict(os.environ, LC_ALL="C", TMPDIR=str(self.workdir))
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=self.stdout_file, stderr=subprocess.PIPE,
                                     text=True, errors="replace", env=env)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        for _ in range(READY_TIMEOUT * 20):
            if self._ready.wait(0.05):
                return self
            if self.proc.poll() is not None:
                self._reader.join(1)
                pytest.fail("dnsd exited with code %d before printing %r\ncommand: %s\n"
                            "stderr:\n%s" % (self.proc.returncode, READY, " ".join(self.argv()),
                                             self.log_text()), pytrace=False)
            if time.monotonic() > deadline:
                break
        self.kill()
        pytest.fail("dnsd did not print %r within %d s\ncommand: %s\nstderr:\n%s" % (
            READY, READY_TIMEOUT, " ".join(self.argv()), self.log_text()), pytrace=False)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        self._close()

    def _close(self):
        if self._reader is not None:
            self._reader.join(2)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        if getattr(self, "stdout_file", None):
            self.stdout_file.close()

    def terminate(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after timeout; returns (exit code, seconds, killed)."""
        if self.proc is None or self.stopped:
            return None
        self.stopped = True
        if self.proc.poll() is not None:       # died on its own before the SIGTERM
            self._close()
            return self.proc.returncode, None, False
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
            killed = False
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            rc = self.proc.wait(5)
            killed = True
        elapsed = time.monotonic() - start
        self._close()
        return rc, elapsed, killed

    def stop(self):
        """SIGTERM (SIGKILL after 3 s) and assert that dnsd exited 0 on its own."""
        res = self.terminate()
        if res is None:
            return
        rc, elapsed, killed = res
        assert elapsed is not None, "dnsd had already exited with code %s before the " \
            "SIGTERM at the end of the test\nstderr:\n%s" % (rc, self.log_text())
        assert not killed, "dnsd did not exit within %d s of SIGTERM; killed\nstderr:\n%s" % (
            STOP_TIMEOUT, self.log_text())
        assert rc == 0, "dnsd exited with code %s after SIGTERM (want 0)\nstderr:\n%s" % (
            rc, self.log_text())

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


def start_dnsd(tmp, zc, zones=EXAMPLE_ZONES, **kw):
    """Loads zones into zc's state dir with zonectl, then starts dnsd on it."""
    for z in zones:
        zc.ok("zone", "import", z)
    port = kw.pop("port", None) or free_port(ipv6=kw.pop("ipv6", False))
    state = kw.pop("state", None) or zc.state
    d = Dnsd(tmp, state, port, **kw)
    return d.start()


class DnsdFactory:
    """Starts dnsd processes for one test and stops them all (asserting exit 0) after it."""

    def __init__(self, tmp_path, zc):
        self.tmp = Path(tmp_path)
        self.zc = zc
        self.servers = []

    def start(self, zones=EXAMPLE_ZONES, **kw):
        """Imports zones with zonectl and starts a dnsd; keyword arguments go to Dnsd."""
        check_dnsd_binary()
        workdir = self.tmp / ("dnsd%d" % len(self.servers))
        workdir.mkdir()
        d = start_dnsd(workdir, self.zc, zones=zones, **kw)
        self.servers.append(d)
        return d

    def stop_all(self):
        errors = []
        for d in self.servers:
            try:
                d.stop()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "\n\n".join(errors)


@pytest.fixture
def dnsd_factory(tmp_path, zc):
    f = DnsdFactory(tmp_path, zc)
    yield f
    f.stop_all()


@pytest.fixture(scope="module")
def example_server(tmp_path_factory, zonectl_binary):
    """One dnsd for the whole module, serving example.com and sub2.example.com."""
    check_dnsd_binary()
    tmp = tmp_path_factory.mktemp("dnsd")
    zc = Zonectl(tmp)
    d = start_dnsd(tmp, zc)
    d.zc = zc
    yield d
    d.stop()
