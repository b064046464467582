"""Administrators: automatic assignment on/off, when resolved tickets close by themselves, and
whether single sign-on may link to existing accounts by verified e-mail."""
import streamlit as st

from helpdesk.core.errors import ValidationError
from helpdesk.settings import (
    MAX_AUTO_CLOSE_DAYS,
    get_settings,
    set_auto_assign,
    set_auto_close_days,
    set_link_sign_on_by_email,
)
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import field_error
from helpdesk.ui.notices import leave_notice, show_notice

with db_session() as session:
    actor = require_admin(session, to="change settings")
    current = get_settings(session=session)

st.title("Settings")
show_notice("settings_notice")

errors = st.session_state.get("settings_errors")
with st.form("settings_form", enter_to_submit=False):
    st.markdown("**Automatic assignment**")
    auto_assign = st.toggle("Assign new tickets automatically", value=current.auto_assign, key="settings_auto_assign")
    st.caption("A new ticket goes to the active agent with the fewest open tickets among those who handle its "
               "category (set on the Agent skills page); ties take turns. When nobody handles the category, or "
               "this is off, the ticket waits in the Unassigned view.")
    st.markdown("**Closing resolved tickets**")
    close_days = st.number_input("Close resolved tickets after this many days", min_value=1,
                                 max_value=MAX_AUTO_CLOSE_DAYS, step=1, value=current.auto_close_days,
                                 key="settings_auto_close_days")
    field_error(errors, "auto_close_days")
    st.caption("A customer can reopen a resolved ticket by replying until then. Closing is done by "
               "`python -m helpdesk maintenance`; run it regularly, e.g. hourly from cron.")
    st.markdown("**Single sign-on**")
    link_sign_on = st.toggle("Link single sign-on to existing accounts by verified e-mail",
                             value=current.link_sign_on_by_email, key="settings_link_sign_on")
    st.caption("Applies when a sign-in provider is set up in `.streamlit/secrets.toml` [auth]. On: someone who "
               "signs in with a provider for the first time gets the account that has their e-mail, if the provider "
               "says it has verified that address. Off: they are asked to sign in with their password. Either way "
               "the role stays the one given here, and someone new gets a customer account.")
    saved = st.form_submit_button("Save settings", type="primary", key="settings_save")
if saved:
    try:
        with db_session() as session:
            set_auto_assign(session=session, actor=actor, enabled=auto_assign)
            set_auto_close_days(session=session, actor=actor, days=int(close_days))
            set_link_sign_on_by_email(session=session, actor=actor, enabled=link_sign_on)
    except ValidationError as exc:
        st.session_state["settings_errors"] = exc.field_errors
    else:
        st.session_state.pop("settings_errors", None)
        leave_notice("settings_notice", "Saved the settings.")
    st.rerun()
