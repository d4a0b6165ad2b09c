"""The command line: help, usage errors, check-config, --state and the store's permissions."""

import json
import os
import stat

import pytest

from conftest import EXIT_INPUT, EXIT_OK, EXIT_USAGE, parse_json, write

COMMANDS = ["zone list", "zone add", "zone import", "zone export", "zone del", "zone edit",
            "zone history", "rr list", "rr add", "rr del", "rr set", "batch", "check-config"]


def test_help_lists_every_command(zc):
    r = zc.ok("help", state=False, config=False)
    assert "commands:" in r.out, r.out
    table = r.out.split("commands:", 1)[1]
    listed = [l.strip().split("  ")[0] for l in table.splitlines() if l.startswith("  ")]
    for cmd in COMMANDS:
        assert cmd in listed, "%r not in `zonectl help`:\n%s" % (cmd, r.out)
    assert "usage: zonectl" in r.out
    # Every command in the table, including any added later, has its help.
    for cmd in listed:
        h = zc.ok("help", *cmd.split(), state=False, config=False)
        assert h.out.startswith("usage: zonectl %s" % cmd), h.out
    # Also with --help and -h, and the same text.
    assert zc.ok("--help", state=False, config=False).out == r.out
    assert zc.ok("-h", state=False, config=False).out == r.out


def test_no_command_is_usage_error(zc, tmp_path):
    r = zc(state=False, config=False)
    assert r.rc == EXIT_USAGE, r
    assert "usage: zonectl" in r.err


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_for_each_command(zc, cmd):
    words = cmd.split()
    r = zc.ok("help", *words, state=False, config=False)
    assert r.out.startswith("usage: zonectl %s" % cmd), r.out
    assert len(r.out.strip().splitlines()) >= 3, r.out
    r2 = zc.ok(*(words + ["--help"]), state=False, config=False)
    assert r2.out == r.out
    r3 = zc.ok(*(words + ["-h"]), state=False, config=False)
    assert r3.out == r.out


def test_help_for_command_group(zc):
    r = zc.ok("help", "zone", state=False, config=False)
    for cmd in COMMANDS:
        if cmd.startswith("zone "):
            assert "usage: zonectl %s" % cmd in r.out
    assert "usage: zonectl rr " not in r.out


@pytest.mark.parametrize("args", [
    ["frobnicate"], ["zone", "frob"], ["rr", "frob"], ["zones", "list"], ["help", "frobnicate"],
])
def test_unknown_command(zc, tmp_path, args):
    r = zc(*args)
    assert r.rc == EXIT_USAGE, r
    assert args[-1] in r.err or args[0] in r.err, r.err
    assert not zc.state.exists(), "a usage error must not create the store"


@pytest.mark.parametrize("args", [
    ["zone", "list", "extra"],
    ["zone", "add"],
    ["zone", "add", "a.test", "b.test", "--ns", "ns1.a.test"],
    ["zone", "import"],
    ["zone", "export"],
    ["zone", "export", "a.test", "b.test"],
    ["zone", "del"],
    ["zone", "del", "a.test", "b.test"],
    ["zone", "edit"],
    ["zone", "history"],
    ["rr", "list"],
    ["rr", "list", "a.test", "www", "A", "extra"],
    ["rr", "add", "a.test"],
    ["rr", "add", "a.test", "www A 192.0.2.1", "extra"],
    ["rr", "del", "a.test"],
    ["rr", "set", "a.test", "www", "A", "300"],
    ["batch"],
    ["batch", "a.test", "b.test"],
    ["check-config", "extra"],
])
def test_wrong_argument_count(zc, args):
    r = zc(*args)
    assert r.rc == EXIT_USAGE, r
    assert "usage: zonectl" in r.err, r.err
    assert not zc.state.exists(), "a usage error must not create the store"


