"""The help center in a real browser: a visitor asks the assistant, gets the passage of the
article that answers, asks again about something the article does not settle, raises a ticket
from the conversation (signing in on the way, the form filled from it), and the agent reads the
conversation on the ticket. Screenshots at desktop and phone width."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.core.db import migrate, session_scope
from helpdesk.demo.corpus import CATEGORIES
from helpdesk.demo.load import DEMO_ARTICLES
from helpdesk.enums import ChatOutcome, Role
from helpdesk.knowledge.importer import import_articles
from helpdesk.models import Category, ChatSession, Ticket
from tests.e2e.conftest import app_database, app_server, browser_tab
from tests.e2e.steps import act, click, keyed, settle, sign_in, sign_out
from tests.factories import TEST_PASSWORD, add_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def help_center_app(tmp_path):
    """The real app with the demo categories and the 44 demo articles, a customer and an agent."""
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    with app_database(url) as engine:
        migrate(engine)
        add_user(engine, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
        add_user(engine, email="alex@example.com", role=Role.AGENT, name="Alex Agent")
        add_user(engine, email="carla@example.com", name="Carla Customer")
        with session_scope(engine) as session:
            session.add_all(Category(name=name, description=about) for name, about, _ in CATEGORIES)
            session.flush()
            import_articles(session=session, folder=Path(DEMO_ARTICLES))
    with app_server(url, tmp_path) as base_url:
        yield base_url, url


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    act(page, lambda: box.press("Enter"))


def test_a_customer_asks_the_assistant_then_raises_a_ticket_the_agent_reads_with_the_chat(
        browser, help_center_app, screenshots):
    from playwright.sync_api import expect

    base_url, url = help_center_app
    with browser_tab(browser) as page:
        page.goto(f"{base_url}/assistant")  # not signed in yet
        expect(page.get_by_role("heading", name="Ask the assistant")).to_be_visible()
        settle(page)

        ask(page, "i forgot my pasword and cant get in")
        answer = page.get_by_test_id("stChatMessage").last
        expect(answer).to_contain_text("From the article Reset your password")
        expect(answer.get_by_role("link", name="Read the whole article")).to_be_visible()
        expect(keyed(page, "assistant_solved")).to_be_visible()
        page.screenshot(path=screenshots / "help_assistant_answer.png", full_page=True)

        ask(page, "The reset mail came but the link says it expired, and I need my invoice today")
        expect(page.get_by_test_id("stChatMessage")).to_have_count(4)
        click(page, keyed(page, "assistant_raise_ticket").locator("button"))
        expect(page.get_by_text("Sign in, or create an account, to raise your ticket.")).to_be_visible()
        settle(page)
        sign_in(page, "carla@example.com", TEST_PASSWORD)
        expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
        settle(page)
        expect(keyed(page, "submit_subject").locator("input")).to_have_value(
            "I forgot my pasword and cant get in")
        expect(keyed(page, "submit_description").locator("textarea")).to_have_value(
            "i forgot my pasword and cant get in\n\n"
            "The reset mail came but the link says it expired, and I need my invoice today")
        expect(page.get_by_text("the transcript will be attached")).to_be_visible()
        page.screenshot(path=screenshots / "help_ticket_from_chat.png", full_page=True)
        keyed(page, "submit_category").click()
        click(page, page.get_by_role("option", name="Account access"))
        click(page, keyed(page, "submit_button").locator("button"))
        expect(page.get_by_text("has been received")).to_be_visible()
        settle(page)

        with app_database(url) as engine, session_scope(engine) as session:
            chat = session.scalar(select(ChatSession))
            ticket = session.get(Ticket, chat.ticket_id)
            assert chat.outcome == ChatOutcome.TICKET and ticket.customer.email == "carla@example.com"
            ticket_id = ticket.id

        sign_out(page)
        page.goto(f"{base_url}/ticket_view?ticket={ticket_id}")  # as a mailed link: sign in, then on to it
        settle(page)
        sign_in(page, "alex@example.com", TEST_PASSWORD)
        expect(page.get_by_text("Conversation with the assistant before this ticket")).to_be_visible()
        settle(page)
        page.get_by_text("Conversation with the assistant before this ticket").click()
        expect(page.get_by_text("The reset mail came but the link says it expired").first).to_be_visible()
        # The help panel offers the article that answers it.
        expect(page.get_by_text("Reset your password").first).to_be_visible()
        page.screenshot(path=screenshots / "help_agent_ticket_with_chat.png", full_page=True)

    with browser_tab(browser, viewport=PHONE) as phone:
        phone.goto(f"{base_url}/assistant")  # a visitor, signed out
        expect(phone.get_by_role("heading", name="Ask the assistant")).to_be_visible()
        settle(phone)
        ask(phone, "who won the football world cup in 1998?")
        expect(phone.get_by_test_id("stChatMessage").last).to_contain_text("No article in our help center covers that")
        phone.screenshot(path=screenshots / "help_assistant_phone.png", full_page=True)
        phone.goto(f"{base_url}/help?article=track-your-parcel")
        expect(phone.get_by_role("heading", name="Track your parcel")).to_be_visible()
        settle(phone)
        phone.screenshot(path=screenshots / "help_article_phone.png", full_page=True)
