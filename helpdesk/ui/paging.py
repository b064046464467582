"""Page-through controls for long lists (one page of rows is all a page ever loads)."""
from __future__ import annotations

import math

import streamlit as st


def page_offset(*, key: str, page_size: int) -> int:
    """The 0-based offset of the page the person chose (read before the query runs)."""
    return (int(st.session_state.get(key, 1)) - 1) * page_size


def page_picker(*, total: int, page_size: int, key: str) -> None:
    """'Page N of M' under the list; jumps back to the last page when filters shrank the list."""
    pages = max(1, math.ceil(total / page_size))
    if int(st.session_state.get(key, 1)) > pages:
        st.session_state[key] = pages
        st.rerun()
    if pages > 1:
        st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=key, width=200)