@pytest.mark.parametrize("args", [
    ["zone", "list", "--origin", "x.test"],
    ["zone", "export", "a.test", "--ns", "ns1.a.test"],
    ["rr", "list", "a.test", "--bogus"],
    ["zone", "add", "a.test"],                                     # neither --from nor --ns
    ["zone", "add", "a.test", "--from", "f.zone", "--ns", "ns1"],  # both
    ["zone", "import", "f.zone", "--origin"],                      # option without its value
])
def test_bad_options(zc, args):
    r = zc(*args)
    assert r.rc in (EXIT_USAGE, EXIT_INPUT), r
    assert r.rc == EXIT_USAGE or "ns" in r.err, r
    assert not (zc.state / "data.mdb").exists() or zc.zones() == {}


def test_version(zc):
    r = zc.ok("--version", state=False, config=False)
    assert r.out.startswith("zonectl ")


# ---------------------------------------------------------------- check-config

def says_ok(r):
    """`configuration OK` as a line of its own, on standard output or standard error."""
    return "configuration OK" in (r.out + "\n" + r.err).splitlines()


def test_check_config_without_file(zc):
    r = zc.ok("check-config", state=False, config=False)
    assert says_ok(r), r
    if not os.path.exists("/etc/lockstep/lockstep.conf"):
        assert "built-in defaults" in r.out
        assert "state-dir" in r.out and "/var/lib/lockstep" in r.out


def test_check_config_valid_file(zc, tmp_path):
    conf = write(tmp_path / "good.conf", """
        # a test configuration
        server:
            state-dir: "%s"   # where the store goes

        zones:
            serial-policy: dateserial
            default-ttl: 600
        """ % (tmp_path / "cfgstate"))
    r = zc.ok("-c", conf, "check-config", state=False, config=False)
    assert str(conf) in r.out
    assert str(tmp_path / "cfgstate") in r.out
    assert "serial-policy: dateserial" in r.out
    assert "default-ttl: 600" in r.out
    assert says_ok(r), r
    # The printed configuration is itself a valid configuration file with the same values.
    again = tmp_path / "printed.conf"
    again.write_text(r.out.replace("configuration OK\n", ""))
    r2 = zc.ok("-c", again, "check-config", state=False, config=False)
    body = lambda t: [l for l in t.splitlines() if not l.startswith("#")]
    assert body(r2.out) == body(r.out)
    # JSON form.
    doc = parse_json(zc.ok("-c", conf, "--json", "check-config", state=False, config=False).out)
    assert doc["ok"] is True and doc["state_dir"] == str(tmp_path / "cfgstate")


def test_check_config_bad_file(zc, tmp_path):
    conf = write(tmp_path / "bad.conf", """
        server:
            state-dir: "%s"
            no-such-key: 1
        """ % (tmp_path / "cfgstate"))
    r = zc("-c", conf, "check-config", state=False, config=False)
    assert r.rc == EXIT_INPUT, r
    assert "%s:3:" % conf in r.err, r.err
    assert "no-such-key" in r.err
    assert not says_ok(r), r
    # Any other command refuses to run with it, and creates nothing.
    r = zc("-c", conf, "zone", "add", "a.test", "--ns", "ns1.a.test", state=False, config=False)
    assert r.rc == EXIT_INPUT, r
    assert "%s:3:" % conf in r.err, r.err
    assert not (tmp_path / "cfgstate").exists()


def test_check_config_several_errors(zc, tmp_path):
    conf = write(tmp_path / "bad.conf", """
        server:
            state-dir: /tmp/x
        zones:
            serial-policy: weekly
            default-ttl: -5
        bogus:
        """)
    r = zc("-c", conf, "check-config", state=False, config=False)
    assert r.rc == EXIT_INPUT, r
    for line in (4, 5, 6):
        assert "%s:%d:" % (conf, line) in r.err, r.err


def test_check_config_missing_file(zc, tmp_path):
    r = zc("-c", tmp_path / "nothere.conf", "check-config", state=False, config=False)
    assert r.rc != EXIT_OK, r
    assert "nothere.conf" in r.err


# ---------------------------------------------------------------- --state and permissions

