"""A pasted subject or description over the limit is kept, and the field says how much too long
it is (issue 9, item 11): the browser used to drop the paste silently (max_chars), leaving an
empty field and a faint 0/200 counter. AppTest, on the app's SQLite database."""
from __future__ import annotations

from sqlalchemy import func, select

from helpdesk.core.db import session_scope
from helpdesk.models import Ticket, TicketMessage
from tests.page_helpers import fill, message_at, open_app, rerun


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_overlong_subject_and_description_are_kept_and_measured(app_desk):
    at = open_app(app_desk.customer)
    assert at.text_input(key="submit_subject").proto.max_chars == 0  # no silent cut in the browser
    assert at.text_area(key="submit_description").proto.max_chars == 0
    subject, description = "S" * 250, "D" * 20_001
    at.selectbox(key="submit_category").set_value(app_desk.category.id)
    fill(at, submit_subject=subject, submit_description=description)
    at.button(key="submit_button").click()
    rerun(at)
    assert message_at(at, "submit_subject") == "Use at most 200 characters (now 250)."
    assert message_at(at, "submit_description") == "Use at most 20,000 characters (now 20,001)."
    assert at.text_input(key="submit_subject").value == subject
    assert at.text_area(key="submit_description").value == description
    assert count(app_desk.engine, Ticket) == 0


def test_an_overlong_reply_is_kept_and_measured_for_customer_and_agent(app_desk):
    ticket_id = app_desk.raise_ticket()
    long_reply = "R" * 20_001
    at = open_app(app_desk.customer, ticket=ticket_id)
    assert at.text_area(key="reply_body").proto.max_chars == 0
    fill(at, reply_body=long_reply)
    at.button(key="reply_submit").click()
    rerun(at)
    assert message_at(at, "reply_body") == "Use at most 20,000 characters (now 20,001)."
    assert at.text_area(key="reply_body").value == long_reply

    at = open_app(app_desk.agent, ticket=ticket_id, page="pages/agent/ticket.py")
    assert at.text_area(key="agent_reply_body").proto.max_chars == 0
    fill(at, agent_reply_body=long_reply)
    at.button(key="agent_reply_send").click()
    rerun(at)
    assert message_at(at, "agent_reply_body") == "Use at most 20,000 characters (now 20,001)."
    assert at.text_area(key="agent_reply_body").value == long_reply
    assert count(app_desk.engine, TicketMessage) == 0
