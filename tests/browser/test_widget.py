"""The embedded inbox: the accounts widget on a host application's page from
another origin, with a customer session. Run by tests/browser/run.py.
"""

import unittest

from selenium.webdriver.common.by import By

import harness as h


def setUpModule():
    h.start()


HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host app</title>
<link rel="icon" href="data:,">
<style>button {{ background: rgb(255, 0, 0); }} h2 {{ color: rgb(0, 128, 0); }}</style></head>
<body><h2 id="host-title">My inbox</h2>
<script src="{base}/embed/accounts.js"></script>
<inbox-accounts token="{token}"></inbox-accounts></body></html>"""


class Widget(unittest.TestCase):
    """The embedded inbox: a customer session on the host application's page."""

    @classmethod
    def setUpClass(cls):
        owner = h.API.login(h.OWNER)
        status, key = h.API.call("POST", "/api/tokens", {"name": "Host app"}, token=owner)
        assert status == 201, key
        sessions = {}
        for customer in ["host-user-1", "host-user-2"]:
            status, body = h.API.call("POST", "/api/customer_sessions", {"customerId": customer}, token=key["token"])
            assert status == 201, body
            sessions[customer] = body["token"]
        cls.token = sessions["host-user-1"]
        h.API.call("POST", "/api/accounts", {"integration": "/api/integrations/telegram"}, token=cls.token)
        h.API.call("POST", "/api/accounts", {"integration": "/api/integrations/gmail"}, token=sessions["host-user-2"])
        h.Host.page = HOST_PAGE.format(base=h.BASE, token=cls.token)

    def test_1_lists_only_the_customers_accounts_and_adds_one(self):
        h.DRIVER.get(f"http://127.0.0.1:{h.HOST_PORT}/")
        h.wait(lambda d: len(h.widget("li")) == 1)
        row = h.widget("li")[0]
        self.assertIn("Telegram", row.text)
        self.assertEqual(row.get_attribute("data-state"), "waiting")
        # Styles stay on their side of the shadow root.
        button = h.widget("form button")[0]
        self.assertNotEqual(button.value_of_css_property("background-color"), "rgba(255, 0, 0, 1)")
        self.assertEqual(h.DRIVER.find_element(By.ID, "host-title").value_of_css_property("color"), "rgba(0, 128, 0, 1)")
        h.shot("widget")
        # Add a WhatsApp account: the connect page opens with the customer's session.
        select = h.widget("select")[0]
        h.DRIVER.execute_script(
            "arguments[0].value = '/api/integrations/whatsapp'; arguments[0].dispatchEvent(new Event('change'))", select
        )
        main = h.DRIVER.current_window_handle
        button.click()
        h.wait(lambda d: len(d.window_handles) == 2)
        h.wait(lambda d: len(h.widget("li")) == 2)
        h.DRIVER.switch_to.window([w for w in h.DRIVER.window_handles if w != main][0])
        h.text_in("#state", "Waiting for sign-in")
        self.assertNotIn("token=", h.DRIVER.current_url, "the token leaves the address bar")
        h.shot("widget-connect-page")
        self.assertEqual(h.console_errors(), [])
        h.DRIVER.close()
        h.DRIVER.switch_to.window(main)
        status, body = h.API.call("GET", "/api/accounts?customerId=host-user-1", token=h.API.login(h.OWNER))
        self.assertEqual(sorted(a["accountType"] for a in body["member"]), ["telegram", "whatsapp"])
        self.assertEqual(h.console_errors(), [])

    def test_2_unlisted_origin_is_refused_by_cors(self):
        h.DRIVER.get(f"http://127.0.0.1:{h.OTHER_PORT}/")
        h.wait(lambda d: any("cannot be reached" in e.text for e in h.widget(".alert")))
        self.assertEqual(h.widget("li"), [])
        h.shot("widget-other-origin")
        h.DRIVER.get_log("browser")  # the refused cross-origin calls are expected in the console

    def test_3_a_customer_signs_gmail_in_at_the_provider_from_the_widget(self):
        h.DRIVER.get(f"http://127.0.0.1:{h.HOST_PORT}/")
        h.wait(lambda d: len(h.widget("li")) == 2)
        select = h.widget("select")[0]
        h.DRIVER.execute_script(
            "arguments[0].value = '/api/integrations/gmail'; arguments[0].dispatchEvent(new Event('change'))", select
        )
        main = h.DRIVER.current_window_handle
        h.widget("form button")[0].click()
        h.wait(lambda d: len(d.window_handles) == 2)
        h.DRIVER.switch_to.window([w for w in h.DRIVER.window_handles if w != main][0])
        # The connect page, with the customer's session: to the provider and back.
        h.click_text("button", "Sign in with Gmail")
        h.wait(lambda d: "signIn=connected" in d.current_url)
        h.text_in("#state", "Connected as Test person")
        h.shot("widget-signed-in")
        self.assertEqual(h.console_errors(), [])
        h.DRIVER.close()
        h.DRIVER.switch_to.window(main)
        h.DRIVER.refresh()
        h.wait(lambda d: any(e.get_attribute("data-state") == "authorized" and "Gmail" in e.text for e in h.widget("li")))
        status, body = h.API.call("GET", "/api/accounts?customerId=host-user-1", token=h.API.login(h.OWNER))
        gmail = [a for a in body["member"] if a["accountType"] == "gmail"]
        self.assertEqual([a["isAuthorized"] for a in gmail], [True])
