"""The page (/ui/ on the API listener) in a real browser: headless Chromium driven by Selenium
(Debian's chromium, chromium-driver, python3-selenium) against httpsd's API process, dnsd and
zonectl on one store.

With a token scoped to one zone (`zonectl api token add`), at a desk's width and at a phone's
(390 px): log in, see only that zone and its records, add and delete a record (and see it over
DNS), tick "MTA-STS" and see "published" and the id within 10 s, that id over DNS, the
certificate's expiry and a TLS report of today as the API has them, switch the mode to enforce
and see the new id published, untick and see the removal. A publish that waits shows why, a
silent API is said to be silent, a read-only token sees every zone and its tick is refused in
words. The browser's console must show no Content Security Policy violation (a control proves
such a violation is seen), every control has a label, nothing is wider than the window.
Screenshots go to the test's tmp dir and to build/test-artifacts/.
"""

import datetime
import gzip
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

from api_helpers import PREFIX, start_api_env, token
from conftest import BUILD, REPO
from proc_helpers import free_port, started, wait_until
from test_tlsrpt import google, ingest, mail, wait_imported

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = BUILD / "test-artifacts"
PUBLISH_WITHIN = 10     # seconds from the tick to "published" and the id on the page
UI_WAIT = 15            # seconds for anything else the page shows after an action

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
except ImportError as e:    # make deps installs it: a missing package is a failure, not a skip
    pytest.fail("python3-selenium is missing (make deps): %s" % e, pytrace=False)


def check_browser():
    for p in (CHROMIUM, CHROMEDRIVER):
        if not os.access(p, os.X_OK):
            pytest.fail("%s is missing: `make deps` installs chromium and chromium-driver" % p,
                        pytrace=False)


# ------------------------------------------------------------------ the server side

@pytest.fixture
def ui_env(tmp_path):
    """zonectl, httpsd with its API process and dnsd on one store (example.com, example.net);
    env.token is scoped to example.com."""
    check_browser()
    with started(tmp_path, "env") as envs:
        e = start_api_env(envs)
        e.token = token(e.zc, "ui", "--zone", "example.com")
        assert re.fullmatch(r"\S{16,}", e.token), e.token
        e.base = "http://127.0.0.1:%d" % e.api.port
        yield e


def dns_texts(e, name):
    r = e.dnsd.query(name, "TXT")
    return [b"".join(rd.strings).decode() for rrset in r.answer for rd in rrset]


# ------------------------------------------------------------------ the browser side

class Browser:
    """One headless Chromium with a fresh profile, its console log kept."""

    def __init__(self, tmp, width, height):
        self.tmp = Path(tmp)
        opts = webdriver.ChromeOptions()
        opts.binary_location = str(CHROMIUM)
        for f in CHROME_FLAGS:
            opts.add_argument(f)
        profile = self.tmp / "chromium-profile"
        profile.mkdir()
        opts.add_argument("--user-data-dir=%s" % profile)
        opts.add_argument("--window-size=%d,%d" % (width, height))
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(str(CHROMEDRIVER), port=free_port(),
                               log_path=str(self.tmp / "chromedriver.log"))
        try:
            self.d = webdriver.Chrome(service=self.service, options=opts)
        except WebDriverException as e:
            pytest.fail("headless Chromium did not start: %s\nchromedriver log:\n%s" % (
                e.msg, (self.tmp / "chromedriver.log").read_text(errors="replace")[-3000:]),
                pytrace=False)
        self.d.set_page_load_timeout(UI_WAIT)
        # Headless windows are at least 500 px wide: the page's width is set as a phone's is.
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
        self.width = width
        self.console = []

    def quit(self):
        self.d.quit()     # ends chromedriver (by its PID) and the browser it started

    def logs(self):
        """The console entries since the last call, kept in self.console as well."""
        new = self.d.get_log("browser")
        self.console += new
        return new

    def el(self, id_):
        return self.d.find_element(By.ID, id_)

    def text(self, id_):
        return self.el(id_).text

    def shown(self, id_):
        return self.el(id_).is_displayed()

    def wait(self, what, cond, timeout=UI_WAIT):
        v = wait_until(cond, timeout, 0.1)
        if not v:
            try:                # what the page showed, if it has its error box at all
                shot, box = self.shot("failed", "error"), self.text("error")
            except WebDriverException as e:
                shot, box = None, "(no page: %s)" % e.msg
            pytest.fail("%s: not within %d s\nerror box: %r\nscreenshot: %s\nconsole: %s" % (
                what, timeout, box, shot, self.logs()), pytrace=False)
        return v

    def shot(self, name, top="sts-panel"):
        """A screenshot (element top at the top of the window) into the tmp dir and
        build/test-artifacts/."""
        self.d.execute_script("document.getElementById(arguments[0]).scrollIntoView()", top)
        path = self.tmp / ("ui-%s.png" % name)
        assert self.d.save_screenshot(str(path)), path
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, ARTIFACTS / path.name)
        return path


