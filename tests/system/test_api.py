"""The HTTP API (httpsd's API process): tokens and their scopes, the limit on failed
authentications, every PowerDNS-compatible endpoint, the mta-sts resource, bad input answered
with 400/413/422 and nothing changed, managed records refused, and an MX change by PATCH that
publishes a new policy and id exactly as `zonectl rr add` does."""

import datetime
import gzip
import json
import socket
import ssl
import subprocess
import time

import pytest

from api_helpers import PREFIX, ApiClient, api_config, api_env_started, start_api_env, token
from conftest import EXIT_OK
from httpsd_helpers import HTTPSD
from proc_helpers import free_port, started, wait_until
from sts_helpers import mx_lines

Z = PREFIX + "/zones"
PUBLISH_WAIT = 30       # seconds for dnsd's publisher on a loaded machine


@pytest.fixture
def env(tmp_path):
    with api_env_started(tmp_path, api_extra="  max-body: 4096\n") as e:
        yield e


def rrset(name, rtype, ttl, *contents, change="REPLACE"):
    r = {"name": name, "type": rtype, "changetype": change}
    if change == "REPLACE":
        r["ttl"] = ttl
        r["records"] = [{"content": c, "disabled": False} for c in contents]
    return {"rrsets": [r]}


def test_tokens_are_needed_and_checked(env):
    api = env.api
    assert api.call("GET", Z, key=None).status == 401
    assert api.call("GET", Z, key="not-a-token").status == 401
    a = api.call("GET", Z)
    assert a.status == 200 and {z["name"] for z in a.json} == {"example.com.", "example.net."}
    assert api.call("GET", Z, bearer=True).status == 200
    # The secret is never stored: list shows names only, and a deleted token stops working.
    listed = env.zc.json("api", "token", "list")["tokens"]
    assert [t["name"] for t in listed] == ["panel"] and "secret" not in listed[0]
    other = token(env.zc, "short-lived")
    assert api.call("GET", Z, key=other).status == 200
    env.zc.ok("api", "token", "del", "short-lived")
    assert api.call("GET", Z, key=other).status == 401


def test_token_scopes_and_read_only(env):
    api = env.api
    scoped = token(env.zc, "one-zone", "--zone", "example.com")
    ro = token(env.zc, "reader", "--read-only")
    a = api.call("GET", Z, key=scoped)
    assert a.status == 200 and [z["name"] for z in a.json] == ["example.com."]
    assert api.call("GET", Z + "/example.net.", key=scoped).status == 403
    assert api.call("PATCH", Z + "/example.net.", rrset("x.example.net.", "A", 60, "192.0.2.1"),
                    key=scoped).status == 403
    assert api.call("PATCH", Z + "/example.com.", rrset("x.example.com.", "A", 60, "192.0.2.1"),
                    key=scoped).status == 204
    assert api.call("GET", Z + "/example.net.", key=ro).status == 200
    before = env.zc.export("example.net")
    assert api.call("PATCH", Z + "/example.net.", rrset("x.example.net.", "A", 60, "192.0.2.1"),
                    key=ro).status == 403
    assert api.call("DELETE", Z + "/example.net.", key=ro).status == 403
    assert env.zc.export("example.net") == before


def test_failed_authentications_are_limited_per_address(env):
    api = env.api
    codes = [api.call("GET", Z, key="wrong-%d" % i).status for i in range(20)]
    assert codes == [401] * 20
    assert api.call("GET", Z, key="wrong-again").status == 429
    assert api.call("GET", Z, key=None).status == 429
    # A valid token is never blocked, even from the blocked address.
    assert api.call("GET", Z).status == 200
    assert api.call("GET", Z, key="wrong-once-more").status == 429


def test_history_names_the_token(env):
    assert env.api.call("PATCH", Z + "/example.com.",
                        rrset("h.example.com.", "A", 60, "192.0.2.9")).status == 204
    last = env.zc.history("example.com")[-1]
    assert last["source"] == "api PATCH by token panel"
    assert env.api.call("PUT", Z + "/example.com./mta-sts", {}).status == 200
    assert "mta-sts enable by token panel" in [h["source"] for h in env.zc.history("example.com")]
    env.zc.ok("rr", "add", "example.com", "z 60 IN A 192.0.2.10")
    assert any(h["source"].startswith("zonectl rr add by user ")
               for h in env.zc.history("example.com")[-3:])


