"""Customer self-service sign-up."""
import streamlit as st

from helpdesk.accounts.users import NewAccount, sign_up
from helpdesk.core.errors import ValidationError
from helpdesk.ui.auth import sign_in_as
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import field_error

st.title("Create your account")
st.write("With an account you can raise tickets, follow their progress and talk to our agents.")

errors = st.session_state.get("sign_up_errors")
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
            user = sign_up(session=session, data=NewAccount(name, email, password, password_repeat))
            sign_in_as(session, user)
    except ValidationError as exc:
        st.session_state["sign_up_errors"] = exc.field_errors
    else:
        st.session_state.pop("sign_up_errors", None)
    st.rerun()

st.divider()
st.page_link("pages/account/sign_in.py", label="I already have an account", icon=":material/login:")
