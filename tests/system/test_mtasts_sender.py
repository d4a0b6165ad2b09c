"""A real sender against dnsd + httpsd: Debian's postfix-mta-sts-resolver.

mta-sts-query and mta-sts-daemon resolve through /etc/resolv.conf on port 53 and fetch
over port 443, as a mail server does. So the test builds two network namespaces joined by
a veth pair: the servers' (dnsd on 10.53.0.1:53, httpsd on 10.53.0.1:443, zonectl) and the
sender's, whose /etc/netns/NAME/resolv.conf names 10.53.0.1. Every address lives inside
the namespaces; nothing is configured on the host. The sender trusts the demo CA through
SSL_CERT_FILE. Needs root (or sudo without a password) for `ip netns`; without it the
test fails and says so.
"""

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, ZONES_DIR
from proc_helpers import as_root_config, stop_process, wait_until

SERVER_IP = "10.53.0.1"
SENDER_IP = "10.53.0.2"
STEP_TIMEOUT = 30
STOP_TIMEOUT = 5        # seconds between SIGTERM and SIGKILL at the end


def sudo():
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True,
                                               timeout=10).returncode == 0:
        return ["sudo", "-n"]
    pytest.fail("this test builds network namespaces: run it as root or with passwordless "
                "sudo", pytrace=False)


