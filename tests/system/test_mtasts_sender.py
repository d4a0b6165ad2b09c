"""A real sender against dnsd + httpsd: Debian's postfix-mta-sts-resolver.

mta-sts-query and mta-sts-daemon resolve through /etc/resolv.conf on port 53 and fetch
over port 443, as a mail server does. So the test builds two network namespaces joined by
a veth pair: the servers' (dnsd on 10.53.0.1:53, httpsd on 10.53.0.1:443, zonectl) and the
sender's, whose /etc/netns/NAME/resolv.conf names 10.53.0.1. Every address lives inside
the namespaces; nothing is configured on the host. The sender trusts the demo CA through
SSL_CERT_FILE. Needs root (or sudo without a password) for `ip netns`; without it the
test fails and says so.
"""

import ast
import re
import shutil

from conftest import BUILD, ZONES_DIR
from netns_helpers import SERVER_IP, netns, run, wait_for  # noqa: F401  (netns: a fixture)
from proc_helpers import as_root_config

NETSTRING_CLIENT = r'''
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
req = ("default " + sys.argv[2]).encode()
s.sendall(b"%d:%s," % (len(req), req))
data = b""
for _ in range(1000):
    if data.endswith(b","):
        break
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().split(":", 1)[1][:-1])
'''


def test_postfix_mta_sts_resolver_follows_mx_changes(netns, tmp_path):
    for tool in ("mta-sts-query", "mta-sts-daemon"):
        assert shutil.which(tool), "%s missing: `make deps` installs postfix-mta-sts-resolver" % tool
    state = tmp_path / "state"
    conf = tmp_path / "lockstep.conf"
    conf.write_text(as_root_config(as_root_config(
        "server:\n  state-dir: %s\nmta-sts:\n  endpoints: %s:443\n"
        "  service-address: %s\n  trust-store: %s/demo-ca/ca.pem\n"
        "  fetch-timeout: 3\n  retry-max: 1\n" % (state, SERVER_IP, SERVER_IP, state),
        "dnsd"), "httpsd"))
    # zonectl runs in the servers' namespace: its publish step fetches from 10.53.0.1:443.
    def zc(*args):
        return run(netns.exec_argv(netns.srv, [BUILD / "zonectl", "-c", conf] + list(args)))

    zc("zone", "import", ZONES_DIR / "example.com.zone")
    zc("cert", "demo-ca")
    ca = state / "demo-ca" / "ca.pem"
    dlog, hlog, rlog = tmp_path / "dnsd.log", tmp_path / "httpsd.log", tmp_path / "resolver.log"
    netns.start(netns.srv, [BUILD / "dnsd", "-c", conf, "--listen", SERVER_IP + ":53",
                            "--workers", "1"], dlog)
    netns.start(netns.srv, [BUILD / "httpsd", "-c", conf, "--state", state, "--listen",
                            SERVER_IP + ":443", "--workers", "1"], hlog)
    wait_for("dnsd and httpsd ready", lambda: "dnsd: ready" in dlog.read_text() and
             run(netns.exec_argv(netns.srv, ["/usr/bin/python3", "-c",
                 "import socket; socket.create_connection(('%s', 443), 2)" % SERVER_IP]),
                 check=False).returncode == 0, (dlog, hlog))
    out = zc("mta-sts", "enable", "example.com", "--mode", "enforce").stdout
    assert "published" in out, out

    env = {"SSL_CERT_FILE": ca}
    yml = tmp_path / "mta-sts-daemon.yml"
    yml.write_text("host: 127.0.0.1\nport: 8461\nreuse_port: true\ncache_grace: 1\n"
                   "cache:\n  type: internal\ndefault_zone:\n  strict_testing: false\n"
                   "  timeout: 4\n")
    netns.start(netns.snd, ["mta-sts-daemon", "-c", yml, "-v", "debug"], rlog, env=env)

    def query():
        p = run(netns.exec_argv(netns.snd, ["mta-sts-query", "example.com"], env), check=False)
        m = re.search(r"VALID.*?\('(\w+)', (\{.*\})\)\)", p.stdout)
        return (m.group(1), sorted(ast.literal_eval(m.group(2))["mx"])) if m else None

    def daemon():
        p = run(netns.exec_argv(netns.snd, ["/usr/bin/python3", "-c", NETSTRING_CLIENT,
                                            "8461", "example.com"]), check=False)
        return p.stdout.strip()

    first = wait_for("mta-sts-query sees the policy", query, (dlog, hlog))
    assert first[1] == ["mx1.example.com", "mx2.example.com"]
    wait_for("mta-sts-daemon answers", lambda: "OK secure" in daemon(), (rlog,))
    assert daemon().startswith("OK secure match=")

    last_id = first[0]
    for k in (3, 4):
        out = zc("rr", "add", "example.com", "@ 3600 IN MX %d mx%d.example.com." % (k, k)).stdout
        assert "published" in out, out
        want = ["mx%d.example.com" % i for i in range(1, k + 1)]
        got = wait_for("mta-sts-query sees mx%d" % k,
                       lambda: (lambda q: q if q and q[1] == want else None)(query()), (dlog,))
        assert int(got[0]) > int(last_id)
        last_id = got[0]
        # The daemon's cache re-checks the id (cache_grace 1 s), sees it changed, refetches.
        ans = wait_for("mta-sts-daemon matches mx%d" % k,
                       lambda: (lambda a: a if "mx%d.example.com" % k in a else None)(daemon()),
                       (rlog,))
        assert set(ans.split()[2][len("match="):].split(":")) == set(want)
