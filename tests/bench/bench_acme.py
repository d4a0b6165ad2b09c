"""ACME benchmark against Debian's Pebble (PEBBLE_VA_NOSLEEP=1, no nonce rejections).

1. One domain: in a zone of mail domains served by dnsd, `zonectl mta-sts enable dK`
   (which orders the certificate over dns-01 and waits for it, then publishes), timed from
   starting zonectl until dK's _mta-sts id answers over DNS. Reported over BENCH_ACME_RUNS
   (default 50) domains: p50, p99. Goal: under 1 s plus the CA's own time.
2. Many domains: BENCH_ACME_DOMAINS (default 1,000) enabled at once with
   `zonectl mta-sts enable --list FILE` (queued), then dnsd's maintenance thread orders
   them (orders-per-hour 100000, so the queue does not limit) and publishes each id once its
   certificate is served. Reported: time until every id is published, orders per second,
   dnsd's CPU seconds and peak RSS. Goal: limited by orders-per-hour (the CA), not Lockstep.
"""

import json
import os
import shutil
import ssl
import statistics
import subprocess
import time
import urllib.request

import benchlib
from benchlib import BenchError
from bench_sts import _txt_id, _zonectl     # zonectl with a configuration; the id over DNS

NAME = "acme"
DESCRIPTION = "ACME with Pebble: enable -> published id (p50/p99); N domains at once"

DEFAULT_RUNS = 50
DEFAULT_DOMAINS = 1000
START_TIMEOUT = 20.0
ONE_TIMEOUT = 60.0
ZONE = "acme.bench"


def _start(argv, log, env=None):
    with open(log, "wb") as err:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                start_new_session=True, env=env)


def _cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Setup:
    """Pebble, dnsd and httpsd on one store with a zone of n mail domains."""

    def __init__(self, ctx, tmp, n):
        self.ctx, self.tmp, self.procs = ctx, tmp, []
        self.state = os.path.join(tmp, "state")
        pki = os.path.join(tmp, "pki")
        pconf = os.path.join(tmp, "pki.conf")
        open(pconf, "w").write("server:\n  state-dir: %s\n" % pki)
        _zonectl(ctx, pconf, "cert", "demo-ca")
        _zonectl(ctx, pconf, "cert", "issue", "localhost")
        self.hp, self.dp = benchlib.free_port(), benchlib.free_port()
        pp, mp = benchlib.free_port(), benchlib.free_port()
        pj = os.path.join(tmp, "pebble.json")
        json.dump({"pebble": {"listenAddress": "127.0.0.1:%d" % pp,
                              "managementListenAddress": "127.0.0.1:%d" % mp,
                              "certificate": "%s/certs/localhost/fullchain.pem" % pki,
                              "privateKey": "%s/certs/localhost/privkey.pem" % pki,
                              "httpPort": benchlib.free_port(), "tlsPort": self.hp,
                              "ocspResponderURL": "",
                              "externalAccountBindingRequired": False}}, open(pj, "w"))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0")
        pebble = shutil.which("pebble")
        if not pebble:
            raise BenchError("pebble is not installed (make deps)")
        self.procs.append(_start([pebble, "-config", pj, "-dnsserver",
                                  "127.0.0.1:%d" % self.dp], os.path.join(tmp, "pebble.log"),
                                 env))
        cactx = ssl.create_default_context(cafile="%s/demo-ca/ca.pem" % pki)

        def root():
            try:
                with urllib.request.urlopen("https://localhost:%d/roots/0" % mp,
                                            context=cactx, timeout=2) as r:
                    return r.read()
            except OSError:
                return None
        pem = benchlib.wait_until(root, START_TIMEOUT, 0.2)
        if not pem:
            raise BenchError("pebble did not start:\n" + benchlib.tail(
                os.path.join(tmp, "pebble.log")))
        rootf = os.path.join(tmp, "pebble-root.pem")
        open(rootf, "wb").write(pem)
        self.conf = os.path.join(tmp, "acme.conf")
        root_user = "    user: root\n" if os.geteuid() == 0 else ""
        # dnsd.listen names the real address: the dns-01 SOA wait asks it
        open(self.conf, "w").write(
            "server:\n  state-dir: %s\nhttpsd:\n%sdnsd:\n%s  listen: 127.0.0.1:%d\nacme:\n"
            "  directory: https://localhost:%d/dir\n  ca-bundle: %s/demo-ca/ca.pem\n"
            "  challenge: dns-01\n  orders-per-hour: 100000\nmta-sts:\n"
            "  endpoints: 127.0.0.1:%d\n  service-address: 127.0.0.1\n  trust-store: %s\n"
            "  fetch-timeout: 5\n  retry-max: 2\n"
            % (self.state, root_user or "    workers: 1\n", root_user, self.dp, pp, pki,
               self.hp, rootf))
        zone = os.path.join(tmp, ZONE + ".zone")
        with open(zone, "w") as f:
            f.write("$ORIGIN %s.\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
                    "@ IN NS ns1\nns1 IN A 192.0.2.1\nmx IN A 192.0.2.25\n" % ZONE)
            for i in range(n):
                f.write("d%05d 3600 IN MX 10 mx.%s.\n" % (i, ZONE))
        _zonectl(ctx, self.conf, "zone", "import", zone)
        for name, port in (("httpsd", self.hp), ("dnsd", self.dp)):
            log = os.path.join(tmp, "%s.log" % name)
            self.procs.append(_start([os.path.join(ctx.build, name), "-c", self.conf,
                                      "--listen", "127.0.0.1:%d" % port, "--workers", "1"], log))
            benchlib.wait_ready(self.procs[-1], "%s on port %d" % (name, port),
                                benchlib.listening(port), START_TIMEOUT, 0.02, log)
        self.dnsd = self.procs[-1]

    def close(self):
        for p in self.procs:
            benchlib.kill_process(p)


