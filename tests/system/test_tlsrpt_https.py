"""TLS reports over HTTPS (RFC 8460 3): POST /tlsrpt on the mta-sts host names.

httpsd checks each report (bounded inflate, its shape check), spools it durably and answers
200; dnsd's maintenance thread imports it and `zonectl tlsrpt summary` counts it. Refusals:
400/405/411/413/415/404/429; a gzip bomb is cut off; a slow body does not stall policy fetches.
"""

import gzip
import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
import zlib

from httpsd_helpers import read_response
from proc_helpers import sighup
from sts_helpers import sts_factory  # noqa: F401  (fixture)
from test_tlsrpt import google, microsoft, spooled, summary, tlsrpt_txt, wait_imported

MIB = 1 << 20
HOST = "mta-sts.example.com"
# Room for the 1 GiB bomb (about 1 MiB compressed) to be judged by its inflated size.
CONF = "tlsrpt:\n  max-size: %d\n" % (2 * MIB)


def https_connection(e, timeout=10):
    """An HTTPSConnection class that reaches its host on 127.0.0.1:<httpsd port> (SNI: the
    host), the demo CA trusted."""
    ctx = ssl.create_default_context(cafile=str(e.ca))

    class Conn(http.client.HTTPSConnection):
        def connect(self):
            raw = socket.create_connection(("127.0.0.1", e.https_port), timeout=timeout)
            self.sock = ctx.wrap_socket(raw, server_hostname=self.host)

    return Conn


def https_opener(e):
    """urllib that reaches mta-sts.example.com on 127.0.0.1:<httpsd port>, the demo CA trusted."""
    conn = https_connection(e)

    class Handler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(conn, req)

    return urllib.request.build_opener(Handler())


def post(e, body, ctype, method="POST"):
    """(status, body text) of a request to /tlsrpt through urllib."""
    req = urllib.request.Request("https://%s:%d/tlsrpt" % (HOST, e.https_port), data=body,
                                 method=method, headers={"Content-Type": ctype} if ctype else {})
    try:
        with https_opener(e).open(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def raw(e, data, read=True):
    """Sends data on a new TLS connection: the parsed response (read_response) or the socket."""
    s = e.httpsd.tls(sni=HOST, cafile=e.ca)
    s.sendall(data)
    if not read:
        return s
    try:
        return read_response(s, timeout=30)
    finally:
        s.close()


def curl_post(e, path, ctype):
    r = e.httpsd.curl("-o", "-", "-w", "\n%{http_code}", "-H", "Content-Type: " + ctype,
                      "--data-binary", "@" + str(path), e.httpsd.url(path="/tlsrpt"),
                      cacert=e.ca, timeout=30)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.decode().rsplit("\n", 1)[1])


def enabled(sts_factory, conf=CONF):
    e = sts_factory(extra_config=conf)
    e.zc.ok("mta-sts", "enable", "example.com")
    return e


def test_curl_gzip_and_urllib_json_are_imported(sts_factory):
    e = enabled(sts_factory)
    # No tlsrpt.mailbox: the rua is the HTTPS intake alone.
    assert tlsrpt_txt(e) == ["v=TLSRPTv1; rua=https://mta-sts.example.com/tlsrpt"]
    gz = e.tmp / "google.json.gz"
    gz.write_bytes(gzip.compress(json.dumps(google()).encode()))
    assert curl_post(e, gz, "application/tlsrpt+gzip") == 200
    assert post(e, json.dumps(microsoft()).encode(), "application/tlsrpt+json") == (200, "OK\n")
    # The same report again (senders retry) is accepted and stored once.
    assert post(e, gz.read_bytes(), "application/octet-stream")[0] == 200
    wait_imported(e, 2)
    d = summary(e.zc, "example.com")[0]["days"][0]
    assert d["reports"] == 2
    assert sorted(d["organizations"]) == ["Google Inc.", "Microsoft Corporation"]


