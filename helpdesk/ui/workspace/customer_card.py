"""Who raised the ticket, and their other tickets (a click opens one)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from helpdesk.models import Ticket, User
from helpdesk.ui.format import when

AGENT_TICKET_PAGE = "pages/agent/ticket.py"


def customer_card(ticket: Ticket, customer: User, others: list[Ticket]) -> None:
    with st.container(border=True, key="agent_customer"):
        st.markdown("#### Customer")
        st.text(customer.name)
        st.text(customer.email)
        st.caption(f"Customer since {when(customer.created_at)}")
        if not others:
            st.caption("No other tickets from this customer.")
            return
        st.caption(f"Their other tickets (latest {len(others)}). Click one to open it.")
        other_rows = [{"Reference": o.reference, "Status": o.status.label, "Subject": o.subject} for o in others]
        # Keyed per ticket: a row picked here is never still picked on the ticket it opens.
        picked = st.dataframe(pd.DataFrame(other_rows), hide_index=True,
                              key=f"agent_other_tickets_{ticket.id}", on_select="rerun",
                              selection_mode="single-row", width="stretch", height=(len(other_rows) + 1) * 35 + 3,
                              column_order=["Reference", "Subject", "Status"],
                              column_config={"Reference": st.column_config.TextColumn(width=85),
                                             "Subject": st.column_config.TextColumn(width=125),
                                             "Status": st.column_config.TextColumn(width=75)})
        if picked and picked.selection.rows:
            st.switch_page(AGENT_TICKET_PAGE, query_params={"ticket": str(others[picked.selection.rows[0]].id)})
