"""ACME against Debian's Pebble: mta-sts enable ends with the policy served under a
certificate that chains to Pebble's root and the id published; cert renew gives a new serial
served without a restart; EAB; an unreachable CA is explained and recovered from by itself."""

import time

import pytest

from acme_helpers import AcmeEnv, acme_env  # noqa: F401  (fixture)
from conftest import EXIT_OK
from proc_helpers import wait_until

ISSUE_TIMEOUT = 90      # Pebble's own time plus a loaded machine


def serial_of(cert):
    return cert["serialNumber"].lower().lstrip("0")


def wait_published(env, timeout=ISSUE_TIMEOUT):
    return env.sts.wait("the _mta-sts id published", lambda: env.sts.txt_id(), timeout=timeout,
                        step=0.5)


def test_enable_issues_and_publishes(acme_env):
    env = acme_env()
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, "%s%s\n%s" % (r.out, r.err, env.logs())
    assert "certificate issued" in r.out, "%s%s\n%s" % (r.out, r.err, env.logs())
    cert = env.served_cert()        # verified against Pebble's root (ssl raises otherwise)
    assert ("DNS", "mta-sts.example.com") in cert["subjectAltName"]
    wait_published(env)
    certs = {c["name"]: c for c in env.zc.json("cert", "list")["certs"]}
    c = certs["mta-sts.example.com"]
    assert c["source"] == env.pebble.directory
    assert c["serial"].lstrip("0") == serial_of(cert)
    for k in ("name", "issuer", "not_before", "not_after", "serial", "source", "renew_at",
              "last_error", "queue_position"):
        assert k in c, k
    assert c["not_after"].endswith("Z") and c["renew_at"] and c["last_error"] is None
    assert c["queue_position"] is None
    # the challenge record is gone again
    from dnsd_helpers import make_query
    import dns.rdatatype
    a = env.sts.dnsd.query("_acme-challenge.mta-sts.example.com", "TXT")
    assert not [x for x in a.answer if x.rdtype == dns.rdatatype.TXT], a
    accts = env.zc.json("acme", "account")["accounts"]
    assert [x["directory"] for x in accts] == [env.pebble.directory]
    st = env.zc.json("cert", "status", "mta-sts.example.com")
    assert st["state"] == "issued" and st["problem_type"] is None


def test_renew_new_serial_without_restart(acme_env):
    env = acme_env()
    env.zc.ok("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    first = serial_of(env.served_cert())
    pid = env.sts.httpsd.proc.pid
    r = env.zc("cert", "renew", "mta-sts.example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err
    second = wait_until(lambda: (lambda s: s if s != first else None)(
        serial_of(env.served_cert())), 15, step=0.2)
    assert second and second != first
    assert env.sts.httpsd.proc.pid == pid and env.sts.httpsd.running()


def test_eab_required(acme_env):
    env = acme_env(eab=True)
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK, r.out + r.err
    env.served_cert()
    wait_published(env)


def test_eab_missing_is_explained(tmp_path):
    env = AcmeEnv(tmp_path, eab=True)
    # drop the EAB keys: Pebble requires them, so registration must fail with its reason
    text = env.conf_text.replace("  eab-kid: kid-1\n", "").replace(
        "  eab-hmac-key: %s\n" % "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W", "")
    env.zc.config.write_text(text)
    try:
        r = env.zc("acme", "register")
        assert r.rc != EXIT_OK
        assert "External Account Binding" in r.err or "externalAccount" in r.err, r.err
    finally:
        env.pebble.stop()


@pytest.mark.long
def test_ca_unreachable_then_recovers(acme_env):
    env = acme_env(start_ca=False)
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    out = r.out + r.err
    assert "waiting: certificate for mta-sts.example.com" in out, out
    assert "Connection refused" in out, out
    st = env.zc("mta-sts", "status", "example.com").out
    assert "waiting: certificate for mta-sts.example.com: connection: " in st, st
    assert "Connection refused" in st, st
    assert env.sts.txt_id() is None
    env.pebble.start()
    # dnsd retries by itself: the first retry is within 60 s
    wait_published(env, timeout=120)
    env.served_cert()
    st = env.zc("mta-sts", "status", "example.com").out
    assert "waiting: certificate" not in st, st


def test_tls_alpn_01(acme_env):
    """Pebble connects to httpsd (its tlsPort) with ALPN acme-tls/1 and SNI
    mta-sts.example.com, whose A record dnsd serves; no TXT is written."""
    env = acme_env(challenge="tls-alpn-01")
    r = env.zc("mta-sts", "enable", "example.com", timeout=ISSUE_TIMEOUT)
    assert r.rc == EXIT_OK and "certificate issued" in r.out, "%s%s\n%s" % (
        r.out, r.err, env.logs())
    env.served_cert()
    wait_published(env)
    st = env.zc.json("cert", "status", "mta-sts.example.com")
    assert st["state"] == "issued" and st["challenge"] == "tls-alpn-01", st
    history = env.zc("zone", "history", "example.com").out
    assert "acme dns-01" not in history, history
