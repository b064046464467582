"""The main pages on a 390 px phone (issue 9, item 16): each person moves between their pages
from the menu bar, and after a page is chosen nothing covers it (Streamlit's sidebar drawer
stayed open over three quarters of the screen), the page's title is in view, and nothing is
wider than the screen. Screenshots of each page go to test-artifacts/screenshots/phone_*.png."""
from __future__ import annotations

import pytest

from helpdesk.enums import Role
from helpdesk.tickets import staff
from tests.e2e.conftest import app_database, browser_tab, seeded_category_id
from tests.e2e.steps import click, keyed, nav_link, settle, sign_in
from tests.factories import TEST_PASSWORD, add_user, as_user, raise_ticket

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Who goes where, by the menu bar: (link, the page's title).
JOURNEYS = {
    "carla@example.com": [("My tickets", "My tickets"), ("Profile", "Profile"), ("Submit a ticket", "Submit a ticket")],
    "alex@example.com": [("Profile", "Profile"), ("Queue", "Queue")],
    "ada@example.com": [("Users", "Users"), ("SLA targets", "SLA targets"), ("Mail", "Mail"),
                        ("Categories", "Categories"), ("Queue", "Queue")],
}


@pytest.fixture
def desk_with_tickets(fresh_app):
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        customer = add_user(engine, email="carla@example.com", name="Carla Customer")
        agent = add_user(engine, email="alex@example.com", role=Role.AGENT, name="Alex Agent")
        category = seeded_category_id(engine)
        ids = [raise_ticket(engine, customer=customer, category=category,
                            subject=f"The printer in room {n} smokes when it prints long pages") for n in range(3)]
        as_user(engine, agent, staff.add_agent_reply, ticket_id=ids[0], body="We are on it.")
    return ids


@pytest.fixture
def phone(browser):
    with browser_tab(browser, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        yield page


def nothing_covers_the_page(page) -> None:
    """No drawer or menu left open, nothing wider than the screen, the title in view."""
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.count() == 0 or not sidebar.is_visible(), "a sidebar is open over the page"
    assert not page.get_by_test_id("stPopoverBody").is_visible(), "the menu stayed open over the page"
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"
    title = page.locator("[data-testid='stMain'] h1").first.bounding_box()
    assert title is not None and 0 <= title["y"] < PHONE["height"] / 2, title


@pytest.mark.parametrize("email", list(JOURNEYS))
def test_each_person_moves_between_their_pages_on_a_phone(fresh_app, desk_with_tickets, phone, screenshots, email):
    base_url, _ = fresh_app
    phone.goto(base_url)
    keyed(phone, "sign_in_email").wait_for()
    nothing_covers_the_page(phone)
    sign_in(phone, email, TEST_PASSWORD)
    nothing_covers_the_page(phone)
    for link, title in JOURNEYS[email]:
        click(phone, nav_link(phone, link))
        phone.locator("[data-testid='stMain'] h1", has_text=title).wait_for()
        settle(phone)
        nothing_covers_the_page(phone)
        phone.screenshot(path=screenshots / f"phone_{email.split('@')[0]}_{link.lower().replace(' ', '_')}.png")


def test_a_ticket_reads_on_a_phone(fresh_app, desk_with_tickets, phone, screenshots):
    """The agent's ticket page: the ticket's fields come before the thread, all within the screen."""
    base_url, _ = fresh_app
    phone.goto(f"{base_url}/ticket_view?ticket={desk_with_tickets[0]}")
    keyed(phone, "sign_in_email").wait_for()
    sign_in(phone, "alex@example.com", TEST_PASSWORD)
    phone.get_by_text("We are on it.").wait_for()
    settle(phone)
    nothing_covers_the_page(phone)
    phone.screenshot(path=screenshots / "phone_alex_ticket.png", full_page=True)
    status = phone.get_by_text("Status", exact=True).first.bounding_box()
    reply = phone.get_by_text("We are on it.").bounding_box()
    assert status["y"] < reply["y"], "the ticket's fields are below its conversation"
