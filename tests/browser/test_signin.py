"""Hosted sign-in in a real browser: the owner adds a Gmail account, its
connect page sends the browser to the OpenID provider (tests/oidc/), which
sends it back, and the page says "Connected as …"; a declined consent is said
in words. Run by tests/browser/run.py.
"""

import unittest

from selenium.webdriver.common.by import By

import harness as h


def setUpModule():
    h.start()


class SignIn(unittest.TestCase):
    def test_1_gmail_signs_in_at_the_provider_and_comes_back_connected(self):
        h.log_in()
        h.text_in("main h1", "Accounts")
        h.click_text("a", "Add Account")
        h.DRIVER.find_element(By.XPATH, "//label[.//strong[text()='Gmail']]").click()
        h.click_text("button", "Save and continue")
        h.text_in(".badge", "Waiting for sign-in")
        account = h.account_id()
        h.click_text("a", "Open the connect page")
        h.click_text("button", "Sign in with Gmail")
        # At the provider and back: its approval needs no person here.
        h.wait(lambda d: d.current_url.startswith(f"{h.BASE}/connect/gmail/{account}?signIn=connected"))
        h.text_in("#state", "Connected as Test person")
        h.page_basics(self)
        h.shot("connect-signed-in")
        status, body = h.API.call("GET", f"/api/accounts/{account}", token=h.API.login(h.OWNER))
        self.assertEqual((status, body["isAuthorized"]), (200, True))
        self.assertEqual(h.console_errors(), [])
        # Removed (and its grant revoked at the provider): the person may connect again, in the widget's test.
        status, _ = h.API.call("DELETE", f"/api/accounts/{account}", token=h.API.login(h.OWNER))
        self.assertEqual(status, 204)

    def test_2_a_declined_consent_is_said_in_words(self):
        token = h.API.login(h.OWNER)
        status, account = h.API.call("POST", "/api/accounts", {"integration": "/api/integrations/gmail"}, token=token)
        self.assertEqual(status, 201, account)
        status, started = h.API.call(
            "POST", f"/api/accounts/{account['id']}/sign-in", {"loginHint": "deny@example.test"}, token=token
        )
        self.assertEqual(status, 200, started)
        h.DRIVER.get(started["authorizationUrl"])
        h.text_in("#sign-in-outcome", "The sign-in did not finish: access was not granted at the provider.")
        h.text_in("#state", "Waiting for sign-in")
        self.assertTrue(h.visible("#sign-in").is_enabled(), "the person may try again")
        h.shot("connect-declined")
