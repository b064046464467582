"""The help center on the agent's ticket page (AppTest): the articles that answer the ticket,
with a link and "Insert link" into the reply; the similar resolved tickets; and the conversation
with the assistant the ticket was raised from, the customer's words shown as they typed them."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

import helpdesk.demo
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.demo.corpus import CATEGORIES
from helpdesk.enums import TicketStatus
from helpdesk.knowledge import assistant
from helpdesk.knowledge.importer import import_articles
from helpdesk.models import Ticket, User, format_reference
from helpdesk.tickets import customer
from helpdesk.ui.plain_text import plain
from tests.conftest import TEST_BASE_URL
from tests.factories import add_category
from tests.page_helpers import as_read, fill, open_app, page_links, page_text, rerun

PAGE = "pages/agent/ticket.py"
DEMO_ARTICLES = Path(helpdesk.demo.__file__).resolve().parent / "articles"
RESET_LINK = f"[Reset your password]({TEST_BASE_URL}/help?article=reset-your-password)"
TRANSCRIPT = "Conversation with the assistant before this ticket"
ODD_QUESTION = "**Still** no e-mail ![x](https://tracker.example/p.png)"

pytestmark = pytest.mark.usefixtures("no_local_configuration")


@pytest.fixture
def help_center(app_desk) -> dict[str, int]:
    """The demo help center (its categories, and its articles imported as published); category ids by name."""
    ids = {"Billing": app_desk.category.id}
    for name, _, _ in CATEGORIES:
        if name not in ids:
            ids[name] = add_category(app_desk.engine, name).id
    with session_scope(app_desk.engine) as session:
        import_articles(session=session, folder=DEMO_ARTICLES)
    return ids


@pytest.fixture
def locked_out(app_desk, help_center) -> int:
    return app_desk.raise_ticket(category=help_center["Account access"], subject="Password reset email never arrives",
                                 description="I asked for a reset link three times but nothing came, so I can't "
                                             "sign in to my account.")


def open_ticket(person, ticket_id):
    return open_app(person, ticket=ticket_id, page=PAGE)


def links(at) -> dict[str, tuple[str, dict]]:
    """The page's own links as read: label -> (where to, query parameters)."""
    return {as_read(link.proto.label): (link.proto.page, dict(link.proto.query_string and [
        part.split("=", 1) for part in link.proto.query_string.split("&")] or {})) for link in page_links(at)}


def test_the_article_that_answers_the_ticket_is_offered_with_its_address(app_desk, locked_out):
    at = open_ticket(app_desk.agent, locked_out)
    assert "Help center" in page_text(at)
    offered = [label for label in links(at) if not label.startswith(("CCR-", "Queue"))]
    assert offered and offered[0] == "Reset your password" and len(offered) <= 3
    assert links(at)["Reset your password"][0] == f"{TEST_BASE_URL}/help?article=reset-your-password"


def test_insert_link_adds_the_article_after_what_the_agent_typed(app_desk, locked_out):
    at = open_ticket(app_desk.agent, locked_out)
    fill(at, agent_reply_body="Hello Carla, this explains the steps:")
    at.button(key="agent_insert_article_reset-your-password").click()
    rerun(at)
    assert at.text_area(key="agent_reply_body").value == f"Hello Carla, this explains the steps:\n\n{RESET_LINK}"
    # A second click does not add it twice.
    at.button(key="agent_insert_article_reset-your-password").click()
    rerun(at)
    assert at.text_area(key="agent_reply_body").value.count(RESET_LINK) == 1
    at.button(key="agent_reply_send").click()
    rerun(at)
    conversation = app_desk.act(app_desk.customer, customer.get_conversation, ticket_id=locked_out)
    assert [m.body for m in conversation] == [f"Hello Carla, this explains the steps:\n\n{RESET_LINK}"]


