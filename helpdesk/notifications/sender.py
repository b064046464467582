"""Deliver due outbox rows: claim, send with yagmail, mark sent / retry later / failed.

Claiming is safe with several senders at once (two `--loop` workers, the app's background
thread, a one-off `notify`): on PostgreSQL the candidate rows are locked with
`FOR UPDATE SKIP LOCKED`, so concurrent senders take disjoint rows without waiting; on SQLite
the claim is one UPDATE statement, which SQLite runs under its single write lock. The claim
commits before anything is sent, and each row is marked right after its own send.

Crash window: if a sender dies after the SMTP server accepted a mail but before its row was
marked sent, the row stays in 'sending'. Once the lease has expired another sender reclaims
it and sends it again, so such a crash causes at most one duplicate, of that one row. The
mail keeps the same Message-ID (derived from the row id), so mail clients can fold the
duplicate. The lease is far longer than a batch can take, so a slow but living sender is
never overtaken.

Why yagmail is used for the connection but not to build the message: `yagmail.SMTP.send()`
builds the text/plain alternative from the same strings as the HTML part (with newlines
turned into `<br>`), reads HTML into any plain string, and attaches any string that names an
existing file. It cannot carry a real text part beside an escaped HTML part. So the complete
MIME message is built here with the standard library from the rendered templates, and yagmail
provides what it is good at: the connection, STARTTLS/SSL and the login. User text never
passes through yagmail's content handling. The password is always given explicitly (or login
is skipped), so yagmail never looks in a keyring or prompts on the terminal.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import yagmail
from sqlalchemy import Engine, and_, or_, select, update

from helpdesk.core.clock import utcnow
from helpdesk.enums import OutboxStatus
from helpdesk.models import OutboxMessage
from helpdesk.notifications.compose import one_line
from helpdesk.notifications.link_tokens import ACCOUNT_LINKS, hide_link_tokens
from helpdesk.notifications.mail_policy import build_policy
from helpdesk.notifications.smtp_settings import SmtpSettings

log = logging.getLogger(__name__)

ERROR_MAX = 1000
DEFAULT_BATCH = 20


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: 1, 2, 4, ... minutes (capped), then failed after `max_attempts`."""

    max_attempts: int = 8
    base_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    # A row claimed longer ago than this is assumed orphaned by a dead sender and reclaimed.
    # Must exceed a batch's worst case (DEFAULT_BATCH x the SMTP timeout, about 7 minutes).
    lease: timedelta = timedelta(minutes=15)

    def delay_after(self, attempts: int) -> timedelta:
        return min(self.base_delay * (2 ** max(attempts - 1, 0)), self.max_delay)


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"


@dataclass(frozen=True)
class ClaimedMail:
    id: int
    recipient_email: str
    subject: str
    text_body: str
    html_body: str
    attempts: int
    claimed_at: datetime
    ticket_id: int | None = None
    recipient_id: int | None = None
    # The random part of the Message-ID, made once per row at its first claim: a resend after a
    # crash carries the same id, and nobody can guess the id of a mail they did not receive
    # (a reply's In-Reply-To is proof of having it: helpdesk.inbound_mail.matching).
    message_token: str = ""


# The mail -> the signed reply address for it, or None (helpdesk.inbound_mail.outgoing).
ReplyTo = Callable[[ClaimedMail], str | None]
MESSAGE_TOKEN_BYTES = 10  # 80 random bits, as hex


def _due(now: datetime, lease: timedelta):
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - lease),
    )


