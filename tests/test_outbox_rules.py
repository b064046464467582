"""Outbox rules read off the outbox rows, as the admin's Mail page shows them: a customer's
reply is filed under its ticket (the page's ticket filter finds it), and nobody is mailed
about a reply they wrote themselves, even when the customer is also the ticket's assignee
(issue 7, mutation survivors of helpdesk/notifications/outbox.py).

SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, Role
from helpdesk.models import OutboxMessage, Ticket, User
from helpdesk.notifications import outbox_admin as mail_admin
from helpdesk.tickets import customer
from helpdesk.tickets.customer import TicketDraft
from tests.factories import add_category, add_user


@pytest.fixture
def desk(engine):
    return {
        "engine": engine,
        "customer": add_user(engine, email="carla@example.com", name="Carla Customer"),
        "agent": add_user(engine, email="alex@support.example.com", name="Alex Agent", role=Role.AGENT),
        "admin": add_user(engine, email="ada@support.example.com", name="Ada Admin", role=Role.ADMIN),
        "category": add_category(engine),
    }


def raise_ticket(desk, assignee_id: int, subject: str) -> int:
    with session_scope(desk["engine"]) as session:
        ticket = customer.create_ticket(session=session, actor=desk["customer"], data=TicketDraft(
            category_id=desk["category"].id, priority=Priority.NORMAL, subject=subject, description="Please"))
        ticket.assignee_id = assignee_id
        return ticket.id


def customer_replies(desk, ticket_id: int, body: str) -> None:
    with session_scope(desk["engine"]) as session:
        customer.add_customer_reply(session=session, actor=session.get(User, desk["customer"].id),
                                   ticket_id=ticket_id, body=body)


def reply_rows(engine) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.event == "customer_reply")
                                    .order_by(OutboxMessage.id)))


def test_a_customer_reply_mail_is_filed_under_its_ticket_on_the_mail_page(desk):
    other = raise_ticket(desk, desk["agent"].id, "Scanner jammed")
    ticket_id = raise_ticket(desk, desk["agent"].id, "Printer on fire")
    customer_replies(desk, ticket_id, "It is still smoking.")

    [row] = reply_rows(desk["engine"])
    assert (row.ticket_id, row.recipient_email) == (ticket_id, "alex@support.example.com")
    with session_scope(desk["engine"]) as session:
        admin = session.get(User, desk["admin"].id)
        page = mail_admin.list_outbox(session=session, actor=admin, ticket_id=ticket_id, event="customer_reply")
        assert [(r.recipient_email, r.subject) for r in page.rows] == [
            ("alex@support.example.com", f"[CCR-{ticket_id:06d}] Printer on fire - customer replied")]
        assert mail_admin.list_outbox(session=session, actor=admin, ticket_id=other,
                                      event="customer_reply").total == 0


def test_a_customer_who_is_also_the_assignee_is_not_mailed_about_their_own_reply(desk):
    """Carla joined the support team and was given her own old ticket: replying on it as its
    customer must not send her a "customer replied" mail."""
    ticket_id = raise_ticket(desk, desk["agent"].id, "Printer on fire")
    with session_scope(desk["engine"]) as session:
        session.execute(update(User).where(User.id == desk["customer"].id).values(role=Role.AGENT))
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(assignee_id=desk["customer"].id))
    customer_replies(desk, ticket_id, "Found the fire extinguisher myself.")
    assert reply_rows(desk["engine"]) == []
    with session_scope(desk["engine"]) as session:
        to_carla = session.scalars(select(OutboxMessage.event).where(
            OutboxMessage.recipient_email == "carla@example.com", OutboxMessage.ticket_id == ticket_id)).all()
    assert "customer_reply" not in to_carla
