"""First visit to an empty install: create the administrator account."""
import streamlit as st

from helpdesk.accounts.users import NewAccount, create_first_admin
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.ui.auth import sign_in_as
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import field_error

st.title("Welcome to Customer Care Registry")
st.write("This is a new installation. Create the administrator account: it manages agents, "
         "categories and settings. There is no default password; choose a strong one.")

errors = st.session_state.get("setup_errors")
with st.form("setup_form", enter_to_submit=False):
    name = st.text_input("Your name", key="setup_name", max_chars=120)
    field_error(errors, "name")
    email = st.text_input("E-mail", key="setup_email", max_chars=254)
    field_error(errors, "email")
    password = st.text_input("Password", type="password", key="setup_password",
                             help="At least 10 characters, mixing letters with digits or symbols.")
    field_error(errors, "password")
    password_repeat = st.text_input("Password again", type="password", key="setup_password_repeat")
    field_error(errors, "password_repeat")
    submitted = st.form_submit_button("Create administrator", type="primary", key="setup_submit")

if submitted:
    try:
        with db_session() as session:
            admin = create_first_admin(session=session, data=NewAccount(name, email, password, password_repeat))
    except ValidationError as exc:
        st.session_state["setup_errors"] = exc.field_errors
    except PermissionDenied as exc:
        st.session_state["setup_errors"] = {"__all__": str(exc)}
    else:
        st.session_state.pop("setup_errors", None)
        sign_in_as(admin)
    st.rerun()