def claim_due(engine: Engine, *, now: datetime, limit: int = DEFAULT_BATCH,
              policy: RetryPolicy = RetryPolicy()) -> list[ClaimedMail]:
    """Mark up to `limit` due rows as 'sending' (counting the attempt) and commit, so no other
    sender takes them. Returns what is needed to send them."""
    due = _due(now, policy.lease)
    candidates = (select(OutboxMessage.id).where(due)
                  .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Lock the batch in a statement of its own: as a subquery of the UPDATE, PostgreSQL
            # may rescan `LIMIT ... SKIP LOCKED` once per outer row and claim far more than `limit`.
            candidates = list(connection.scalars(candidates.with_for_update(skip_locked=True)))
        claim = (update(OutboxMessage)
                 .where(OutboxMessage.id.in_(candidates), due)  # re-checked: the row may have changed
                 .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
                 .returning(OutboxMessage.id))
        ids = list(connection.scalars(claim))
        if not ids:
            return []
        for row_id in ids:  # once per row: a reclaimed row keeps the token it was first sent with
            connection.execute(update(OutboxMessage).where(OutboxMessage.id == row_id,
                                                           OutboxMessage.message_token.is_(None))
                               .values(message_token=secrets.token_hex(MESSAGE_TOKEN_BYTES)))
        rows = connection.execute(
            select(OutboxMessage.id, OutboxMessage.recipient_email, OutboxMessage.subject,
                   OutboxMessage.text_body, OutboxMessage.html_body, OutboxMessage.attempts, OutboxMessage.ticket_id,
                   OutboxMessage.recipient_id, OutboxMessage.message_token)
            .where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id))
        return [ClaimedMail(id=r.id, recipient_email=r.recipient_email, subject=r.subject, text_body=r.text_body,
                            html_body=r.html_body, attempts=r.attempts, claimed_at=now, ticket_id=r.ticket_id,
                            recipient_id=r.recipient_id, message_token=r.message_token)
                for r in rows]


class MailNotBuilt(Exception):
    """The same row fails the same way every time: failed at once, never retried."""


def build_message(mail: ClaimedMail, settings: SmtpSettings, reply_to: ReplyTo | None = None) -> EmailMessage:
    """A multipart/alternative mail: the text template, then the (autoescaped) HTML template.
    Generated once here with the verifying policy, so an unsafe header or an unusable address
    is found before anything reaches the server (raises MailNotBuilt)."""
    try:
        message = _message(mail, settings, reply_to)
        message.as_bytes()
    except Exception as exc:  # noqa: BLE001  (the standard library raises several kinds here)
        # The kind of error too: some of the standard library's say little on their own.
        raise MailNotBuilt(f"This mail could not be built: {type(exc).__name__}: {exc}") from exc
    return message


def message_id_for(mail: ClaimedMail, domain: str) -> str:
    if not mail.message_token:  # a ClaimedMail made by hand, never claimed: nothing can answer it
        raise ValueError("This mail was not claimed, so it has no Message-ID token.")
    return f"<ccr-outbox-{mail.id}.{mail.message_token}@{domain}>"


