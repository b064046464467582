"""Messages on a ticket: the one validation and the one way to store a reply or a note,
shared by the customer's replies and the staff's replies and internal notes."""
from __future__ import annotations

from sqlalchemy.orm import Session

from helpdesk.core.text_checks import text_problem
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import EventKind
from helpdesk.models import Ticket, TicketMessage, User
from helpdesk.tickets.attachments import UploadedFile, build_attachments, upload_problems
from helpdesk.tickets.lifecycle import record_event

MESSAGE_MAX = 20_000


def validate_message(body: str, attachments: list[UploadedFile]) -> str:
    """The message body, trimmed, or ValidationError for the body and attachments fields."""
    errors = {}
    body = (body or "").strip()
    if not body:
        errors["body"] = "Write a message."
    elif len(body) > MESSAGE_MAX:
        errors["body"] = f"Use at most {MESSAGE_MAX:,} characters (now {len(body):,})."
    elif problem := text_problem(body, multiline=True):
        errors["body"] = problem
    problem = upload_problems(attachments)
    if problem:
        errors["attachments"] = problem
    if errors:
        raise ValidationError(errors)
    return body


def add_message(session: Session, ticket: Ticket, author: User, body: str, attachments: list[UploadedFile],
                is_public: bool) -> TicketMessage:
    """Store a validated message with its files and its event (shared by customer and agent replies)."""
    now = utcnow()
    message = TicketMessage(ticket_id=ticket.id, author_id=author.id, body=body, is_public=is_public, created_at=now)
    session.add(message)
    session.flush()
    for attachment in build_attachments(ticket=ticket, uploader=author, files=attachments):
        attachment.message_id = message.id
        session.add(attachment)
    record_event(session, ticket, author, EventKind.PUBLIC_REPLY if is_public else EventKind.INTERNAL_NOTE)
    ticket.updated_at = now
    return message
