"""One mail into the database, through the same services as the web pages (so permissions,
the workflow and notifications apply as they do there). Nothing here commits: the reader
commits, then marks the mail done in the mailbox.

- customer reply  -> add_customer_reply (public; a resolved ticket reopens, as on the page)
- staff reply     -> add_agent_reply as that agent, or add_internal_note when sent to the notes address
- no ticket       -> create_ticket for the customer (an unknown sender gets a customer account
                     first, when that is allowed)
A customer's message and a staff note keep the whole mail as `original.eml`. A staff member's
public reply does not (the customer would see it, with whatever internal text it quotes): its
original stays on the reader's own record (inbound_mails.raw), which only administrators reach.
The mail's files go through the same
checks as uploads; a refused file is named in the message and not stored. A service that
refuses (a closed ticket for staff, an inactive account, ...) makes the mail held instead."""
from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.accounts.users import NewAccount, create_user
from helpdesk.core.clock import utcnow
from helpdesk.core.config import upload_policy
from helpdesk.core.errors import NotFound, PermissionDenied, ValidationError
from helpdesk.core.secret_tokens import new_token
from helpdesk.core.text_checks import BIDI_CONTROLS, LINE_CHARACTERS
from helpdesk.enums import InboundMailStatus, Priority, Role, TicketStatus
from helpdesk.inbound_mail.imap_settings import ImapSettings
from helpdesk.inbound_mail.matching import Action, Decision, decide
from helpdesk.inbound_mail.parsing import ParsedMail
from helpdesk.models import Category, InboundMail, Ticket, TicketMessage, User, format_reference
from helpdesk.settings import server_secret
from helpdesk.tickets.attachments import UploadedFile, build_attachments, upload_problems
from helpdesk.tickets.customer import SUBJECT_MAX, TicketDraft, add_customer_reply, create_ticket
from helpdesk.tickets.messages import MESSAGE_MAX
from helpdesk.tickets.staff import add_agent_reply, add_internal_note

ORIGINAL_NAME = "original.eml"
# A responder that marks its mail with none of the headers automatic.py knows still can't loop
# for long: past this many mails from one address in the window, the rest are held.
LOOP_LIMIT = 30
LOOP_WINDOW = timedelta(hours=1)
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


class Refused(Exception):
    """A service said no; the mail is held for an administrator with this reason."""

    def __init__(self, reason: str, ticket_id: int | None = None):
        super().__init__(reason)
        self.ticket_id = ticket_id


def self_sign_up_open() -> bool:
    """The app lets anyone create a customer account (pages/account/sign_up.py has no switch),
    so "follow self-sign-up" means yes. The one place to change when such a switch appears."""
    return True


def unknown_senders_may_open(settings: ImapSettings) -> bool:
    if settings.unknown_senders == "sign_up":
        return self_sign_up_open()
    return settings.unknown_senders == "open"


def _mails_lately(session: Session, sender_email: str) -> int:
    since = utcnow() - LOOP_WINDOW
    return session.scalar(select(func.count()).select_from(InboundMail).where(
        InboundMail.from_address == sender_email, InboundMail.received_at >= since)) or 0


def already_stored(session: Session, message_key: str) -> bool:
    return session.scalar(select(InboundMail.id).where(InboundMail.message_key == message_key)) is not None