def test_into_an_empty_box_the_link_is_the_whole_text(app_desk, locked_out):
    at = open_ticket(app_desk.agent, locked_out)
    at.button(key="agent_insert_article_reset-your-password").click()
    rerun(at)
    assert at.text_area(key="agent_reply_body").value == RESET_LINK


def test_a_similar_resolved_ticket_is_listed_with_a_link_to_it(app_desk, help_center, locked_out):
    account = help_center["Account access"]
    earlier = app_desk.raise_ticket(category=account, subject="Password reset e-mail not arriving",
                                    status=TicketStatus.RESOLVED, resolved_at=utcnow() - timedelta(days=3))
    app_desk.raise_ticket(category=account, subject="Password reset e-mail not arriving either")  # still open
    app_desk.raise_ticket(category=account, subject="Change the language of the app",
                          status=TicketStatus.RESOLVED, resolved_at=utcnow() - timedelta(days=2))
    at = open_ticket(app_desk.agent, locked_out)
    listed = {label: target for label, target in links(at).items() if label.startswith("CCR-")}
    assert listed == {f"{format_reference(earlier)} · Password reset e-mail not arriving":
                      ("ticket_view", {"ticket": str(earlier)})}
    assert "Resolved 20" in page_text(at)  # when, in the agent's time zone


def test_typing_a_reply_does_not_read_the_similar_tickets_again(app_desk, help_center, locked_out):
    earlier = app_desk.raise_ticket(category=help_center["Account access"], subject="Password reset e-mail not arriving",
                                    status=TicketStatus.RESOLVED, resolved_at=utcnow() - timedelta(days=3))
    sent = []

    def record(connection, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    def window_reads() -> int:  # the category's finished tickets, read to rank them
        return sum(s.startswith("SELECT tickets.id, tickets.subject, tickets.status, tickets.resolved_at") for s in sent)

    event.listen(Engine, "before_cursor_execute", record)  # the app's own engine, whichever it made
    try:
        at = open_ticket(app_desk.agent, locked_out)
        shown, read_on_opening = links(at), window_reads()
        fill(at, agent_reply_body="Hello Carla, one moment please.")
        rerun(at)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert f"{format_reference(earlier)} · Password reset e-mail not arriving" in shown and links(at) == shown
    assert read_on_opening == 1 and window_reads() == 1  # the rerun kept the panel


def test_the_conversation_with_the_assistant_is_shown_with_the_ticket(app_desk, help_center):
    with session_scope(app_desk.engine) as session:  # a visitor, before signing in
        key = assistant.start_chat(session=session, actor=None).key
        assistant.ask(session=session, actor=None, key=key, question="I forgot my password")
        assistant.ask(session=session, actor=None, key=key, question=ODD_QUESTION)
    ticket_id = app_desk.raise_ticket(category=help_center["Account access"], subject="I forgot my password",
                                      description="I forgot my password")
    with session_scope(app_desk.engine) as session:
        assistant.attach_to_ticket(session=session, actor=session.get(User, app_desk.customer.id),
                                   key=key, ticket=session.get(Ticket, ticket_id))

    at = open_ticket(app_desk.agent, ticket_id)
    [expander] = [e for e in at.expander if e.label == TRANSCRIPT]
    said = [m.value for m in expander.markdown]
    # The customer's words exactly as typed: no bold, no image fetched from elsewhere.
    assert said[0] == "I forgot my password" and plain(ODD_QUESTION) in said
    assert as_read(expander.caption[0].value) == "From the article “Reset your password”"
    assert any(m.startswith("Select \"Forgot password?\" on the sign-in screen") for m in said)


def test_a_ticket_nothing_answers_says_so_and_has_no_conversation(app_desk, help_center):
    ticket_id = app_desk.raise_ticket(category=help_center["Other"], subject="Partnership proposal",
                                      description="We would like to sell your products in our shop in Lisbon.")
    at = open_ticket(app_desk.agent, ticket_id)
    text = page_text(at)
    assert "No published article covers it." in text
    assert "None found in this category." in text
    assert TRANSCRIPT not in [e.label for e in at.expander]
