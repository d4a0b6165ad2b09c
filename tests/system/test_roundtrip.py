"""Export/import round trips, and exports checked by ldns, NSD and Knot.

The external checkers are installed by `make deps` (Debian packages ldnsutils,
nsd, knot); a missing one fails the test with a message saying so.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from conftest import (DATA, ZONES_DIR, Zonectl, canon, diff_lines, norm_rr, origin_of,
                      records, rr_fields, serial_change)

FIXTURE = DATA / "example.com.zone"
TOOL_TIMEOUT = 60


# ---------------------------------------------------------------- helpers

def find_tool(name, package):
    path = shutil.which(name) or next(
        (p for p in ("/usr/sbin/" + name, "/usr/bin/" + name, "/sbin/" + name) if os.access(p, os.X_OK)),
        None)
    if path is None:
        pytest.fail("%s is not installed (Debian package %s; `make deps` installs it): "
                    "the export cannot be checked" % (name, package), pytrace=False)
    return path


def run_tool(argv, what):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=TOOL_TIMEOUT, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "%s rejects the export (exit %d): %s\nstdout:\n%s\nstderr:\n%s" % (
        what, p.returncode, " ".join(map(str, argv)), p.stdout[-3000:], p.stderr[-3000:])
    return p


def check_ldns(path):
    p = run_tool([find_tool("ldns-read-zone", "ldnsutils"), str(path)], "ldns-read-zone")
    assert "SOA" in p.stdout


def check_nsd(path, origin):
    p = run_tool([find_tool("nsd-checkzone", "nsd"), origin, str(path)], "nsd-checkzone")
    assert "is ok" in p.stdout + p.stderr, p


def check_knot(path, origin, workdir):
    """Knot 3.2 has no kzonecheck in Debian 12: knotc checks a zone offline from a config."""
    knotc = find_tool("knotc", "knot")
    kz = shutil.which("kzonecheck")
    if kz:
        run_tool([kz, "-o", origin, str(path)], "kzonecheck")
        return
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "knot.conf"
    conf.write_text(
        "server:\n"
        "    rundir: \"{d}\"\n"
        "database:\n"
        "    storage: \"{d}\"\n"
        "template:\n"
        "  - id: default\n"
        "    storage: \"{d}\"\n"
        "    semantic-checks: on\n"
        "zone:\n"
        "  - domain: {o}\n"
        "    file: \"{f}\"\n".format(d=workdir, o=origin, f=Path(path).resolve()))
    run_tool([knotc, "-c", str(conf), "conf-check"], "knotc conf-check")
    p = run_tool([knotc, "-c", str(conf), "zone-check", origin], "knotc zone-check")
    assert "error" not in (p.stdout + p.stderr).lower(), p


def check_external(path, origin, workdir):
    check_ldns(path)
    check_nsd(path, origin)
    check_knot(path, origin, workdir)


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d")


def comparable(export):
    """The export as compared across stores: all of it, except a first comment line with a time."""
    lines = export.splitlines(keepends=True)
    if lines and lines[0].startswith(";") and TIMESTAMP.search(lines[0]):
        return "".join(lines[1:])
    return export


def round_trip(tmp_path, source, origin, import_args=()):
    """Imports source into one store, exports, imports that into a fresh store, exports again."""
    a = Zonectl(tmp_path, tmp_path / "state-a")
    b = Zonectl(tmp_path, tmp_path / "state-b")
    a.ok("zone", "import", source, *import_args)
    first = tmp_path / "first.zone"
    a.ok("zone", "export", origin, "-o", first)
    b.ok("zone", "import", first)
    second = b.export(origin)
    text = first.read_text()
    assert comparable(second) == comparable(text), "exports differ after a round trip"
    # -o and standard output give the same text.
    assert comparable(a.export(origin)) == comparable(text)
    assert a.zones()[origin]["records"] == b.zones()[origin]["records"] == len(records(text))
    assert a.zones()[origin]["serial"] == b.zones()[origin]["serial"]
    return a, first, text


def canonical_key(owner):
    """DNS canonical name order (RFC 4034 6.1): labels compared from the right, lower case."""
    labels = [l for l in owner.lower().rstrip(".").split(".") if l]
    return [l.encode() for l in reversed(labels)]


def assert_export_shape(text, origin):
    lines = records(text)
    assert text.startswith(";"), text[:200]
    assert "$ORIGIN %s" % origin in text.splitlines()[:3]
    first = rr_fields(lines[0])
    assert first[0] == origin and first[3] == "SOA"
    # Every owner absolute; canonical order after the SOA.
    keys = []
    for l in lines[1:]:
        owner, ttl, cls, rtype, _ = rr_fields(l)
        assert owner.endswith("."), l
        assert cls == "IN", l
        num = dns.rdatatype.from_text(rtype)
        keys.append((canonical_key(owner), int(num)))
    assert keys == sorted(keys), "export is not in DNS canonical order"


# ---------------------------------------------------------------- generated zone

GEN_ORIGIN = "gen.example."
GEN_RECORDS = 5000


def generate_zone(path, target=GEN_RECORDS, origin=GEN_ORIGIN):
    """Writes a deterministic zone of exactly `target` records over many types; returns the count."""
    out = [
        "; generated by tests/system/test_roundtrip.py",
        "$ORIGIN " + origin,
        "$TTL 3600",
        "@ SOA ns1 hostmaster 2024010100 3600 900 1209600 300",
        "@ NS ns1",
        "@ NS ns2.example.net.",
        "@ MX 10 mx",
        "@ TXT \"v=spf1 mx -all\"",
        "@ CAA 0 issue \"ca.example.net\"",
        "ns1 A 192.0.2.1",
        "ns1 AAAA 2001:db8::1",
        "mx A 192.0.2.25",
        "*.wild 300 A 192.0.2.99",
    ]
    def body(i):
        k = i % 16
        n = "h%d" % i
        b, c = (i >> 8) & 0xff, i & 0xff
        if k == 0:
            return ["%s A 10.%d.%d.1" % (n, b, c), "%s AAAA 2001:db8:%x:%x::1" % (n, b, c)]
        if k == 1:
            return ["%s 600 MX 10 mx.%s" % (n, origin), "%s 600 MX 20 h%d" % (n, i - 1)]
        if k == 2:
            return ['%s TXT "record %d; with (parens) and \\"quotes\\"" "second string"' % (n, i)]
        if k == 3:
            return ["_sip%d._tcp SRV %d %d %d h%d" % (i, i % 10, i % 100, 1024 + i, i - 3)]
        if k == 4:
            return ["c%d CNAME h%d" % (i, i - 4)]
        if k == 5:
            return ["%s CAA 0 issue \"ca%d.example.net\"" % (n, i % 7)]
        if k == 6:
            return ["%d.ptr PTR h%d.%s" % (i, i - 6, origin)]
        if k == 7:
            fp = ("%08x" % (i * 2654435761 & 0xffffffff)) * 8
            return ["%s SSHFP 4 2 %s" % (n, fp)]
        if k == 8:
            h = ("%08x" % (i * 40503 & 0xffffffff)) * 8
            return ["_443._tcp.%s TLSA 3 1 1 %s" % (n, h)]
        if k == 9:
            # A delegation: NS, glue and a DS at the cut.
            dg = ("%08x" % (i * 69069 & 0xffffffff)) * 8
            return ["d%d NS ns.d%d" % (i, i), "ns.d%d A 10.200.%d.%d" % (i, b, c),
                    "d%d DS %d 13 2 %s" % (i, i, dg)]
        if k == 10:
            return ['%s NAPTR 100 %d "S" "SIP+D2U" "" _sip._udp.%s' % (n, i % 50, origin)]
        if k == 11:
            return ['%s HINFO "CPU-%d" "OS %d"' % (n, i % 5, i % 3)]
        if k == 12:
            return ["%s TYPE65000 \\# 4 %08x" % (n, i), "e%d TYPE65001 \\# 0" % i]
        if k == 13:
            return ["MiXeD%d A 10.100.%d.%d" % (i, b, c)]
        if k == 14:
            return ["%s 86400 A 10.1.%d.%d" % (n, b, c), "%s 86400 A 10.2.%d.%d" % (n, b, c),
                    "%s 86400 A 10.3.%d.%d" % (n, b, c)]
        return ["%s AAAA 2001:db8:ffff:%x::%x" % (n, b, c + 1)]

    i = 0
    total = len(out) - 3
    while total < target:
        for line in body(i):
            if total >= target:
                break
            out.append(line)
            total += 1
        i += 1
    Path(path).write_text("\n".join(out) + "\n")
    return total


def test_generated_zone_round_trip(tmp_path):
    src = tmp_path / "gen.zone"
    n = generate_zone(src)
    assert n == GEN_RECORDS
    a, first, text = round_trip(tmp_path, src, GEN_ORIGIN)
    assert len(records(text)) == GEN_RECORDS
    assert_export_shape(text, GEN_ORIGIN)
    types = {rr_fields(l)[3] for l in records(text)}
    assert {"SOA", "NS", "A", "AAAA", "MX", "TXT", "CNAME", "SRV", "CAA", "PTR", "SSHFP", "TLSA",
            "DS", "NAPTR", "HINFO", "TYPE65000", "TYPE65001"} <= types, types

    # The export holds exactly the records of the source, as an independent parser reads them.
    def rrs(zone_text):
        z = dns.zone.from_text(zone_text, origin=GEN_ORIGIN, relativize=False,
                               allow_include=False)
        return {(name.to_text().lower(), ttl, rd.rdtype, rd.to_digestable())
                for name, ttl, rd in z.iterate_rdatas()}

    assert rrs(text) == rrs(src.read_text())
    check_external(first, GEN_ORIGIN, tmp_path / "knot")


# ---------------------------------------------------------------- fixture and zones/

def test_fixture_round_trip(tmp_path):
    a, first, text = round_trip(tmp_path, FIXTURE, "example.com.")
    assert len(records(text)) == 35
    assert_export_shape(text, "example.com.")
    check_external(first, "example.com.", tmp_path / "knot")


def example_zones():
    found = sorted(ZONES_DIR.glob("*.zone"))
    return [pytest.param(p, id=origin_of(p)) for p in found]


EXAMPLE_ZONES = example_zones()


# With no zones/*.zone (yet), the fixture stands in, so the test still runs and checks something.
@pytest.mark.parametrize("path", EXAMPLE_ZONES or [pytest.param(FIXTURE, id="fixture")])
def test_example_zone_round_trip(tmp_path, path):
    origin = canon(origin_of(path))
    a, first, text = round_trip(tmp_path, path, origin)
    assert_export_shape(text, origin)
    check_external(first, origin, tmp_path / "knot")


def test_export_first_line_has_no_timestamp(zc):
    """Exports are compared byte for byte; a time in the header would break that."""
    zc.ok("zone", "import", FIXTURE)
    first = zc.export("example.com").splitlines()[0]
    assert first.startswith(";")
    assert "2024060101" in first
    assert not TIMESTAMP.search(first), first


def test_export_to_file(zc, tmp_path):
    zc.ok("zone", "import", FIXTURE)
    out = tmp_path / "out" / "x.zone"
    out.parent.mkdir()
    zc.ok("zone", "export", "example.com", "-o", out)
    assert out.read_text() == zc.export("example.com")
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)
    # No temporary files left beside it.
    assert [p.name for p in out.parent.iterdir()] == ["x.zone"]
    # Overwrites an existing file in place.
    out.write_text("junk\n")
    zc.ok("zone", "export", "example.com", "-o", out)
    assert out.read_text() == zc.export("example.com")


# ---------------------------------------------------------------- re-import of an export

def test_reimport_unchanged_export_changes_nothing(zc, tmp_path):
    zc.ok("zone", "import", FIXTURE)
    zc.ok("rr", "add", "example.com", "extra A 192.0.2.222")
    path = tmp_path / "e.zone"
    zc.ok("zone", "export", "example.com", "-o", path)
    before = zc.snapshot()
    history = zc.history("example.com")
    r = zc.ok("zone", "import", path)
    assert re.search(r"zone example\.com\.: .*no changes", r.out), r.out
    assert not any(l.startswith(("+ ", "- ")) for l in r.out.splitlines()), r.out
    assert zc.snapshot() == before
    assert zc.history("example.com") == history
    # The same file through --json.
    doc = zc.json("zone", "import", path)
    assert doc["changed"] is False
    assert zc.snapshot() == before


def test_reimport_with_one_change_shows_that_diff(zc, tmp_path):
    zc.ok("zone", "import", FIXTURE)
    serial = zc.serial("example.com")
    text = zc.export("example.com")
    old = "mail.example.com.\t300\tIN\tA\t192.0.2.25"
    new = "mail.example.com.\t300\tIN\tA\t192.0.2.26"
    assert old in text.splitlines()
    path = tmp_path / "changed.zone"
    path.write_text(text.replace(old, new))
    r = zc.ok("zone", "import", path)
    assert serial_change(r.out) == (serial, serial + 1)
    minus, plus = diff_lines(r.out)
    soa = "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. %d 7200 900 1209600 300"
    assert sorted(minus) == sorted([soa % serial, norm_rr(old)]), r.out
    assert sorted(plus) == sorted([soa % (serial + 1), norm_rr(new)]), r.out
    assert zc.serial("example.com") == serial + 1
    exported = zc.export("example.com")
    assert new in exported and old not in exported
    # Every other record is as before.
    strip = lambda t: [l for l in records(t) if "\tSOA\t" not in l]
    assert [l for l in strip(exported) if l != new] == [l for l in strip(text) if l != old]
    h = zc.history("example.com")
    assert (h[-1]["serial_old"], h[-1]["serial"]) == (serial, serial + 1)
    assert (h[-1]["removed"], h[-1]["added"]) == (2, 2)
