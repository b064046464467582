"""What agents and admins do to a ticket: reply, note, change fields (bulk changes: bulk.py).

Every change checks the version the agent had open (`expected_version`) and the flush
checks it again in the UPDATE itself, so two agents can never silently overwrite each other."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_staff, get_by_id
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import Ticket, TicketMessage, User
from helpdesk.notifications import outbox
from helpdesk.tickets.assignment import eligible_assignee
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.changes import (UNCHANGED, FieldChanges, Unchanged, active_category, apply_changes,
                                      ensure_transition, parse_priority, parse_status)
from helpdesk.tickets.lifecycle import flush_or_conflict, load_ticket_for_staff, transition
from helpdesk.tickets import metrics
from helpdesk.tickets.messages import add_message, validate_message

__all__ = [
    "add_agent_reply", "add_internal_note", "change_category", "change_priority", "change_status",
    "customer_ticket_history", "update_ticket",
]


# --- messages ---------------------------------------------------------------------------

def add_agent_reply(*, session: Session, actor: User, ticket_id: int, body: str,
                    attachments: list[UploadedFile] | None = None, expected_version: int | None = None,
                    new_status: TicketStatus | None = None) -> TicketMessage:
    """A public reply the customer sees. The first one stamps first_response_at (once);
    on a new ticket it also opens it. `new_status` sends and changes status in one save
    (e.g. "send and wait on customer")."""
    attachments = attachments or []
    ticket = load_ticket_for_staff(session, actor, ticket_id, expected_version)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError({"body": "This ticket is closed; the customer can raise a new one."})
    body = validate_message(body, attachments)
    if new_status is not None:
        ensure_transition(ticket, TicketStatus(new_status))
    message = add_message(session, ticket, actor, body, attachments, is_public=True)
    outbox.notify_public_reply(session=session, ticket=ticket, message=message)
    metrics.on_staff_public_reply(ticket)
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
        metrics.on_first_response(ticket, message.created_at)
    if new_status is not None:
        transition(session, ticket, actor, TicketStatus(new_status))
    elif ticket.status == TicketStatus.NEW:
        transition(session, ticket, actor, TicketStatus.OPEN)
    flush_or_conflict(session)
    return message


def add_internal_note(*, session: Session, actor: User, ticket_id: int, body: str,
                      attachments: list[UploadedFile] | None = None,
                      expected_version: int | None = None) -> TicketMessage:
    """Staff-only: never shown or mailed to the customer, and not a first response."""
    attachments = attachments or []
    ticket = load_ticket_for_staff(session, actor, ticket_id, expected_version)
    body = validate_message(body, attachments)
    message = add_message(session, ticket, actor, body, attachments, is_public=False)
    flush_or_conflict(session)
    return message


# --- field changes ----------------------------------------------------------------------

def update_ticket(*, session: Session, actor: User, ticket_id: int, expected_version: int | None = None,
                  status: TicketStatus | str | None = None, priority: Priority | str | None = None,
                  category_id: int | None = None, assignee_id: int | None | Unchanged = UNCHANGED) -> Ticket:
    """Several field changes in one save (the ticket page's form): all checked first, so a
    refused change leaves nothing half-done. Each change is its own audited event."""
    ticket = load_ticket_for_staff(session, actor, ticket_id, expected_version)
    errors: dict[str, str] = {}

    def checked(check):
        try:
            return check()
        except ValidationError as exc:
            errors.update(exc.field_errors)
            return None

    new_status = checked(lambda: _check_status(ticket, status))
    new_priority = checked(lambda: parse_priority(priority)) if priority is not None else None
    category = checked(lambda: active_category(session, category_id)) if category_id is not None else None
    assignee = checked(lambda: eligible_assignee(session, assignee_id)) if isinstance(assignee_id, int) else None
    if errors:
        raise ValidationError(errors)
    apply_changes(session, ticket, actor, FieldChanges(
        status=new_status, priority=new_priority, category=category,
        assignee=UNCHANGED if assignee_id is UNCHANGED else assignee))
    flush_or_conflict(session)
    return ticket


def _check_status(ticket: Ticket, status) -> TicketStatus | None:
    if status is None:
        return None
    new_status = parse_status(status)
    ensure_transition(ticket, new_status)
    return new_status


def change_status(*, session: Session, actor: User, ticket_id: int, status: TicketStatus | str,
                  expected_version: int | None = None) -> Ticket:
    return update_ticket(session=session, actor=actor, ticket_id=ticket_id, expected_version=expected_version,
                         status=status)


def change_priority(*, session: Session, actor: User, ticket_id: int, priority: Priority | str,
                    expected_version: int | None = None) -> Ticket:
    return update_ticket(session=session, actor=actor, ticket_id=ticket_id, expected_version=expected_version,
                         priority=priority)


def change_category(*, session: Session, actor: User, ticket_id: int, category_id: int,
                    expected_version: int | None = None) -> Ticket:
    return update_ticket(session=session, actor=actor, ticket_id=ticket_id, expected_version=expected_version,
                         category_id=category_id)


# --- bulk -------------------------------------------------------------------------------


# --- reading ----------------------------------------------------------------------------

def customer_ticket_history(*, session: Session, actor: User, ticket_id: int, limit: int = 10) -> list[Ticket]:
    """The same customer's other tickets, newest first (shown beside the ticket)."""
    ensure_staff(actor)
    ticket = get_by_id(session, Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    query = (select(Ticket).where(Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id)
             .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return list(session.scalars(query))
