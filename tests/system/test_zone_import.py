"""zone import / add / del / list: a realistic master file and the zone life cycle."""

import shutil

from conftest import (DATA, EXIT_CONFLICT, EXIT_INPUT, EXIT_NOTFOUND, EXIT_OK,
                      minimal_zone, norm_rr, records, rr_fields, write)

FIXTURE = DATA / "example.com.zone"

# What the fixture must give, as `owner ttl IN type rdata` (absolute names, canonical RDATA).
EXPECTED = """
example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024060101 7200 900 1209600 300
example.com. 3600 IN A 192.0.2.1
example.com. 3600 IN NS ns1.example.com.
example.com. 3600 IN NS ns2.example.net.
example.com. 3600 IN MX 10 mail.example.com.
example.com. 3600 IN MX 20 mail2.example.net.
example.com. 3600 IN TXT "v=spf1 mx -all"
example.com. 3600 IN AAAA 2001:db8::1
example.com. 3600 IN CAA 0 issue "letsencrypt.org"
example.com. 3600 IN CAA 128 iodef "mailto:security@example.com"
_sip._tcp.example.com. 3600 IN SRV 10 60 5060 sip.example.com.
after.example.com. 3600 IN A 192.0.2.250
empty.example.com. 3600 IN TYPE65001 \\# 0
ftp.example.com. 600 IN CNAME www.example.com.
host1.example.com. 3600 IN A 192.0.2.101
host1.example.com. 3600 IN HINFO "Generic PC" "Debian GNU/Linux"
host1.example.com. 3600 IN SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
inc1.example.com. 3600 IN A 192.0.2.151
inc2.example.com. 3600 IN A 192.0.2.152
inc2.example.com. 3600 IN AAAA 2001:db8::152
long.example.com. 3600 IN TXT "first part of a long text " "second part" "third part"
mail.example.com. 300 IN A 192.0.2.25
mail.example.com. 300 IN AAAA 2001:db8::25
ns1.example.com. 3600 IN A 192.0.2.53
ns1.example.com. 3600 IN AAAA 2001:db8::53
ptrs.example.com. 3600 IN PTR host1.example.com.
sip.example.com. 3600 IN A 192.0.2.60
sip2.example.com. 3600 IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.example.com.
sub.example.com. 3600 IN NS ns.sub.example.com.
sub.example.com. 3600 IN DS 12345 13 2 2bb183af5f22588179a53b0a98631fad1a292118ad7a6ee7e1e4c1e2d2f0c27d
ns.sub.example.com. 3600 IN A 192.0.2.200
txt.example.com. 3600 IN TXT "semi;colon" "paren(the)sis" "plain"
unknown.example.com. 3600 IN TYPE65000 \\# 3 abcdef
www.example.com. 3600 IN CNAME example.com.
_443._tcp.www.example.com. 3600 IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6
"""


def expected_set():
    return {norm_rr(l) for l in EXPECTED.strip().splitlines()}


def fixture_copy(tmp_path):
    """The fixture zone with its include directory, copied where the test may change it."""
    d = tmp_path / "zonefiles"
    shutil.copytree(DATA, d)
    return d / "example.com.zone"


def test_import_realistic_zone(zc, tmp_path):
    path = fixture_copy(tmp_path)
    r = zc.ok("zone", "import", path)
    assert "zone example.com. created: 35 records, serial 2024060101" in r.out
    exported = zc.export("example.com")
    got = [norm_rr(l) for l in records(exported)]
    assert len(got) == 35, exported
    assert set(got) == expected_set()
    # Nothing was imported twice and nothing is missing.
    assert len(set(got)) == len(got)
    # SOA first.
    assert rr_fields(got[0])[3] == "SOA"


