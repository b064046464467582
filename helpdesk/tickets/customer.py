"""Tickets from the customer's side: raise, list, read, reply, close, reopen.

Staff-side handling (queue, assignment, internal notes) lives in its own modules; both sides
change tickets through the kernel in lifecycle.py, so the workflow table is applied in one place."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.core.text_checks import text_problem
from helpdesk.access import ensure_active, ensure_can_view_ticket, ensure_customer_owner, get_by_id
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Attachment, Category, Ticket, TicketEvent, TicketMessage, User, parse_reference
from helpdesk.notifications import outbox
from helpdesk.search import text_index
from helpdesk.sla import clock
from helpdesk.tickets import assignment
from helpdesk.tickets.attachments import UploadedFile, build_attachments, upload_problems
from helpdesk.tickets.lifecycle import check_version, flush_or_conflict, record_event, transition
from helpdesk.tickets.messages import add_message, validate_message

SUBJECT_MAX = 200
DESCRIPTION_MAX = 20_000


@dataclass(frozen=True)
class TicketDraft:
    category_id: int | None
    priority: Priority | str | None
    subject: str
    description: str
    attachments: list[UploadedFile] = field(default_factory=list)
    # One per rendered form: a second submit with the same key returns the first ticket.
    submission_key: str | None = None


@dataclass(frozen=True)
class TicketPage:
    rows: list[Ticket]
    total: int


def _validate_draft(session: Session, data: TicketDraft) -> tuple[Category, Priority, str, str]:
    errors: dict[str, str] = {}
    category = get_by_id(session, Category, data.category_id)
    if category is None or not category.is_active:
        errors["category"] = "Choose a category."
    try:
        priority = Priority(data.priority)
    except ValueError:
        errors["priority"] = "Choose a priority."
        priority = Priority.NORMAL
    subject = (data.subject or "").strip()
    description = (data.description or "").strip()
    if not subject:
        errors["subject"] = "Enter a subject: a short summary of the problem."
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Use at most {SUBJECT_MAX} characters (now {len(subject)})."
    elif problem := text_problem(subject):
        errors["subject"] = problem
    if not description:
        errors["description"] = "Describe the problem."
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Use at most {DESCRIPTION_MAX:,} characters (now {len(description):,})."
    elif problem := text_problem(description, multiline=True):
        errors["description"] = problem
    problem = upload_problems(data.attachments)
    if problem:
        errors["attachments"] = problem
    if errors:
        raise ValidationError(errors)
    return category, priority, subject, description


def create_ticket(*, session: Session, actor: User, data: TicketDraft) -> Ticket:
    actor = ensure_active(actor)
    if actor.role != Role.CUSTOMER:
        raise PermissionDenied("Tickets are raised from a customer account.")
    if data.submission_key:
        earlier = session.scalar(select(Ticket).where(Ticket.submission_key == data.submission_key))
        if earlier is not None and earlier.customer_id == actor.id:
            return earlier
    category, priority, subject, description = _validate_draft(session, data)
    now = utcnow()
    ticket = Ticket(subject=subject, description=description, category_id=category.id, priority=priority,
                    status=TicketStatus.NEW, customer_id=actor.id, created_at=now, updated_at=now,
                    submission_key=data.submission_key or None)
    clock.apply_targets(session, ticket)
    session.add(ticket)
    session.flush()
    for attachment in build_attachments(ticket=ticket, uploader=actor, files=data.attachments):
        session.add(attachment)
    record_event(session, ticket, actor, EventKind.CREATED, None, TicketStatus.NEW.value)
    assignment.auto_assign(session=session, ticket=ticket)
    outbox.notify_ticket_created(session=session, ticket=ticket)  # after auto-assignment: who has it
    session.flush()
    return ticket


def list_customer_tickets(*, session: Session, actor: User, status: TicketStatus | None = None,
                          search: str = "", limit: int = 25, offset: int = 0) -> TicketPage:
    """The actor's own tickets, newest first: one indexed page plus a count."""
    actor = ensure_active(actor)
    query = select(Ticket).where(Ticket.customer_id == actor.id)
    if status is not None:
        query = query.where(Ticket.status == status)
    text = text_index.searchable(search)
    if text:
        matches_subject = text_index.subject_contains(session, text)
        searched_id = parse_reference(text)
        if searched_id is not None and not text.isdigit():
            query = query.where(Ticket.id == searched_id)  # "CCR-000042" / "#42": a primary-key lookup
        elif searched_id is not None:
            query = query.where(matches_subject | (Ticket.id == searched_id))  # "404": a reference or words
        else:
            query = query.where(matches_subject)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Ticket.id).subquery()))
    rows = session.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit).offset(offset))
    return TicketPage(rows=list(rows), total=total or 0)


