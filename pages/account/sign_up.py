"""Customer self-service sign-up. With mail configured the answer is "we sent a link" for any
address, and the mailed link creates the account (helpdesk.accounts.account_links)."""
import streamlit as st

from helpdesk.accounts.account_links import SIGN_UP_SENT, start_sign_up
from helpdesk.accounts.users import NewAccount
from helpdesk.core.errors import ValidationError
from helpdesk.ui.auth import sign_in_as
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import apply_reset, field_error, request_reset
from helpdesk.ui.plain_text import plain

st.title("Create your account")
st.write("With an account you can raise tickets, follow their progress and talk to our agents.")

errors = st.session_state.get("sign_up_errors")
apply_reset("sign_up", {"sign_up_name": "", "sign_up_email": "", "sign_up_password": "", "sign_up_password_repeat": ""})
if st.session_state.get("sign_up_sent"):
    st.success(plain(SIGN_UP_SENT), icon=":material/mark_email_read:")
with st.form("sign_up_form", enter_to_submit=False):
    name = st.text_input("Your name", key="sign_up_name", max_chars=120)
    field_error(errors, "name")
    email = st.text_input("E-mail", key="sign_up_email", max_chars=254)
    field_error(errors, "email")
    password = st.text_input("Password", type="password", key="sign_up_password",
                             help="At least 10 characters, mixing letters with digits or symbols.")
    field_error(errors, "password")
    password_repeat = st.text_input("Password again", type="password", key="sign_up_password_repeat")
    field_error(errors, "password_repeat")
    submitted = st.form_submit_button("Create account", type="primary", key="sign_up_submit")

if submitted:
    try:
        with db_session() as session:
            user = start_sign_up(session=session, data=NewAccount(name, email, password, password_repeat))
            if user is not None:  # no mail to confirm the address with: signed in at once
                sign_in_as(session, user)
    except ValidationError as exc:
        st.session_state["sign_up_errors"] = exc.field_errors
        st.session_state.pop("sign_up_sent", None)
    else:
        st.session_state.pop("sign_up_errors", None)
        if user is None:  # a link went to the address: the form starts empty, the answer stays
            st.session_state["sign_up_sent"] = True
            request_reset("sign_up")
    st.rerun()

st.divider()
st.page_link("pages/account/sign_in.py", label="I already have an account", icon=":material/login:")