def _typed_text(text: str) -> str:
    """Mail text as typed text: the invisible controls the services refuse are dropped (the
    original, untouched, is attached)."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text)
                   if ch in LINE_CHARACTERS or not (ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc"))


def _checked_files(parsed: ParsedMail) -> tuple[list[UploadedFile], list[str]]:
    """The files that pass the upload checks, and a line for each one that does not."""
    policy = upload_policy()
    kept, refused = [], []
    for file in parsed.files:
        upload = UploadedFile(filename=file.filename, content=file.content)
        problem = upload_problems([upload], policy)
        if problem is None and len(kept) >= policy.max_files:
            problem = f"more than {policy.max_files} files"
        if problem:
            refused.append(problem)
        else:
            kept.append(upload)
    return kept, refused


def _body(parsed: ParsedMail, refused: list[str], kept: list[UploadedFile]) -> str:
    text = _typed_text(parsed.text).strip()
    if not text:
        text = "(No text: the mail's files are attached.)" if kept else "(An empty mail.)"
    notes = ""
    if refused:
        notes = "\n\n[Files from the mail that were not attached: " + " ".join(refused) + "]"
    room = MESSAGE_MAX - len(notes) - 80
    if len(text) > room:
        text = text[:room].rstrip() + "\n[Cut short here: the whole mail is attached as original.eml.]"
    return text + notes


def _subject(parsed: ParsedMail) -> str:
    subject = _typed_text(_REPLY_PREFIX.sub("", parsed.subject)).strip() or "(No subject)"
    return subject[:SUBJECT_MAX]


def _attach_original(session: Session, *, ticket: Ticket, author: User, message: TicketMessage | None,
                     raw: bytes) -> None:
    # The mail itself is the helpdesk's record, not an upload: no type or size check applies.
    (original,) = build_attachments(ticket=ticket, uploader=author,
                                    files=[UploadedFile(filename=ORIGINAL_NAME, content=raw)])
    original.content_type = "message/rfc822"
    original.message_id = message.id if message is not None else None
    session.add(original)


def _mail_category(session: Session, name: str | None) -> Category:
    query = select(Category).where(Category.is_active)
    if name:
        query = query.where(Category.name == name)
    category = session.scalar(query.order_by(Category.id).limit(1))
    if category is None:
        raise Refused(f"No active category {name!r} for tickets opened by mail (see [imap] category)."
                      if name else "No active category for tickets opened by mail.")
    return category


def _customer_for(session: Session, parsed: ParsedMail) -> User:
    """An account for a sender the helpdesk doesn't know: a customer who can set a password later
    with "Forgot your password?" (the random one here is never shown to anyone)."""
    name = _typed_text(parsed.sender_name).strip()[:120] or parsed.sender_email.split("@")[0][:120] or "Customer"
    password = new_token()
    return create_user(session=session, actor=None, role=Role.CUSTOMER,
                       data=NewAccount(name=name, email=parsed.sender_email, password=password,
                                       password_repeat=password))


def _record(session: Session, parsed: ParsedMail, status: InboundMailStatus, *, reason: str = "",
            ticket_id: int | None = None, message_id: int | None = None, keep_raw: bool = False,
            preview: str = "", file_names: str = "") -> InboundMail:
    row = InboundMail(message_key=parsed.message_key, from_address=parsed.sender_email[:254],
                      subject=parsed.subject[:300], status=status, reason=reason, ticket_id=ticket_id,
                      ticket_message_id=message_id, raw=parsed.raw if keep_raw else None,
                      preview=preview, file_names=file_names)
    session.add(row)
    session.flush()  # the unique Message-ID: a second reader's copy fails here, before any ticket change
    return row


def open_ticket(session: Session, *, parsed: ParsedMail, category_name: str | None, customer: User | None,
                note: str = "") -> Ticket:
    """A new ticket from a mail (also the admin's "open a ticket" on a held mail)."""
    if customer is None:
        customer = _customer_for(session, parsed)
    if customer.role != Role.CUSTOMER:
        raise Refused(f"{customer.email} is a staff account; tickets are raised by customers.")
    if not customer.is_active:
        raise Refused(f"{customer.email}'s account is deactivated.")
    kept, refused = _checked_files(parsed)
    ticket = create_ticket(session=session, actor=customer, data=TicketDraft(
        category_id=_mail_category(session, category_name).id, priority=Priority.NORMAL, subject=_subject(parsed),
        description=(note + _body(parsed, refused, kept))[:MESSAGE_MAX], attachments=kept))
    _attach_original(session, ticket=ticket, author=customer, message=None, raw=parsed.raw)
    return ticket


def _add_to_ticket(session: Session, decision: Decision, parsed: ParsedMail, record: InboundMail) -> TicketMessage:
    kept, refused = _checked_files(parsed)
    body = _body(parsed, refused, kept)
    ticket, author = decision.ticket, decision.author
    if decision.action == Action.CUSTOMER_REPLY:
        message = add_customer_reply(session=session, actor=author, ticket_id=ticket.id, body=body, attachments=kept)
    elif decision.action == Action.STAFF_NOTE:
        message = add_internal_note(session=session, actor=author, ticket_id=ticket.id, body=body, attachments=kept)
    else:
        message = add_agent_reply(session=session, actor=author, ticket_id=ticket.id, body=body, attachments=kept)
    if decision.action == Action.STAFF_REPLY:
        record.raw = parsed.raw  # not on the public reply: see the module's docstring
    else:
        _attach_original(session, ticket=ticket, author=author, message=message, raw=parsed.raw)
    return message


def store_mail(session: Session, *, parsed: ParsedMail, settings: ImapSettings) -> InboundMailStatus:
    """Turn one mail into rows (flushed, not committed). Raises Refused when the mail must be
    held instead; the caller then rolls back and calls `hold_mail` in a fresh transaction."""
    if parsed.automatic:
        _record(session, parsed, InboundMailStatus.IGNORED, reason=parsed.automatic)
        return InboundMailStatus.IGNORED
    if parsed.sender_email and _mails_lately(session, parsed.sender_email) >= LOOP_LIMIT:
        raise Refused(f"More than {LOOP_LIMIT} mails from this address within an hour: kept in case it is a mail "
                      "loop (an auto-responder that sends none of the usual headers).")
    decision = decide(session=session, parsed=parsed, settings=settings, secret=server_secret(session),
                      unknown_may_open=unknown_senders_may_open(settings))
    ticket_id = decision.ticket.id if decision.ticket is not None else None
    if decision.action == Action.HOLD:
        raise Refused(decision.reason, ticket_id)
    if decision.author is not None and not decision.author.is_active:
        raise Refused(f"{decision.author.email}'s account is deactivated.", ticket_id)
    if decision.ticket is not None:
        # Row-locked (PostgreSQL) and re-read: a second reader with another mail for this ticket
        # waits here for our commit instead of failing the ticket's version check. Before any row
        # that references the ticket is written: that takes a key-share lock, and two readers
        # each holding one while asking for this lock would deadlock.
        session.execute(select(Ticket.id).where(Ticket.id == decision.ticket.id).with_for_update())
        session.refresh(decision.ticket)
    record = _record(session, parsed, InboundMailStatus.STORED, reason=decision.found_by, ticket_id=ticket_id)
    try:
        if decision.action == Action.CUSTOMER_REPLY and decision.ticket.status == TicketStatus.CLOSED:
            # A closed ticket takes no replies (as on the page): the answer starts a follow-up.
            decision = Decision(Action.NEW_TICKET, None, decision.author)
            note = f"(Follow-up to {format_reference(ticket_id)}, which was closed.)\n\n"
        else:
            note = ""
        if decision.action == Action.NEW_TICKET:
            ticket = open_ticket(session, parsed=parsed, category_name=settings.category, customer=decision.author,
                                     note=note)
            record.status, record.ticket_id = InboundMailStatus.OPENED, ticket.id
        else:
            record.ticket_message_id = _add_to_ticket(session, decision, parsed, record).id
    except (ValidationError, PermissionDenied, NotFound) as exc:
        raise Refused(str(exc), ticket_id) from exc
    session.flush()
    return record.status


PREVIEW_MAX = 3000


def hold_mail(session: Session, *, parsed: ParsedMail, reason: str, ticket_id: int | None,
              keep_raw: bool = True) -> None:
    """Keep the mail (whole, unless `keep_raw` is off: too large) for an administrator: the admin
    mail page lists it, with the preview and file names made here (not re-parsed per render)."""
    _record(session, parsed, InboundMailStatus.HELD, reason=reason[:2000], ticket_id=ticket_id, keep_raw=keep_raw,
            preview=_typed_text(parsed.text)[:PREVIEW_MAX],
            file_names="\n".join(_typed_text(f.filename)[:255] for f in parsed.files))
