"""Helpers for the ACME system tests: Debian's Pebble beside dnsd + httpsd + zonectl.

Pebble's own HTTPS certificate comes from a demo CA of a separate zonectl state (Debian's
package ships none); the client trusts it through acme.ca-bundle. Pebble validates dns-01 by
asking dnsd (-dnsserver), tls-alpn-01 by connecting to tlsPort (httpsd's port). Its issuing
root is fetched from the management port (/roots/0) and becomes mta-sts.trust-store, so the
publish step accepts only a certificate that chains to it.
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Zonectl
from proc_helpers import as_root_config, free_port, stop_process, wait_until
from sts_helpers import StsEnv

PEBBLE = shutil.which("pebble") or "/usr/bin/pebble"
START_TIMEOUT = 20
SERVE_TIMEOUT = 20      # httpsd re-reads certificate files every few seconds
STOP_TIMEOUT = 5
EAB_KID = "kid-1"
EAB_KEY = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


def check_pebble():
    if not os.access(PEBBLE, os.X_OK):
        pytest.fail("pebble is not installed (apt-get install pebble; make deps)", pytrace=False)


class Pebble:
    """One pebble process on free 127.0.0.1 ports, stopped by its PID."""

    def __init__(self, workdir, dns_port, tls_port, eab=False, nonce_reject=None):
        check_pebble()
        self.dir = Path(workdir) / "pebble"
        self.dir.mkdir(parents=True, exist_ok=True)
        pki = Zonectl(self.dir)
        pki.config.write_text("# pebble's own certificate\n")
        pki.ok("cert", "demo-ca")
        pki.ok("cert", "issue", "localhost")
        self.ca_bundle = pki.state / "demo-ca" / "ca.pem"
        certs = pki.state / "certs" / "localhost"
        self.port, self.mgmt = free_port(), free_port()
        self.dns_port, self.tls_port = dns_port, tls_port
        conf = {"pebble": {
            "listenAddress": "127.0.0.1:%d" % self.port,
            "managementListenAddress": "127.0.0.1:%d" % self.mgmt,
            "certificate": str(certs / "fullchain.pem"),
            "privateKey": str(certs / "privkey.pem"),
            "httpPort": free_port(), "tlsPort": tls_port, "ocspResponderURL": "",
            "externalAccountBindingRequired": eab}}
        if eab:
            conf["pebble"]["externalAccountMACKeys"] = {EAB_KID: EAB_KEY}
        self.conf = self.dir / "pebble.json"
        self.conf.write_text(json.dumps(conf))
        self.env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        if nonce_reject is not None:
            self.env["PEBBLE_WFE_NONCEREJECT"] = str(nonce_reject)
        self.proc = None
        self.log = self.dir / "pebble.log"
        self.root = self.dir / "root.pem"

    @property
    def directory(self):
        return "https://localhost:%d/dir" % self.port

    def start(self):
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([PEBBLE, "-config", str(self.conf), "-dnsserver",
                                      "127.0.0.1:%d" % self.dns_port], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT, env=self.env)
        out.close()
        ctx = ssl.create_default_context(cafile=str(self.ca_bundle))

        def root():
            try:
                with urllib.request.urlopen("https://localhost:%d/roots/0" % self.mgmt,
                                            context=ctx, timeout=2) as r:
                    return r.read()
            except OSError:
                return None
        pem = wait_until(root, START_TIMEOUT, step=0.2)
        if not pem:
            self.stop()
            pytest.fail("pebble did not serve its root within %d s:\n%s" % (
                START_TIMEOUT, self.log_text()), pytrace=False)
        self.root.write_bytes(pem)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc, STOP_TIMEOUT)
        self.proc = None

    def log_text(self, last=4000):
        return self.log.read_text(errors="replace")[-last:] if self.log.exists() else ""


def served_cert(sts, root, host="mta-sts.example.com", timeout=SERVE_TIMEOUT, logs=None):
    """The certificate httpsd serves for host, verified against root (httpsd looks at its
    files again after a second, so this waits a little)."""
    ctx = ssl.create_default_context(cafile=str(root))
    last = []

    def get():
        try:
            raw = socket.create_connection(("127.0.0.1", sts.https_port), timeout=5)
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                return s.getpeercert()
        except (OSError, ssl.SSLError) as e:
            last[:] = [e]
            return None
    cert = wait_until(get, timeout, step=0.2)
    if not cert:
        pytest.fail("httpsd serves no certificate for %s chaining to %s within %d s (%s)\n%s"
                    % (host, root, timeout, last, logs() if logs else ""), pytrace=False)
    return cert


def configure(sts, directory, ca_bundle, root, challenge="dns-01", extra=""):
    """Points the configuration of sts (zonectl, dnsd, httpsd) at an ACME directory: its
    HTTPS trusted through ca_bundle, the publish step trusting root only, dnsd's listen
    address written (the SOA wait asks it). Returns the text."""
    text = sts.conf_text.replace(str(sts.ca), str(root))
    text += "dnsd:\n  listen: 127.0.0.1:%d\n" % sts.dnsd.port
    text += ("acme:\n  directory: %s\n  ca-bundle: %s\n  challenge: %s\n%s"
             % (directory, ca_bundle, challenge, extra))
    sts.zc.config.write_text(text)
    for d in (sts.httpsd, sts.dnsd):
        d.config.write_text(as_root_config(text, d.user_section))
    return text


class CaEnv:
    """StsEnv (self.sts) beside a CA of a subclass's (stop_ca() ends it): started and stopped
    together, the CA last."""

    def start(self):
        self.sts.start()
        return self

    def stop(self):
        self.sts.stop()
        self.stop_ca()
        # under SANITIZE a finding in a daemon's ACME work is a failure, not a log line
        for d in (self.sts.dnsd, self.sts.httpsd):
            bad = [l for l in d.log_lines() if "runtime error" in l or "Sanitizer" in l]
            assert not bad, "%s:\n%s" % (d.name, "\n".join(bad))


class AcmeEnv(CaEnv):
    """StsEnv (zonectl, dnsd, httpsd on one store) whose certificates come from a Pebble.

    dnsd's configuration names its real listen address (the SOA wait asks it), and the
    publish step trusts Pebble's root only, not the demo CA."""

    def __init__(self, tmp_path, eab=False, acme_extra="", nonce_reject=None, start_ca=True,
                 challenge="dns-01"):
        self.tmp = Path(tmp_path)
        (self.tmp / "env").mkdir(parents=True)
        self.sts = StsEnv(self.tmp / "env")
        self.pebble = Pebble(self.tmp, self.sts.dnsd.port, self.sts.https_port, eab=eab,
                             nonce_reject=nonce_reject)
        if start_ca:
            self.pebble.start()
        else:   # the root is needed before the daemons read their trust store
            self.pebble.start()
            self.pebble.stop()
        extra = acme_extra + ("  eab-kid: %s\n  eab-hmac-key: %s\n" % (EAB_KID, EAB_KEY)
                              if eab else "")
        self.conf_text = configure(self.sts, self.pebble.directory, self.pebble.ca_bundle,
                                   self.pebble.root, challenge, extra)
        self.zc = self.sts.zc
        self.stop_ca = self.pebble.stop

    def served_cert(self, host="mta-sts.example.com", timeout=SERVE_TIMEOUT):
        return served_cert(self.sts, self.pebble.root, host, timeout, self.logs)

    def logs(self):
        return "pebble:\n%s\ndnsd:\n%s\nhttpsd:\n%s" % (
            self.pebble.log_text(), self.sts.dnsd.log_text(), self.sts.httpsd.log_text())


def env_maker(cls, tmp_path, prefix):
    """A fixture's body: make(**kw) starts a cls(tmp_path/prefixN, **kw); all stop at the end."""
    envs = []

    def make(**kw):
        e = cls(tmp_path / ("%s%d" % (prefix, len(envs))), **kw)
        envs.append(e)
        return e.start()
    try:
        yield make
    finally:
        for e in envs:
            e.stop()


@pytest.fixture
def acme_env(tmp_path):
    yield from env_maker(AcmeEnv, tmp_path, "a")
