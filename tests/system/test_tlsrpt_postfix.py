"""TLS reports by mail through Postfix's pipe transport (issue 12), as the operator guide sets it up.

A Postfix of the test's own (Debian postfix; `postfix -c DIR start` with a private main.cf and
master.cf, smtpd on 127.0.0.1 and a free port, its queue in the test's directory) routes
tlsrpt@reports.example.net to the pipe line of docs/operator-guide.md, which runs
`zonectl tlsrpt ingest --domain ${nexthop}` as an unprivileged user (nobody) that may write
STATE/tlsrpt only. An SMTP client (smtplib) sends report mails: one lands in the spool and
dnsd's maintenance thread imports it; one without a report bounces (exit 65) and changes
nothing; one that meets a spool it cannot write is deferred (exit 75) and delivered once the
spool is writable again. Postfix's master needs root: the test runs as root, as the daemons
of as_root_config do, and stops the master by its PID.
"""

import gzip
import json
import os
import pwd
import shutil
import signal
import smtplib
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ZONECTL
from proc_helpers import free_port, started, wait_until
from sts_helpers import StsEnv
from test_tlsrpt import google, mail, microsoft, spooled, summary

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"
PIPE_USER = "nobody"          # pipe(8) runs no command as root or as the mail owner
MAILBOX = "tlsrpt@reports.example.net"
START_TIMEOUT = 30            # seconds for `postfix start` and for smtpd to listen
DELIVERY_TIMEOUT = 30         # seconds for a mail to be piped and its outcome logged
STOP_TIMEOUT = 10

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {base}/queue
data_directory = {base}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.reports.example.net
mydomain = reports.example.net
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination = reports.example.net
mynetworks = 127.0.0.0/8
local_recipient_maps =
alias_maps =
alias_database =
transport_maps = texthash:{conf}/transport
maillog_file_prefixes = {base}
maillog_file = {base}/maillog
biff = no
"""

# Only the services this Postfix uses; chroot off (column 5), as the queue is the test's.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
# The operator guide's line, with the test's user, binary, state and configuration.
tlsrpt    unix  -       n       n       -       4       pipe
  flags=Rq user={user} argv={zonectl} --state {state} -c {config} tlsrpt ingest --domain ${{nexthop}}
"""


