"""Sign in. Wrong password and unknown e-mail read the same; repeated failures are throttled."""
import streamlit as st

from helpdesk.accounts.users import authenticate
from helpdesk.core.errors import AuthenticationFailed, Throttled
from helpdesk.ui.auth import sign_in_as
from helpdesk.ui.client_address import sign_in_client
from helpdesk.ui.engine import db_session
from helpdesk.ui.plain_text import plain
from helpdesk.ui.single_sign_on import single_sign_on_offer

st.title("Customer Care Registry")
st.write("Sign in to raise a ticket and follow it to resolution.")
single_sign_on_offer()  # "Sign in with ..." when a provider is set up; finishes a sign-in back from one

with st.form("sign_in_form"):
    email = st.text_input("E-mail", key="sign_in_email", max_chars=254)
    password = st.text_input("Password", type="password", key="sign_in_password")
    keep = st.checkbox("Keep me signed in", value=True, key="sign_in_keep",
                       help="Unticked, you are signed out when you close the browser.")
    submitted = st.form_submit_button("Sign in", type="primary", key="sign_in_submit")

if submitted:
    try:
        with db_session() as session:
            user = authenticate(session=session, email=email, password=password, client=sign_in_client())
            sign_in_as(session, user, keep_signed_in=keep)
    except (AuthenticationFailed, Throttled) as exc:
        st.error(plain(str(exc)), icon=":material/lock:")
    else:
        st.rerun()  # the next run goes on to the address asked for (streamlit_app.py)

st.page_link("pages/account/reset_password.py", label="Forgot your password?", icon=":material/key:")

st.divider()
st.write("New here?")
st.page_link("pages/account/sign_up.py", label="Create a customer account", icon=":material/person_add:")