def _message(mail: ClaimedMail, settings: SmtpSettings, reply_to: ReplyTo | None = None) -> EmailMessage:
    message = EmailMessage(policy=build_policy())
    message["From"] = settings.from_address
    message["To"] = mail.recipient_email
    message["Subject"] = one_line(mail.subject)
    message["Date"] = formatdate(usegmt=True)
    sender_address = parseaddr(settings.from_address)[1]
    # A sender without a domain (a server account such as "apikey"): a domain that is never anyone's.
    domain = sender_address.rpartition("@")[2] if "@" in sender_address else "helpdesk.invalid"
    # Stable per row (a duplicate after a crash carries the same id) and unguessable (the token).
    message["Message-ID"] = message_id_for(mail, domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies back to us
    address = reply_to(mail) if reply_to is not None and mail.ticket_id is not None else None
    if address:
        message["Reply-To"] = address  # a reply finds its ticket even without In-Reply-To
    message.set_content(mail.text_body)  # text/plain; charset="utf-8", the defaults for text
    message.add_alternative(mail.html_body, subtype="html")
    return message


def open_connection(settings: SmtpSettings) -> yagmail.SMTP:
    """A logged-in yagmail connection. Never prompts: with a password it logs in, without one
    it skips the login (the user is passed as {user: alias} so yagmail adds no '@gmail.com')."""
    envelope_from = parseaddr(settings.from_address)[1] or settings.from_address
    user = settings.user if settings.logs_in else envelope_from
    client = yagmail.SMTP(
        user={user: user},
        password=settings.password if settings.logs_in else None,
        host=settings.host,
        port=settings.port,
        smtp_ssl=settings.security == "ssl",
        smtp_starttls=settings.security == "starttls",
        smtp_skip_login=not settings.logs_in,
        soft_email_validation=False,
        timeout=settings.timeout,
    )
    client.set_logging(None)  # yagmail's own handler would print to stderr; we log ourselves
    try:
        client.login()
    except BaseException:
        client.close()
        raise
    return client


def safe_error(exc: BaseException, settings: SmtpSettings) -> str:
    """The error for the outbox row and the log, with the password scrubbed out just in case."""
    text = f"{type(exc).__name__}: {exc}"
    if settings.password:
        text = text.replace(settings.password, "[hidden]")
    return text[:ERROR_MAX]


def _mark_sent(engine: Engine, mail: ClaimedMail, now: datetime, message_id: str | None = None) -> None:
    # The Message-ID is kept so a reply's In-Reply-To finds this row's ticket (helpdesk.inbound_mail).
    sent = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": None, "message_id": message_id}
    # A sent account link (a reset, a sign-up) is kept without its token (link_tokens says why).
    kept_text, kept_html = (hide_link_tokens(body, addresses=ACCOUNT_LINKS) for body in (mail.text_body, mail.html_body))
    if (kept_text, kept_html) != (mail.text_body, mail.html_body):
        sent.update(text_body=kept_text, html_body=kept_html)
    with engine.begin() as connection:
        connection.execute(update(OutboxMessage).where(OutboxMessage.id == mail.id).values(**sent))


def _mark_failed_attempt(engine: Engine, mail: ClaimedMail, error: str, now: datetime,
                         policy: RetryPolicy, final: bool) -> OutboxStatus:
    if final or mail.attempts >= policy.max_attempts:
        values = {"status": OutboxStatus.FAILED}
    else:
        values = {"status": OutboxStatus.PENDING, "next_attempt_at": now + policy.delay_after(mail.attempts)}
    with engine.begin() as connection:
        # Only while our claim still holds; a reclaimed row belongs to the other sender now.
        connection.execute(update(OutboxMessage).where(
            OutboxMessage.id == mail.id, OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at == mail.claimed_at).values(last_error=error, claimed_at=None, **values))
    return values["status"]


def send_due(engine: Engine, settings: SmtpSettings | None, *, now: datetime | None = None,
             limit: int = DEFAULT_BATCH, policy: RetryPolicy = RetryPolicy(),
             reply_to: ReplyTo | None = None) -> SendReport:
    """One pass: claim up to `limit` due rows and deliver them. Without settings nothing is
    claimed: mails stay queued until mail is configured."""
    report = SendReport()
    if settings is None:
        return report
    now = now or utcnow()
    claimed = claim_due(engine, now=now, limit=limit, policy=policy)
    report.claimed = len(claimed)
    client: yagmail.SMTP | None = None
    try:
        for index, mail in enumerate(claimed):
            if mail.attempts > policy.max_attempts:
                # Reclaimed after its sender died, too often: stop before it becomes a mail storm.
                _record_failure(engine, mail, "Sender stopped while sending; gave up after the last attempt.",
                                now, policy, report)
                continue
            try:
                message = build_message(mail, settings, reply_to)
            except MailNotBuilt as exc:
                _record_failure(engine, mail, str(exc), now, policy, report, final=True)
                continue
            try:
                if client is None:
                    client = open_connection(settings)
            except Exception as exc:
                # Nothing in this batch reached the server: all of it retries later.
                error = safe_error(exc, settings)
                log.warning("Mail server %s:%s unreachable: %s", settings.host, settings.port, error)
                for waiting in claimed[index:]:
                    _record_failure(engine, waiting, error, now, policy, report)
                break
            try:
                client.smtp.send_message(message)
            except Exception as exc:
                _record_failure(engine, mail, safe_error(exc, settings), now, policy, report)
                client.close()
                client = None  # the connection may be broken; the next mail reconnects
                continue
            _mark_sent(engine, mail, now, message_id=message["Message-ID"])
            report.sent += 1
    finally:
        if client is not None:
            client.close()
    if report.claimed:
        log.info("Outbox: %s", report)
    return report


def _record_failure(engine: Engine, mail: ClaimedMail, error: str, now: datetime, policy: RetryPolicy,
                    report: SendReport, final: bool = False) -> None:
    """`final`: a failure that would repeat on every attempt; the row is failed now."""
    status = _mark_failed_attempt(engine, mail, error, now, policy, final)
    if status == OutboxStatus.FAILED:
        report.failed += 1
        log.error("Outbox row %s failed after %s attempts: %s", mail.id, mail.attempts, error)
    else:
        report.retried += 1
        log.warning("Outbox row %s attempt %s failed, will retry: %s", mail.id, mail.attempts, error)
    report.errors.append(error)