def test_server_and_zone_objects_have_powerdns_keys(env):
    api = env.api
    a = api.call("GET", "/api")
    assert a.status == 200 and a.json == [{"url": "/api/v1", "version": 1}]
    servers = api.call("GET", "/api/v1/servers")
    assert servers.status == 200 and len(servers.json) == 1 and len(servers.json[0]) == 8
    server = api.call("GET", PREFIX)
    assert server.status == 200 and server.json["id"] == "localhost" and len(server.json) == 8
    zones = api.call("GET", Z).json
    assert all(len(z) == 12 for z in zones)
    zone = api.call("GET", Z + "/example.com.")
    assert zone.status == 200 and len(zone.json) == 20
    assert zone.json["kind"] == "Native" and zone.json["dnssec"] is False
    assert all(len(r) == 5 and all(len(x) == 2 for x in r["records"])
               for r in zone.json["rrsets"])
    mx = [r for r in zone.json["rrsets"] if r["type"] == "MX"][0]
    assert mx["name"] == "example.com." and sorted(x["content"] for x in mx["records"]) == [
        "10 mx1.example.com.", "20 mx2.example.com."]
    # Without the final dot too, as some clients write it.
    assert api.call("GET", Z + "/example.com").status == 200
    assert api.call("GET", Z + "/nowhere.test.").status == 404
    assert api.call("GET", PREFIX + "/nothing").status == 404


def test_zone_life_through_the_api(env):
    api = env.api
    body = {"name": "new.test.", "kind": "Native", "nameservers": ["ns1.new.test."],
            "rrsets": [{"name": "www.new.test.", "type": "A", "ttl": 300,
                        "changetype": "REPLACE",
                        "records": [{"content": "192.0.2.7", "disabled": False}]}]}
    a = api.call("POST", Z, body)
    assert a.status == 201 and a.json["name"] == "new.test." and len(a.json) == 20
    assert any(r["name"] == "www.new.test." for r in a.json["rrsets"])
    assert api.call("POST", Z, body).status == 409
    master = dict(body, name="master.test.", kind="Master", nameservers=["ns1.master.test."])
    del master["rrsets"]
    assert api.call("POST", Z, master).status == 201
    assert api.call("POST", Z, dict(master, name="slave.test.", kind="Slave")).status == 422
    assert api.call("PUT", Z + "/new.test.", {"kind": "Master"}).status == 204
    n = api.call("PUT", Z + "/new.test./notify")
    assert n.status == 200 and n.json == {"result": "Notification queued"}
    e = api.call("GET", Z + "/new.test./export")
    assert e.status == 200 and e.headers["content-type"].startswith("text/plain")
    assert "www.new.test.\t300\tIN\tA\t192.0.2.7" in e.raw.decode()
    s = api.call("GET", PREFIX + "/search-data?q=www.new*")
    assert s.status == 200 and s.json == [{
        "content": "192.0.2.7", "disabled": False, "name": "www.new.test.",
        "object_type": "record", "ttl": 300, "type": "A", "zone": "new.test.",
        "zone_id": "new.test."}]
    assert api.call("GET", PREFIX + "/search-data").status == 422
    # '?' is one character, matching ignores case and the final dot; '[' is nothing special.
    assert [r["name"] for r in api.call("GET", PREFIX + "/search-data?q=WW%3F.NEW.test").json
            if r["object_type"] == "record"] == ["www.new.test."]
    assert api.call("GET", PREFIX + "/search-data?q=ww%5Bw%5D*").json == []
    many = api.call("GET", PREFIX + "/search-data?q=" + "%2A" * 200 + "x")
    assert many.status == 200 and many.json == []
    assert api.call("DELETE", Z + "/new.test.").status == 204
    assert api.call("DELETE", Z + "/new.test.").status == 404
    assert "new.test" not in env.zc.zones()


