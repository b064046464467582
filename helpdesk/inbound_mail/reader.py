"""One pass over the mailbox: for each unseen mail, read it (without setting \\Seen), store it in
one transaction, commit, and only then mark it done in the mailbox.

Exactly once: a crash before the commit leaves the mail unseen, so the next pass reads it again
and stores it (nothing was committed the first time); a crash after the commit but before the
flag finds the Message-ID already stored and only flags it. Two readers at once: see claims.

No mail blocks the others: a mail whose storing fails for any reason other than the database
being away is held for an administrator (raw, with the reason) in a fresh transaction; if even
that fails, the pass skips it and goes on with newer mail, and after GIVE_UP_AFTER such passes
it is marked (mailbox.GAVE_UP) and no longer tried. A mail larger than size_limit allows is
held as a stub (its header only) and flagged in the mailbox, without its body being fetched."""
from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError
from helpdesk.enums import InboundMailStatus
from helpdesk.inbound_mail import claims, store
from helpdesk.inbound_mail.imap_settings import ImapSettings
from helpdesk.inbound_mail.mailbox import fetch_raw, give_up, mark_done, mark_flagged, open_mailbox, size_and_header, unseen_uids
from helpdesk.inbound_mail.parsing import ParsedMail, parse_mail
from helpdesk.inbound_mail.size_limit import max_mail_bytes, megabytes
from helpdesk.notifications.smtp_settings import SmtpConfigError, smtp_settings

log = logging.getLogger(__name__)

DEFAULT_BATCH = 50
CONFLICT_ATTEMPTS = 5
BUSY = "busy"  # another reader holds it right now
DUPLICATE = "duplicate"  # stored before (a crash between the commit and the flag)
GIVE_UP_AFTER = 3
# Mails whose storing (and holding) failed, by mailbox and UID: how many times. In memory: a
# restart tries them again, which is harmless now that they no longer block the rest.
_failures: dict[tuple[str, str, str], int] = {}


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
    return _store_parsed(engine, parsed, settings, unreadable)


def store_too_large(engine: Engine, header: bytes, size: int, limit: int, own: tuple[str, ...] = ()) -> str:
    """A stub for a mail too large to take in: its sender, subject and Message-ID, no body."""
    parsed, _ = _parsed(header, own)
    reason = (f"Too large: {megabytes(size)} (the limit is {megabytes(limit)}, from the upload limits). "
              "It was not read in; it is still in the mailbox, flagged.")
    return _hold(engine, parsed, reason, None, keep_raw=False)


def _store_parsed(engine: Engine, parsed: ParsedMail, settings: ImapSettings, unreadable: str | None) -> str:
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
        except IntegrityError as exc:
            with session_scope(engine) as session:
                if store.already_stored(session, parsed.message_key):
                    return DUPLICATE  # the other reader's copy won the unique Message-ID
            reason = _unexpected(exc, parsed)
        except (OperationalError, InterfaceError):
            raise  # the database is away: the mail stays unseen and is tried again
        except Exception as exc:  # noqa: BLE001  (this one mail: held, never blocking the rest)
            reason = _unexpected(exc, parsed)
    return _hold(engine, parsed, reason, ticket_id)


def _unexpected(exc: Exception, parsed: ParsedMail) -> str:
    log.exception("Inbound mail %s could not be stored; holding it", parsed.message_key)
    return (f"It could not be stored ({type(exc).__name__}); kept whole for an administrator. "
            "The server log has the details.")


def _hold(engine: Engine, parsed: ParsedMail, reason: str, ticket_id: int | None, keep_raw: bool = True) -> str:
    try:
        with session_scope(engine) as session:
            if not claims.claim(session, parsed.message_key):
                return BUSY
            if store.already_stored(session, parsed.message_key):
                return DUPLICATE
            store.hold_mail(session, parsed=parsed, reason=reason, ticket_id=ticket_id, keep_raw=keep_raw)
    except IntegrityError:
        with session_scope(engine) as session:
            if store.already_stored(session, parsed.message_key):
                return DUPLICATE  # another reader kept it first
        raise
    return InboundMailStatus.HELD


def _database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


def read_mailbox(engine: Engine, settings: ImapSettings, *, limit: int = DEFAULT_BATCH) -> ReadReport:
    """One pass: up to `limit` unseen mails stored. A mail whose storing fails stays unseen and
    is tried again next pass; it does not count towards `limit`, so newer mail still comes in.
    While the database doesn't answer, the pass stops (every mail would fail alike)."""
    report = ReadReport()
    own = own_addresses(settings)
    largest = max_mail_bytes()
    done = 0
    with open_mailbox(settings) as box:
        for uid in unseen_uids(box):
            if done >= limit:
                break
            found = size_and_header(box, uid)
            if found is None:
                continue  # expunged meanwhile (another reader moved it)
            size, header = found
            raw = header if size > largest else fetch_raw(box, uid)  # too large: the body is never fetched
            if raw is None:
                continue
            report.read += 1
            try:
                if size > largest:
                    outcome = store_too_large(engine, header, size, largest, own)
                else:
                    outcome = store_one(engine, raw, settings, own)
            except Exception:  # noqa: BLE001
                log.exception("Inbound mail %s not stored; it stays unread and is tried again", uid)
                report.failed += 1
                if not _database_answers(engine):
                    break
                key = (settings.host, settings.folder, uid)
                _failures[key] = _failures.get(key, 0) + 1
                if _failures[key] >= GIVE_UP_AFTER:
                    log.error("Inbound mail %s failed %d times; marked %s and no longer tried",
                              uid, _failures.pop(key), "$HelpdeskUnreadable")
                    give_up(box, uid)
                continue
            done += 1
            report.count(str(outcome))
            if outcome != BUSY:
                if size > largest:
                    mark_flagged(box, uid)
                mark_done(box, uid, settings)  # after the commit, never before
    if report.read:
        log.info("Inbound mail: %s", report)
    return report
