"""Staying signed in: one row per browser sign-in, found again from an HttpOnly cookie.

A sign-in (the password checked by helpdesk.accounts.users.authenticate) opens a session and
gets a one-time code, valid for CODE_LIFETIME; the browser trades the code for its cookie at
the app's /auth/session route (helpdesk/ui/session_routes.py), which is the only place the
cookie's token ever exists in the clear. The database keeps hashes of both. Every script run
finds its session again (by the cookie, or by the id the signing-in connection keeps) and checks
it: revoked, idle for longer than the idle lifetime, past its absolute end, or its user
deactivated, and the person is signed out on that click."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk.core import clock
from helpdesk.core.config import session_lifetime
from helpdesk.core.secret_tokens import new_token, token_hash
from helpdesk.core.errors import NotFound
from helpdesk.models import SignInSession, User

CODE_LIFETIME = timedelta(seconds=60)
# last_seen_at is written at most this often: a click is not a write.
SEEN_RESOLUTION = timedelta(minutes=1)
DEVICE_MAX = 200
# A session that is not kept ("Keep me signed in" unticked) lives in a cookie the browser drops
# when it closes, and ends here after this long idle at most.
UNKEPT_IDLE = timedelta(hours=12)


def _idle_lifetime(persistent: bool) -> timedelta:
    idle = session_lifetime().idle
    return idle if persistent else min(idle, UNKEPT_IDLE)


def open_session(*, session: Session, user: User, persistent: bool, device: str = "") -> tuple[SignInSession, str]:
    """A new sign-in for `user` (whose password was just checked), and the one-time code that
    hands the browser its cookie."""
    now = clock.utcnow()
    lifetime = session_lifetime()
    idle = _idle_lifetime(persistent)
    code = new_token()
    row = SignInSession(user_id=user.id, code_hash=token_hash(code), code_expires_at=now + CODE_LIFETIME,
                        persistent=persistent, device=" ".join(str(device or "").split())[:DEVICE_MAX],
                        created_at=now, last_seen_at=now, idle_expires_at=now + idle,
                        absolute_expires_at=now + lifetime.absolute)
    session.add(row)
    session.flush()
    return row, code


@dataclass(frozen=True)
class Cookie:
    token: str
    max_age: int | None  # seconds; None: until the browser closes


def redeem_code(*, session: Session, code: str) -> Cookie | None:
    """The cookie for a one-time code: once, within CODE_LIFETIME, for a session still valid.
    None for anything else (a wrong, used or late code says nothing more)."""
    if not isinstance(code, str) or not code or len(code) > 200:
        return None
    now = clock.utcnow()
    hashed = token_hash(code)
    row = session.scalar(select(SignInSession).where(SignInSession.code_hash == hashed))
    if row is None:
        return None
    # Single use, whatever happens next: claimed in one statement, so two requests with the same
    # code can't both get a cookie.
    claimed = session.execute(update(SignInSession).where(SignInSession.id == row.id, SignInSession.code_hash == hashed)
                              .values(code_hash=None).execution_options(synchronize_session=False)).rowcount
    session.refresh(row)
    valid = claimed == 1 and row.code_expires_at is not None and now < row.code_expires_at and _alive(session, row, now)
    row.code_expires_at = None
    if not valid:
        session.flush()
        return None
    token = new_token()
    row.token_hash = token_hash(token)
    session.flush()
    max_age = int((row.absolute_expires_at - now).total_seconds()) if row.persistent else None
    return Cookie(token=token, max_age=max_age)


def code_pending(*, session: Session, session_id: int) -> bool:
    """Whether the session's one-time code is still to be used (and still valid)."""
    row = session.get(SignInSession, session_id)
    return (row is not None and row.code_hash is not None and row.code_expires_at is not None
            and clock.utcnow() < row.code_expires_at)


def _alive(session: Session, row: SignInSession, now: datetime) -> bool:
    if row.revoked_at is not None or now >= row.idle_expires_at or now >= row.absolute_expires_at:
        return False
    user = session.get(User, row.user_id)
    return user is not None and user.is_active


def resume(*, session: Session, session_id: int | None = None, token: str | None = None) -> SignInSession | None:
    """The valid sign-in session with this id (the connection that signed in) or this cookie
    token, its idle time restarted; None when there is none (revoked, expired, deactivated)."""
    if session_id is not None:
        row = session.get(SignInSession, session_id)
    elif isinstance(token, str) and token and len(token) <= 200:
        row = session.scalar(select(SignInSession).where(SignInSession.token_hash == token_hash(token)))
    else:
        return None
    now = clock.utcnow()
    if row is None or not _alive(session, row, now):
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
        row.idle_expires_at = min(now + _idle_lifetime(row.persistent), row.absolute_expires_at)
        session.flush()
    return row


def end_session(*, session: Session, session_id: int | None = None, token: str | None = None) -> None:
    """Sign-out: this session ends (found by id or by cookie token; nothing if unknown)."""
    where = (SignInSession.id == session_id) if session_id is not None else (
        SignInSession.token_hash == token_hash(token) if isinstance(token, str) and token else None)
    if where is None:
        return
    session.execute(update(SignInSession).where(where, SignInSession.revoked_at.is_(None))
                    .values(revoked_at=clock.utcnow()).execution_options(synchronize_session=False))


def end_sessions_of(*, session: Session, user_id: int, keep: int | None = None) -> int:
    """Every open session of the user ends (but `keep`): after a password change or reset, a
    deactivation or a change of role. How many ended."""
    where = [SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None)]
    if keep is not None:
        where.append(SignInSession.id != keep)
    return session.execute(update(SignInSession).where(*where).values(revoked_at=clock.utcnow())
                           .execution_options(synchronize_session=False)).rowcount


def end_all_sessions(*, session: Session) -> int:
    """Every open session of everyone ends: after a restore, which must not bring back a sign-in
    that was signed out since the backup. How many ended."""
    return session.execute(update(SignInSession).where(SignInSession.revoked_at.is_(None))
                           .values(revoked_at=clock.utcnow()).execution_options(synchronize_session=False)).rowcount


def active_sessions(*, session: Session, actor: User) -> list[SignInSession]:
    """The actor's own sessions still valid, the most recently used first."""
    now = clock.utcnow()
    rows = session.scalars(select(SignInSession).where(
        SignInSession.user_id == actor.id, SignInSession.revoked_at.is_(None),
        SignInSession.idle_expires_at > now, SignInSession.absolute_expires_at > now)
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc()).limit(100))
    return list(rows)


def end_other_sessions(*, session: Session, actor: User, current_id: int) -> int:
    """"Sign out everywhere else": every session of the actor but the one they use."""
    current = session.get(SignInSession, current_id)
    if current is None or current.user_id != actor.id:
        raise NotFound("That sign-in is not yours.")
    return end_sessions_of(session=session, user_id=actor.id, keep=current_id)
