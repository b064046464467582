"""A forgotten password, in the real app, a real browser and a real SMTP server (aiosmtpd): the
sign-in page's "Forgot your password?" mails a link; the link opens the form; the new password
is set, the person is signed in, and the browser that was still signed in with the old one is
signed out on its next click. Sign-up with mail configured: the mailed link creates the account."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from helpdesk.enums import Role
from tests.e2e.conftest import app_database, app_server, browser_tab, seeded_database
from tests.e2e.steps import keyed, nav_link, settle
from tests.factories import TEST_PASSWORD, add_user
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Violet-Harbour-Lantern-71"
MAILED_BASE = "https://help.example.test"  # what the mails say; the test opens its own server
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def smtp():
    server = SmtpTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(tmp_path, smtp):
    url = seeded_database(tmp_path)
    with app_database(url) as engine:
        add_user(engine, email="carla@example.com", name="Carla Customer", role=Role.CUSTOMER)
    env = {**smtp.env(), "HELPDESK_BASE_URL": MAILED_BASE, "HELPDESK_MAIL_INTERVAL": "0.2"}
    with app_server(url, tmp_path, extra_env=env) as base_url:
        yield base_url


def link_in(mail, base_url: str, address: str) -> str:
    found = re.search(rf"{re.escape(MAILED_BASE)}(/{address}\?token=[A-Za-z0-9_\-]+)", mail.text)
    assert found, mail.text
    return base_url + found.group(1)


def sign_in(page, email: str, password: str) -> None:
    keyed(page, "sign_in_email").locator("input").fill(email)
    keyed(page, "sign_in_password").locator("input").fill(password)
    keyed(page, "sign_in_submit").locator("button").click()


def test_a_forgotten_password_is_reset_through_the_mailed_link(mail_app, smtp, browser, screenshots):
    base_url = mail_app
    with browser_tab(browser) as old_browser:  # still signed in with the old password somewhere
        old_browser.goto(base_url)
        settle(old_browser)
        sign_in(old_browser, "carla@example.com", TEST_PASSWORD)
        expect(keyed(old_browser, "sign_out")).to_be_visible()

        with browser_tab(browser) as page:
            page.goto(base_url)
            settle(page)
            page.get_by_role("link", name="Forgot your password?").click()
            settle(page)
            keyed(page, "forgot_email").locator("input").fill("carla@example.com")
            keyed(page, "forgot_submit").locator("button").click()
            expect(page.get_by_text("If an account uses that address, we have sent it a link")).to_be_visible()
            page.screenshot(path=screenshots / "forgot_password_desktop.png", full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=screenshots / "forgot_password_phone.png", full_page=True)
            page.set_viewport_size(DESKTOP)

            [mail] = smtp.wait_for(1, timeout=30)
            assert mail.to == "carla@example.com" and "new password" in mail.subject
            link = link_in(mail, base_url, "reset_password")
            assert urlsplit(link).path == "/reset_password"

            page.goto(link)
            settle(page)
            expect(page.get_by_text("carla@example.com")).to_be_visible()
            page.screenshot(path=screenshots / "reset_password_desktop.png", full_page=True)
            page.set_viewport_size(PHONE)
            page.screenshot(path=screenshots / "reset_password_phone.png", full_page=True)
            keyed(page, "reset_new").locator("input").fill(NEW_PASSWORD)
            keyed(page, "reset_new_repeat").locator("input").fill(NEW_PASSWORD)
            keyed(page, "reset_submit").locator("button").click()
            expect(page.get_by_text("Your new password is set.")).to_be_visible()
            expect(keyed(page, "sign_out")).to_be_visible()

            # The link is used up.
            page.goto(link)
            settle(page)
            expect(page.get_by_text("This link has expired or was already used.")).to_be_visible()

        # The browser signed in before the reset is signed out on its next click.
        nav_link(old_browser, "My tickets").click()
        expect(keyed(old_browser, "sign_in_email")).to_be_visible()
        sign_in(old_browser, "carla@example.com", TEST_PASSWORD)
        expect(old_browser.get_by_text("That e-mail and password don't match an account.")).to_be_visible()
        sign_in(old_browser, "carla@example.com", NEW_PASSWORD)
        expect(keyed(old_browser, "sign_out")).to_be_visible()


def test_with_mail_a_sign_up_is_finished_from_the_mailed_link(mail_app, smtp, browser, screenshots):
    base_url = mail_app
    with browser_tab(browser, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        page.goto(f"{base_url}/sign_up")
        settle(page)
        keyed(page, "sign_up_name").locator("input").fill("Noor Haddad")
        keyed(page, "sign_up_email").locator("input").fill("noor@example.com")
        keyed(page, "sign_up_password").locator("input").fill(NEW_PASSWORD)
        keyed(page, "sign_up_password_repeat").locator("input").fill(NEW_PASSWORD)
        keyed(page, "sign_up_submit").locator("button").click()
        expect(page.get_by_text("We have sent a link to that address.")).to_be_visible()
        page.screenshot(path=screenshots / "sign_up_sent_phone.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=screenshots / "sign_up_sent_desktop.png", full_page=True)

        [mail] = smtp.wait_for(1, timeout=30)
        assert mail.to == "noor@example.com"
        page.goto(link_in(mail, base_url, "confirm_sign_up"))
        settle(page)
        page.screenshot(path=screenshots / "confirm_sign_up_desktop.png", full_page=True)
        keyed(page, "confirm_sign_up_password").locator("input").fill(NEW_PASSWORD)
        keyed(page, "confirm_sign_up_submit").locator("button").click()
        expect(page.get_by_text("Welcome, Noor Haddad: your account is ready.")).to_be_visible()
        expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
