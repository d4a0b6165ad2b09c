"""GMime only for `tlsrpt ingest`: zonectl does not link GMime or GLib (every other run starts
without loading them); its MIME step runs in the helper zonectl-mime, found beside zonectl (the
build tree) or in ../lib/lockstep from it (the installed tree). A missing helper is a temporary
failure (75, the MTA retries), never a lost or refused report."""

import gzip
import json
import shutil
import subprocess

from conftest import BUILD, Zonectl
from test_install import make
from test_tlsrpt import EX_DATAERR, google, ingest, mail, spooled

EX_TEMPFAIL = 75
GLIB = ("libgmime", "libglib", "libgio", "libgobject", "libgpgme")


def needed(binary):
    """The shared libraries ldd says binary loads."""
    p = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return [line.split()[0] for line in p.stdout.splitlines() if line.strip()]


def test_zonectl_does_not_load_gmime():
    libs = needed(BUILD / "zonectl")
    assert not [lib for lib in libs if lib.startswith(GLIB)], libs
    helper = needed(BUILD / "zonectl-mime")          # the helper is where GMime went
    assert any(lib.startswith("libgmime-3.0") for lib in helper), helper
    for daemon in ("dnsd", "httpsd"):
        libs = needed(BUILD / daemon)
        assert not [lib for lib in libs if lib.startswith(GLIB)], (daemon, libs)


def good_mail():
    return mail(gzip.compress(json.dumps(google()).encode()))


def test_missing_helper_is_a_temporary_failure(tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy2(BUILD / "zonectl", alone / "zonectl")
    (tmp_path / "z").mkdir()
    zc = Zonectl(tmp_path / "z")
    zc.state.mkdir()
    zc.binary = str(alone / "zonectl")
    rc, err, _ = ingest(zc, good_mail())
    assert rc == EX_TEMPFAIL, err
    assert "zonectl-mime" in err, err
    assert spooled(zc) == []
    # With the helper beside it, the same mail is spooled; a mail without a report is 65.
    shutil.copy2(BUILD / "zonectl-mime", alone / "zonectl-mime")
    rc, err, _ = ingest(zc, good_mail())
    assert rc == 0, err
    assert len(spooled(zc)) == 1
    rc, err, _ = ingest(zc, b"From: a@b\r\nSubject: hi\r\n\r\nno report here\r\n")
    assert rc == EX_DATAERR and "no application" in err, (rc, err)
    assert len(spooled(zc)) == 1


def test_installed_zonectl_finds_its_helper(tmp_path):
    destdir = tmp_path / "dest"
    destdir.mkdir()
    make("install", destdir, prefix="/opt/lockstep")
    (tmp_path / "z").mkdir()
    zc = Zonectl(tmp_path / "z")
    zc.state.mkdir()
    zc.binary = str(destdir / "opt/lockstep/sbin/zonectl")
    rc, err, _ = ingest(zc, good_mail())
    assert rc == 0, err
    assert len(spooled(zc)) == 1
