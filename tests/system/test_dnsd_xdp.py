"""dnsd.xdp-listen: plain queries read and answered through AF_XDP, the rest through the kernel.

AF_XDP needs an interface with XDP: the test builds two network namespaces joined by a veth
pair (netns_helpers), runs dnsd in the servers' namespace with xdp-listen on its end of the
pair, and asks from the other namespace as a client on the network would. veth has native
XDP (copy mode), so the program runs in the driver's hook, as on a NIC. Needs root (or sudo
without a password); without it the tests fail and say so.
"""

import json
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import dns.message
import dns.rcode
import dns.update

from conftest import BUILD
from dnsd_helpers import EXAMPLE_ZONES, check_dnsd_binary, dnsd_counters
from netns_helpers import SERVER_IP, SERVER_IP6, Netns, netns, run, wait_for  # noqa: F401
from proc_helpers import as_root_config, cpu_seconds

# Queries sent to a server by a client in a namespace: [name, type, edns, dnssec, id] each;
# prints each answer's wire bytes in hex as JSON (null when none came within 2 s).
CLIENT = r'''
import json, socket, sys
import dns.message
server, port = sys.argv[1], int(sys.argv[2])
out = []
for name, qtype, edns, do, qid in json.loads(sys.argv[3]):
    q = dns.message.make_query(name, qtype, use_edns=0 if edns else None, want_dnssec=do)
    q.id = qid
    s = socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q.to_wire(), (server, port))
    try:
        out.append(s.recv(65535).hex())
    except socket.timeout:
        out.append(None)
    s.close()
print(json.dumps(out))
'''

QUERIES = [
    ["www.example.com.", "A", False, False, 1],
    ["www.example.com.", "AAAA", True, False, 2],
    ["example.com.", "MX", True, False, 3],
    ["_sip._tcp.example.com.", "SRV", True, True, 4],
    ["nothing.example.com.", "A", True, False, 5],       # NXDOMAIN with the SOA
    ["www.example.org.", "A", False, False, 6],          # REFUSED: not our zone
    ["example.com.", "ANY", False, False, 7],
    ["www.sub2.example.com.", "TXT", True, False, 8],
]


def ask(netns, ns, server, queries=QUERIES, port=53):
    p = run(netns.exec_argv(ns, ["/usr/bin/python3", "-c", CLIENT, server, str(port),
                                 json.dumps(queries)]))
    return [bytes.fromhex(h) if h else None for h in json.loads(p.stdout)]


def start_dnsd(netns, zc, tmp_path, xdp=True, extra=""):
    """dnsd in the servers' namespace on its addresses and loopback, xdp-listen on the veth."""
    check_dnsd_binary()
    for z in EXAMPLE_ZONES:
        zc.ok("zone", "import", z)
    conf = tmp_path / "dnsd.conf"
    text = "dnsd:\n  workers: 2\n  rrl-rate: 0\n  cookies: no\n" + extra
    if xdp:
        text += "  xdp-listen: %s@53\n" % netns.veth_s
    conf.write_text(as_root_config(text, "dnsd"))
    log = tmp_path / ("dnsd-%d.log" % len(netns.procs))
    p = netns.start(netns.srv, [BUILD / "dnsd", "-c", conf, "--state", zc.state,
                                "--listen", SERVER_IP + ":53", "--listen", "[%s]:53" % SERVER_IP6,
                                "--listen", "127.0.0.1:53", "--listen", "[::1]:53"], log)
    wait_for("dnsd ready", lambda: "dnsd: ready" in log.read_text() or p.poll() is not None,
             (log,))
    assert p.poll() is None, log.read_text()
    return p, log


def xdp_attached(netns):
    return netns.ip("-n", netns.srv, "link", "show", netns.veth_s).stdout


def test_answers_through_xdp_are_the_socket_path_answers(netns, zc, tmp_path):
    _, log = start_dnsd(netns, zc, tmp_path)
    link = xdp_attached(netns)
    assert "prog/xdp" in link and "xdpgeneric" not in link, link     # native, veth's driver
    assert "xdp: %s@53, 1 queue" % netns.veth_s in log.read_text()
    before = dnsd_counters(zc.state).get("udp.xdp", 0)
    over_xdp4 = ask(netns, netns.snd, SERVER_IP)
    over_xdp6 = ask(netns, netns.snd, SERVER_IP6)
    # The same queries through the kernel and dnsd's sockets: loopback has no XDP program.
    over_sockets4 = ask(netns, netns.srv, "127.0.0.1")
    over_sockets6 = ask(netns, netns.srv, "::1")
    for q, a, b in zip(QUERIES, over_xdp4, over_sockets4):
        assert a is not None, "no answer over XDP (IPv4) to %s" % q
        assert a == b, "%s: XDP and sockets differ:\n%s\n%s" % (q, a.hex(), b.hex())
    for q, a, b in zip(QUERIES, over_xdp6, over_sockets6):
        assert a is not None, "no answer over XDP (IPv6) to %s" % q
        assert a == b, "%s: XDP and sockets differ (IPv6)" % q
    assert dns.message.from_wire(over_xdp4[4]).rcode() == dns.rcode.NXDOMAIN
    assert dns.message.from_wire(over_xdp4[5]).rcode() == dns.rcode.REFUSED
    wait_for("udp.xdp counts the client's queries", lambda: dnsd_counters(zc.state).get(
        "udp.xdp", 0) - before == 2 * len(QUERIES), (log,))


