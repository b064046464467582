"""A person's own settings: display name, optional e-mails, password."""
from __future__ import annotations

from sqlalchemy.orm import Session

from helpdesk.accounts.sign_in_sessions import end_sessions_of
from helpdesk.core.text_checks import text_problem
from helpdesk.access import ensure_active
from helpdesk.accounts.passwords import hash_password, password_problem, verify_password
from helpdesk.core.errors import ValidationError
from helpdesk.models import User


def update_profile(*, session: Session, actor: User, name: str, wants_optional_email: bool) -> User:
    actor = ensure_active(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter your name."})
    if len(name) > 120:
        raise ValidationError({"name": "Use at most 120 characters."})
    if problem := text_problem(name):
        raise ValidationError({"name": problem})
    user = session.get(User, actor.id)
    user.name = name
    user.wants_optional_email = wants_optional_email
    session.flush()
    return user


def change_password(*, session: Session, actor: User, current: str, new: str, new_repeat: str,
                    keep_session_id: int | None = None) -> None:
    """A new password; every other sign-in of the person ends (the one they changed it in,
    `keep_session_id`, stays: they have just proved they know it)."""
    actor = ensure_active(actor)
    user = session.get(User, actor.id)
    errors = {}
    if not verify_password(user.password_hash, current):
        errors["current"] = "That is not your current password."
    problem = password_problem(new, user_inputs=(user.name, user.email))
    if problem:
        errors["new"] = problem
    elif new != new_repeat:
        errors["new_repeat"] = "The two passwords differ."
    if errors:
        raise ValidationError(errors)
    user.password_hash = hash_password(new)
    end_sessions_of(session=session, user_id=user.id, keep=keep_session_id)
    session.flush()
