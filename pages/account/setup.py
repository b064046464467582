"""First visit to an empty install: the administrator account and the ticket categories."""
import streamlit as st

from helpdesk.accounts.users import NewAccount
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.first_run import STARTER_CATEGORIES, category_names, set_up_helpdesk
from helpdesk.ui.auth import sign_in_as
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import carry_error
from helpdesk.ui.forms import field_error, form_errors

st.title("Welcome to Customer Care Registry")
st.write("This is a new installation. Create the administrator account: it manages agents, "
         "categories and settings. There is no default password; choose a strong one.")

st.session_state.setdefault("setup_categories", "\n".join(STARTER_CATEGORIES))
errors = st.session_state.get("setup_errors")
form_errors(errors)
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
    categories = st.text_area("Ticket categories, one per line", key="setup_categories", height=140,
                              help="What customers choose from when they raise a ticket. "
                                   "You can change them later on the Categories page.")
    field_error(errors, "categories")
    submitted = st.form_submit_button("Create administrator", type="primary", key="setup_submit")

if submitted:
    try:
        with db_session() as session:
            admin = set_up_helpdesk(session=session, admin=NewAccount(name, email, password, password_repeat),
                                    categories=category_names(categories))
            sign_in_as(session, admin)
    except ValidationError as exc:
        st.session_state["setup_errors"] = exc.field_errors
    except PermissionDenied as exc:  # someone else finished setup meanwhile: the next run is sign-in
        st.session_state.pop("setup_errors", None)
        carry_error(str(exc))
    else:
        st.session_state.pop("setup_errors", None)
    st.rerun()
