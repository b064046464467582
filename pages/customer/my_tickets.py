"""The customer's own tickets, newest first, with status filter and search."""
import pandas as pd
import streamlit as st

from helpdesk.enums import TicketStatus
from helpdesk.tickets.customer import list_customer_tickets
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import status_text, when
from helpdesk.ui.paging import page_offset, page_picker
from helpdesk.ui.ticket_table import ticket_table

PAGE_SIZE = 25

st.title("My tickets")

filter_status, filter_search = st.columns([1, 2])
status = filter_status.selectbox("Status", options=[None, *TicketStatus], key="my_tickets_status",
                                 format_func=lambda s: "All statuses" if s is None else s.label)
search = filter_search.text_input("Search", key="my_tickets_search",
                                  placeholder="Words from the subject, or a reference like CCR-000042")

with db_session() as session:
    user = require_user(session)
    offset = page_offset(key="my_tickets_page", page_size=PAGE_SIZE)
    page = list_customer_tickets(session=session, actor=user, status=status, search=search,
                                 limit=PAGE_SIZE, offset=offset)
    total = page.total
    rows = [{
        "id": t.id,
        "Reference": t.reference,
        "Subject": t.subject,
        "Status": status_text(t.status),
        "Priority": t.priority.label,
        "Category": t.category.name,
        "Created": when(t.created_at),
        "Last update": when(t.updated_at),
    } for t in page.rows]

if total == 0:
    if status is None and not search.strip():
        st.info("You have no tickets yet.")
        st.page_link("pages/customer/submit_ticket.py", label="Submit your first ticket", icon=":material/edit_note:")
    else:
        st.info("No tickets match these filters.")
    st.stop()

page_picker(total=total, page_size=PAGE_SIZE, key="my_tickets_page")
first, last = offset + 1, offset + len(rows)
st.caption(f"Showing {first:,}–{last:,} of {total:,} ticket{'s' if total != 1 else ''}. "
           "Click a ticket to open it.")
# The same choice without the table, for keyboards and screen readers; above the table, because Tab
# from Streamlit's table (a canvas) drops focus to the page itself, so nothing after it is reached.
open_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
chosen_id = open_col.selectbox("Open a ticket", options=[r["id"] for r in rows], key="my_tickets_open",
                               format_func=lambda i: next(f"{r['Reference']} — {r['Subject']}" for r in rows
                                                          if r["id"] == i))
if button_col.button("Open", key="my_tickets_open_button", icon=":material/open_in_new:"):
    st.switch_page("pages/customer/ticket.py", query_params={"ticket": str(chosen_id)})
table = pd.DataFrame(rows)
choice = ticket_table(table, key="my_tickets_table", ids=[r["id"] for r in rows], can_choose=False,
                      column_order=[c for c in table.columns if c != "id"], width="stretch")
if choice.opened is not None:
    st.switch_page("pages/customer/ticket.py", query_params={"ticket": str(choice.opened)})

