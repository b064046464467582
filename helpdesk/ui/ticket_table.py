"""A table of tickets in which a click on a ticket opens it and, where several can be changed at
once, the boxes in front of the rows choose them (the box in the header: the whole page).

Streamlit reports a selection by row position in the table as the browser showed it. Rows move
between two runs (a ticket someone else changed leaves the view, a new one comes in), so the
positions are read against the ids shown last time, the choice is kept as ticket ids, and the
boxes are set again for where those tickets are now: a box never ends up on another ticket.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

NO_SELECTION = {"rows": [], "columns": [], "cells": []}


@dataclass(frozen=True)
class TableChoice:
    opened: int | None = None  # the ticket clicked on
    chosen: list[int] = field(default_factory=list)  # the tickets ticked, in table order
    dropped: list[int] = field(default_factory=list)  # ticked before, no longer in the table


def _shown_key(key: str) -> str:
    return f"{key}__shown_ids"


def clear_choice(key: str) -> None:
    """Untick every box (after a bulk change went through). Call before the table is drawn."""
    st.session_state[key] = {"selection": dict(NO_SELECTION)}


def ticket_table(data, *, key: str, ids: list[int], can_choose: bool, **dataframe_options) -> TableChoice:
    """Draw `data` (a DataFrame or its Styler; row i is ticket ids[i]) and say what was done with it."""
    shown_before = st.session_state.get(_shown_key(key)) or ids
    selection = (st.session_state.get(key) or {}).get("selection") or NO_SELECTION
    at = lambda position: shown_before[position] if 0 <= position < len(shown_before) else None  # noqa: E731
    opened = next((at(row) for row, _column in selection.get("cells", []) if at(row) is not None), None)
    ticked = [at(position) for position in selection.get("rows", []) if at(position) is not None]
    chosen = [ticket_id for ticket_id in ids if ticket_id in ticked] if can_choose else []
    dropped = [ticket_id for ticket_id in ticked if ticket_id not in ids] if can_choose else []
    # The boxes as they are to be seen now: on the chosen tickets, wherever they moved.
    st.session_state[key] = {"selection": {**NO_SELECTION, "rows": [ids.index(i) for i in chosen]}}
    st.session_state[_shown_key(key)] = list(ids)
    st.dataframe(data, key=key, on_select="rerun", hide_index=True,
                 selection_mode=["multi-row", "single-cell"] if can_choose else "single-cell", **dataframe_options)
    return TableChoice(opened=opened, chosen=chosen, dropped=dropped)
