"""Which ticket a mail belongs to, and what its sender may do there. In this order:

1. In-Reply-To / References naming a Message-ID the outbox sent (stored on the outbox row;
   its random token makes it unguessable, so only someone who received that mail has it);
2. the signed reply address (helpdesk.inbound_mail.reply_address) among the recipients;
3. the `[CCR-000042]` tag in the subject, trusted ONLY when the sender is that ticket's
   customer. Anyone can type a tag, so a stranger's mail with it is treated as if it had none.

From is easy to fake, and a staff member's mail reaches the customer, so staff mail needs proof
bound to that person: a header or signed address naming an outbox mail that was sent TO them.
A subject tag, or a proof for someone else's mail, is held for an administrator. Staff mail
becomes a public reply only when it answers the "customer replied" mail (which quotes what
the customer can see anyway); an answer to an SLA alert, an assignment or a new-ticket mail
is an internal note, and so is anything sent to the notes address.

A header or reply-address match from someone who is neither the ticket's customer nor staff
(a forwarded notification answered by a colleague, a list, a spoofer) is held too: the header
proves the mail answers our notification, not that its sender may write on that ticket."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.enums import OutboxEvent
from helpdesk.inbound_mail.imap_settings import ImapSettings
from helpdesk.inbound_mail.parsing import ParsedMail
from helpdesk.inbound_mail.reply_address import signed_from_addresses
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


def _outbox_rows(session: Session, thread_ids: tuple[str, ...]) -> list[OutboxMessage]:
    """The outbox mails it answers, the nearest first."""
    if not thread_ids:
        return []
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.message_id.in_(thread_ids), OutboxMessage.ticket_id.is_not(None))).all()
    by_id = {row.message_id: row for row in rows}
    return [by_id[message_id] for message_id in thread_ids if message_id in by_id]


def _staff_on(row: OutboxMessage, ticket: Ticket, user: User, parsed: ParsedMail, settings: ImapSettings,
              found_by: str) -> Decision:
    to_notes = settings.notes_address is not None and settings.notes_address in parsed.recipients
    # Only the "customer replied" mail is about the conversation with the customer; an answer
    # to an internal mail (SLA alert, assignment, new ticket) stays internal.
    public = row.event == OutboxEvent.CUSTOMER_REPLY and not to_notes
    return Decision(Action.STAFF_REPLY if public else Action.STAFF_NOTE, ticket, user, found_by)


def _no_proof(ticket: Ticket, user: User, found_by: str) -> Decision:
    return Decision(Action.HOLD, ticket, user, found_by,
                    reason=f"From staff ({user.email}) about {ticket.reference} (found by {found_by}), but it "
                           "answers no mail that was sent to them; anyone can fake a sender address.")


def _stranger(ticket: Ticket, parsed: ParsedMail, sender: User | None, found_by: str) -> Decision:
    return Decision(Action.HOLD, ticket, sender, found_by,
                    reason=f"It answers a mail about {ticket.reference} (found by {found_by}), but "
                           f"{parsed.sender_email or 'its sender'} is neither that ticket's customer nor staff.")


def _is_customer(user: User | None, ticket: Ticket) -> bool:
    return user is not None and user.id == ticket.customer_id


def decide(*, session: Session, parsed: ParsedMail, settings: ImapSettings, secret: bytes,
           unknown_may_open: bool) -> Decision:
    sender = session.scalar(select(User).where(User.email == parsed.sender_email)) if parsed.sender_email else None
    staff = sender is not None and sender.role.is_staff

    found_by = "In-Reply-To / References"
    rows = _outbox_rows(session, parsed.thread_ids)
    if rows:
        ticket = session.get(Ticket, rows[0].ticket_id)
        if staff:
            own = [row for row in rows if row.recipient_id == sender.id]
            if not own:
                return _no_proof(ticket, sender, found_by)
            return _staff_on(own[0], session.get(Ticket, own[0].ticket_id), sender, parsed, settings, found_by)
        if _is_customer(sender, ticket):
            return Decision(Action.CUSTOMER_REPLY, ticket, sender, found_by)
        return _stranger(ticket, parsed, sender, found_by)

    found_by = "signed reply address"
    signed = signed_from_addresses(secret, settings.reply_address, list(parsed.recipients))
    ticket = session.get(Ticket, signed.ticket_id) if signed is not None else None
    if ticket is not None:
        if staff:
            row = session.get(OutboxMessage, signed.outbox_id) if signed.outbox_id is not None else None
            if row is None or row.ticket_id != ticket.id or row.recipient_id != sender.id:
                return _no_proof(ticket, sender, found_by)
            return _staff_on(row, ticket, sender, parsed, settings, found_by)
        if _is_customer(sender, ticket):
            return Decision(Action.CUSTOMER_REPLY, ticket, sender, found_by)
        return _stranger(ticket, parsed, sender, found_by)

    for ticket_id in subject_tag_ids(parsed.subject):
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            continue
        if staff:
            return _no_proof(ticket, sender, "subject tag")
        if _is_customer(sender, ticket):
            return Decision(Action.CUSTOMER_REPLY, ticket, sender, "subject tag")
    # No ticket (or a tag the sender may not use): a new conversation.
    if staff:
        return Decision(Action.HOLD, None, sender, reason="Mail from staff that answers no ticket.")
    if sender is not None or unknown_may_open:
        return Decision(Action.NEW_TICKET, None, sender)
    return Decision(Action.HOLD, None, None,
                    reason="From an address with no account, and new tickets from unknown senders are off.")
