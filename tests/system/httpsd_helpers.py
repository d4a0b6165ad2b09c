"""Shared helpers for the httpsd system tests (tests/system/test_httpsd*.py).

Every test runs the real build/httpsd on a state directory where the real
zonectl made a demo CA and issued certificates, and where
build/tests/sts_put_body (a test-only helper, until `zonectl mta-sts enable`
exists) put policy bodies into the store. Clients are curl, openssl s_client
and Python's ssl module, all on 127.0.0.1. The interface used:

    build/httpsd --state DIR --listen 127.0.0.1:PORT [--workers N] [-c FILE]
        runs in the foreground, logs to stderr, prints a line containing
        "httpsd: ready" once it listens; SIGTERM: exit 0 within 1 s.
    build/httpsd -n [--state DIR] [-c FILE]
        checks the configuration and the certificates: "configuration OK"
        and exit 0, or the problems on stderr and exit 1.

LOCKSTEP_HTTPSD names another binary to test; a missing binary fails the
test with a clear message, it is never a skip.
"""

import contextlib
import os
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, Zonectl
from proc_helpers import HOST4, Daemon, free_port, started  # noqa: F401  (re-exported)

HTTPSD = Path(os.environ.get("LOCKSTEP_HTTPSD") or (BUILD / "httpsd"))
STS_PUT_BODY = BUILD / "tests" / "sts_put_body"
CURL = "/usr/bin/curl"
OPENSSL = "/usr/bin/openssl"

READY = "httpsd: ready"
READY_TIMEOUT = 10      # seconds from the start until READY
IO_TIMEOUT = 5          # seconds for one client operation
STOP_TIMEOUT = 3        # seconds between SIGTERM and SIGKILL
POLICY_PATH = "/.well-known/mta-sts.txt"
RESPONSE_MAX = 1 << 20  # bytes read for one response


