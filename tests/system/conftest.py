"""Shared helpers for the zonectl system tests.

Every test drives the real build/zonectl binary on a state directory under
pytest's tmp_path, as an operator would.  The `zc` fixture runs it:

    r = zc("zone", "import", path)        # -> Result(rc, out, err)
    rc, out, err = zc("zone", "list")
    data = zc.json("zone", "list")        # --json, exit 0 asserted, parsed

By default every run gets `--state <tmp>/state` and `-c <tmp>/test.conf`
(an empty configuration file), so a configuration in /etc on the machine
running the tests cannot change the results.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "long: a test that waits for real time (a minute-long schedule, a CA's "
        "retry window, a browser); `make test` leaves it to `make test-long`, and CI runs both")

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("LOCKSTEP_BUILD") or REPO / "build")   # make sets it (SANITIZE=...)
ZONECTL = BUILD / "zonectl"
DATA = Path(__file__).resolve().parent / "data"
ZONES_DIR = REPO / "zones"

# Exit codes of zonectl (see `zonectl help`).
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_NOTFOUND, EXIT_CONFLICT, EXIT_STORE = range(6)

DEFAULT_TIMEOUT = 60

Result = collections.namedtuple("Result", "rc out err")


_binary = None


def _check_binary():
    if not (ZONECTL.is_file() and os.access(ZONECTL, os.X_OK)):
        pytest.fail("%s is missing: run `make all` before the system tests" % ZONECTL,
                    pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def zonectl_binary(tmp_path_factory):
    """One copy of build/zonectl for the whole run, so a rebuild during the run changes nothing."""
    global _binary
    _check_binary()
    copy = tmp_path_factory.mktemp("bin") / "zonectl"
    shutil.copy2(ZONECTL, copy)
    # tlsrpt ingest runs its MIME helper from beside zonectl.
    shutil.copy2(BUILD / "zonectl-mime", copy.parent / "zonectl-mime")
    _binary = str(copy)
    return _binary


def clean_env(tmp_path, extra=None):
    """The environment for zonectl: no editor of the caller's, temporary files in tmp_path."""
    env = dict(os.environ)
    for k in ("VISUAL", "EDITOR"):
        env.pop(k, None)
    env["TMPDIR"] = str(tmp_path)
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def parse_json(text):
    """Parses one JSON document printed by zonectl --json; fails the test with the text if not JSON."""
    try:
        return json.loads(text)
    except ValueError as e:
        pytest.fail("not valid JSON (%s):\n%s" % (e, text))


class Zonectl:
    """Runs build/zonectl with a state directory of its own."""

    def __init__(self, tmp_path, state=None):
        if _binary is None:
            _check_binary()
        self.tmp = Path(tmp_path)
        self.state = Path(state) if state else self.tmp / "state"
        self.config = self.tmp / "test.conf"
        if not self.config.exists():
            self.config.write_text("# empty: every option at its default\n")
        self.binary = _binary or str(ZONECTL)

    def argv(self, *args, state=True, config=True):
        a = [self.binary]
        if config:
            a += ["-c", str(config if isinstance(config, (str, Path)) else self.config)]
        if state:
            a += ["--state", str(state if isinstance(state, (str, Path)) else self.state)]
        return a + [str(x) for x in args]

    def __call__(self, *args, input=None, env=None, state=True, config=True,
                 timeout=DEFAULT_TIMEOUT, cwd=None):
        p = subprocess.run(self.argv(*args, state=state, config=config), input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           env=clean_env(self.tmp, env), timeout=timeout, text=True,
                           cwd=cwd)
        return Result(p.returncode, p.stdout, p.stderr)

    def popen(self, *args, env=None, **kw):
        """Starts zonectl without waiting; the caller must wait for (or kill) it."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.Popen(self.argv(*args), env=clean_env(self.tmp, env), text=True, **kw)

    def ok(self, *args, **kw):
        """Runs and asserts exit 0; returns the Result."""
        r = self(*args, **kw)
        assert r.rc == EXIT_OK, "zonectl %s: exit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(map(str, args)), r.rc, r.out, r.err)
        return r

    def json(self, *args, rc=EXIT_OK, **kw):
        """Runs with --json, asserts the exit status (0 unless given) and returns the parsed output."""
        r = self("--json", *args, **kw)
        assert r.rc == rc, "zonectl --json %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(map(str, args)), r.rc, rc, r.out, r.err)
        return parse_json(r.out)

    # Store views used to prove that a failed command changed nothing.

    def zones(self):
        """{name: zone dict} from `zone list --json`; {} when there is no store at all (a
        command that failed before its first write made none, and listing makes none)."""
        r = self("--json", "zone", "list")
        if r.rc == EXIT_NOTFOUND and "no store" in parse_json(r.out).get("error", ""):
            return {}
        assert r.rc == EXIT_OK, "zonectl --json zone list: exit %d\n%s%s" % (r.rc, r.out, r.err)
        return {z["name"]: z for z in parse_json(r.out)["zones"]}

    def export(self, zone):
        return self.ok("zone", "export", zone).out

    def snapshot(self):
        """Everything an operator can see: the zone list and every zone's export."""
        zones = self.zones()
        return {"zones": zones, "exports": {n: self.export(n) for n in sorted(zones)}}

    def history(self, zone):
        return self.json("zone", "history", zone)["history"]

    def serial(self, zone):
        return self.zones()[canon(zone)]["serial"]


