"""One ticket as an agent works it: customer, thread with internal notes, reply or note,
canned replies, status / priority / category / agent, SLA clocks and the full history.

No lost updates: the version the agent was looking at is kept per ticket and every save
passes it on; if someone else changed the ticket meanwhile nothing is saved, the fresh
state is shown and whatever the agent typed stays in the box."""
import pandas as pd
import streamlit as st

from helpdesk.accounts.users import get_active_user
from helpdesk.core.clock import utcnow
from helpdesk.core.config import upload_policy
from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import parse_reference
from helpdesk.sla import clock as sla_clock
from helpdesk.tickets.assignment import can_claim, claim_ticket, list_assignable_agents
from helpdesk.tickets.canned_replies import list_canned_replies, render_canned_reply
from helpdesk.tickets.categories import list_categories
from helpdesk.tickets.changes import UNCHANGED
from helpdesk.tickets.customer import get_ticket, get_ticket_details
from helpdesk.tickets.messages import MESSAGE_MAX
from helpdesk.tickets.staff import add_agent_reply, add_internal_note, customer_ticket_history, update_ticket
from helpdesk.tickets.workflow import allowed_targets
from helpdesk.ui.auth import require_user
from helpdesk.ui.edit_lock import EditLock, mark_conflict, remember_version
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.forms import apply_reset, field_error, form_errors, request_reset, uploader_key, uploads_from
from helpdesk.ui.history import event_text
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.sla_badges import sla_colour, sla_marker
from helpdesk.ui.thread import show_thread, ticket_or_not_found

ticket_id = parse_reference(st.query_params.get("ticket", ""))
PUBLIC, NOTE = "public", "note"


LOCK = "agent_ticket"  # the session_state prefix of this page's optimistic-lock state


def open_ticket(other_id: int) -> None:
    st.switch_page("pages/agent/ticket.py", query_params={"ticket": str(other_id)})


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
    # Everything below is drawn after the session closes: load what the page shows now.
    for message in thread:
        _ = message.author.name, message.attachments
    for event in history:
        _ = event.actor

now = utcnow()
customer = ticket.customer

# --- which version the agent is looking at -----------------------------------------------
lock = EditLock(LOCK, ticket, widget_key="agent_priority")
fresh_visit, conflict, seen_version = lock.fresh_visit, lock.conflict, lock.seen_version

if fresh_visit or conflict or st.session_state.pop("agent_fields__reset", False):
    # The fields show the ticket as it is now (a form's widgets keep their last values otherwise).
    st.session_state["agent_status"] = ticket.status
    st.session_state["agent_priority"] = ticket.priority
    st.session_state["agent_category"] = ticket.category_id
    st.session_state["agent_assignee"] = ticket.assignee_id
if fresh_visit:
    st.session_state["agent_reply_body"] = ""
    st.session_state["agent_reply_kind"] = PUBLIC


def saved(session, notice: str, where: str) -> None:
    """After our own save: remember the version we just wrote, so our next save is not a conflict.
    The notice is shown where the agent clicked (`where`: "top", "reply" or "fields")."""
    lock.saved(get_ticket(session=session, actor=user, ticket_id=ticket.id).version)
    leave_notice(f"agent_notice_{where}", notice)


conflicted, show_conflict = lock.conflicted, lock.show_conflict


# --- header -----------------------------------------------------------------------------
st.page_link("pages/agent/queue.py", label="Queue", icon=":material/arrow_back:")
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

def claim(claim_ticket_id: int, claim_seen_version: int, user_id: int) -> None:
    # A callback: it runs even if the ticket was taken meanwhile and the button is gone.
    try:
        with db_session() as session:
            actor = get_active_user(session=session, user_id=user_id)
            claimed = claim_ticket(session=session, actor=actor, ticket_id=claim_ticket_id,
                                   expected_version=claim_seen_version)
            remember_version(LOCK, claim_ticket_id, claimed.version)
        leave_notice("agent_notice_top", "You work on this ticket now.")
        st.session_state["agent_fields__reset"] = True
    except ConflictError:
        mark_conflict(LOCK, claim_ticket_id)
    except ValidationError as exc:
        st.session_state["agent_claim_errors"] = exc.field_errors


