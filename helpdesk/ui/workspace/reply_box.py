"""The agent's reply or internal note, with canned replies and attachments. What was typed
stays in the box when the save is refused (a conflict or a field error)."""
from __future__ import annotations

import streamlit as st

from helpdesk.accounts.users import get_active_user
from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import TicketStatus
from helpdesk.tickets.canned_replies import render_canned_reply
from helpdesk.tickets.messages import MESSAGE_MAX
from helpdesk.tickets.staff import add_agent_reply, add_internal_note
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import guarded
from helpdesk.ui.forms import attachments_input, apply_reset, field_error, form_errors, request_reset, uploads_from
from helpdesk.ui.notices import show_notice
from helpdesk.ui.workspace.context import Workspace

PUBLIC, NOTE = "public", "note"
KIND_LABELS = {PUBLIC: "Public reply (the customer sees it and is e-mailed)", NOTE: "Internal note (staff only)"}


def start_fresh() -> None:
    """A fresh visit: an empty box, set to a public reply."""
    st.session_state["agent_reply_body"] = ""
    st.session_state["agent_reply_kind"] = PUBLIC


def reply_box(workspace: Workspace, canned: dict[int, str]) -> None:
    ticket = workspace.ticket
    st.markdown("#### Reply")
    closed = ticket.status == TicketStatus.CLOSED
    if closed:
        st.info("This ticket is closed: the customer can't get replies on it any more. "
                "You can still add internal notes.", icon=":material/lock:")
        st.session_state["agent_reply_kind"] = NOTE
    apply_reset("agent_reply", {"agent_reply_body": ""})
    show_notice("agent_notice_reply")
    workspace.lock.show_conflict("reply")
    reply_errors = st.session_state.get("agent_reply_errors")
    form_errors(reply_errors)
    kind = st.radio("Send as", options=[PUBLIC, NOTE] if not closed else [NOTE], key="agent_reply_kind",
                    horizontal=True, format_func=KIND_LABELS.get)
    if canned:
        canned_reply_picker(workspace, canned)

    body = st.text_area("Message" if kind == PUBLIC else "Note", key="agent_reply_body", help=f"At most {MESSAGE_MAX:,} characters.",
                        height=180)
    field_error(reply_errors, "body")
    files = attachments_input("Attachments (optional)", "agent_reply")
    field_error(reply_errors, "attachments")
    send_label = "Send public reply" if kind == PUBLIC else "Add internal note"
    if st.button(send_label, key="agent_reply_send", type="primary",
                 icon=":material/send:" if kind == PUBLIC else ":material/lock:"):
        action = add_agent_reply if kind == PUBLIC else add_internal_note
        try:
            with db_session() as session:
                action(session=session, actor=workspace.user, ticket_id=ticket.id, body=body,
                       attachments=uploads_from(files), expected_version=workspace.seen_version)
                workspace.saved(session, "Reply sent to the customer." if kind == PUBLIC else "Internal note added.",
                                "reply")
        except ConflictError:
            workspace.lock.conflicted("reply")  # the typed text stays in the box
        except ValidationError as exc:
            st.session_state["agent_reply_errors"] = exc.field_errors
        else:
            st.session_state.pop("agent_reply_errors", None)
            request_reset("agent_reply")
            request_reset("agent_fields")  # a first reply opens a new ticket
        st.rerun()


def canned_reply_picker(workspace: Workspace, canned: dict[int, str]) -> None:
    user_id, ticket_id = workspace.user.id, workspace.ticket.id

    @guarded
    def insert_canned() -> None:
        reply_id = st.session_state.get("agent_canned")
        if reply_id is None:
            return
        with db_session() as session:
            actor = get_active_user(session=session, user_id=user_id)
            text = render_canned_reply(session=session, actor=actor, reply_id=reply_id, ticket_id=ticket_id)
        typed = st.session_state.get("agent_reply_body", "").rstrip()
        # Added after what the agent already typed, never instead of it.
        st.session_state["agent_reply_body"] = f"{typed}\n\n{text}" if typed else text

    canned_col, insert_col = st.columns([3, 1], vertical_alignment="bottom")
    canned_col.selectbox("Canned reply", options=list(canned), format_func=canned.get, key="agent_canned",
                         index=None, placeholder="Choose a canned reply to insert")
    insert_col.button("Insert", key="agent_canned_insert", on_click=insert_canned, icon=":material/post_add:")
