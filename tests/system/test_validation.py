"""Zone validation: every rule with a bad master file.

Each bad file must be refused with exit status 1, an error naming FILE:LINE
(the line of the offending record) with a recognizable reason, and the store
unchanged, both for a new zone and for an existing zone the file would replace.
"""

import collections
import re

import pytest

from conftest import (EXIT_INPUT, minimal_zone, norm_rr, parse_json, records, rr_fields,
                      write)

# minimal_zone() is five lines ($ORIGIN, $TTL, SOA, NS, glue A): the body starts at line 6.
BODY = 6
SOA_LINE = 3

Case = collections.namedtuple("Case", "id text lines reason args")


def case(id, text, lines, reason, args=()):
    """lines: the acceptable line numbers of the error (None: the file without a line)."""
    if lines is None or isinstance(lines, int):
        lines = {lines}
    return Case(id, text, lines, reason, tuple(args))


def body_cases(reason, lines=BODY, **bodies):
    """Cases {id: body} of minimal_zone(body=body), each refused by reason at lines."""
    return [case(id, minimal_zone(body=body), lines, reason) for id, body in bodies.items()]


L63 = "a" * 63
L64 = "b" * 64
# Owners below example.com. (13 octets): 3 x 64 + 50 + 13 = 255 octets, and one more.
LONG_OWNER_255 = ".".join([L63] * 3 + ["c" * 49])
LONG_OWNER_256 = ".".join([L63] * 3 + ["c" * 50])
# A zone whose $TTL (line 2) is given; the rest is valid.
DOLLAR_TTL_ZONE = ("$ORIGIN example.com.\n$TTL %s\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n"
                   "@ NS ns1\nns1 A 192.0.2.1\n")
CNAME_BESIDE = r"CNAME.*(other|beside)|(other|beside).*CNAME"

CASES = [
    # The zone cannot be told without a SOA (and no --origin): the file is named.
    case("no_soa", "$ORIGIN example.com.\n$TTL 3600\n@ NS ns1\nns1 A 192.0.2.1\n",
         None, r"SOA"),
    # With --origin the zone is known; the missing SOA is still this file's fault.
    case("no_soa_with_origin", "$TTL 3600\n@ NS ns1\nns1 A 192.0.2.1\n",
         None, r"SOA", ["--origin", "example.com."]),
    *body_cases(r"SOA", two_soa="@ SOA ns2 hostmaster 2 3600 900 1209600 300\n"),
    *body_cases(r"SOA.*apex|apex.*SOA",
                soa_not_at_apex="sub SOA ns1 hostmaster 2 3600 900 1209600 300\n"),
    # No NS at the apex: the apex is where the SOA is, so that line (or just the file).
    case("no_ns_at_apex",
         "$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n"
         "ns1 A 192.0.2.1\nwww A 192.0.2.2\n",
         {SOA_LINE, None}, r"\bNS\b"),
    # CNAME beside the A of ns1 (line 5): either record's line names the conflict.
    *body_cases(CNAME_BESIDE, {5, BODY}, cname_beside_other_data="ns1 CNAME www\nwww A 192.0.2.2\n"),
    *body_cases(CNAME_BESIDE, {BODY, BODY + 2},
                cname_beside_other_data_cname_first="c CNAME www\nwww A 192.0.2.2\nc TXT \"x\"\n"),
    *body_cases(r"CNAME", {BODY, BODY + 1},
                two_cnames="c CNAME a\nc CNAME b\na A 192.0.2.3\nb A 192.0.2.4\n"),
    *body_cases(r"outside", owner_outside_zone="www.example.org. A 192.0.2.9\n"),
    *body_cases(r"outside", BODY + 1,
                owner_outside_zone_relative_origin="$ORIGIN example.net.\nwww A 192.0.2.9\n"),
    *body_cases(r"label.*(63|long)|(63|long).*label",
                label_longer_than_63="%s A 192.0.2.9\n" % L64,
                label_longer_than_63_in_rdata="c CNAME %s\n" % L64),
    # Three labels of 63, one of 50 and example.com.: 256 octets on the wire, one too many.
    *body_cases(r"name.*(255|long)|(255|long).*name",
                name_longer_than_255="%s A 192.0.2.9\n" % LONG_OWNER_256,
                name_longer_than_255_in_rdata="x CNAME %s\n" % LONG_OWNER_256),
    # 2^32 and above must not wrap around to a small TTL.
    *body_cases(r"TTL",
                ttl_above_2147483647="x 2147483648 A 192.0.2.9\n",
                ttl_2_to_the_32="x 4294967296 A 192.0.2.9\n",
                ttl_far_too_big="x 99999999999 A 192.0.2.9\n"),
    case("dollar_ttl_above_2147483647", DOLLAR_TTL_ZONE % "2147483648", 2, r"TTL"),
    case("dollar_ttl_2_to_the_32", DOLLAR_TTL_ZONE % "4294967296", 2, r"TTL"),
    *body_cases(r"rdata|address|IPv4",
                bad_ipv4="x A 192.0.2.256\n",
                bad_ipv4_three_octets="x A 192.0.2\n"),
    *body_cases(r"rdata|address|IPv6", bad_aaaa="x AAAA 2001:db8::g\n"),
    *body_cases(r"rdata|preference", mx_without_preference="x MX mail.example.com.\n"),
    # 16-bit fields must not wrap: preference 65536 is not preference 0.
    *body_cases(r"rdata|preference|range|65535",
                mx_preference_out_of_range="x MX 65536 mail.example.com.\n"),
    *body_cases(r"rdata|port|range|65535",
                srv_port_out_of_range="_x._tcp SRV 1 2 70000 host.example.com.\n"),
    *body_cases(r"(unknown|unsupported|invalid|bad).*type|type.*(unknown|not known|FOOBAR)",
                unknown_type_mnemonic="x FOOBAR 1 2 3\n"),
    *body_cases(r"unterminated|quot", unterminated_quote="x TXT \"abc\ny A 192.0.2.1\n"),
    *body_cases(r"\(|parenthes", unclosed_parenthesis="x TXT ( \"abc\"\ny A 192.0.2.1\n"),
    *body_cases(r"\)|parenthes", BODY + 1,
                close_without_open="y A 192.0.2.1\nx A 192.0.2.2 )\n"),
    *body_cases(r"directive", unknown_directive="$FOO bar\n"),
    *body_cases(r"class", class_ch="x CH TXT \"hi\"\n"),
    *body_cases(r"null MX", {BODY, BODY + 1},
                null_mx_beside_other_mx="x MX 0 .\nx MX 10 mail.example.com.\n"),
]