def test_patch_replace_and_delete(env):
    api = env.api
    assert api.call("PATCH", Z + "/example.com.",
                    rrset("_acme-challenge.example.com.", "TXT", 60, '"token-1"')).status == 204
    assert '"token-1"' in env.zc.export("example.com")
    # DELETE of an rrset, and of one that is not there (lego cleans up twice), both 204.
    for _ in range(2):
        assert api.call("PATCH", Z + "/example.com.",
                        rrset("_acme-challenge.example.com.", "TXT", 0,
                              change="DELETE")).status == 204
    assert "_acme-challenge" not in env.zc.export("example.com")
    # Several rrsets are one transaction: one bad one and none lands.
    before = env.zc.export("example.com")
    two = {"rrsets": rrset("a.example.com.", "A", 60, "192.0.2.1")["rrsets"] +
           rrset("b.example.com.", "A", 60, "not-an-address")["rrsets"]}
    assert api.call("PATCH", Z + "/example.com.", two).status == 422
    assert env.zc.export("example.com") == before


def test_comments_are_accepted_and_not_kept(env):
    """PowerDNS clients may send comments with an rrset; they are taken, and every rrset shows
    an empty comments list, the one it had before and the one just written alike."""
    api = env.api
    body = rrset("c.example.com.", "TXT", 60, '"with-comment"')
    body["rrsets"][0]["comments"] = [{"content": "set by the panel", "account": "ops",
                                      "modified_at": 1700000000}]
    assert api.call("PATCH", Z + "/example.com.", body).status == 204
    assert '"with-comment"' in env.zc.export("example.com")
    zone = api.call("GET", Z + "/example.com.").json
    sets = {(r["name"], r["type"]): r for r in zone["rrsets"]}
    assert sets[("c.example.com.", "TXT")]["comments"] == []
    assert all(r["comments"] == [] for r in zone["rrsets"])


@pytest.mark.parametrize("what, raw, status", [
    ("malformed JSON", b'{"rrsets": [', 400),
    ("not an object", b'[1, 2]', 422),
    ("TTL as a string", None, 422),
    ("negative TTL", None, 422),
    ("TTL of 2^31", None, 422),
    ("not UTF-8", b'{"rrsets": [{"name": "x.example.com.", "type": "TXT", "ttl": 60, '
                  b'"changetype": "REPLACE", "records": [{"content": "\\"\xff\xfe\\"", '
                  b'"disabled": false}]}]}', 422),
    ("name outside the zone", None, 422),
    ("CNAME beside other data", None, 422),
    ("line break in content", None, 422),
    ("unknown changetype", None, 422),
    ("unknown type", None, 422),
])
def test_bad_input_changes_nothing(env, what, raw, status):
    bodies = {
        "TTL as a string": rrset("x.example.com.", "A", "300", "192.0.2.1"),
        "negative TTL": rrset("x.example.com.", "A", -1, "192.0.2.1"),
        "TTL of 2^31": rrset("x.example.com.", "A", 2 ** 31, "192.0.2.1"),
        "name outside the zone": rrset("www.other.test.", "A", 60, "192.0.2.1"),
        "CNAME beside other data": rrset("www.example.com.", "CNAME", 60, "mx1.example.com."),
        "line break in content": rrset("x.example.com.", "TXT", 60, '"a"\nadd evil 60 IN A 1.2.3.4'),
        "unknown changetype": rrset("x.example.com.", "A", 60, "192.0.2.1", change="EXTEND"),
        "unknown type": rrset("x.example.com.", "NOPE", 60, "192.0.2.1"),
    }
    before = env.zc.export("example.com")
    a = env.api.call("PATCH", Z + "/example.com.", bodies.get(what), raw=raw)
    assert a.status == status, (what, a)
    assert isinstance(a.json, dict) and a.json["error"] and "\n" not in a.json["error"], a
    assert env.zc.export("example.com") == before


