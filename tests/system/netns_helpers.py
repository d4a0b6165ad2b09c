"""Two network namespaces joined by a veth pair, for tests whose peers must use real
addresses and ports (port 53, port 443, an interface of their own): the servers' namespace
(SERVER_IP, SERVER_IP6 on veth_s) and the client's (SENDER_IP, SENDER_IP6 on veth_c). Every
address lives inside the namespaces; nothing is configured on the host. Needs root (or sudo
without a password) for `ip netns`; without it the test fails and says so.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from proc_helpers import stop_process, wait_until

SERVER_IP = "10.53.0.1"
SENDER_IP = "10.53.0.2"
SERVER_IP6 = "fd00:53::1"
SENDER_IP6 = "fd00:53::2"
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
    def __init__(self, queues=1):
        self.queues = queues          # receive and transmit queues of each veth end
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
        q = ["numtxqueues", str(self.queues), "numrxqueues", str(self.queues)]
        self.ip("link", "add", self.veth_s, *q, "type", "veth", "peer", "name", self.veth_c, *q)
        self.ip("link", "set", self.veth_s, "netns", self.srv)
        self.ip("link", "set", self.veth_c, "netns", self.snd)
        for ns, dev, addr in ((self.srv, self.veth_s, SERVER_IP), (self.snd, self.veth_c, SENDER_IP)):
            self.ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            addr6 = SERVER_IP6 if ns == self.srv else SENDER_IP6
            self.ip("-n", ns, "addr", "add", addr6 + "/64", "dev", dev, "nodad")
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
