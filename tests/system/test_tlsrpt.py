"""TLS reports (RFC 8460) by mail: `zonectl tlsrpt ingest` spools a report found in a mail
made with Python's email package, dnsd's maintenance thread imports it, and `tlsrpt summary`
counts it as issue 12 says. Duplicates are stored once; a gzip bomb, bad JSON and a mail
without a report are refused (exit 65) and change nothing."""

import datetime
import gzip
import json
import os
import subprocess
import time
import zlib
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from conftest import Zonectl, clean_env
from sts_helpers import sts_factory  # noqa: F401  (fixture)

EX_DATAERR = 65
POLICY = ["version: STSv1", "mode: testing", "mx: mx1.example.com", "mx: mx2.example.com",
          "max_age: 604800"]
MIB = 1 << 20


def day(offset=0):
    d = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)
    return d.isoformat()


def report(org, rid, start_day, policies):
    return {"organization-name": org, "report-id": rid, "contact-info": None,
            "date-range": {"start-datetime": start_day + "T00:00:00Z",
                           "end-datetime": start_day + "T23:59:59Z"},
            "policies": policies}


def sts_policy(ok, failed, details=None, lines=POLICY, domain="example.com"):
    p = {"policy": {"policy-type": "sts", "policy-string": lines, "policy-domain": domain,
                    "mx-host": ["mx1.example.com", "mx2.example.com"]},
         "summary": {"total-successful-session-count": ok,
                     "total-failure-session-count": failed}}
    if details is not None:
        p["failure-details"] = details
    return p


def mail(body, subtype="tlsrpt+gzip"):
    """An RFC 8460 5.3 report mail, as Google or Microsoft send it."""
    m = MIMEMultipart("report", report_type="tlsrpt")
    m["From"] = "noreply-smtp-tls-reporting@sender.example"
    m["To"] = "tlsrpt@example.com"
    m["Subject"] = "Report Domain: example.com Submitter: sender.example Report-ID: <1@x>"
    m["TLS-Report-Domain"] = "example.com"
    m["TLS-Report-Submitter"] = "sender.example"
    m.attach(MIMEText("This is an aggregate TLS report from sender.example\n"))
    att = MIMEApplication(body, subtype)
    att.add_header("Content-Disposition", "attachment", filename="report.json.gz")
    m.attach(att)
    return m.as_bytes()


def ingest(zc, data, *args):
    """Runs `tlsrpt ingest` with data on stdin: (exit status, stderr, max RSS in KiB)."""
    msg, err = zc.tmp / "mail.eml", zc.tmp / "ingest.err"
    msg.write_bytes(data)
    with open(msg, "rb") as fin, open(err, "wb") as ferr:
        p = subprocess.Popen(zc.argv("tlsrpt", "ingest", *args), stdin=fin,
                             stdout=subprocess.DEVNULL, stderr=ferr, env=clean_env(zc.tmp))
        deadline = time.monotonic() + 60
        while True:       # wait4 for the child's own peak memory; bounded
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            assert time.monotonic() < deadline, "tlsrpt ingest did not end"
            time.sleep(0.02)
        p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, err.read_text(), ru.ru_maxrss


def spooled(zc):
    new = zc.state / "tlsrpt" / "new"
    return sorted(os.listdir(new)) if new.exists() else []


def summary(zc, *args):
    return zc.json("tlsrpt", "summary", *args)["domains"]


def wait_imported(e, n):
    """Until dnsd's maintenance thread has taken the spool in and the store holds n reports."""
    e.wait("spool imported", lambda: not spooled(e.zc) and
           len(e.zc.json("tlsrpt", "list", "example.com")["reports"]) == n)


def google():
    return report("Google Inc.", day() + "_example.com", day(), [sts_policy(120, 0)])


def microsoft():
    lines = [POLICY[4], POLICY[3], POLICY[1], POLICY[0], "  " + POLICY[2]]   # reordered
    return report("Microsoft Corporation", "1337+example.com", day(), [
        sts_policy(40, 7, lines=lines, domain="example.com", details=[
            {"result-type": "certificate-host-mismatch", "sending-mta-ip": "40.107.1.2",
             "receiving-ip": "192.0.2.25", "receiving-mx-hostname": "mx2.example.com",
             "failed-session-count": 4},
            {"result-type": "sts-policy-fetch-error", "sending-mta-ip": "",
             "failed-session-count": 2}]),
        {"policy": {"policy-type": "no-policy-found", "policy-domain": "other.example"},
         "summary": {"total-successful-session-count": 3,
                     "total-failure-session-count": 0}}])