def test_import_syntax_details(zc, tmp_path):
    """Each master-file feature in the fixture ends up as the record it describes."""
    zc.ok("zone", "import", fixture_copy(tmp_path))

    def at(name, rtype=None):
        args = ["rr", "list", "example.com", name] + ([rtype] if rtype else [])
        return [norm_rr(l) for l in zc.ok(*args).out.splitlines() if l.strip()]

    # A blank owner continues the previous owner (@ here, ns1 below).
    assert len(at("@", "NS")) == 2
    assert at("ns1", "AAAA") == ["ns1.example.com. 3600 IN AAAA 2001:db8::53"]
    # Parentheses over several lines with comments inside.
    assert at("long", "TXT") == [
        'long.example.com. 3600 IN TXT "first part of a long text " "second part" "third part"']
    soa = at("@", "SOA")[0].split()
    assert soa[6:] == ["2024060101", "7200", "900", "1209600", "300"]
    # ; and ( ) inside quotes are data.
    assert at("txt") == ['txt.example.com. 3600 IN TXT "semi;colon" "paren(the)sis" "plain"']
    # Explicit TTLs win over $TTL; CNAME to @ becomes the apex.
    assert at("mail", "A") == ["mail.example.com. 300 IN A 192.0.2.25"]
    assert at("www") == ["www.example.com. 3600 IN CNAME example.com."]
    assert at("ftp") == ["ftp.example.com. 600 IN CNAME www.example.com."]
    # RFC 3597 generic syntax, with data and empty.
    assert at("unknown") == ["unknown.example.com. 3600 IN TYPE65000 \\# 3 abcdef"]
    assert at("empty") == ["empty.example.com. 3600 IN TYPE65001 \\# 0"]
    assert at("unknown", "TYPE65000") == at("unknown")
    # $INCLUDE of sub/hosts.inc: relative names under the including file's origin.
    assert at("inc2", "AAAA") == ["inc2.example.com. 3600 IN AAAA 2001:db8::152"]
    # After the include, the origin is back (RFC 1035 5.1).
    assert at("after") == ["after.example.com. 3600 IN A 192.0.2.250"]


def test_include_with_origin_argument(zc, tmp_path):
    write(tmp_path / "z" / "parts" / "hosts.inc", """
        h1 A 192.0.2.51
        h2 A 192.0.2.52
        """)
    path = write(tmp_path / "z" / "main.zone", minimal_zone(body="""
        $INCLUDE parts/hosts.inc lab.example.com.
        back A 192.0.2.99
        """))
    zc.ok("zone", "import", path)
    names = {rr_fields(l)[0] for l in records(zc.export("example.com"))}
    assert {"h1.lab.example.com.", "h2.lab.example.com.", "back.example.com."} <= names
    assert "h1.example.com." not in names and "back.lab.example.com." not in names


def test_include_outside_directory_refused(zc, tmp_path):
    # A zone is already there: the refused import must leave it as it is.
    zc.ok("zone", "import", fixture_copy(tmp_path))
    before = zc.snapshot()
    write(tmp_path / "secret.inc", "evil A 192.0.2.66\n")
    zdir = tmp_path / "zones2"
    for n, inc in enumerate(["../secret.inc", str(tmp_path / "secret.inc")]):
        path = write(zdir / ("z%d.zone" % n), minimal_zone(serial=7, body="""
            ok A 192.0.2.10
            $INCLUDE %s
            """ % inc))
        r = zc("zone", "import", path)
        assert r.rc == EXIT_INPUT, r
        # Line 7: five header lines, "ok", then the $INCLUDE.
        assert "%s:7:" % path in r.err, r.err
        assert "outside" in r.err and inc in r.err, r.err
        assert zc.snapshot() == before
    assert "evil" not in zc.export("example.com")


