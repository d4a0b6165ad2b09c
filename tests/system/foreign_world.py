"""The foreign world of the check and watch tests: other people's mail domains, answering on
loopback only. A Knot authoritative server for the zone foreign.test (every domain below it),
nginx serving the policies over HTTPS, and SMTP servers (aiosmtpd, foreign_smtp.py) with
STARTTLS and a certificate per MX name, or without STARTTLS; every certificate from a test CA
made here (good, expired, expiring, wrong name, or from a CA nobody trusts).

    w = World(tmp_path)
    w.add(Domain("clean"))                                  # everything right
    w.add(Domain("nomx", mx=[]))                            # one thing wrong
    with w.running():
        r = zc("check", w.name("clean"), *w.check_args(), "--json")

A Domain holds everything a sender looks at; its defaults make a clean domain. After changing
a Domain, w.write() puts its zone records and policy body in place (watch's tests). Hosts resolve
to 127.0.0.1 (DEAD, 127.0.0.3, has nothing listening); --connect-to rules send port 443 to
nginx and port 25 to the SMTP servers.
"""

import contextlib
import datetime
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from proc_helpers import HOST4, free_port, stop_process, wait_until
from xfr_helpers import KnotPrimary, need

ZONE = "foreign.test"
LIVE = HOST4
DEAD = "127.0.0.3"          # nothing listens there: connections are refused
NGINX = "/usr/sbin/nginx"
PYTHON = "/usr/bin/python3"
START_TIMEOUT = 20
STOP_TIMEOUT = 5
ID = "20240101000000"
SANS_PER_CERT = 50          # names per test certificate

# Certificate kinds: good (the test CA, valid a year), expired, expiring (5 days left),
# name (valid but for another name), untrusted (signed by a CA the check does not trust).
KINDS = ("good", "expired", "expiring", "name", "untrusted")


def policy(mode="enforce", max_age=604800, mx=None):
    lines = ["version: STSv1", "mode: %s" % mode, "max_age: %d" % max_age]
    lines += ["mx: %s" % m for m in (mx or [])]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Mx:
    host: str                   # relative to the domain ("mx" is mx.DOMAIN) or absolute with "."
    addr: str = LIVE
    cert: str = "good"          # a KINDS entry, or "plain" for a server without STARTTLS
    pref: int = 10
    tlsa: bool = False


@dataclass
class Domain:
    label: str
    txt: list = None            # TXT records at _mta-sts; None: one good record
    txt_cname: bool = False     # _mta-sts is a CNAME to sts-target.DOMAIN holding the TXT
    sts_addr: str = LIVE        # None: mta-sts has no address
    sts_cert: str = "good"
    http: str = "ok"            # ok, missing (404), redirect, html (wrong content type)
    body: str = None            # None: a good enforce policy covering the MX hosts
    mx: list = field(default_factory=lambda: [Mx("mx")])
    tlsrpt: list = None         # TXT records at _smtp._tls; None: one good mailto record


