"""A success message that survives the st.rerun() after a save, shown once on the next run."""
from __future__ import annotations

import streamlit as st

from helpdesk.ui.plain_text import plain


def leave_notice(key: str, text: str) -> None:
    st.session_state[key] = text


def show_notice(key: str) -> None:
    text = st.session_state.pop(key, None)
    if text:
        st.success(plain(text), icon=":material/check_circle:")
