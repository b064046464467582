"""One ticket as an agent works it: customer, thread with internal notes, reply or note,
canned replies, status / priority / category / agent, SLA clocks and the full history, and the
help center beside it: articles that answer the ticket, similar resolved tickets, and the
conversation with the assistant the ticket was raised from.

No lost updates: the version the agent was looking at is kept per ticket and every save
passes it on; if someone else changed the ticket meanwhile nothing is saved, the fresh
state is shown and whatever the agent typed stays in the box. The reply box, the fields and
the customer card are drawn by helpdesk/ui/workspace/; this page loads, locks and lays out."""
import pandas as pd
import streamlit as st

from helpdesk.core.clock import utcnow
from helpdesk.knowledge.assistant import transcript_for_ticket
from helpdesk.knowledge.related import related_articles, similar_resolved_tickets
from helpdesk.models import parse_reference
from helpdesk.sla import clock as sla_clock
from helpdesk.tickets.assignment import list_assignable_agents
from helpdesk.tickets.canned_replies import list_canned_replies
from helpdesk.tickets.categories import list_categories
from helpdesk.tickets.customer import get_ticket_details
from helpdesk.tickets.satisfaction import get_ticket_satisfaction
from helpdesk.tickets.staff import customer_ticket_history
from helpdesk.ui.address_state import address_of
from helpdesk.ui.auth import require_user
from helpdesk.ui.edit_lock import EditLock
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.history import event_text
from helpdesk.ui.notices import show_notice
from helpdesk.ui.sla_badges import sla_colour, sla_marker
from helpdesk.ui.thread import show_thread, ticket_or_not_found
from helpdesk.ui.workspace.claim_button import claim_button
from helpdesk.ui.workspace.context import LOCK, Workspace
from helpdesk.ui.workspace.customer_card import customer_card
from helpdesk.ui.workspace.fields_box import fields_box, show_ticket_as_it_is
from helpdesk.ui.workspace.help_panel import chat_transcript, help_panel
from helpdesk.ui.workspace.reply_box import reply_box, start_fresh
from helpdesk.ui.workspace.satisfaction_box import satisfaction_box

ticket_id = parse_reference(st.query_params.get("ticket", ""))

with db_session() as session:
    user = require_user(session)
    if not user.is_staff:
        st.warning("This page is for support staff.")
        st.stop()
    details = ticket_or_not_found(lambda i: get_ticket_details(session=session, actor=user, ticket_id=i), ticket_id,
                                  warning="There is no ticket with this reference.", back_to="pages/agent/queue.py",
                                  back_label="Back to the queue", back_icon=":material/inbox:")
    ticket, thread, ticket_files, history = (details.ticket, details.conversation, details.ticket_files,
                                            details.history)
    others = customer_ticket_history(session=session, actor=user, ticket_id=ticket.id)
    canned = {c.id: c.title for c in list_canned_replies(session=session, actor=user)}
    agents = {a.id: a.name for a in list_assignable_agents(session=session, actor=user)}
    categories = {c.id: c.name for c in list_categories(session=session)}
    csat = get_ticket_satisfaction(session=session, actor=user, ticket_id=ticket.id)
    help_articles = related_articles(session=session, actor=user, ticket_id=ticket.id)
    similar = similar_resolved_tickets(session=session, actor=user, ticket_id=ticket.id)
    transcript = transcript_for_ticket(session=session, actor=user, ticket_id=ticket.id)
    # Everything below is drawn after the session closes: load what the page shows now.
    for message in thread:
        _ = message.author.name, message.attachments
    for event in history:
        _ = event.actor

now = utcnow()
customer = ticket.customer

# --- which version the agent is looking at -----------------------------------------------
lock = EditLock(LOCK, ticket, widget_key="agent_priority")
if lock.fresh_visit or lock.conflict or st.session_state.pop("agent_fields__reset", False):
    show_ticket_as_it_is(ticket)
if lock.fresh_visit:
    start_fresh()
workspace = Workspace(ticket=ticket, user=user, lock=lock)

# --- header -----------------------------------------------------------------------------
# Back to the queue as the agent left it: the same view, filters, search, sort and page.
st.page_link("pages/agent/queue.py", label="Queue", icon=":material/arrow_back:", query_params=address_of("queue"))
st.title(ticket.reference)
st.text(ticket.subject)  # the customer's words: text, never markup

lock.show_conflict()
show_notice("agent_notice_top")

facts = {
    "Status": ticket.status.label,
    "Priority": ticket.priority.label,
    "Category": ticket.category.name,
    "Agent": ticket.assignee.name if ticket.assignee else "Unassigned",
    "Raised": when(ticket.created_at),
    "Last update": when(ticket.updated_at),
}
for column, (label, value) in zip(st.columns(len(facts)), facts.items()):
    column.caption(label)
    column.text(value)

first_clock = sla_clock.first_response_clock(ticket, now)
resolution_clock = sla_clock.resolution_clock(ticket, now)
with st.container(horizontal=True, key="agent_sla"):
    for name, clock in (("First response", first_clock), ("Resolution", resolution_clock)):
        marker = sla_marker(ticket, clock, now)
        st.badge(f"{name}: {marker} (due {when(clock.due_at)})", icon=":material/timer:", color=sla_colour(clock))

claim_button(workspace)

# The ticket's fields and the customer first, the conversation beside them (as most helpdesks do):
# on a phone the columns stack in this order, so the fields are not below a long thread.
side_col, thread_col = st.columns([1, 1.3], gap="large")

# --- the thread -------------------------------------------------------------------------
with thread_col:
    st.markdown("#### Conversation")
    chat_transcript(transcript)  # what came before the ticket, so above it
    show_thread(ticket, thread, ticket_files, viewer_id=user.id, for_staff=True)

    reply_box(workspace, canned)

# --- customer, fields -------------------------------------------------------------------
with side_col:
    customer_card(ticket, customer, others)
    with st.container(border=True, key="agent_fields_box"):
        fields_box(workspace, categories=categories, agents=agents)
    satisfaction_box(csat)
    help_panel(ticket.id, help_articles, similar)

# --- the audit trail, full width so each line reads whole ----------------------------------
with st.container(border=True, key="agent_history"):
    st.markdown("#### History")
    st.caption("Everything that happened to this ticket, newest first.")
    st.dataframe(pd.DataFrame([{"When": when(e.created_at), "Who": e.actor.name if e.actor else "System",
                                "What": event_text(e, customer_id=ticket.customer_id)} for e in reversed(history)]),
                 hide_index=True, key="agent_history_table", width="stretch",
                 column_config={"When": st.column_config.TextColumn(width=150),
                                "Who": st.column_config.TextColumn(width=160)})
