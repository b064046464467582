"""What agents and admins do to a ticket: reply, note, change fields (bulk changes: bulk.py).

Every change checks the version the agent had open (`expected_version`) and the flush
checks it again in the UPDATE itself, so two agents can never silently overwrite each other."""
from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_staff, get_by_id
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import EventKind, Priority, TicketStatus
from helpdesk.models import Category, Ticket, TicketMessage, User
from helpdesk.notifications import outbox
from helpdesk.sla import clock
from helpdesk.tickets.assignment import apply_assignment, assign_ticket, claim_ticket, eligible_assignee
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.lifecycle import flush_or_conflict, load_ticket_for_staff, record_event, transition
from helpdesk.tickets.messages import add_message, validate_message
from helpdesk.tickets.workflow import can_transition

__all__ = [
    "UNCHANGED", "add_agent_reply", "add_internal_note", "assign_ticket", "change_category", "change_priority",
    "change_status", "claim_ticket", "customer_ticket_history", "update_ticket",
]


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# "Leave the assignee as it is" (None already means "unassign").
UNCHANGED: Final = _Unchanged()


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
        _ensure_transition(ticket, TicketStatus(new_status))
    message = add_message(session, ticket, actor, body, attachments, is_public=True)
    outbox.notify_public_reply(session=session, ticket=ticket, message=message)
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
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

def _ensure_transition(ticket: Ticket, new_status: TicketStatus) -> None:
    if new_status != ticket.status and not can_transition(ticket.status, new_status):
        raise ValidationError({"status": f"A ticket can't go from {ticket.status.label} to {new_status.label}."})


def _parse_priority(value) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        raise ValidationError({"priority": "Choose a priority."}) from None


def _active_category(session: Session, category_id: int) -> Category:
    category = get_by_id(session, Category, category_id)
    if category is None or not category.is_active:
        raise ValidationError({"category": "Choose an active category."})
    return category


def _apply_priority(session: Session, ticket: Ticket, actor: User, priority: Priority) -> None:
    if priority == ticket.priority:
        return
    old = ticket.priority
    with session.no_autoflush:  # one UPDATE (one version step) per save, not one per lookup
        ticket.priority = priority
        clock.reapply_targets(session, ticket, old)  # keeps waiting time already credited
    ticket.updated_at = utcnow()
    record_event(session, ticket, actor, EventKind.PRIORITY_CHANGED, old.value, priority.value)


def _apply_category(session: Session, ticket: Ticket, actor: User, category: Category) -> None:
    if category.id == ticket.category_id:
        return
    old_name = ticket.category.name
    ticket.category = category
    ticket.category_id = category.id
    ticket.updated_at = utcnow()
    record_event(session, ticket, actor, EventKind.CATEGORY_CHANGED, old_name, category.name)


def update_ticket(*, session: Session, actor: User, ticket_id: int, expected_version: int | None = None,
                  status: TicketStatus | str | None = None, priority: Priority | str | None = None,
                  category_id: int | None = None, assignee_id: int | None | _Unchanged = UNCHANGED) -> Ticket:
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
    new_priority = checked(lambda: _parse_priority(priority)) if priority is not None else None
    category = checked(lambda: _active_category(session, category_id)) if category_id is not None else None
    assignee = checked(lambda: eligible_assignee(session, assignee_id)) if isinstance(assignee_id, int) else None
    if errors:
        raise ValidationError(errors)
    if new_priority is not None:
        _apply_priority(session, ticket, actor, new_priority)
    if category is not None:
        _apply_category(session, ticket, actor, category)
    if assignee_id is not UNCHANGED:
        apply_assignment(session, ticket, actor, assignee)
    if new_status is not None:
        transition(session, ticket, actor, new_status)
    flush_or_conflict(session)
    return ticket


def _check_status(ticket: Ticket, status) -> TicketStatus | None:
    if status is None:
        return None
    try:
        new_status = TicketStatus(status)
    except ValueError:
        raise ValidationError({"status": "Choose a status."}) from None
    _ensure_transition(ticket, new_status)
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
