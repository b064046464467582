"""Optimistic locking across Streamlit reruns: which version of a ticket the person has open.

The version is kept per ticket in st.session_state and passed to every save as
`expected_version`. A fresh visit (first time, another ticket, or back from another page,
which drops the page's widgets) or a refused save starts again from the ticket as it is now;
our own saves move the kept version on, so our next save is not taken for someone else's."""
from __future__ import annotations

import streamlit as st

from helpdesk.tickets.lifecycle import CONFLICT


def version_key(prefix: str, ticket_id: int) -> str:
    return f"{prefix}_version_{ticket_id}"


def remember_version(prefix: str, ticket_id: int, version: int) -> None:
    """After our own save (also from a callback, where there is no lock object yet)."""
    st.session_state[version_key(prefix, ticket_id)] = version


def mark_conflict(prefix: str, ticket_id: int, where: str | None = None) -> None:
    """Someone else changed the ticket: the next run shows the fresh state and says so (at `where`)."""
    st.session_state[f"{prefix}_conflict"] = ticket_id
    if where is not None:
        st.session_state[f"{prefix}_conflict_at"] = where


class EditLock:
    """Read once per run, before the page draws its fields.

    `widget_key`: one of the page's own widgets; when it is missing the page was left and its
    widgets dropped, so this run is a fresh visit."""

    def __init__(self, prefix: str, ticket, *, widget_key: str):
        self.prefix, self.ticket_id = prefix, ticket.id
        state = st.session_state
        self.fresh_visit = state.get(f"{prefix}_current") != ticket.id or widget_key not in state
        state[f"{prefix}_current"] = ticket.id
        self.conflict = state.pop(f"{prefix}_conflict", None) == ticket.id
        key = version_key(prefix, ticket.id)
        if self.fresh_visit or self.conflict or key not in state:
            state[key] = ticket.version
        self.seen_version: int = state[key]

    def saved(self, version: int) -> None:
        remember_version(self.prefix, self.ticket_id, version)

    def conflicted(self, where: str) -> None:
        mark_conflict(self.prefix, self.ticket_id, where)

    def show_conflict(self, where: str | None = None) -> None:
        """The conflict message at the top (`where` None), or repeated where the person clicked:
        the top of the page may be scrolled away."""
        if self.conflict and (where is None or st.session_state.get(f"{self.prefix}_conflict_at") == where):
            st.error(CONFLICT, icon=":material/sync_problem:")
