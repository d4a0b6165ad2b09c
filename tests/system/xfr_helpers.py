"""Helpers for the zone transfer tests: real Knot and NSD secondaries (and a Knot primary) on
free loopback ports, with configurations the tests write, stopped by PID; kdig; TSIG keys made
with zonectl.

    key = make_key(zc, "xfr-key", "hmac-sha256")      # zonectl tsig add; (name, alg, secret)
    import_zone(zc, tmp_path, text)                     # zonectl zone import of a master file
    k = KnotSecondary(tmp_path / "knot", primary_port, key).start()
    k.wait_serial(5)                                    # polls SOA over UDP, bounded
    kdig("@127.0.0.1", "-p", k.port, "example.com", "MX", "+short")
    k.stop()
"""

import contextlib
import os
import subprocess
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import write
from proc_helpers import HOST4, free_port, stop_process, wait_until

KNOTD = "/usr/sbin/knotd"
KNOTC = "/usr/sbin/knotc"
NSD = "/usr/sbin/nsd"
KDIG = "/usr/bin/kdig"
START_TIMEOUT = 10        # seconds for a server to answer after its start
WAIT_TIMEOUT = 15         # seconds for a secondary to reach a serial
STOP_TIMEOUT = 5


def need(path, package):
    if not os.access(path, os.X_OK):
        pytest.fail("%s missing: Debian package %s (make deps)" % (path, package), pytrace=False)


def make_key(zc, name="xfr-key", algorithm="hmac-sha256"):
    """A TSIG key made by `zonectl tsig add`: (name, algorithm, base64 secret)."""
    data = zc.json("tsig", "add", name, "--algorithm", algorithm)
    assert data["name"] == name and data["algorithm"] == algorithm
    return name, algorithm, data["secret"]


