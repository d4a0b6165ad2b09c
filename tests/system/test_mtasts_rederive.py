"""A changed mta-sts.service-address or service-cname reaches every enabled domain: dnsd (at
start and on SIGHUP) or `zonectl mta-sts rederive` rewrites each domain's mta-sts records, one
commit per zone, so the serial moves and a secondary follows by NOTIFY and IXFR; a reload that
changes something else commits nothing."""
import signal
import time

from dnsd_helpers import dnsd_factory, find, rdatas, show  # noqa: F401  (fixture)
from proc_helpers import as_root_config, free_port, wait_until
from xfr_helpers import KnotSecondary, import_zone, kdig, records

ZONES = ("example.com.", "example.net.")
SETTLE = 3          # seconds for dnsd's publisher (a 1 s timer) to act on a reload


def zone_text(origin, serial=10):
    return "\n".join([
        "$ORIGIN %s" % origin, "$TTL 300",
        "@ SOA ns1 hostmaster %d 3600 900 1209600 300" % serial, "@ NS ns1",
        "ns1 A 192.0.2.1", "@ MX 10 mail", "mail A 192.0.2.25",
    ]) + "\n"


def config(service, endpoint_port, extra=""):
    """lockstep.conf with the mta-sts service (address words or cname=NAME)."""
    key = "service-cname" if service.startswith("cname=") else "service-address"
    value = service[len("cname="):] if key == "service-cname" else service
    return "mta-sts:\n    endpoints: 127.0.0.1:%d\n    %s: \"%s\"\n%s" % (
        endpoint_port, key, value, extra)


def setup_domains(zc, tmp_path, endpoint_port):
    zc.config.write_text(config("192.0.2.80", endpoint_port))
    for z in ZONES:
        import_zone(zc, tmp_path, zone_text(z), name=z + "zone")
        zc.ok("mta-sts", "enable", z, "--no-publish")


def answer(d, name, rdtype):
    r = d.query(name, rdtype)
    return sorted(rdatas(find(r, "answer", name, rdtype))) if find(r, "answer", name, rdtype) \
        else []


def hup(d, text, service, endpoint_port, extra=""):
    """Writes dnsd's configuration anew and sends SIGHUP; waits for the reload's line."""
    def count(t):
        return sum(t in l for l in d.log_lines())
    before, seen = count("reloaded (SIGHUP)"), count(text) if text else 0
    d.config.write_text(as_root_config(config(service, endpoint_port, extra), "dnsd"))
    d.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: count("reloaded (SIGHUP)") > before, 10), d.log_text()
    if text:
        assert wait_until(lambda: count(text) > seen, 15), d.log_text()


