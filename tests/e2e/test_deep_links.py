"""A mailed link such as /ticket_view?ticket=42 is often the first request a freshly started
server gets. It must go through sign-in and role-based navigation, never run the page file
directly (Streamlit's pages/ folder mode) or list every page file in a sidebar."""
from __future__ import annotations

import pytest

from helpdesk.enums import Priority
from tests.factories import TEST_PASSWORD, add_user, raise_ticket

from tests.e2e.conftest import app_database, seeded_category_id
from tests.e2e.steps import settle

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:
    page.locator(".st-key-sign_in_email input").fill(email)
    page.locator(".st-key-sign_in_password input").fill(TEST_PASSWORD)
    page.locator(".st-key-sign_in_submit button").click()
    page.locator(".st-key-sign_out").wait_for()
    settle(page)


@pytest.mark.parametrize("path", ["admin_users", "queue", "my_tickets"])
def test_first_request_for_a_page_shows_sign_in_not_the_page(fresh_app, page, screenshots, path):
    base_url, _ = fresh_app
    page.goto(f"{base_url}/{path}")
    page.wait_for_selector(".st-key-sign_in_email", timeout=30_000)
    settle(page)
    page.screenshot(path=screenshots / f"deep_link_{path}.png")
    assert page.locator("[data-testid='stSidebarNav']").count() == 0  # the old mode's list of every file
    menu = page.locator(".st-key-menu_bar").inner_text()
    assert "Sign in" in menu and "Create an account" in menu
    for hidden in ("admin", "queue", "ticket view", "my tickets"):
        assert hidden not in menu.lower()


@pytest.fixture
def carlas_ticket(fresh_app) -> int:
    """Carla's ticket, in the first of the server's seeded categories; Olga is another customer."""
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        owner = add_user(engine, email="carla@example.com", name="Carla Customer")
        add_user(engine, email="olga@example.com", name="Olga Other")
        return raise_ticket(engine, customer=owner, category=seeded_category_id(engine), priority=Priority.HIGH,
                            subject="Invoice shows the wrong amount", description="I was charged twice.")


def test_mailed_ticket_link_opens_the_ticket_after_sign_in(fresh_app, carlas_ticket, page, screenshots):
    base_url, _ = fresh_app
    ticket_id = carlas_ticket
    page.goto(f"{base_url}/ticket_view?ticket={ticket_id}")
    page.wait_for_selector(".st-key-sign_in_email", timeout=30_000)
    settle(page)
    assert page.get_by_text("Page not found").count() == 0
    sign_in(page, "carla@example.com")
    page.get_by_text("Invoice shows the wrong amount").wait_for()
    page.screenshot(path=screenshots / "deep_link_ticket_after_sign_in.png")
    assert f"CCR-{ticket_id:06d}" in page.locator("[data-testid='stMain']").inner_text()


def test_mailed_link_to_someone_elses_ticket_shows_nothing_of_it(fresh_app, carlas_ticket, page):
    base_url, _ = fresh_app
    page.goto(f"{base_url}/ticket_view?ticket={carlas_ticket}")
    page.wait_for_selector(".st-key-sign_in_email", timeout=30_000)
    settle(page)
    sign_in(page, "olga@example.com")
    page.get_by_text("Ticket not found").wait_for()
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "Invoice shows the wrong amount" not in main and "charged twice" not in main
