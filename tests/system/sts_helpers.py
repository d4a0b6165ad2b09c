"""Helpers for the MTA-STS system tests: dnsd + httpsd + zonectl on one store.

StsEnv builds what an operator has after `make run`: a state directory with the
example zone, a demo CA (`zonectl cert demo-ca`) and a certificate for
mta-sts.<domain> (`zonectl cert issue`), a configuration shared by zonectl and
dnsd (mta-sts.endpoints = the httpsd started here, trust-store = the demo CA),
httpsd on a free 127.0.0.1 port and dnsd (with its publisher) on another.

It also fetches policies as a sender does (TLS with SNI, the demo CA trusted)
and reads the _mta-sts TXT id over DNS, so tests can check the ordering.
"""

import re
import socket
import ssl
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest

from conftest import ZONES_DIR, Zonectl
from dnsd_helpers import Dnsd
from httpsd_helpers import Httpsd
from proc_helpers import free_port, started, wait_until

FETCH_TIMEOUT = 3
FETCH_TOTAL = 10        # seconds for one whole response
FETCH_READS = 1000      # recv calls for one response (it is a few hundred bytes)
POLICY_PATH = "/.well-known/mta-sts.txt"


def config_text(state, https_port, extra=""):
    return ("server:\n  state-dir: %s\n"
            "mta-sts:\n  endpoints: 127.0.0.1:%d\n  service-address: 127.0.0.1\n"
            "  trust-store: %s\n  fetch-timeout: 3\n  retry-max: 1\n"
            # These tests publish; the check before enforce (test_watch.py) would ask the
            # system's resolver about example.com.
            "  enforce-check: no\n%s"
            % (state, https_port, Path(state) / "demo-ca" / "ca.pem", extra))


class StsEnv:
    """zonectl, httpsd and dnsd on one store, with the example zone loaded.

    The constructor prepares the store; start() starts the daemons; stop() (or kill())
    ends them by their PIDs, so that a Started can hold StsEnvs as it holds daemons."""

    def __init__(self, tmp_path, extra_config="", zones=("example.com.zone",), dnsd=True):
        self.tmp = Path(tmp_path)
        self.zc = Zonectl(tmp_path)
        self.https_port = free_port()
        self.conf_text = config_text(self.zc.state, self.https_port, extra_config)
        self.zc.config.write_text(self.conf_text)
        for z in zones:
            self.zc.ok("zone", "import", ZONES_DIR / z)
        self.zc.ok("cert", "demo-ca")
        self.ca = self.zc.state / "demo-ca" / "ca.pem"
        self.httpsd = Httpsd(self.tmp, self.zc.state, self.https_port, workers=1,
                             config=self.conf_text)
        self.dnsd = Dnsd(self.tmp, self.zc.state, free_port(), workers=1,
                         config=self.conf_text) if dnsd else None

    @classmethod
    def sender(cls, dnsd, state, https_port):
        """Only the sender-side helpers (txt_id, fetch), for daemons a test started itself."""
        env = cls.__new__(cls)
        env.dnsd, env.ca, env.https_port = dnsd, Path(state) / "demo-ca" / "ca.pem", https_port
        return env

    def start(self):
        self.httpsd.start()
        if self.dnsd:
            self.dnsd.start()
        return self

    def stop(self):
        """dnsd's exit is not checked (its publisher may be mid-fetch); httpsd must exit 0."""
        if self.dnsd:
            self.dnsd.terminate()
        self.httpsd.stop()

    def kill(self):
        for d in (self.dnsd, self.httpsd):
            if d:
                d.kill()

    # ------------------------------------------------------------ as a sender sees it

    def txt_id(self, domain="example.com"):
        """The id of the _mta-sts TXT over DNS, or None when there is none (or several)."""
        q = dns.message.make_query("_mta-sts.%s." % domain, "TXT")
        r = dns.query.udp(q, "127.0.0.1", port=self.dnsd.port, timeout=2)
        ids = []
        for rrset in r.answer:
            if rrset.rdtype != dns.rdatatype.TXT:
                continue
            for rd in rrset:
                text = b"".join(rd.strings).decode()
                if text.startswith("v=STSv1;"):
                    m = re.search(r"id=([A-Za-z0-9]{1,32})", text)
                    ids.append(m.group(1) if m else None)
        return ids[0] if len(ids) == 1 else None

    def fetch(self, domain="example.com", port=None, keep=None):
        """GET the policy with SNI mta-sts.<domain>, trusting the demo CA: (status, headers, body)."""
        host = "mta-sts.%s" % domain
        ctx = ssl.create_default_context(cafile=str(self.ca))
        raw = socket.create_connection(("127.0.0.1", port or self.https_port), timeout=FETCH_TIMEOUT)
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (POLICY_PATH, host)).encode())
            data = b""
            deadline = time.monotonic() + FETCH_TOTAL
            for _ in range(FETCH_READS):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                assert time.monotonic() < deadline, "response not complete within %d s: %r" % (
                    FETCH_TOTAL, data[:200])
        if not data:     # an endpoint stopping closes its connections: no status to read
            raise ConnectionResetError("%s: connection closed before any response" % host)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in
                   (l.split(":", 1) for l in lines[1:] if ":" in l)}
        return status, headers, body

    def status(self, domain="example.com"):
        return self.zc.json("mta-sts", "status", domain)["domains"][0]

    def wait(self, what, cond, timeout=15, step=0.1):
        """Polls cond() until true (bounded); fails with what and the daemons' logs."""
        v = wait_until(cond, timeout, step)
        if v:
            return v
        pytest.fail("%s: not within %d s\nstatus: %s\ndnsd:\n%s\nhttpsd:\n%s" % (
            what, timeout, self.zc("mta-sts", "status").out,
            self.dnsd.log_text() if self.dnsd else "-", self.httpsd.log_text()))


