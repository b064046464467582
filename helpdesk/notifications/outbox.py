"""Enqueue notifications in the caller's session, so they commit (or roll back) together
with the change that caused them. Nothing here talks to a mail server.

Who hears about what (issue 4):
- ticket created: the customer (essential); while unassigned, the agents of its category
- assigned: the assignee (unless they took it themselves) and the customer
- public agent reply: the customer; internal notes never produce customer mail
- customer reply: the assignee
- waiting on customer / resolved / closed / reopened: the customer (unless they did it)
- SLA at risk or missed: the assignee and the admins

Essential mails (the confirmation and the resolution) ignore the opt-out switch in the
profile; every other mail respects it."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.core.clock import utcnow
from helpdesk.enums import OPEN_STATUSES, REPORTING_ROLES, STAFF_ROLES, OutboxEvent, Role, SlaTarget, TicketStatus
from helpdesk.models import AgentSkill, OutboxMessage, Ticket, TicketMessage, User
from helpdesk.notifications import compose
from helpdesk.notifications.compose import ComposedMail

# The status changes a customer hears about.
CUSTOMER_STATUS_MAILS = (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED)


def enqueue(session: Session, *, event: OutboxEvent, recipient: User | None, mail: ComposedMail,
            ticket_id: int | None = None, essential: bool = False,
            recipient_email: str | None = None) -> OutboxMessage | None:
    """One outbox row, or None when the recipient is inactive or opted out of optional mail.
    `recipient_email` without a recipient is for the admin's test mail to any address."""
    if recipient is not None:
        if not recipient.is_active or not recipient.email:
            return None
        if not essential and not recipient.wants_optional_email:
            return None
        recipient_email = recipient.email
    if not recipient_email:
        return None
    now = utcnow()
    row = OutboxMessage(event=OutboxEvent(event).value, ticket_id=ticket_id,
                        recipient_id=recipient.id if recipient else None, recipient_email=recipient_email,
                        subject=mail.subject, text_body=mail.text_body, html_body=mail.html_body, attempts=0,
                        next_attempt_at=now, created_at=now)
    session.add(row)
    return row


def _kept(rows: Iterable[OutboxMessage | None]) -> list[OutboxMessage]:
    return [row for row in rows if row is not None]


def _user(session: Session, user_id: int | None) -> User | None:
    return session.get(User, user_id) if user_id is not None else None


def category_agents(session: Session, category_id: int) -> list[User]:
    """Active staff with this category as a skill; every active agent if nobody has it,
    so a new ticket in an uncovered category is still heard of."""
    skilled = list(session.scalars(
        select(User).join(AgentSkill, AgentSkill.agent_id == User.id)
        .where(AgentSkill.category_id == category_id, User.is_active, User.role.in_(STAFF_ROLES))
        .order_by(User.id)))
    if skilled:
        return skilled
    return list(session.scalars(select(User).where(User.is_active, User.role == Role.AGENT).order_by(User.id)))


def notify_ticket_created(*, session: Session, ticket: Ticket) -> list[OutboxMessage]:
    customer = _user(session, ticket.customer_id)
    rows = [enqueue(session, event=OutboxEvent.TICKET_CREATED, recipient=customer, ticket_id=ticket.id, essential=True,
                    mail=compose.ticket_created_for_customer(ticket, customer))] if customer else []
    if ticket.assignee_id is None:
        for agent in category_agents(session, ticket.category_id):
            rows.append(enqueue(session, event=OutboxEvent.NEW_TICKET_FOR_AGENTS, recipient=agent, ticket_id=ticket.id,
                                mail=compose.ticket_created_for_agents(ticket, agent, customer)))
    return _kept(rows)


