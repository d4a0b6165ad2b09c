"""Certificate metrics with many certificates (issues 16/17): httpsd and dnsd read the
certificates on a thread of their own and render /metrics from what it found, with at most
metrics-cert-names per-name series and the totals always there.

2,000 certificates are made here in Python with one shared key (a few seconds), 10 of them
expiring within 14 days and 5 already expired. httpsd runs with metrics-cert-names: 100, dnsd
with 0 on the same state directory. Every wait is bounded.
"""

import datetime
import os
import subprocess
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dnsd_helpers import start_dnsd
from httpsd_helpers import Httpsd, check_config, make_state, policy_text
from proc_helpers import HOST4, free_port, started
from test_metrics import PROMTOOL, scrape, samples, tool

HOST = "mta-sts.example.com"
MANY = 2000
SOON, EXPIRED = 10, 5
LIMIT = 100
REFRESH_TIMEOUT = 120       # seconds for the reader thread's first look on a loaded machine
SCRAPE_LIMIT = 3.0          # seconds one scrape may take: it renders from memory


def make_many(state_dir, n):
    """n certificates for mta-sts.bulkNNNN.example under STATE/certs, all with one key; returns
    (names expiring within 14 days, expired names, the earliest not_after as Unix time)."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    soon, expired, earliest = [], [], None
    for i in range(n):
        host = "mta-sts.bulk%04d.example" % i
        if i < EXPIRED:
            after = now - datetime.timedelta(days=1, seconds=i)
            expired.append(host)
        elif i < EXPIRED + SOON:
            after = now + datetime.timedelta(days=5)
            soon.append(host)
        else:
            after = now + datetime.timedelta(days=60)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(i + 1)
                .not_valid_before(now - datetime.timedelta(days=2)).not_valid_after(after)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), False)
                .sign(key, hashes.SHA256()))
        d = os.path.join(state_dir, "certs", host)
        os.makedirs(d)
        with open(os.path.join(d, "fullchain.pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        fd = os.open(os.path.join(d, "privkey.pem"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, key_pem)
        os.close(fd)
        t = int(after.timestamp())
        earliest = t if earliest is None else min(earliest, t)
    return soon, expired, earliest


def wait_refreshed(port, prefix):
    """Scrapes until the reader thread has looked once; returns (seconds of the last scrape,
    its body)."""
    deadline = time.monotonic() + REFRESH_TIMEOUT
    while True:
        t0 = time.monotonic()
        status, _, body = scrape(port)
        took = time.monotonic() - t0
        assert status == 200
        if samples(body).get("%s_certificates_refresh_time_seconds" % prefix, 0) > 0:
            return took, body
        assert time.monotonic() < deadline, "no look at STATE/certs in %d s" % REFRESH_TIMEOUT
        time.sleep(0.2)


def promtool_ok(body):
    r = subprocess.run([tool(PROMTOOL), "check", "metrics"], input=body, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "", \
        "promtool: rc %d\n%s%s" % (r.returncode, r.stdout, r.stderr)


def test_many_certificates_bounded_and_fast(tmp_path):
    st = make_state(tmp_path, [HOST], {"example.com": policy_text()})
    soon, expired, earliest = make_many(str(st.dir), MANY)
    total = MANY + 1
    hport, dport = free_port(), free_port()
    with started(tmp_path, "cm") as servers:
        h = servers.add(Httpsd(servers.workdir(), st.dir, free_port(), workers=2,
                               config="httpsd:\n    metrics-listen: %s:%d\n"
                                      "    metrics-cert-names: %d\n" % (HOST4, hport, LIMIT)))
        h.start()
        d = start_dnsd(servers, st.zc, workers=1,
                       config="dnsd:\n    metrics-listen: %s:%d\n    metrics-cert-names: 0\n"
                              "mta-sts:\n    publisher: no\n" % (HOST4, dport))
        assert d is not None
        wait_refreshed(hport, "httpsd")
        # Now from memory: a few scrapes, each timed, each whole.
        for _ in range(3):
            t0 = time.monotonic()
            status, headers, body = scrape(hport)
            took = time.monotonic() - t0
            assert status == 200 and took < SCRAPE_LIMIT, "scrape took %.2f s" % took
            assert len(body.encode()) == int(headers["content-length"]) and body.endswith("\n")
        promtool_ok(body)
        s = samples(body)
        named = [k for k in s if k.startswith("httpsd_certificate_expiry_seconds{")]
        assert len(named) == LIMIT
        # The first LIMIT by name: the bulk names sort before mta-sts.example.com.
        assert 'httpsd_certificate_expiry_seconds{name="mta-sts.bulk0000.example"}' in s
        assert 'httpsd_certificate_expiry_seconds{name="mta-sts.bulk%04d.example"}' % LIMIT \
            not in s
        assert s["httpsd_certificate_names_omitted"] == total - LIMIT
        assert s["httpsd_certificates"] == total
        assert s["httpsd_certificates_unusable"] == 0
        assert s["httpsd_certificates_expiring"] == len(soon)
        assert s["httpsd_certificates_expired"] == len(expired)
        assert s["httpsd_certificate_expiry_earliest_seconds"] == earliest

        # dnsd, limit 0: the totals only, no per-name series at all.
        wait_refreshed(dport, "dnsd")
        status, _, body = scrape(dport)
        promtool_ok(body)
        s = samples(body)
        assert not [k for k in s if k.startswith("dnsd_certificate_expiry_seconds")]
        assert s["dnsd_certificate_names_omitted"] == total
        assert s["dnsd_certificates"] == total
        assert s["dnsd_certificates_expired"] == len(expired)
        assert s["dnsd_certificates_expiring"] == len(soon)


def test_bad_limit_is_refused(tmp_path):
    st = make_state(tmp_path, [HOST], {})
    conf = tmp_path / "bad.conf"
    conf.write_text("httpsd:\n    metrics-cert-names: lots\n")
    r = check_config(st.dir, conf)
    assert r.returncode != 0
    assert "metrics-cert-names" in r.stderr and "bad.conf:2" in r.stderr, r.stderr
