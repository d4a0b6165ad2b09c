"""zonectl cert: the demo CA, issuing and listing certificates, as an operator runs them."""

import os
import stat
import subprocess

from conftest import EXIT_NOTFOUND, EXIT_USAGE, Zonectl


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_demo_ca_issue_list(tmp_path, zonectl_binary):
    zc = Zonectl(tmp_path)
    st = zc.state
    # No CA yet: issue refuses (exit 3) and writes nothing; list is empty.
    r = zc("cert", "issue", "mta-sts.example.com")
    assert r.rc == EXIT_NOTFOUND and "zonectl cert demo-ca" in r.err
    assert not (st / "certs").exists()
    assert zc.json("cert", "list") == {"certs": []}

    r = zc.ok("cert", "demo-ca")
    assert r.out.startswith("created ")
    assert mode(st / "demo-ca" / "ca.key") == 0o600
    ca = (st / "demo-ca" / "ca.pem").read_bytes()
    assert zc.json("cert", "demo-ca")["created"] is False      # kept, not replaced
    assert (st / "demo-ca" / "ca.pem").read_bytes() == ca

    zc.ok("cert", "issue", "MTA-STS.Example.COM.", "mta-sts.example.org")
    d = st / "certs" / "mta-sts.example.com"
    assert mode(d / "privkey.pem") == 0o600
    chain = (d / "fullchain.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    # openssl agrees: the chain verifies against the CA, for the name, for a TLS server.
    r = subprocess.run(["openssl", "verify", "-CAfile", str(st / "demo-ca" / "ca.pem"),
                        "-purpose", "sslserver", "-verify_hostname", "mta-sts.example.com",
                        str(d / "fullchain.pem")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(d / "fullchain.pem")],
                       capture_output=True, text=True, timeout=30)
    assert "DNS:mta-sts.example.com" in r.stdout and "ASN1 OID: prime256v1" in r.stdout

    certs = zc.json("cert", "list")["certs"]
    assert [c["host"] for c in certs] == ["mta-sts.example.com", "mta-sts.example.org"]
    assert all(c["error"] is None and "Lockstep demo CA" in c["issuer"] for c in certs)
    os.chmod(d / "privkey.pem", 0o644)
    listed = zc.ok("cert", "list").out
    assert "not usable" in listed and "0644" in listed


def test_bad_names_change_nothing(tmp_path, zonectl_binary):
    zc = Zonectl(tmp_path)
    zc.ok("cert", "demo-ca")
    for bad in ("../etc", "a..b", "x-.example", "under_score.example", "*.example.com"):
        r = zc("cert", "issue", "mta-sts.ok.example", bad)
        assert r.rc == EXIT_USAGE and "not a host name" in r.err, bad
    assert not (zc.state / "certs").exists()
    assert zc("cert", "frobnicate").rc == EXIT_USAGE
    assert zc("cert", "list", "extra").rc == EXIT_USAGE
    assert zc("cert").rc == EXIT_USAGE
    assert "demo-ca | issue HOST... | list" in zc.ok("help", "cert").out
