"""Bulk commands: `zonectl zone import FILE...|--dir DIR` and `zonectl mta-sts enable
DOMAIN...|--list FILE` in one process, batched commits, failures reported and skipped,
--all-or-nothing, a summary line, progress on a terminal only, and a bulk enable killed
midway that heals when run again."""

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import dns.rcode
import pytest

from conftest import EXIT_INPUT, EXIT_OK, Zonectl, canon, clean_env, write
from dnsd_helpers import Dnsd, assert_rcode, find, rdatas
from proc_helpers import free_port, started, wait_until
from sts_helpers import StsEnv

SUMMARY = re.compile(r"zone import: (\d+) files: (\d+) imported, (\d+) unchanged, "
                     r"(\d+) failed; (\d+) records; ([0-9.]+) s")
ENABLE_SUMMARY = re.compile(r"mta-sts enable: (\d+) domains: (\d+) enabled, (\d+) already "
                            r"enabled, (\d+) failed")
BIG_TIMEOUT = 600        # seconds for one bulk command on a loaded 2-core machine


def zone_text(name, i):
    """A small mail domain: SOA, NS with glue, MX with its address, www."""
    return ("$ORIGIN %s.\n$TTL 300\n"
            "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
            "@ IN NS ns1\n"
            "ns1 IN A 192.0.2.1\n"
            "@ IN MX 10 mx\n"
            "mx IN A 192.0.2.25\n"
            "www IN A 198.51.%d.%d\n" % (name, i // 250, i % 250 + 1))


def make_zones(d, n, prefix="z"):
    """n zone files d/PREFIXi.test.zone; returns the domain names in file order."""
    d.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        name = "%s%05d.test" % (prefix, i)
        (d / (name + ".zone")).write_text(zone_text(name, i))
        names.append(name)
    return names


def summary(out):
    m = SUMMARY.search(out)
    assert m, "no summary line in:\n" + out
    return tuple(int(x) for x in m.groups()[:5]) + (float(m.group(6)),)


BAD = ("$ORIGIN bad.test.\n$TTL 300\n"
       "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
       "@ IN NS ns1\n"
       "ns1 IN A 999.0.0.1\n")     # line 5: not an address


def test_import_files_one_bad(zc, tmp_path):
    d = tmp_path / "in"
    good = make_zones(d, 3)
    bad = write(d / "bad.zone", BAD)
    files = [d / (n + ".zone") for n in good]
    r = zc("zone", "import", files[0], bad, files[1], files[2])
    assert r.rc == EXIT_INPUT, r
    assert "%s:5:" % bad in r.err, r.err          # the failure names FILE:LINE
    assert "not imported" in r.err, r.err
    assert summary(r.out)[:5] == (4, 3, 0, 1, 18), r.out
    assert "created" not in r.out                  # a summary, not a line per zone
    zones = zc.zones()
    assert sorted(zones) == [canon(n) for n in good]
    assert "bad.test." not in zones
    # Again: the good ones are unchanged, the bad one still fails.
    r = zc("zone", "import", *files, bad)
    assert r.rc == EXIT_INPUT and summary(r.out)[:4] == (4, 0, 3, 1), r
    # One file keeps today's output and exit status.
    r = zc.ok("zone", "import", files[0])
    assert "no changes" in r.out, r.out
    r = zc("zone", "import", bad)
    assert r.rc == EXIT_INPUT and "%s:5:" % bad in r.err, r


def test_import_validation_error_and_json(zc, tmp_path):
    d = tmp_path / "in"
    make_zones(d, 2)
    # Parses, but a CNAME beside other data is refused when the zone is checked.
    write(d / "cname.zone", "$ORIGIN cname.test.\n$TTL 300\n"
          "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n"
          "www IN CNAME ns1\nwww IN A 192.0.2.2\n")
    out = zc.json("zone", "import", "--dir", d, rc=EXIT_INPUT)
    assert (out["files"], out["imported"], out["failed"]) == (3, 2, 1), out
    assert out["committed"] is True
    [err] = out["errors"]
    assert err["file"].endswith("cname.zone")
    assert any(m["line"] in (6, 7) for m in err["messages"]), err
    assert sorted(zc.zones()) == ["z00000.test.", "z00001.test."]


def test_import_dir_500_served(zc, tmp_path):
    d = tmp_path / "zones"
    names = make_zones(d, 500)
    (d / "README").write_text("not a zone file\n")
    (d / "sub.zone").mkdir()                          # not recursive: a directory is skipped
    make_zones(d / "sub.zone", 1, prefix="nested")
    t0 = time.monotonic()
    r = zc("zone", "import", "--dir", d, timeout=BIG_TIMEOUT)
    took = time.monotonic() - t0
    assert r.rc == EXIT_OK, r
    files, imported, unchanged, failed, recs, secs = summary(r.out)
    assert (files, imported, unchanged, failed, recs) == (500, 500, 0, 0, 3000), r.out
    print("zone import --dir of 500 zones: %.2f s (zonectl says %.2f s)" % (took, secs))
    zones = zc.zones()
    assert len(zones) == 500 and "nested00000.test." not in zones
    with started(tmp_path, "dnsd") as servers:
        dnsd = servers.add(Dnsd(servers.workdir(), zc.state, free_port())).start()
        for i, n in enumerate(names):
            a = dnsd.query("www.%s" % n, "A")
            assert_rcode(a, dns.rcode.NOERROR)
            assert rdatas(find(a, "answer", "www.%s" % n, "A")) == {
                "198.51.%d.%d" % (i // 250, i % 250 + 1)}, n


def test_all_or_nothing(zc, tmp_path):
    d = tmp_path / "in"
    good = make_zones(d, 3)
    zc.ok("zone", "import", d / (good[0] + ".zone"))
    before = zc.snapshot()
    # A changed copy of an existing zone must not land either.
    p = d / (good[0] + ".zone")
    p.write_text(p.read_text().replace("192.0.2.25", "192.0.2.26"))
    write(d / "bad.zone", BAD)
    r = zc("zone", "import", "--dir", d, "--all-or-nothing")
    assert r.rc == EXIT_INPUT, r
    assert "bad.zone:5:" in r.err, r.err
    assert "nothing imported (--all-or-nothing), 1 failed" in r.out, r.out
    assert zc.snapshot() == before
    (d / "bad.zone").unlink()
    r = zc.ok("zone", "import", "--dir", d, "--all-or-nothing")
    assert summary(r.out)[:4] == (3, 3, 0, 0), r.out
    assert "192.0.2.26" in zc.export(good[0])


def test_usage(zc, tmp_path):
    d = tmp_path / "in"
    names = make_zones(d, 2)
    r = zc("zone", "import", "--origin", "x.test", *[d / (n + ".zone") for n in names])
    assert r.rc == 2 and "--origin" in r.err, r
    empty = tmp_path / "empty"
    empty.mkdir()
    r = zc("zone", "import", "--dir", empty)
    assert r.rc == 3 and "no *.zone files" in r.err, r
    r = zc("zone", "import", "--dir", tmp_path / "missing")
    assert r.rc == 3, r
    assert not zc.state.exists(), "nothing to import must not create the store"
    r = zc("zone", "import")
    assert r.rc == 2 and "usage: zonectl zone import" in r.err, r
    r = zc("mta-sts", "enable")
    assert r.rc == 2 and "usage: zonectl mta-sts enable" in r.err, r
    r = zc("mta-sts", "enable", "--list", tmp_path / "missing.txt")
    assert r.rc == 3, r


def run_on_pty(argv, env, timeout):
    """Runs argv with stdout and stderr on a pseudo-terminal; returns (rc, bytes written)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:          # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return rc, out


def test_progress_on_terminal_only(zc, tmp_path):
    d = tmp_path / "in"
    make_zones(d, 300)
    rc, out = run_on_pty(zc.argv("zone", "import", "--dir", d), clean_env(tmp_path), BIG_TIMEOUT)
    assert rc == EXIT_OK, out
    text = out.decode(errors="replace")
    assert re.search(r"\rzone import: \d+/300 \(\d+%\)  \d+/s  \d+:\d\d left", text), repr(text)
    assert summary(text)[:2] == (300, 300)
    # Piped: the summary only, no progress line.
    r = zc.ok("zone", "import", "--dir", d)
    assert "\r" not in r.out + r.err and "left" not in r.out + r.err, repr(r.err)
    assert summary(r.out)[:4] == (300, 0, 300, 0)
    r = zc.ok("mta-sts", "enable", "--no-publish", "--list", "-", input="")
    assert "\r" not in r.out + r.err


def enabled_domains(zc):
    return {s["domain"].rstrip("."): s for s in zc.json("mta-sts", "status")["domains"]}


def has_cert(zc, name):
    return (zc.state / "certs" / ("mta-sts." + name) / "fullchain.pem").exists()


def test_enable_200_by_list_published(tmp_path):
    env = StsEnv(tmp_path, zones=())
    zc = env.zc
    names = make_zones(tmp_path / "zones", 200, prefix="m")
    zc.ok("zone", "import", "--dir", tmp_path / "zones", timeout=BIG_TIMEOUT)
    lst = write(tmp_path / "domains.txt", "# customers\n\n" + "\n".join(names) +
                "\nnot..a.name\nnozone.example\n")
    with started(tmp_path, "env") as envs:
        envs.add(env).start()
        r = zc("mta-sts", "enable", "--list", lst, "--mode", "enforce", "--wait",
               "--timeout", "300", timeout=BIG_TIMEOUT)
        assert r.rc == EXIT_INPUT, r                      # two lines failed, the rest went on
        m = ENABLE_SUMMARY.search(r.out)
        assert m and m.groups() == ("202", "200", "0", "2"), r.out
        assert "domains.txt:%d:" % (len(names) + 3) in r.err, r.err
        assert "nozone.example: not enabled: no zone holds" in r.err, r.err
        assert "served by every endpoint" not in r.out, r.out   # counted, not a line each
        st = enabled_domains(zc)
        for n in names:
            assert st[n]["state"] == "published", st[n]
            assert st[n]["mode"] == "enforce"
            assert has_cert(zc, n), n
        # Every id is served over DNS, and a sender fetches the policy.
        for n in names[::20]:
            assert env.txt_id(n), n
            status, _, body = env.fetch(n)
            assert status == 200 and b"mode: enforce" in body, body


def list_file(tmp_path, names):
    return write(tmp_path / "domains.txt", "\n".join(names) + "\n")


def test_enable_heals_certificate_step(tmp_path):
    """Commit done, certificate missing (no demo CA then): run again and it is made."""
    zc = Zonectl(tmp_path)
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n")
    names = make_zones(tmp_path / "zones", 20, prefix="h")
    zc.ok("zone", "import", "--dir", tmp_path / "zones")
    lst = list_file(tmp_path, names)
    r = zc.ok("mta-sts", "enable", "--list", lst, "--no-publish")
    assert ENABLE_SUMMARY.search(r.out).groups() == ("20", "20", "0", "0"), r.out
    assert not any(has_cert(zc, n) for n in names)
    zc.ok("cert", "demo-ca")
    out = zc.json("mta-sts", "enable", "--list", lst, "a.bad..name", "--no-publish", rc=EXIT_INPUT)
    assert (out["domains"], out["enabled"], out["already"], out["failed"]) == (21, 0, 20, 1), out
    assert "not a domain name" in json.dumps(out["errors"]), out
    assert all(has_cert(zc, n) for n in names)


def test_enable_killed_midway_heals(tmp_path):
    zc = Zonectl(tmp_path)
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n")
    n = 400
    names = make_zones(tmp_path / "zones", n, prefix="k")
    zc.ok("zone", "import", "--dir", tmp_path / "zones", timeout=BIG_TIMEOUT)
    zc.ok("cert", "demo-ca")
    lst = list_file(tmp_path, names)
    certs = zc.state / "certs"
    # Small batches, so that several commits happen before the kill.
    p = zc.popen("mta-sts", "enable", "--list", lst, "--no-publish", env={"ZONECTL_BATCH": "20"})
    try:
        got = wait_until(lambda: certs.exists() and len(os.listdir(certs)) >= 30, 120, 0.005)
        assert got, "no certificates appeared"
        assert p.poll() is None, "zonectl finished before the kill: make the run longer"
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    p.stdout.close()
    p.stderr.close()
    enabled = enabled_domains(zc)
    with_cert = [x for x in names if has_cert(zc, x)]
    assert 30 <= len(enabled) < n, len(enabled)
    assert len(with_cert) <= len(enabled)
    # A certificate never comes before its domain's commit.
    assert set(with_cert) <= set(enabled)
    r = zc("mta-sts", "enable", "--list", lst, "--no-publish", timeout=BIG_TIMEOUT)
    assert r.rc == EXIT_OK, r
    done = ENABLE_SUMMARY.search(r.out).groups()
    assert done == (str(n), str(n - len(enabled)), str(len(enabled)), "0"), r.out
    enabled = enabled_domains(zc)
    for x in names:
        assert x in enabled and enabled[x]["state"] in ("waiting", "published"), x
        assert has_cert(zc, x), x


def test_import_regenerates_mta_sts_policy(tmp_path):
    """A bulk import goes through the one edit path: an enabled domain whose MX changed gets
    its next policy, in the same commit as the zone."""
    zc = Zonectl(tmp_path)
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n")
    d = tmp_path / "zones"
    names = make_zones(d, 3, prefix="p")
    zc.ok("zone", "import", "--dir", d)
    zc.ok("mta-sts", "enable", names[1], "--no-publish")
    v0 = enabled_domains(zc)[names[1]]["version"]
    p = d / (names[1] + ".zone")
    p.write_text(p.read_text().replace("@ IN MX 10 mx\n", "@ IN MX 10 mx\n@ IN MX 20 mx2\n"
                                       "mx2 IN A 192.0.2.26\n"))
    r = zc.ok("zone", "import", "--dir", d)
    assert summary(r.out)[:4] == (3, 1, 2, 0), r.out
    st = enabled_domains(zc)[names[1]]
    assert st["version"] == v0 + 1, st
    assert "mx: mx2.%s" % names[1] in st["policy"], st["policy"]
    # The records MTA-STS manages are kept, as by a single import.
    assert "mta-sts.%s." % names[1] in zc.export(names[1])


def test_bulk_enable_adds_the_same_rua_as_single(tmp_path):
    """A bulk enable names each domain's own https rua, as the one-domain form does."""
    zc = Zonectl(tmp_path)
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n"
                         "tlsrpt:\n  mailbox: tlsrpt@reports.example.net\n")
    names = make_zones(tmp_path / "zones", 4, prefix="r")
    zc.ok("zone", "import", "--dir", tmp_path / "zones")
    zc.ok("mta-sts", "enable", names[0], "--no-publish", "--rua", "mailto:x@outside.example")
    r = zc.ok("mta-sts", "enable", *names[1:], "--no-publish", "--rua",
              "mailto:x@outside.example")
    assert ENABLE_SUMMARY.search(r.out).groups() == ("3", "3", "0", "0"), r.out
    for n in names:
        rua = zc.json("mta-sts", "status", n)["domains"][0]["rua"]
        assert rua == ["mailto:tlsrpt@reports.example.net", "https://mta-sts.%s/tlsrpt" % n,
                       "mailto:x@outside.example"], (n, rua)
    # --rua-only: the given ones alone, in bulk as well.
    more = make_zones(tmp_path / "zones2", 2, prefix="o")
    zc.ok("zone", "import", "--dir", tmp_path / "zones2")
    zc.ok("mta-sts", "enable", *more, "--no-publish", "--rua", "mailto:x@outside.example",
          "--rua-only")
    assert all(zc.json("mta-sts", "status", n)["domains"][0]["rua"] == ["mailto:x@outside.example"]
               for n in more)
