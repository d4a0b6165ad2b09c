"""zonectl watch against a foreign world (foreign_world.py): drift between two runs becomes
exactly one event at a webhook receiver of the test and at a command hook, and one "resolved"
when undone; dnsd sends an mx-changed event naming the Unix user that changed an MX; the
guarded enforce; watch add/list/history/del and their refusals."""

import calendar
import http.server
import json
import os
import pwd
import ssl
import threading
import time

import pytest

from conftest import EXIT_NOTFOUND, EXIT_OK, EXIT_USAGE, ZONES_DIR
from dnsd_helpers import start_dnsd
import foreign_world
from foreign_world import ID, Domain, World, policy
from proc_helpers import HOST4, free_port, started
from sts_helpers import sts_factory  # noqa: F401  (fixture)

EXIT_WARN, EXIT_ERROR, EXIT_CONFLICT = 6, 7, 4
EVENT_KEYS = {"domain", "code", "level", "state", "before", "after", "time"}


class Receiver:
    """A webhook receiver on 127.0.0.1: every POSTed JSON body, in order."""

    def __init__(self, tls=None):
        self.events = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.events.append((self.headers.get("Content-Type"), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer((HOST4, free_port()), Handler)
        self.url = "http://%s:%d/hook" % (HOST4, self.server.server_address[1])
        if tls:     # (cert, key) for the name localhost
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.url = "https://localhost:%d/hook" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take(self):
        """The events received since the last take."""
        with self.lock:
            out, self.events = self.events, []
        for ctype, e in out:
            assert ctype == "application/json"
            assert EVENT_KEYS <= set(e), e
        return [e for _, e in out]

    def wait(self, keep, timeout, count=1):
        """The events keep(event) accepts, once count of them came or timeout seconds
        passed (bounded: the machine may be loaded)."""
        deadline = time.monotonic() + timeout
        got = []
        while time.monotonic() < deadline and len(got) < count:
            got += [e for e in self.take() if keep(e)]
            time.sleep(0.2)
        return got

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def hook_config(zc, receiver, tmp_path, extra=""):
    """alerts: to the receiver and to a command that appends its stdin to a file."""
    got = tmp_path / "command-events"
    script = tmp_path / "hook.sh"
    script.write_text("#!/bin/sh\n{ cat; echo; } >> '%s'\n" % got)
    script.chmod(0o755)
    zc.config.write_text("alerts:\n  webhook: %s\n  command: %s\n  timeout: 10\n%s"
                         % (receiver.url, script, extra))
    return got


def command_events(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def brief(events):
    return [(e["code"], e["state"]) for e in events]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("watch"))
    for label in ("drift", "mode", "gone"):
        w.add(Domain(label))
    with w.running():
        yield w


def run(zc, world, label, want=0):
    r = zc("watch", "run", world.name(label), timeout=120)
    assert r.rc == want, "exit %d (want %d)\n%s%s" % (r.rc, want, r.out, r.err)
    return r


def test_drift_events_reach_the_hooks(zc, world, receiver, tmp_path):
    got = hook_config(zc, receiver, tmp_path)
    for label in ("drift", "mode", "gone"):
        zc.ok("watch", "add", world.name(label), "--every", "5", *world.check_args())
    listed = {d["domain"]: d for d in zc.json("watch", "list")["domains"]}
    assert set(listed) == {world.name(x) for x in ("drift", "mode", "gone")}
    assert all(d["every"] == 5 and d["last"] is None for d in listed.values()), listed
    for label in ("drift", "mode", "gone"):
        run(zc, world, label)
    assert receiver.take() == [], "a clean first run sends nothing"

    # The policy changes, its id does not: one error event, and one resolved when undone.
    mx = ["mx.%s" % world.name("drift")]
    world.domains["drift"].body = policy(mx=mx + ["*.%s" % world.name("drift")])
    world.write()
    run(zc, world, "drift")
    ev = receiver.take()
    assert brief(ev) == [("policy-changed-id-unchanged", "open")], ev
    assert ev[0]["level"] == "error" and ev[0]["domain"] == world.name("drift")
    assert ev[0]["before"] != ev[0]["after"]
    run(zc, world, "drift")
    assert receiver.take() == [], "an open problem is not sent again within a day"
    world.domains["drift"].body = None
    world.write()
    run(zc, world, "drift")
    ev = receiver.take()
    assert brief(ev) == [("policy-changed-id-unchanged", "resolved")], ev

    # enforce rolled back to testing (with a new id, as it should be): one warn event.
    d = world.domains["mode"]
    d.txt = ["v=STSv1; id=20240102000000;"]
    d.body = policy(mode="testing", mx=["mx.%s" % world.name("mode")])
    world.write()
    run(zc, world, "mode")
    ev = receiver.take()
    assert brief(ev) == [("mode-rollback", "once")], ev
    assert (ev[0]["level"], ev[0]["before"], ev[0]["after"]) == ("warn", "enforce", "testing")
    d.txt = ["v=STSv1; id=20240103000000;"]
    d.body = None
    world.write()
    run(zc, world, "mode")
    assert receiver.take() == [], "going back to enforce is no event (mode-rollback is once)"

    # The policy host goes from the DNS while the TXT stays: one event carrying the fetch code.
    world.domains["gone"].sts_addr = None
    world.write()
    run(zc, world, "gone", want=EXIT_ERROR)
    ev = receiver.take()
    assert brief(ev) == [("policy-unreachable-txt-present", "open")], ev
    assert ev[0]["level"] == "error" and "policy-fetch-dns" in ev[0]["detail"], ev
    assert ev[0]["after"] == ID
    run(zc, world, "gone", want=EXIT_ERROR)
    assert receiver.take() == []
    world.domains["gone"].sts_addr = HOST4
    world.write()
    run(zc, world, "gone")
    ev = receiver.take()
    assert brief(ev) == [("policy-unreachable-txt-present", "resolved")], ev

    # The command hook saw the same events, each JSON object on its standard input.
    cmd = command_events(got)
    assert brief(cmd) == [("policy-changed-id-unchanged", "open"),
                          ("policy-changed-id-unchanged", "resolved"), ("mode-rollback", "once"),
                          ("policy-unreachable-txt-present", "open"),
                          ("policy-unreachable-txt-present", "resolved")], cmd

    # The history keeps every run, with the events it sent.
    hist = zc.json("watch", "history", world.name("gone"))
    assert hist["domain"] == world.name("gone")
    rows = hist["results"]
    assert len(rows) == 4 and [r["fetched"] for r in rows] == [True, False, False, True], rows
    assert rows[1]["events"] == ["policy-unreachable-txt-present open"]
    assert {c["code"] for c in rows[1]["codes"]} >= {"policy-fetch-dns"}
    assert rows[3]["id"] == ID and rows[3]["mode"] == "enforce" and rows[3]["max_age"] == 604800
    text = zc.ok("watch", "history", world.name("gone")).out
    assert "event policy-unreachable-txt-present resolved" in text


def test_watch_add_list_del_and_refusals(zc, tmp_path):
    before = zc("watch", "list")
    assert before.rc in (EXIT_OK, EXIT_NOTFOUND)
    for bad in (["--every", "0"], ["--every", "10081"], ["--every", "x"],
                ["--connect-to", "nonsense"], ["--ca", "relative.pem"], ["--timeout", "0"],
                ["--resolver", "not-an-address"], ["--resolver", "127.0.0.1:99999"]):
        r = zc("watch", "add", "example.org", *bad)
        assert r.rc == EXIT_USAGE, (bad, r)
    r = zc("watch", "add", "not a name")
    assert r.rc == EXIT_USAGE
    r = zc("watch", "add", "example.org", "--ca", str(tmp_path / "missing.pem"))
    assert r.rc == EXIT_NOTFOUND and "missing.pem" in r.err, r
    assert not zc.state.exists() or zc.json("watch", "list")["domains"] == [], \
        "a refused add changes nothing"
    zc.ok("watch", "add", "Example.ORG.", "--every", "1")
    ls = zc.json("watch", "list")["domains"]
    assert [(d["domain"], d["every"]) for d in ls] == [("example.org", 1)]
    # The first run is due within a minute.
    nxt = calendar.timegm(time.strptime(ls[0]["next"], "%Y-%m-%dT%H:%M:%SZ"))
    assert time.time() - 5 <= nxt <= time.time() + 61, ls
    zc.ok("watch", "add", "example.org", "--every", "30")
    assert zc.json("watch", "list")["domains"][0]["every"] == 30
    assert zc("watch", "history", "example.net").rc == EXIT_NOTFOUND
    assert zc("watch", "run", "example.net").rc == EXIT_NOTFOUND
    zc.ok("watch", "del", "example.org")
    assert zc.json("watch", "list")["domains"] == []
    assert zc("watch", "del", "example.org").rc == EXIT_NOTFOUND


def own_config(zc, receiver, extra=""):
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n"
                         "alerts:\n  webhook: %s\n"
                         "watch:\n  own: no\n  timeout: 5\n%s" % (receiver.url, extra))


def test_mx_change_names_the_unix_user(zc, receiver, tmp_path):
    own_config(zc, receiver)
    with started(tmp_path, "dnsd") as servers:
        start_dnsd(servers, zc, zones=[ZONES_DIR / "example.com.zone"], config=zc.config.read_text())
        zc.ok("mta-sts", "enable", "example.com", "--no-publish")
        before = [r for r in zc.export("example.com").splitlines() if "\tMX\t" in r]
        zc.ok("rr", "add", "example.com", "example.com. 300 IN MX 30 mx3.example.com.")
        ev = receiver.wait(lambda e: e["code"] == "mx-changed", 30)
        assert len(ev) == 1, "dnsd sent no mx-changed event within 30 s"
        e = ev[0]
        assert (e["domain"], e["level"], e["state"]) == ("example.com", "info", "once")
        user = pwd.getpwuid(os.getuid()).pw_name
        assert "rr add" in e["writer"] and e["writer"].endswith(" by user %s" % user), e
        assert "30 mx3.example.com." in e["after"] and "mx3" not in e["before"], e
        assert len(before) >= 1
        # An edit that leaves the MX set alone sends nothing.
        zc.ok("rr", "add", "example.com", "extra.example.com. 300 IN A 192.0.2.9")
        time.sleep(3)
        assert [x for x in receiver.take() if x["code"] == "mx-changed"] == []


def test_enforce_is_refused_on_check_errors(zc, receiver, tmp_path):
    own_config(zc, receiver)
    zc.ok("zone", "import", ZONES_DIR / "example.com.zone")
    zc.ok("mta-sts", "enable", "example.com", "--no-publish")
    before = zc.export("example.com")
    nobody = "%s:%d" % (HOST4, free_port())    # no resolver there: the TXT cannot be found
    r = zc("mta-sts", "mode", "example.com", "enforce", "--no-publish", "--resolver", nobody,
           timeout=60)
    assert r.rc == EXIT_CONFLICT, r
    assert "not switched to enforce" in r.err and "sts-txt-missing" in r.err, r.err
    assert zc.export("example.com") == before, "a refused switch changes nothing"
    r = zc("mta-sts", "mode", "example.com", "enforce", "--no-publish", "--resolver", nobody,
           "--force", timeout=60)
    assert r.rc == EXIT_OK, r
    assert "--force" in r.err
    assert zc.json("mta-sts", "status", "example.com")["domains"][0]["mode"] == "enforce"


@pytest.mark.long
def test_dnsd_runs_due_checks(zc, receiver, tmp_path):
    """A domain added with --every 1 is checked by dnsd within a minute of its addition, its
    events reach the webhook, and the next run is scheduled a minute (+ at most 10%) later."""
    zc.config.write_text("alerts:\n  webhook: %s\nwatch:\n  own: no\n" % receiver.url)
    nobody = "%s:%d" % (HOST4, free_port())     # no resolver: every record is missing
    zc.ok("watch", "add", "nowhere.example", "--every", "1", "--resolver", nobody,
          "--timeout", "3")
    added = time.time()
    with started(tmp_path, "dnsd") as servers:
        start_dnsd(servers, zc, zones=[ZONES_DIR / "example.com.zone"],
                   config=zc.config.read_text())
        # The first run within 60 s, due domains looked for every 5 s.
        ev = receiver.wait(lambda e: e["domain"] == "nowhere.example", 100)
        assert ev, "dnsd ran no check within 100 s"
        assert ("sts-txt-missing", "open") in brief(ev), ev
        assert time.time() - added < 100
        ls = zc.json("watch", "list")["domains"]
        assert len(ls) == 1 and ls[0]["status"] == "error", ls
        last = calendar.timegm(time.strptime(ls[0]["last"], "%Y-%m-%dT%H:%M:%SZ"))
        nxt = calendar.timegm(time.strptime(ls[0]["next"], "%Y-%m-%dT%H:%M:%SZ"))
        assert last + 60 <= nxt <= last + 66, ls
        assert len(zc.json("watch", "history", "nowhere.example")["results"]) >= 1


def test_https_webhook_is_verified(zc, tmp_path):
    """An https webhook gets the event when its certificate verifies against alerts.ca, and
    none when it does not (a warning names the webhook)."""
    ca = foreign_world.TestCA(tmp_path / "ca", "hook-ca")
    rogue = foreign_world.TestCA(tmp_path / "rogue", "rogue-ca")
    good = Receiver(tls=ca.leaf("hook", ["localhost"]))
    try:
        nobody = "%s:%d" % (HOST4, free_port())
        zc.config.write_text("alerts:\n  webhook: %s\n  ca: %s\n" % (good.url, ca.pem))
        zc.ok("watch", "add", "nowhere.example", "--resolver", nobody, "--timeout", "3")
        r = zc("watch", "run", "nowhere.example", timeout=60)
        assert r.rc == EXIT_ERROR, r
        assert ("sts-txt-missing", "open") in brief(good.take()), r.err
        zc.config.write_text("alerts:\n  webhook: %s\n  ca: %s\n" % (good.url, rogue.pem))
        zc.ok("watch", "del", "nowhere.example")
        zc.ok("watch", "add", "nowhere.example", "--resolver", nobody, "--timeout", "3")
        r = zc("watch", "run", "nowhere.example", timeout=60)
        assert r.rc == EXIT_ERROR, r
        assert good.take() == []
        assert "webhook %s failed" % good.url in r.err, r.err
        assert "certificate for localhost not trusted" in r.err, r.err
    finally:
        good.close()


def test_tlsrpt_alert_reaches_the_hooks(sts_factory, receiver):
    """dnsd's TLS-RPT alert (failures over tlsrpt.alert-percent) goes to the webhook too."""
    from test_tlsrpt import day, ingest, mail, microsoft
    e = sts_factory(extra_config="alerts:\n  webhook: %s\nwatch:\n  own: no\n" % receiver.url)
    e.zc.ok("mta-sts", "enable", "example.com")
    rc, err, _ = ingest(e.zc, mail(json.dumps(microsoft()).encode(), "tlsrpt+json"))
    assert rc == 0, err
    ev = receiver.wait(lambda x: x["code"] == "tlsrpt-failures", 30, count=2)
    assert {(x["domain"], x["level"], x["state"], x["after"]) for x in ev} == {
        ("example.com", "warn", "once", day())}, ev
    assert any("certificate-host-mismatch" in x["detail"] for x in ev), ev


def test_enabled_domains_are_watched_by_default(zc):
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n  enforce-check: no\n")
    zc.ok("zone", "import", ZONES_DIR / "example.com.zone")
    zc.ok("mta-sts", "enable", "example.com", "--no-publish")
    ls = zc.json("watch", "list")["domains"]
    assert [(d["domain"], d["implicit"], d["every"]) for d in ls] == [("example.com", True, 60)]
    zc.ok("watch", "del", "example.com")
    assert zc.json("watch", "list")["domains"] == []
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\nwatch:\n  own: no\n")
    zc.ok("watch", "add", "example.com", "--every", "2")
    assert [d["implicit"] for d in zc.json("watch", "list")["domains"]] == [False]


def test_mx_change_by_update_names_the_key(sts_factory, receiver):
    """An MX added by DNS UPDATE (nsupdate, TSIG key upd) sends mx-changed naming the key."""
    from test_dns_update import send, updater
    e = sts_factory(extra_config="alerts:\n  webhook: %s\nwatch:\n  own: no\n" % receiver.url)
    e.zc.ok("mta-sts", "enable", "example.com")
    secret = updater(e)
    rc, out = send(e, ["update add example.com. 3600 MX 30 mx3.example.com."], "upd", secret)
    assert rc == 0, out
    ev = receiver.wait(lambda x: x["code"] == "mx-changed", 30)
    assert len(ev) == 1, "no mx-changed event within 30 s"
    assert ev[0]["writer"] == "update by key upd from 127.0.0.1", ev
    assert "30 mx3.example.com." in ev[0]["after"], ev


def test_dnsd_stops_during_a_check(zc, tmp_path):
    """SIGTERM while a watch check waits on a resolver that never answers: the watcher
    cancels the check, which ends its DNS wait, and dnsd exits 0 the ordinary way (no
    abandoned thread, no _exit; under the sanitizer build a leak would fail the exit code)."""
    import socket
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((HOST4, 0))
    silent.settimeout(100)      # the first run comes within 60 s, looked for every 5 s
    try:
        zc.config.write_text("watch:\n  own: no\n")
        zc.ok("watch", "add", "hang.example", "--every", "1", "--timeout", "60",
              "--resolver", "%s:%d" % (HOST4, silent.getsockname()[1]))
        with started(tmp_path, "dnsd") as servers:
            d = start_dnsd(servers, zc, zones=[ZONES_DIR / "example.com.zone"],
                           config=zc.config.read_text())
            silent.recvfrom(4096)       # the check asks; nobody answers
            silent.recvfrom(4096)       # it asks again: a cancellable wait, in slices
            rc, elapsed, killed = d.terminate()
            assert rc == 0 and not killed, d.log_text()
            assert "abandoned" not in d.log_text(), d.log_text()
            # the 60 s check timeout is not waited out: the stop takes a slice, not the check
            assert elapsed < 10, (elapsed, d.log_text())
    finally:
        silent.close()


@pytest.mark.long                   # waits for the watch's first run (up to a minute)
@pytest.mark.parametrize("ports", [(25,), (25, 443)], ids=["smtp", "smtp+policy"])
def test_dnsd_stops_during_an_smtp_wait(zc, tmp_path, ports):
    """SIGTERM while a watch check waits for the banner of an MX (or, with 443, the TLS
    handshake of the policy host) that accepts and says nothing: the cancelled wait ends
    and dnsd exits 0 the ordinary way."""
    import socket
    silent = {}
    for p in ports:                 # one listener per port: the wait is known to be there
        silent[p] = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        silent[p].bind((HOST4, 0))
        silent[p].listen(8)
        silent[p].settimeout(100)   # the first run comes within 60 s, looked for every 5 s
    conns = []
    try:
        port = free_port()
        zc.config.write_text("watch:\n  own: no\n")
        zc.ok("watch", "add", "example.com", "--every", "1", "--timeout", "60",
              "--resolver", "%s:%d" % (HOST4, port),
              *[x for p in ports for x in ("--connect-to", ":%d:%s:%d" % (
                  p, HOST4, silent[p].getsockname()[1]))])
        with started(tmp_path, "dnsd") as servers:
            d = start_dnsd(servers, zc, zones=[ZONES_DIR / "example.com.zone"], port=port,
                           config=zc.config.read_text())
            # the policy fetch comes first when there is one; the MX probes after it
            conns.append(silent[ports[-1]].accept()[0])
            rc, elapsed, killed = d.terminate()
            assert rc == 0 and not killed, d.log_text()
            assert "abandoned" not in d.log_text(), d.log_text()
            assert elapsed < 10, (elapsed, d.log_text())
    finally:
        for c in conns:
            c.close()
        for sock in silent.values():
            sock.close()