def check_binaries():
    for path, what in ((HTTPSD, "httpsd"), (STS_PUT_BODY, "the sts_put_body test helper")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            pytest.fail("%s is missing or not executable: build %s (make all) before the "
                        "httpsd system tests" % (path, what), pytrace=False)
    for tool in (CURL, OPENSSL):
        if not os.access(tool, os.X_OK):
            pytest.fail("%s is missing: `make deps` installs it" % tool, pytrace=False)


def policy_text(mx="mx1.example.com", mode="enforce", max_age=604800):
    return ("version: STSv1\r\nmode: %s\r\nmx: %s\r\nmax_age: %d\r\n"
            % (mode, mx, max_age)).encode()


class State:
    """A state directory: demo CA, certificates for hosts, policy bodies in the store."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.zc = Zonectl(self.tmp)
        self.dir = self.zc.state
        self.zc.ok("cert", "demo-ca")
        self.ca = self.dir / "demo-ca" / "ca.pem"

    def issue(self, *hosts):
        self.zc.ok("cert", "issue", *hosts)

    def put_body(self, domain, body):
        f = self.tmp / ("body-%s.txt" % domain)
        f.write_bytes(body)
        r = subprocess.run([str(STS_PUT_BODY), str(self.dir), domain, str(f)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, "sts_put_body %s: %s" % (domain, r.stderr)

    def key(self, host):
        return self.dir / "certs" / host / "privkey.pem"


class Httpsd(Daemon):
    """One httpsd process: started, waited for until ready, stopped by its PID (proc_helpers)."""

    name = "httpsd"
    user_section = "httpsd"
    ready = READY
    ready_timeout = READY_TIMEOUT
    stop_timeout = STOP_TIMEOUT

    def __init__(self, workdir, state, port, workers=2, config=None, extra_args=()):
        super().__init__(workdir, state, port, config if config is not None else "# defaults\n",
                         extra_args)
        self.workers = workers

    def check_binary(self):
        check_binaries()

    def argv(self):
        a = [str(HTTPSD), "--state", str(self.state), "--listen", "%s:%d" % (HOST4, self.port),
             "-c", str(self.config)]
        if self.workers is not None:
            a += ["--workers", str(self.workers)]
        return a + self.extra_args

    # ------------------------------------------------------------ clients

    def curl(self, *urls_and_args, host="mta-sts.example.com", cacert=None, timeout=IO_TIMEOUT):
        """curl with --resolve HOST:PORT:127.0.0.1; returns CompletedProcess (bytes)."""
        a = [CURL, "-sS", "--max-time", str(timeout), "--resolve",
             "%s:%d:%s" % (host, self.port, HOST4)]
        if cacert:
            a += ["--cacert", str(cacert)]
        return subprocess.run(a + list(urls_and_args), capture_output=True, timeout=timeout + 5)

    def url(self, host="mta-sts.example.com", path=POLICY_PATH):
        return "https://%s:%d%s" % (host, self.port, path)

    def s_client(self, *args, timeout=IO_TIMEOUT):
        """openssl s_client against us; returns (rc, combined output)."""
        a = [OPENSSL, "s_client", "-connect", "%s:%d" % (HOST4, self.port)] + list(args)
        r = subprocess.run(a, input=b"", capture_output=True, timeout=timeout)
        return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")

    def tls(self, sni="mta-sts.example.com", cafile=None, session=None, ctx=None,
            timeout=IO_TIMEOUT):
        """A TLS connection (Python ssl) with SNI sni, verified against cafile when given.

        A session to resume needs the context (ctx) that made it."""
        if ctx is None:
            ctx = ssl.create_default_context(cafile=str(cafile)) if cafile else \
                ssl._create_unverified_context()
        raw = socket.create_connection((HOST4, self.port), timeout=timeout)
        try:
            return ctx.wrap_socket(raw, server_hostname=sni, session=session)
        except Exception:
            raw.close()
            raise


def read_response(sock, head_only=False, pending=b"", timeout=IO_TIMEOUT):
    """One HTTP/1.1 response from sock: (status, {lower-case name: value}, body, rest).

    pending holds bytes of it already read (the rest of an earlier call, when pipelining).
    The body is read by Content-Length (none for HEAD). rest is what followed it in the same
    reads. Fails the test on EOF before a full response or after timeout.
    """
    sock.settimeout(timeout)
    buf = pending
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        assert len(buf) < RESPONSE_MAX and time.monotonic() < deadline, "no response head"
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a response head; got %r" % buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0] + " ")
    assert m, "bad status line %r" % lines[0]
    headers = {}
    for l in lines[1:]:
        name, _, value = l.partition(":")
        headers[name.strip().lower()] = value.strip()
    n = 0 if head_only else int(headers.get("content-length", "0"))
    while len(rest) < n:
        assert time.monotonic() < deadline, "body incomplete"
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the body"
        rest += chunk
    return int(m.group(1)), headers, rest[:n], rest[n:]


def wait_closed(sock, timeout):
    """Seconds until the peer closed (EOF, reset or TLS close), or None if still open."""
    start = time.monotonic()
    for _ in range(100000):
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return time.monotonic() - start
        except socket.timeout:
            return None
        except (ConnectionError, ssl.SSLError, OSError):
            return time.monotonic() - start
    return None


def get_request(host="mta-sts.example.com", path=POLICY_PATH, method="GET", extra=""):
    return ("%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (method, path, host, extra)).encode()


def check_config(state, config):
    """`httpsd -n --state STATE -c CONFIG`: the CompletedProcess (text)."""
    check_binaries()
    return subprocess.run([str(HTTPSD), "-n", "--state", str(state), "-c", str(config)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=IO_TIMEOUT * 2)


def make_state(tmp, hosts, bodies):
    """A State with certificates for hosts and the policy bodies {domain: body} in the store."""
    st = State(tmp)
    st.issue(*hosts)
    for domain, body in bodies.items():
        st.put_body(domain, body)
    return st


class HttpsdFactory:
    """Starts httpsd processes; the fixture (or serving()) stops them all, asserting exit 0."""

    def __init__(self, servers):
        self.servers = servers

    def start(self, state, **kw):
        port = kw.pop("port", None) or free_port()
        return self.servers.add(Httpsd(self.servers.workdir(), state, port, **kw)).start()


@pytest.fixture
def httpsd_factory(tmp_path):
    with started(tmp_path, "httpsd") as servers:
        yield HttpsdFactory(servers)


@contextlib.contextmanager
def serving(tmp, hosts, bodies, **kw):
    """make_state(tmp, hosts, bodies) and an httpsd on it (keyword arguments: Httpsd's), as
    (state, httpsd); httpsd is stopped by its PID when the block ends."""
    check_binaries()
    st = make_state(tmp, hosts, bodies)
    with started(tmp, "httpsd") as servers:
        yield st, HttpsdFactory(servers).start(st.dir, **kw)
