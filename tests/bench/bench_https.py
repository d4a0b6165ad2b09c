"""HTTPS benchmark: policy fetches per second, Lockstep httpsd against nginx, and httpsd's memory
with 10,000 domains.

Both servers serve the same policy body for mta-sts.bench.example with the same certificate
(ECDSA P-256 from the demo CA: `zonectl cert demo-ca`, `zonectl cert issue`), TLS 1.2 only,
the same ECDHE-ECDSA AEAD suites and curve preference (X25519, P-256), session tickets and a
session cache; one worker each, pinned to one CPU; the load client (https_load.c, OpenSSL,
8 threads with one connection each) pinned to the other. Three ways of fetching:

- keepalive: 8 long connections, one request after the other on each;
- new: a new TCP connection and full TLS handshake per request (Connection: close);
- resume: the same, resuming the thread's last session with its ticket (abbreviated handshake).

Ratio per mode = httpsd requests/s / nginx requests/s; >= 1.0 means httpsd is at least as fast.
The goal: keep-alive >= 1.0; new connections as close as mbedTLS allows. What bounds a full
handshake is measured too: microseconds per ECDSA P-256 signature and per side of an ECDHE in
mbedTLS (tls_cost.c, the library httpsd links) and in OpenSSL (`openssl speed`).

Memory with 10,000 domains: certificates issued for mta-sts.d<i>.bench.example and a policy each
in the store; a fresh httpsd fetches from the first 1,000 hosts, then from all 10,000 (one new
connection each); RSS after each pass shows the certificate cache staying bounded
(httpsd: cert-cache:, default 1,024 hosts).

Settings: BENCH_HTTPS_SECONDS (per run, default 5), BENCH_HTTPS_RUNS (runs per mode and server,
default 3, median reported; the servers take turns), BENCH_HTTPS_DOMAINS (default 10,000; 0
skips the memory part). When started as root, both servers run as `nobody` (setpriv).
"""

import os
import re
import subprocess
import time

import benchlib
from benchlib import BenchError
# The process-tree, CPU and memory readers of the DNS benchmark, shared rather than copied.
from bench_dns import _cpu_ticks, _cpus, _memory, _process_tree, _setting

NAME = "https"
DESCRIPTION = ("HTTPS policy fetches/s: Lockstep httpsd vs nginx (keep-alive, new TLS "
               "connections, resumed), and httpsd memory with 10,000 domains")

NGINX = "/usr/sbin/nginx"
OPENSSL = "/usr/bin/openssl"
SETPRIV = "/usr/bin/setpriv"
HOST = "mta-sts.bench.example"
DOMAIN = "bench.example"
PATH = "/.well-known/mta-sts.txt"
MODES = ("keepalive", "new", "resume")
SERVERS = ("httpsd", "nginx")
LABELS = {"httpsd": "Lockstep httpsd", "nginx": "nginx"}
THREADS = 8               # client threads, one connection each
DEFAULT_SECONDS = 5
DEFAULT_RUNS = 3
DEFAULT_DOMAINS = 10000
FIRST_PASS = 1000         # hosts fetched before the full pass of the memory part
READY_TIMEOUT = 20.0
ISSUE_CHUNK = 500         # hosts per `zonectl cert issue`
POLICY = (b"version: STSv1\r\nmode: enforce\r\nmx: mx1.bench.example\r\n"
          b"mx: *.mx.bench.example\r\nmax_age: 604800\r\n")


