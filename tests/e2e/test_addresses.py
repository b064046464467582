"""Every page address works when typed, bookmarked or reloaded (issue 9, item 10): signed out,
it goes through sign-in and then on to the page asked for; a page the person's role doesn't
have takes them to their own start page with a short message. Never Streamlit's "Page not
found". (A reload starts a new, signed-out session until issue 12, so each address is typed.)"""
from __future__ import annotations

import pytest

from helpdesk.enums import Role
from tests.e2e.conftest import app_database
from tests.e2e.steps import keyed, settle, sign_in
from tests.factories import TEST_PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def people(fresh_app):
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        add_user(engine, email="carla@example.com", name="Carla Customer")
        add_user(engine, email="alex@example.com", role=Role.AGENT, name="Alex Agent")


def title(page) -> str:
    return page.locator("[data-testid='stMain'] h1").first.inner_text()


@pytest.mark.parametrize("address,email,lands_on", [
    ("queue", "alex@example.com", "Queue"),
    ("admin_users", "ada@example.com", "Users"),
    ("my_tickets", "carla@example.com", "My tickets"),
    ("profile", "alex@example.com", "Profile"),
])
def test_an_address_typed_while_signed_out_signs_in_then_opens_that_page(fresh_app, people, page, address, email,
                                                                         lands_on):
    base_url, _ = fresh_app
    page.goto(f"{base_url}/{address}")
    keyed(page, "sign_in_email").wait_for()
    settle(page)
    assert page.get_by_text("Page not found").count() == 0
    sign_in(page, email, TEST_PASSWORD)
    page.locator("[data-testid='stMain'] h1", has_text=lands_on).wait_for()
    settle(page)
    assert page.get_by_text("Page not found").count() == 0


@pytest.mark.parametrize("address,email,home,message", [
    ("admin_users", "alex@example.com", "Queue", "That page is for administrators."),
    ("queue", "carla@example.com", "Submit a ticket", "That page is for support staff."),
    ("my_tickets", "alex@example.com", "Queue", "That page is for customers."),
])
def test_a_page_of_another_role_takes_the_person_home_with_a_message(fresh_app, people, page, address, email, home,
                                                                     message):
    base_url, _ = fresh_app
    page.goto(f"{base_url}/{address}")
    keyed(page, "sign_in_email").wait_for()
    sign_in(page, email, TEST_PASSWORD)
    page.locator("[data-testid='stMain'] h1", has_text=home).wait_for()
    settle(page)
    assert page.get_by_text(message).count() == 1
    assert page.get_by_text("Page not found").count() == 0
