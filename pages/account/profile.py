"""Your own settings: name, which e-mails you get, password; for staff, the ratings customers gave you."""
import pandas as pd
import streamlit as st

from helpdesk.accounts.profile import change_password, update_profile
from helpdesk.accounts.sign_in_sessions import active_sessions, end_other_sessions
from helpdesk.core.errors import ValidationError
from helpdesk.tickets.satisfaction import list_agent_ratings
from helpdesk.ui.auth import current_session_id, require_user
from helpdesk.ui.devices import describe_device
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.forms import apply_reset, field_error, request_reset
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.plain_text import plain
from helpdesk.ui.satisfaction import stars

with db_session() as session:
    user = require_user(session)
    ratings = list_agent_ratings(session=session, actor=user) if user.is_staff else None
    signed_in = active_sessions(session=session, actor=user)

st.title("Profile")
show_notice("profile_notice")
# As text, not a caption: Markdown would turn the address into a mailto link, faded below 4.5:1.
st.text(f"Signed in as {user.email}")

errors = st.session_state.get("profile_errors")
with st.form("profile_form", enter_to_submit=False):
    name = st.text_input("Name", value=user.name, key="profile_name", max_chars=120)
    field_error(errors, "name")
    wants_optional = st.checkbox(
        "E-mail me about every update", value=user.wants_optional_email, key="profile_optional_email",
        help="When off, you still get the essential mails: the confirmation of a new ticket and its resolution.")
    saved = st.form_submit_button("Save", type="primary", key="profile_save")
if saved:
    try:
        with db_session() as session:
            update_profile(session=session, actor=user, name=name, wants_optional_email=wants_optional)
    except ValidationError as exc:
        st.session_state["profile_errors"] = exc.field_errors
    else:
        st.session_state.pop("profile_errors", None)
        leave_notice("profile_notice", "Your profile was saved.")
    st.rerun()

password_errors = st.session_state.get("password_errors")
apply_reset("password", {"password_current": "", "password_new": "", "password_new_repeat": ""})
with st.form("password_form", enter_to_submit=False):
    st.markdown("**Change password**")
    current = st.text_input("Current password", type="password", key="password_current")
    field_error(password_errors, "current")
    new = st.text_input("New password", type="password", key="password_new",
                        help="At least 10 characters, mixing letters with digits or symbols.")
    field_error(password_errors, "new")
    new_repeat = st.text_input("New password again", type="password", key="password_new_repeat")
    field_error(password_errors, "new_repeat")
    changed = st.form_submit_button("Change password", key="password_save")
if changed:
    try:
        with db_session() as session:
            change_password(session=session, actor=user, current=current, new=new, new_repeat=new_repeat,
                            keep_session_id=current_session_id())
    except ValidationError as exc:
        st.session_state["password_errors"] = exc.field_errors
    else:
        st.session_state.pop("password_errors", None)
        request_reset("password")
        leave_notice("profile_notice", "Your password was changed; you were signed out everywhere else.")
    st.rerun()

with st.container(border=True, key="profile_sessions"):
    st.markdown("**Where you are signed in**")
    here = current_session_id()
    for row in signed_in:
        label = plain(describe_device(row.device))
        st.markdown(f"{label}{' · **this browser**' if row.id == here else ''}")
        st.caption(f"Signed in {when(row.created_at)} · last active {when(row.last_seen_at)}"
                   + ("" if row.persistent else " · until the browser closes"))
    others = [row for row in signed_in if row.id != here]
    if not others:
        st.caption("No other sign-ins.")
    if others and here is not None and st.button("Sign out everywhere else", key="profile_sign_out_others",
                                                 icon=":material/logout:"):
        with db_session() as session:
            ended = end_other_sessions(session=session, actor=user, current_id=here)
        leave_notice("profile_notice", f"Signed out of {ended} other sign-in{'s' if ended != 1 else ''}.")
        st.rerun()

if ratings is not None:
    with st.container(border=True, key="profile_ratings"):
        st.markdown("**Your satisfaction ratings**")
        st.caption("What customers said about the tickets you had when they were resolved.")
        if not ratings.count:
            st.caption("No ratings yet.")
        else:
            with st.container(horizontal=True):
                st.metric("Ratings", f"{ratings.count:,}")
                st.metric("Average", f"{ratings.average:.1f} / 5")
                st.metric("Rated 4 or 5", f"{ratings.satisfied / ratings.count:.0%}")
            st.dataframe(pd.DataFrame([{
                "Ticket": r.reference, "Subject": r.ticket_subject, "Score": stars(r.score),
                "Why": "; ".join(reason.label for reason in r.reasons), "Comment": r.comment,
                "Rated": when(r.rated_at)} for r in ratings.latest]),
                hide_index=True, key="profile_ratings_table", width="stretch")
            if ratings.count > len(ratings.latest):
                st.caption(f"The latest {len(ratings.latest)} of {ratings.count:,}.")
