"""Services for the admin page's mail section: is mail configured, the outbox with filters
and counts, retrying failed mail, and a test mail. Administrators only."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from helpdesk.core.text_checks import checked_email
from helpdesk.access import ensure_admin, get_by_id
from helpdesk.audit import record
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import AuditAction, OutboxEvent, OutboxStatus
from helpdesk.models import OutboxMessage, User
from helpdesk.notifications import compose, outbox
from helpdesk.notifications.link_tokens import hide_link_tokens
from helpdesk.notifications.smtp_settings import SmtpConfigError, smtp_settings

NOT_CONFIGURED = ("Mail is not configured: notifications are queued and will be sent once an [smtp] "
                  "host is set in .streamlit/secrets.toml or HELPDESK_SMTP_HOST.")


@dataclass(frozen=True)
class MailStatus:
    configured: bool
    summary: str  # safe to show: never contains the password


@dataclass(frozen=True)
class OutboxPage:
    rows: list[OutboxMessage]  # bodies deferred; get_outbox_message loads one in full
    total: int  # rows matching the filters
    counts: dict[OutboxStatus, int]  # the whole outbox per status, for the summary line


def mail_status(*, actor: User) -> MailStatus:
    ensure_admin(actor)
    try:
        settings = smtp_settings()
    except SmtpConfigError as exc:
        return MailStatus(configured=False, summary=f"Mail settings need fixing: {exc}")
    if settings is None:
        return MailStatus(configured=False, summary=NOT_CONFIGURED)
    return MailStatus(configured=True, summary=f"Mail goes through {settings.describe()}.")


def list_outbox(*, session: Session, actor: User, status: OutboxStatus | None = None, event: str | None = None,
                recipient: str = "", ticket_id: int | None = None, limit: int = 25, offset: int = 0) -> OutboxPage:
    """Newest first: one page of rows plus a count; the per-status counts are one GROUP BY."""
    ensure_admin(actor)
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    if event:
        query = query.where(OutboxMessage.event == str(event))
    if ticket_id is not None:
        query = query.where(OutboxMessage.ticket_id == ticket_id)
    if recipient.strip():
        # autoescape: % and _ typed by the admin are literal, as in the other searches.
        query = query.where(func.lower(OutboxMessage.recipient_email).contains(recipient.strip().lower(),
                                                                               autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(OutboxMessage.id).subquery()))
    rows = session.scalars(query.options(defer(OutboxMessage.text_body), defer(OutboxMessage.html_body))
                           .order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    counts = {s: 0 for s in OutboxStatus}
    for row_status, count in session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
        counts[OutboxStatus(row_status)] = count
    return OutboxPage(rows=list(rows), total=total or 0, counts=counts)


def get_outbox_message(*, session: Session, actor: User, message_id: int) -> OutboxMessage:
    ensure_admin(actor)
    row = get_by_id(session, OutboxMessage, message_id)
    if row is None:
        raise NotFound("No such mail in the outbox.")
    return row


def readable_text(message: OutboxMessage) -> str:
    """The mail's text as an administrator may read it: one-time and signed links left out."""
    return hide_link_tokens(message.text_body)


def retry_failed(*, session: Session, actor: User, message_id: int) -> OutboxMessage:
    """Put a failed mail back in the queue with a fresh set of attempts. The last error stays
    visible until it is sent."""
    row = get_outbox_message(session=session, actor=actor, message_id=message_id)
    if row.status != OutboxStatus.FAILED:
        raise ValidationError({"status": f"Only failed mail can be retried; this one is {row.status.value}."})
    record(session, actor=actor, action=AuditAction.MAIL_RETRIED,
           target=f"Mail #{row.id} to {row.recipient_email}: {row.subject}",
           old=f"Failed after {row.attempts} attempt{'s' if row.attempts != 1 else ''}", new="Queued again")
    row.status, row.attempts, row.next_attempt_at, row.claimed_at = OutboxStatus.PENDING, 0, utcnow(), None
    session.flush()
    return row


def retry_all_failed(*, session: Session, actor: User) -> int:
    """Every failed mail back in the queue (after fixing the settings); returns how many."""
    ensure_admin(actor)
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow(), claimed_at=None)
        .execution_options(synchronize_session=False))
    retried = result.rowcount or 0
    if retried:
        record(session, actor=actor, action=AuditAction.MAIL_RETRIED,
               target=f"Every failed mail ({retried:,})", old="Failed", new="Queued again")
    session.flush()
    return retried


def enqueue_test_mail(*, session: Session, actor: User, to_email: str | None = None) -> OutboxMessage:
    """Queue a test mail (to the admin by default); the sender delivers it like any other."""
    ensure_admin(actor)
    address, problem = checked_email(to_email or actor.email or "")
    if problem:
        raise ValidationError({"to_email": problem})
    recipient = actor if address == actor.email else None
    mail = compose.admin_test_mail(recipient.name if recipient else address, actor)
    row = outbox.enqueue(session, event=OutboxEvent.TEST_MAIL, recipient=None, recipient_email=address, mail=mail)
    if recipient is not None:
        row.recipient_id = recipient.id  # the admin asked for it, whatever their opt-out says
    record(session, actor=actor, action=AuditAction.TEST_MAIL_QUEUED, target=f"Test mail to {address}")
    session.flush()
    return row