def test_what_is_not_a_plain_query_reaches_the_kernel(netns, zc, tmp_path):
    """UPDATE, TCP, ICMP and other ports go past the program to the kernel and its sockets."""
    _, log = start_dnsd(netns, zc, tmp_path)
    wait_for("counters written", lambda: "udp.xdp" in dnsd_counters(zc.state), (log,))
    before = dnsd_counters(zc.state)
    run(netns.exec_argv(netns.snd, ["ping", "-c", "1", "-W", "2", SERVER_IP]))
    # TCP: dig through the kernel's TCP, to dnsd's TCP socket.
    out = run(netns.exec_argv(netns.snd, ["dig", "+tcp", "+short", "+tries=1", "+time=2",
                                          "@" + SERVER_IP, "www.example.com", "A"])).stdout
    assert "192.0.2.80" in out
    # An UPDATE (opcode 5) is the kernel's: dnsd's UDP socket gets it and answers REFUSED.
    up = dns.update.UpdateMessage("example.com.")
    up.add("new.example.com.", 300, "A", "192.0.2.99")
    script = ("import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
              "s.settimeout(2); s.sendto(bytes.fromhex(sys.argv[1]), ('%s', 53));"
              "print(s.recv(65535).hex())" % SERVER_IP)
    got = run(netns.exec_argv(netns.snd, ["/usr/bin/python3", "-c", script,
                                          up.to_wire().hex()])).stdout.strip()
    assert dns.message.from_wire(bytes.fromhex(got)).rcode() == dns.rcode.REFUSED
    # Another UDP port on the same interface: a server of its own still gets its datagrams.
    echo = ("import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
            "s.bind(('%s', 5300)); d,a=s.recvfrom(100); s.sendto(d, a)" % SERVER_IP)
    e = netns.start(netns.srv, ["/usr/bin/python3", "-c", echo], tmp_path / "echo.log")
    send = ("import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
            "s.settimeout(0.5)\nfor i in range(20):\n  s.sendto(b'ping', ('%s', 5300))\n"
            "  try: print(s.recv(100).decode()); break\n  except socket.timeout: pass"
            % SERVER_IP)
    assert "ping" in run(netns.exec_argv(netns.snd, ["/usr/bin/python3", "-c", send])).stdout
    e.wait(5)
    wait_for("counters written", lambda: dnsd_counters(zc.state) != before, (log,))
    after = dnsd_counters(zc.state)
    assert after.get("udp.xdp", 0) == before.get("udp.xdp", 0), "UPDATE or TCP went through XDP"
    assert after.get("update.refused", 0) == before.get("update.refused", 0) + 1
    assert after.get("queries.tcp", 0) == before.get("queries.tcp", 0) + 1


# Sends N queries from one socket at once, then reads answers for up to 3 s: prints the ids.
BURST = r'''
import socket, sys, time
import dns.message
server, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
for i in range(n):
    q = dns.message.make_query("www.example.com.", "A")
    q.id = i
    s.sendto(q.to_wire(), (server, 53))
print("sent", flush=True)
got, end = set(), time.monotonic() + 3
while len(got) < n and time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        got.add(dns.message.from_wire(s.recv(65535)).id)
    except socket.timeout:
        break
print(" ".join(map(str, sorted(got))))
'''


def test_a_burst_is_answered_whole(netns, zc, tmp_path):
    """Queries queued while dnsd cannot read (stopped) come in whole batches of 64: every
    answer goes out, though the kernel sends at most 32 frames a call in copy mode."""
    p, log = start_dnsd(netns, zc, tmp_path)
    n = 200
    p.send_signal(signal.SIGSTOP)
    try:
        c = subprocess.Popen(netns.exec_argv(netns.snd, ["/usr/bin/python3", "-c", BURST,
                                                         SERVER_IP, str(n)]),
                             stdout=subprocess.PIPE, text=True)
        assert c.stdout.readline().strip() == "sent"
        time.sleep(0.3)                      # the frames wait in the receive ring
    finally:
        p.send_signal(signal.SIGCONT)
    out, _ = c.communicate(timeout=10)
    got = set(map(int, out.split()))
    assert got == set(range(n)), "%d of %d answered; missing: %s" % (
        len(got), n, sorted(set(range(n)) - got)[:20])


