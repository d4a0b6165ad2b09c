"""Zonemaster (Debian zonemaster-cli) finds no WARNING or ERROR in a sound zone served by dnsd.

Zonemaster asks port 53 only and starts from root servers, so the test gives it a network of
its own: a network namespace (unshare -n, or -rn when not root) with nothing but its loopback,
where one dnsd serves example.com on port 53 of 127.53.0.1 and 127.53.1.2, and a second dnsd
serves a root zone that delegates example.com, and the reverse zone of those addresses, on
127.53.9.9 (zonemaster-cli --hints names it). Nothing leaves the namespace, and every address
is on loopback. A zone with a broken delegation shows the run finds what it should."""

import os
import shutil
import subprocess

import pytest

from conftest import Zonectl, write
from dnsd_helpers import DNSD, check_dnsd_binary
from xfr_helpers import need

ZONEMASTER = "/usr/bin/zonemaster-cli"
UNSHARE = "/usr/bin/unshare"
LEVELS = ("WARNING", "ERROR", "CRITICAL")
NS1, NS2, ROOT = "127.53.0.1", "127.53.1.2", "127.53.9.9"

SOUND = f"""$ORIGIN example.com.
$TTL 3600
@     SOA   ns1 hostmaster 2026120301 14400 3600 1209600 3600
@     NS    ns1
@     NS    ns2
ns1   A     {NS1}
ns2   A     {NS2}
@     MX    10 mail
mail  A     {NS1}
www   A     {NS1}
@     TXT   "v=spf1 mx -all"
"""
# The parent gives ns2.broken.com an address the zone itself does not (CONSISTENCY05), and the
# zone lists a name server the parent does not (DELEGATION).
BROKEN = f"""$ORIGIN broken.com.
$TTL 3600
@     SOA   ns1 hostmaster 1 14400 3600 1209600 3600
@     NS    ns1
@     NS    ns2
@     NS    ns3
ns1   A     {NS1}
ns2   A     127.53.1.3
ns3   A     {NS2}
"""
ROOT_ZONE = f"""$ORIGIN .
$TTL 86400
@     SOA   a.root-servers.test. hostmaster.root-servers.test. 1 14400 3600 1209600 3600
@     NS    a.root-servers.test.
a.root-servers.test.  A  {ROOT}
example.com.      NS  ns1.example.com.
example.com.      NS  ns2.example.com.
ns1.example.com.  A   {NS1}
ns2.example.com.  A   {NS2}
broken.com.       NS  ns1.broken.com.
broken.com.       NS  ns2.broken.com.
ns1.broken.com.   A   {NS1}
ns2.broken.com.   A   {NS2}
"""
REVERSE = """$ORIGIN 53.127.in-addr.arpa.
$TTL 86400
@     SOA   a.root-servers.test. hostmaster.root-servers.test. 1 14400 3600 1209600 3600
@     NS    a.root-servers.test.
1.0   PTR   ns1.example.com.
2.1   PTR   ns2.example.com.
9.9   PTR   a.root-servers.test.
"""
HINTS = ". 3600000 NS a.root-servers.test.\na.root-servers.test. 3600000 A %s\n" % ROOT

# What the private network itself causes, and nothing else: (test case, message tag).
EXPECTED_HERE = {
    # Address01: a name server on a special-purpose address; every address here is loopback,
    # since the namespace has no other network.
    ("ADDRESS01", "NAMESERVER_IP_PRIVATE_NETWORK"),
}

SCRIPT = """set -e
ip link set lo up
for a in {addrs}; do ip addr add "$a/32" dev lo; done
start() {{  # state, log, listen addresses...
    s=$1; l=$2; shift 2
    args=""
    for a in "$@"; do args="$args --listen $a:53"; done
    "{dnsd}" --state "$s" -c "{conf}" $args 2>"$l" &
    pids="$pids $!"
    for i in $(seq 100); do grep -q "dnsd: ready" "$l" && return 0; sleep 0.1; done
    echo "dnsd did not start:"; cat "$l"; return 1
}}
pids=""
trap 'kill $pids 2>/dev/null; wait' EXIT
start "{zones}" "{tmp}/zones.log" {ns1} {ns2}
start "{roots}" "{tmp}/root.log" {root}
for z in example.com broken.com; do
    echo "== $z"
    timeout 300 "{zonemaster}" "$z" --hints "{hints}" --no-ipv6 --level INFO \\
        --show-testcase --raw --no-progress 2>&1 || echo "zonemaster-cli exit $?"
done
"""


def messages(text):
    """{zone: [(level, test case, tag, line)]} from the raw output of the script's runs."""
    out, zone = {}, None
    for line in text.splitlines():
        if line.startswith("== "):
            zone = line[3:]
            out[zone] = []
            continue
        f = line.split()
        if zone and len(f) >= 4 and f[1] in ("DEBUG", "INFO", "NOTICE") + LEVELS:
            out[zone].append((f[1], f[2], f[3], line.strip()))
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory, zonectl_binary):
    check_dnsd_binary()
    need(ZONEMASTER, "zonemaster-cli")
    need(UNSHARE, "util-linux")
    if not shutil.which("ip"):
        pytest.fail("ip missing: Debian package iproute2 (make deps)", pytrace=False)
    tmp = tmp_path_factory.mktemp("zonemaster")
    conf = write(tmp / "dnsd.conf", "dnsd:\n    user: root\n")   # root inside the namespace
    (tmp / "z").mkdir()
    (tmp / "r").mkdir()
    zones, roots = Zonectl(tmp / "z"), Zonectl(tmp / "r")
    for zc, texts in ((zones, (SOUND, BROKEN)), (roots, (ROOT_ZONE, REVERSE))):
        for i, text in enumerate(texts):
            zc.ok("zone", "import", str(write(zc.tmp / ("%d.zone" % i), text)))
    script = SCRIPT.format(addrs=" ".join((NS1, NS2, ROOT)), dnsd=DNSD, conf=conf,
                           zones=zones.state, roots=roots.state, tmp=tmp, ns1=NS1, ns2=NS2,
                           root=ROOT, zonemaster=ZONEMASTER,
                           hints=write(tmp / "hints", HINTS))
    flags = "-n" if os.geteuid() == 0 else "-rn"
    p = subprocess.run([UNSHARE, flags, "sh", "-c", script], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=700)
    assert p.returncode == 0, "unshare %s failed (%d):\n%s" % (flags, p.returncode, p.stdout)
    got = messages(p.stdout)
    assert set(got) == {"example.com", "broken.com"}, p.stdout
    # Zonemaster ran its test cases against the servers, not just the syntax checks.
    for zone in got:
        cases = {c for _, c, _, _ in got[zone]}
        assert {"BASIC02", "DELEGATION01", "NAMESERVER01", "CONSISTENCY01"} <= cases, p.stdout
    return got


def test_sound_zone_has_no_warning(report):
    bad = [line for level, case, tag, line in report["example.com"]
           if level in LEVELS and (case, tag) not in EXPECTED_HERE]
    assert not bad, "\n".join(bad)
    # The filter is not a blanket: it matched something, and only at these addresses.
    here = [line for level, case, tag, line in report["example.com"] if (case, tag) in EXPECTED_HERE]
    assert here and all(NS1 in l or NS2 in l for l in here), here


def test_broken_delegation_is_found(report):
    bad = {(case, tag) for level, case, tag, _ in report["broken.com"]
           if level in LEVELS and (case, tag) not in EXPECTED_HERE}
    assert bad, report["broken.com"]
