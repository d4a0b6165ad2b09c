"""The README's first command, `make run`, as a newcomer runs it: it starts dnsd and httpsd
on loopback with the example zones and a demo CA, prints what to query, and the queries it
prints work: the `_mta-sts` id over DNS and the policy over HTTPS. The demo's domains are not
watched (they are not reachable as a sender reaches them), so the log raises no false alarm.
Ctrl-C stops both daemons."""

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time

import dns.message
import dns.query
import dns.rdatatype

from conftest import BUILD, REPO
from proc_helpers import free_port, wait_until

START_TIMEOUT = 120
ID_TIMEOUT = 60


def _read_until(proc, pattern, deadline):
    """Lines of proc's output until one matches pattern (or the deadline, or its end)."""
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines, True
    return lines, False


def _sts_id(port):
    q = dns.message.make_query("_mta-sts.example.com.", dns.rdatatype.TXT)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    except Exception:
        return None
    for rrset in r.answer:
        for rd in rrset:
            text = b"".join(rd.strings).decode()
            m = re.search(r"id=([A-Za-z0-9]+)", text)
            if m:
                return m.group(1)
    return None


def _policy(port, ca):
    """GET the example.com policy as a sender does: TLS to the mta-sts name (SNI, verified
    against the demo CA), then HTTP/1.1. Returns (status, body)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="mta-sts.example.com") as tls:
            conn = http.client.HTTPConnection("mta-sts.example.com", port, timeout=10)
            conn.sock = tls
            conn.request("GET", "/.well-known/mta-sts.txt")
            resp = conn.getresponse()
            return resp.status, resp.read().decode()


def test_make_run_serves_what_it_prints(tmp_path):
    dns_port, https_port = free_port(), free_port()
    state = tmp_path / "var"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    argv = ["make", "--no-print-directory", "-C", str(REPO), "run", "BUILD=%s" % BUILD,
            "RUN_STATE=%s" % state, "RUN_DNS=127.0.0.1:%d" % dns_port,
            "RUN_HTTPS=127.0.0.1:%d" % https_port]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    out = []
    try:
        lines, ready = _read_until(proc, r"until Ctrl-C", time.monotonic() + START_TIMEOUT)
        out += lines
        assert ready, "make run printed no ready line:\n%s" % "".join(out)
        assert not any(re.match(r"\s+(CC|LD|AR)\s", l) for l in out), "make run built"
        assert "example.com" in "".join(out)

        # The id appears once httpsd serves the policy (verified first), as the README says.
        assert wait_until(lambda: _sts_id(dns_port) is not None, ID_TIMEOUT), \
            "no _mta-sts id for example.com"
        status, body = _policy(https_port, state / "demo-ca" / "ca.pem")
        assert status == 200, body
        assert "version: STSv1" in body and "mx: mx1.example.com" in body, body
        # The demo's domains are not watched (no false alarms in its log).
        w = subprocess.run([str(BUILD / "zonectl"), "-c", str(state / "lockstep.conf"), "watch",
                            "list", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
        assert w.returncode == 0, w.stderr
        assert json.loads(w.stdout)["domains"] == [], w.stdout
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            rest, _ = proc.communicate(timeout=10)
        out.append(rest or "")
    text = "".join(out)
    # No watch of the demo's own domains: no alarm in its log.
    assert "sts-txt-missing" not in text, text
    assert "sts-policy-fetch-error" not in text, text
    # Both daemons are gone with the process group.
    gone = subprocess.run(["pgrep", "-f", str(state)], stdout=subprocess.PIPE, text=True)
    assert gone.stdout.strip() == "", gone.stdout
