"""The ticket's satisfaction ratings, read-only: each resolution's request, its answer and the
agent credited (the assignee when the rating was asked for). Agents never rate."""
from __future__ import annotations

import streamlit as st

from helpdesk.tickets.satisfaction import TicketSatisfaction
from helpdesk.ui.format import when
from helpdesk.ui.plain_text import plain
from helpdesk.ui.satisfaction import show_rating


def satisfaction_box(csat: TicketSatisfaction) -> None:
    if not csat.requests:
        return
    with st.container(border=True, key="agent_satisfaction"):
        st.markdown("#### Satisfaction")
        for position, request in enumerate(csat.requests):
            if position:
                st.divider()
            credited = plain(request.agent_name or "nobody (unassigned)")
            if request.answered:
                show_rating(request, for_staff=True)
            elif request.lapsed_at is not None:
                st.caption(f"Asked {when(request.requested_at)} (credited to {credited}); lapsed unanswered "
                           f"when the ticket was reopened {when(request.lapsed_at)}.")
            else:
                st.caption(f"Asked {when(request.requested_at)} (credited to {credited}); no answer yet.")
