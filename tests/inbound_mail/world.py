"""What the mail-reader tests look at: a ticket's messages with their files, and the reader's
own record of each mail."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import undefer

from helpdesk.core.db import session_scope
from helpdesk.models import InboundMail, Ticket, TicketMessage


@dataclass(frozen=True)
class SeenMessage:
    author_email: str
    body: str
    is_public: bool
    files: dict[str, bytes]


def thread(engine: Engine, ticket_id: int) -> list[SeenMessage]:
    with session_scope(engine) as session:
        rows = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                               .order_by(TicketMessage.id))
        return [SeenMessage(m.author.email, m.body, m.is_public, {a.filename: a.content for a in m.attachments})
                for m in rows]


def inbound(engine: Engine) -> list[InboundMail]:
    with session_scope(engine) as session:
        return list(session.scalars(select(InboundMail).options(undefer(InboundMail.raw)).order_by(InboundMail.id)))


def tickets_of(engine: Engine, email: str) -> list[Ticket]:
    with session_scope(engine) as session:
        return [t for t in session.scalars(select(Ticket).order_by(Ticket.id)) if t.customer.email == email]


def all_text(engine: Engine) -> dict[int, str]:
    """Every ticket's subject, description and messages, by ticket id."""
    with session_scope(engine) as session:
        texts = {t.id: f"{t.subject}\n{t.description}" for t in session.scalars(select(Ticket))}
        for message in session.scalars(select(TicketMessage)):
            texts[message.ticket_id] += "\n" + message.body
        return texts
