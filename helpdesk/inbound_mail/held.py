"""The mails kept for an administrator (status held): why each was kept, what it says, and the
two ways to settle one: open a ticket for its sender, or discard it. Administrators only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from helpdesk.access import ensure_admin, is_plausible_id
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import InboundMailStatus
from helpdesk.inbound_mail import store
from helpdesk.inbound_mail.imap_settings import ImapConfigError, imap_settings
from helpdesk.inbound_mail.parsing import parse_mail
from helpdesk.models import InboundMail, Ticket, User, format_reference

PREVIEW_MAX = 3000
NO_SUCH_MAIL = "No such mail is waiting: another administrator may have handled it."


@dataclass(frozen=True)
class HeldMail:
    id: int
    from_address: str
    subject: str
    received_at: datetime
    reason: str
    ticket_reference: str | None  # the ticket it seemed to answer
    text: str  # the new text, as the reader would have stored it
    files: tuple[str, ...]


def held_count(*, session: Session, actor: User) -> int:
    ensure_admin(actor)
    return session.scalar(select(func.count()).select_from(InboundMail)
                          .where(InboundMail.status == InboundMailStatus.HELD)) or 0


def list_held_mails(*, session: Session, actor: User, limit: int = 25, offset: int = 0) -> list[HeldMail]:
    """Oldest first: the one waiting longest is settled first."""
    ensure_admin(actor)
    rows = session.scalars(select(InboundMail)
                           .where(InboundMail.status == InboundMailStatus.HELD)
                           .order_by(InboundMail.received_at, InboundMail.id).limit(limit).offset(offset))
    return [_held(row) for row in rows]


def _held(row: InboundMail) -> HeldMail:
    # The preview and file names were kept when the mail was held: the raw mail isn't loaded here.
    return HeldMail(id=row.id, from_address=row.from_address, subject=row.subject, received_at=row.received_at,
                    reason=row.reason, ticket_reference=format_reference(row.ticket_id) if row.ticket_id else None,
                    text=(row.preview or "")[:PREVIEW_MAX], files=tuple(n for n in (row.file_names or "").split("\n") if n))


def _waiting(session: Session, mail_id: int) -> InboundMail:
    if not is_plausible_id(mail_id):
        raise NotFound(NO_SUCH_MAIL)
    # Locked on PostgreSQL: two administrators settling the same mail at once settle it once.
    row = session.scalar(select(InboundMail).options(undefer(InboundMail.raw))
                         .where(InboundMail.id == mail_id).with_for_update())
    if row is None or row.status != InboundMailStatus.HELD:
        raise NotFound(NO_SUCH_MAIL)
    return row


def _settled(row: InboundMail, actor: User, status: InboundMailStatus) -> None:
    row.status, row.handled_by_id, row.handled_at, row.raw = status, actor.id, utcnow(), None


def open_ticket_from_held(*, session: Session, actor: User, mail_id: int) -> Ticket:
    """A new ticket for the mail's sender (an account is made for an unknown sender), with the
    mail's text and files and the original attached, as if it had arrived without a match."""
    ensure_admin(actor)
    row = _waiting(session, mail_id)
    if row.raw is None:  # too large to keep: it is still in the mailbox, flagged
        raise ValidationError("This mail was too large to keep; find it (flagged) in the mailbox, then discard it here.")
    try:
        parsed = parse_mail(row.raw)
    except Exception as exc:  # noqa: BLE001  (any parser failure: the page must not crash on it)
        raise ValidationError("This mail cannot be read; discard it.") from exc
    if not parsed.sender_email:
        raise ValidationError("This mail has no sender address to open a ticket for; discard it instead.")
    customer = session.scalar(select(User).where(User.email == parsed.sender_email))
    if customer is not None and customer.role.is_staff:
        raise ValidationError(f"{parsed.sender_email} is a staff account; tickets are raised by customers. "
                              "Discard the mail instead.")
    try:
        settings = imap_settings()
    except ImapConfigError:
        settings = None
    try:
        ticket = store.open_ticket(session, parsed=parsed, category_name=settings.category if settings else None,
                                   customer=customer)
    except store.Refused as refused:
        raise ValidationError(str(refused)) from refused
    _settled(row, actor, InboundMailStatus.OPENED)
    row.ticket_id = ticket.id
    session.flush()
    return ticket


def discard_held(*, session: Session, actor: User, mail_id: int) -> None:
    """Thrown away: the record stays (so the mail is never read in again), its content does not."""
    ensure_admin(actor)
    _settled(_waiting(session, mail_id), actor, InboundMailStatus.DISCARDED)
    session.flush()
