"""The dashboard, the connect page and the embeddable widget in a real browser:
headless Chromium (Debian's chromium and chromium-driver) driven by Selenium,
against `inbox serve` on a fresh SQLite store. Run by tests/run.sh; alone:

    .tools/venv/bin/python tests/browser/test_dashboard.py

Each test saves a screenshot under target/browser/.
"""

import gzip
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INBOX = os.path.join(ROOT, "target", "debug", "inbox")
SHOTS = os.path.join(ROOT, "target", "browser")
OWNER, CONNECTOR, PASSWORD = "owner@browser.test", "connector@browser.test", "browser password 1"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The JSON API, as the connector and the host application's server use it."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, token=None):
        req = urllib.request.Request(self.base + path, method=method)
        if body is not None:
            req.data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
                return resp.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text else None)

    def login(self, username):
        status, body = self.call("POST", "/authentication/login_check", {"username": username, "password": PASSWORD})
        assert status == 200, body
        return body["token"]


class Host(http.server.BaseHTTPRequestHandler):
    """A host application's page, on another origin, embedding the widget."""

    page = ""

    def do_GET(self):
        body = Host.page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_host(port):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def setUpModule():
    global DATA, SERVER, API, BASE, HOST_PORT, OTHER_PORT, HOSTS, DRIVER
    os.makedirs(SHOTS, exist_ok=True)
    DATA = tempfile.mkdtemp(prefix="inbox-browser-")
    env = dict(os.environ, INBOX_DATA_DIR=DATA)
    env.pop("INBOX_CONNECT_BASE_URL", None)
    tenant = subprocess.check_output([INBOX, "tenant", "create", "--name", "Browser Co"], env=env, text=True).strip()
    for user, role in [(OWNER, "owner"), (CONNECTOR, "connector")]:
        subprocess.check_call(
            [INBOX, "user", "create", "--tenant", tenant, "--username", user, "--password", PASSWORD, "--role", role],
            env=env,
            stdout=subprocess.DEVNULL,
        )
    HOST_PORT, OTHER_PORT = free_port(), free_port()
    env["INBOX_EMBED_ORIGINS"] = f"http://127.0.0.1:{HOST_PORT}"
    SERVER = subprocess.Popen(
        [INBOX, "serve", "--listen", "127.0.0.1:0", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(os.path.join(SHOTS, "serve.log"), "w"),
        text=True,
    )
    for line in SERVER.stdout:
        m = re.search(r"listening on (\S+)", line)
        if m:
            BASE = m.group(1)
            break
    threading.Thread(target=lambda: [None for _ in SERVER.stdout], daemon=True).start()
    API = Api(BASE)
    HOSTS = [serve_host(HOST_PORT), serve_host(OTHER_PORT)]

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tempfile.mkdtemp(prefix='inbox-chromium-')}",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    DRIVER = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    DRIVER.implicitly_wait(0)


def tearDownModule():
    DRIVER.quit()
    for h in HOSTS:
        h.shutdown()
    SERVER.terminate()
    SERVER.wait(10)
    shutil.rmtree(DATA, ignore_errors=True)


def wait(condition, timeout=15):
    """Waits for a condition; on timeout, a screenshot and the page's text say what was there instead."""
    try:
        return WebDriverWait(DRIVER, timeout).until(condition)
    except TimeoutException:
        name = f"timeout-{len(os.listdir(SHOTS))}"
        shot(name)
        text = DRIVER.execute_script("return document.body ? document.body.innerText : ''")
        raise AssertionError(f"timed out at {DRIVER.current_url} (see {name}.png); the page said:\n{text[:2000]}")


def visible(css):
    return wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def text_in(css, text):
    return wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def click_text(tag, text):
    wait(EC.element_to_be_clickable((By.XPATH, f"//{tag}[normalize-space()='{text}']"))).click()


def shot(name):
    DRIVER.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def console_errors():
    return [e["message"] for e in DRIVER.get_log("browser") if e["level"] == "SEVERE"]


def page_basics(test):
    """Lighthouse-style basics of the page as it is now: labelled fields, images with alt."""
    unlabelled = DRIVER.execute_script(
        "return [...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
        ".map(e => e.outerHTML)"
    )
    test.assertEqual(unlabelled, [], "every form field has a label")
    test.assertEqual(DRIVER.execute_script("return document.querySelectorAll('img:not([alt])').length"), 0)
    text = DRIVER.find_element(By.TAG_NAME, "body").text
    for leak in ["[object", "undefined", "NaN", '{"']:
        test.assertNotIn(leak, text, "nothing shown raw")