def notify_assigned(*, session: Session, ticket: Ticket, actor: User | None) -> list[OutboxMessage]:
    """After `ticket.assignee_id` changed. The assignee hears unless they took the ticket
    themselves; the customer hears who is handling it."""
    assignee = _user(session, ticket.assignee_id)
    if assignee is None:
        return []
    rows = []
    if actor is None or actor.id != assignee.id:
        rows.append(enqueue(session, event=OutboxEvent.ASSIGNED, recipient=assignee, ticket_id=ticket.id,
                            mail=compose.assigned_for_assignee(ticket, assignee, actor)))
    customer = _user(session, ticket.customer_id)
    # Automatic assignment while the ticket is raised: the confirmation mail names the assignee.
    assigned_on_creation = actor is None and ticket.status == TicketStatus.NEW
    if customer is not None and not assigned_on_creation:
        rows.append(enqueue(session, event=OutboxEvent.ASSIGNED_CUSTOMER, recipient=customer, ticket_id=ticket.id,
                            mail=compose.assigned_for_customer(ticket, customer, assignee)))
    return _kept(rows)


def notify_public_reply(*, session: Session, ticket: Ticket, message: TicketMessage) -> list[OutboxMessage]:
    """An agent's reply to the customer. Internal notes are refused here, whoever calls."""
    if not message.is_public or message.author_id == ticket.customer_id:
        return []
    customer = _user(session, ticket.customer_id)
    author = _user(session, message.author_id)
    if customer is None or author is None:
        return []
    return _kept([enqueue(session, event=OutboxEvent.PUBLIC_REPLY, recipient=customer, ticket_id=ticket.id,
                          mail=compose.public_reply(ticket, customer, message, author))])


def notify_customer_reply(*, session: Session, ticket: Ticket, message: TicketMessage) -> list[OutboxMessage]:
    assignee = _user(session, ticket.assignee_id)
    author = _user(session, message.author_id)
    if not message.is_public or assignee is None or author is None or assignee.id == author.id:
        return []
    return _kept([enqueue(session, event=OutboxEvent.CUSTOMER_REPLY, recipient=assignee, ticket_id=ticket.id,
                          mail=compose.customer_reply(ticket, assignee, message, author))])


def notify_status_changed(*, session: Session, ticket: Ticket, actor: User | None,
                          old_status: TicketStatus, new_status: TicketStatus,
                          rating_token: str | None = None) -> list[OutboxMessage]:
    """Called by tickets.transition, the one place statuses change. `rating_token`: the signed
    token of the rating request a resolution made (the resolved mail links to it)."""
    reopened = old_status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and new_status in OPEN_STATUSES
    if new_status not in CUSTOMER_STATUS_MAILS and not reopened:
        return []
    customer = _user(session, ticket.customer_id)
    if customer is None or (actor is not None and actor.id == customer.id):
        return []  # the customer did it themselves and saw it happen
    # The resolution notice always goes: resolved, or closed without having been resolved first.
    essential = new_status == TicketStatus.RESOLVED or (
        new_status == TicketStatus.CLOSED and old_status != TicketStatus.RESOLVED)
    mail_status = TicketStatus.OPEN if reopened else new_status
    return _kept([enqueue(session, event=OutboxEvent.STATUS_CHANGED, recipient=customer, ticket_id=ticket.id,
                          essential=essential,
                          mail=compose.status_changed(ticket, customer, mail_status, rating_token=rating_token))])


def notify_sla_risk(*, session: Session, ticket: Ticket, missed: bool,
                    target: SlaTarget | str = SlaTarget.RESOLUTION) -> list[OutboxMessage]:
    """The assignee, the managers and the admins hear once per ticket, target and kind (at risk / missed),
    so the maintenance job can run as often as it likes."""
    target = SlaTarget(target)
    event = OutboxEvent.sla_alert(missed=missed, target=target)
    already = set(session.scalars(select(OutboxMessage.recipient_id).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.event == event.value)))
    recipients: dict[int, User] = {}
    assignee = _user(session, ticket.assignee_id)
    if assignee is not None:
        recipients[assignee.id] = assignee
    for watcher in session.scalars(select(User).where(User.is_active, User.role.in_(REPORTING_ROLES)).order_by(User.id)):
        recipients.setdefault(watcher.id, watcher)
    due_at = ticket.first_response_due_at if target == SlaTarget.FIRST_RESPONSE else ticket.resolution_due_at
    return _kept(
        enqueue(session, event=event, recipient=user, ticket_id=ticket.id,
                mail=compose.sla_alert(ticket, user, missed=missed, target=target.label, due_at=due_at))
        for user_id, user in recipients.items() if user_id not in already)