def test_body_over_max_body_is_413_and_not_read(env):
    before = env.zc.export("example.com")
    big = b'{"rrsets": [], "pad": "' + b"x" * 5000 + b'"}'
    a = env.api.call("PATCH", Z + "/example.com.", raw=big)
    assert a.status == 413 and "max-body" in a.json["error"]
    assert env.zc.export("example.com") == before
    # A head over api.max-header-size gets 431; the API stays up.
    h = env.api.call("GET", Z, headers={"X-Pad": "y" * 20000})
    assert h.status == 431
    assert env.api.call("GET", Z).status == 200


def test_mta_sts_resource_and_managed_records(env):
    api = env.api
    off = api.call("GET", Z + "/example.com./mta-sts")
    assert off.status == 200 and off.json["state"] == "off" and off.json["enabled"] is False
    keys = {"name", "enabled", "mode", "max_age", "mx_extra", "rua", "id", "policy", "state",
            "reason", "endpoints", "certificate", "tlsrpt", "check"}
    assert set(off.json) == keys
    on = api.call("PUT", Z + "/example.com./mta-sts?wait=%d" % PUBLISH_WAIT, {"mode": "testing"})
    assert on.status == 200 and set(on.json) == keys, on
    assert on.json["state"] == "published" and on.json["enabled"] is True, on.json
    assert on.json["id"] and env.txt_id() == on.json["id"]
    # The demo certificate the enable made; no reports yet; no checks yet.
    assert on.json["certificate"]["not_after"].endswith("Z"), on.json["certificate"]
    assert on.json["tlsrpt"] is None and on.json["check"] is None
    assert off.json["certificate"] is None and off.json["tlsrpt"] is None
    assert on.json["endpoints"] and on.json["endpoints"][0]["served_version"] is not None
    assert "mode: testing" in on.json["policy"]
    for name in ("_mta-sts.example.com.", "mta-sts.example.com.",
                 "_acme-challenge.mta-sts.example.com."):
        a = api.call("PATCH", Z + "/example.com.", rrset(name, "TXT", 60, '"x"'))
        assert a.status == 422 and "/zones/example.com./mta-sts" in a.json["error"], (name, a)
    # Other _acme-challenge names are ordinary records (lego and cert-manager write them).
    assert api.call("PATCH", Z + "/example.com.",
                    rrset("_acme-challenge.www.example.com.", "TXT", 60, '"y"')).status == 204
    bad = api.call("PUT", Z + "/example.com./mta-sts", {"mode": "sometimes"})
    assert bad.status == 422
    assert api.call("PUT", Z + "/example.com./mta-sts", {"colour": "blue"}).status == 422
    rm = api.call("DELETE", Z + "/example.com./mta-sts")
    assert rm.status == 200 and rm.json["state"] == "removing" and rm.json["enabled"] is False
    gone = api.call("DELETE", Z + "/example.com./mta-sts?now=true")
    assert gone.status == 200 and gone.json["state"] == "off"
    assert api.call("DELETE", Z + "/example.com./mta-sts").status == 404
    # A name below the apex with an MX RRset of its own is its own resource.
    assert api.call("GET", Z + "/example.com./mta-sts/other.test.").status == 404


def test_patch_of_mx_publishes_new_policy_and_id(env):
    api = env.api
    on = api.call("PUT", Z + "/example.com./mta-sts?wait=%d" % PUBLISH_WAIT, {"mode": "enforce"})
    assert on.status == 200 and on.json["state"] == "published", on
    first = on.json["id"]
    a = api.call("PATCH", Z + "/example.com.",
                 rrset("example.com.", "MX", 300, "10 mx1.example.com.", "30 mx3.example.com."))
    assert a.status == 204, a
    # A new policy is served first, then the new id is published (dnsd's publisher).
    def published():
        r = api.call("GET", Z + "/example.com./mta-sts").json
        return r if r["state"] == "published" and r["id"] != first else None
    r = env.wait("new id after the MX change", published, timeout=PUBLISH_WAIT)
    assert "mx: mx3.example.com" in r["policy"]
    status, _, body = env.fetch()
    assert status == 200 and "mx3.example.com" in mx_lines(body)
    assert env.txt_id() == r["id"]


