"""The bar at the top of every page: the person's pages, and who is signed in.

Streamlit's own navigation, in the sidebar or at the top, becomes a drawer on a phone that stays
open over three quarters of the screen after a page is chosen. This bar is ordinary page
content instead: a row of links that wraps on a narrow screen, a section of many pages (an
administrator's) as a menu that closes once a page is chosen, and the account on the right.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from helpdesk.ui.focus_ring import focus_ring

MENU_KEY = "menu_bar_{index}"
LAST_ADDRESS_KEY = "menu_bar__address"


def menu_bar(links: Mapping[str | None, Sequence[st.Page]], *, address: str,
             account: Callable[[], None] | None = None) -> None:
    """links: pages shown as links under None, and menus named by the other keys, in order (an
    empty one is left out).
    account: draws the signed-in part on the right (None when signed out)."""
    # A page was chosen (from a menu, a link or the address bar): every menu closes.
    changed = st.session_state.get(LAST_ADDRESS_KEY) != address
    st.session_state[LAST_ADDRESS_KEY] = address
    focus_ring()  # its links are the first thing Tab reaches on every page
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key="menu_bar"):
        for index, (section, pages) in enumerate(links.items()):
            if section is None:
                for page in pages:
                    st.page_link(page, width="content")
                continue
            if not pages:
                continue
            key = MENU_KEY.format(index=index)
            if changed:
                st.session_state[key] = False
            # on_change makes the open state the app's, so it can be closed above.
            with st.popover(section, key=key, on_change="rerun", icon=":material/menu:"):
                for page in pages:
                    st.page_link(page)
        if account is not None:
            st.space("stretch")
            account()