def mx_lines(body):
    return [l[4:] for l in body.decode().split("\r\n") if l.startswith("mx: ")]


@pytest.fixture
def sts_factory(tmp_path):
    """make(**kw): a started StsEnv (keyword arguments: StsEnv's); all stopped at the end."""
    with started(tmp_path, "env") as envs:
        yield lambda **kw: envs.add(StsEnv(envs.workdir(), **kw)).start()


# ------------------------------------------------------------ the ordering tests' observers

# A publish as dnsd logs it and zonectl prints it: domain, policy version, id.
PUBLISHED = re.compile(r"mta-sts:? (\S+?)\.?: policy version (\d+) served(?: by every endpoint)?;"
                       r" id (\w+) (?:published|rotated)")


def rotating_config(state, ports, fetch_timeout):
    """Two or more endpoints on 127.0.0.1, ids rotating every second, fetch-concurrency at its
    default (64)."""
    return ("server:\n  state-dir: %s\nmta-sts:\n  endpoints: %s\n"
            "  service-address: 127.0.0.1\n  trust-store: %s/demo-ca/ca.pem\n"
            "  fetch-timeout: %d\n  retry-max: 1\n  rotate-interval: 1\n"
            % (state, " ".join("127.0.0.1:%d" % p for p in ports), state, fetch_timeout))


def mx_zone_file(path, zone, prefix, n):
    """A zone of n domains <prefix>0000.<zone> ..., each with one MX (mx0.<zone>)."""
    lines = ["$ORIGIN %s." % zone, "@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300",
             "@ IN NS ns1", "ns1 IN A 192.0.2.1", "mx0 IN A 192.0.2.25"]
    lines += ["%s%04d 3600 IN MX 10 mx0.%s." % (prefix, i, zone) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")


def published_count(dnsd):
    """How many first ids dnsd's publisher has logged."""
    return sum(1 for l in dnsd.log_lines() if " id " in l and " published " in l)


def id_versions(lines):
    """{(domain, id): the policy version that id stands for}, from publish lines."""
    version = {}
    for line in lines:
        m = PUBLISHED.search(line)
        if m:
            version[(m.group(1).rstrip("."), m.group(3))] = int(m.group(2))
    return version


def mx_level(body):
    """The newest MX change a policy body holds, when change k added the MX name mx<k>."""
    return max(int(re.match(r"mx(\d+)\.", m).group(1)) for m in mx_lines(body))


def observe(env, domain, port):
    """A sender's look: the id over DNS, then the policy from port.

    (id, mx_level of the body) or an error text; None when the endpoint is down."""
    try:
        i = env.txt_id(domain)
        st, _h, body = env.fetch(domain, port=port)
    except OSError:
        return None
    if i is None:
        return "%s: no single id over DNS" % domain
    if st != 200:
        return "%s: HTTP %d from port %d" % (domain, st, port)
    return i, mx_level(body)