def test_statistics_are_dnsd_counters(env):
    def counters():
        a = env.api.call("GET", PREFIX + "/statistics")
        # The API's own api-* items are there at once; dnsd's once it wrote them.
        ok = a.status == 200 and a.json and any(s["name"] == "queries.udp" for s in a.json)
        return a.json if ok else None
    stats = wait_until(counters, 15)
    assert stats, "no counters from dnsd"
    assert all(set(s) == {"name", "type", "value"} and s["type"] == "StatisticItem" and
               s["value"].isdigit() for s in stats)
    names = {s["name"] for s in stats}
    assert {"queries.udp", "queries.tcp"} <= names, names
    # The same counters `zonectl stats` shows.
    shown = env.zc.json("stats")
    assert {"queries.udp", "queries.tcp"} <= set(shown)


def test_methods_and_static_files(env):
    api = env.api
    assert api.call("POST", PREFIX + "/statistics", {}).status == 405
    ui = api.call("GET", "/ui", key=None)
    assert ui.status == 301 and ui.headers["location"] == "/ui/"
    page = api.call("GET", "/ui/", key=None)
    assert page.status == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    doc = api.call("GET", "/api/openapi.json", key=None)
    assert doc.status == 200 and doc.json["openapi"].startswith("3.")


def test_api_process_is_restarted_and_ends_with_httpsd(env):
    line = [l for l in env.httpsd.log_lines() if "api: API process" in l][-1]
    pid = int(line.split("API process ")[1].split()[0])
    subprocess.run(["kill", "-9", str(pid)], check=True)
    assert env.httpsd.wait_log("died of signal 9", 10), env.httpsd.log_text()
    assert wait_until(lambda: env.api.call("GET", Z).status == 200 if env.api.answering()
                      else False, 10)
    env.httpsd.stop()
    assert wait_until(lambda: not env.api.answering(), 10), "the API outlived httpsd"


