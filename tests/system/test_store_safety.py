"""Store safety: truncated and damaged stores, store check, backup and restore, a full disk,
readers that create nothing, and zonectl as root on a state dir another user owns."""

import fcntl
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import (EXIT_CONFLICT, EXIT_INPUT, EXIT_NOTFOUND, EXIT_OK, EXIT_STORE, Zonectl,
                      minimal_zone, write)
from httpsd_helpers import HTTPSD
from proc_helpers import as_root_config
from dnsd_helpers import (DNSD, HOST4, EXAMPLE_ZONE, check_dnsd_binary, dnsd_factory,  # noqa: F401
                          find, free_port, rdatas)

TABLES = {"main", "freelist", "meta", "zones", "rrsets", "journal", "history", "mtasts",
          "secondaries", "tsig"}
PAGE = os.sysconf("SC_PAGESIZE")


def small_store(zc, tmp_path):
    """A store with one zone and a few commits, and its compacted backup (path, pages)."""
    zc.ok("zone", "import", EXAMPLE_ZONE)
    zc.ok("rr", "add", "example.com", "extra 300 IN A 192.0.2.99")
    zc.ok("tsig", "add", "xfr")
    zc.ok("zone", "secondaries", "example.com", "add", "192.0.2.7")
    backup = tmp_path / "backup.mdb"
    zc.ok("backup", backup)
    size = backup.stat().st_size
    assert size % PAGE == 0 and size // PAGE > 8, size
    return backup, size // PAGE


def store_from(data, state):
    """A state dir whose data.mdb holds the bytes data."""
    if state.exists():
        shutil.rmtree(state)
    state.mkdir(mode=0o700)
    (state / "data.mdb").write_bytes(data)