def test_sighup_rederives_every_domain_and_secondary_follows(dnsd_factory, zc, tmp_path):
    endpoint_port = free_port()        # no httpsd: publishes wait, the records do not
    setup_domains(zc, tmp_path, endpoint_port)
    serial = {z: zc.serial(z) for z in ZONES}
    d = dnsd_factory.start(zones=(), config=config("192.0.2.80", endpoint_port))
    knot = KnotSecondary(tmp_path / "knot", d.port)
    zc.ok("zone", "secondaries", "example.com.", "add", knot.address)
    try:
        knot.start()
        knot.wait_serial(serial["example.com."])
        for z in ZONES:
            assert answer(d, "mta-sts." + z, "A") == ["192.0.2.80"]
        # The service dnsd starts with is the one the domains were given: no commit.
        time.sleep(SETTLE)
        assert {z: zc.serial(z) for z in ZONES} == serial, d.log_text()

        # A new address: every domain, one commit per zone, IXFR to the secondary.
        hup(d, "2 domains rewritten in 2 zone commits", "192.0.2.99 2001:db8::99",
            endpoint_port)
        for z in ZONES:
            assert answer(d, "mta-sts." + z, "A") == ["192.0.2.99"], d.log_text()
            assert answer(d, "mta-sts." + z, "AAAA") == ["2001:db8::99"]
            assert zc.serial(z) == serial[z] + 1
            assert any("mta-sts.%s follows the service in force (serial %d -> %d)"
                       % (z, serial[z], serial[z] + 1) in l for l in d.log_lines()), d.log_text()
            serial[z] += 1
        knot.wait_serial(serial["example.com."])
        got = records(kdig("@" + knot.host, "-p", knot.port, "mta-sts.example.com.", "A"))
        assert [r[3] for r in got if r[2] == "A"] == ["192.0.2.99"], got
        assert d.wait_log("IXFR, serial %d -> %d" % (serial["example.com."] - 1,
                                                     serial["example.com."])), d.log_text()
        history = zc.history("example.net.")
        assert history[-1]["source"] == "dnsd mta-sts rederive", history

        # A reload that changes something else commits nothing.
        hup(d, None, "192.0.2.99 2001:db8::99", endpoint_port, "dnsd:\n    query-log: yes\n")
        time.sleep(SETTLE)
        assert {z: zc.serial(z) for z in ZONES} == serial, d.log_text()
        assert sum("zone commit" in l for l in d.log_lines()) == 1, d.log_text()

        # A CNAME instead of addresses.
        hup(d, "2 domains rewritten in 2 zone commits", "cname=sts.provider.example.",
            endpoint_port)
        for z in ZONES:
            r = d.query("mta-sts." + z, "A")
            assert sorted(rdatas(find(r, "answer", "mta-sts." + z, "CNAME"))) == \
                ["sts.provider.example."], show(r)
            assert not find(r, "answer", "mta-sts." + z, "A"), show(r)
            assert zc.serial(z) == serial[z] + 1
            serial[z] += 1
        knot.wait_serial(serial["example.com."])
        got = records(kdig("@" + knot.host, "-p", knot.port, "mta-sts.example.com.", "CNAME"))
        assert [r[3] for r in got if r[2] == "CNAME"] == ["sts.provider.example."], got
    finally:
        knot.stop()


def test_dnsd_start_rederives(dnsd_factory, zc, tmp_path):
    """A configuration changed while dnsd was stopped is applied when it starts."""
    endpoint_port = free_port()
    setup_domains(zc, tmp_path, endpoint_port)
    serial = {z: zc.serial(z) for z in ZONES}
    d = dnsd_factory.start(zones=(), config=config("192.0.2.7", endpoint_port))
    assert d.wait_log("2 domains rewritten in 2 zone commits", timeout=15), d.log_text()
    for z in ZONES:
        assert answer(d, "mta-sts." + z, "A") == ["192.0.2.7"]
        assert zc.serial(z) == serial[z] + 1


def test_zonectl_rederive(zc, tmp_path):
    endpoint_port = free_port()
    setup_domains(zc, tmp_path, endpoint_port)
    serial = {z: zc.serial(z) for z in ZONES}
    r = zc.ok("mta-sts", "rederive")
    assert "no change" in r.out, r.out
    assert {z: zc.serial(z) for z in ZONES} == serial

    zc.config.write_text(config("192.0.2.33", endpoint_port))
    data = zc.json("mta-sts", "rederive")
    assert data["changed"] is True and data["zones"] == 2 and data["rewritten"] == 2, data
    assert data["kept"] == 0 and data["adopted"] is False, data
    assert sorted(x["domain"] + "." for x in data["domains"]) == sorted(ZONES), data
    for z in ZONES:
        assert zc.serial(z) == serial[z] + 1
        out = zc.ok("rr", "list", z, "mta-sts").out
        assert "192.0.2.33" in out and "192.0.2.80" not in out, out
    assert "no change" in zc.ok("mta-sts", "rederive").out

    # Bad or missing settings: a clear error, nothing changed.
    zc.config.write_text("mta-sts:\n    endpoints: 127.0.0.1:%d\n" % endpoint_port)
    r = zc("mta-sts", "rederive")
    assert r.rc == 1 and "both empty" in r.err, r
    zc.config.write_text(config("cname=bad..name", endpoint_port))
    r = zc("mta-sts", "rederive")
    assert r.rc == 1 and "bad..name is not a domain name" in r.err, r
    assert {z: zc.serial(z) for z in ZONES} == {z: serial[z] + 1 for z in ZONES}

    h = zc.ok("mta-sts", "rederive", "--help").out
    assert "usage: zonectl mta-sts rederive [--force]" in h and "--force" in h, h
