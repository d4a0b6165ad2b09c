"""httpsd with 100,000 certificates (issue 17): memory with a bounded certificate cache, and what
a name that is not cached costs.

Setup: a demo CA (`zonectl cert demo-ca`), then one leaf certificate per name
mta-sts.c<i>.certs.example, signed by that CA with Python's `cryptography` (OpenSSL; `zonectl
cert issue` makes a fresh key and syncs each pair, about 10 ms a name, which would make the setup
take over 15 minutes at 100,000). All leaves share ONE P-256 key, written into every name's
privkey.pem (0600): generating 100,000 keys would dominate the setup, and httpsd parses each
name's key file on its own anyway, so what it holds per cached name is the same. A policy
body for every domain goes into the store (sts_put_body --each).

Then a fresh httpsd (default `cert-cache`, 1,024; two workers) gets one new TLS connection
per name, every name once (https_load, OpenSSL, 8 threads, each response checked). Reported:
RSS idle before and after (VmRSS, and its anonymous and file-backed parts: the file part is
mostly the store's pages read through LMDB's map), VmHWM, the cache's counters from /metrics
(misses must equal the names, evictions the names minus the cache size), and the handshake time
of a name in the cache against one evicted from it (Python ssl, one full handshake each,
medians of CERTS_PROBES), whose difference is the one extra file read and parse.

Goal: RSS idle after serving every name once under 64 MiB.

Settings: BENCH_CERTS_NAMES (default 100,000; 1,000 to 200,000), BENCH_CERTS_CACHE (httpsd's
cert-cache, default 1,024). The whole benchmark takes a few minutes at 100,000 (mostly the
full handshakes: mbedTLS does 500-1,000 a second per core here).
"""

import datetime
import http.client
import os
import socket
import ssl
import statistics
import subprocess
import time
import urllib.request

import benchlib
from benchlib import BenchError
from bench_dns import _setting
from bench_https import POLICY

NAME = "certs"
DESCRIPTION = "httpsd with 100,000 certificates: RSS after serving every name once, cold vs cached"

DOMAIN = "certs.example"
DEFAULT_NAMES = 100000
DEFAULT_CACHE = 1024
WORKERS = 2
THREADS = 8
PROBES = 40                # handshakes per kind (cached, evicted) for the latency medians
GOAL_MIB = 64
READY_TIMEOUT = 30.0
PROBE_TIMEOUT = 60.0       # seconds for one probe handshake on a loaded machine
SCRAPE_TIMEOUT = 1800.0    # seconds for the first GET /metrics (see scrape())


def hosts(n):
    return ["mta-sts.c%d.%s" % (i, DOMAIN) for i in range(n)]


def make_certs(state, names, log):
    """One leaf per name from the demo CA, all with one P-256 key. Returns seconds taken."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    t0 = time.perf_counter()
    cadir = os.path.join(state, "demo-ca")
    with open(os.path.join(cadir, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(cadir, "ca.pem"), "rb") as f:
        ca_pem = f.read()
    ca = x509.load_pem_x509_certificate(ca_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    base = (x509.CertificateBuilder().issuer_name(ca.subject).public_key(key.public_key())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False))
    certs = os.path.join(state, "certs")
    os.makedirs(certs, mode=0o700, exist_ok=True)
    for i, host in enumerate(names):
        crt = (base.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
               .serial_number(x509.random_serial_number())
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
               .sign(ca_key, hashes.SHA256()))
        d = os.path.join(certs, host)
        os.mkdir(d, 0o700)
        with open(os.path.join(d, "fullchain.pem"), "wb") as f:
            f.write(crt.public_bytes(serialization.Encoding.PEM) + ca_pem)
        fd = os.open(os.path.join(d, "privkey.pem"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        if (i + 1) % 20000 == 0:
            log("certs: %d of %d certificates written" % (i + 1, len(names)))
    return time.perf_counter() - t0


def memory(pid):
    m = {k: benchlib.proc_status_kib(pid, f) for k, f in (
        ("rss_kib", "VmRSS"), ("anon_kib", "RssAnon"), ("file_kib", "RssFile"),
        ("hwm_kib", "VmHWM"))}
    m["store_kib"] = mapping_rss_kib(pid, "/data.mdb")
    return m


def mapping_rss_kib(pid, suffix):
    """Rss of the mappings of a file whose path ends with suffix (/proc/PID/smaps)."""
    total, inside = 0, False
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                head = line.split()
                if head and "-" in head[0] and len(head) >= 5:
                    inside = line.rstrip().endswith(suffix)
                elif inside and line.startswith("Rss:"):
                    total += int(head[1])
    except (OSError, ValueError, IndexError):
        return None
    return total


def scrape(port):
    """The cache's counters from /metrics. The first scrape also lists and checks every
    certificate (httpsd_certificate_expiry_seconds), which takes minutes at 100,000."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=SCRAPE_TIMEOUT) as r:
        try:
            text = r.read().decode()
            complete = True
        except http.client.IncompleteRead as e:
            # The cache's families come before the certificates' 100,000 samples.
            text, complete = e.partial.decode(errors="replace"), False
    out = {"page_complete": complete, "page_bytes": len(text)}
    for line in text.splitlines():
        if line.startswith("httpsd_cert_cache_"):
            name, _, value = line.partition(" ")
            out[name[len("httpsd_cert_cache_"):]] = int(float(value))
    return out


