"""Single sign-on: the local account for a person an OpenID Connect provider vouches for.

A provider names a person by its issuer and their subject, which never change; the e-mail it
reports can (and at some providers anyone can type one in). So an identity is linked once, then
found by that pair alone:

- known identity: its account, if still active;
- unknown identity, and an account already has the e-mail: linked only when the provider says
  the address is verified and an administrator allows linking by e-mail
  (helpdesk.settings.link_sign_on_by_email); otherwise the person signs in with their password;
- unknown identity, nobody has the e-mail: a new customer account, when the address is verified.

Why new accounts at all: anyone may sign up as a customer with a password already, so a provider's
person may too, with the same role. Why only verified addresses: the account's e-mail is where
its mail goes and what a password sign-up is refused for, so an unverified one would let someone
claim another person's address, and keep it through the identity after the owner got the account
back. The role is always the local one: a provider never makes anyone staff. Every link is in the
audit log."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.accounts.passwords import hash_password
from helpdesk.audit import person, record
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import AuthenticationFailed
from helpdesk.core.text_checks import checked_email, invisible_character
from helpdesk.enums import AuditAction, Role
from helpdesk.models import SignOnIdentity, User
from helpdesk.settings import link_sign_on_by_email

ISSUER_MAX = SUBJECT_MAX = 255  # the columns' sizes; OpenID Connect allows subjects up to 255 characters
NAME_MAX = 120

DEACTIVATED = "This account is deactivated, so it can't be signed in to. An administrator can activate it again."
USE_PASSWORD = ("An account with this e-mail address already exists. Sign in with your e-mail and password; "
                "an administrator can allow single sign-on to link to existing accounts.")
UNVERIFIED_EXISTING = ("An account with this e-mail address already exists, and your sign-in provider hasn't "
                       "confirmed the address is yours. Sign in with your e-mail and password.")
NO_EMAIL = ("Your sign-in provider didn't share a valid e-mail address, which an account here needs. "
            "Create an account with a password instead.")
UNVERIFIED_NEW = ("Your sign-in provider hasn't confirmed your e-mail address, so no account can be made "
                  "from it. Create an account with a password instead.")
INCOMPLETE = "Your sign-in provider didn't say who you are. Try again, or sign in with your e-mail and password."
RACE = "Another sign-in for you was made at the same moment. Try again."


def account_for_identity(*, session: Session, issuer: str, subject: str, email: str | None,
                         email_verified: bool, name: str | None) -> User:
    """The active account this identity signs in to, linked (or made) on its first sign-in; or
    AuthenticationFailed with what the person can do instead. `email_verified`: True only when
    the provider said so (anything else counts as not verified). Audited when a link is made."""
    if not _plain_id(issuer, ISSUER_MAX) or not _plain_id(subject, SUBJECT_MAX):
        raise AuthenticationFailed(INCOMPLETE)
    now = utcnow()
    known = session.scalar(select(SignOnIdentity).where(SignOnIdentity.issuer == issuer,
                                                        SignOnIdentity.subject == subject))
    if known is not None:
        user = session.get(User, known.user_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed(DEACTIVATED)
        known.last_used_at = user.last_login_at = now
        session.flush()
        return user

    verified = email_verified is True
    address, problem = checked_email(email or "")
    if problem:
        raise AuthenticationFailed(NO_EMAIL)
    user = session.scalar(select(User).where(User.email == address))
    if user is not None:
        if not (verified and link_sign_on_by_email(session)):
            raise AuthenticationFailed(USE_PASSWORD if verified else UNVERIFIED_EXISTING)
        if not user.is_active:
            raise AuthenticationFailed(DEACTIVATED)
        how = "by verified e-mail"
    else:
        if not verified:
            raise AuthenticationFailed(UNVERIFIED_NEW)
        user = User(name=_display_name(name, address), email=address, role=Role.CUSTOMER, is_active=True,
                    password_hash=_unusable_password_hash())
        session.add(user)
        how = "new customer account"
    user.last_login_at = now
    try:
        session.flush()  # a new account's id, for the link
        session.add(SignOnIdentity(issuer=issuer, subject=subject, user_id=user.id, created_at=now, last_used_at=now))
        session.flush()
    except IntegrityError as exc:  # the same first sign-in twice at once, or a sign-up with this e-mail
        raise AuthenticationFailed(RACE) from exc
    record(session, actor=user, action=AuditAction.SIGN_ON_LINKED, target=person(user), new=f"{issuer} ({how})")
    return user


def _plain_id(value, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and invisible_character(value) is None


def _display_name(name: str | None, address: str) -> str:
    """The provider's name for the person, without control characters; else the address's first part."""
    cleaned = " ".join("".join(ch for ch in str(name or "") if invisible_character(ch) is None).split())
    return (cleaned or address.split("@")[0])[:NAME_MAX]


def _unusable_password_hash() -> str:
    """A real argon2 hash of a random secret nobody keeps: no password ever matches it, and checking
    one against it takes as long as against any other account's (so sign-in timing can't tell an
    account without a password). A password reset gives the account a real one later."""
    return hash_password(secrets.token_urlsafe(32))
