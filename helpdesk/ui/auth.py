"""Who is signed in. A sign-in opens a session (helpdesk.accounts.sign_in_sessions) that the
browser keeps in an HttpOnly cookie (set by helpdesk/ui/session_routes.py), so a reload, a new
tab or a browser restart stays signed in; st.session_state holds only the user's and the
session's ids. Every run checks the session again: a revoked or expired one signs the person
out on that click."""
from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from helpdesk.access import ensure_admin, ensure_reports_reader
from helpdesk.accounts.sign_in_sessions import code_pending, end_session, open_session, resume
from helpdesk.accounts.users import get_active_user
from helpdesk.core.errors import PermissionDenied
from helpdesk.models import User
from helpdesk.ui.raise_ticket import AFTER_SIGN_IN
from helpdesk.ui.session_routes import SESSION_COOKIE, SIGN_OUT_PATH, START_PATH

USER_ID_KEY = "user_id"
SESSION_KEY = "sign_in_session_id"
# Set by a sign-out: this connection's cookie (read once per connection) is not looked at again.
SIGNED_OUT_KEY = "signed_out_here"
# A browser step still to take on the next run: ("start", code) or ("sign_out", "").
COOKIE_STEP_KEY = "sign_in_cookie_step"


# The browser's step: a request to the cookie's route from this page (the cookie is HttpOnly, so
# no script of the page ever sees it; the route answers nothing a script could read either).
_COOKIE_STEP_JS = """
export default function ({ data }) {
  fetch(data.path, { method: "POST", body: data.body, credentials: "same-origin", cache: "no-store" })
    .catch(() => null);
}
"""
_cookie_step = st.components.v2.component("helpdesk_cookie_step", js=_COOKIE_STEP_JS)


def _forget() -> None:
    st.session_state.pop(USER_ID_KEY, None)
    st.session_state.pop(SESSION_KEY, None)


def current_user(session: Session) -> User | None:
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:  # this connection signed in, or found its cookie, before
        found = resume(session=session, session_id=session_id)
    elif (token := st.context.cookies.get(SESSION_COOKIE)) and not st.session_state.get(SIGNED_OUT_KEY):
        found = resume(session=session, token=token)  # a reload, a new tab, a restarted browser
    else:
        found = None
    if session_id is not None and found is not None and found.user_id != st.session_state.get(USER_ID_KEY):
        found = None  # an id that is no longer this connection's sign-in (a rolled-back sign-in's id reused)
    if session_id is not None or found is not None:
        user = get_active_user(session=session, user_id=found.user_id) if found is not None else None
        if user is None:  # signed out elsewhere, expired, deactivated: signed out here too
            _forget()
            return None
        st.session_state[USER_ID_KEY], st.session_state[SESSION_KEY] = user.id, found.id
        return user
    user_id = st.session_state.get(USER_ID_KEY)
    if user_id is None:
        return None
    # Only the tests' harness sets the user without a session (every sign-in below opens one).
    user = get_active_user(session=session, user_id=user_id)
    if user is None:
        _forget()
    return user


def sign_in_as(session: Session, user: User, *, keep_signed_in: bool = True) -> None:
    """`user` (whose password was just checked) is signed in here; the next run hands the browser
    its cookie."""
    device = st.context.headers.get("User-Agent", "") if st.context.headers else ""
    opened, code = open_session(session=session, user=user, persistent=keep_signed_in, device=device)
    st.session_state[USER_ID_KEY], st.session_state[SESSION_KEY] = user.id, opened.id
    st.session_state[COOKIE_STEP_KEY] = ("start", code)
    st.session_state.pop(SIGNED_OUT_KEY, None)


def go_on_to(address: str) -> None:
    """After sign_in_as in this run: the next run, which has the person's own pages, opens
    `address` (this run's navigation was a visitor's and can't switch to it)."""
    st.session_state[AFTER_SIGN_IN] = (address, {})
    st.rerun()


def signed_in() -> bool:
    """Whether this run's person is signed in (the navigation checked it with current_user before
    the page runs). The pages everyone may open (a mailed link's) link to sign-in and sign-up only
    for a visitor: a signed-in person has no such page, and a link to it fails."""
    return st.session_state.get(USER_ID_KEY) is not None


def current_session_id() -> int | None:
    return st.session_state.get(SESSION_KEY)


def sign_out(session: Session) -> None:
    """This browser's session ends (in every tab, on its next click) and its cookie is deleted."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        end_session(session=session, session_id=session_id)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[SIGNED_OUT_KEY] = True
    st.session_state[COOKIE_STEP_KEY] = ("sign_out", "")


def cookie_step(session: Session) -> None:
    """Takes the browser step a sign-in or a sign-out left (_COOKIE_STEP_JS). A sign-in's step is
    drawn again on each run until its code is used or too old, so a run cut short (a switch to
    another page, a rerun) before the step reached the browser loses nothing."""
    step = st.session_state.get(COOKIE_STEP_KEY)
    if step is None:
        return
    what, code = step
    session_id = st.session_state.get(SESSION_KEY)
    if what != "start" or session_id is None or not code_pending(session=session, session_id=session_id):
        st.session_state.pop(COOKIE_STEP_KEY, None)
        if what == "start":
            return
    path, body = (START_PATH, code) if what == "start" else (SIGN_OUT_PATH, "")
    _cookie_step(height=0, data={"path": path, "body": body})


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