def test_longest_label_and_name_accepted(zc, tmp_path):
    """The limits themselves are fine: a 63-octet label and a 255-octet name."""
    path = write(tmp_path / "limits.zone", minimal_zone(body="""
        %s A 192.0.2.9
        %s A 192.0.2.10
        x CNAME %s
        """ % (L63, LONG_OWNER_255, LONG_OWNER_255)))
    r = zc("zone", "import", path)
    assert r.rc == 0, r
    names = {rr_fields(l)[0] for l in records(zc.export("example.com"))}
    assert L63 + ".example.com." in names
    assert LONG_OWNER_255 + ".example.com." in names


def good_zone(tmp_path):
    return write(tmp_path / "good.zone", minimal_zone(body="keep A 192.0.2.77\n"))


def error_lines(err, path):
    """(line or None, text) of every `FILE[:LINE]: error: TEXT` message about path."""
    pat = re.compile(r"^%s(?::(\d+))?: error: (.*)$" % re.escape(str(path)))
    out = []
    for l in err.splitlines():
        m = pat.match(l)
        if m:
            out.append((int(m.group(1)) if m.group(1) else None, m.group(2)))
    return out


def assert_reported(r, path, c):
    assert r.rc == EXIT_INPUT, "%s: exit %d (want 1)\nstdout:\n%s\nstderr:\n%s" % (
        c.id, r.rc, r.out, r.err)
    errs = error_lines(r.err, path)
    matching = [(line, text) for line, text in errs if re.search(c.reason, text, re.I)]
    assert matching, "%s: no `%s:LINE: error:` message matching /%s/ in:\n%s" % (
        c.id, path, c.reason, r.err)
    lines = {line for line, _ in matching}
    assert lines & c.lines, "%s: reported at line(s) %s, want %s:\n%s" % (
        c.id, sorted(lines, key=str), sorted(c.lines, key=str), r.err)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_zone_refused(zc, tmp_path, c):
    path = write(tmp_path / "bad.zone", c.text)

    # Into an empty store: no zone appears.
    r = zc("zone", "import", path, *c.args)
    assert_reported(r, path, c)
    assert zc.zones() == {}

    # Over an existing zone: it stays exactly as it was, history included.
    zc.ok("zone", "import", good_zone(tmp_path))
    before = zc.snapshot()
    history = zc.history("example.com")
    r = zc("zone", "import", path, *c.args)
    assert_reported(r, path, c)
    assert zc.snapshot() == before
    assert zc.history("example.com") == history


def test_bad_zone_add_from(zc, tmp_path):
    """zone add --from validates the same way and creates nothing."""
    path = write(tmp_path / "bad.zone", minimal_zone(body="x A 192.0.2.256\n"))
    r = zc("zone", "add", "example.com", "--from", path)
    assert r.rc == EXIT_INPUT, r
    assert "%s:6:" % path in r.err
    assert zc.zones() == {}


