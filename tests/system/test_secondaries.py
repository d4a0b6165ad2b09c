"""Real secondaries of dnsd: NSD and Knot transfer a zone with TSIG, then a change made with
zonectl reaches them by NOTIFY and IXFR; a secondary that was down when the NOTIFY went out
catches up when it is back."""
import re
import socket
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rdatatype
import dns.tsig

from dnsd_helpers import HOST4, dnsd_factory  # noqa: F401
from sts_helpers import sts_factory  # noqa: F401  (fixture)
from xfr_helpers import KnotSecondary, NsdSecondary, import_zone, kdig, make_key

ZONE = "example.com."


def zone_text(serial=1, refresh=3600):
    return "\n".join([
        "$ORIGIN example.com.", "$TTL 300",
        "@ SOA ns1 hostmaster %d %d 900 1209600 300" % (serial, refresh), "@ NS ns1",
        "ns1 A 192.0.2.1", "@ MX 10 mail", "mail A 192.0.2.25", "www CNAME @",
    ] + ["h%d A 10.0.%d.%d" % (i, i >> 8, i & 255) for i in range(200)]) + "\n"


def mx(s):
    return sorted(l for l in kdig("@" + s.host, "-p", s.port, ZONE, "MX", "+short").split("\n") if l)


def test_nsd_and_knot_with_tsig_get_changes_by_notify_and_ixfr(dnsd_factory, zc, tmp_path):
    # The SOA refresh is an hour: only a NOTIFY brings a change within the test's time.
    import_zone(zc, tmp_path, zone_text(serial=10))
    key = make_key(zc, "xfr-key", "hmac-sha256")
    d = dnsd_factory.start(zones=())
    # Two machines, as far as dnsd can tell: each secondary has an address of its own.
    knot = KnotSecondary(tmp_path / "knot", d.port, key, host="127.0.0.2")
    nsd = NsdSecondary(tmp_path / "nsd", d.port, key, host="127.0.0.3")
    for s in (knot, nsd):
        zc.ok("zone", "secondaries", ZONE, "add", s.address, "--key", "xfr-key")
    try:
        knot.start()
        nsd.start()
        knot.wait_serial(10)
        nsd.wait_serial(10)
        for s in (knot, nsd):
            assert mx(s) == ["10 mail.example.com."]
        # Every transfer was signed: dnsd refuses this zone's transfers without the key.
        assert not [l for l in d.log if "refused" in l], d.log_text()

        zc.ok("rr", "add", ZONE, "@ 300 IN MX 20 mx2.example.com.")
        knot.wait_serial(11)
        nsd.wait_serial(11)
        for s in (knot, nsd):
            assert mx(s) == ["10 mail.example.com.", "20 mx2.example.com."], s.name
            # NOTIFY went to each secondary (signed) and was answered...
            assert any("NOTIFY to %s, serial 11, TSIG key xfr-key" % s.address in l
                       for l in d.log), d.log_text()
        for s in (knot, nsd):
            assert d.wait_log("NOTIFY to %s answered (serial 11)" % s.address), d.log_text()
        # ... and both came for the difference only: one IXFR each, one change.
        assert d.wait_log("IXFR, serial 10 -> 11, 1 change")
        ixfrs = [l for l in d.log if "IXFR, serial 10 -> 11, 1 change" in l]
        assert len(ixfrs) == 2, d.log_text()
        assert "IXFR" in knot.log() and "serial 10 -> 11" in knot.log(), knot.log()[-2000:]
        assert re.search(r"xfrd: zone example\.com committed .*serial 11.*TSIG verified with key "
                         r"xfr-key", nsd.log()), nsd.log()[-2000:]
    finally:
        knot.stop()
        nsd.stop()


def test_secondary_down_during_notify_catches_up(dnsd_factory, zc, tmp_path):
    # A short SOA refresh: the secondary checks its primary again soon after it starts.
    import_zone(zc, tmp_path, zone_text(serial=20, refresh=2))
    key = make_key(zc, "k2", "hmac-sha512")
    d = dnsd_factory.start(zones=())
    knot = KnotSecondary(tmp_path / "knot", d.port, key)
    zc.ok("zone", "secondaries", ZONE, "add", knot.address, "--key", "k2")
    try:
        knot.start()
        knot.wait_serial(20)
        knot.stop()
        zc.ok("rr", "add", ZONE, "new 300 IN TXT \"made while the secondary was down\"")
        assert d.wait_log("NOTIFY to %s, serial 21" % knot.address), d.log_text()
        knot.start()          # from its own copy at serial 20
        knot.wait_serial(21)
        assert kdig("@" + HOST4, "-p", knot.port, "new." + ZONE, "TXT", "+short").strip() == \
            '"made while the secondary was down"'
        # It caught up with the difference, not the whole zone.
        assert d.wait_log("IXFR, serial 20 -> 21, 1 change"), d.log_text()
    finally:
        knot.stop()