def run(argv, check=True, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)
    if check and p.returncode != 0:
        pytest.fail("%s: exit %d\n%s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


class Netns:
    def __init__(self):
        tag = "%d" % (os.getpid() % 100000)
        self.srv, self.snd = "lssrv" + tag, "lssnd" + tag
        self.veth_s, self.veth_c = "lsvs" + tag, "lsvc" + tag
        self.su = sudo()
        self.procs = []
        self.logs = []

    def ip(self, *args, check=True):
        return run(self.su + ["ip"] + list(args), check=check)

    def up(self):
        self.ip("netns", "add", self.srv)
        self.ip("netns", "add", self.snd)
        self.ip("link", "add", self.veth_s, "type", "veth", "peer", "name", self.veth_c)
        self.ip("link", "set", self.veth_s, "netns", self.srv)
        self.ip("link", "set", self.veth_c, "netns", self.snd)
        for ns, dev, addr in ((self.srv, self.veth_s, SERVER_IP), (self.snd, self.veth_c, SENDER_IP)):
            self.ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            self.ip("-n", ns, "link", "set", dev, "up")
            self.ip("-n", ns, "link", "set", "lo", "up")
        self.etc = Path("/etc/netns") / self.snd
        run(self.su + ["mkdir", "-p", str(self.etc)])
        run(self.su + ["sh", "-c", "echo 'nameserver %s' > %s/resolv.conf" % (SERVER_IP, self.etc)])

    def exec_argv(self, ns, argv, env=None):
        e = ["env"] + ["%s=%s" % kv for kv in (env or {}).items()] if env else []
        return self.su + ["ip", "netns", "exec", ns] + e + [str(a) for a in argv]

    def start(self, ns, argv, log, env=None):
        """Starts argv in namespace ns, its output to the file log; down() stops it by PID."""
        out = open(log, "w")
        self.logs.append(out)
        p = subprocess.Popen(self.exec_argv(ns, argv, env), stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def down(self):
        for p in self.procs:
            stop_process(p, STOP_TIMEOUT)
        for f in self.logs:
            f.close()
        self.ip("netns", "del", self.srv, check=False)
        self.ip("netns", "del", self.snd, check=False)
        run(self.su + ["rm", "-rf", str(getattr(self, "etc", "/nonexistent"))], check=False)


@pytest.fixture
def netns():
    n = Netns()
    try:
        n.up()
        yield n
    finally:
        n.down()


def wait_for(what, cond, logs=()):
    last = wait_until(cond, STEP_TIMEOUT, step=0.3)
    if last:
        return last
    pytest.fail("%s: not within %d s (last: %r)\n%s" % (
        what, STEP_TIMEOUT, last, "\n".join(Path(l).read_text()[-3000:] for l in logs)))


NETSTRING_CLIENT = r'''
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
req = ("default " + sys.argv[2]).encode()
s.sendall(b"%d:%s," % (len(req), req))
data = b""
for _ in range(1000):
    if data.endswith(b","):
        break
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().split(":", 1)[1][:-1])
'''


def test_postfix_mta_sts_resolver_follows_mx_changes(netns, tmp_path):
    for tool in ("mta-sts-query", "mta-sts-daemon"):
        assert shutil.which(tool), "%s missing: `make deps` installs postfix-mta-sts-resolver" % tool
    state = tmp_path / "state"
    conf = tmp_path / "lockstep.conf"
    conf.write_text(as_root_config(as_root_config(
        "server:\n  state-dir: %s\nmta-sts:\n  endpoints: %s:443\n"
        "  service-address: %s\n  trust-store: %s/demo-ca/ca.pem\n"
        "  fetch-timeout: 3\n  retry-max: 1\n" % (state, SERVER_IP, SERVER_IP, state),
        "dnsd"), "httpsd"))
    # zonectl runs in the servers' namespace: its publish step fetches from 10.53.0.1:443.
    def zc(*args):
        return run(netns.exec_argv(netns.srv, [BUILD / "zonectl", "-c", conf] + list(args)))

    zc("zone", "import", ZONES_DIR / "example.com.zone")
    zc("cert", "demo-ca")
    ca = state / "demo-ca" / "ca.pem"
    dlog, hlog, rlog = tmp_path / "dnsd.log", tmp_path / "httpsd.log", tmp_path / "resolver.log"
    netns.start(netns.srv, [BUILD / "dnsd", "-c", conf, "--listen", SERVER_IP + ":53",
                            "--workers", "1"], dlog)
    netns.start(netns.srv, [BUILD / "httpsd", "-c", conf, "--state", state, "--listen",
                            SERVER_IP + ":443", "--workers", "1"], hlog)
    wait_for("dnsd and httpsd ready", lambda: "dnsd: ready" in dlog.read_text() and
             run(netns.exec_argv(netns.srv, ["/usr/bin/python3", "-c",
                 "import socket; socket.create_connection(('%s', 443), 2)" % SERVER_IP]),
                 check=False).returncode == 0, (dlog, hlog))
    out = zc("mta-sts", "enable", "example.com", "--mode", "enforce").stdout
    assert "published" in out, out

    env = {"SSL_CERT_FILE": ca}
    yml = tmp_path / "mta-sts-daemon.yml"
    yml.write_text("host: 127.0.0.1\nport: 8461\nreuse_port: true\ncache_grace: 1\n"
                   "cache:\n  type: internal\ndefault_zone:\n  strict_testing: false\n"
                   "  timeout: 4\n")
    netns.start(netns.snd, ["mta-sts-daemon", "-c", yml, "-v", "debug"], rlog, env=env)

    def query():
        p = run(netns.exec_argv(netns.snd, ["mta-sts-query", "example.com"], env), check=False)
        m = re.search(r"VALID.*?\('(\w+)', (\{.*\})\)\)", p.stdout)
        return (m.group(1), sorted(ast.literal_eval(m.group(2))["mx"])) if m else None

    def daemon():
        p = run(netns.exec_argv(netns.snd, ["/usr/bin/python3", "-c", NETSTRING_CLIENT,
                                            "8461", "example.com"]), check=False)
        return p.stdout.strip()

    first = wait_for("mta-sts-query sees the policy", query, (dlog, hlog))
    assert first[1] == ["mx1.example.com", "mx2.example.com"]
    wait_for("mta-sts-daemon answers", lambda: "OK secure" in daemon(), (rlog,))
    assert daemon().startswith("OK secure match=")

    last_id = first[0]
    for k in (3, 4):
        out = zc("rr", "add", "example.com", "@ 3600 IN MX %d mx%d.example.com." % (k, k)).stdout
        assert "published" in out, out
        want = ["mx%d.example.com" % i for i in range(1, k + 1)]
        got = wait_for("mta-sts-query sees mx%d" % k,
                       lambda: (lambda q: q if q and q[1] == want else None)(query()), (dlog,))
        assert int(got[0]) > int(last_id)
        last_id = got[0]
        # The daemon's cache re-checks the id (cache_grace 1 s), sees it changed, refetches.
        ans = wait_for("mta-sts-daemon matches mx%d" % k,
                       lambda: (lambda a: a if "mx%d.example.com" % k in a else None)(daemon()),
                       (rlog,))
        assert set(ans.split()[2][len("match="):].split(":")) == set(want)