def test_two_queues_two_workers(zc, tmp_path):
    """A socket per receive queue, a queue per worker: with two queues, queries from many
    source ports land on both, and every one is answered through XDP."""
    n = Netns(queues=2)
    try:
        n.up()
        _, log = start_dnsd(n, zc, tmp_path)
        assert "xdp: %s@53, 2 queues" % n.veth_s in log.read_text()
        before = dnsd_counters(zc.state).get("udp.xdp", 0)
        queries = [["www.example.com.", "A", False, False, i] for i in range(64)]
        answers = ask(n, n.snd, SERVER_IP, queries)      # a socket, so a source port, each
        assert all(a is not None for a in answers)
        assert all(dns.message.from_wire(a).id == i for i, a in enumerate(answers))
        stats = run(n.exec_argv(n.srv, ["ethtool", "-S", n.veth_s])).stdout
        per_queue = [int(line.split(":")[1]) for line in stats.splitlines()
                     if "_xdp_redirect:" in line and "rx_queue_" in line]
        assert len(per_queue) == 2 and all(c > 0 for c in per_queue), stats
        wait_for("udp.xdp counts them", lambda: dnsd_counters(zc.state).get("udp.xdp", 0) -
                 before == len(queries), (log,))
    finally:
        n.down()


def test_killed_dnsd_leaves_no_program_and_a_new_one_attaches(netns, zc, tmp_path):
    p, log = start_dnsd(netns, zc, tmp_path)
    assert "prog/xdp" in xdp_attached(netns)
    p.send_signal(signal.SIGKILL)      # sudo's child: kill the dnsd itself by its PID
    run(netns.su + ["pkill", "-KILL", "-f", "^%s -c %s" % (BUILD / "dnsd", tmp_path / "dnsd.conf")],
        check=False)
    p.wait(10)
    wait_for("the program detached with dnsd's last file", lambda: "prog/xdp" not in
             xdp_attached(netns), (log,))
    # With the program gone, the kernel answers the port again: dnsd's sockets are gone too.
    assert ask(netns, netns.snd, SERVER_IP, QUERIES[:1]) == [None]
    _, log2 = start_dnsd(netns, zc, tmp_path)
    assert ask(netns, netns.snd, SERVER_IP, QUERIES[:1])[0] is not None, log2.read_text()


def test_restart_at_once_gets_the_queue(netns, zc, tmp_path):
    """A stopped dnsd's socket frees its queue a moment after the process is gone; a dnsd
    started at once waits for it instead of failing (systemctl restart)."""
    for i in range(3):
        p, log = start_dnsd(netns, zc, tmp_path)
        assert ask(netns, netns.snd, SERVER_IP, QUERIES[:1])[0] is not None, log.read_text()
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0, log.read_text()


