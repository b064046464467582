"""What people type is shown as the text they typed, never as Markdown (issue 9, item 4).

Every field a person controls that the pages show in a Markdown-rendering element gets a
Markdown image pointing at a local HTTP server, plus styling and maths: the ticket subject,
an attachment's name, the agent's display name (the customer reads it), the customer's name
(in the menu bar), a category name and a canned reply's title. Each page that shows them is
opened in headless Chromium: the server must get no request at all, and the text must read
literally."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpdesk.enums import Role
from helpdesk.tickets import canned_replies, categories, staff
from helpdesk.tickets.attachments import UploadedFile
from tests.e2e.conftest import app_database
from tests.e2e.steps import click, keyed, nav_link, settle, sign_in, sign_out
from tests.factories import TEST_PASSWORD, add_user, as_user, raise_ticket

pytestmark = pytest.mark.browser


class Tracker(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802  (the standard library's name)
        Tracker.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def tracker():
    Tracker.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Tracker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def booby_trapped(fresh_app, tracker):
    """Every user-controlled field carries an image pointed at the tracker, and styling."""
    _, database_url = fresh_app
    pixel = lambda name: f"![{name}](http://{tracker}/{name}.png)"  # noqa: E731
    texts = {
        "customer": f"Carla {pixel('sidebar')} :red[VIP]",
        "agent": f"Alex {pixel('agent')} **Support**",
        "subject": f"Invoice {pixel('subject')} $x^2$ :red[ACTION REQUIRED]",
        "category": f"Billing {pixel('category')}",
        "canned": f"Refund {pixel('canned')}",
        "file": f"shot![](http:{tracker}).txt",
    }
    with app_database(database_url) as engine:
        admin = add_user(engine, email="root@example.com", role=Role.ADMIN, name="Root Admin")
        customer = add_user(engine, email="carla@example.com", name=texts["customer"])
        agent = add_user(engine, email="alex@example.com", role=Role.AGENT, name=texts["agent"])
        category = as_user(engine, admin, categories.create_category, name=texts["category"])
        as_user(engine, admin, canned_replies.create_canned_reply, title=texts["canned"], body="We refunded you.")
        ticket_id = raise_ticket(engine, customer=customer, category=category, subject=texts["subject"],
                                 attachments=[UploadedFile(texts["file"], b"plan 49.00\n")])
        as_user(engine, agent, staff.add_agent_reply, ticket_id=ticket_id, body="We are on it.")
    return ticket_id, texts


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def test_no_user_text_renders_as_markdown_on_any_page_that_shows_it(fresh_app, booby_trapped, page, screenshots):
    base_url, _ = fresh_app
    ticket_id, texts = booby_trapped

    page.goto(f"{base_url}/ticket_view?ticket={ticket_id}")
    keyed(page, "sign_in_email").wait_for()
    sign_in(page, "carla@example.com", TEST_PASSWORD)
    page.get_by_text("We are on it.").wait_for()
    settle(page)
    page.screenshot(path=screenshots / "user_text_customer_ticket.png", full_page=True)
    shown = main_text(page)
    assert "$x^2$ :red[ACTION REQUIRED]" in shown  # the subject, word for word
    assert "Alex ![agent](" in shown  # the agent's name, in the thread and the history
    assert "shot![](http:" in shown  # the file's name on its download button
    assert ":red[VIP]" in page.locator(".st-key-menu_bar").inner_text()  # "Signed in as ..."
    sign_out(page)

    # A reload starts a new session (signed out, until issue 12): open the address, then sign in.
    page.goto(f"{base_url}/ticket_view?ticket={ticket_id}")
    keyed(page, "sign_in_email").wait_for()
    sign_in(page, "alex@example.com", TEST_PASSWORD)
    keyed(page, "agent_reply_body").wait_for()
    settle(page)
    page.screenshot(path=screenshots / "user_text_agent_ticket.png", full_page=True)
    shown = main_text(page)
    assert "shot![](http:" in shown and "Carla ![sidebar](" in shown
    sign_out(page)

    sign_in(page, "root@example.com", TEST_PASSWORD)
    for link, title, expected in (("Categories", "Categories", "Billing ![category]("),
                                  ("Canned replies", "Canned replies", "Refund ![canned]("),
                                  ("Agent skills", "Agent skills", None), ("Queue", "Queue", None)):
        click(page, nav_link(page, link))
        page.locator("[data-testid='stMain'] h1", has_text=title).wait_for()
        settle(page)
        if expected:
            assert expected in main_text(page), link

    assert Tracker.hits == [], f"user text was rendered as Markdown: the browser fetched {Tracker.hits}"
