"""Canned replies: admins manage them, agents insert them with the ticket's details filled in.

Placeholders are plain names in braces ({customer_name}). Templates are checked when saved
and rendered with str.format_map over a mapping of strings only, after refusing anything
but a bare name, so a template can never reach attributes, items or format specs."""
from __future__ import annotations

import string

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.core.text_checks import text_problem
from helpdesk.access import ensure_admin, ensure_staff, get_by_id
from helpdesk.audit import record
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import AuditAction
from helpdesk.models import CannedReply, Ticket, User

TITLE_MAX = 120
BODY_MAX = 20_000
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "the customer's name",
    "customer_email": "the customer's e-mail address",
    "agent_name": "your name",
    "reference": "the ticket reference, e.g. CCR-000042",
    "subject": "the ticket's subject",
}


class _Values(dict):
    """Only known names; str.format_map never gets anything but strings from here."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_problem(body: str) -> str | None:
    """Why this template can't be saved, or None."""
    try:
        fields = list(string.Formatter().parse(body))
    except ValueError:
        return "Braces must come in pairs; write {{ and }} for a literal brace."
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            return f"Unknown placeholder “{{{name}}}”. You can use: {known}."
    return None


def list_canned_replies(*, session: Session, actor: User) -> list[CannedReply]:
    ensure_staff(actor)
    return list(session.scalars(select(CannedReply).order_by(CannedReply.title)))


def _validate(session: Session, title: str, body: str, reply_id: int | None) -> tuple[str, str]:
    errors = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = "Give the reply a title agents will recognise."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Use at most {TITLE_MAX} characters."
    elif problem := text_problem(title):
        errors["title"] = problem
    else:
        clash = session.scalar(select(CannedReply.id).where(func.lower(CannedReply.title) == title.lower()))
        if clash is not None and clash != reply_id:
            errors["title"] = "Another canned reply has this title."
    if not body:
        errors["body"] = "Write the reply."
    elif len(body) > BODY_MAX:
        errors["body"] = f"Use at most {BODY_MAX:,} characters."
    else:
        problem = template_problem(body)
        if problem:
            errors["body"] = problem
    if errors:
        raise ValidationError(errors)
    return title, body


def create_canned_reply(*, session: Session, actor: User, title: str, body: str) -> CannedReply:
    ensure_admin(actor)
    title, body = _validate(session, title, body, None)
    reply = CannedReply(title=title, body=body)
    session.add(reply)
    record(session, actor=actor, action=AuditAction.CANNED_REPLY_CREATED, target=title, new=body)
    session.flush()
    return reply


def update_canned_reply(*, session: Session, actor: User, reply_id: int, title: str, body: str) -> CannedReply:
    ensure_admin(actor)
    reply = get_by_id(session, CannedReply, reply_id)
    if reply is None:
        raise NotFound("No such canned reply.")
    title, body = _validate(session, title, body, reply.id)
    if title != reply.title:
        record(session, actor=actor, action=AuditAction.CANNED_REPLY_RENAMED, target=title, old=reply.title,
               new=title)
    if body != reply.body:
        record(session, actor=actor, action=AuditAction.CANNED_REPLY_EDITED, target=title, old=reply.body, new=body)
    reply.title, reply.body = title, body
    session.flush()
    return reply


def delete_canned_reply(*, session: Session, actor: User, reply_id: int) -> None:
    ensure_admin(actor)
    reply = get_by_id(session, CannedReply, reply_id)
    if reply is None:
        raise NotFound("No such canned reply.")
    record(session, actor=actor, action=AuditAction.CANNED_REPLY_DELETED, target=reply.title, old=reply.body)
    session.delete(reply)
    session.flush()


def render_template(body: str, values: dict[str, str]) -> str:
    if template_problem(body) is not None:
        return body  # never format a template that slipped past validation: show it as written
    return body.format_map(_Values({k: str(v) for k, v in values.items() if k in PLACEHOLDERS}))


def render_canned_reply(*, session: Session, actor: User, reply_id: int, ticket_id: int) -> str:
    """The reply's text for this ticket, ready to edit in the reply box."""
    ensure_staff(actor)
    reply = get_by_id(session, CannedReply, reply_id)
    ticket = get_by_id(session, Ticket, ticket_id)
    if reply is None or ticket is None:
        raise NotFound("No such canned reply or ticket.")
    return render_template(reply.body, {
        "customer_name": ticket.customer.name,
        "customer_email": ticket.customer.email,
        "agent_name": actor.name,
        "reference": ticket.reference,
        "subject": ticket.subject,
    })
