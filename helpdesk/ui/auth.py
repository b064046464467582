"""Who is signed in: only the user id lives in st.session_state; the row is re-read each run."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from helpdesk.access import ensure_admin, ensure_reports_reader
from helpdesk.accounts.users import get_active_user
from helpdesk.core.errors import PermissionDenied
from helpdesk.models import User

USER_ID_KEY = "user_id"


def current_user(session: Session) -> User | None:
    user_id = st.session_state.get(USER_ID_KEY)
    if user_id is None:
        return None
    user = get_active_user(session=session, user_id=user_id)
    if user is None:  # deactivated or deleted since sign-in
        st.session_state.pop(USER_ID_KEY, None)
    return user


def sign_in_as(user: User) -> None:
    st.session_state[USER_ID_KEY] = user.id


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def require_user(session: Session) -> User:
    """The signed-in user, or stop the page (navigation normally prevents this)."""
    user = current_user(session)
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    return user


def _require(session: Session, ensure, who: str, to: str) -> User:
    """The signed-in user if `ensure` lets them through, or one refusal ("Only {who} can {to}.")
    and stop. Navigation hides these pages from others; this covers opening one directly."""
    user = require_user(session)
    try:
        ensure(user)
    except PermissionDenied:
        st.error(f"Only {who} can {to}.")
        st.stop()
    return user


def require_admin(session: Session, *, to: str) -> User:
    return _require(session, ensure_admin, "administrators", to)


def require_reports_reader(session: Session, *, to: str) -> User:
    """Analytics and the audit log: managers and administrators."""
    return _require(session, ensure_reports_reader, "managers and administrators", to)