def csp_violations(entries):
    return [e["message"] for e in entries if "Content Security Policy" in e["message"]]


# What the page shows, read in the browser: controls without a label, what is wider than the
# window, and the rows of a table.
UNLABELLED_JS = """
return Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(e => e.offsetParent !== null)
  .filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label') ||
                 (e.tagName === 'BUTTON' && e.textContent.trim())))
  .map(e => e.outerHTML);
"""
OVERFLOW_JS = "return [document.documentElement.scrollWidth, window.innerWidth];"
ROWS_JS = """
return Array.from(document.getElementById(arguments[0]).rows)
  .map(r => Array.from(r.cells).map(c => c.textContent.trim()));
"""


def rows(b, tbody):
    return b.d.execute_script(ROWS_JS, tbody)


def has_record(b, name, rtype, content):
    return any(r[:2] == [name, rtype] and r[3] == content for r in rows(b, "records"))


def check_layout(b, label):
    assert b.d.execute_script(UNLABELLED_JS) == [], label + ": controls without a label"
    scroll, inner = b.d.execute_script(OVERFLOW_JS)
    assert scroll <= inner, "%s: the page is %d px wide in a %d px window" % (label, scroll, inner)


# ------------------------------------------------------------------ the tests

def test_ui_assets_served(ui_env):
    """The API listener serves the built-in files with the CSP and the OpenAPI document as in docs/."""
    e = ui_env
    for path, src, ctype in (("/ui/", "httpsd/api/ui/index.html", "text/html"),
                             ("/ui/app.js", "httpsd/api/ui/app.js", "text/javascript"),
                             ("/ui/app.css", "httpsd/api/ui/app.css", "text/css"),
                             ("/ui/icon.svg", "httpsd/api/ui/icon.svg", "image/svg+xml"),
                             ("/api/openapi.json", "docs/openapi.json", "application/json")):
        a = e.api.call("GET", path, key=None)
        assert a.status == 200, (path, a)
        assert a.headers["content-type"].startswith(ctype), (path, a.headers)
        assert "default-src 'self'" in a.headers.get("content-security-policy", ""), a.headers
        assert a.raw == (REPO / src).read_bytes(), path
    assert e.api.call("GET", "/ui/nothing.js", key=None).status == 404


@pytest.mark.long
@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)], ids=["desk", "phone"])
def test_ui_checkbox(ui_env, tmp_path, width, height):
    e = ui_env
    b = Browser(tmp_path, width, height)
    try:
        run_page(e, b, "%d" % width)
    finally:
        b.logs()
        (tmp_path / "console.log").write_text("\n".join(str(x) for x in b.console))
        b.quit()


@pytest.mark.long
def test_ui_waiting(ui_env, tmp_path):
    """A publish that waits (no certificate for mta-sts.example.com): the page says waiting and
    why, as the API does, and no id; once the certificate is there, published by itself."""
    e = ui_env
    # A file where the certificate's directory would be: enabling makes no certificate.
    block = e.zc.state / "certs" / "mta-sts.example.com"
    block.parent.mkdir(exist_ok=True)
    block.write_text("not a directory\n")
    b = Browser(tmp_path, 390, 844)
    try:
        b.d.get(e.base + "/ui/")
        b.wait("the login form", lambda: b.shown("token"))
        log_in(e, b)
        b.el("sts-enabled").click()
        b.wait("waiting and why", lambda: b.text("sts-state") == "waiting" and
               b.shown("sts-reason-line") and b.text("sts-reason") != "")
        a = e.api.call("GET", PREFIX + "/zones/example.com./mta-sts", key=e.token)
        assert a.json["state"] == "waiting" and a.json["reason"] == b.text("sts-reason"), a
        assert not b.shown("sts-id-line")
        assert e.txt_id() is None
        b.shot("390-waiting")
        block.unlink()
        e.zc.ok("cert", "issue", "mta-sts.example.com")
        b.wait("published once the certificate is there",
               lambda: b.text("sts-state") == "published" and b.shown("sts-id-line"), 30)
        assert not b.shown("sts-reason-line")
        assert e.txt_id() == b.text("sts-id")
        assert csp_violations(b.logs()) == []
    finally:
        b.quit()


