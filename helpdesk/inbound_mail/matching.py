"""Which ticket a mail belongs to, and what its sender may do there. In this order:

1. In-Reply-To / References naming a Message-ID the outbox sent (stored on the outbox row);
2. the signed reply address (helpdesk.inbound_mail.reply_address) among the recipients;
3. the `[CCR-000042]` tag in the subject, trusted ONLY when the sender is that ticket's
   customer or one of the staff. Anyone can type a tag, so a stranger's mail with it is treated
   as if it had none: it never reaches that ticket.

A header or reply-address match from someone who is neither the ticket's customer nor staff
(a forwarded notification answered by a colleague, a list, a spoofer) is held for an
administrator: the header proves the mail answers our notification, not that its sender may
write on that ticket."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.inbound_mail.imap_settings import ImapSettings
from helpdesk.inbound_mail.parsing import ParsedMail
from helpdesk.inbound_mail.reply_address import ticket_from_addresses
from helpdesk.models import REFERENCE_PREFIX, OutboxMessage, Ticket, User

_SUBJECT_TAG = re.compile(r"\[" + re.escape(REFERENCE_PREFIX) + r"([0-9]{1,12})\]", re.IGNORECASE)


class Action(StrEnum):
    CUSTOMER_REPLY = "customer_reply"
    STAFF_REPLY = "staff_reply"
    STAFF_NOTE = "staff_note"
    NEW_TICKET = "new_ticket"  # for a known customer, or an unknown sender when that is allowed
    HOLD = "hold"


@dataclass(frozen=True)
class Decision:
    action: Action
    ticket: Ticket | None = None
    author: User | None = None  # None with NEW_TICKET: an unknown sender
    found_by: str = ""  # how the ticket was found, for the record
    reason: str = ""  # why it is held


def subject_tag_ids(subject: str) -> list[int]:
    return [int(found) for found in _SUBJECT_TAG.findall(subject) if int(found) > 0]


def _ticket_by_headers(session: Session, thread_ids: tuple[str, ...]) -> Ticket | None:
    if not thread_ids:
        return None
    rows = session.execute(select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
        OutboxMessage.message_id.in_(thread_ids), OutboxMessage.ticket_id.is_not(None))).all()
    ticket_of = {row.message_id: row.ticket_id for row in rows}
    for message_id in thread_ids:  # the nearest mail it answers wins
        if message_id in ticket_of:
            return session.get(Ticket, ticket_of[message_id])
    return None


def _may_write(user: User | None, ticket: Ticket) -> bool:
    return user is not None and (user.id == ticket.customer_id or user.role.is_staff)


def _on_ticket(user: User, ticket: Ticket, parsed: ParsedMail, settings: ImapSettings, found_by: str) -> Decision:
    if user.role.is_staff:
        to_notes = settings.notes_address is not None and settings.notes_address in parsed.recipients
        return Decision(Action.STAFF_NOTE if to_notes else Action.STAFF_REPLY, ticket, user, found_by)
    return Decision(Action.CUSTOMER_REPLY, ticket, user, found_by)


def decide(*, session: Session, parsed: ParsedMail, settings: ImapSettings, secret: bytes,
           unknown_may_open: bool) -> Decision:
    sender = session.scalar(select(User).where(User.email == parsed.sender_email)) if parsed.sender_email else None
    for found_by, find in (
        ("In-Reply-To / References", lambda: _ticket_by_headers(session, parsed.thread_ids)),
        ("signed reply address", lambda: _by_address(session, secret, settings, parsed)),
    ):
        ticket = find()
        if ticket is None:
            continue
        if _may_write(sender, ticket):
            return _on_ticket(sender, ticket, parsed, settings, found_by)
        return Decision(Action.HOLD, ticket, sender, found_by,
                        reason=f"It answers a mail about {ticket.reference} (found by {found_by}), but "
                               f"{parsed.sender_email or 'its sender'} is neither that ticket's customer nor staff.")
    for ticket_id in subject_tag_ids(parsed.subject):
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None and _may_write(sender, ticket):
            return _on_ticket(sender, ticket, parsed, settings, "subject tag")
    # No ticket (or a tag the sender may not use): a new conversation.
    if sender is not None and sender.role.is_staff:
        return Decision(Action.HOLD, None, sender, reason="Mail from staff that answers no ticket.")
    if sender is not None or unknown_may_open:
        return Decision(Action.NEW_TICKET, None, sender)
    return Decision(Action.HOLD, None, None,
                    reason="From an address with no account, and new tickets from unknown senders are off.")


def _by_address(session: Session, secret: bytes, settings: ImapSettings, parsed: ParsedMail) -> Ticket | None:
    ticket_id = ticket_from_addresses(secret, settings.reply_address, list(parsed.recipients))
    return session.get(Ticket, ticket_id) if ticket_id is not None else None
