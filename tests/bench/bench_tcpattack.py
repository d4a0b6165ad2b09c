"""Well-behaved TCP clients while slow ones hold the table (issue 15, Abuse): dnsd vs NSD vs Knot.

Each server, alone on the machine with one worker (bench_dns's configurations: dnsd
`--workers 1` with its defaults, NSD `server-count: 1`, Knot one UDP and one TCP worker),
serves bench_dns's zone. First 40 new clients, one after the other, each a fresh TCP
connection with a 2 s budget, measure the quiet baseline. Then the attack (tcp_dribble.py):
1,000 connections from 10 addresses, each sending a query every second dribbled over 0.1 s.
Once it has built up (its connections open and answered, or BUILD_UP seconds), 40 new clients
again, from addresses of their own. Reported per server: the answered fraction and the
latency (p50, p95, max of those answered), quiet and under attack, and how many attackers were
connected. Servers run in turn, RUNS rounds; the tables give every round's figures summed
(answered) and pooled (latency).
"""

import os
import subprocess
import time

import bench_dns
import benchlib
import dnsgen
from benchlib import BenchError
from tcp_dribble import DribbleAttack, tcp_client

NAME = "tcpattack"
DESCRIPTION = "new TCP clients answered (and latency) while 1,000 slow clients hold the table"

SERVERS = ("dnsd", "nsd", "knot")
ATTACKERS = ["127.0.30.%d" % i for i in range(1, 11)]
PER_ADDRESS = 100
CLIENTS = 40
CLIENT_TIMEOUT = 2.0      # seconds, as kdig +tcp +timeout=2 in the issue
BUILD_UP = 30             # seconds the attack may take to fill the table
ATTACK_LIMIT = 120        # seconds: an attack ends by then whatever happens
NAMES = 1000
RUNS = 1
QNAME = "h1." + dnsgen.ORIGIN


def _clients(port, prefix, wire):
    """CLIENTS new clients from prefix.1 .. prefix.CLIENTS: (answered, [latency s answered])."""
    ok, lat = 0, []
    for i in range(CLIENTS):
        answered, secs, msg = tcp_client(port, "%s.%d" % (prefix, i + 1), wire, CLIENT_TIMEOUT)
        hdr = benchlib.parse_header(msg) if msg else None
        if answered and benchlib.is_authoritative_answer(hdr):
            ok += 1
            lat.append(secs)
    return ok, lat


def _pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def _one(ctx, server, data, tmp, round_no):
    sdir = os.path.join(tmp, "%s-%d" % (server, round_no))
    os.mkdir(sdir)
    port = benchlib.free_port()
    log_path = os.path.join(sdir, "server.log")
    argv, _info = bench_dns.prepare(ctx, server, "1zone", data, sdir, port, ctx.log)
    wire = benchlib.build_query(0x1234, QNAME, benchlib.TYPE_A)
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                cwd=sdir, start_new_session=True)
    attack = None
    try:
        bench_dns.wait_ready(proc, port, [dnsgen.ORIGIN], time.monotonic() + 60, log_path,
                             server)
        quiet_ok, quiet_lat = _clients(port, "127.0.33", wire)
        attack = DribbleAttack(port, ATTACKERS, PER_ADDRESS, wire, ATTACK_LIMIT).start()
        built = benchlib.wait_until(lambda: attack.connected >= 950 and attack.answers >= 1000,
                                    BUILD_UP, step=0.2)
        held = attack.connected
        t0 = time.monotonic()
        ok, lat = _clients(port, "127.0.32", wire)
        took = time.monotonic() - t0
        still = attack.connected
        answers0 = attack.answers
        time.sleep(1)
        attack_qps = attack.answers - answers0
        if proc.poll() is not None:
            raise BenchError("%s exited with %s under the attack; log:\n%s"
                             % (server, proc.returncode, benchlib.tail(log_path, 3000)))
    finally:
        if attack is not None:
            attack.stop()
        bench_dns.stop(server, proc, sdir)
    ctx.log("tcpattack: %s round %d: quiet %d/%d, attack %d/%d (attackers connected %d, then "
            "%d; %d attacker answers in 1 s; built up: %s; %.1f s for the clients)"
            % (server, round_no + 1, quiet_ok, CLIENTS, ok, CLIENTS, held, still, attack_qps,
               bool(built), took))
    return {"quiet_ok": quiet_ok, "quiet_lat": quiet_lat, "ok": ok, "lat": lat,
            "attackers_connected": held, "attackers_after": still,
            "attacker_answers_per_s": attack_qps, "built_up": bool(built)}


def run(ctx):
    result = {"name": NAME, "ok": False, "errors": []}
    servers = [s for s in SERVERS if bench_dns.missing(ctx, s) is None]
    for s in SERVERS:
        why = bench_dns.missing(ctx, s)
        if why:
            result["errors"].append(why)
    if "dnsd" not in servers:
        return result
    tmp = benchlib.make_tempdir("lockstep-bench-tcpattack-")
    per = {s: [] for s in servers}
    try:
        d1 = os.path.join(tmp, "zone")
        os.mkdir(d1)
        zfile = os.path.join(d1, "bench.example.zone")
        counts = dnsgen.generate_zone(zfile, NAMES)
        data = {"zones": [(dnsgen.ORIGIN, zfile)], "zonesdir": d1,
                "records": counts["records"]}
        for i in range(max(1, min(ctx.runs, RUNS))):
            for s in servers:
                per[s].append(_one(ctx, s, data, tmp, i))
    except (BenchError, OSError, subprocess.SubprocessError) as e:
        result["errors"].append(str(e))
        return result
    finally:
        benchlib.remove_tree(tmp)
    rows, summary = [], {}
    for s in servers:
        rs = per[s]
        n = CLIENTS * len(rs)
        quiet = [x for r in rs for x in r["quiet_lat"]]
        lat = [x for r in rs for x in r["lat"]]
        m = {"answered": sum(r["ok"] for r in rs), "clients": n,
             "quiet_answered": sum(r["quiet_ok"] for r in rs),
             "quiet_p50_ms": _ms(_pct(quiet, 50)), "p50_ms": _ms(_pct(lat, 50)),
             "p95_ms": _ms(_pct(lat, 95)), "max_ms": _ms(max(lat) if lat else None),
             "attackers_connected": min(r["attackers_connected"] for r in rs),
             "attacker_answers_per_s": benchlib.median([r["attacker_answers_per_s"]
                                                        for r in rs])}
        summary[s] = m
        rows.append([s, "%d/%d" % (m["quiet_answered"], n), m["quiet_p50_ms"],
                     "%d/%d" % (m["answered"], n), m["p50_ms"], m["p95_ms"], m["max_ms"],
                     m["attackers_connected"], m["attacker_answers_per_s"]])
    result.update(ok=True, servers=summary, rounds=len(per["dnsd"]), runs=len(per["dnsd"]),
                  records=counts["records"],
                  table={"columns": ["server", "quiet answered", "quiet p50 ms",
                                     "attack answered", "p50 ms", "p95 ms", "max ms",
                                     "attackers open", "attacker answers/s"],
                         "rows": rows,
                         "notes": ["one worker each; %d new clients, %.0f s budget each; "
                                   "attack: %d connections from %d addresses"
                                   % (CLIENTS, CLIENT_TIMEOUT, PER_ADDRESS * len(ATTACKERS),
                                      len(ATTACKERS))]},
                  headline={"dnsd_answered_pct": 100.0 * summary["dnsd"]["answered"] /
                            summary["dnsd"]["clients"]})
    return result


def _ms(s):
    return None if s is None else round(s * 1000.0, 1)