class Postfix:
    """A Postfix instance in base (config in base/conf), stopped by its master's PID."""

    def __init__(self, base, state, config):
        self.base = Path(base)
        self.conf = self.base / "conf"
        self.conf.mkdir(parents=True)
        (self.base / "queue").mkdir(mode=0o755)
        self.port = free_port()
        self.pid = None
        (self.conf / "main.cf").write_text(MAIN_CF.format(base=self.base, conf=self.conf))
        (self.conf / "master.cf").write_text(MASTER_CF.format(
            port=self.port, user=PIPE_USER, zonectl=ZONECTL, state=state, config=config))
        (self.conf / "transport").write_text("%s  tlsrpt:example.com\n" % MAILBOX)

    def run(self, *args, prog=POSTFIX):
        return subprocess.run([prog, "-c", str(self.conf)] + list(args), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=START_TIMEOUT)

    def start(self):
        r = self.run("start")
        pidfile = self.base / "queue" / "pid" / "master.pid"
        if r.returncode == 0:
            wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), START_TIMEOUT)
        if r.returncode != 0 or not pidfile.exists():
            pytest.fail("postfix -c %s start: exit %d\n%s\n%s" % (self.conf, r.returncode,
                                                                  r.stdout, self.log()),
                        pytrace=False)
        self.pid = int(pidfile.read_text().strip())
        if not wait_until(self.listening, START_TIMEOUT):
            pytest.fail("postfix's smtpd does not listen on 127.0.0.1:%d\n%s"
                        % (self.port, self.log()), pytrace=False)
        return self

    def listening(self):
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=2) as s:
                return s.noop()[0] == 250
        except OSError:
            return False

    def stop(self):
        """SIGTERM to the master (it ends its children), SIGKILL after STOP_TIMEOUT."""
        if self.pid is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            if wait_until(lambda: not alive(self.pid), STOP_TIMEOUT):
                break
        self.pid = None

    def log(self):
        f = self.base / "maillog"
        return f.read_text(errors="replace") if f.exists() else "<no maillog>"

    def send(self, msg):
        # The null sender: a bounce goes nowhere, as a reporter's would not come back here.
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.sendmail("", [MAILBOX], msg)

    def outcome(self, status):
        """Waits until the maillog shows one more pipe delivery with status=<status>."""
        def count():
            return sum(1 for line in self.log().splitlines()
                       if "relay=tlsrpt" in line and "status=%s" % status in line)
        before = count()
        return lambda: count() > before


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:        # a zombie (our child, not reaped) counts as gone
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def need_root_and_postfix():
    if not os.access(POSTFIX, os.X_OK):
        pytest.fail("%s is missing: `make deps` installs it (Debian postfix)" % POSTFIX,
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("Postfix's master must start as root: run this test as root",
                    pytrace=False)


@pytest.fixture
def mailed():
    """(StsEnv with example.com enabled, Postfix): in a directory every user may traverse,
    the spool STATE/tlsrpt owned by the pipe's user; removed at the end."""
    need_root_and_postfix()
    base = Path(tempfile.mkdtemp(prefix="lockstep-postfix-"))
    pf = None
    try:
        base.chmod(0o711)
        with started(base, "env") as envs:
            e = envs.add(StsEnv(envs.workdir(),
                                extra_config="tlsrpt:\n  mailbox: %s\n" % MAILBOX)).start()
            e.zc.ok("mta-sts", "enable", "example.com")
            nobody = pwd.getpwnam(PIPE_USER)
            for p in (e.tmp, e.zc.state):
                p.chmod(0o711)
            e.zc.config.chmod(0o644)
            for sub in ("", "tmp", "new", "bad"):
                d = e.zc.state / "tlsrpt" / sub
                d.mkdir(mode=0o750, exist_ok=True)
                os.chown(d, nobody.pw_uid, nobody.pw_gid)
            pf = Postfix(base / "postfix", e.zc.state, e.zc.config).start()
            yield e, pf
    finally:
        if pf is not None:
            pf.stop()
        shutil.rmtree(base, ignore_errors=True)


def reports(e):
    return e.zc.json("tlsrpt", "list", "example.com")["reports"]


def test_report_mail_through_postfix_pipe(mailed):
    e, pf = mailed
    # The rua names the mailbox first, then httpsd's intake.
    assert e.zc.json("mta-sts", "status", "example.com")["domains"][0]["rua"][0] == \
        "mailto:" + MAILBOX
    # A report mail (multipart/report, application/tlsrpt+gzip): piped, spooled, imported.
    sent = pf.outcome("sent")
    pf.send(mail(gzip.compress(json.dumps(google()).encode())))
    assert wait_until(sent, DELIVERY_TIMEOUT), pf.log()
    assert wait_until(lambda: not spooled(e.zc) and len(reports(e)) == 1, DELIVERY_TIMEOUT), \
        (spooled(e.zc), pf.log())
    day = summary(e.zc, "example.com")[0]["days"][0]
    assert day["reports"] == 1 and day["organizations"] == ["Google Inc."], day
    # A mail without a report: bounced (exit 65), nothing spooled or stored.
    bounced = pf.outcome("bounced")
    pf.send(b"From: someone@sender.example\r\nTo: %s\r\nSubject: hello\r\n\r\nno report\r\n"
            % MAILBOX.encode())
    assert wait_until(bounced, DELIVERY_TIMEOUT), pf.log()
    assert "holds no application/tlsrpt+gzip or +json part" in pf.log(), pf.log()
    assert not spooled(e.zc) and len(reports(e)) == 1
    # A spool the pipe's user cannot write: deferred (exit 75), then delivered once it can.
    new = e.zc.state / "tlsrpt" / "new"
    new.chmod(0o550)
    deferred = pf.outcome("deferred")
    pf.send(mail(json.dumps(microsoft()).encode(), "tlsrpt+json"))
    assert wait_until(deferred, DELIVERY_TIMEOUT), pf.log()
    assert len(reports(e)) == 1
    new.chmod(0o750)
    sent = pf.outcome("sent")
    r = pf.run("-f", prog=POSTQUEUE)           # flush: deliver the deferred mail now
    assert r.returncode == 0, r.stdout
    assert wait_until(sent, DELIVERY_TIMEOUT), pf.log()
    assert wait_until(lambda: not spooled(e.zc) and len(reports(e)) == 2, DELIVERY_TIMEOUT), \
        pf.log()
    orgs = sorted(summary(e.zc, "example.com")[0]["days"][0]["organizations"])
    assert orgs == ["Google Inc.", "Microsoft Corporation"], orgs