@pytest.mark.long
def test_ui_read_only(ui_env, tmp_path):
    """A read-only token for every zone: both zones listed, one opened by a click; ticking the
    box is refused by the API (403), said in words, and the box goes back; nothing changed."""
    e = ui_env
    ro = token(e.zc, "viewer", "--read-only")
    b = Browser(tmp_path, 1280, 900)
    try:
        b.d.get(e.base + "/ui/")
        b.wait("the login form", lambda: b.shown("token"))
        b.el("token").send_keys(ro)
        b.el("login").click()
        b.wait("the zone list", lambda: b.shown("zones-view"))
        buttons = b.d.find_elements(By.CSS_SELECTOR, "#zones button")
        assert [x.text for x in buttons] == ["example.com.", "example.net."]
        assert not b.shown("zone-view")
        buttons[1].click()
        b.wait("example.net's records", lambda: b.text("zone-title") == "Zone example.net." and
               any(r[1] == "MX" for r in rows(b, "records")))
        assert buttons[1].get_attribute("aria-current") == "true"
        before = e.zc.export("example.net")
        b.el("sts-enabled").click()
        b.wait("the refusal", lambda: b.shown("error"))
        assert "this token may not do that" in b.text("error"), b.text("error")
        b.wait("the box unticked again", lambda: not b.el("sts-enabled").is_selected())
        assert b.text("sts-state") == "off"
        assert e.zc.export("example.net") == before
        # Logging out forgets the token.
        b.el("logout").click()
        assert b.shown("login-view")
        assert b.d.execute_script("return sessionStorage.getItem('lockstep-token')") is None
        assert csp_violations(b.logs()) == []
    finally:
        b.quit()


@pytest.mark.long
def test_ui_api_silent(ui_env, tmp_path):
    """The API process stops answering: the page says so within its call timeout (10 s), and
    takes the error away by itself once the API answers again."""
    e = ui_env
    b = Browser(tmp_path, 390, 844)
    try:
        b.d.get(e.base + "/ui/")
        b.wait("the login form", lambda: b.shown("token"))
        log_in(e, b)
        b.wait("the MTA-STS state", lambda: b.text("sts-state") == "off")
        line = [l for l in e.httpsd.log_lines() if "api: API process" in l][-1]
        pid = int(line.split("API process ")[1].split()[0])
        os.kill(pid, signal.SIGSTOP)
        try:
            # The next poll (5 s) waits for its answer for 10 s.
            b.wait("the API's silence on the page", lambda: b.shown("error"), 25)
            assert "did not answer within 10 s" in b.text("error"), b.text("error")
        finally:
            os.kill(pid, signal.SIGCONT)
        b.wait("the error gone once the API answers", lambda: not b.shown("error"), 25)
        assert b.text("sts-state") == "off"
        assert csp_violations(b.logs()) == []
    finally:
        b.quit()


def log_in(e, b):
    """Logs in with e.token (scoped to example.com): that zone alone, opened, with its records."""
    b.el("token").clear()
    b.el("token").send_keys(e.token)
    b.el("login").click()
    b.wait("the zone list", lambda: b.shown("zones-view") and not b.shown("login-view"))
    zones = [x.text for x in b.d.find_elements(By.CSS_SELECTOR, "#zones button")]
    assert zones == ["example.com."], zones
    b.wait("the records", lambda: has_record(b, "example.com.", "MX", "10 mx1.example.com."))