def run_daemon(binary, state, conf):
    port = free_port()
    return subprocess.run([str(binary), "--state", str(state), "--listen", "%s:%d" % (HOST4, port),
                           "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=20)


# ---------------------------------------------------------------- truncated data.mdb

def test_truncated_store_every_page(zc, tmp_path):
    """Cut at every page boundary and in the middle of every page: zonectl and dnsd (and httpsd
    at each boundary) exit 5 with a clear message, never a signal."""
    check_dnsd_binary()
    backup, pages = small_store(zc, tmp_path)
    whole = backup.read_bytes()
    cut = Zonectl(tmp_path, state=tmp_path / "cut")
    conf = write(tmp_path / "dnsd.conf",
                 as_root_config(as_root_config("# defaults\n", "dnsd"), "httpsd"))
    for k in range(2 * pages):
        size = (k // 2) * PAGE + (PAGE // 2 if k % 2 else 0)
        store_from(whole[:size], cut.state)
        for args in (["zone", "list"], ["rr", "list", "example.com"], ["store", "check"],
                     ["rr", "add", "example.com", "x 300 IN A 192.0.2.1"]):
            r = cut(*args)
            assert r.rc == EXIT_STORE, "cut at %d bytes, zonectl %s: %r" % (size, args, r)
            assert "truncated" in r.err or "damaged" in r.err, r.err
            assert "zonectl restore" in r.err or "store check" in r.err, r.err
        assert (cut.state / "data.mdb").stat().st_size == size, "the cut store was changed"
        for binary in (DNSD, HTTPSD) if k % 2 == 0 else (DNSD,):
            p = run_daemon(binary, cut.state, conf)
            assert p.returncode == EXIT_STORE, "%s on a store cut at %d: exit %d\n%s" % (
                binary.name, size, p.returncode, p.stderr)
            assert "truncated" in p.stderr or "damaged" in p.stderr, p.stderr
            assert "store check" in p.stderr and ": ready" not in p.stderr, p.stderr
    # The whole file is a sound store.
    store_from(whole, cut.state)
    assert "example.com." in [z["name"] for z in cut.json("zone", "list")["zones"]]


# ---------------------------------------------------------------- store check

def test_store_check_sound(zc, tmp_path):
    small_store(zc, tmp_path)
    r = zc.ok("store", "check")
    assert "sound" in r.out and "rrsets" in r.out, r.out
    doc = zc.json("store", "check")
    assert doc["sound"] is True and doc["records"]["zones"] == 1
    assert doc["records"]["tsig"] == 1 and doc["records"]["secondaries"] == 1
    assert doc["records"]["rrsets"] > 5 and doc["page_size"] == PAGE


def test_store_check_finds_garbage_pages(zc, tmp_path):
    """Every page of a compacted copy belongs to a table: garbage on any one is found and the
    table named (exit 5), whether LMDB reports it or crashes in the check's child."""
    backup, pages = small_store(zc, tmp_path)
    whole = backup.read_bytes()
    bad = Zonectl(tmp_path, state=tmp_path / "bad")
    rnd = random.Random(16)
    seen = set()
    for pg in range(2, pages):
        garbage = bytes(rnd.getrandbits(8) for _ in range(PAGE))
        store_from(whole[:pg * PAGE] + garbage + whole[(pg + 1) * PAGE:], bad.state)
        r = bad("store", "check")
        assert r.rc == EXIT_STORE, "garbage on page %d of %d: %r" % (pg, pages, r)
        named = [t for t in TABLES if 'table "%s"' % t in r.err]
        assert named, "page %d: no table named:\n%s" % (pg, r.err)
        seen.update(named)
        doc = bad.json("store", "check", rc=EXIT_STORE)
        assert doc["table"] in TABLES and doc["problem"], doc
    assert {"rrsets", "main"} <= seen, seen
    store_from(whole, bad.state)
    bad.ok("store", "check")


# ---------------------------------------------------------------- backup and restore

def test_backup_while_dnsd_answers(dnsd_factory, zc, tmp_path):
    """Backups taken while dnsd answers and zonectl writes: each one a sound store holding a
    commit that was made; dnsd answers every query meanwhile."""
    d = dnsd_factory.start()
    failures, stop = [], threading.Event()

    def ask():
        for _ in range(100000):
            if stop.is_set():
                return
            try:
                r = d.query("www.example.com", "A")
                if "192.0.2.80" not in rdatas(find(r, "answer", "www.example.com.", "A")):
                    failures.append(r.to_text())
            except BaseException as e:          # pytest.fail raises BaseException
                failures.append(repr(e))

    t = threading.Thread(target=ask)
    t.start()
    try:
        for i in range(5):
            zc.ok("rr", "add", "example.com", "b%d 300 IN A 192.0.2.%d" % (i, i + 1))
            zc.ok("backup", tmp_path / ("b%d.mdb" % i))
    finally:
        stop.set()
        t.join(30)
    assert not failures, failures[:3]
    for i in range(5):
        other = Zonectl(tmp_path, state=tmp_path / ("restored%d" % i))
        other.ok("restore", tmp_path / ("b%d.mdb" % i))
        other.ok("store", "check")
        names = other.ok("rr", "list", "example.com").out
        assert "b%d.example.com." % i in names, names
    assert not list(tmp_path.glob("*.tmp.*")), "temporary files left"
    d.assert_alive()


def test_restore(zc, tmp_path):
    small_store(zc, tmp_path)
    zc.ok("backup", tmp_path / "one.mdb")
    zc.ok("rr", "add", "example.com", "later 300 IN A 192.0.2.98")

    # Into a state dir that does not exist yet: created.
    fresh = Zonectl(tmp_path, state=tmp_path / "fresh" / "state")
    (tmp_path / "fresh").mkdir()
    r = fresh.ok("restore", tmp_path / "one.mdb")
    assert "restored" in r.out and "rrsets" in r.out, r.out
    assert "later" not in fresh.ok("rr", "list", "example.com").out

    # Over an existing store: refused without --force, nothing changed.
    r = zc("restore", tmp_path / "one.mdb")
    assert r.rc == EXIT_CONFLICT and "--force" in r.err, r
    assert "later" in zc.ok("rr", "list", "example.com").out

    # A file that is not a store: refused, the store as it was, nothing left behind.
    junk = tmp_path / "junk.mdb"
    junk.write_bytes(bytes(range(256)) * 64)
    r = zc("restore", "--force", junk)
    assert r.rc == EXIT_INPUT and "not a sound Lockstep store" in r.err, r
    # A backup with a damaged page: refused with the table named.
    data = bytearray((tmp_path / "one.mdb").read_bytes())
    data[3 * PAGE:4 * PAGE] = bytes(random.Random(3).getrandbits(8) for _ in range(PAGE))
    damaged = tmp_path / "damaged.mdb"
    damaged.write_bytes(bytes(data))
    r = zc("restore", "--force", damaged)
    assert r.rc == EXIT_INPUT and 'table "' in r.err, r
    r = zc("restore", "--force", tmp_path / "missing.mdb")
    assert r.rc == EXIT_NOTFOUND, r
    assert "later" in zc.ok("rr", "list", "example.com").out
    assert not [p for p in zc.state.iterdir() if p.name.startswith(".restore")]

    # A daemon's lock held (dnsd.lock, httpsd.lock): refused with its PID.
    for name in ("dnsd.lock", "httpsd.lock"):
        with open(zc.state / name, "w") as f:
            f.write("%d\n" % os.getpid())
            f.flush()
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            r = zc("restore", "--force", tmp_path / "one.mdb")
            assert r.rc == EXIT_CONFLICT, r
            assert name.split(".")[0] in r.err and str(os.getpid()) in r.err, r.err
        assert "later" in zc.ok("rr", "list", "example.com").out
    # Lock files left behind by stopped daemons do not stop a restore.
    r = zc.ok("restore", "--force", tmp_path / "one.mdb")
    assert "later" not in zc.ok("rr", "list", "example.com").out
    zc.ok("store", "check")
    zc.ok("rr", "add", "example.com", "after 300 IN A 192.0.2.97")


def test_restore_refused_while_dnsd_has_the_store_open(dnsd_factory, zc, tmp_path):
    d = dnsd_factory.start()
    zc.ok("backup", tmp_path / "b.mdb")
    r = zc("restore", "--force", tmp_path / "b.mdb")
    assert r.rc == EXIT_CONFLICT, r
    assert str(d.proc.pid) in r.err, r.err
    d.assert_alive()


# ---------------------------------------------------------------- a full disk

@pytest.fixture
def small_fs(tmp_path):
    """A 3 MiB tmpfs, unmounted at the end (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mnt)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % p.stdout.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def big_zone(path, n):
    body = "".join("host%d IN TXT \"%s\"\n" % (i, "x" * 200) for i in range(n))
    return write(path, minimal_zone("big.test.", body=body))


def test_full_disk_zone_import(small_fs, tmp_path):
    zc = Zonectl(tmp_path, state=small_fs / "state")
    zc.ok("zone", "add", "a.test", "--ns", "ns1.a.test")
    before = zc.ok("zone", "list").out
    r = zc("zone", "import", big_zone(tmp_path / "big.zone", 20000))
    assert r.rc == EXIT_STORE, r
    assert "No space left on device" in r.err and str(small_fs / "state") in r.err, r.err
    assert zc.ok("zone", "list").out == before
    zc.ok("store", "check")


def test_full_disk_backup(small_fs, zc, tmp_path):
    zc.ok("zone", "import", big_zone(tmp_path / "big.zone", 20000))
    out = small_fs / "backup.mdb"
    r = zc("backup", out)
    assert r.rc == EXIT_STORE, r
    assert "No space left on device" in r.err and str(out) in r.err, r.err
    assert list(small_fs.iterdir()) == [], "half-written files left: %s" % list(small_fs.iterdir())
    # A text export too: the path named, nothing left.
    r = zc("zone", "export", "big.test", "-o", small_fs / "big.zone")
    assert r.rc == EXIT_STORE and "No space left on device (writing %s)" % (small_fs / "big.zone") \
        in r.err, r
    assert list(small_fs.iterdir()) == [], "half-written files left: %s" % list(small_fs.iterdir())
    # And a restore onto the full disk leaves the store as it was.
    zc.ok("backup", tmp_path / "b.mdb")
    target = Zonectl(tmp_path, state=small_fs / "state")
    target.ok("zone", "add", "a.test", "--ns", "ns1.a.test")
    r = target("restore", "--force", tmp_path / "b.mdb")
    assert r.rc == EXIT_STORE and "No space left on device" in r.err, r
    assert [z["name"] for z in target.json("zone", "list")["zones"]] == ["a.test."]
    assert not [p for p in target.state.iterdir() if p.name.startswith(".restore")]


# ---------------------------------------------------------------- readers create nothing

@pytest.mark.parametrize("args", [
    ["zone", "list"], ["zone", "export", "a.test"], ["rr", "list", "a.test"],
    ["zone", "history", "a.test"], ["tsig", "list"], ["mta-sts", "status"],
    ["store", "check"], ["backup", "b.mdb"],
], ids=lambda a: "-".join(a[:2]))
def test_readers_on_missing_store(zc, tmp_path, args):
    for exists in (False, True):
        if exists:
            zc.state.mkdir(mode=0o700)
        r = zc(*args, cwd=tmp_path)
        assert r.rc == EXIT_NOTFOUND, r
        assert "no store in %s" % zc.state in r.err and "zonectl zone add" in r.err, r.err
        assert zc.state.exists() == exists
        if exists:
            assert list(zc.state.iterdir()) == []
    assert not (tmp_path / "b.mdb").exists()
    doc = zc.json("zone", "list", rc=EXIT_NOTFOUND)
    assert "no store" in doc["error"]


# ---------------------------------------------------------------- zonectl as root

def test_root_becomes_owner_of_state_dir(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")
    top = Path(tempfile.mkdtemp(prefix="lockstep-owner."))
    try:
        os.chmod(top, 0o755)
        state = top / "state"
        state.mkdir(mode=0o700)
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        conf = write(top / "test.conf", "# defaults\n")
        os.chmod(conf, 0o644)
        zc = Zonectl(top, state=state)
        zc.ok("zone", "add", "a.test", "--ns", "ns1.a.test")
        zc.ok("zone", "list")
        zc.ok("backup", state / "b.mdb")
        for p in [state] + list(state.iterdir()):
            st = p.stat()
            assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid), \
                "%s is owned by %d:%d" % (p, st.st_uid, st.st_gid)
        # A file only root may read is out of the owner's reach: said plainly.
        secret = top / "root-only.zone"
        write(secret, minimal_zone("b.test."))
        os.chmod(secret, 0o600)
        r = zc("zone", "import", secret)
        assert r.rc != EXIT_OK and "ermission denied" in r.err, r
    finally:
        shutil.rmtree(top)


# ---------------------------------------------------------------- a damaged store under a daemon

def test_dnsd_meeting_a_truncated_store_says_so(dnsd_factory, zc):
    """data.mdb cut under a running dnsd: the next read faults (SIGBUS); dnsd dies by it, so
    systemd restarts it, after a line that says to run `zonectl store check`."""
    d = dnsd_factory.start()
    d.assert_alive()
    os.truncate(zc.state / "data.mdb", 2 * PAGE)
    for _ in range(20):
        if not d.running():
            break
        try:
            d.udp_raw(b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                      b"\x03www\x07example\x03com\x00\x00\x01\x00\x01", timeout=0.5)
        except OSError:
            pass
        time.sleep(0.1)
    rc, _, _ = d.terminate(timeout=5)
    assert rc != 0, "dnsd went on with a truncated store:\n%s" % d.log_text()
    assert d.wait_log("store check", timeout=5), d.log_text()
    assert any("fatal signal SIGBUS" in l for l in d.log_lines()), d.log_text()
