"""Forgotten passwords. /reset_password asks for a link by e-mail (the answer never says whether
the address has an account); the mailed /reset_password?token=... opens the form that sets the
new password, ends every other sign-in of the person and signs them in here."""
import streamlit as st

from helpdesk.accounts.account_links import LINK_UNUSABLE, request_password_reset, reset_link_holder, reset_password
from helpdesk.core.errors import ValidationError
from helpdesk.notifications.smtp_settings import mail_configured
from helpdesk.ui.auth import go_on_to, sign_in_as, signed_in
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import carry_notice
from helpdesk.ui.forms import field_error, form_errors
from helpdesk.ui.plain_text import plain

PASSWORD_CHANGED = "Your new password is set. Every other sign-in of your account was ended."

token = st.query_params.get("token", "")
st.title("Choose a new password")

if not token:
    st.write("Type the e-mail address of your account and we'll send it a link to choose a new password.")
    if not mail_configured():  # says nothing about any account: only that no link can go out yet
        st.info("This helpdesk can't send mail yet, so the link would wait until it can. If you can't "
                "wait, ask an administrator to set up mail or to help you in.", icon=":material/info:")
    errors = st.session_state.get("forgot_errors")
    with st.form("forgot_form", enter_to_submit=True):
        email = st.text_input("E-mail", key="forgot_email", max_chars=254, autocomplete="email")
        field_error(errors, "email")
        asked = st.form_submit_button("Send me a link", type="primary", key="forgot_submit")
    if asked:
        try:
            with db_session() as session:
                answer = request_password_reset(session=session, email=email)
        except ValidationError as exc:
            st.session_state["forgot_errors"] = exc.field_errors
            st.session_state.pop("forgot_answer", None)
        else:
            st.session_state.pop("forgot_errors", None)
            st.session_state["forgot_answer"] = answer
        st.rerun()
    if answer := st.session_state.get("forgot_answer"):
        st.success(plain(answer), icon=":material/mark_email_read:")
    if not signed_in():  # a signed-in person (the owner told of a sign-up with their address) has no sign-in page
        st.page_link("pages/account/sign_in.py", label="Back to sign-in", icon=":material/login:")
    st.stop()

with db_session() as session:
    holder = reset_link_holder(session=session, token=token)
    holder_email = holder.email if holder is not None else None

if holder_email is None:
    st.session_state.pop("reset_errors", None)
    st.warning(plain(LINK_UNUSABLE), icon=":material/link_off:")
    st.page_link("pages/account/reset_password.py", label="Ask for a new link", icon=":material/key:",
                 query_params={})
    st.stop()

st.write(f"A new password for **{plain(holder_email)}**.")
errors = st.session_state.get("reset_errors")
with st.form("reset_form", enter_to_submit=False):
    form_errors(errors)
    new = st.text_input("New password", type="password", key="reset_new", autocomplete="new-password",
                        help="At least 10 characters; not a common one, and not built from your name or e-mail.")
    field_error(errors, "new")
    new_repeat = st.text_input("New password again", type="password", key="reset_new_repeat",
                               autocomplete="new-password")
    field_error(errors, "new_repeat")
    chosen = st.form_submit_button("Set the new password", type="primary", key="reset_submit")

if chosen:
    try:
        with db_session() as session:
            user = reset_password(session=session, token=token, new=new, new_repeat=new_repeat)
            sign_in_as(session, user)
    except ValidationError as exc:
        st.session_state["reset_errors"] = exc.field_errors
        st.rerun()
    else:
        st.session_state.pop("reset_errors", None)
        carry_notice(PASSWORD_CHANGED)
        go_on_to("profile")  # every role has it; it lists where they are signed in