def test_state_option_overrides_config(zc, tmp_path):
    cfgstate, ovr = tmp_path / "cfgstate", tmp_path / "override"
    conf = write(tmp_path / "s.conf", "server:\n    state-dir: \"%s\"\n" % cfgstate)
    zc.ok("-c", conf, "--state", ovr, "zone", "add", "a.test", "--ns", "ns1.a.test",
          state=False, config=False)
    assert (ovr / "data.mdb").is_file() and (ovr / "lock.mdb").is_file()
    assert not cfgstate.exists()
    # Without --state, the configuration's directory is used, and it is a different store:
    # there is none there, and a reader does not make one.
    r = zc("-c", conf, "--json", "zone", "list", state=False, config=False)
    assert r.rc == 3 and str(cfgstate) in parse_json(r.out)["error"], r
    assert not cfgstate.exists()
    r = zc.ok("-c", conf, "--state", ovr, "--json", "zone", "list", state=False, config=False)
    assert [z["name"] for z in parse_json(r.out)["zones"]] == ["a.test."]
    # check-config reports the directory in effect.
    doc = parse_json(zc.ok("-c", conf, "--state", ovr, "--json", "check-config",
                           state=False, config=False).out)
    assert doc["state_dir"] == str(ovr)


def test_state_dir_and_store_permissions(zc, tmp_path):
    old = os.umask(0o022)
    try:
        zc.ok("zone", "add", "a.test", "--ns", "ns1.a.test")
    finally:
        os.umask(old)
    assert stat.S_IMODE(zc.state.stat().st_mode) == 0o700
    assert stat.S_IMODE((zc.state / "data.mdb").stat().st_mode) == 0o600
    assert stat.S_IMODE((zc.state / "lock.mdb").stat().st_mode) & 0o077 == 0


def test_readers_create_no_store(zc):
    """Listing a state directory without a store says so (exit 3) and creates nothing; after
    the first write, an empty list."""
    r = zc("zone", "list")
    assert r.rc == 3 and "no store" in r.err, r
    assert not zc.state.exists()
    r = zc("zone", "export", "a.test")
    assert r.rc == 3, r
    zc.ok("zone", "add", "a.test", "--ns", "ns1.a.test")
    zc.ok("zone", "del", "a.test")
    assert zc.json("zone", "list") == {"zones": []}


@pytest.mark.parametrize("typed,meant", [
    (["zone", "lst"], "zone list"), (["zonee", "list"], "zone list"), (["rr", "ad"], "rr add"),
    (["mta-sts", "enabel"], "mta-sts enable"), (["stat"], "stats"),
])
def test_typo_suggests_the_command(zc, typed, meant):
    r = zc(*typed)
    assert r.rc == EXIT_USAGE, r
    assert "did you mean '%s'?" % meant in r.err, r.err
    assert not zc.state.exists(), "a usage error must not create the store"


def test_secondaries_add_says_what_happened(zc):
    zc.ok("zone", "add", "s.test", "--ns", "ns1.s.test")
    assert "added: it may transfer the zone" in zc.ok("zone", "secondaries", "s.test", "add",
                                                      "192.0.2.9").out
    assert "192.0.2.9:53: no change" in zc.ok("zone", "secondaries", "s.test", "add",
                                              "192.0.2.9").out
    r = zc.ok("zone", "secondaries", "s.test", "add", "192.0.2.9:5300")
    assert "192.0.2.9:5300 replaced (was 192.0.2.9:53)" in r.out, r.out
    assert zc.ok("zone", "secondaries", "s.test", "list").out.split() == ["192.0.2.9:5300"]


def test_getopt_long_forms(zc):
    """--opt=value, a long option shortened while unambiguous, options after the operands."""
    zc.ok("zone", "add", "a.test", "--ns=ns1.a.test", "--serial-pol", "unixtime")
    r = zc.ok("zone", "list", "--js")
    assert json.loads(r.out)["zones"][0]["serial_policy"] == "unixtime"
    r = zc("zone", "list", "--no")          # --now, --no-rua, --no-publish ...: ambiguous
    assert r.rc == EXIT_USAGE and "unknown option --no" in r.err, r
    r = zc("zone", "add", "b.test", "--ns")
    assert r.rc == EXIT_USAGE and "option --ns needs a value" in r.err, r
