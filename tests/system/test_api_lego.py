"""lego (Debian's, with its pdns DNS provider) gets a certificate from Pebble through the API:
it finds the zone, writes the _acme-challenge TXT by PATCH, dnsd serves it to Pebble's
validation, and lego removes it again. The history names lego's token."""

import os
import subprocess
from pathlib import Path

import pytest

from api_helpers import start_api_env, token
from proc_helpers import free_port, started, stop_process, wait_until

LEGO = "/usr/bin/lego"
PEBBLE = "/usr/bin/pebble"
LEGO_TIMEOUT = 240       # seconds for the whole run on a loaded machine
DOMAIN = "www.example.com"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def pebble_certs(d):
    """A CA and a certificate for 127.0.0.1 that Pebble serves its directory with (the
    package ships none); lego trusts the CA through LEGO_CA_CERTIFICATES."""
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=pebble test CA", "-days", "2",
            cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "key.pem", "-out", "req.csr", "-subj", "/CN=localhost", cwd=d)
    openssl("x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "san.ext", cwd=d)


@pytest.fixture
def pebble(tmp_path):
    for p in (LEGO, PEBBLE):
        if not Path(p).exists():
            pytest.fail("%s is needed (make deps installs lego and pebble)" % p)
    d = tmp_path / "pebble"
    d.mkdir()
    pebble_certs(d)
    yield d


def test_lego_gets_a_certificate_through_the_api(tmp_path, pebble):
    with started(tmp_path, "env") as envs:
        env = start_api_env(envs)
        key = token(env.zc, "lego", "--zone", "example.com")
        acme, mgmt = free_port(), free_port()
        (pebble / "config.json").write_text(
            '{"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": '
            '"127.0.0.1:%d", "certificate": "%s", "privateKey": "%s", "httpPort": %d, '
            '"tlsPort": %d, "ocspResponderURL": "", "externalAccountBindingRequired": false}}'
            % (acme, mgmt, pebble / "cert.pem", pebble / "key.pem", free_port(), free_port()))
        penv = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0")
        plog = open(pebble / "pebble.log", "w")
        proc = subprocess.Popen([PEBBLE, "-config", str(pebble / "config.json"), "-dnsserver",
                                 "127.0.0.1:%d" % env.dnsd.port], env=penv, stdout=plog,
                                stderr=subprocess.STDOUT)
        try:
            assert wait_until(lambda: "Listening on" in (pebble / "pebble.log").read_text(),
                              20), (pebble / "pebble.log").read_text()
            lenv = dict(os.environ, PDNS_API_URL="http://127.0.0.1:%d" % env.api.port,
                        PDNS_API_KEY=key, LEGO_CA_CERTIFICATES=str(pebble / "ca.pem"),
                        PDNS_PROPAGATION_TIMEOUT="60", PDNS_POLLING_INTERVAL="1")
            r = subprocess.run([LEGO, "--accept-tos", "--email", "admin@example.com",
                                "--server", "https://127.0.0.1:%d/dir" % acme,
                                "--dns", "pdns", "--dns.disable-cp",
                                "--dns.resolvers", "127.0.0.1:%d" % env.dnsd.port,
                                "--domains", DOMAIN, "--path", str(tmp_path / "lego"), "run"],
                               env=lenv, capture_output=True, text=True, timeout=LEGO_TIMEOUT)
            assert r.returncode == 0, "lego failed:\n%s\npebble:\n%s\napi:\n%s" % (
                r.stderr[-4000:], (pebble / "pebble.log").read_text()[-3000:],
                env.httpsd.log_text())
        finally:
            stop_process(proc, 5)
            plog.close()
        crt = tmp_path / "lego" / "certificates" / (DOMAIN + ".crt")
        assert crt.exists() and "BEGIN CERTIFICATE" in crt.read_text()
        # lego wrote the TXT and removed it again, both through the API, by its token.
        assert "_acme-challenge" not in env.zc.export("example.com")
        sources = [h["source"] for h in env.zc.history("example.com")]
        assert sum("by token lego" in s for s in sources) >= 2, sources