field_error(st.session_state.pop("agent_claim_errors", None), "assignee")
if can_claim(ticket):
    st.button("Claim this ticket", key="agent_claim", type="primary", icon=":material/front_hand:",
              help="Assign it to yourself.", on_click=claim, args=(ticket.id, seen_version, user.id))

thread_col, side_col = st.columns([1.3, 1], gap="large")

# --- the thread -------------------------------------------------------------------------
with thread_col:
    st.markdown("#### Conversation")
    show_thread(ticket, thread, ticket_files, viewer_id=user.id, for_staff=True)

    # --- reply or note ------------------------------------------------------------------
    st.markdown("#### Reply")
    closed = ticket.status == TicketStatus.CLOSED
    if closed:
        st.info("This ticket is closed: the customer can't get replies on it any more. "
                "You can still add internal notes.", icon=":material/lock:")
        st.session_state["agent_reply_kind"] = NOTE
    apply_reset("agent_reply", {"agent_reply_body": ""})
    show_notice("agent_notice_reply")
    show_conflict("reply")
    reply_errors = st.session_state.get("agent_reply_errors")
    form_errors(reply_errors)
    kind = st.radio("Send as", options=[PUBLIC, NOTE] if not closed else [NOTE], key="agent_reply_kind",
                    horizontal=True,
                    format_func={PUBLIC: "Public reply (the customer sees it and is e-mailed)",
                                 NOTE: "Internal note (staff only)"}.get)

    if canned:
        def insert_canned() -> None:
            reply_id = st.session_state.get("agent_canned")
            if reply_id is None:
                return
            with db_session() as session:
                actor = get_active_user(session=session, user_id=user.id)
                text = render_canned_reply(session=session, actor=actor, reply_id=reply_id, ticket_id=ticket.id)
            typed = st.session_state.get("agent_reply_body", "").rstrip()
            # Added after what the agent already typed, never instead of it.
            st.session_state["agent_reply_body"] = f"{typed}\n\n{text}" if typed else text

        canned_col, insert_col = st.columns([3, 1], vertical_alignment="bottom")
        canned_col.selectbox("Canned reply", options=list(canned), format_func=canned.get, key="agent_canned",
                             index=None, placeholder="Choose a canned reply to insert")
        insert_col.button("Insert", key="agent_canned_insert", on_click=insert_canned, icon=":material/post_add:")

    body = st.text_area("Message" if kind == PUBLIC else "Note", key="agent_reply_body", max_chars=MESSAGE_MAX,
                        height=180)
    field_error(reply_errors, "body")
    policy = upload_policy()
    files = st.file_uploader("Attachments (optional)", type=list(policy.allowed_extensions),
                             accept_multiple_files=True, key=uploader_key("agent_reply"),
                             max_upload_size=max(1, policy.max_bytes // (1024 * 1024)))
    field_error(reply_errors, "attachments")
    send_label = "Send public reply" if kind == PUBLIC else "Add internal note"
    if st.button(send_label, key="agent_reply_send", type="primary",
                 icon=":material/send:" if kind == PUBLIC else ":material/lock:"):
        action = add_agent_reply if kind == PUBLIC else add_internal_note
        try:
            with db_session() as session:
                action(session=session, actor=user, ticket_id=ticket.id, body=body, attachments=uploads_from(files),
                       expected_version=seen_version)
                saved(session, "Reply sent to the customer." if kind == PUBLIC else "Internal note added.", "reply")
        except ConflictError:
            conflicted("reply")  # the typed text stays in the box
        except ValidationError as exc:
            st.session_state["agent_reply_errors"] = exc.field_errors
        else:
            st.session_state.pop("agent_reply_errors", None)
            request_reset("agent_reply")
            request_reset("agent_fields")  # a first reply opens a new ticket
        st.rerun()

# --- customer, fields, history ----------------------------------------------------------
with side_col:
    with st.container(border=True, key="agent_customer"):
        st.markdown("#### Customer")
        st.text(customer.name)
        st.text(customer.email)
        st.caption(f"Customer since {when(customer.created_at)}")
        if others:
            st.caption(f"Their other tickets (latest {len(others)}). Click one to open it.")
            other_rows = [{"Reference": o.reference, "Status": o.status.label, "Subject": o.subject}
                          for o in others]
            # Keyed per ticket: a row picked here is never still picked on the ticket it opens.
            picked = st.dataframe(pd.DataFrame(other_rows), hide_index=True,
                                  key=f"agent_other_tickets_{ticket.id}", on_select="rerun",
                                  selection_mode="single-row", width="stretch", height=(len(other_rows) + 1) * 35 + 3,
                                  column_order=["Reference", "Subject", "Status"],
                                  column_config={"Reference": st.column_config.TextColumn(width=85),
                                                 "Subject": st.column_config.TextColumn(width=125),
                                                 "Status": st.column_config.TextColumn(width=75)})
            if picked and picked.selection.rows:
                open_ticket(others[picked.selection.rows[0]].id)
        else:
            st.caption("No other tickets from this customer.")

    with st.container(border=True, key="agent_fields_box"):
        st.markdown("#### Ticket")
        show_notice("agent_notice_fields")
        show_conflict("fields")
        field_errors = st.session_state.pop("agent_fields_errors", None)
        form_errors(field_errors)
        targets = [ticket.status, *allowed_targets(ticket.status)]
        category_options = dict(categories)
        category_options.setdefault(ticket.category_id, f"{ticket.category.name} (retired)")
        agent_options = dict(agents)
        if ticket.assignee is not None:
            agent_options.setdefault(ticket.assignee_id, f"{ticket.assignee.name} (inactive)")
        # Someone else's change can take the last choice out of the lists: start from the ticket then.
        for key, options in (("agent_status", targets), ("agent_category", category_options),
                             ("agent_assignee", [None, *agent_options])):
            if st.session_state.get(key) not in options:
                st.session_state[key] = {"agent_status": ticket.status, "agent_category": ticket.category_id,
                                         "agent_assignee": ticket.assignee_id}[key]
        with st.form("agent_fields", enter_to_submit=False, border=False):
            new_status = st.selectbox(
                "Status", options=targets, key="agent_status",
                format_func=lambda s: f"{s.label} (now)" if s == ticket.status else s.label,
                help="Only the moves the workflow allows from the current status are offered.")
            field_error(field_errors, "status")
            new_priority = st.selectbox("Priority", options=list(Priority), key="agent_priority",
                                        format_func=lambda p: p.label,
                                        help="Changing it recomputes the SLA due dates.")
            field_error(field_errors, "priority")
            new_category = st.selectbox("Category", options=list(category_options), key="agent_category",
                                        format_func=category_options.get)
            field_error(field_errors, "category")
            new_assignee = st.selectbox("Agent", options=[None, *agent_options], key="agent_assignee",
                                        format_func=lambda a: "Unassigned" if a is None else agent_options[a])
            field_error(field_errors, "assignee")
            save = st.form_submit_button("Save changes", key="agent_fields_save", icon=":material/save:")
        if save:
            changes = {
                "status": new_status if new_status != ticket.status else None,
                "priority": new_priority if new_priority != ticket.priority else None,
                "category_id": new_category if new_category != ticket.category_id else None,
                "assignee_id": new_assignee if new_assignee != ticket.assignee_id else UNCHANGED,
            }
            if all(v is None for k, v in changes.items() if k != "assignee_id") and changes["assignee_id"] is UNCHANGED:
                leave_notice("agent_notice_fields", "Nothing to save: no field was changed.")
            else:
                try:
                    with db_session() as session:
                        update_ticket(session=session, actor=user, ticket_id=ticket.id,
                                      expected_version=seen_version, **changes)
                        saved(session, "Changes saved.", "fields")
                except ConflictError:
                    conflicted("fields")
                except ValidationError as exc:
                    st.session_state["agent_fields_errors"] = exc.field_errors
                else:
                    request_reset("agent_fields")
            st.rerun()

# --- the audit trail, full width so each line reads whole ----------------------------------
with st.container(border=True, key="agent_history"):
    st.markdown("#### History")
    st.caption("Everything that happened to this ticket, newest first.")
    st.dataframe(pd.DataFrame([{"When": when(e.created_at), "Who": e.actor.name if e.actor else "System",
                                "What": event_text(e)} for e in reversed(history)]),
                 hide_index=True, key="agent_history_table", width="stretch",
                 column_config={"When": st.column_config.TextColumn(width=150),
                                "Who": st.column_config.TextColumn(width=160)})