class TestCA:
    """A CA key and certificate, and leaves it signs."""

    def __init__(self, dirpath, name):
        self.dir = Path(dirpath)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=3650))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))
        self.pem = self.dir / ("%s.pem" % name)
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def leaf(self, stem, names, days_left=365, expired=False):
        """(cert path, key path) for names (SANs), ending in days_left days (or ended)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = now - datetime.timedelta(days=30), now + datetime.timedelta(days=days_left)
        if expired:
            start, end = now - datetime.timedelta(days=400), now - datetime.timedelta(days=2)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                               False)
                .sign(self.key, hashes.SHA256()))
        crt, k = self.dir / ("%s.crt" % stem), self.dir / ("%s.key" % stem)
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        k.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()))
        os.chmod(k, 0o600)
        return str(crt), str(k)


class Proc:
    """A process of ours stopped by PID; ready when a check passes."""

    def __init__(self, name, argv, workdir, ready, env=None):
        self.name, self.dir = name, Path(workdir)
        self.out = open(self.dir / ("%s.out" % name), "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, env=env)
        ok = wait_until(lambda: self.proc.poll() is not None or ready(), START_TIMEOUT, step=0.05)
        if not ok or self.proc.poll() is not None:
            self.stop()
            pytest.fail("%s did not start:\n%s" % (name, self.log()), pytrace=False)

    def log(self):
        return (self.dir / ("%s.out" % self.name)).read_text(errors="replace")[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            stop_process(self.proc, STOP_TIMEOUT)
        self.out.close()


def _listening(host, port):
    import socket
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class World:
    """Domains below foreign.test, and the servers that make them real."""

    def __init__(self, tmp, ca_name="foreign-ca"):
        self.dir = Path(tmp) / "world"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca = TestCA(self.dir / "ca", ca_name)
        self.rogue = TestCA(self.dir / "rogue", "rogue-ca")
        self.domains = {}
        self.procs = []
        self.knot = None
        self.https_port = self.smtp_port = self.plain_port = None

    def name(self, label):
        return "%s.%s" % (label, ZONE)

    def add(self, d):
        self.domains[d.label] = d
        return d

    def mx_host(self, d, m):
        return m.host[:-1] if m.host.endswith(".") else "%s.%s" % (m.host, self.name(d.label))

    # The zone.

    def zone_text(self):
        lines = ["$TTL 300", "@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300" % (ZONE, ZONE),
                 "@ NS ns", "ns A %s" % LIVE]
        for d in self.domains.values():
            n = d.label
            for m in d.mx:
                lines.append("%s MX %d %s." % (n, m.pref, self.mx_host(d, m)))
                if m.host.endswith("."):
                    continue
                rel = "%s.%s" % (m.host, n)
                if m.addr:
                    lines.append("%s A %s" % (rel, m.addr))
                if m.tlsa:
                    lines.append("_25._tcp.%s TLSA 3 1 1 %s" % (rel, "ab" * 32))
            if d.sts_addr:
                lines.append("mta-sts.%s A %s" % (n, d.sts_addr))
            txt = d.txt if d.txt is not None else ["v=STSv1; id=%s;" % ID]
            owner = "_mta-sts.%s" % n
            if d.txt_cname:
                lines.append("%s CNAME sts-target.%s" % (owner, n))
                owner = "sts-target.%s" % n
            lines += ['%s TXT "%s"' % (owner, t) for t in txt]
            rpt = d.tlsrpt if d.tlsrpt is not None else [
                "v=TLSRPTv1; rua=mailto:tlsrpt@%s" % self.name(n)]
            lines += ['_smtp._tls.%s TXT "%s"' % (n, t) for t in rpt]
        return "\n".join(lines) + "\n"

    def body(self, d):
        if d.body is not None:
            return d.body
        return policy(mx=[self.mx_host(d, m) for m in d.mx])

    # The HTTPS side: nginx, a server block per certificate kind and behaviour.

    def _certs(self, pick):
        """{kind: [hosts]} for every host pick(d) names, by the kind pick gives."""
        out = {}
        for d in self.domains.values():
            for host, kind in pick(d):
                out.setdefault(kind, []).append(host)
        return out

    def _leaf(self, stem, kind, hosts):
        if kind == "untrusted":
            return self.rogue.leaf(stem, hosts)
        if kind == "name":
            return self.ca.leaf(stem, ["wrong-name.invalid"])
        return self.ca.leaf(stem, hosts, days_left=5 if kind == "expiring" else 365,
                            expired=kind == "expired")

    def _server_block(self, crt, key, default, names, http, www):
        what = {"ok": "default_type text/plain;", "missing": "default_type text/plain;",
                "html": "default_type text/html;",
                "redirect": "return 301 https://elsewhere.%s/.well-known/mta-sts.txt;" % ZONE}
        return f"""
    server {{
        listen {LIVE}:{self.https_port} ssl{default};
        {names}
        ssl_certificate {crt};
        ssl_certificate_key {key};
        root {www}/$host;
        location / {{ {what[http]} }}
        location /gone {{ return 404; }}
    }}"""

    def _nginx_conf(self):
        www = self.dir / "www"
        blocks = []
        groups = {}
        for d in self.domains.values():
            groups.setdefault((d.sts_cert, d.http), []).append("mta-sts.%s" % self.name(d.label))
        # Certificates of at most SANS_PER_CERT names: a TLS handshake message must fit in
        # mbedTLS's 16 KiB input buffer. The default server only catches the rest.
        crt, key = self.ca.leaf("https-default", ["unused.%s" % ZONE])
        blocks.append(self._server_block(crt, key, " default_server", "", "ok", www))
        for i, ((kind, http), hosts) in enumerate(sorted(groups.items())):
            for k in range(0, len(hosts), SANS_PER_CERT):
                chunk = hosts[k:k + SANS_PER_CERT]
                crt, key = self._leaf("https-%d-%d" % (i, k), kind, chunk)
                blocks.append(self._server_block(crt, key, "", "server_name %s;"
                                                 % " ".join(chunk), http, www))
        user = "user root root;" if os.geteuid() == 0 else ""
        d = self.dir / "nginx"
        d.mkdir(exist_ok=True)
        return f"""{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    types {{ }}
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
{"".join(blocks)}
}}
"""

    # The SMTP side: one server with STARTTLS (a certificate per MX name), one without.

    def _smtp_certs(self):
        spec = {"by_name": {}}
        groups = {}
        for d in self.domains.values():
            for m in d.mx:
                if m.cert != "plain" and self.mx_host(d, m):   # not a null MX (".")
                    groups.setdefault(m.cert, []).append(self.mx_host(d, m))
        spec["default"] = self.ca.leaf("smtp-default", ["smtp.%s" % ZONE])
        for kind, hosts in sorted(groups.items()):
            for k in range(0, len(hosts), SANS_PER_CERT):
                chunk = hosts[k:k + SANS_PER_CERT]
                pair = self._leaf("smtp-%s-%d" % (kind, k), kind, chunk)
                for h in chunk:
                    spec["by_name"][h] = pair
        f = self.dir / "smtp-certs.json"
        f.write_text(json.dumps(spec))
        return f

    def plain_hosts(self):
        return [self.mx_host(d, m) for d in self.domains.values() for m in d.mx
                if m.cert == "plain" and self.mx_host(d, m)]

    def check_args(self):
        """zonectl check's options that point it at this world."""
        a = ["--resolver", "%s:%d" % (HOST4, self.knot.port), "--ca", str(self.ca.pem)]
        for h in self.plain_hosts():
            a += ["--connect-to", "%s:25:%s:%d" % (h, HOST4, self.plain_port)]
        a += ["--connect-to", ":443::%d" % self.https_port,
              "--connect-to", ":25::%d" % self.smtp_port]
        return a

    def write(self):
        """The zone file and the policy files as the domains are now (Knot loads the zone
        again when it runs; nginx reads the files per request). Certificates and the HTTP
        behaviour are fixed when the world starts."""
        self.zone_file.write_text(self.zone_text())
        for d in self.domains.values():
            f = self.dir / "www" / ("mta-sts.%s" % self.name(d.label)) / ".well-known" / \
                "mta-sts.txt"
            f.parent.mkdir(parents=True, exist_ok=True)
            if d.http == "missing":
                f.unlink(missing_ok=True)
            else:
                f.write_text(self.body(d), newline="")
        if self.knot:
            self.knot.knotc("zone-reload", ZONE + ".")

    @contextlib.contextmanager
    def running(self):
        need(NGINX, "nginx")
        self.zone_file = self.dir / "foreign.test.zone"
        self.https_port = free_port()
        self.smtp_port = free_port()
        self.plain_port = free_port()
        self.write()
        try:
            self.knot = KnotPrimary(self.dir / "knot", self.zone_file, zone=ZONE + ".")
            self.knot.start()
            conf = self.dir / "nginx.conf"
            conf.write_text(self._nginx_conf())
            self.procs.append(Proc("nginx", [NGINX, "-e", str(self.dir / "nginx-early.log"),
                                             "-c", str(conf), "-g", "daemon off;"], self.dir,
                                   lambda: _listening(LIVE, self.https_port)))
            here = Path(__file__).resolve().parent
            certs = self._smtp_certs()
            self.procs.append(Proc("smtp-tls", [PYTHON, str(here / "foreign_smtp.py"), "--host",
                                                LIVE, "--port", str(self.smtp_port), "--certs",
                                                str(certs)], self.dir,
                                   lambda: _listening(LIVE, self.smtp_port)))
            self.procs.append(Proc("smtp-plain", [PYTHON, str(here / "foreign_smtp.py"), "--host",
                                                  LIVE, "--port", str(self.plain_port)], self.dir,
                                   lambda: _listening(LIVE, self.plain_port)))
            yield self
        finally:
            for p in reversed(self.procs):
                p.stop()
            self.procs = []
            if self.knot:
                self.knot.stop()