class Env:
    """Paths and the user the servers run as."""

    def __init__(self, ctx, tmp):
        self.ctx = ctx
        self.tmp = tmp
        self.state = os.path.join(tmp, "state")
        self.conf = os.path.join(tmp, "empty.conf")
        self.httpsd = os.path.join(ctx.build, "httpsd")
        self.put_body = os.path.join(ctx.build, "tests", "sts_put_body")
        self.policy = os.path.join(tmp, "policy.txt")
        self.ca = os.path.join(self.state, "demo-ca", "ca.pem")
        self.runas = []
        with open(self.conf, "w") as f:
            f.write("httpsd:\n    access-log: no\n")
        with open(self.policy, "wb") as f:
            f.write(POLICY)

    def zonectl(self, *args, timeout=600):
        r = subprocess.run([self.ctx.zonectl, "-c", self.conf, "--state", self.state] +
                           list(args), capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise BenchError("zonectl %s: %s" % (" ".join(args[:3]), r.stderr.strip()))

    def put_bodies(self, domains):
        r = subprocess.run([self.put_body, self.state, "--each", self.policy],
                           input="\n".join(domains) + "\n", capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise BenchError("sts_put_body: %s" % r.stderr.strip())

    def drop_root(self):
        """As root, the servers run as nobody: the files become nobody's."""
        if os.geteuid() != 0:
            return
        if not os.access(SETPRIV, os.X_OK):
            raise BenchError("running as root without %s to run the servers unprivileged"
                             % SETPRIV)
        subprocess.run(["chown", "-R", "nobody:nogroup", self.tmp], check=True, timeout=600)
        os.chmod(self.tmp, 0o755)
        self.runas = [SETPRIV, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def nginx_conf(env, port, chain, key):
    d = env.tmp
    return """daemon off;
master_process on;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/nginx-tmp/body;
    proxy_temp_path {d}/nginx-tmp/proxy;
    fastcgi_temp_path {d}/nginx-tmp/fastcgi;
    uwsgi_temp_path {d}/nginx-tmp/uwsgi;
    scgi_temp_path {d}/nginx-tmp/scgi;
    default_type text/plain;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    ssl_protocols TLSv1.2;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384;
    ssl_prefer_server_ciphers on;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 1h;
    ssl_session_tickets on;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {host};
        ssl_certificate {chain};
        ssl_certificate_key {key};
        location = {path} {{ alias {policy}; }}
    }}
}}
""".format(d=d, port=port, host=HOST, chain=chain, key=key, path=PATH, policy=env.policy)


def start_server(env, server, port, cpu):
    log = os.path.join(env.tmp, "%s-%d.log" % (server, port))
    if server == "httpsd":
        argv = [env.httpsd, "--state", env.state, "--listen", "127.0.0.1:%d" % port,
                "--workers", "1", "-c", env.conf]
    else:
        os.makedirs(os.path.join(env.tmp, "nginx-tmp"), exist_ok=True)
        certdir = os.path.join(env.state, "certs", HOST)
        conf = os.path.join(env.tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(env, port, os.path.join(certdir, "fullchain.pem"),
                               os.path.join(certdir, "privkey.pem")))
        if env.runas:
            subprocess.run(["chown", "-R", "nobody:nogroup", conf,
                            os.path.join(env.tmp, "nginx-tmp")], check=True)
        argv = [NGINX, "-p", env.tmp, "-c", conf, "-e", os.path.join(env.tmp, "nginx-error.log")]
    with open(log, "wb") as out:
        proc = subprocess.Popen(benchlib.pinned(cpu, env.runas + argv), stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc, log


def load(env, port, mode, seconds, cpu, hosts=None, requests=0, verify=False, extra=(),
         body=None, threads=THREADS):
    """Runs https_load (extra: more of its options; body: the answer expected, the policy by
    default); returns its figures plus the client's CPU seconds."""
    argv = [env.load, "-p", str(port), "-c", str(threads), "-d", str(seconds), "-m", mode,
            "-b", body or env.policy] + list(extra)
    argv += ["-H", hosts] if hosts else ["-s", HOST]
    if requests:
        argv += ["-n", str(requests)]
    if verify:
        argv += ["-C", env.ca]
    t0 = time.perf_counter()
    proc = subprocess.Popen(benchlib.pinned(cpu, argv) if cpu is not None else argv,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        benchlib.kill_process(proc)
        raise BenchError("https_load did not finish")
    wall = time.perf_counter() - t0
    m = dict(kv.split("=") for kv in out.decode().split())
    if "rps" not in m:
        raise BenchError("https_load printed nothing usable: %s %s" % (out, err))
    r = {k: float(v) if "." in v else int(v) for k, v in m.items() if k != "mode"}
    r["wall"] = wall
    r["exit"] = proc.returncode
    r["stderr"] = err.decode("utf-8", "replace").strip()
    return r


def wait_ready(env, proc, port, log):
    """Until one verified fetch of the policy succeeds (certificate, body)."""
    last = [None]

    def fetched():
        try:
            r = load(env, port, "new", 5, None, requests=1, verify=True)
        except BenchError as e:
            last[0] = e
            return False
        last[0] = r
        return r["requests"] == 1 and r["errors"] == 0
    try:
        benchlib.wait_ready(proc, "server on port %d (a verified policy fetch)" % port, fetched,
                            READY_TIMEOUT, 0.2, log)
    except BenchError as e:
        raise BenchError("%s\nlast fetch: %s" % (e, last[0]))


def one_run(env, proc, port, mode, seconds, cpus):
    """One load run against one server, with the server's and the client's CPU use."""
    pids = _process_tree(proc.pid)
    c0, t0 = _cpu_ticks(pids), os.times()
    r = load(env, port, mode, seconds, cpus[1])
    c1, t1 = _cpu_ticks(pids), os.times()
    hz = os.sysconf("SC_CLK_TCK")
    r["server_cpu_pct"] = 100.0 * (c1 - c0) / hz / r["seconds"]
    r["client_cpu_pct"] = 100.0 * ((t1.children_user - t0.children_user) +
                                   (t1.children_system - t0.children_system)) / r["wall"]
    r["requests_per_server_cpu_second"] = r["requests"] / ((c1 - c0) / hz) if c1 > c0 else None
    if r["errors"] or r["exit"]:
        raise BenchError("%s: %d errors" % (mode, r["errors"]))
    return r


def median_run(runs):
    """The run with the median requests/s, with every run's figure beside it."""
    ranked = sorted(runs, key=lambda r: r["rps"])
    m = dict(ranked[len(ranked) // 2])
    m["all_rps"] = [r["rps"] for r in runs]
    return m


def measure(env, servers, seconds, rounds, cpus, log):
    """Both servers up at once, pinned to the same CPU; each mode runs `rounds` times with
    the servers taking turns (the first one alternating), so load from elsewhere on the
    machine falls on both alike. Returns {server: {mode: median run, "memory": ...}}."""
    procs, out = {}, {}
    try:
        for s in servers:
            port = benchlib.free_port()
            proc, log_path = start_server(env, s, port, cpus[0])
            procs[s] = (proc, port)
            wait_ready(env, proc, port, log_path)
        for mode in MODES:
            runs = {s: [] for s in servers}
            for i in range(rounds):
                order = servers if i % 2 == 0 else tuple(reversed(servers))
                for s in order:
                    runs[s].append(one_run(env, procs[s][0], procs[s][1], mode, seconds, cpus))
            for s in servers:
                out.setdefault(s, {})[mode] = median_run(runs[s])
            log("https: %s: %s" % (mode, ", ".join("%s %.0f/s" % (s, out[s][mode]["rps"])
                                                    for s in servers)))
        for s in servers:
            out[s]["memory"] = _memory(procs[s][0].pid)
        return out
    finally:
        for proc, _port in procs.values():
            benchlib.kill_process(proc)


def crypto_costs(env):
    """Microseconds per operation in mbedTLS (tls_cost) and OpenSSL (openssl speed)."""
    costs = {"mbedtls": {}, "openssl": {}}
    r = subprocess.run([env.tls_cost, "1"], capture_output=True, text=True, timeout=60)
    for line in r.stdout.splitlines():
        k, v = line.split()
        costs["mbedtls"][k] = float(v)
    r = subprocess.run([OPENSSL, "speed", "-seconds", "1", "ecdsap256", "ecdhp256", "ecdhx25519"],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([0-9.]+)\s+([0-9.]+)", r.stdout)
    if m:
        costs["openssl"]["ecdsa_p256_sign"] = 1e6 / float(m.group(1))
        costs["openssl"]["ecdsa_p256_verify"] = 1e6 / float(m.group(2))
    for name, key in (("nistp256", "ecdh_p256_derive"), ("X25519", "ecdh_x25519_derive")):
        m = re.search(r"ecdh \(%s\)\s+\S+\s+([0-9.]+)" % name, r.stdout)
        if m:
            costs["openssl"][key] = 1e6 / float(m.group(1))
    return costs


def memory_10k(env, ndomains, cpus, log):
    """httpsd's memory idle, after FIRST_PASS hosts and after all ndomains hosts."""
    hosts = ["mta-sts.d%d.%s" % (i, DOMAIN) for i in range(ndomains)]
    t0 = time.perf_counter()
    for i in range(0, ndomains, ISSUE_CHUNK):
        env.zonectl("cert", "issue", *hosts[i:i + ISSUE_CHUNK])
        log("https: issued %d of %d certificates" % (min(i + ISSUE_CHUNK, ndomains), ndomains))
    env.put_bodies([h[len("mta-sts."):] for h in hosts])
    setup = time.perf_counter() - t0
    first, every = os.path.join(env.tmp, "hosts-first"), os.path.join(env.tmp, "hosts-all")
    with open(first, "w") as f:
        f.write("\n".join(hosts[:min(FIRST_PASS, ndomains)]) + "\n")
    with open(every, "w") as f:
        f.write("\n".join(hosts) + "\n")
    if env.runas:
        subprocess.run(["chown", "-R", "nobody:nogroup", env.state], check=True, timeout=600)
    port = benchlib.free_port()
    proc, slog = start_server(env, "httpsd", port, cpus[0])
    try:
        wait_ready(env, proc, port, slog)
        res = {"domains": ndomains, "setup_seconds": setup, "idle": _memory(proc.pid)}
        for label, path, n in (("after_first", first, min(FIRST_PASS, ndomains)),
                               ("after_all", every, ndomains)):
            r = load(env, port, "new", 900, cpus[1], hosts=path, requests=n)
            if r["errors"] or r["requests"] != n:
                raise BenchError("10k pass %s: %d of %d fetched, %d errors"
                                 % (label, r["requests"], n, r["errors"]))
            res[label] = _memory(proc.pid)
            res[label]["fetch_rps"] = r["rps"]
            log("https: %d hosts fetched, httpsd RSS %.1f MiB" % (n, res[label]["rss_kib"] / 1024))
        return res
    finally:
        benchlib.kill_process(proc)


def _ratio(a, b):
    return a / b if a and b else None


def _mib(kib):
    return None if kib is None else kib / 1024.0


def run(ctx):
    errors = []
    result = {"name": NAME, "records": 1}
    seconds = _setting(ctx, "https_seconds", "BENCH_HTTPS_SECONDS", DEFAULT_SECONDS, 1, 600)
    rounds = _setting(ctx, "https_runs", "BENCH_HTTPS_RUNS", DEFAULT_RUNS, 1, 100)
    ndomains = _setting(ctx, "https_domains", "BENCH_HTTPS_DOMAINS", DEFAULT_DOMAINS, 0, 100000)
    server_cpu, client_cpu, cpu_note = _cpus()
    result["runs"] = rounds
    result["settings"] = {"seconds": seconds, "runs": rounds, "domains": ndomains, "threads": THREADS,
                          "server_cpu": server_cpu, "client_cpu": client_cpu}
    for path, what in ((os.path.join(ctx.build, "httpsd"), "build/httpsd (make all)"),
                       (os.path.join(ctx.build, "tests", "sts_put_body"), "sts_put_body (make all)"),
                       (ctx.zonectl, "zonectl (make all)")):
        if not os.access(path, os.X_OK):
            result.update(ok=False, errors=["%s is missing: %s" % (path, what)])
            return result
    tmp = benchlib.make_tempdir("lockstep-bench-https-")
    os.chmod(tmp, 0o755)
    figures = {}
    try:
        env = Env(ctx, tmp)
        env.load = benchlib.build_tool(ctx, "https_load", ["-lssl", "-lcrypto", "-lpthread"])
        env.tls_cost = benchlib.build_tool(ctx, "tls_cost", ["-lmbedcrypto"])
        env.zonectl("cert", "demo-ca")
        env.zonectl("cert", "issue", HOST)
        env.put_bodies([DOMAIN])
        env.drop_root()
        result["crypto_us"] = crypto_costs(env)
        servers = SERVERS
        if not os.access(NGINX, os.X_OK):
            errors.append("%s missing (Debian package nginx; make bench installs it)" % NGINX)
            servers = ("httpsd",)
        ctx.log("https: %s, %d s per run, %d rounds per mode" % (" and ".join(servers), seconds,
                                                                rounds))
        try:
            figures = measure(env, servers, seconds, rounds, (server_cpu, client_cpu), ctx.log)
        except (BenchError, OSError, subprocess.SubprocessError) as e:
            errors.append(str(e))
        if ndomains:
            ctx.log("https: memory with %d domains (issuing certificates takes a while)"
                    % ndomains)
            try:
                result["domains_10k"] = memory_10k(env, ndomains, (server_cpu, client_cpu),
                                                   ctx.log)
            except (BenchError, OSError, subprocess.SubprocessError) as e:
                errors.append("memory with %d domains: %s" % (ndomains, e))
    except (BenchError, OSError, subprocess.SubprocessError) as e:
        errors.append(str(e))
    finally:
        benchlib.remove_tree(tmp)

    result["servers"] = figures
    h, n = figures.get("httpsd") or {}, figures.get("nginx") or {}
    ratios = {m: _ratio((h.get(m) or {}).get("rps"), (n.get(m) or {}).get("rps")) for m in MODES}
    mem_ratio = _ratio(((n.get("memory") or {}).get("pss_kib")),
                       ((h.get("memory") or {}).get("pss_kib")))
    result["ratios"] = dict(ratios, mem=mem_ratio)
    rows = []
    for m in MODES:
        for s in SERVERS:
            r = (figures.get(s) or {}).get(m)
            if r is None:
                rows.append(["%s %s" % (m, LABELS[s]), "ERROR"] + [None] * 6)
                continue
            rows.append(["%s %s" % (m, LABELS[s]), int(round(r["rps"])), r["errors"],
                         100.0 * r["resumed"] / r["connects"] if r["connects"] else None,
                         r["server_cpu_pct"], r["client_cpu_pct"],
                         r["requests_per_server_cpu_second"], ratios[m] if s == "httpsd" else None])
    notes = ["ratio = httpsd requests/s / nginx requests/s (>= 1.0: httpsd at least as fast); "
             "goal: keep-alive >= 1.0, new connections as close as mbedTLS allows",
             "https_load (OpenSSL) with %d threads, one connection each; %d runs of %d s per mode "
             "and server, the servers taking turns, median shown; both servers pinned to CPU %d "
             "with one worker, the client to CPU %d" % (THREADS, rounds, seconds, server_cpu,
                                                        client_cpu),
             "srv CPU %: server CPU time / run time; cli CPU %: the client's; req/srv-CPU-s: "
             "requests per second of server CPU (the fairer figure when the client was the "
             "limit, cli CPU near 100)"]
    for s in SERVERS:
        mem = (figures.get(s) or {}).get("memory")
        if mem:
            notes.append("%s memory after the runs: RSS %.1f MiB, PSS %.1f MiB (%d process%s)"
                         % (LABELS[s], _mib(mem["rss_kib"]) or 0, _mib(mem["pss_kib"]) or 0,
                            len(mem["processes"]), "" if len(mem["processes"]) == 1 else "es"))
    c = result.get("crypto_us") or {}
    mb, os_ = c.get("mbedtls", {}), c.get("openssl", {})
    if mb and os_:
        notes.append("what bounds a full handshake, us per operation, mbedTLS vs OpenSSL: ECDSA "
                     "P-256 sign %.0f vs %.0f; ECDHE one side X25519 %.0f (mbedTLS keygen + "
                     "secret) vs %.0f (OpenSSL derive); P-256 %.0f vs %.0f. The server does one "
                     "sign and one ECDHE side per full handshake; a resumed one does neither"
                     % (mb.get("ecdsa_p256_sign", 0), os_.get("ecdsa_p256_sign", 0),
                        mb.get("ecdhe_x25519_one_side", 0), os_.get("ecdh_x25519_derive", 0),
                        mb.get("ecdhe_p256_one_side", 0), os_.get("ecdh_p256_derive", 0)))
    d = result.get("domains_10k")
    if d:
        notes.append("httpsd with %d domains (certificates + policies; setup %.0f s): RSS idle "
                     "%.1f MiB, after %d hosts %.1f MiB, after all %d hosts %.1f MiB (HWM %.1f); "
                     "the certificate cache keeps at most 1,024 hosts"
                     % (d["domains"], d["setup_seconds"], _mib(d["idle"]["rss_kib"]),
                        min(FIRST_PASS, d["domains"]), _mib(d["after_first"]["rss_kib"]),
                        d["domains"], _mib(d["after_all"]["rss_kib"]),
                        _mib(d["after_all"]["hwm_kib"])))
    if cpu_note:
        notes.append(cpu_note)
    result["table"] = {"columns": ["mode / server", "req/s", "errors", "resumed %", "srv CPU %",
                                   "cli CPU %", "req/srv-CPU-s", "ratio"],
                       "rows": rows, "notes": notes}
    result["headline"] = {"time_ratio": ratios["keepalive"], "mem_ratio": mem_ratio,
                          "new_connection_ratio": ratios["new"],
                          "resumed_ratio": ratios["resume"],
                          "goal_keepalive_met": (ratios["keepalive"] >= 1.0
                                                 if ratios["keepalive"] else None)}
    result["errors"] = errors
    result["ok"] = not errors
    return result
