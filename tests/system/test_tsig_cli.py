"""zonectl tsig add|list|del and zone secondaries --key: secrets shown once, never listed,
keys in use kept, bad input changes nothing."""
import base64
import os
import re

from conftest import EXIT_CONFLICT, EXIT_NOTFOUND, EXIT_OK, EXIT_USAGE, minimal_zone, write


def test_add_prints_the_secret_once_for_nsd_and_knot(zc):
    r = zc.ok("tsig", "add", "xfr-key")
    nsd = re.search(r'key:\n    name: "xfr-key"\n    algorithm: hmac-sha256\n    secret: "([^"]+)"\n',
                    r.out)
    knot = re.search(r"key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: (\S+)\n", r.out)
    assert nsd and knot, r.out
    assert nsd.group(1) == knot.group(1) and len(base64.b64decode(nsd.group(1))) == 32
    for alg, size in (("hmac-sha512", 64), ("hmac-sha1", 20)):
        data = zc.json("tsig", "add", "k-" + alg, "--algorithm", alg)
        assert data["algorithm"] == alg and len(base64.b64decode(data["secret"])) == size
    # Never again: not in the list (text or JSON), not in the help.
    listing = zc.ok("tsig", "list").out
    assert listing.splitlines() == ["k-hmac-sha1 hmac-sha1", "k-hmac-sha512 hmac-sha512",
                                    "xfr-key hmac-sha256"]
    assert zc.json("tsig", "list") == {"keys": [
        {"name": "k-hmac-sha1", "algorithm": "hmac-sha1"},
        {"name": "k-hmac-sha512", "algorithm": "hmac-sha512"},
        {"name": "xfr-key", "algorithm": "hmac-sha256"}]}
    assert nsd.group(1) not in listing
    # Two keys never share a secret; the store holding them is private.
    again = zc.json("tsig", "add", "other")
    assert again["secret"] != nsd.group(1)
    assert oct(os.stat(zc.state / "data.mdb").st_mode & 0o777) == "0o600"


def test_bad_input_changes_nothing(zc):
    zc.ok("tsig", "add", "k1")
    before = zc.ok("tsig", "list").out
    r = zc("tsig", "add", "k1")
    assert r.rc == EXIT_CONFLICT and "exists already" in r.err
    for args in (("tsig", "add", "bad key"), ("tsig", "add", "k2", "--algorithm", "hmac-md5"),
                 ("tsig", "add", ""), ("tsig", "add", "a" * 70), ("tsig", "add", "x@y"),
                 ("tsig", "list", "extra"), ("tsig", "del"), ("tsig", "add", "k3", "--key", "z")):
        r = zc(*args)
        assert r.rc == EXIT_USAGE, (args, r)
    assert zc.ok("tsig", "list").out == before
    r = zc("tsig", "del", "nothere")
    assert r.rc == EXIT_NOTFOUND and "no TSIG key nothere" in r.err


def test_secondaries_key_must_exist_and_keeps_it(zc, tmp_path):
    zc.ok("zone", "import", str(write(tmp_path / "z.zone", minimal_zone())))
    r = zc("zone", "secondaries", "example.com", "add", "192.0.2.7", "--key", "missing")
    assert r.rc == EXIT_NOTFOUND and "zonectl tsig add missing" in r.err
    assert zc.ok("zone", "secondaries", "example.com", "list").out == ""
    zc.ok("tsig", "add", "Xfr.Key")                         # names are case-insensitive
    zc.ok("zone", "secondaries", "example.com", "add", "192.0.2.7:5353", "--key", "XFR.key.")
    assert zc.ok("zone", "secondaries", "example.com", "list").out == "192.0.2.7:5353 key xfr.key\n"
    r = zc("tsig", "del", "xfr.key")
    assert r.rc == EXIT_CONFLICT and "in use by 1 secondary (zone example.com.: 192.0.2.7:5353)" \
        in r.err
    assert "xfr.key" in zc.ok("tsig", "list").out
    zc.ok("zone", "secondaries", "example.com", "del", "192.0.2.7")
    assert zc.ok("tsig", "del", "xfr.key").out == "TSIG key xfr.key deleted\n"
    assert zc.ok("tsig", "list").out == ""


def test_help(zc):
    r = zc.ok("help", "tsig")
    for cmd in ("tsig add", "tsig list", "tsig del"):
        assert "usage: zonectl " + cmd in r.out
    assert "hmac-sha256|hmac-sha512|hmac-sha1" in zc.ok("tsig", "add", "--help").out
    assert zc("tsig").rc == EXIT_USAGE
    assert "tsig add" in zc.ok("--help").out
    assert zc("tsig", "add", "--help").rc == EXIT_OK