def test_plain_http_only_on_loopback(tmp_path):
    conf = tmp_path / "api.conf"
    conf.write_text("server:\n  state-dir: %s\n%s" % (tmp_path, api_config(free_port()).replace(
        "127.0.0.1", "192.0.2.1")))
    r = subprocess.run([str(HTTPSD), "-c", str(conf), "-n"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != EXIT_OK
    assert "api.listen: 192.0.2.1" in r.stderr and "loopback" in r.stderr, r.stderr
    conf.write_text("server:\n  state-dir: %s\n%s  tls-cert: /x.pem\n" % (
        tmp_path, api_config(free_port())))  # without tls-key
    r = subprocess.run([str(HTTPSD), "-c", str(conf), "-n"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != EXIT_OK and "tls-key" in r.stderr, r.stderr


def self_signed(d):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(d / "key.pem"), "-out",
                    str(d / "cert.pem"), "-subj", "/CN=127.0.0.1", "-days", "2", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return d / "cert.pem", d / "key.pem"


def test_tls_listener(tmp_path):
    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(cafile=str(cert))
    with started(tmp_path, "env") as envs:
        env = start_api_env(envs, api_extra="  tls-cert: %s\n  tls-key: %s\n" % (cert, key),
                            tls=ctx)
        a = env.api.call("GET", Z)
        assert a.status == 200 and {z["name"] for z in a.json} == {"example.com.", "example.net."}
        big = rrset("t.example.com.", "TXT", 60, *['"%03d%s"' % (i, "x" * 200) for i in range(200)])
        assert env.api.call("PATCH", Z + "/example.com.", big).status == 204
        assert len(env.api.call("GET", Z + "/example.com./export").raw) > 40000
        # No plain HTTP on a TLS listener.
        plain = ApiClient(env.api.port, env.key)
        with pytest.raises(Exception):
            plain.call("GET", Z)
    # Off loopback, TLS makes the configuration acceptable.
    conf = tmp_path / "tls.conf"
    (tmp_path / "certs").mkdir()
    conf.write_text("server:\n  state-dir: %s\napi:\n  listen: 192.0.2.1:8081\n"
                    "  tls-cert: %s\n  tls-key: %s\n" % (tmp_path, cert, key))
    r = subprocess.run([str(HTTPSD), "-c", str(conf), "-n"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == EXIT_OK and "configuration OK" in r.stdout, r.stderr
    # A key that is not the certificate's is refused at start.
    other = tmp_path / "other"
    other.mkdir()
    _, wrong = self_signed(other)
    conf.write_text("server:\n  state-dir: %s\napi:\n  listen: 192.0.2.1:8081\n"
                    "  tls-cert: %s\n  tls-key: %s\n" % (tmp_path, cert, wrong))
    r = subprocess.run([str(HTTPSD), "-c", str(conf), "-n"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != EXIT_OK and "api.tls-key" in r.stderr, r.stderr


def raw_exchange(port, data, timeout=10, until=b""):
    """Sends data on one connection and reads until the peer closes, until is seen, or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (not until or got.count(until) < 1):
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
        return got
    finally:
        s.close()


def test_pipelining_expect_and_chunked(env):
    port, key = env.api.port, env.key
    one = ("GET /api HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n\r\n" % key).encode()
    last = ("GET /api/v1/servers/localhost HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n"
            "Connection: close\r\n\r\n" % key).encode()
    got = raw_exchange(port, one + one + last)
    assert got.count(b"HTTP/1.1 200 OK") == 3, got[:500]
    body = json.dumps(rrset("e.example.com.", "A", 60, "192.0.2.5")).encode()
    head = ("PATCH %s/example.com. HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\nContent-Length: %d\r\n"
            "Expect: 100-continue\r\nConnection: close\r\n\r\n" % (Z, key, len(body))).encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(head)
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body)
        assert s.recv(1000).startswith(b"HTTP/1.1 204")
    finally:
        s.close()
    chunked = ("PATCH %s/example.com. HTTP/1.1\r\nHost: x\r\nX-API-Key: %s\r\n"
               "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (Z, key)).encode()
    assert raw_exchange(port, chunked).startswith(b"HTTP/1.1 411")


def test_slow_and_many_clients_do_not_block_policies(tmp_path):
    with started(tmp_path, "env") as envs:
        env = start_api_env(envs, api_extra="  header-timeout: 1\n  max-per-address: 4\n")
        assert env.api.call("PUT", Z + "/example.com./mta-sts?wait=%d" % PUBLISH_WAIT,
                            {"mode": "testing"}).json["state"] == "published"
        # A head that never ends is closed after api.header-timeout.
        t0 = time.monotonic()
        got = raw_exchange(env.api.port, b"GET /api HTTP/1.1\r\nHost: x\r\n", timeout=10)
        assert got == b"" and time.monotonic() - t0 < 8
        # Connections over api.max-per-address are closed at once; the policy server,
        # another process, serves meanwhile.
        held = [socket.create_connection(("127.0.0.1", env.api.port), timeout=5)
                for _ in range(4)]
        try:
            extra = socket.create_connection(("127.0.0.1", env.api.port), timeout=5)
            extra.settimeout(5)
            assert extra.recv(10) == b""
            extra.close()
            status, _, body = env.fetch()
            assert status == 200 and b"mode: testing" in body
        finally:
            for s in held:
                s.close()
        assert wait_until(lambda: env.api.call("GET", Z).status == 200, 10)


def test_mta_sts_resource_shows_tls_reports(env):
    from test_tlsrpt import google, ingest, mail, wait_imported
    assert env.api.call("PUT", Z + "/example.com./mta-sts", {"mode": "testing"}).status == 200
    rc, err, _ = ingest(env.zc, mail(gzip.compress(json.dumps(google()).encode())),
                        "--domain", "example.com")
    assert rc == 0, err
    wait_imported(env, 1)
    r = env.api.call("GET", Z + "/example.com./mta-sts").json
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert r["tlsrpt"] == {"days": [{"day": today, "success": 120, "failure": 0}]}, r["tlsrpt"]