def test_ingest_by_mail_counts_in_summary(sts_factory):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    rc, err, _ = ingest(e.zc, mail(gzip.compress(json.dumps(google()).encode())),
                        "--domain", "example.com")
    assert rc == 0, err
    rc, err, _ = ingest(e.zc, mail(json.dumps(microsoft()).encode(), "tlsrpt+json"))
    assert rc == 0, err
    wait_imported(e, 2)
    doms = summary(e.zc, "example.com")
    assert [d["domain"] for d in doms] == ["example.com"]
    days = doms[0]["days"]
    assert len(days) == 1
    d = days[0]
    assert d["day"] == day()
    assert d["reports"] == 2
    assert sorted(d["organizations"]) == ["Google Inc.", "Microsoft Corporation"]
    # Only the policies for example.com count: the no-policy-found one is misaddressed.
    assert d["successful"] == 160 and d["failed"] == 7
    # Details say 6 where the summary says 7: both kept, the difference shown.
    assert d["failed_in_details"] == 6 and d["difference"] == 1
    assert d["result_types"] == {"certificate-host-mismatch": 4, "sts-policy-fetch-error": 2}
    assert d["mx"] == {"mx2.example.com": 4, "unknown": 2}
    assert d["sending_ips"] == {"40.107.1.2": 4, "unknown": 2}
    # Both name the current policy (one with its lines reordered and re-spaced).
    assert d["older_policy_sessions"] == 0 and d["unknown_policy_sessions"] == 0
    # list and show: the report exactly as received.
    reports = e.zc.json("tlsrpt", "list", "example.com")["reports"]
    ms = [r for r in reports if r["organization"] == "Microsoft Corporation"][0]
    assert ms["misaddressed"] == 1
    shown = e.zc.ok("tlsrpt", "show", ms["id"]).out
    assert shown == json.dumps(microsoft())
    text = e.zc.ok("tlsrpt", "summary").out
    assert "reports 2 from 2 organisations" in text and "certificate-host-mismatch=4" in text
    # dnsd's alerts: the new failure types, and 7 of 167 sessions over alert-percent 1%.
    want = ["tlsrpt: example.com: %s: 7 of 167 sessions failed" % day(),
            "tlsrpt: example.com: %s: failure type certificate-host-mismatch" % day()]
    e.wait("alerts logged", lambda: all(w in e.dnsd.log_text() for w in want))


def test_duplicates_stored_once(sts_factory):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    body = json.dumps(google()).encode()
    for data in (mail(gzip.compress(body)), mail(body, "tlsrpt+json"), mail(gzip.compress(body))):
        rc, err, _ = ingest(e.zc, data)
        assert rc == 0, err
    wait_imported(e, 1)
    # Later ones may still be in flight: wait for an empty spool, then count again.
    e.wait("spool empty", lambda: not spooled(e.zc))
    assert len(e.zc.json("tlsrpt", "list", "example.com")["reports"]) == 1
    assert summary(e.zc)[0]["days"][0]["successful"] == 120


