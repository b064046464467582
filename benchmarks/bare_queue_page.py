"""The yardstick for benchmarks/bench_clicks.py: a bare Streamlit page that runs the queue's own
query (`list_queue`, the same indexed count + page) and shows the same 25 rows in st.dataframe,
with a view radio and a page number, and nothing else: no sign-in, navigation, filters, styling
or bulk changes. Whatever the real queue takes beyond this page per click is the app's own work.

    HELPDESK_DATABASE_URL=sqlite:////tmp/seed1m.db BARE_PAGE_ACTOR_ID=42 \
        python -m streamlit run benchmarks/bare_queue_page.py

With BARE_PAGE_FREEZE_GC=1 it also sets aside its long-lived objects as the app does
(helpdesk/ui/long_lived.py), so Streamlit's collection after each run is as cheap as the app's:
the comparison is then of the pages' own work alone.
"""
import os

import pandas as pd
import streamlit as st

from helpdesk.core.db import make_engine, session_scope
from helpdesk.ui.long_lived import freeze_long_lived
from helpdesk.models import User
from helpdesk.tickets.queue import QueueView, list_queue


@st.cache_resource
def engine():
    return make_engine()


if os.environ.get("BARE_PAGE_FREEZE_GC") == "1":
    freeze_long_lived()

views = [QueueView.ALL_OPEN, QueueView.UNASSIGNED, QueueView.BREACHING_SOON]
view = st.radio("View", options=views, format_func=lambda v: v.label, horizontal=True, key="bare_view",
                on_change=lambda: st.session_state.update(bare_page=1))  # a new view starts on page 1, as the queue
with session_scope(engine()) as session:
    actor = session.get(User, int(os.environ["BARE_PAGE_ACTOR_ID"]))
    queue = list_queue(session=session, actor=actor, view=view, page=int(st.session_state.get("bare_page", 1)))
st.markdown(f"**{view.label}: {queue.total:,} tickets** · page {queue.page:,} of {queue.page_count:,}")
st.dataframe(pd.DataFrame([{"Reference": r.reference, "Subject": r.subject, "Customer": r.customer_name,
                            "Priority": r.priority.label, "Status": r.status.label,
                            "Agent": r.assignee_name or "Unassigned", "E-mail": r.customer_email}
                           for r in queue.rows]), hide_index=True, key="bare_table")
st.number_input("Page", min_value=1, max_value=queue.page_count, step=1, key="bare_page")
