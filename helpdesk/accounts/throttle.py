"""The sign-in throttle: failed sign-ins counted per e-mail address, in the database (so the
count survives restarts and is shared by every app process), and a lock after too many.

After MAX_FAILURES failures within FAILURE_WINDOW an address is locked for LOCKOUT. Unknown
addresses are counted like known ones, so the throttle doesn't tell which accounts exist."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.core.errors import Throttled
from helpdesk.models import LoginThrottle

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

THROTTLED = "Too many failed sign-ins for this account. Try again in 15 minutes."


def ensure_not_locked(session: Session, email: str, now: datetime) -> LoginThrottle | None:
    """Throttled while the address is locked; otherwise its failure count so far (or None)."""
    throttle = session.get(LoginThrottle, email) if email else None
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise Throttled(THROTTLED)
    return throttle


def forget_failures(session: Session, throttle: LoginThrottle | None) -> None:
    """After a successful sign-in the count starts again."""
    if throttle is not None:
        session.delete(throttle)


def record_failure(session: Session, email: str, now: datetime) -> None:
    """Count one failed sign-in in its own transaction: the caller's session_scope rolls back
    on the AuthenticationFailed raised next, and that must not undo the count."""
    if not email:
        return
    for attempt in range(2):
        with Session(bind=session.get_bind(), expire_on_commit=False) as counter:
            throttle = counter.get(LoginThrottle, email, with_for_update=True)
            if throttle is None:
                throttle = LoginThrottle(email=email, failures=0, window_started_at=now)
                counter.add(throttle)
            elif now - throttle.window_started_at > FAILURE_WINDOW:
                throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
            throttle.failures += 1
            if throttle.failures >= MAX_FAILURES:
                throttle.locked_until = now + LOCKOUT
            try:
                counter.commit()
                return
            except IntegrityError:
                # Another attempt for the same address inserted the row first: count on it.
                counter.rollback()
                if attempt:
                    raise