def handshake_ms(port, host, ctx):
    """One full handshake with SNI host (verified), in milliseconds."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=PROBE_TIMEOUT)
    try:
        t0 = time.perf_counter()
        s = ctx.wrap_socket(raw, server_hostname=host)
        ms = (time.perf_counter() - t0) * 1000
        s.close()
        return ms
    finally:
        raw.close()


def probe(port, cafile, cached, evicted):
    """Medians (ms) of handshakes for cached names and for evicted ones, taking turns. Each
    evicted probe name is asked once (the next ask would find it cached); each cached one is
    among the most recent, so probing them keeps them in."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    hot, cold = [], []
    for i in range(PROBES):
        hot.append(handshake_ms(port, cached[i % len(cached)], ctx))
        cold.append(handshake_ms(port, evicted[i], ctx))
    return statistics.median(hot), statistics.median(cold)


def run(ctx):
    errors = []
    result = {"name": NAME, "records": 0, "runs": 1}
    n = _setting(ctx, "certs_names", "BENCH_CERTS_NAMES", DEFAULT_NAMES, 1000, 200000)
    cache = _setting(ctx, "certs_cache", "BENCH_CERTS_CACHE", DEFAULT_CACHE, 1, 1000000)
    result["settings"] = {"names": n, "cert_cache": cache, "workers": WORKERS}
    put_body = os.path.join(ctx.build, "tests", "sts_put_body")
    httpsd = os.path.join(ctx.build, "httpsd")
    for path in (httpsd, put_body, ctx.zonectl):
        if not os.access(path, os.X_OK):
            result.update(ok=False, errors=["%s is missing (make all)" % path])
            return result
    try:
        import cryptography  # noqa: F401
    except ImportError:
        result.update(ok=False, errors=["python3-cryptography is missing (make bench "
                                        "installs it)"])
        return result
    tmp = benchlib.make_tempdir("lockstep-bench-certs-")
    os.chmod(tmp, 0o755)
    state = os.path.join(tmp, "state")
    proc = None
    fig = {}
    try:
        load = benchlib.build_tool(ctx, "https_load", ["-lssl", "-lcrypto", "-lpthread"])
        mport, port = benchlib.free_port(), benchlib.free_port()
        conf = os.path.join(tmp, "httpsd.conf")
        with open(conf, "w") as f:
            f.write("httpsd:\n    access-log: no\n    cert-cache: %d\n"
                    "    metrics-listen: 127.0.0.1:%d\n" % (cache, mport))
        policy = os.path.join(tmp, "policy.txt")
        with open(policy, "wb") as f:
            f.write(POLICY)
        zc = [ctx.zonectl, "-c", conf, "--state", state]
        subprocess.run(zc + ["cert", "demo-ca"], check=True, capture_output=True, timeout=60)
        names = hosts(n)
        ctx.log("certs: writing %d certificates" % n)
        fig["cert_seconds"] = make_certs(state, names, ctx.log)
        t0 = time.perf_counter()
        r = subprocess.run([put_body, state, "--each", policy], capture_output=True, text=True,
                           input="\n".join(h[len("mta-sts."):] for h in names) + "\n",
                           timeout=1200)
        if r.returncode != 0:
            raise BenchError("sts_put_body: %s" % r.stderr.strip())
        fig["bodies_seconds"] = time.perf_counter() - t0
        fig["store_mib"] = os.path.getsize(os.path.join(state, "data.mdb")) / 1048576
        runas = []
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "nobody:nogroup", tmp], check=True, timeout=600)
            runas = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        log = os.path.join(tmp, "httpsd.log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(runas + [httpsd, "--state", state, "--listen",
                                             "127.0.0.1:%d" % port, "--workers", str(WORKERS),
                                             "-c", conf],
                                    stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        benchlib.wait_ready(proc, "httpsd", lambda: benchlib.listening(port)() and
                            benchlib.listening(mport)(), READY_TIMEOUT, 0.1, log)
        time.sleep(1)
        fig["idle_start"] = memory(proc.pid)
        hostfile = os.path.join(tmp, "hosts")
        with open(hostfile, "w") as f:
            f.write("\n".join(names) + "\n")
        ctx.log("certs: one new connection per name, %d names" % n)
        t0 = time.perf_counter()
        r = subprocess.run([load, "-p", str(port), "-c", str(THREADS), "-d", "3600", "-m", "new",
                            "-b", policy, "-H", hostfile, "-n", str(n)],
                           capture_output=True, text=True, timeout=3600)
        fig["pass_seconds"] = time.perf_counter() - t0
        m = dict(kv.split("=") for kv in r.stdout.split())
        if r.returncode != 0 or int(m.get("requests", 0)) != n or int(m.get("errors", 1)):
            raise BenchError("https_load: %s %s" % (r.stdout.strip(), r.stderr.strip()[-500:]))
        fig["pass_rps"] = float(m["rps"])
        fig["hwm_after_pass"] = memory(proc.pid)["hwm_kib"]
        time.sleep(2)
        fig["idle_after"] = memory(proc.pid)
        t0 = time.perf_counter()
        fig["cache"] = scrape(mport)
        fig["first_scrape_seconds"] = time.perf_counter() - t0
        c = fig["cache"]
        if not c["page_complete"]:
            errors.append("GET /metrics ended after %d bytes (the page lists every "
                          "certificate)" % c["page_bytes"])
        want_ev = max(0, n - cache)
        if c.get("misses_total") != n or c.get("evictions_total") != want_ev:
            errors.append("cache counters: %d misses (want %d), %d evictions (want %d)"
                          % (c.get("misses_total", -1), n, c.get("evictions_total", -1), want_ev))
        if n > cache + PROBES:
            ctx.log("certs: %d handshakes for cached names, %d for evicted ones" % (PROBES,
                                                                                  PROBES))
            hot, cold = probe(port, os.path.join(state, "demo-ca", "ca.pem"),
                              names[-min(cache, PROBES):], names[:PROBES])
            fig["handshake_ms_cached"], fig["handshake_ms_evicted"] = hot, cold
        rss_mib = fig["idle_after"]["rss_kib"] / 1024
        fig["goal_met"] = rss_mib < GOAL_MIB
    except (BenchError, OSError, subprocess.SubprocessError, ValueError,
            http.client.HTTPException) as e:
        errors.append("%s: %s" % (type(e).__name__, e))
    finally:
        if proc is not None:
            benchlib.kill_process(proc)
        benchlib.remove_tree(tmp)

    result["figures"] = fig
    rows = []
    if "idle_after" in fig:
        mib = benchlib.kib_to_mib
        a, s = fig["idle_after"], fig["idle_start"]
        for label, x in (("start, idle", s), ("after every name once, idle", a)):
            rows.append([label, mib(x["rss_kib"]), mib(x["anon_kib"]), mib(x["file_kib"]),
                         mib(x["store_kib"]) if x["store_kib"] is not None else None,
                         mib(x["hwm_kib"])])
    notes = ["%d names, one certificate each (one shared P-256 key, see the module's doc), "
             "cert-cache %d, %d workers" % (n, cache, WORKERS)]
    if "pass_rps" in fig:
        notes.append("setup: certificates %.1f s, policy bodies %.1f s (store %.1f MiB); the "
                     "pass: %.1f s, %.0f new TLS connections/s"
                     % (fig["cert_seconds"], fig["bodies_seconds"], fig["store_mib"],
                        fig["pass_seconds"], fig["pass_rps"]))
    if "first_scrape_seconds" in fig:
        notes.append("first GET /metrics (lists and checks every certificate for "
                     "httpsd_certificate_expiry_seconds, on httpsd's main loop): %.1f s"
                     % fig["first_scrape_seconds"])
    if "cache" in fig:
        notes.append("cache counters: " + ", ".join("%s %d" % kv for kv in sorted(
            fig["cache"].items())))
    if "handshake_ms_cached" in fig:
        notes.append("full handshake (client side, median of %d): cached name %.2f ms, evicted "
                     "name %.2f ms" % (PROBES, fig["handshake_ms_cached"],
                                       fig["handshake_ms_evicted"]))
    if "goal_met" in fig:
        notes.append("goal: RSS idle after every name under %d MiB: %s; file-backed pages are "
                     "mostly the store's map (data.mdb, clean page cache shared with every "
                     "reader), anon is httpsd's own heap (the cache, TLS state)"
                     % (GOAL_MIB, "met" if fig["goal_met"] else "NOT met"))
    result["table"] = {"columns": ["httpsd", "RSS MiB", "anon MiB", "file MiB",
                                   "of it the store MiB", "HWM MiB"],
                       "rows": rows, "notes": notes}
    result["ok"] = not errors
    result["errors"] = errors
    return result
