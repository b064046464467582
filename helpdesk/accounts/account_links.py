"""Mailed one-time links: "Forgot your password?" and confirming the address of a new account.

A link carries a random token; the database keeps only its hash (account_links), when it
expires, and when it was used. Following it claims it in one statement, so it works once even
when it is opened twice at the same moment.

What a visitor sees never tells whether an address has an account: asking for a reset link
and signing up answer the same words for any address, and take the same time (ANSWER_TIME),
whatever the mail and the database had to do for it."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from helpdesk.access import ensure_admin, get_by_id
from helpdesk.accounts import throttle
from helpdesk.accounts.passwords import DUMMY_HASH, hash_password, password_problem, verify_password
from helpdesk.accounts.sign_in_sessions import end_sessions_of
from helpdesk.accounts.users import NewAccount, normalize_email, sign_up, validate_new_account
from helpdesk.audit import person, record
from helpdesk.core import clock
from helpdesk.core.errors import ValidationError
from helpdesk.core.secret_tokens import new_token, token_hash
from helpdesk.core.text_checks import checked_email
from helpdesk.enums import AccountLinkPurpose, AuditAction, OutboxEvent, Role
from helpdesk.models import AccountLink, User
from helpdesk.notifications import compose
from helpdesk.notifications.outbox import enqueue
from helpdesk.notifications.smtp_settings import mail_configured

RESET_LIFETIME = timedelta(minutes=30)
SIGN_UP_LIFETIME = timedelta(hours=24)
# Every enumeration-safe answer is given this long after the question, so the time it took
# (a mail queued, a password hashed, or nothing) can't tell a known address from an unknown one.
ANSWER_TIME = 1.0

RESET_SENT = ("If an account uses that address, we have sent it a link to choose a new password. "
              "The link works once, for 30 minutes.")
SIGN_UP_SENT = ("We have sent a link to that address. Open it within 24 hours to finish creating your "
                "account. No mail? Check the spam folder, or sign up again.")
LINK_UNUSABLE = "This link has expired or was already used. Ask for a new one."
# Links (and "someone tried to sign up" mails) per account or address and hour: more would let
# anyone flood a mailbox, or keep voiding the owner's newest link by asking again and again.
LINKS_PER_HOUR = 3
TOO_MANY_LINKS = "Three links went to {email} in the last hour; wait a while before sending another."
SIGN_UP_PASSWORD_WRONG = "That is not the password chosen when signing up with this address."


@contextmanager
def _answer_after(session: Session, seconds: float) -> Iterator[None]:
    """The work inside is committed before the answer is held back to `seconds`: the commit (a
    write for a known address, nothing for an unknown one) falls inside the even time, and the
    wait holds no pooled connection nor, on SQLite, the write lock, so askers can't starve the
    app. Call these services alone in their transaction (as authenticate is)."""
    started = time.monotonic()
    yield
    session.commit()
    left = seconds - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)


def _open_link(session: Session, *, purpose: AccountLinkPurpose, email: str, lifetime: timedelta,
               user: User | None = None, name: str = "", password_hash: str | None = None) -> str | None:
    """A new link, and its token (never stored); None when LINKS_PER_HOUR went to this account
    (or address) in the last hour, and nothing changes. Older unused links of the same kind
    become void: only the newest mail works."""
    now = clock.utcnow()
    owner = AccountLink.user_id == user.id if user is not None else AccountLink.email == email
    if _links_lately(session, owner, purpose) >= LINKS_PER_HOUR:
        return None
    session.execute(update(AccountLink).where(owner, AccountLink.purpose == purpose, AccountLink.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    token = new_token()
    session.add(AccountLink(purpose=purpose, token_hash=token_hash(token), user_id=user.id if user else None,
                            email=email, name=name, password_hash=password_hash, created_at=now,
                            expires_at=now + lifetime))
    session.flush()
    return token


def _links_lately(session: Session, owner, purpose: AccountLinkPurpose) -> int:
    """Links of this kind made for `owner` (a condition on AccountLink) in the last hour (indexed)."""
    return session.scalar(select(func.count()).select_from(AccountLink).where(
        owner, AccountLink.purpose == purpose, AccountLink.created_at > clock.utcnow() - timedelta(hours=1)))


def _usable(session: Session, token: str, purpose: AccountLinkPurpose) -> AccountLink | None:
    if not isinstance(token, str) or not token:
        return None
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == token_hash(token),
                                                    AccountLink.purpose == purpose))
    if link is None or link.used_at is not None or link.expires_at <= clock.utcnow():
        return None
    return link


def _claim(session: Session, link: AccountLink) -> None:
    """Use the link: one statement, so of two clicks at the same moment only one gets it."""
    claimed = session.execute(update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
                              .values(used_at=clock.utcnow()).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise ValidationError(LINK_UNUSABLE)


def _mail_reset_link(session: Session, user: User) -> bool:
    """Whether a link was mailed (not when LINKS_PER_HOUR already were)."""
    token = _open_link(session, purpose=AccountLinkPurpose.PASSWORD_RESET, email=user.email, user=user,
                       lifetime=RESET_LIFETIME)
    if token is None:
        return False
    enqueue(session, event=OutboxEvent.PASSWORD_RESET, recipient=user, essential=True,
            mail=compose.password_reset(user.name, compose.account_link_url("reset_password", token),
                                        minutes=int(RESET_LIFETIME.total_seconds() // 60)))
    return True


# --- forgotten passwords ---------------------------------------------------------------------

def request_password_reset(*, session: Session, email: str) -> str:
    """Mail a reset link to the account with this address, if there is an active one. The
    answer (returned) and the time it takes are the same either way. Commits (_answer_after)."""
    address, problem = checked_email(email)
    if problem:
        raise ValidationError({"email": problem})  # about what was typed, not about any account
    with _answer_after(session, ANSWER_TIME):
        user = session.scalar(select(User).where(User.email == address))
        if user is not None and user.is_active:
            _mail_reset_link(session, user)
    return RESET_SENT


def send_password_reset(*, session: Session, actor: User, user_id: int) -> User:
    """An administrator mails someone a reset link (the person chooses the password; the
    administrator never sees it, nor the link: the Mail page hides it)."""
    ensure_admin(actor)
    user = get_by_id(session, User, user_id)
    if user is None:
        raise ValidationError("No such account.")
    if not user.is_active:
        raise ValidationError(f"{user.email} is inactive: activate the account first.")
    if not _mail_reset_link(session, user):
        raise ValidationError(TOO_MANY_LINKS.format(email=user.email))
    record(session, actor=actor, action=AuditAction.PASSWORD_RESET_SENT, target=person(user))
    return user


def _reset_link(session: Session, token: str) -> tuple[AccountLink, User] | None:
    link = _usable(session, token, AccountLinkPurpose.PASSWORD_RESET)
    user = session.get(User, link.user_id) if link is not None else None
    return (link, user) if user is not None and user.is_active else None


def reset_link_holder(*, session: Session, token: str) -> User | None:
    """Whose password this link resets, or None when it expired, was used or never existed."""
    found = _reset_link(session, token)
    return found[1] if found else None


def reset_password(*, session: Session, token: str, new: str, new_repeat: str) -> User:
    """Set the password the link's holder chose. Every session of the person ends (whoever
    knew the old password is signed out), and the sign-in throttle on the address is lifted."""
    found = _reset_link(session, token)
    if found is None:
        raise ValidationError(LINK_UNUSABLE)
    link, user = found
    problem = password_problem(new, user_inputs=(user.name, user.email))
    if problem:
        raise ValidationError({"new": problem})
    if new != new_repeat:
        raise ValidationError({"new_repeat": "The two passwords differ."})
    _claim(session, link)
    user.password_hash = hash_password(new)
    # The user's row first: a sign-in with the old password finishing now waits for this reset and
    # is refused (users.authenticate), or is committed first and its session is ended just below.
    session.flush()
    end_sessions_of(session=session, user_id=user.id)
    throttle.forget_failures(session, user.email)
    session.flush()
    return user


# --- sign-up with a confirmed address -----------------------------------------------------------

def start_sign_up(*, session: Session, data: NewAccount) -> User | None:
    """Self-service sign-up. With mail configured, None: the answer (SIGN_UP_SENT) and the time
    it takes are the same for a new address and for one that has an account. A new address gets
    a link that creates the account; the owner of an existing one gets a mail saying someone
    tried to sign up with it. Commits before the even wait (_answer_after).

    Without mail there is no way to confirm an address: the account is created at once and
    returned, and an address that has an account is refused as such (the README's trade-off)."""
    if not mail_configured():
        return sign_up(session=session, data=data)
    name, email = validate_new_account(session, data, check_taken=False)
    with _answer_after(session, ANSWER_TIME):
        password_hash = hash_password(data.password)  # for both: the hash is the slow part
        owner = session.scalar(select(User).where(User.email == email))
        if owner is not None:
            if _links_lately(session, AccountLink.email == email, AccountLinkPurpose.SIGN_UP) < LINKS_PER_HOUR:
                # Counted like a link (so the owner's mailbox isn't flooded either), never usable.
                now = clock.utcnow()
                session.add(AccountLink(purpose=AccountLinkPurpose.SIGN_UP, token_hash=token_hash(new_token()),
                                        email=email, name=name, created_at=now, expires_at=now, used_at=now))
                enqueue(session, event=OutboxEvent.SIGN_UP_EXISTING, recipient=owner, essential=True,
                        mail=compose.sign_up_existing(owner.name, compose.account_link_url("reset_password")))
        elif (token := _open_link(session, purpose=AccountLinkPurpose.SIGN_UP, email=email, name=name,
                                  password_hash=password_hash, lifetime=SIGN_UP_LIFETIME)) is not None:
            enqueue(session, event=OutboxEvent.SIGN_UP_CONFIRMATION, recipient=None, recipient_email=email,
                    mail=compose.sign_up_confirmation(name, compose.account_link_url("confirm_sign_up", token),
                                                      hours=int(SIGN_UP_LIFETIME.total_seconds() // 3600)))
    return None


def sign_up_address(*, session: Session, token: str) -> str | None:
    """The address a confirmation link would create the account for, or None when it can't."""
    link = _usable(session, token, AccountLinkPurpose.SIGN_UP)
    return link.email if link is not None else None


def confirm_sign_up(*, session: Session, token: str, password: str) -> User:
    """Follow the confirmation link: the customer account exists from now on. The password
    chosen at sign-up must be typed again: whoever signed up with someone else's address can't
    have that person confirm an account whose password they know."""
    link = _usable(session, token, AccountLinkPurpose.SIGN_UP)
    if link is None:
        raise ValidationError(LINK_UNUSABLE)
    if not verify_password(link.password_hash or DUMMY_HASH, password):
        raise ValidationError({"password": SIGN_UP_PASSWORD_WRONG})
    _claim(session, link)
    email = normalize_email(link.email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationError("An account with this address was created in the meantime. Sign in instead.")
    user = User(name=link.name, email=email, role=Role.CUSTOMER, is_active=True, password_hash=link.password_hash)
    session.add(user)
    session.flush()
    return user
