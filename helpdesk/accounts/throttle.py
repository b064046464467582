"""The sign-in throttle: sign-in attempts counted per e-mail address, in the database (so the
count survives restarts and is shared by every app process), and a lock after too many.

After MAX_FAILURES failures within FAILURE_WINDOW an address is locked for LOCKOUT. Unknown
addresses are counted like known ones, so the throttle doesn't tell which accounts exist.

Each attempt is counted *before* its password is checked, in one atomic statement (an upsert
that adds one and returns the new count, on SQLite and PostgreSQL alike): however many
attempts arrive at the same moment, at most MAX_FAILURES passwords are checked per address
and window. A success clears the count; the attempt that makes the MAX_FAILURES-th failure
sets the lock."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from helpdesk.core.errors import Throttled
from helpdesk.models import LoginThrottle

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

THROTTLED = "Too many failed sign-ins for this account. Try again in 15 minutes."

_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def reserve_attempt(session: Session, email: str, now: datetime) -> int:
    """Count one sign-in attempt and return its number within the window (1 for the first).

    Throttled, before any password is checked, while the address is locked or when
    MAX_FAILURES attempts in this window are already counted (finished or still running)."""
    table = LoginThrottle.__table__
    # Counting starts again at this attempt once a lock has ended, or, with no lock, once the
    # window is over.
    starts_again = or_(and_(table.c.locked_until.is_not(None), table.c.locked_until <= now),
                       and_(table.c.locked_until.is_(None), table.c.window_started_at < now - FAILURE_WINDOW))
    insert = _INSERT[session.get_bind().dialect.name](table).values(
        email=email, failures=1, window_started_at=now, locked_until=None)
    counted = insert.on_conflict_do_update(
        index_elements=[table.c.email],
        set_={
            "failures": case((starts_again, 1), else_=table.c.failures + 1),
            "window_started_at": case((starts_again, now), else_=table.c.window_started_at),
            "locked_until": case((starts_again, None), else_=table.c.locked_until),
        },
    ).returning(table.c.failures, table.c.locked_until)
    number, locked_until = session.execute(counted).one()
    if (locked_until is not None and locked_until > now) or number > MAX_FAILURES:
        raise Throttled(THROTTLED)
    return number


def lock_after_failure(session: Session, email: str, number: int, now: datetime) -> None:
    """Attempt `number` failed: the one that makes MAX_FAILURES failures locks the address."""
    if number >= MAX_FAILURES:
        session.execute(update(LoginThrottle).where(LoginThrottle.email == email)
                        .values(locked_until=now + LOCKOUT))


def forget_failures(session: Session, email: str) -> None:
    """After a successful sign-in the count starts again."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == email))