def log_in(username=OWNER, password=PASSWORD):
    DRIVER.get(BASE + "/dashboard")
    visible("input[autocomplete=username]").send_keys(username)
    DRIVER.find_element(By.CSS_SELECTOR, "input[autocomplete=current-password]").send_keys(password)
    click_text("button", "Log in")


def account_id():
    m = re.search(UUID, DRIVER.current_url)
    assert m, DRIVER.current_url
    return m.group(0)


class Dashboard(unittest.TestCase):
    """The seed-000 owner flow, in order (the tests share the browser and the data)."""

    def test_1_login_refuses_bad_password_then_opens_accounts(self):
        log_in(password="not the password")
        text_in(".alert", "Invalid credentials")
        shot("login-refused")
        DRIVER.get_log("browser")  # the refused login's 401 is expected in the console
        DRIVER.find_element(By.CSS_SELECTOR, "input[autocomplete=current-password]").clear()
        DRIVER.find_element(By.CSS_SELECTOR, "input[autocomplete=current-password]").send_keys(PASSWORD)
        click_text("button", "Log in")
        text_in("main h1", "Accounts")
        text_in(".empty", "No accounts yet")
        token = DRIVER.execute_script("return sessionStorage.getItem('inbox.session')")
        self.assertIn('"token"', token)
        self.assertEqual(DRIVER.execute_script("return localStorage.length"), 0, "nothing in localStorage")
        page_basics(self)
        shot("accounts-empty")
        self.assertEqual(console_errors(), [])

    def test_2_add_whatsapp_account_listed_as_waiting(self):
        click_text("a", "Add Account")
        visible("input[value='/api/integrations/whatsapp']")
        page_basics(self)
        DRIVER.find_element(By.XPATH, "//label[.//strong[text()='WhatsApp']]").click()
        click_text("button", "Save and continue")
        text_in(".badge", "Waiting for sign-in")
        type(self).account = account_id()
        text_in(".next", "Complete the sign-in")
        shot("account-waiting")
        DRIVER.get(BASE + "/dashboard#/accounts")
        row = visible("table.accounts tbody tr")
        self.assertIn("WhatsApp", row.text)
        self.assertIn("Waiting for sign-in", row.text)
        self.assertEqual(len(DRIVER.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")), 1)
        page_basics(self)
        shot("accounts-waiting")
        self.assertEqual(console_errors(), [])

    def test_3_connector_signs_in_and_both_pages_show_connected(self):
        status, account = API.call("GET", f"/api/accounts/{self.account}", token=API.login(OWNER))
        self.assertEqual(status, 200)
        self.assertEqual(account["reconnectUrl"], f"{BASE}/connect/whatsapp/{self.account}")
        # The dashboard's link opens the connect page, which waits for the connector.
        DRIVER.get(BASE + f"/dashboard#/accounts/{self.account}")
        click_text("a", "Open the connect page")
        text_in("#state", "Waiting for sign-in")
        self.assertEqual(DRIVER.current_url, account["reconnectUrl"])
        self.assertIn("connector", DRIVER.find_element(By.TAG_NAME, "main").text)
        shot("connect-waiting")
        status, _ = API.call(
            "POST",
            f"/api/accounts/{self.account}/authorize",
            {"platformId": "15551234567", "platformUsername": "browsersupport", "username": "Browser Support"},
            token=API.login(CONNECTOR),
        )
        self.assertEqual(status, 200)
        text_in("#state", "Connected as Browser Support")  # the page polls the account
        shot("connect-connected")
        DRIVER.get(BASE + f"/dashboard#/accounts/{self.account}")
        text_in(".title-row .badge", "Authorized")
        self.assertEqual(DRIVER.find_elements(By.CSS_SELECTOR, ".next"), [], "no next step once connected")
        self.assertEqual(console_errors(), [])

    def test_4_edit_description_and_history_shows_three_events(self):
        description = visible("input[name=description]")
        description.clear()
        description.send_keys("Support line, EU")
        click_text("button", "Save changes")
        text_in("#toast", "Changes saved")
        status, account = API.call("GET", f"/api/accounts/{self.account}", token=API.login(OWNER))
        self.assertEqual(account["description"], "Support line, EU")
        wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history li.event")) == 3)
        types = [e.get_attribute("data-type") for e in DRIVER.find_elements(By.CSS_SELECTOR, "#history li.event")]
        self.assertEqual(types, ["AccountConnected", "AccountAuthorized", "AccountUpdated"])
        history = DRIVER.find_element(By.ID, "history").text
        self.assertIn("by you", history)
        self.assertIn(f"by {CONNECTOR}", history, "the connector's sign-in report, by username")
        self.assertIn("Support line, EU", history)
        page_basics(self)
        shot("account-history")
        self.assertEqual(console_errors(), [])

    def test_5_api_key_secret_shown_once(self):
        DRIVER.get(BASE + "/dashboard#/settings/api-keys")
        visible("input[name=name]").send_keys("CRM sync")
        click_text("button", "Generate key")
        secret = visible(".secret-panel input.secret").get_attribute("value")
        self.assertTrue(secret.startswith("inbx_"), secret)
        self.assertIn("only this once", DRIVER.find_element(By.CSS_SELECTOR, ".secret-panel").text)
        page_basics(self)
        shot("api-key-created")
        click_text("a", "Users")
        click_text("a", "API Keys")
        row = visible("tbody tr")
        self.assertIn("CRM sync", row.text)
        self.assertIn(secret[:11], row.text, "the key's hint is its start")
        self.assertNotIn(secret, DRIVER.page_source, "the secret is not shown again")
        status, _ = API.call("GET", "/api/v1/account-links", token=secret)
        self.assertEqual(status, 200, "the key works")
        self.assertEqual(console_errors(), [])

    def test_6_violations_are_shown_next_to_their_field(self):
        DRIVER.get(BASE + "/dashboard#/settings/webhooks")
        visible("input[type=url]").send_keys("http://127.0.0.1/hook")
        click_text("button", "Add endpoint")
        error = visible("[data-error-for=url]")
        self.assertTrue(error.text, "the url violation is next to the url field")
        self.assertNotIn("{", DRIVER.find_element(By.TAG_NAME, "main").text, "no raw JSON")
        page_basics(self)
        shot("webhook-violation")
        DRIVER.get_log("browser")  # the 422 is expected in the console

    def test_7_remove_account_after_confirmation(self):
        DRIVER.get(BASE + f"/dashboard#/accounts/{self.account}")
        click_text("button", "Remove account")
        dialog = visible("dialog.confirm")
        self.assertIn("cannot be undone", dialog.text)
        shot("remove-confirm")
        click_text("button", "Remove")
        text_in(".empty", "No accounts yet")
        status, _ = API.call("GET", f"/api/accounts/{self.account}", token=API.login(OWNER))
        self.assertEqual(status, 404)
        self.assertEqual(console_errors(), [])

    def test_8_narrow_screen_and_page_weight(self):
        owner = API.login(OWNER)
        for kind in ["telegram", "gmail", "linkedin"]:
            API.call("POST", "/api/accounts", {"integration": f"/api/integrations/{kind}"}, token=owner)
        DRIVER.set_window_size(375, 812)
        try:
            DRIVER.get(BASE + "/dashboard#/accounts")
            DRIVER.refresh()  # the same address again is no navigation
            visible("table.accounts tbody tr")
            overflow = DRIVER.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            self.assertLessEqual(overflow, 0, "nothing wider than a 375 px screen")
            shot("accounts-375px")
        finally:
            DRIVER.set_window_size(1280, 900)
        DRIVER.get(BASE + "/dashboard#/accounts")
        visible("table.accounts tbody tr")
        shot("dashboard")
        # Long lists page (30 a page).
        for _ in range(28):
            API.call("POST", "/api/accounts", {"integration": "/api/integrations/outlook"}, token=owner)
        DRIVER.refresh()
        text_in(".pager", "Page 1 of 2")
        self.assertEqual(len(DRIVER.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")), 30)
        click_text("button", "Next")
        text_in(".pager", "Page 2 of 2")
        self.assertEqual(len(DRIVER.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")), 1)
        self.assertIn("page=2", DRIVER.current_url)
        # The page's own assets, compressed as a server would send them.
        urls = DRIVER.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href.split('#')[0]])"
        )
        own = sorted({u for u in urls if u.startswith(BASE) and "/api/" not in u})
        self.assertTrue(any(u.endswith("app.js") for u in own), own)
        size = 0
        for url in own:
            with urllib.request.urlopen(url) as resp:
                size += len(gzip.compress(resp.read()))
        self.assertLess(size, 200_000, f"{size} bytes compressed: {own}")
        self.assertEqual(console_errors(), [])


HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host app</title>
<link rel="icon" href="data:,">
<style>button {{ background: rgb(255, 0, 0); }} h2 {{ color: rgb(0, 128, 0); }}</style></head>
<body><h2 id="host-title">My inbox</h2>
<script src="{base}/embed/accounts.js"></script>
<inbox-accounts token="{token}"></inbox-accounts></body></html>"""


def widget(css):
    """Elements inside the widget's shadow root."""
    return DRIVER.execute_script(
        "const w = document.querySelector('inbox-accounts'); return w && w.shadowRoot ? [...w.shadowRoot.querySelectorAll(arguments[0])] : []",
        css,
    )


class Widget(unittest.TestCase):
    """The embedded inbox: a customer session on the host application's page."""

    @classmethod
    def setUpClass(cls):
        owner = API.login(OWNER)
        status, key = API.call("POST", "/api/tokens", {"name": "Host app"}, token=owner)
        assert status == 201, key
        sessions = {}
        for customer in ["host-user-1", "host-user-2"]:
            status, body = API.call("POST", "/api/customer_sessions", {"customerId": customer}, token=key["token"])
            assert status == 201, body
            sessions[customer] = body["token"]
        cls.token = sessions["host-user-1"]
        API.call("POST", "/api/accounts", {"integration": "/api/integrations/telegram"}, token=cls.token)
        API.call("POST", "/api/accounts", {"integration": "/api/integrations/gmail"}, token=sessions["host-user-2"])
        Host.page = HOST_PAGE.format(base=BASE, token=cls.token)

    def test_1_lists_only_the_customers_accounts_and_adds_one(self):
        DRIVER.get(f"http://127.0.0.1:{HOST_PORT}/")
        wait(lambda d: len(widget("li")) == 1)
        row = widget("li")[0]
        self.assertIn("Telegram", row.text)
        self.assertEqual(row.get_attribute("data-state"), "waiting")
        # Styles stay on their side of the shadow root.
        button = widget("form button")[0]
        self.assertNotEqual(button.value_of_css_property("background-color"), "rgba(255, 0, 0, 1)")
        self.assertEqual(DRIVER.find_element(By.ID, "host-title").value_of_css_property("color"), "rgba(0, 128, 0, 1)")
        shot("widget")
        # Add a WhatsApp account: the connect page opens with the customer's session.
        select = widget("select")[0]
        DRIVER.execute_script(
            "arguments[0].value = '/api/integrations/whatsapp'; arguments[0].dispatchEvent(new Event('change'))", select
        )
        main = DRIVER.current_window_handle
        button.click()
        wait(lambda d: len(d.window_handles) == 2)
        wait(lambda d: len(widget("li")) == 2)
        DRIVER.switch_to.window([w for w in DRIVER.window_handles if w != main][0])
        text_in("#state", "Waiting for sign-in")
        self.assertNotIn("token=", DRIVER.current_url, "the token leaves the address bar")
        shot("widget-connect-page")
        self.assertEqual(console_errors(), [])
        DRIVER.close()
        DRIVER.switch_to.window(main)
        status, body = API.call("GET", "/api/accounts?customerId=host-user-1", token=API.login(OWNER))
        self.assertEqual(sorted(a["accountType"] for a in body["member"]), ["telegram", "whatsapp"])
        self.assertEqual(console_errors(), [])

    def test_2_unlisted_origin_is_refused_by_cors(self):
        DRIVER.get(f"http://127.0.0.1:{OTHER_PORT}/")
        wait(lambda d: any("cannot be reached" in e.text for e in widget(".alert")))
        self.assertEqual(widget("li"), [])
        shot("widget-other-origin")
        DRIVER.get_log("browser")  # the refused cross-origin calls are expected in the console


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    failed = len(result.failures) + len(result.errors)
    # The line tests/run.sh counts.
    print(f"browser: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
