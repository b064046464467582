"""The mailed sign-up confirmation (/confirm_sign_up?token=...): the account is created when the
person presses the button (not on opening the address: a mail scanner that fetches links must
not confirm for them), and they are signed in."""
import streamlit as st

from helpdesk.accounts.account_links import confirm_sign_up
from helpdesk.core.errors import ValidationError
from helpdesk.ui.auth import go_on_to, sign_in_as
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import carry_notice
from helpdesk.ui.plain_text import plain

token = st.query_params.get("token", "")
st.title("Confirm your address")
st.write("One step left: create your account, and you can raise your first ticket.")

refused_token, refused = st.session_state.get("confirm_sign_up_refused", (None, None))
if refused and refused_token == token:
    st.warning(plain(refused), icon=":material/link_off:")
    st.page_link("pages/account/sign_up.py", label="Sign up again", icon=":material/person_add:")
    st.page_link("pages/account/sign_in.py", label="Sign in", icon=":material/login:")
    st.stop()

if st.button("Create my account", type="primary", key="confirm_sign_up_submit"):
    try:
        with db_session() as session:
            user = confirm_sign_up(session=session, token=token)
            sign_in_as(session, user)
            name = user.name
    except ValidationError as exc:
        st.session_state["confirm_sign_up_refused"] = (token, str(exc))
        st.rerun()
    else:
        carry_notice(f"Welcome, {name}: your account is ready.")
        go_on_to("submit")