def _one(ctx, tmp, runs):
    s = Setup(ctx, tmp, runs)
    try:
        times = []
        for i in range(runs):
            d = "d%05d.%s" % (i, ZONE)
            t0 = time.monotonic()
            _zonectl(ctx, s.conf, "mta-sts", "enable", d)
            if not benchlib.wait_until(lambda: _txt_id(s.dp, d), ONE_TIMEOUT, 0.005):
                raise BenchError("%s: no id within %.0f s" % (d, ONE_TIMEOUT))
            times.append(time.monotonic() - t0)
        times.sort()
        return {"runs": runs, "p50_s": statistics.median(times),
                "p99_s": times[int(0.99 * (len(times) - 1))], "max_s": times[-1]}
    finally:
        s.close()


def _many(ctx, tmp, n):
    s = Setup(ctx, tmp, n)
    try:
        names = ["d%05d.%s" % (i, ZONE) for i in range(n)]
        lst = os.path.join(tmp, "domains.txt")
        open(lst, "w").write("\n".join(names) + "\n")
        cpu0 = _cpu_s(s.dnsd.pid)
        t0 = time.monotonic()
        _zonectl(ctx, s.conf, "mta-sts", "enable", "--list", lst, "--no-publish", timeout=3600)
        left = set(names)
        deadline = t0 + max(600, 3 * n)
        while left and time.monotonic() < deadline:
            for d in list(left):
                if _txt_id(s.dp, d):
                    left.discard(d)
            if left:
                time.sleep(0.5)
                if int(time.monotonic() - t0) % 30 == 0:
                    ctx.log("acme: %d of %d published" % (n - len(left), n))
        total = time.monotonic() - t0
        if left:
            raise BenchError("%d of %d domains unpublished after %.0f s" % (len(left), n, total))
        certs = json.loads(_zonectl(ctx, s.conf, "--json", "cert", "list"))["certs"]
        failed = [c for c in certs if c.get("last_error")]
        return {"domains": n, "total_s": total, "orders_per_s": n / total,
                "dnsd_cpu_s": _cpu_s(s.dnsd.pid) - cpu0,
                "dnsd_hwm_mib": benchlib.kib_to_mib(benchlib.proc_status_kib(s.dnsd.pid,
                                                                             "VmHWM") or 0),
                "with_last_error": len(failed)}
    finally:
        s.close()


def run(ctx):
    errors, rows = [], []
    runs = int(os.environ.get("BENCH_ACME_RUNS", DEFAULT_RUNS))
    n = int(os.environ.get("BENCH_ACME_DOMAINS", DEFAULT_DOMAINS))
    result = {"name": NAME, "records": n, "runs": runs}
    tmp = benchlib.make_tempdir("lockstep-bench-acme-")
    try:
        try:
            os.makedirs(os.path.join(tmp, "one"))
            one = _one(ctx, os.path.join(tmp, "one"), runs)
            result["one"] = one
            rows.append(["enable -> published id, one domain, p50", "%.2f s" % one["p50_s"],
                         "< 1 s + CA", "-"])
            rows.append(["enable -> published id, one domain, p99", "%.2f s" % one["p99_s"],
                         "-", "-"])
        except BenchError as e:
            errors.append("one domain: %s" % e)
        try:
            os.makedirs(os.path.join(tmp, "many"))
            many = _many(ctx, os.path.join(tmp, "many"), n)
            result["many"] = many
            rows.append(["%d domains enabled at once -> all published" % n,
                         "%.1f s (%.1f orders/s)" % (many["total_s"], many["orders_per_s"]),
                         "-", "-"])
            rows.append(["dnsd CPU / peak RSS", "%.1f s / %.1f MiB" % (
                many["dnsd_cpu_s"], many["dnsd_hwm_mib"]), "-", "-"])
            rows.append(["names with a CA error at the end", "%d" % many["with_last_error"],
                         "0", "met" if many["with_last_error"] == 0 else "missed"])
        except BenchError as e:
            errors.append("many domains: %s" % e)
    finally:
        benchlib.remove_tree(tmp)
    result.update(ok=not errors, errors=errors,
                  table={"columns": ["measure", "value", "goal", ""], "rows": rows,
                         "notes": ["Pebble 2.4 on 127.0.0.1 with PEBBLE_VA_NOSLEEP=1: the CA's "
                                   "own time is small; a public CA adds seconds per order."]})
    return result
