"""Accounts: first administrator, sign-up, sign-in (throttled: throttle.py), staff accounts."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.core.text_checks import checked_email, text_problem
from helpdesk.access import ensure_admin, get_by_id
from helpdesk.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, password_problem, verify_password
from helpdesk.accounts import throttle
from helpdesk.accounts.sign_in_sessions import end_sessions_of
from helpdesk.audit import person, record
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import AuthenticationFailed, PermissionDenied, Throttled, ValidationError
from helpdesk.enums import OPEN_STATUSES, AuditAction, Role
from helpdesk.models import Ticket, User

SIGN_IN_FAILED = "That e-mail and password don't match an account."



@dataclass(frozen=True)
class NewAccount:
    name: str
    email: str
    password: str
    password_repeat: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


def needs_first_admin(*, session: Session) -> bool:
    """True on an empty install: the first visit creates the administrator."""
    return session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)) == 0


def validate_new_account(session: Session, data: NewAccount, *, check_taken: bool = True) -> tuple[str, str]:
    """The new account's name and normalized e-mail, or ValidationError by field. `check_taken`
    off: a sign-up that mails a confirmation must not say whether the address has an account."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    email, email_problem = checked_email(data.email)
    if not name:
        errors["name"] = "Enter your name."
    elif len(name) > 120:
        errors["name"] = "Use at most 120 characters."
    elif problem := text_problem(name):
        errors["name"] = problem
    if email_problem:
        errors["email"] = email_problem
    elif check_taken and session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = "An account with this e-mail already exists. Sign in instead."
    problem = password_problem(data.password, user_inputs=(name, data.email))
    if problem:
        errors["password"] = problem
    elif data.password != data.password_repeat:
        errors["password_repeat"] = "The two passwords differ."
    if errors:
        raise ValidationError(errors)
    return name, email


def _add_user(session: Session, data: NewAccount, role: Role) -> User:
    name, email = validate_new_account(session, data)
    user = User(name=name, email=email, role=role, is_active=True, password_hash=hash_password(data.password))
    session.add(user)
    session.flush()
    return user


def create_first_admin(*, session: Session, data: NewAccount) -> User:
    if not needs_first_admin(session=session):
        raise PermissionDenied("An administrator already exists; sign in instead.")
    user = _add_user(session, data, Role.ADMIN)
    # Nobody was signed in: the new administrator made their own account.
    record(session, actor=user, action=AuditAction.USER_CREATED, target=person(user),
           new=f"{Role.ADMIN.label} (first-run setup)")
    return user


def sign_up(*, session: Session, data: NewAccount) -> User:
    """Self-service sign-up always makes a customer."""
    return _add_user(session, data, Role.CUSTOMER)


def create_user(*, session: Session, actor: User | None, data: NewAccount, role: Role) -> User:
    """Admins create accounts of any role. `actor=None` is the trusted CLI on the server."""
    if actor is not None:
        ensure_admin(actor)
    user = _add_user(session, data, role)
    record(session, actor=actor, action=AuditAction.USER_CREATED, target=person(user), new=user.role.label)
    return user


def authenticate(*, session: Session, email: str, password: str, client: str | None = None) -> User:
    """The user for these credentials, or AuthenticationFailed / Throttled.

    A wrong password and an unknown e-mail fail the same way, take the same time, and count
    against the same per-address throttle; `client` (the IP address the sign-in comes from) is
    throttled too, so one machine can't try many addresses. None (AppTest, the CLI): the
    address alone.

    Call it first in its transaction: it commits the attempt's count before the password is
    checked (the count must survive the refusal that follows, and none of the attempts racing
    this one may check a password the count no longer allows), and it holds no database
    connection during the slow check, so failed sign-ins can't use up the pool."""
    email = normalize_email(email)
    now = utcnow()
    try:
        throttle.reserve_attempt(session, email=email, client=client, now=now)
    except Throttled:
        session.rollback()  # the address may have counted this attempt before its client said wait
        raise
    user = session.scalar(select(User).where(User.email == email)) if email else None
    password_hash = user.password_hash if user else DUMMY_HASH
    session.commit()  # the count is kept, and the connection goes back to the pool
    ok = verify_password(password_hash, password)
    if not (ok and user is not None and user.is_active):
        throttle.record_failure(session, email=email, client=client, now=now)
        session.commit()  # the caller rolls back on the error raised next
        raise AuthenticationFailed(SIGN_IN_FAILED)

    # The password was checked outside any transaction: a reset, a password change or a
    # deactivation may have been committed since. Write to the user's row first (it waits for one
    # still under way, on PostgreSQL its row lock, on SQLite the write lock, and makes one that
    # comes later wait for this sign-in, whose session it then ends), and read it again.
    user.last_login_at = now
    session.flush()
    still = session.execute(select(User.password_hash, User.is_active).where(User.id == user.id)).one()
    if still.password_hash != password_hash or not still.is_active:
        raise AuthenticationFailed(SIGN_IN_FAILED)  # the caller rolls back; the attempt stays counted
    throttle.record_success(session, email=email, client=client, now=now)
    if needs_rehash(password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def get_active_user(*, session: Session, user_id: int) -> User | None:
    """The signed-in user, re-read each run so a deactivated account loses access at once."""
    user = get_by_id(session, User, user_id)
    return user if user is not None and user.is_active else None


def list_users(*, session: Session, actor: User, role: Role | None = None, search: str = "",
               limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    ensure_admin(actor)
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if search.strip():
        needle = search.strip().lower()  # e-mails are stored lowercased
        query = query.where(User.email.contains(needle, autoescape=True)
                            | func.lower(User.name).contains(needle, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(User.role, User.name).limit(limit).offset(offset)).all()
    return list(rows), total or 0


def set_user_active(*, session: Session, actor: User, user_id: int, active: bool) -> User:
    ensure_admin(actor)
    user = get_by_id(session, User, user_id)
    if user is None:
        raise ValidationError("No such account.")
    if user.id == actor.id and not active:
        raise ValidationError("You can't deactivate your own account.")
    if user.is_active == active:
        return user
    record(session, actor=actor, action=AuditAction.USER_ACTIVATED if active else AuditAction.USER_DEACTIVATED,
           target=person(user), old="Inactive" if active else "Active", new="Active" if active else "Inactive")
    user.is_active = active
    if not active:  # an open tab is signed out on its next click
        end_sessions_of(session=session, user_id=user.id)
    session.flush()
    return user


def parse_role(value) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError({"role": "Choose a role."}) from None


def set_user_role(*, session: Session, actor: User, user_id: int, role: Role | str) -> User:
    """Admins change anyone's role but their own (so the last administrator can't demote
    themselves). Someone leaving the staff must not hold open tickets nobody else sees."""
    ensure_admin(actor)
    role = parse_role(role)
    user = get_by_id(session, User, user_id)
    if user is None:
        raise ValidationError("No such account.")
    if user.role == role:
        return user
    if user.id == actor.id:
        raise ValidationError({"role": "You can't change your own role; another administrator can."})
    if not role.is_staff:
        held = session.scalar(select(func.count()).select_from(Ticket)
                              .where(Ticket.assignee_id == user.id, Ticket.status.in_(OPEN_STATUSES)))
        if held:
            raise ValidationError({"role": f"{user.name} still has {held:,} open ticket{'s' if held != 1 else ''}; "
                                           "reassign them first."})
    record(session, actor=actor, action=AuditAction.USER_ROLE_CHANGED, target=person(user), old=user.role.label,
           new=role.label)
    user.role = role
    end_sessions_of(session=session, user_id=user.id)  # what they may open changed: sign in again
    session.flush()
    return user