def kdig(*args, timeout=20):
    need(KDIG, "knot-dnsutils")
    p = subprocess.run([KDIG] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p.stdout


def records(kdig_text):
    """Record lines of kdig output as (owner, ttl, type, rdata) tuples, comments dropped."""
    out = []
    for line in kdig_text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        f = line.split(None, 4)
        if len(f) >= 4 and f[2] in ("IN", "ANY") and f[3] != "TSIG":
            out.append((f[0].lower(), int(f[1]), f[3], " ".join(f[4].split()) if len(f) > 4 else ""))
    return out


def import_zone(zc, tmp_path, text, name="example.com.zone"):
    """Writes text as the master file tmp_path/name and imports it with zonectl; its path."""
    path = write(tmp_path / name, text)
    zc.ok("zone", "import", str(path))
    return path


def soa_serial(port, zone="example.com.", host=HOST4):
    """The zone's SOA serial at host:port over UDP, or None when it does not answer it."""
    try:
        r = dns.query.udp(dns.message.make_query(zone, "SOA"), host, port=port, timeout=1)
    except Exception:
        return None
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        return None
    return r.answer[0][0].serial


class Server:
    """A process started from a configuration we wrote, stopped by its PID."""

    name = "server"

    def __init__(self, workdir, host=HOST4):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = free_port(host=host)
        self.proc = None
        self.logfile = self.dir / ("%s.log" % self.name)

    def argv(self):
        raise NotImplementedError

    def _state(self):
        """"exited", "up" when it answers a query over UDP, None while it does not yet."""
        if self.proc.poll() is not None:
            return "exited"
        try:
            dns.query.udp(dns.message.make_query("version.bind.", "TXT", "CH"), self.host,
                          port=self.port, timeout=0.5)
            return "up"
        except Exception:
            return None

    def start(self):
        self.out = open(self.dir / "stdout.log", "a")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        state = wait_until(self._state, START_TIMEOUT, step=0.1)
        if state == "up":
            return self
        self.stop()
        if state == "exited":
            pytest.fail("%s exited with %d at start:\n%s" % (self.name, self.proc.returncode,
                                                            self.log()), pytrace=False)
        pytest.fail("%s did not answer within %d s:\n%s" % (self.name, START_TIMEOUT, self.log()),
                    pytrace=False)

    def stop(self):
        """SIGTERM by PID, SIGKILL after STOP_TIMEOUT; the output file closed."""
        if self.proc is not None:
            stop_process(self.proc, STOP_TIMEOUT)
        if getattr(self, "out", None):
            self.out.close()
            self.out = None

    def log(self):
        text = ""
        for f in (self.logfile, self.dir / "stdout.log"):
            if f.exists():
                text += f.read_text(errors="replace")
        return text or "<no log>"

    @property
    def address(self):
        """host:port, as zonectl zone secondaries takes it."""
        return "%s:%d" % (self.host, self.port)

    def serial(self, zone="example.com."):
        return soa_serial(self.port, zone, self.host)

    def wait_serial(self, serial, zone="example.com.", timeout=WAIT_TIMEOUT):
        """Waits until the server answers the zone's SOA with serial; fails with its log if not."""
        got = [None]

        def reached():
            got[0] = self.serial(zone)
            return got[0] == serial
        if wait_until(reached, timeout, step=0.1):
            return
        pytest.fail("%s: serial %s after %d s, want %d; its log:\n%s" % (
            self.name, got[0], timeout, serial, self.log()[-3000:]), pytrace=False)


def knot_head(host, port, workdir, logfile):
    """The server, database and log sections every knotd of the tests starts with."""
    return f"""server:
    listen: {host}@{port}
    rundir: "{workdir}"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{workdir}"
log:
  - target: "{logfile}"
    any: info
"""


def key_knot(key):
    return "key:\n  - id: %s\n    algorithm: %s\n    secret: %s\n" % key if key else ""


class KnotSecondary(Server):
    """knotd on host pulling example.com from dnsd at primary_port (with the key, if any);
    with control, knotc() drives it (zone-freeze stops its transfers)."""

    name = "knot"

    def __init__(self, workdir, primary_port, key=None, zones=("example.com.",), host=HOST4,
                 control=False):
        super().__init__(workdir, host)
        need(KNOTD, "knot")
        keyref = "\n    key: %s" % key[0] if key else ""
        self.sock = self.dir / "knot.sock"
        if control:
            need(KNOTC, "knot")
        zone_lines = "".join("  - domain: %s\n    master: primary\n    acl: notify_from_primary\n"
                             % z for z in zones)
        self.conf = self.dir / "knot.conf"
        ctl = 'control:\n    listen: "%s"\n' % self.sock if control else ""
        self.conf.write_text(knot_head(host, self.port, self.dir, self.logfile) + ctl + f"""\
{key_knot(key)}remote:
  - id: primary
    address: {HOST4}@{primary_port}
    via: {host}{keyref}
acl:
  - id: notify_from_primary
    address: {HOST4}{keyref}
    action: notify
template:
  - id: default
    storage: "{self.dir}"
    zonefile-sync: 0
zone:
{zone_lines}""")

    def argv(self):
        return [KNOTD, "-c", str(self.conf)]

    def knotc(self, *args):
        return knotc(self.conf, self.sock, *args)


def knotc(conf, sock, *args):
    """knotc on a knotd's control socket; asserts that it succeeded."""
    p = subprocess.run([KNOTC, "-c", str(conf), "-s", str(sock)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
    assert p.returncode == 0, "knotc %s: %s" % (" ".join(args), p.stdout)
    return p.stdout


def nsd_head(host, port, workdir, logfile):
    """The server section every nsd of the tests starts with (no rate limit, no chroot)."""
    return f"""server:
    server-count: 1
    ip-address: {host}@{port}
    zonesdir: "{workdir}"
    database: ""
    pidfile: "{workdir}/nsd.pid"
    xfrdfile: "{workdir}/xfrd.state"
    xfrdir: "{workdir}"
    zonelistfile: "{workdir}/zone.list"
    logfile: "{logfile}"
    username: ""
    chroot: ""
    rrl-ratelimit: 0
"""


class NsdPrimary(Server):
    """nsd serving zone_file for zone, as a primary (transfers to provide_xfr, if given)."""

    name = "nsd"

    def __init__(self, workdir, zone_file, zone="example.com.", provide_xfr=None):
        super().__init__(workdir)
        need(NSD, "nsd")
        provide = "    provide-xfr: %s NOKEY\n" % provide_xfr if provide_xfr else ""
        self.conf = self.dir / "nsd.conf"
        self.conf.write_text(nsd_head(HOST4, self.port, self.dir, self.logfile) + f"""\
remote-control:
    control-enable: no
zone:
    name: {zone}
    zonefile: "{zone_file}"
{provide}""")

    def argv(self):
        return [NSD, "-d", "-c", str(self.conf)]


class NsdSecondary(Server):
    """nsd on host pulling example.com from dnsd at primary_port (with the key, if any)."""

    name = "nsd"

    def __init__(self, workdir, primary_port, key=None, host=HOST4):
        super().__init__(workdir, host)
        need(NSD, "nsd")
        keyref = key[0] if key else "NOKEY"
        keytext = ('key:\n    name: "%s"\n    algorithm: %s\n    secret: "%s"\n' % key) if key else ""
        self.conf = self.dir / "nsd.conf"
        self.conf.write_text(nsd_head(host, self.port, self.dir, self.logfile) + f"""\
    verbosity: 2
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
{keytext}zone:
    name: example.com
    zonefile: example.com.zone
    request-xfr: {HOST4}@{primary_port} {keyref}
    allow-notify: {HOST4} {keyref}
    outgoing-interface: {host}
""")

    def argv(self):
        return [NSD, "-d", "-c", str(self.conf)]


class KnotPrimary(Server):
    """knotd serving zone_file as a primary, changed with knotc like zonectl changes dnsd."""

    name = "knot-primary"

    def __init__(self, workdir, zone_file, zone="example.com."):
        super().__init__(workdir)
        need(KNOTD, "knot")
        need(KNOTC, "knot")
        self.zone = zone
        self.sock = self.dir / "knot.sock"
        self.conf = self.dir / "knot.conf"
        self.conf.write_text(knot_head(HOST4, self.port, self.dir, self.logfile) + f"""\
control:
    listen: "{self.sock}"
acl:
  - id: xfr
    address: {HOST4}
    action: transfer
template:
  - id: default
    storage: "{self.dir}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    serial-policy: increment
zone:
  - domain: {zone}
    file: "{zone_file}"
    acl: xfr
""")

    def argv(self):
        return [KNOTD, "-c", str(self.conf)]

    def knotc(self, *args):
        return knotc(self.conf, self.sock, *args)

    def transaction(self, *changes):
        """One commit: each change is ("set"|"unset", owner, [ttl], type, rdata...)."""
        self.knotc("zone-begin", self.zone)
        for c in changes:
            self.knotc("zone-" + c[0], self.zone, *c[1:])
        self.knotc("zone-commit", self.zone)


@contextlib.contextmanager
def knot_and_nsd(tmp, zone_file, provide_xfr=None):
    """A Knot and an NSD primary serving zone_file (NSD transfers to provide_xfr, if given),
    started in tmp/knot and tmp/nsd; yields (knot, nsd) and stops both."""
    knot = KnotPrimary(tmp / "knot", zone_file)
    nsd = NsdPrimary(tmp / "nsd", zone_file, provide_xfr=provide_xfr)
    try:
        knot.start()
        nsd.start()
        yield knot, nsd
    finally:
        nsd.stop()
        knot.stop()