def test_refusals(sts_factory):
    e = enabled(sts_factory)
    status, text = post(e, b"hello", "application/json")
    assert status == 400 and "neither gzip nor" in text and text.count("\n") == 1
    status, text = post(e, b'{"organization-name": "x"}', "application/tlsrpt+json")
    assert status == 400 and text.strip(), text
    status, text = post(e, gzip.compress(json.dumps(google()).encode())[:-20],
                        "application/gzip")
    assert status == 400 and "gzip" in text, text
    assert post(e, json.dumps(google()).encode(), "text/plain")[0] == 415
    assert post(e, json.dumps(google()).encode(), None)[0] == 415
    assert post(e, None, None, method="GET")[0] == 405
    st, h, _, _ = raw(e, b"PUT /tlsrpt HTTP/1.1\r\nHost: %s\r\n\r\n" % HOST.encode())
    assert st == 405 and h["allow"] == "POST"
    # Over max-size: refused from the head, before a byte of the body.
    st, _, _, _ = raw(e, b"POST /tlsrpt HTTP/1.1\r\nHost: %s\r\nContent-Type: application/"
                      b"tlsrpt+gzip\r\nContent-Length: %d\r\n\r\n" % (HOST.encode(), 2 * MIB + 1))
    assert st == 413
    st, _, _, _ = raw(e, b"POST /tlsrpt HTTP/1.1\r\nHost: %s\r\nContent-Type: application/"
                      b"json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % HOST.encode())
    assert st == 411
    # A Host other than the SNI name: 421, as for every path.
    st, _, _, _ = raw(e, b"POST /tlsrpt HTTP/1.1\r\nHost: mta-sts.other.example\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    assert st == 421
    time.sleep(1.5)
    assert spooled(e.zc) == [] and e.zc.json("tlsrpt", "list", "example.com")["reports"] == []


def test_disabled_domain_and_receive_no_get_404(sts_factory):
    e = enabled(sts_factory, CONF + "  receive: no\n")
    assert tlsrpt_txt(e) == []
    assert post(e, json.dumps(google()).encode(), "application/json")[0] == 404


def test_per_address_per_hour(sts_factory):
    e = enabled(sts_factory, CONF + "  per-address-per-hour: 2\n")
    body = json.dumps(google()).encode()
    assert [post(e, body, "application/json")[0] for _ in range(3)] == [200, 200, 429]


def vm_hwm_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_gzip_bomb_is_cut_off(sts_factory):
    e = enabled(sts_factory)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    bomb = b"".join(c.compress(zeros) for _ in range(1024)) + c.flush()   # 1 GiB of zeros
    assert len(bomb) < 2 * MIB
    before = vm_hwm_kib(e.httpsd.proc.pid)
    status, text = post(e, bomb, "application/tlsrpt+gzip")
    assert status == 413, text
    assert "max-expanded" in text
    # tlsrpt.max-expanded (32 MiB) at most is inflated, never the GiB.
    assert vm_hwm_kib(e.httpsd.proc.pid) - before < 96 * 1024
    assert spooled(e.zc) == []


def test_slow_body_does_not_stall_policy_fetches(sts_factory):
    e = enabled(sts_factory)
    body = json.dumps(google()).encode()
    s = raw(e, b"POST /tlsrpt HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % (HOST.encode(), len(body)), read=False)
    try:
        s.sendall(body[:10])
        for i in range(5):
            t0 = time.monotonic()
            status, _, policy = e.fetch()
            assert status == 200 and policy.startswith(b"version: STSv1")
            assert time.monotonic() - t0 < 5
            s.sendall(body[10 + i:11 + i])
            time.sleep(0.2)
        s.sendall(body[15:])
        st, _, text, _ = read_response(s, timeout=30)
        assert st == 200, text
    finally:
        s.close()
    wait_imported(e, 1)


def test_domain_without_mta_sts_gets_404(sts_factory):
    e = enabled(sts_factory)
    e.zc.ok("mta-sts", "disable", "example.com", "--now")
    # The certificate is still on disk, so TLS succeeds; the domain has no policy any more.
    assert post(e, json.dumps(google()).encode(), "application/json")[0] == 404
    assert spooled(e.zc) == []


def test_tlsrpt_settings_apply_on_sighup(sts_factory):
    e = enabled(sts_factory)
    body = json.dumps(google(), indent=64).encode()     # over the 1,024-byte least limits
    assert len(body) > 2 * 1024 + 1
    assert post(e, body, "application/tlsrpt+json")[0] == 200
    first = e.httpsd.config.read_text()
    assert CONF in first

    def reload(**keys):
        """httpsd's configuration with these tlsrpt keys (max-size as CONF unless given)."""
        keys.setdefault("max-size", 2 * MIB)
        e.httpsd.config.write_text(first.replace(CONF, "tlsrpt:\n" + "".join(
            "  %s: %s\n" % kv for kv in keys.items())))
        sighup(e.httpsd)
        assert "restart httpsd" not in e.httpsd.log_text()
        assert "configuration in force stays" not in e.httpsd.log_text()

    # receive: no -> 404 (the domain takes no reports).
    reload(receive="no")
    assert post(e, body, "application/tlsrpt+json")[0] == 404
    # max-size below the report: 413 from the head.
    reload(**{"max-size": len(body) - 1})
    assert post(e, body, "application/tlsrpt+json")[0] == 413
    # max-expanded below the inflated report: 413 from the body.
    reload(**{"max-expanded": len(body) - 1})
    assert post(e, gzip.compress(body), "application/tlsrpt+gzip")[0] == 413
    # per-address-per-hour: this hour counted two reports whose body was read (the first and
    # the one inflated too far); a limit of 3 takes one more.
    reload(**{"per-address-per-hour": 3})
    assert post(e, body, "application/tlsrpt+json")[0] == 200
    assert post(e, body, "application/tlsrpt+json")[0] == 429
    reload()
    assert post(e, body, "application/tlsrpt+json")[0] == 200