def test_unit_capabilities_are_dropped_after_the_setup(netns, zc, tmp_path):
    """As under systemd with the operator guide's drop-in: started as a plain user with the
    capabilities XDP needs as ambient ones, dnsd sets up the sockets and keeps only
    CAP_NET_BIND_SERVICE once it serves."""
    check_dnsd_binary()
    for z in EXAMPLE_ZONES:
        zc.ok("zone", "import", z)
    # pytest's directories are root's alone (0700): the plain user's files go elsewhere.
    home = Path(tempfile.mkdtemp(prefix="lockstep-xdp-"))
    try:
        home.chmod(0o755)
        state = home / "state"
        shutil.copytree(zc.state, state)
        conf = home / "unit.conf"
        conf.write_text("dnsd:\n  workers: 1\n  xdp-listen: %s@53\n" % netns.veth_s)
        run(["chown", "-R", "nobody:nogroup", str(home)])
        caps = "-all,+net_bind_service,+net_admin,+net_raw,+bpf,+ipc_lock"
        log = tmp_path / "unit.log"
        p = netns.start(netns.srv, ["setpriv", "--reuid=nobody", "--regid=nogroup",
                                    "--clear-groups", "--inh-caps=" + caps,
                                    "--ambient-caps=" + caps, "--bounding-set=" + caps,
                                    BUILD / "dnsd", "-c", conf, "--state", state,
                                    "--listen", SERVER_IP + ":53"], log)
        wait_for("dnsd ready", lambda: "dnsd: ready" in log.read_text() or
                 p.poll() is not None, (log,))
        assert p.poll() is None, log.read_text()
        assert ask(netns, netns.snd, SERVER_IP, QUERIES[:1])[0] is not None
        assert "xdp: %s@53" % netns.veth_s in log.read_text()
        status = (Path("/proc") / str(p.pid) / "status").read_text()
        caps_now = {k: int(v, 16) for k, v in (line.split(":\t") for line in
                                                status.splitlines() if line.startswith("Cap"))}
        bind_only = 1 << 10                   # CAP_NET_BIND_SERVICE
        assert caps_now["CapEff"] == bind_only and caps_now["CapPrm"] == bind_only, caps_now
        # The bounding set needs CAP_SETPCAP to shrink (systemd's unit sets it): with no new
        # privileges and nothing else permitted, what stays in it can never be taken up.
        assert caps_now["CapAmb"] == 0 and caps_now["CapInh"] == 0, caps_now
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0, log.read_text()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_second_dnsd_cannot_take_the_interface(netns, zc, tmp_path):
    """The interface has one XDP program: a second dnsd says so and exits 1; the first serves."""
    start_dnsd(netns, zc, tmp_path)
    conf = tmp_path / "second.conf"
    conf.write_text(as_root_config("dnsd:\n  xdp-listen: %s@53\n" % netns.veth_s, "dnsd"))
    state = tmp_path / "second-state"
    (tmp_path / "z2").mkdir()
    zc2 = zc.__class__(tmp_path / "z2", state=state)
    zc2.ok("zone", "import", EXAMPLE_ZONES[0])
    p = run(netns.exec_argv(netns.srv, [BUILD / "dnsd", "-c", conf, "--state", state,
                                        "--listen", "127.0.0.2:53"]), check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "another AF_XDP socket's" in p.stderr, p.stderr
    assert ask(netns, netns.snd, SERVER_IP, QUERIES[:1])[0] is not None


def test_bad_xdp_listen_is_refused(zc, tmp_path):
    """The value's form is checked with the file (dnsd -n); an interface that is not there
    stops the start with its name. Neither needs a namespace."""
    check_dnsd_binary()
    conf = tmp_path / "bad.conf"
    conf.write_text("dnsd:\n  xdp-listen: eth0\n")
    p = run([str(BUILD / "dnsd"), "-n", "-c", str(conf)], check=False)
    assert p.returncode == 1
    assert "%s:2" % conf in p.stderr and "eth0@53" in p.stderr, p.stderr
    conf.write_text(as_root_config("dnsd:\n  xdp-listen: lsnosuch0@53\n", "dnsd"))
    zc.ok("zone", "import", EXAMPLE_ZONES[0])
    p = run([str(BUILD / "dnsd"), "-c", str(conf), "--state", str(zc.state),
             "--listen", "127.0.0.1:0"], check=False)
    assert p.returncode == 1
    assert "no interface lsnosuch0" in p.stderr, p.stderr


def test_interface_down_up_and_gone(netns, zc, tmp_path):
    """Down and up again: the program and sockets stay, and answers resume. Deleted: dnsd
    says so once, keeps answering through its sockets, and does not spin on the dead ones."""
    p, log = start_dnsd(netns, zc, tmp_path, extra="  metrics-listen: 127.0.0.1:9153\n")

    def queues():
        page = run(netns.exec_argv(netns.srv, ["curl", "-sf", "http://127.0.0.1:9153/metrics"]))
        return [line.split()[1] for line in page.stdout.splitlines()
                if line.startswith("dnsd_xdp_queues ")]

    assert queues() == ["1"]
    assert ask(netns, netns.snd, SERVER_IP, QUERIES[:1])[0] is not None
    netns.ip("-n", netns.srv, "link", "set", netns.veth_s, "down")
    time.sleep(0.5)
    netns.ip("-n", netns.srv, "link", "set", netns.veth_s, "up")
    before = dnsd_counters(zc.state).get("udp.xdp", 0)
    wait_for("an answer through XDP after down and up", lambda: ask(
        netns, netns.snd, SERVER_IP, QUERIES[:1])[0] is not None, (log,))
    wait_for("udp.xdp counts it", lambda: dnsd_counters(zc.state).get("udp.xdp", 0) > before,
             (log,))
    assert "is gone" not in log.read_text()
    netns.ip("-n", netns.srv, "link", "del", netns.veth_s)
    wait_for("the loss logged", lambda: "xdp: interface %s is gone" % netns.veth_s
             in log.read_text(), (log,))
    c0 = cpu_seconds(p.pid)
    time.sleep(2)
    used = cpu_seconds(p.pid) - c0
    assert used < 0.5, "dnsd used %.2f s of CPU in 2 s with its interface gone" % used
    assert ask(netns, netns.srv, "127.0.0.1", QUERIES[:1])[0] is not None
    assert log.read_text().count("is gone") == 1
    assert queues() == ["0"]
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0, log.read_text()