@pytest.fixture
def zc(tmp_path):
    return Zonectl(tmp_path)


@pytest.fixture
def data_dir():
    return DATA


def canon(name):
    """A zone name as zonectl prints it: lower case, absolute."""
    name = name.lower()
    return name if name.endswith(".") else name + "."


def write(path, text):
    """Writes dedented text (with a final newline) and returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(text).lstrip("\n")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text)
    return path


def minimal_zone(origin="example.com.", serial=1, body=""):
    """A small valid master file: SOA, one NS with glue, and body appended (dedented)."""
    head = ("$ORIGIN {o}\n"
            "$TTL 3600\n"
            "@ IN SOA ns1.{o} hostmaster.{o} {s} 3600 900 1209600 300\n"
            "@ IN NS ns1.{o}\n"
            "ns1 IN A 192.0.2.1\n").format(o=origin, s=serial)
    return head + textwrap.dedent(body).lstrip("\n")


def records(export_text):
    """The record lines of an export (comments, directives and blank lines dropped)."""
    return [l for l in export_text.splitlines()
            if l.strip() and not l.startswith(";") and not l.startswith("$")]


def rr_fields(line):
    """(owner, ttl, class, type, rdata) of one exported or listed record line."""
    parts = line.split(None, 4)
    assert len(parts) >= 4, "not a record line: %r" % line
    return (parts[0].lower(), int(parts[1]), parts[2], parts[3], parts[4] if len(parts) > 4 else "")


def diff_lines(out):
    """The '-' and '+' lines zonectl prints for a commit, as two lists of normalised records."""
    minus, plus = [], []
    for l in out.splitlines():
        if l.startswith("- "):
            minus.append(norm_rr(l[2:]))
        elif l.startswith("+ "):
            plus.append(norm_rr(l[2:]))
    return minus, plus


def norm_rr(line):
    """A record line with its whitespace collapsed, for comparisons."""
    return " ".join(line.split())


SERIAL_LINE = re.compile(r"serial (\d+) -> (\d+)")


def serial_change(out):
    """(old, new) from the `serial A -> B` line of a commit's output."""
    m = SERIAL_LINE.search(out)
    assert m, "no 'serial A -> B' line in:\n%s" % out
    return int(m.group(1)), int(m.group(2))


def origin_of(path):
    """The owner of the SOA in a master file (for test ids); the file name when not found."""
    origin = None
    last_owner = None
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return Path(path).name
    for raw in text.splitlines():
        line = raw.split(";", 1)[0]
        if not line.strip():
            continue
        toks = line.split()
        if toks[0].upper() == "$ORIGIN" and len(toks) > 1:
            origin = toks[1] if toks[1].endswith(".") else toks[1] + "." + (origin or "")
            continue
        if toks[0].startswith("$"):
            continue
        owner = last_owner if raw[0] in " \t" else toks[0]
        last_owner = owner
        if "SOA" in (t.upper() for t in toks):
            if owner in (None, "@"):
                return (origin or Path(path).name).lower()
            if not owner.endswith(".") and origin:
                owner = owner + "." + origin
            return owner.lower()
    return Path(path).name
