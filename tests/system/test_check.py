"""zonectl check against a foreign world (foreign_world.py): Knot for the DNS, nginx for the
policies, aiosmtpd for the MX hosts, all on loopback. One domain per problem code, each shown
to be found at its level; a clean domain with nothing but ok; the exit statuses, --nagios and
--connect-to; and the own-domain codes against a local store with dnsd and httpsd."""

import json
import time

import pytest

from conftest import parse_json
from foreign_world import DEAD, Domain, Mx, World, policy
from proc_helpers import free_port, wait_until

EXIT_WARN, EXIT_ERROR = 6, 7
NAGIOS = {"ok": 0, "warn": 1, "error": 2}


def mxp(label, *hosts):
    return ["%s.%s.foreign.test" % (h, label) for h in hosts]


# label: (the domain, the code it must show, its level)
CASES = {
    "txtmissing": (Domain("txtmissing", txt=[]), "sts-txt-missing", "error"),
    "txtmulti": (Domain("txtmulti", txt=["v=STSv1; id=1;", "v=STSv1; id=2;"]),
                 "sts-txt-multiple", "error"),
    "txtsyntax": (Domain("txtsyntax", txt=["v=STSv1; id=not-an-id!;"]), "sts-txt-syntax",
                  "error"),
    "txtcname": (Domain("txtcname", txt_cname=True), "sts-txt-cname", "warn"),
    "fetchdns": (Domain("fetchdns", sts_addr=None), "policy-fetch-dns", "error"),
    "fetchtcp": (Domain("fetchtcp", sts_addr=DEAD), "policy-fetch-tcp", "error"),
    "fetchtlsexp": (Domain("fetchtlsexp", sts_cert="expired"), "policy-fetch-tls", "error"),
    "fetchtlsname": (Domain("fetchtlsname", sts_cert="name"), "policy-fetch-tls", "error"),
    "fetchtlsca": (Domain("fetchtlsca", sts_cert="untrusted"), "policy-fetch-tls", "error"),
    "fetch404": (Domain("fetch404", http="missing"), "policy-fetch-http", "error"),
    "fetchredir": (Domain("fetchredir", http="redirect"), "policy-fetch-http", "error"),
    "fetchhtml": (Domain("fetchhtml", http="html"), "policy-fetch-http", "error"),
    "polsyntax": (Domain("polsyntax", body="this is not a policy\r\n"), "policy-syntax", "error"),
    "maxageshort": (Domain("maxageshort", body=policy(max_age=3600,
                                                      mx=mxp("maxageshort", "mx"))),
                    "policy-max-age", "warn"),
    "maxagelong": (Domain("maxagelong", body=policy(max_age=40000000,
                                                    mx=mxp("maxagelong", "mx"))),
                   "policy-max-age", "error"),
    "modenone": (Domain("modenone", body=policy(mode="none", mx=mxp("modenone", "mx"))),
                 "policy-mode-none", "warn"),
    "nomx": (Domain("nomx", mx=[], body=policy(mx=["mx.nomx.foreign.test"]),
                    tlsrpt=["v=TLSRPTv1; rua=mailto:r@clean.foreign.test"]), "mx-missing", "error"),
    "nullmx": (Domain("nullmx", mx=[Mx(".", pref=0)], body=policy(mx=["mx.nullmx.foreign.test"]),
                      tlsrpt=["v=TLSRPTv1; rua=mailto:r@clean.foreign.test"]), "mx-missing",
               "error"),
    "notcovered": (Domain("notcovered", mx=[Mx("mx"), Mx("mx2", pref=20)],
                          body=policy(mx=mxp("notcovered", "mx"))), "mx-not-covered", "error"),
    "unused": (Domain("unused", body=policy(mx=mxp("unused", "mx", "old"))),
               "mx-pattern-unused", "warn"),
    "nostarttls": (Domain("nostarttls", mx=[Mx("mx", cert="plain")]), "mx-starttls-missing",
                   "error"),
    "smtpdead": (Domain("smtpdead", mx=[Mx("mx", addr=DEAD)]), "mx-starttls-failed", "error"),
    "mxexpired": (Domain("mxexpired", mx=[Mx("mx", cert="expired")]), "mx-cert-expired",
                  "error"),
    "mxname": (Domain("mxname", mx=[Mx("mx", cert="name")]), "mx-cert-name", "error"),
    "mxca": (Domain("mxca", mx=[Mx("mx", cert="untrusted")]), "mx-cert-untrusted", "error"),
    "mxexpiring": (Domain("mxexpiring", mx=[Mx("mx", cert="expiring")]), "mx-cert-expiring",
                   "warn"),
    "stsexpiring": (Domain("stsexpiring", sts_cert="expiring"), "sts-cert-expiring", "warn"),
    "rptmissing": (Domain("rptmissing", tlsrpt=[]), "tlsrpt-missing", "warn"),
    "rptsyntax": (Domain("rptsyntax", tlsrpt=["v=TLSRPTv1; rua=ftp://example.net/"]),
                  "tlsrpt-syntax", "error"),
    "rptunreach": (Domain("rptunreach", tlsrpt=["v=TLSRPTv1; rua=mailto:r@nomail.foreign.test"]),
                   "tlsrpt-rua-unreachable", "warn"),
    "dane": (Domain("dane", mx=[Mx("mx", tlsa=True)]), "dane-present", "info"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("check"))
    w.add(Domain("clean"))
    w.add(Domain("changing"))
    w.add(Domain("hostile"))
    w.add(Domain("rpthttps", tlsrpt=["v=TLSRPTv1; rua=https://mta-sts.clean.foreign.test/r"]))
    w.add(Domain("rpthttpsdead",
                 tlsrpt=["v=TLSRPTv1; rua=https://mta-sts.fetchtcp.foreign.test/r"]))
    w.add(Domain("rpthttps404",
                 tlsrpt=["v=TLSRPTv1; rua=https://mta-sts.clean.foreign.test/gone/r"]))
    for d, _, _ in CASES.values():
        w.add(d)
    with w.running():
        yield w


def check(zc, world, label, *extra, rc=None):
    """The JSON of a check of label (extra options first: the first --connect-to that
    matches wins); the exit status checked against the status."""
    r = zc("check", world.name(label), "--json", *extra, *world.check_args(), timeout=120)
    data = parse_json(r.out)
    want = {"ok": 0, "warn": EXIT_WARN, "error": EXIT_ERROR}[data["status"]]
    assert r.rc == want, "exit %d for status %s\n%s%s" % (r.rc, data["status"], r.out, r.err)
    if rc is not None:
        assert r.rc == rc, r.out
    return data


def test_clean_domain_has_no_problem(zc, world):
    data = check(zc, world, "clean", rc=0)
    assert data == {"domain": "clean.foreign.test", "status": "ok", "problems": [],
                    "checked": ["sts-txt", "policy-fetch", "policy", "mx", "smtp", "tlsrpt"]}
    text = zc("check", world.name("clean"), *world.check_args(), timeout=120)
    assert text.rc == 0, text.out + text.err
    assert sorted(text.out.split()) == sorted(
        ["ok", "sts-txt", "ok", "policy-fetch", "ok", "policy", "ok", "mx", "ok", "smtp", "ok",
         "tlsrpt"]), text.out


@pytest.mark.parametrize("label", sorted(CASES))
def test_problem_code_is_found(zc, world, label):
    _, code, level = CASES[label]
    data = check(zc, world, label)
    found = [p for p in data["problems"] if p["code"] == code]
    assert found, "%s: no %s in %s" % (label, code, json.dumps(data["problems"], indent=1))
    assert all(p["level"] == level for p in found), found
    assert set(data) == {"domain", "status", "problems", "checked"}
    for p in data["problems"]:
        assert set(p) == {"code", "level", "subject", "message", "fix"}, p
        assert p["message"] and "\n" not in p["message"]
    # The fault is the only one: nothing else at its level or above comes with it.
    others = [p for p in data["problems"] if p["code"] != code and p["level"] != "info"
              and not (code == "sts-txt-missing" and p["code"].startswith("policy"))]
    assert not others, "%s: more than %s: %s" % (label, code, others)
    assert data["status"] == ("ok" if level == "info" else level)


def test_tls_problem_names_the_certificate_fault(zc, world):
    msgs = {lab: [p["message"] for p in check(zc, world, lab)["problems"]][0]
            for lab in ("fetchtlsexp", "fetchtlsname", "fetchtlsca", "fetchredir", "fetchhtml")}
    assert "expired" in msgs["fetchtlsexp"], msgs
    assert "name" in msgs["fetchtlsname"], msgs
    assert "untrusted chain" in msgs["fetchtlsca"], msgs
    assert "301" in msgs["fetchredir"] and "elsewhere.foreign.test" in msgs["fetchredir"], msgs
    assert "text/html" in msgs["fetchhtml"], msgs


def test_nagios_line_and_status(zc, world):
    for label, want in (("clean", 0), ("maxageshort", 1), ("notcovered", 2)):
        r = zc("check", world.name(label), "--nagios", *world.check_args(), timeout=120)
        assert r.rc == want, r.out + r.err
        word = ["OK", "WARNING", "CRITICAL"][want]
        assert r.out.startswith("MTA-STS %s - " % word) and r.out.count("\n") == 1, r.out
    r = zc("check", world.name("notcovered"), "--nagios", *world.check_args(), timeout=120)
    assert r.out.startswith("MTA-STS CRITICAL - mx-not-covered: mx2.notcovered.foreign.test"), r.out
    r = zc("check", "clean.foreign.test", "--nagios", "--ca", "/nonexistent.pem")
    assert r.rc == 3 and r.out.startswith("MTA-STS UNKNOWN - "), r.out + r.err


def test_connect_to_redirects_a_host(zc, world):
    # The policy host of fetchtcp resolves to a dead address; a --connect-to rule for it alone
    # (before the world's own) sends it to nginx, which serves its policy: no problem left.
    data = check(zc, world, "fetchtcp", "--connect-to",
                 "mta-sts.fetchtcp.foreign.test:443:127.0.0.1:%d" % world.https_port)
    codes = [p["code"] for p in data["problems"]]
    assert "policy-fetch-tcp" not in codes and "policy-fetch-tls" not in codes, codes
    assert data["status"] == "ok", data


def test_https_rua(zc, world):
    # An https rua is reachable when it completes a verified TLS handshake and OPTIONS gets
    # an answer that is not 404 or 5xx (nginx answers 405 for a static path: fine).
    assert check(zc, world, "rpthttps", rc=0)["problems"] == []
    got = check(zc, world, "rpthttps404", rc=EXIT_WARN)["problems"]
    assert [p["code"] for p in got] == ["tlsrpt-rua-unreachable"], got
    assert "HTTP status 404" in got[0]["message"], got
    got = check(zc, world, "rpthttpsdead", rc=EXIT_WARN)["problems"]
    assert [(p["code"], p["subject"]) for p in got] == [
        ("tlsrpt-rua-unreachable", "https://mta-sts.fetchtcp.foreign.test/r")], got


def test_world_changes_are_seen(zc, world):
    # What watch's tests do to the foreign world: a policy changed in place, a host removed.
    d = world.domains["changing"]
    assert check(zc, world, "changing")["problems"] == []
    d.body = policy(mode="none", mx=mxp("changing", "mx"))
    world.write()
    assert [p["code"] for p in check(zc, world, "changing")["problems"]] == ["policy-mode-none"]
    d.sts_addr = None
    world.write()

    def fetch_dns():
        return [p["code"] for p in check(zc, world, "changing")["problems"]] == \
            ["policy-fetch-dns"]
    assert wait_until(fetch_dns, 15, step=0.2)
    d.body, d.sts_addr = None, DEAD[:-1] + "1"
    world.write()
    assert wait_until(lambda: check(zc, world, "changing")["problems"] == [], 15, step=0.2)


class HostileSmtp:
    """A loopback server that greets with what it is given, forever or once; a thread per
    connection, each bounded by the stop flag and a socket timeout."""

    def __init__(self, chunk, forever):
        import socket
        import threading
        self.chunk, self.forever, self.stop_flag = chunk, forever, False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop_flag:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            c.settimeout(1)
            try:
                for _ in range(100000 if self.forever else 1):
                    if self.stop_flag:
                        break
                    c.sendall(self.chunk)
            except OSError:
                pass
            finally:
                c.close()

    def close(self):
        self.stop_flag = True
        self.thread.join(10)
        self.sock.close()


@pytest.mark.parametrize("chunk,forever", [(b"x" * 4096, True), (b"220-flood\r\n" * 64, True),
                                           (b"not smtp at all\r\n", False)])
def test_hostile_smtp_server_is_bounded(zc, world, chunk, forever):
    # An endless line, endless continuation lines, garbage: the SMTP client reads a bounded
    # amount, gives up with mx-starttls-failed, and the check ends well within its timeout.
    import time
    h = HostileSmtp(chunk, forever)
    try:
        t0 = time.monotonic()
        data = check(zc, world, "hostile", "--timeout", "20", "--connect-to",
                     "mx.hostile.foreign.test:25:127.0.0.1:%d" % h.port)
        took = time.monotonic() - t0
    finally:
        h.close()
    assert [p["code"] for p in data["problems"]] == ["mx-starttls-failed"], data
    assert took < 15, took


def test_connect_to_ipv6_address(zc, world):
    # An IPv6 target in brackets: the fetch goes to [::1] (nothing listens there).
    port = free_port(ipv6=True)
    data = check(zc, world, "clean", "--connect-to",
                 "mta-sts.clean.foreign.test:443:[::1]:%d" % port, rc=EXIT_ERROR)
    got = [p for p in data["problems"] if p["code"] == "policy-fetch-tcp"]
    assert got and "[::1]:%d" % port in got[0]["message"], data


def test_bad_options_are_usage_errors(zc, world):
    for extra in (["--connect-to", "nonsense"], ["--resolver", "not-an-address"],
                  ["--timeout", "0"], ["--json", "--nagios"]):
        r = zc("check", "clean.foreign.test", *extra)
        assert r.rc == 2, (extra, r.rc, r.out, r.err)
    r = zc("check", "bad..name")
    assert r.rc == 2, r.out + r.err


def test_timeout_bounds_the_run(zc, world, tmp_path):
    # A resolver that never answers: the whole check ends within --timeout, problems said.
    import socket
    import time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        t0 = time.monotonic()
        r = zc("check", "clean.foreign.test", "--json", "--timeout", "2", "--resolver",
               "127.0.0.1:%d" % s.getsockname()[1], timeout=60)
        took = time.monotonic() - t0
    finally:
        s.close()
    assert r.rc == EXIT_ERROR, r.out + r.err
    assert took < 10, took
    codes = {p["code"] for p in parse_json(r.out)["problems"]}
    assert {"sts-txt-missing", "mx-missing"} <= codes, codes


# ------------------------------------------------------------------ own domains

from sts_helpers import sts_factory  # noqa: E402,F401  (a fixture)


class OldSecondary:
    """A DNS server on loopback that answers _mta-sts with an old id, as a secondary that
    stopped transferring would; a thread with a bounded wait per datagram."""

    def __init__(self, old_id):
        import socket
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.old_id = old_id
        self.stop_flag = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        import dns.message
        import dns.rrset
        while not self.stop_flag:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            q = dns.message.from_wire(data)
            r = dns.message.make_response(q)
            name = q.question[0].name
            if q.question[0].rdtype == 16 and str(name).startswith("_mta-sts."):
                r.answer.append(dns.rrset.from_text(name, 300, "IN", "TXT",
                                                    '"v=STSv1; id=%s;"' % self.old_id))
            self.sock.sendto(r.to_wire(), peer)

    def close(self):
        self.stop_flag = True
        self.thread.join(5)
        self.sock.close()


def own_codes(e, *extra):
    dead = free_port()
    r = e.zc("check", "example.com", "--json", "--resolver", "127.0.0.1:%d" % e.dnsd.port,
             "--ca", str(e.ca), "--connect-to", ":443::%d" % e.https_port,
             "--connect-to", ":25:127.0.0.1:%d" % dead, "--timeout", "20", *extra, timeout=120)
    data = parse_json(r.out)
    assert r.rc in (0, EXIT_WARN, EXIT_ERROR), r.out + r.err
    assert "own" in data["checked"], data
    # httpsd's own TLS-RPT intake (the https rua enable writes) answers OPTIONS as reachable.
    assert not [p for p in data["problems"] if p["code"].startswith("tlsrpt")], data
    return {p["code"]: p for p in data["problems"] if check_of(p["code"]) == "own"}


def check_of(code):
    return "own" if code in ("secondary-stale", "endpoint-stale", "state-waiting") else "-"


def test_own_domain_codes(sts_factory):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com", "--mode", "enforce")
    assert e.txt_id()
    assert own_codes(e) == {}
    # A secondary that serves an older id.
    old = OldSecondary("19990101000000")
    try:
        e.zc.ok("zone", "secondaries", "example.com", "add", "127.0.0.1:%d" % old.port)
        got = own_codes(e)
        assert list(got) == ["secondary-stale"], got
        assert "19990101000000" in got["secondary-stale"]["message"], got
        assert got["secondary-stale"]["subject"] == "127.0.0.1:%d" % old.port
        e.zc.ok("zone", "secondaries", "example.com", "del", "127.0.0.1")
    finally:
        old.close()
    # An httpsd endpoint that does not serve the current body.
    gone = free_port()
    e.zc.config.write_text(e.conf_text.replace(
        "endpoints: 127.0.0.1:%d" % e.https_port,
        "endpoints: 127.0.0.1:%d 127.0.0.1:%d" % (e.https_port, gone)))
    got = own_codes(e)
    assert list(got) == ["endpoint-stale"], got
    assert got["endpoint-stale"]["subject"] == "127.0.0.1:%d" % gone
    # A new policy that waits: the dead endpoint holds the publish step back.
    r = e.zc("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.", timeout=60)
    assert "waiting" in r.out + r.err, r.out + r.err
    got = own_codes(e)
    assert "state-waiting" in got, got
    # A domain the store does not have gets no own checks.
    r = e.zc("check", "example.net", "--json", "--resolver", "127.0.0.1:%d" % e.dnsd.port,
             "--timeout", "5", timeout=60)
    assert "own" not in parse_json(r.out)["checked"], r.out


def test_own_domain_knot_secondary_behind(sts_factory, tmp_path):
    """A real secondary (Knot) whose transfers stop: secondary-stale names the id it still
    serves; once its transfers resume and it catches up, the problem is gone."""
    import dns.message
    import dns.query
    from xfr_helpers import KnotSecondary

    def id_at(knot):
        q = dns.message.make_query("_mta-sts.example.com.", "TXT")
        r = dns.query.udp(q, knot.host, port=knot.port, timeout=2)
        for rrset in r.answer:
            for rd in rrset:
                text = b"".join(rd.strings).decode()
                if text.startswith("v=STSv1"):
                    return text.split("id=")[1].rstrip(";").strip()
        return None

    e = sts_factory()
    knot = KnotSecondary(tmp_path / "knot", e.dnsd.port, control=True)
    e.zc.ok("zone", "secondaries", "example.com.", "add", knot.address)
    knot.start()
    try:
        e.zc.ok("mta-sts", "enable", "example.com", "--mode", "enforce")
        first = e.txt_id()
        assert first and wait_until(lambda: id_at(knot) == first, 30, step=0.2), knot.log()
        assert own_codes(e) == {}
        knot.knotc("-b", "zone-freeze", "example.com.")  # its transfers stop here
        assert wait_until(lambda: "zone updates frozen" in knot.log(), 20, step=0.1), knot.log()
        r = e.zc("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.", timeout=60)
        assert r.rc == 0, r.out + r.err
        second = e.txt_id()
        assert second and second != first
        time.sleep(1)                                   # a NOTIFY would have landed by now
        assert id_at(knot) == first, knot.log()
        got = own_codes(e)
        assert list(got) == ["secondary-stale"], got
        assert got["secondary-stale"]["subject"] == knot.address, got
        assert "serves id %s, the primary %s" % (first, second) in \
            got["secondary-stale"]["message"], got
        knot.knotc("zone-thaw", "example.com.")
        knot.knotc("zone-refresh", "example.com.")
        assert wait_until(lambda: id_at(knot) == second, 30, step=0.2), knot.log()
        assert own_codes(e) == {}
    finally:
        knot.stop()
