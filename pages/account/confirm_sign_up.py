"""The mailed sign-up confirmation (/confirm_sign_up?token=...): the account is created when the
person types the password they chose at sign-up and presses the button (not on opening the
address: a mail scanner that fetches links must not confirm for them), and they are signed in."""
import streamlit as st

from helpdesk.accounts.account_links import LINK_UNUSABLE, confirm_sign_up, sign_up_address
from helpdesk.core.errors import ValidationError
from helpdesk.ui.auth import go_on_to, sign_in_as, signed_in
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import carry_notice
from helpdesk.ui.forms import field_error
from helpdesk.ui.plain_text import plain

token = st.query_params.get("token", "")
st.title("Confirm your address")
with db_session() as session:
    address = sign_up_address(session=session, token=token)

refused_token, refused = st.session_state.get("confirm_sign_up_refused", (None, None))
if address is None or (refused and refused_token == token):
    st.warning(plain(refused if refused and refused_token == token else LINK_UNUSABLE), icon=":material/link_off:")
    if not signed_in():  # a signed-in person has neither page
        st.page_link("pages/account/sign_up.py", label="Sign up again", icon=":material/person_add:")
        st.page_link("pages/account/sign_in.py", label="Sign in", icon=":material/login:")
    st.stop()

st.write(f"One step left: type the password you chose when you signed up, and the account for "
         f"**{plain(address)}** is ready for your first ticket.")
errors = st.session_state.get("confirm_sign_up_errors")
with st.form("confirm_sign_up_form", enter_to_submit=True):
    password = st.text_input("Password", type="password", key="confirm_sign_up_password",
                             autocomplete="current-password")
    field_error(errors, "password")
    confirmed = st.form_submit_button("Create my account", type="primary", key="confirm_sign_up_submit")

if confirmed:
    try:
        with db_session() as session:
            user = confirm_sign_up(session=session, token=token, password=password)
            sign_in_as(session, user)
            name = user.name
    except ValidationError as exc:
        if "password" in exc.field_errors:
            st.session_state["confirm_sign_up_errors"] = exc.field_errors
        else:
            st.session_state["confirm_sign_up_refused"] = (token, str(exc))
        st.rerun()
    else:
        st.session_state.pop("confirm_sign_up_errors", None)
        carry_notice(f"Welcome, {name}: your account is ready.")
        go_on_to("submit")