def get_ticket(*, session: Session, actor: User, ticket_id: int) -> Ticket:
    ticket = get_by_id(session, Ticket, ticket_id)
    return ensure_can_view_ticket(actor, ticket)


def get_conversation(*, session: Session, actor: User, ticket_id: int) -> list[TicketMessage]:
    """The thread, oldest first. Customers never see internal notes."""
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    if not actor.is_staff:
        query = query.where(TicketMessage.is_public)
    return list(session.scalars(query.order_by(TicketMessage.created_at, TicketMessage.id)))


def get_ticket_attachments(*, session: Session, actor: User, ticket_id: int) -> list[Attachment]:
    """Files attached when the ticket was raised (message attachments come with their message)."""
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    return list(session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id,
                                                         Attachment.message_id.is_(None)).order_by(Attachment.id)))


CUSTOMER_VISIBLE_EVENTS = (EventKind.CREATED, EventKind.STATUS_CHANGED)


def get_history(*, session: Session, actor: User, ticket_id: int) -> list[TicketEvent]:
    """The audit trail, oldest first; customers see when it was raised and its status changes."""
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if not actor.is_staff:
        query = query.where(TicketEvent.kind.in_(CUSTOMER_VISIBLE_EVENTS))
    return list(session.scalars(query.order_by(TicketEvent.created_at, TicketEvent.id)))


@dataclass(frozen=True)
class TicketDetails:
    """Everything a ticket page shows, as this actor may see it."""

    ticket: Ticket
    conversation: list[TicketMessage]
    ticket_files: list[Attachment]
    history: list[TicketEvent]


def get_ticket_details(*, session: Session, actor: User, ticket_id: int) -> TicketDetails:
    """The ticket, its thread (no internal notes for customers), the files it was raised with
    and its history: what both the customer's and the agent's ticket page load."""
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    return TicketDetails(
        ticket=ticket,
        conversation=get_conversation(session=session, actor=actor, ticket_id=ticket.id),
        ticket_files=get_ticket_attachments(session=session, actor=actor, ticket_id=ticket.id),
        history=get_history(session=session, actor=actor, ticket_id=ticket.id),
    )


def add_customer_reply(*, session: Session, actor: User, ticket_id: int, body: str,
                       attachments: list[UploadedFile] | None = None,
                       expected_version: int | None = None) -> TicketMessage:
    """A customer's reply. Waiting on the customer goes back to open; a resolved ticket reopens."""
    attachments = attachments or []
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    ensure_customer_owner(actor, ticket)
    check_version(ticket, expected_version)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError({"body": "This ticket is closed. Raise a new ticket if you need more help."})
    body = validate_message(body, attachments)
    message = add_message(session, ticket, actor, body, attachments, is_public=True)
    if ticket.status in (TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED):
        transition(session, ticket, actor, TicketStatus.OPEN)
    outbox.notify_customer_reply(session=session, ticket=ticket, message=message)
    flush_or_conflict(session)  # someone else's save meanwhile: ConflictError
    return message


def close_ticket(*, session: Session, actor: User, ticket_id: int, expected_version: int | None = None) -> Ticket:
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    if not actor.is_staff:
        ensure_customer_owner(actor, ticket)
    check_version(ticket, expected_version)
    transition(session, ticket, actor, TicketStatus.CLOSED)
    flush_or_conflict(session)  # someone else's save meanwhile: ConflictError
    return ticket


def reopen_ticket(*, session: Session, actor: User, ticket_id: int, expected_version: int | None = None) -> Ticket:
    ticket = get_ticket(session=session, actor=actor, ticket_id=ticket_id)
    if not actor.is_staff:
        ensure_customer_owner(actor, ticket)
    check_version(ticket, expected_version)
    if ticket.status != TicketStatus.RESOLVED:
        raise ValidationError({"status": "Only a resolved ticket can be reopened."})
    transition(session, ticket, actor, TicketStatus.OPEN)
    flush_or_conflict(session)  # someone else's save meanwhile: ConflictError
    return ticket
