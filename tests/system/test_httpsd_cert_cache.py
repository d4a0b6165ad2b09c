"""httpsd's certificate cache (`httpsd: cert-cache:`, issue 17): a small cache and many names.

Twenty names with their own certificates and policies, httpsd with cert-cache 4: every name is
served with its own certificate (the leaf's DER equals the file on disk, verified against the
demo CA) and its own policy, three times over; /metrics counts the misses and evictions that
cycling 20 names through 4 slots must cause, and hits when names repeat; a certificate replaced
on disk (for a name out of the cache and for one in it) is the one served next. Clients are
Python's ssl on 127.0.0.1, one full handshake per connection (no session resumed).
"""

import ssl

import pytest

from httpsd_helpers import (HOST4, Httpsd, check_config, get_request, make_state, policy_text,
                            read_response)
from proc_helpers import free_port, started, wait_until
from test_metrics import metrics

NAMES = 20
CACHE = 4
ROUNDS = 3
RESTAT_WAIT = 10       # seconds for a replaced file to be seen (httpsd looks once a second)


def hosts():
    return ["mta-sts.d%02d.cache.example" % i for i in range(NAMES)]


def body(host):
    return policy_text(mx="mx.%s" % host[len("mta-sts."):])


def leaf_der(st, host):
    pem = (st.dir / "certs" / host / "fullchain.pem").read_text()
    first = pem[:pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    return ssl.PEM_cert_to_DER_cert(first)


def fetch(h, st, host):
    """(leaf DER served for host, policy body), verified against the demo CA."""
    with h.tls(sni=host, cafile=st.ca) as s:
        der = s.getpeercert(binary_form=True)
        s.sendall(get_request(host=host))
        status, _, got, _ = read_response(s)
        assert status == 200, got
        return der, got


@pytest.fixture
def cache(tmp_path, zonectl_binary):
    names = hosts()
    st = make_state(tmp_path, names, {n[len("mta-sts."):]: body(n) for n in names})
    mport = free_port()
    with started(tmp_path, "cache") as servers:
        h = servers.add(Httpsd(servers.workdir(), st.dir, free_port(), workers=2,
                               config="httpsd:\n    cert-cache: %d\n    access-log: no\n"
                                      "    metrics-listen: %s:%d\n" % (CACHE, HOST4, mport)))
        h.start()
        yield st, h, mport


def test_every_name_served_with_its_own_certificate(cache):
    st, h, mport = cache
    names = hosts()
    before = metrics(mport)
    assert before["httpsd_cert_cache_size"] == CACHE
    for _ in range(ROUNDS):
        for n in names:
            der, got = fetch(h, st, n)
            assert der == leaf_der(st, n), "%s served another certificate" % n
            assert got == body(n)
    after = metrics(mport)
    moved = {k: after[k] - before.get(k, 0) for k in (
        "httpsd_cert_cache_misses_total", "httpsd_cert_cache_evictions_total",
        "httpsd_cert_cache_hits_total")}
    # Round robin over 20 names with 4 slots: every look-up reads the files, and every one
    # after the first four pushes the least recently used name out.
    assert moved == {"httpsd_cert_cache_misses_total": NAMES * ROUNDS,
                     "httpsd_cert_cache_evictions_total": NAMES * ROUNDS - CACHE,
                     "httpsd_cert_cache_hits_total": 0}, moved
    assert after["httpsd_cert_cache_entries"] == CACHE

    # The last four names are cached: asking again is a hit, no file read.
    for n in names[-CACHE:]:
        der, _ = fetch(h, st, n)
        assert der == leaf_der(st, n)
    again = metrics(mport)
    assert again["httpsd_cert_cache_hits_total"] - after["httpsd_cert_cache_hits_total"] == CACHE
    assert again["httpsd_cert_cache_misses_total"] == after["httpsd_cert_cache_misses_total"]


def test_replaced_certificate_is_served(cache):
    st, h, mport = cache
    names = hosts()
    for n in names:
        fetch(h, st, n)
    evicted, cached = names[0], names[-1]
    old = {n: leaf_der(st, n) for n in (evicted, cached)}
    st.issue(evicted, cached)
    for n in (evicted, cached):
        assert leaf_der(st, n) != old[n]
    # Out of the cache: the next handshake reads the new files.
    der, got = fetch(h, st, evicted)
    assert der == leaf_der(st, evicted) and got == body(evicted)
    # In the cache: seen once httpsd looks at the files again (at most once a second).
    assert wait_until(lambda: fetch(h, st, cached)[0] == leaf_der(st, cached), RESTAT_WAIT), \
        "the replaced certificate of %s was not served within %d s" % (cached, RESTAT_WAIT)
    assert metrics(mport)["httpsd_cert_cache_reloads_total"] >= 1


@pytest.mark.parametrize("value", ["0", "1000001", "many"])
def test_bad_cert_cache_is_refused(tmp_path, zonectl_binary, value):
    st = make_state(tmp_path, [hosts()[0]], {})
    conf = tmp_path / "bad.conf"
    conf.write_text("httpsd:\n    cert-cache: %s\n" % value)
    r = check_config(st.dir, conf)
    assert r.returncode != 0
    assert "%s:2:" % conf in r.stderr and "cert-cache" in r.stderr, r.stderr
