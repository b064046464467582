"""Staying signed in, in the real app and a real browser: a reload, a new tab and a restarted
browser (its cookies carried over) stay signed in; the cookie is HttpOnly, so no script of the
page can read it; signing out in one tab ends the other on its next click; a deactivated
person's open tab is signed out on its next click."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from helpdesk.accounts.users import set_user_active
from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import User
from helpdesk.ui.session_routes import SESSION_COOKIE, SIGN_OUT_PATH, START_PATH
from tests.e2e.conftest import app_database, browser_tab
from tests.e2e.steps import keyed, nav_link, settle
from tests.factories import TEST_PASSWORD, add_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def carla(fresh_app) -> str:
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        add_user(engine, email="carla@example.com", name="Carla Customer", role=Role.CUSTOMER)
    return "carla@example.com"


def sign_in_keeping(page, email: str, *, keep: bool = True) -> None:
    """Sign in, and wait for the browser to have been handed its cookie."""
    keyed(page, "sign_in_email").locator("input").fill(email)
    keyed(page, "sign_in_password").locator("input").fill(TEST_PASSWORD)
    box = keyed(page, "sign_in_keep").locator("input")
    if box.is_checked() != keep:
        keyed(page, "sign_in_keep").locator("label").click()
    with page.expect_response(lambda r: r.url.endswith(START_PATH)) as handed:
        keyed(page, "sign_in_submit").locator("button").click()
    assert handed.value.status == 204
    expect(keyed(page, "sign_out")).to_be_visible()
    settle(page)


def signed_in(page) -> None:
    expect(keyed(page, "sign_out")).to_be_visible()
    expect(keyed(page, "sign_in_email")).to_have_count(0)


def signed_out(page) -> None:
    expect(keyed(page, "sign_in_email")).to_be_visible()
    expect(keyed(page, "sign_out")).to_have_count(0)


def session_cookie(context) -> dict:
    found = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    assert len(found) == 1, context.cookies()
    return found[0]


def test_a_reload_a_new_tab_and_a_restarted_browser_stay_signed_in(fresh_app, carla, browser, screenshots):
    base_url, _ = fresh_app
    with browser_tab(browser) as page:
        page.goto(base_url)
        settle(page)
        sign_in_keeping(page, carla)
        cookie = session_cookie(page.context)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
        assert 29 * 86400 < cookie["expires"] - time.time() <= 30 * 86400
        assert SESSION_COOKIE not in page.evaluate("document.cookie")  # no page script can read it
        assert cookie["value"] not in page.url

        page.reload()
        settle(page)
        signed_in(page)

        second = page.context.new_page()
        second.goto(f"{base_url}/my_tickets")
        settle(second)
        signed_in(second)
        expect(second.get_by_role("heading", name="My tickets")).to_be_visible()

        kept = page.context.storage_state()
        # The browser closed and opened again: only what it stored carries over.
        with browser_tab(browser, storage_state=kept) as restarted:
            restarted.goto(f"{base_url}/profile")
            settle(restarted)
            signed_in(restarted)
            expect(keyed(restarted, "profile_sessions")).to_contain_text("this browser")
            keyed(restarted, "profile_sessions").screenshot(path=screenshots / "profile_sessions_desktop.png")

        # Signed out in the first tab: the second is signed out on its next click.
        with page.expect_response(lambda r: r.url.endswith(SIGN_OUT_PATH)) as cleared:
            keyed(page, "sign_out").locator("button").click()
        assert cleared.value.status == 204
        signed_out(page)
        assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
        nav_link(second, "Submit a ticket").click()
        signed_out(second)
        # And the old cookie, replayed, signs nobody in.
        with browser_tab(browser, storage_state=kept) as replayed:
            replayed.goto(f"{base_url}/my_tickets")
            settle(replayed)
            signed_out(replayed)


def test_without_keep_me_signed_in_the_cookie_lasts_until_the_browser_closes(fresh_app, carla, browser):
    base_url, _ = fresh_app
    with browser_tab(browser) as page:
        page.goto(base_url)
        settle(page)
        sign_in_keeping(page, carla, keep=False)
        assert session_cookie(page.context)["expires"] == -1  # a session cookie
        page.reload()
        settle(page)
        signed_in(page)


def test_a_deactivated_persons_open_tab_is_signed_out_on_its_next_click(fresh_app, carla, browser, screenshots):
    base_url, database_url = fresh_app
    with browser_tab(browser, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        page.goto(base_url)
        settle(page)
        sign_in_keeping(page, carla)
        page.goto(f"{base_url}/profile")
        settle(page)
        signed_in(page)
        keyed(page, "profile_sessions").screenshot(path=screenshots / "profile_sessions_phone.png")
        with app_database(database_url) as engine, session_scope(engine) as session:
            admin = session.query(User).filter_by(email="ada@example.com").one()
            person = session.query(User).filter_by(email=carla).one()
            set_user_active(session=session, actor=admin, user_id=person.id, active=False)
        keyed(page, "profile_save").locator("button").click()
        signed_out(page)


def test_signing_in_from_a_mailed_link_keeps_the_sign_in_too(fresh_app, carla, browser):
    """Sign-in from an address (a mailed link, a bookmark) goes on to that page in the same
    moment; the browser must still be handed its cookie."""
    base_url, _ = fresh_app
    with browser_tab(browser) as page:
        page.goto(f"{base_url}/my_tickets")
        settle(page)
        sign_in_keeping(page, carla)
        expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
        session_cookie(page.context)
        page.reload()
        settle(page)
        signed_in(page)
        expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
        page.goto(f"{base_url}/profile")
        settle(page)
        expect(keyed(page, "profile_sessions")).to_contain_text("No other sign-ins.")