def test_refusals_change_nothing(tmp_path):
    zc = Zonectl(tmp_path)
    # A gzip bomb: 1 GiB of zeros, about 1 MiB compressed, refused without inflating it.
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(MIB)
    bomb = b"".join(z.compress(chunk) for _ in range(1024)) + z.flush()
    assert len(bomb) < MIB
    t0 = time.monotonic()
    rc, err, ru = ingest(zc, mail(bomb))
    assert rc == EX_DATAERR, err
    assert "max-expanded" in err, err
    assert time.monotonic() - t0 < 30
    assert ru < 200 * 1024, ru   # KiB: far below what inflating 1 GiB would take
    # Bad JSON, truncated gzip, a mail without a report, a JSON that is no TLS report.
    good = gzip.compress(json.dumps(google()).encode())
    for data, why in ((mail(b'{"organization-name": "x", ', "tlsrpt+json"), "not JSON"),
                      (mail(good[:len(good) // 2]), "truncated"),
                      (b"From: a@b\r\nSubject: hi\r\n\r\nno report here\r\n", "no application"),
                      (mail(b'{"a": 1}', "tlsrpt+json"), "no organization-name")):
        rc, err, _ = ingest(zc, data)
        assert rc == EX_DATAERR and why in err, (rc, err)
    assert spooled(zc) == []
    r = zc("tlsrpt", "ingest", "--domain", "not a name!", input="")
    assert r.rc == 2, r.err


def test_days_selects_by_report_day(tmp_path):
    """zonectl alone: ingest, then `tlsrpt import` (what dnsd does), then --days."""
    zc = Zonectl(tmp_path)
    zc.ok("zone", "import", str(__import__("conftest").ZONES_DIR / "example.com.zone"))
    zc.config.write_text("mta-sts:\n  service-address: 127.0.0.1\n")
    zc.ok("mta-sts", "enable", "example.com", "--no-publish")
    old = report("Old Sender", "old-1", day(-30), [sts_policy(5, 1, details=[
        {"result-type": "starttls-not-supported", "receiving-mx-hostname": "mx1.example.com",
         "failed-session-count": 1}])])
    new = report("New Sender", "new-1", day(-1), [sts_policy(9, 0)])
    for r in (old, new):
        rc, err, _ = ingest(zc, mail(gzip.compress(json.dumps(r).encode())))
        assert rc == 0, err
    assert len(spooled(zc)) == 2
    assert zc.json("tlsrpt", "import") == {"imported": 2, "duplicates": 0, "rejected": 0}
    assert spooled(zc) == []
    assert zc.json("tlsrpt", "import") == {"imported": 0, "duplicates": 0, "rejected": 0}
    days = summary(zc, "--days", "7")[0]["days"]
    assert [(d["day"], d["successful"]) for d in days] == [(day(-1), 9)]
    days = summary(zc, "example.com", "--days", "40")[0]["days"]
    assert [(d["day"], d["successful"], d["failed"]) for d in days] == [
        (day(-30), 5, 1), (day(-1), 9, 0)]
    assert days[0]["mx"] == {"mx1.example.com": 1} and days[0]["sending_ips"] == {"unknown": 1}
    assert zc("tlsrpt", "summary", "--days", "0").rc == 2
    # reparse counts the same again.
    assert zc.json("tlsrpt", "reparse") == {"reparsed": 2}
    assert summary(zc, "example.com", "--days", "40")[0]["days"] == days


def tlsrpt_txt(e, domain="example.com"):
    r = e.dnsd.query("_smtp._tls.%s" % domain, "TXT")
    return [b"".join(rd.strings).decode() for rrset in r.answer for rd in rrset]


def test_enable_names_own_mailbox_first(sts_factory):
    e = sts_factory(extra_config="tlsrpt:\n  mailbox: tlsrpt@reports.example.net\n")
    e.zc.ok("mta-sts", "enable", "example.com", "--rua", "mailto:rua@outside.example")
    own = "mailto:tlsrpt@reports.example.net,https://mta-sts.example.com/tlsrpt,"
    assert tlsrpt_txt(e) == ["v=TLSRPTv1; rua=" + own + "mailto:rua@outside.example"]
    # set --rua gives the list anew, own addresses first; --rua-only leaves them out.
    e.zc.ok("mta-sts", "set", "example.com", "--rua", "https://rpt.outside.example/v1")
    assert tlsrpt_txt(e) == ["v=TLSRPTv1; rua=" + own + "https://rpt.outside.example/v1"]
    e.zc.ok("mta-sts", "set", "example.com", "--rua", "mailto:rua@outside.example", "--rua-only")
    assert tlsrpt_txt(e) == ["v=TLSRPTv1; rua=mailto:rua@outside.example"]
    e.zc.ok("mta-sts", "set", "example.com", "--no-rua")
    assert tlsrpt_txt(e) == []
    assert e.zc("mta-sts", "set", "example.com", "--rua-only").rc == 2


def test_enable_without_rua_uses_own_mailbox(sts_factory):
    e = sts_factory(extra_config="tlsrpt:\n  mailbox: tlsrpt@reports.example.net\n")
    e.zc.ok("mta-sts", "enable", "example.com")
    assert tlsrpt_txt(e) == ["v=TLSRPTv1; rua=mailto:tlsrpt@reports.example.net,"
                             "https://mta-sts.example.com/tlsrpt"]
    e.zc.ok("mta-sts", "disable", "example.com", "--now")
    assert tlsrpt_txt(e) == []


def test_enforce_weighs_the_reports(sts_factory):
    e = sts_factory()
    e.zc.ok("mta-sts", "enable", "example.com")
    # No reports at all: a warning, and the switch goes on.
    r = e.zc.ok("mta-sts", "mode", "example.com", "enforce")
    assert "no TLS reports" in r.err
    e.zc.ok("mta-sts", "mode", "example.com", "testing")
    # Failures only for an MX the policy no longer names: no reason to refuse.
    gone = report("Gone MX", "gone-1", day(-1), [sts_policy(10, 3, details=[
        {"result-type": "certificate-expired", "receiving-mx-hostname": "old-mx.example.com",
         "failed-session-count": 3}])])
    rc, err, _ = ingest(e.zc, mail(gzip.compress(json.dumps(gone).encode())))
    assert rc == 0, err
    e.zc.ok("tlsrpt", "import")
    r = e.zc.ok("mta-sts", "mode", "example.com", "enforce")
    assert "TLS reports of the last 14 days" in r.err and "certificate-expired=3" in r.err
    e.zc.ok("mta-sts", "mode", "example.com", "testing")
    # A failure at mx2, still in the policy: refused (exit 4) and nothing changes, unless --force.
    rc, err, _ = ingest(e.zc, mail(json.dumps(microsoft()).encode(), "tlsrpt+json"))
    assert rc == 0, err
    e.zc.ok("tlsrpt", "import")
    version = e.status()["version"] if "version" in e.status() else None
    r = e.zc("mta-sts", "mode", "example.com", "enforce")
    assert r.rc == 4, r.out + r.err
    assert "not switched to enforce" in r.err and "mx2.example.com" in r.err
    assert "mode: testing" in e.status()["policy"]
    if version is not None:
        assert e.status()["version"] == version
    r = e.zc.ok("mta-sts", "mode", "example.com", "enforce", "--force")
    assert "--force" in r.err
    assert "mode: enforce" in e.status()["policy"]


def test_dnsd_prunes_past_keep_days(tmp_path):
    """Reports received more than tlsrpt.keep-days ago go at dnsd's first pruning (at start)."""
    from sts_helpers import StsEnv
    e = StsEnv(tmp_path, extra_config="tlsrpt:\n  keep-days: 2\n")
    e.zc.ok("mta-sts", "enable", "example.com", "--no-publish")
    old = report("Old Sender", "old-1", day(-5), [sts_policy(5, 0)])
    new = report("New Sender", "new-1", day(-1), [sts_policy(9, 0)])
    for r in (old, new):
        rc, err, _ = ingest(e.zc, mail(gzip.compress(json.dumps(r).encode())))
        assert rc == 0, err
    # Received is when the report was spooled: make the old one arrive 3 days ago.
    spool = e.zc.state / "tlsrpt" / "new"
    for name in spooled(e.zc):
        if "Old Sender" in gzip.decompress((spool / name).read_bytes()).decode():
            t = time.time() - 3 * 86400
            os.utime(spool / name, (t, t))
    assert e.zc.json("tlsrpt", "import")["imported"] == 2
    assert len(e.zc.json("tlsrpt", "list", "example.com")["reports"]) == 2
    try:
        e.start()
        e.wait("old report pruned", lambda: [r["organization"] for r in e.zc.json(
            "tlsrpt", "list", "example.com")["reports"]] == ["New Sender"])
        assert "tlsrpt: 1 report older than 2 days pruned" in e.dnsd.log_text()
    finally:
        e.stop()
    days = summary(e.zc, "--days", "30")[0]["days"]
    assert [d["day"] for d in days] == [day(-1)]