def run_page(e, b, label):
    d = b.d
    d.get(e.base + "/ui/")
    b.wait("the login form", lambda: b.shown("token"))
    assert d.execute_script("return window.innerWidth") == b.width
    check_layout(b, label + " login")

    # A wrong token: the API's refusal in words, still logged out.
    b.el("token").send_keys("not-a-token")
    b.el("login").click()
    b.wait("the refusal of a wrong token", lambda: b.shown("error"))
    assert "refused the token" in b.text("error"), b.text("error")
    assert b.shown("login-view")

    # The token of one zone: that zone alone, opened, with its records.
    log_in(e, b)
    assert d.execute_script("return sessionStorage.getItem('lockstep-token')") == e.token
    assert d.get_cookies() == []
    check_layout(b, label + " zone")
    assert b.text("sts-state") == "off"
    assert not b.el("sts-enabled").is_selected()

    # Add a record through the form: on the page and over DNS; then delete it.
    b.el("add-name").send_keys("ui-test")
    Select(b.el("add-type")).select_by_visible_text("TXT")
    b.el("add-content").send_keys('"added by the page"')
    b.el("add").click()
    b.wait("the added record", lambda: has_record(b, "ui-test.example.com.", "TXT",
                                                  '"added by the page"'))
    assert dns_texts(e, "ui-test.example.com") == ["added by the page"]
    d.find_element(By.CSS_SELECTOR,
                   "button[aria-label^='Delete ui-test.example.com. TXT']").click()
    b.wait("the deleted record", lambda: not any(r[0] == "ui-test.example.com."
                                                 for r in rows(b, "records")))
    assert dns_texts(e, "ui-test.example.com") == []

    # A refused edit: the API's reason shown, nothing changed.
    before = e.zc.export("example.com")
    b.el("add-name").clear()
    b.el("add-name").send_keys("@")
    Select(b.el("add-type")).select_by_visible_text("CNAME")
    b.el("add-content").clear()
    b.el("add-content").send_keys("elsewhere.example.net.")
    b.el("add").click()
    b.wait("the refusal of a CNAME at the apex", lambda: b.shown("error"))
    assert "HTTP 422" in b.text("error"), b.text("error")
    assert e.zc.export("example.com") == before

    # The checkbox: published with its id within 10 s, the same id over DNS.
    start = time.monotonic()
    b.el("sts-enabled").click()
    b.wait("published and the id on the page",
           lambda: b.text("sts-state") == "published" and b.shown("sts-id-line"),
           PUBLISH_WITHIN)
    took = time.monotonic() - start
    page_id = b.text("sts-id")
    assert re.fullmatch(r"[A-Za-z0-9]{1,32}", page_id), page_id
    assert e.txt_id() == page_id
    assert b.el("sts-enabled").is_selected()
    assert b.shown("sts-endpoints-box")
    # The records the checkbox wrote: listed (read again), marked, with no delete button.
    b.wait("the managed records on the page", lambda: any(
        r[0] == "_mta-sts.example.com." and r[4] == "MTA-STS" for r in rows(b, "records")))
    assert d.find_elements(By.CSS_SELECTOR, "button[aria-label^='Delete _mta-sts.']") == []
    assert d.find_elements(By.CSS_SELECTOR, "button[aria-label^='Delete mta-sts.']") == []
    assert rows(b, "sts-endpoints")[0][0].startswith("127.0.0.1")
    b.shot(label + "-published")
    check_layout(b, label + " published")
    print("%s px: published and id %s on the page %.2f s after the tick" % (label, page_id, took))

    # The certificate's expiry and a TLS report of today, as the API has them.
    b.wait("the certificate's expiry", lambda: b.shown("sts-cert-line"))
    a = e.api.call("GET", PREFIX + "/zones/example.com./mta-sts", key=e.token)
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\dZ", a.json["certificate"]["not_after"])
    assert m and b.text("sts-cert") == "%s %s UTC" % m.groups(), (b.text("sts-cert"), a)
    rc, err, _ = ingest(e.zc, mail(gzip.compress(json.dumps(google()).encode())),
                        "--domain", "example.com")
    assert rc == 0, err
    wait_imported(e, 1)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    b.wait("today's TLS report", lambda: rows(b, "sts-tlsrpt") == [[today, "120", "0"]])

    # The mode: enforce, a new policy and id, published again.
    Select(b.el("sts-mode")).select_by_visible_text("enforce")
    b.wait("enforce published with a new id",
           lambda: b.text("sts-state") == "published" and b.text("sts-id") not in ("", page_id))
    a = e.api.call("GET", PREFIX + "/zones/example.com./mta-sts", key=e.token)
    assert a.json["mode"] == "enforce" and a.json["id"] == b.text("sts-id"), a
    assert e.txt_id() == b.text("sts-id")

    # Untick: the removal state on the page, as the API has it.
    b.el("sts-enabled").click()
    b.wait("the removal state", lambda: b.text("sts-state") == "removing")
    assert not b.el("sts-enabled").is_selected()
    a = e.api.call("GET", PREFIX + "/zones/example.com./mta-sts", key=e.token)
    assert a.status == 200 and a.json["state"] == "removing", a
    b.shot(label + "-removing")

    assert csp_violations(b.logs() + b.console) == [], "CSP violations in the console"
    # Control: a violation is seen where there is one (an inline script the CSP refuses).
    d.execute_script("var s = document.createElement('script'); s.textContent = '1';"
                     "document.body.appendChild(s);")
    assert b.wait("the control's CSP violation in the console",
                  lambda: csp_violations(b.logs()), 5)
    b.console = [x for x in b.console if "Content Security Policy" not in x["message"]]