def test_unanswered_notify_backs_off_then_gives_up(dnsd_factory, zc, tmp_path):
    """A secondary that never answers: five signed NOTIFYs, 1, 2, 4 and 4 s apart, then a log
    line 4 s after the last. (About 15 s: the back-off is the point.)"""
    import_zone(zc, tmp_path, zone_text(serial=30))
    name, alg, secret = make_key(zc, "k3", "hmac-sha1")
    key = dns.tsig.Key(name + ".", secret, alg)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.5", 0))
    sock.settimeout(0.5)
    addr = "127.0.0.5:%d" % sock.getsockname()[1]
    zc.ok("zone", "secondaries", ZONE, "add", addr, "--key", "k3")
    d = dnsd_factory.start(zones=())
    try:
        zc.ok("rr", "add", ZONE, "x 300 IN A 192.0.2.77")
        arrivals = []
        deadline = time.monotonic() + 25
        for _ in range(100):            # each turn takes a NOTIFY or 0.5 s: 25 s is 50 turns
            if time.monotonic() >= deadline or len(arrivals) >= 6:
                break
            try:
                wire, _ = sock.recvfrom(4096)
            except socket.timeout:
                if d.wait_log("NOTIFY to %s not answered after 5 tries (serial 31)" % addr, 0):
                    break
                continue
            arrivals.append(time.monotonic())
            m = dns.message.from_wire(wire, keyring={key.name: key})   # checks the TSIG
            assert m.opcode() == dns.opcode.NOTIFY and m.flags & dns.flags.AA and m.had_tsig
            assert m.question[0].rdtype == dns.rdatatype.SOA and m.answer[0][0].serial == 31
    finally:
        sock.close()
    gaps = [round(b - a, 1) for a, b in zip(arrivals, arrivals[1:])]
    assert len(arrivals) == 5, gaps
    for got, want in zip(gaps, (1, 2, 4, 4)):
        assert want - 0.3 <= got <= want + 0.6, gaps
    assert d.wait_log("NOTIFY to %s not answered after 5 tries (serial 31)" % addr), d.log_text()


def txt_id_at(host, port, name="_mta-sts.example.com."):
    out = kdig("@" + host, "-p", port, name, "TXT", "+short")
    m = re.search(r"v=STSv1; id=(\w+)", out)
    return m.group(1) if m else None


def test_mta_sts_ids_reach_a_secondary_by_notify(sts_factory, tmp_path):
    """Every id the publish step writes, by a command or by dnsd's own rotation, reaches Knot."""
    e = sts_factory(extra_config="  rotate-interval: 4\n")
    key = make_key(e.zc, "xfr-key", "hmac-sha256")
    knot = KnotSecondary(tmp_path / "knot", e.dnsd.port, key, host="127.0.0.2")
    e.zc.ok("zone", "secondaries", ZONE, "add", knot.address, "--key", "xfr-key")
    try:
        knot.start()
        serial = e.zc.zones()[ZONE]["serial"]
        knot.wait_serial(serial)
        assert "published" in e.zc.ok("mta-sts", "enable", "example.com").out
        first = e.txt_id()
        knot.wait_serial(e.zc.zones()[ZONE]["serial"])
        assert txt_id_at(knot.host, knot.port) == first
        # An MX change: the policy commit and the id commit both reach it.
        e.zc.ok("rr", "add", "example.com", "@ 3600 IN MX 30 mx3.example.com.")
        second = e.txt_id()
        assert second != first
        knot.wait_serial(e.zc.zones()[ZONE]["serial"])
        assert txt_id_at(knot.host, knot.port) == second
        assert "30 mx3.example.com." in mx(knot)
        # dnsd rotates the id on its own (no command runs): NOTIFY carries it too.
        e.wait("rotation on dnsd", lambda: e.txt_id() not in (None, second))
        rotated = e.txt_id()
        e.wait("the rotated id on Knot", lambda: txt_id_at(knot.host, knot.port) == rotated)
    finally:
        knot.stop()
