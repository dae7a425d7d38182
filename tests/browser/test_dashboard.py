"""The seed-000 owner flow in a real browser: log in, add a WhatsApp account and
see it waiting, the connector signs in and the account and connect pages say
so, edit it, read its history, create an API key whose secret shows once,
errors next to their fields, remove it, a 375 px screen, and the pages'
weight. Run by tests/browser/run.py.
"""

import gzip
import time
import unittest
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import harness as h


def setUpModule():
    h.start()


class Dashboard(unittest.TestCase):
    """The seed-000 owner flow, in order (the tests share the browser and the data)."""

    def test_1_login_refuses_bad_password_then_opens_accounts(self):
        h.log_in(password="not the password")
        h.text_in(".alert", "Invalid credentials")
        h.shot("login-refused")
        h.DRIVER.get_log("browser")  # the refused login's 401 is expected in the console
        h.DRIVER.find_element(By.CSS_SELECTOR, "input[autocomplete=current-password]").clear()
        h.DRIVER.find_element(By.CSS_SELECTOR, "input[autocomplete=current-password]").send_keys(h.PASSWORD)
        h.click_text("button", "Log in")
        h.text_in("main h1", "Accounts")
        h.text_in(".empty", "No accounts yet")
        token = h.DRIVER.execute_script("return sessionStorage.getItem('inbox.session')")
        self.assertIn('"token"', token)
        self.assertEqual(h.DRIVER.execute_script("return localStorage.length"), 0, "nothing in localStorage")
        h.page_basics(self)
        h.shot("accounts-empty")
        self.assertEqual(h.console_errors(), [])

    def test_2_add_whatsapp_account_listed_as_waiting(self):
        h.click_text("a", "Add Account")
        h.visible("input[value='/api/integrations/whatsapp']")
        h.page_basics(self)
        h.DRIVER.find_element(By.XPATH, "//label[.//strong[text()='WhatsApp']]").click()
        h.click_text("button", "Save and continue")
        h.text_in(".badge", "Waiting for sign-in")
        type(self).account = h.account_id()
        h.text_in(".next", "Complete the sign-in")
        h.shot("account-waiting")
        h.DRIVER.get(h.BASE + "/dashboard#/accounts")
        row = h.visible("table.accounts tbody tr")
        self.assertIn("WhatsApp", row.text)
        self.assertIn("Waiting for sign-in", row.text)
        self.assertEqual(len(h.DRIVER.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")), 1)
        h.page_basics(self)
        h.shot("accounts-waiting")
        self.assertEqual(h.console_errors(), [])

    def test_3_connector_signs_in_and_both_pages_show_connected(self):
        status, account = h.API.call("GET", f"/api/accounts/{self.account}", token=h.API.login(h.OWNER))
        self.assertEqual(status, 200)
        self.assertEqual(account["reconnectUrl"], f"{h.BASE}/connect/whatsapp/{self.account}")
        # The dashboard's link opens the connect page, which waits for the connector.
        h.DRIVER.get(h.BASE + f"/dashboard#/accounts/{self.account}")
        h.click_text("a", "Open the connect page")
        h.text_in("#state", "Waiting for sign-in")
        self.assertEqual(h.DRIVER.current_url, account["reconnectUrl"])
        self.assertIn("connector", h.DRIVER.find_element(By.TAG_NAME, "main").text)
        h.shot("connect-waiting")
        status, _ = h.API.call(
            "POST",
            f"/api/accounts/{self.account}/authorize",
            {"platformId": "15551234567", "platformUsername": "browsersupport", "username": "Browser Support"},
            token=h.API.login(h.CONNECTOR),
        )
        self.assertEqual(status, 200)
        h.text_in("#state", "Connected as Browser Support")  # the page polls the account
        h.shot("connect-connected")
        h.DRIVER.get(h.BASE + f"/dashboard#/accounts/{self.account}")
        h.text_in(".title-row .badge", "Connected")
        self.assertEqual(h.DRIVER.find_elements(By.CSS_SELECTOR, ".next"), [], "no next step once connected")
        self.assertEqual(h.console_errors(), [])

    def test_4_edit_description_and_history_shows_three_events(self):
        description = h.visible("input[name=description]")
        description.clear()
        description.send_keys("Support line, EU")
        h.click_text("button", "Save changes")
        h.text_in("#toast", "Changes saved")
        status, account = h.API.call("GET", f"/api/accounts/{self.account}", token=h.API.login(h.OWNER))
        self.assertEqual(account["description"], "Support line, EU")
        h.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history li.event")) == 3)
        types = [e.get_attribute("data-type") for e in h.DRIVER.find_elements(By.CSS_SELECTOR, "#history li.event")]
        self.assertEqual(types, ["AccountConnected", "AccountAuthorized", "AccountUpdated"])
        history = h.DRIVER.find_element(By.ID, "history").text
        self.assertIn("by you", history)
        self.assertIn(f"by {h.CONNECTOR}", history, "the connector's sign-in report, by username")
        self.assertIn("Support line, EU", history)
        h.page_basics(self)
        h.shot("account-history")
        self.assertEqual(h.console_errors(), [])

    def test_5_api_key_secret_shown_once(self):
        h.DRIVER.get(h.BASE + "/dashboard#/settings/api-keys")
        h.visible("input[name=name]").send_keys("CRM sync")
        h.click_text("button", "Generate key")
        secret = h.visible(".secret-panel input.secret").get_attribute("value")
        self.assertTrue(secret.startswith("inbx_"), secret)
        self.assertIn("only this once", h.DRIVER.find_element(By.CSS_SELECTOR, ".secret-panel").text)
        h.page_basics(self)
        h.shot("api-key-created")
        h.click_text("a", "Users")
        h.click_text("a", "API Keys")
        row = h.visible("tbody tr")
        self.assertIn("CRM sync", row.text)
        self.assertIn(secret[:11], row.text, "the key's hint is its start")
        self.assertNotIn(secret, h.DRIVER.page_source, "the secret is not shown again")
        status, _ = h.API.call("GET", "/api/v1/account-links", token=secret)
        self.assertEqual(status, 200, "the key works")
        self.assertEqual(h.console_errors(), [])

    def test_6_violations_are_shown_next_to_their_field(self):
        h.DRIVER.get(h.BASE + "/dashboard#/settings/webhooks")
        h.visible("input[type=url]").send_keys("http://127.0.0.1/hook")
        h.click_text("button", "Add endpoint")
        error = h.visible("[data-error-for=url]")
        self.assertTrue(error.text, "the url violation is next to the url field")
        self.assertNotIn("{", h.DRIVER.find_element(By.TAG_NAME, "main").text, "no raw JSON")
        h.page_basics(self)
        h.shot("webhook-violation")
        h.DRIVER.get_log("browser")  # the 422 is expected in the console

    def test_7_remove_account_after_confirmation(self):
        h.DRIVER.get(h.BASE + f"/dashboard#/accounts/{self.account}")
        h.click_text("button", "Remove account")
        dialog = h.visible("dialog.confirm")
        self.assertIn("cannot be undone", dialog.text)
        h.shot("remove-confirm")
        h.click_text("button", "Remove")
        h.text_in(".empty", "No accounts yet")
        status, _ = h.API.call("GET", f"/api/accounts/{self.account}", token=h.API.login(h.OWNER))
        self.assertEqual(status, 404)
        self.assertEqual(h.console_errors(), [])

    def test_8_narrow_screen_and_page_weight(self):
        owner = h.API.login(h.OWNER)
        for kind in ["telegram", "gmail", "linkedin"]:
            h.API.call("POST", "/api/accounts", {"integration": f"/api/integrations/{kind}"}, token=owner)
        h.DRIVER.set_window_size(375, 812)
        try:
            h.DRIVER.get(h.BASE + "/dashboard#/accounts")
            h.DRIVER.refresh()  # the same address again is no navigation
            h.visible("table.accounts tbody tr")
            overflow = h.DRIVER.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            self.assertLessEqual(overflow, 0, "nothing wider than a 375 px screen")
            h.shot("accounts-375px")
        finally:
            h.DRIVER.set_window_size(1280, 900)
        h.DRIVER.get(h.BASE + "/dashboard#/accounts")
        h.visible("table.accounts tbody tr")
        h.shot("dashboard")
        # Filters.
        Select(h.DRIVER.find_element(By.CSS_SELECTOR, "select[name=accountType]")).select_by_visible_text("Gmail")
        h.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")) == 1)
        self.assertIn("accountType=gmail", h.DRIVER.current_url)
        self.assertIn("Gmail", h.DRIVER.find_element(By.CSS_SELECTOR, "table.accounts tbody tr").text)
        h.DRIVER.get(h.BASE + "/dashboard#/accounts")
        # Long lists page (30 a page).
        for _ in range(28):
            h.API.call("POST", "/api/accounts", {"integration": "/api/integrations/outlook"}, token=owner)
        h.DRIVER.refresh()
        h.text_in(".pager", "Page 1 of 2")
        self.assertEqual(len(h.DRIVER.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")), 30)
        h.click_text("button", "Next")
        h.text_in(".pager", "Page 2 of 2")
        self.assertEqual(len(h.DRIVER.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")), 1)
        self.assertIn("page=2", h.DRIVER.current_url)
        # The page's own assets, compressed as a server would send them.
        urls = h.DRIVER.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href.split('#')[0]])"
        )
        own = sorted({u for u in urls if u.startswith(h.BASE) and "/api/" not in u})
        self.assertTrue(any(u.endswith("app.js") for u in own), own)
        size = 0
        for url in own:
            with urllib.request.urlopen(url) as resp:
                size += len(gzip.compress(resp.read()))
        self.assertLess(size, 200_000, f"{size} bytes compressed: {own}")
        self.assertEqual(h.console_errors(), [])

    def test_9_session_renews_itself_then_logout_ends_it(self):
        h.DRIVER.get(h.BASE + "/dashboard#/settings/api-keys")
        h.visible("tbody tr")
        before = h.DRIVER.execute_script("return JSON.parse(sessionStorage.getItem('inbox.session')).token")
        time.sleep(h.TOKEN_TTL)  # the access token has expired by now
        h.click_text("a", "Users")
        h.text_in("tbody", h.OWNER)
        after = h.DRIVER.execute_script("return JSON.parse(sessionStorage.getItem('inbox.session')).token")
        self.assertNotEqual(before, after, "renewed with the refresh token")
        # Revoking a key, then logging out.
        h.click_text("a", "API Keys")
        h.click_text("button", "Revoke")
        h.visible("dialog.confirm")
        h.DRIVER.find_element(By.CSS_SELECTOR, "dialog.confirm button.danger").click()
        h.text_in("tbody", "Revoked")
        self.assertEqual(h.console_errors(), [], "no request was refused for an expired token")
        h.click_text("button", "Log out")
        h.text_in(".alert", "You are logged out")
        self.assertIsNone(h.DRIVER.execute_script("return sessionStorage.getItem('inbox.session')"))
        h.DRIVER.get(h.BASE + "/dashboard#/accounts")
        h.DRIVER.refresh()
        h.visible("input[autocomplete=username]")
        h.shot("logged-out")
