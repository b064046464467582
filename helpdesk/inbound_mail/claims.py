"""Two readers at once never both take the same mail.

PostgreSQL: a transaction-scoped advisory lock on the mail's key (pg_try_advisory_xact_lock),
taken before anything is read or written for it; a reader that doesn't get it leaves the mail
to the one that has it, and the lock ends with that reader's commit or rollback. Whoever gets
the lock next sees the committed row and only marks the mail done.
SQLite: one writer at a time anyway; the unique Message-ID makes the second insert fail at its
flush (the reader then treats the mail as already stored)."""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

_NAMESPACE = b"helpdesk-inbound-mail:"


def lock_number(message_key: str) -> int:
    """A signed 64-bit number for the key (what pg_try_advisory_xact_lock takes)."""
    return int.from_bytes(hashlib.sha256(_NAMESPACE + message_key.encode()).digest()[:8], "big", signed=True)


def claim(session: Session, message_key: str) -> bool:
    """True when this transaction may handle the mail now."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(lock_number(message_key)))))