def test_error_in_included_file_names_that_file(zc, tmp_path):
    write(tmp_path / "z" / "inc" / "bad.inc", "ok A 192.0.2.1\n\nbad A 1.2.3.4.5\n")
    path = write(tmp_path / "z" / "main.zone", minimal_zone(body="$INCLUDE inc/bad.inc\n"))
    r = zc("zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    assert re.search(r"^inc/bad\.inc:3: error: .*rdata", r.err, re.M), r.err
    assert zc.zones() == {}


def test_several_errors_all_reported_sorted(zc, tmp_path):
    body = """
        c CNAME ns1
        c A 192.0.2.9
        x A 192.0.2.300
        www.example.org. A 192.0.2.1
        $BOGUS
        y AAAA zz
        z 2147483648 A 192.0.2.1
        ok A 192.0.2.8
        q CH TXT "hi"
        m MX 0 .
        m MX 10 mail.example.com.
        t TXT "open
        """
    path = write(tmp_path / "multi.zone", minimal_zone(body=body))
    zc.ok("zone", "import", good_zone(tmp_path))
    before = zc.snapshot()
    r = zc("zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    errs = error_lines(r.err, path)
    got = [line for line, _ in errs]
    assert got == sorted(got), "errors not sorted by line:\n%s" % r.err
    # One run shows every error: the CNAME conflict (6 or 7), 8, 9, 10, 11, 12, 14, 15 or 16, 17.
    assert {8, 9, 10, 11, 12, 14, 17} <= set(got), r.err
    assert set(got) & {6, 7} and set(got) & {15, 16}, r.err
    assert 13 not in got, r.err
    # Nothing but errors on stderr before the final summary line.
    assert zc.snapshot() == before


def test_errors_as_json(zc, tmp_path):
    path = write(tmp_path / "bad.zone", minimal_zone(body="x A 192.0.2.256\n$NOPE\n"))
    r = zc("--json", "zone", "import", path)
    assert r.rc == EXIT_INPUT, r
    doc = parse_json(r.out)
    msgs = [m for m in doc["messages"] if m["severity"] == "error"]
    assert [(m["file"], m["line"]) for m in msgs] == [(str(path), 6), (str(path), 7)]
    assert "error" in doc


# Warnings: the import succeeds, the warning names FILE:LINE.

def warning_lines(err, path):
    pat = re.compile(r"^%s:(\d+): warning: (.*)$" % re.escape(str(path)))
    return [(int(m.group(1)), m.group(2)) for m in map(pat.match, err.splitlines()) if m]


def test_warning_mx_target_not_host_name(zc, tmp_path):
    path = write(tmp_path / "w.zone", minimal_zone(body="@ MX 10 mail_server\n"))
    r = zc.ok("zone", "import", path)
    w = warning_lines(r.err, path)
    assert any(line == BODY and re.search(r"host ?name", t) for line, t in w), r.err
    got = {norm_rr(l) for l in records(zc.export("example.com"))}
    assert "example.com. 3600 IN MX 10 mail_server.example.com." in got


def test_warning_rrset_ttls_differ(zc, tmp_path):
    path = write(tmp_path / "w.zone", minimal_zone(body="""
        m 300 A 192.0.2.10
        m 600 A 192.0.2.11
        m 900 A 192.0.2.12
        """))
    r = zc.ok("zone", "import", path)
    w = warning_lines(r.err, path)
    # As Knot loads it: each record that changes the RRset's TTL warns, and the last one wins
    # (test_dnsd_differential compares with Knot's own answer and log).
    assert any(line == BODY + 1 and "TTL" in t for line, t in w), r.err
    assert any(line == BODY + 2 and "TTL" in t for line, t in w), r.err
    ttls = [rr_fields(l)[1] for l in records(zc.export("example.com"))
            if rr_fields(l)[0] == "m.example.com."]
    assert ttls == [900, 900, 900]


def test_warning_duplicate_records_collapsed(zc, tmp_path):
    path = write(tmp_path / "w.zone", minimal_zone(body="""
        d A 192.0.2.20
        d A 192.0.2.20
        d 3600 IN A 192.0.2.20
        """))
    r = zc.ok("zone", "import", path)
    w = warning_lines(r.err, path)
    assert any(line in (BODY + 1, BODY + 2) and "duplicate" in t for line, t in w), r.err
    d = [l for l in records(zc.export("example.com")) if rr_fields(l)[0] == "d.example.com."]
    assert len(d) == 1, d
    assert zc.zones()["example.com."]["records"] == 4