def test_include_missing_file(zc, tmp_path):
    path = write(tmp_path / "z" / "main.zone", minimal_zone(body="$INCLUDE nothere.inc\n"))
    r = zc("zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    assert "%s:6:" % path in r.err and "nothere.inc" in r.err, r.err
    assert zc.zones() == {}


def test_import_origin_option(zc, tmp_path):
    # No $ORIGIN and relative owners: --origin says what they are relative to.
    path = write(tmp_path / "plain.zone", """
        $TTL 600
        @ IN SOA ns1 hostmaster 5 3600 900 1209600 300
          IN NS ns1
        ns1 IN A 192.0.2.1
        www IN A 192.0.2.2
        """)
    r = zc.ok("zone", "import", path, "--origin", "Example.ORG")
    assert "zone example.org. created: 4 records, serial 5" in r.out
    got = {norm_rr(l) for l in records(zc.export("example.org"))}
    assert "www.example.org. 600 IN A 192.0.2.2" in got
    assert "example.org. 600 IN SOA ns1.example.org. hostmaster.example.org. 5 3600 900 1209600 300" in got
    assert list(zc.zones()) == ["example.org."]


def test_import_without_origin_uses_soa_owner(zc, tmp_path):
    path = write(tmp_path / "abs.zone", """
        example.net. 300 IN SOA ns1.example.net. hostmaster.example.net. 9 3600 900 1209600 300
        example.net. 300 IN NS ns1.example.net.
        ns1.example.net. 300 IN A 192.0.2.1
        """)
    zc.ok("zone", "import", path)
    assert list(zc.zones()) == ["example.net."]
    assert zc.serial("example.net") == 9


def test_zone_add_with_ns(zc):
    r = zc.ok("zone", "add", "example.org", "--ns", "ns1.example.net.", "--ns", "ns2.example.net")
    assert "zone example.org. created: 3 records" in r.out
    rrs = [rr_fields(l) for l in records(zc.export("example.org"))]
    assert [x[3] for x in rrs] == ["SOA", "NS", "NS"]
    soa = rrs[0][4].split()
    assert soa[0] == "ns1.example.net." and soa[1] == "hostmaster.example.org."
    assert {x[4] for x in rrs[1:]} == {"ns1.example.net.", "ns2.example.net."}
    z = zc.zones()["example.org."]
    assert z["records"] == 3 and z["serial"] == int(soa[2]) >= 1


def test_zone_add_single_ns(zc):
    zc.ok("zone", "add", "example.org", "--ns", "ns1.example.net.")
    rrs = [rr_fields(l) for l in records(zc.export("example.org"))]
    assert [(x[0], x[3]) for x in rrs] == [("example.org.", "SOA"), ("example.org.", "NS")]
    assert rrs[1][4] == "ns1.example.net."


def test_zone_add_existing_zone_conflicts(zc, tmp_path):
    zc.ok("zone", "add", "example.org", "--ns", "ns1.example.net.")
    before = zc.snapshot()
    r = zc("zone", "add", "example.org", "--ns", "ns9.example.net.")
    assert r.rc == EXIT_CONFLICT, r
    assert "exists" in r.err
    # Also with --from: no replacement through zone add.
    path = write(tmp_path / "o.zone", minimal_zone("example.org.", serial=50))
    r = zc("zone", "add", "example.org", "--from", path)
    assert r.rc == EXIT_CONFLICT, r
    assert zc.snapshot() == before


def test_zone_add_from_file(zc, tmp_path):
    # --from takes DOMAIN as the origin: the file needs no $ORIGIN.
    path = write(tmp_path / "rel.zone", """
        $TTL 900
        @ SOA ns1 hostmaster 42 3600 900 1209600 300
        @ NS ns1
        ns1 A 192.0.2.1
        mail MX 10 ns1
        """)
    r = zc.ok("zone", "add", "example.info", "--from", path)
    assert "zone example.info. created: 4 records, serial 42" in r.out
    got = {norm_rr(l) for l in records(zc.export("example.info"))}
    assert "mail.example.info. 900 IN MX 10 ns1.example.info." in got


def test_zone_del(zc, tmp_path):
    zc.ok("zone", "import", write(tmp_path / "a.zone", minimal_zone("a.test.")))
    zc.ok("zone", "import", write(tmp_path / "b.zone", minimal_zone("b.test.")))
    r = zc.ok("zone", "del", "a.test")
    assert "a.test." in r.out and "deleted" in r.out
    assert list(zc.zones()) == ["b.test."]
    r = zc("zone", "export", "a.test")
    assert r.rc == EXIT_NOTFOUND, r
    r = zc("rr", "list", "a.test")
    assert r.rc == EXIT_NOTFOUND, r
    # Deleting again: not found, nothing else touched.
    r = zc("zone", "del", "a.test")
    assert r.rc == EXIT_NOTFOUND, r
    assert list(zc.zones()) == ["b.test."]
    # The name is free again.
    zc.ok("zone", "add", "a.test", "--ns", "ns1.a.test")
    assert sorted(zc.zones()) == ["a.test.", "b.test."]


def test_zone_list_json_fields(zc, tmp_path):
    assert "no store" in zc.json("zone", "list", rc=EXIT_NOTFOUND)["error"]
    zc.ok("zone", "import", fixture_copy(tmp_path))
    zc.ok("zone", "add", "example.org", "--ns", "ns1.example.net.")
    zones = zc.json("zone", "list")["zones"]
    by = {z["name"]: z for z in zones}
    assert set(by) == {"example.com.", "example.org."}
    for z in zones:
        assert {"name", "serial", "records"} <= set(z), z
        assert isinstance(z["serial"], int) and isinstance(z["records"], int)
    assert by["example.com."]["serial"] == 2024060101
    assert by["example.com."]["records"] == 35
    assert by["example.org."]["records"] == 2
    # The plain listing shows the same.
    out = zc.ok("zone", "list").out
    line = [l for l in out.splitlines() if l.startswith("example.com.")][0]
    assert "2024060101" in line and "35" in line


def test_import_replaces_whole_zone(zc, tmp_path):
    zc.ok("zone", "import", write(tmp_path / "v1.zone", minimal_zone(body="""
        old A 192.0.2.10
        keep A 192.0.2.11
        """)))
    r = zc.ok("zone", "import", write(tmp_path / "v2.zone", minimal_zone(body="""
        keep A 192.0.2.11
        new A 192.0.2.12
        """)))
    assert "- old.example.com.\t3600\tIN\tA\t192.0.2.10" in r.out
    assert "+ new.example.com.\t3600\tIN\tA\t192.0.2.12" in r.out
    assert "keep" not in r.out
    names = {rr_fields(l)[0] for l in records(zc.export("example.com"))}
    assert "old.example.com." not in names and {"keep.example.com.", "new.example.com."} <= names
    assert zc.zones()["example.com."]["records"] == 5


def test_import_missing_file(zc, tmp_path):
    r = zc("zone", "import", tmp_path / "nothere.zone")
    assert r.rc == EXIT_NOTFOUND, r
    assert "nothere.zone" in r.err
    assert zc.zones() == {}


def test_class_before_ttl(zc, tmp_path):
    """RFC 1035 5.1 allows both `[TTL] [class] type` and `[class] [TTL] type`."""
    path = write(tmp_path / "order.zone", minimal_zone(body="""
        a 300 IN A 192.0.2.10
        b IN 300 A 192.0.2.11
        c IN A 192.0.2.12
        d 300 A 192.0.2.13
        """))
    r = zc("zone", "import", path)
    assert r.rc == EXIT_OK, r
    got = {norm_rr(l) for l in records(zc.export("example.com"))}
    assert {"a.example.com. 300 IN A 192.0.2.10", "b.example.com. 300 IN A 192.0.2.11",
            "c.example.com. 3600 IN A 192.0.2.12", "d.example.com. 300 IN A 192.0.2.13"} <= got


def test_include_through_symlink_leaving_directory_refused(zc, tmp_path):
    """A link inside the zone's directory that points outside it is outside."""
    write(tmp_path / "private" / "secret.inc", "evil A 192.0.2.66\n")
    zdir = tmp_path / "zonedir"
    (zdir / "sub").mkdir(parents=True)
    (zdir / "sub" / "link.inc").symlink_to(tmp_path / "private" / "secret.inc")
    path = write(zdir / "main.zone", minimal_zone(body="$INCLUDE sub/link.inc\n"))
    r = zc("zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    assert "%s:6:" % path in r.err and "outside" in r.err, r.err
    assert zc.zones() == {}


def test_nested_include(zc, tmp_path):
    zdir = tmp_path / "zonedir"
    write(zdir / "a" / "b" / "deep.inc", "deep A 192.0.2.71\n")
    write(zdir / "a" / "mid.inc", "mid A 192.0.2.70\n$INCLUDE a/b/deep.inc\n")
    path = write(zdir / "main.zone", minimal_zone(body="$INCLUDE a/mid.inc\n"))
    r = zc("zone", "import", path)
    assert r.rc == EXIT_OK, r
    names = {rr_fields(l)[0] for l in records(zc.export("example.com"))}
    assert {"mid.example.com.", "deep.example.com."} <= names
