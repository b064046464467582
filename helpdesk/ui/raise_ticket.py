"""The way from the help center to the submit form, for whoever is reading: a customer goes
straight there, a visitor signs in (or signs up) first and then lands there, staff are offered
nothing (they don't raise tickets). When the assistant hands over, the form starts filled in
from the conversation and knows which conversation to attach.

A visitor is taken on after sign-in by streamlit_app.py, which reads AFTER_SIGN_IN the same way
for a mailed ticket link opened while signed out."""
from __future__ import annotations

import streamlit as st

from helpdesk.models import User
from helpdesk.ui.errors import carry_notice

AFTER_SIGN_IN = "after_sign_in"  # (address, query parameters): where to go once signed in
SUBMIT_ADDRESS = "submit"
SUBMIT_PAGE = "pages/customer/submit_ticket.py"
SIGN_IN_PAGE = "pages/account/sign_in.py"
# The submit form's own keys (pages/customer/submit_ticket.py).
SUBJECT_KEY = "submit_subject"
DESCRIPTION_KEY = "submit_description"
CHAT_KEY = "submit_chat_key"  # the conversation to attach to the ticket once it is raised
SIGN_IN_FIRST = "Sign in, or create an account, to raise your ticket. You'll go straight on to it."


def sign_in_then(address: str, query_params: dict[str, str] | None = None, *, notice: str) -> None:
    """Send a visitor to sign in, and on to `address` once they have."""
    st.session_state[AFTER_SIGN_IN] = (address, dict(query_params or {}))
    carry_notice(notice)
    st.switch_page(SIGN_IN_PAGE)


def go_to_submit(user: User | None) -> None:
    if user is None:
        sign_in_then(SUBMIT_ADDRESS, notice=SIGN_IN_FIRST)
    st.switch_page(SUBMIT_PAGE)


def start_submit_form(user: User | None, *, subject: str, description: str, chat_key: str) -> None:
    """Open the submit form filled in from a conversation with the assistant. The values wait
    in session state under the form's widget keys (through a sign-in, for a visitor), and the
    widgets start from them."""
    st.session_state[SUBJECT_KEY] = subject
    st.session_state[DESCRIPTION_KEY] = description
    st.session_state[CHAT_KEY] = chat_key
    st.session_state.pop("submit_errors", None)  # an earlier attempt's messages are not about this one
    go_to_submit(user)


def offer_ticket(user: User | None, *, key: str) -> None:
    """"Submit a ticket" for a customer, "Sign in to raise a ticket" for a visitor, nothing for staff."""
    if user is None:
        if st.button("Sign in to raise a ticket", key=key, icon=":material/login:"):
            go_to_submit(None)
    elif not user.is_staff:
        st.page_link(SUBMIT_PAGE, label="Submit a ticket", icon=":material/edit_note:")
