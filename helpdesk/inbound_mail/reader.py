"""One pass over the mailbox: for each unseen mail, read it (without setting \\Seen), store it in
one transaction, commit, and only then mark it done in the mailbox.

Exactly once: a crash before the commit leaves the mail unseen, so the next pass reads it again
and stores it (nothing was committed the first time); a crash after the commit but before the
flag finds the Message-ID already stored and only flags it. Two readers at once: see claims."""
from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError
from helpdesk.enums import InboundMailStatus
from helpdesk.inbound_mail import claims, store
from helpdesk.inbound_mail.imap_settings import ImapSettings
from helpdesk.inbound_mail.mailbox import fetch_raw, mark_done, open_mailbox, unseen_uids
from helpdesk.inbound_mail.parsing import ParsedMail, parse_mail
from helpdesk.notifications.smtp_settings import SmtpConfigError, smtp_settings

log = logging.getLogger(__name__)

DEFAULT_BATCH = 50
CONFLICT_ATTEMPTS = 5
BUSY = "busy"  # another reader holds it right now
DUPLICATE = "duplicate"  # stored before (a crash between the commit and the flag)


@dataclass
class ReadReport:
    read: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def __str__(self) -> str:
        done = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.counts.items())) or "nothing new"
        return f"{self.read} read: {done}" + (f", {self.failed} to retry" if self.failed else "")


def own_addresses(settings: ImapSettings) -> tuple[str, ...]:
    """Addresses the helpdesk sends from: mail from them is our own coming back."""
    addresses = {settings.user.lower()} if "@" in settings.user else set()
    try:
        smtp = smtp_settings()
    except SmtpConfigError:
        smtp = None
    if smtp is not None:
        addresses.add(parseaddr(smtp.from_address)[1].lower())
    if settings.reply_address:
        addresses.add(settings.reply_address)
    return tuple(sorted(a for a in addresses if a))


def _parsed(raw: bytes, own: tuple[str, ...]) -> tuple[ParsedMail, str | None]:
    try:
        return parse_mail(raw, own_addresses=own), None
    except Exception as exc:  # noqa: BLE001  (malformed mail: kept for an admin, never lost)
        key = "sha256:" + hashlib.sha256(raw).hexdigest()
        return ParsedMail(message_key=key, sender_email="", sender_name="", subject="", recipients=(),
                          thread_ids=(), text="", files=(), automatic=None, raw=raw), \
            f"The mail could not be read ({type(exc).__name__})."


def store_one(engine: Engine, raw: bytes, settings: ImapSettings, own: tuple[str, ...] = ()) -> str:
    """Store one mail and commit; returns what happened (an InboundMailStatus, BUSY or DUPLICATE)."""
    parsed, unreadable = _parsed(raw, own)
    reason, ticket_id = unreadable, None
    attempt = 0
    while reason is None:
        attempt += 1
        try:
            with session_scope(engine) as session:
                if not claims.claim(session, parsed.message_key):
                    return BUSY
                if store.already_stored(session, parsed.message_key):
                    return DUPLICATE
                # Looked up on the module each time: the crash test replaces it to die before the commit.
                return store.store_mail(session, parsed=parsed, settings=settings)
        except store.Refused as refused:
            reason, ticket_id = str(refused), refused.ticket_id
        except ConflictError:
            # The ticket changed meanwhile (an agent's save, another reader's mail on the same
            # ticket): nothing was written; try again on the ticket as it is now.
            if attempt >= CONFLICT_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.05 * attempt))  # apart from whoever else is saving it
        except IntegrityError:
            with session_scope(engine) as session:
                if store.already_stored(session, parsed.message_key):
                    return DUPLICATE  # the other reader's copy won the unique Message-ID
            raise
    try:
        with session_scope(engine) as session:
            if not claims.claim(session, parsed.message_key):
                return BUSY
            if store.already_stored(session, parsed.message_key):
                return DUPLICATE
            store.hold_mail(session, parsed=parsed, reason=reason, ticket_id=ticket_id)
    except IntegrityError:
        with session_scope(engine) as session:
            if store.already_stored(session, parsed.message_key):
                return DUPLICATE  # another reader kept it first
        raise
    return InboundMailStatus.HELD


def read_mailbox(engine: Engine, settings: ImapSettings, *, limit: int = DEFAULT_BATCH) -> ReadReport:
    """One pass: up to `limit` unseen mails. A mail whose storing fails (the database was away)
    stays unseen and is tried again next pass."""
    report = ReadReport()
    own = own_addresses(settings)
    with open_mailbox(settings) as box:
        for uid in unseen_uids(box, limit=limit):
            raw = fetch_raw(box, uid)
            if raw is None:
                continue
            report.read += 1
            try:
                outcome = store_one(engine, raw, settings, own)
            except Exception:  # noqa: BLE001
                log.exception("Inbound mail %s not stored; it stays unread and is tried again", uid)
                report.failed += 1
                continue
            report.count(str(outcome))
            if outcome != BUSY:
                mark_done(box, uid, settings)  # after the commit, never before
    if report.read:
        log.info("Inbound mail: %s", report)
    return report
