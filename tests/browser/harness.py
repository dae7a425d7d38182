"""What the browser tests share: `inbox serve` on a fresh SQLite store (an
owner and a connector), two host pages on other origins (one of them listed
in INBOX_EMBED_ORIGINS), headless Chromium (Debian's chromium and
chromium-driver) driven by Selenium, and helpers that explain a timeout with a
screenshot and the page's text. Screenshots go to target/browser/.
"""

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INBOX = os.path.join(ROOT, "target", "debug", "inbox")
SHOTS = os.path.join(ROOT, "target", "browser")
OWNER, CONNECTOR, PASSWORD = "owner@browser.test", "connector@browser.test", "browser password 1"
TOKEN_TTL = 8
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


DRIVER = None


def start_provider():
    """The tests' OpenID provider (tests/oidc/), where Gmail accounts sign in."""
    provider = subprocess.Popen(
        [os.path.join(ROOT, "tests", "oidc", "run.sh")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    for line in provider.stdout:
        m = re.search(r"listening on (\S+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in provider.stdout], daemon=True).start()
            return provider, m.group(1)
    raise AssertionError("the OpenID provider exited before listening")


def start():
    """Starts the server, the OpenID provider, two host pages and the browser, once for all test modules."""
    global DATA, SERVER, API, BASE, HOST_PORT, OTHER_PORT, HOSTS, DRIVER, PROVIDER, ISSUER
    if DRIVER is not None:
        return
    os.makedirs(SHOTS, exist_ok=True)
    DATA = tempfile.mkdtemp(prefix="inbox-browser-")
    PROVIDER, ISSUER = start_provider()
    # Access tokens live 8 s: the dashboard must renew them as it goes.
    env = dict(os.environ, INBOX_DATA_DIR=DATA, INBOX_JWT_TTL=str(TOKEN_TTL))
    env.update(
        INBOX_OAUTH_GMAIL_CLIENT_ID="inbox-accounts",
        INBOX_OAUTH_GMAIL_CLIENT_SECRET="inbox-accounts-test-secret",
        INBOX_OAUTH_GMAIL_ISSUER=ISSUER,
        INBOX_OAUTH_GMAIL_SCOPES="openid email profile offline_access",
        INBOX_OAUTH_GMAIL_AUTHORIZE_PARAMS="prompt=consent",
    )
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


def stop():
    if DRIVER is None:
        return
    DRIVER.quit()
    for h in HOSTS:
        h.shutdown()
    SERVER.terminate()
    SERVER.wait(10)
    PROVIDER.terminate()
    PROVIDER.wait(10)
    shutil.rmtree(DATA, ignore_errors=True)


def wait(condition, timeout=15):
    """Waits for a condition; on timeout, a screenshot and the page's text say what was there instead."""
    try:
        # The app re-renders parts of the page (the nav after a session renewal, lists after a
        # fetch): an element found a moment ago may be replaced, so look again.
        return WebDriverWait(DRIVER, timeout, ignored_exceptions=[StaleElementReferenceException]).until(condition)
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
    locator = (By.XPATH, f"//{tag}[normalize-space()='{text}']")
    for attempt in range(3):
        try:
            return wait(EC.element_to_be_clickable(locator)).click()
        except StaleElementReferenceException:
            # Replaced between being found and clicked: find it again.
            if attempt == 2:
                raise


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


def widget(css):
    """Elements inside the accounts widget's shadow root."""
    return DRIVER.execute_script(
        "const w = document.querySelector('inbox-accounts'); return w && w.shadowRoot ? [...w.shadowRoot.querySelectorAll(arguments[0])] : []",
        css,
    )
