"""Outbox rules read off the outbox rows, as the admin's Mail page shows them: a customer's
reply is filed under its ticket (the page's ticket filter finds it), and nobody is mailed
about a reply they wrote themselves, even when the customer is also the ticket's assignee
(issue 7, mutation survivors of helpdesk/notifications/outbox.py).

SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select, update

from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import OutboxMessage, Ticket, User
from helpdesk.notifications import outbox_admin as mail_admin
from helpdesk.tickets import customer


def reply_rows(engine) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.event == "customer_reply")
                                    .order_by(OutboxMessage.id)))


def test_a_customer_reply_mail_is_filed_under_its_ticket_on_the_mail_page(desk):
    other = desk.raise_ticket(subject="Scanner jammed", assignee_id=desk.agent.id)
    ticket_id = desk.raise_ticket(subject="Printer on fire", assignee_id=desk.agent.id)
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="It is still smoking.")

    [row] = reply_rows(desk.engine)
    assert (row.ticket_id, row.recipient_email) == (ticket_id, "alex@support.example.com")
    page = desk.act(desk.admin, mail_admin.list_outbox, ticket_id=ticket_id, event="customer_reply")
    assert [(r.recipient_email, r.subject) for r in page.rows] == [
        ("alex@support.example.com", f"[CCR-{ticket_id:06d}] Printer on fire - customer replied")]
    assert desk.act(desk.admin, mail_admin.list_outbox, ticket_id=other, event="customer_reply").total == 0


def test_a_customer_who_is_also_the_assignee_is_not_mailed_about_their_own_reply(desk):
    """Carla joined the support team and was given her own old ticket: replying on it as its
    customer must not send her a "customer replied" mail."""
    ticket_id = desk.raise_ticket(subject="Printer on fire", assignee_id=desk.agent.id)
    with session_scope(desk.engine) as session:
        session.execute(update(User).where(User.id == desk.customer.id).values(role=Role.AGENT))
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(assignee_id=desk.customer.id))
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id,
             body="Found the fire extinguisher myself.")
    assert reply_rows(desk.engine) == []
    with session_scope(desk.engine) as session:
        to_carla = session.scalars(select(OutboxMessage.event).where(
            OutboxMessage.recipient_email == "carla@example.com", OutboxMessage.ticket_id == ticket_id)).all()
    assert "customer_reply" not in to_carla
