"""The ticket kernel: what every change to a ticket goes through, whoever makes it.

Recording an audited event, the optimistic-lock checks (the version the person had open, and
the UPDATE itself), loading a ticket for staff, and the one status transition that applies the
workflow table with its timestamps, SLA pause and resume and the customer's mail. The customer's
and the staff's actions (customer.py, staff.py, bulk.py, assignment.py) are built on these."""
from __future__ import annotations

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from helpdesk.access import ensure_staff, get_by_id
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import CONFLICT, ConflictError, NotFound, ValidationError
from helpdesk.enums import EventKind, OPEN_STATUSES, TicketStatus
from helpdesk.models import Ticket, TicketEvent, User
from helpdesk.notifications import outbox
from helpdesk.sla import clock
from helpdesk.tickets import metrics, satisfaction
from helpdesk.tickets.workflow import transition_refusal



def record_event(session: Session, ticket: Ticket, actor: User | None, kind: EventKind,
                 old: str | None = None, new: str | None = None) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, actor_id=actor.id if actor else None, kind=kind,
                        old_value=old, new_value=new, created_at=utcnow())
    session.add(event)
    return event


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise ConflictError(CONFLICT)


def flush_or_conflict(session: Session) -> None:
    """Flush, turning a save over someone else's newer version (the UPDATE matched no row
    at the version we read) into the same ConflictError a stale form gets."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(CONFLICT) from exc


def load_ticket_for_staff(session: Session, actor: User, ticket_id: int,
                          expected_version: int | None) -> Ticket:
    ensure_staff(actor)
    ticket = get_by_id(session, Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    check_version(ticket, expected_version)
    return ticket


def transition(session: Session, ticket: Ticket, actor: User | None, new_status: TicketStatus) -> None:
    """Apply one status change through the workflow table, with its timestamps and event."""
    old_status = ticket.status
    if new_status == old_status:
        return
    refusal = transition_refusal(old_status, new_status)
    if refusal:
        raise ValidationError({"status": refusal})
    now = utcnow()
    rating_token = None  # the resolved mail's link to rate the help
    if old_status == TicketStatus.WAITING_ON_CUSTOMER:
        if ticket.waiting_since is not None:
            metrics.on_wait_ended(ticket, ticket.waiting_since, now)
        clock.resume(ticket, now)
    if new_status == TicketStatus.WAITING_ON_CUSTOMER:
        clock.pause(ticket, now)
    if new_status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        metrics.on_resolved(ticket, now)
        rating_token = satisfaction.on_resolved(session, ticket, now)
    elif new_status == TicketStatus.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            metrics.on_resolved(ticket, now)
    elif new_status in OPEN_STATUSES and old_status == TicketStatus.RESOLVED:
        ticket.resolved_at = None  # reopened: it is not resolved any more
        metrics.on_reopened(ticket)
        satisfaction.on_reopened(session, ticket, now)
    ticket.status = new_status
    ticket.updated_at = now
    record_event(session, ticket, actor, EventKind.STATUS_CHANGED, old_status.value, new_status.value)
    outbox.notify_status_changed(session=session, ticket=ticket, actor=actor, old_status=old_status,
                                 new_status=new_status, rating_token=rating_token)
