"""The ticket's status, priority, category and agent, saved together in one form. Only the
moves the workflow allows are offered; a retired category or an inactive agent still shows."""
from __future__ import annotations

import streamlit as st

from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import Priority
from helpdesk.tickets.changes import UNCHANGED
from helpdesk.tickets.staff import update_ticket
from helpdesk.tickets.workflow import allowed_targets
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import field_error, form_errors, request_reset
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.workspace.context import Workspace

FIELD_KEYS = ("agent_status", "agent_priority", "agent_category", "agent_assignee")


def show_ticket_as_it_is(ticket) -> None:
    """The fields show the ticket as it is now (a form's widgets keep their last values otherwise)."""
    st.session_state["agent_status"] = ticket.status
    st.session_state["agent_priority"] = ticket.priority
    st.session_state["agent_category"] = ticket.category_id
    st.session_state["agent_assignee"] = ticket.assignee_id


def fields_box(workspace: Workspace, *, categories: dict[int, str], agents: dict[int, str]) -> None:
    ticket = workspace.ticket
    st.markdown("#### Ticket")
    show_notice("agent_notice_fields")
    workspace.lock.show_conflict("fields")
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
                                    format_func=lambda p: p.label, help="Changing it recomputes the SLA due dates.")
        field_error(field_errors, "priority")
        new_category = st.selectbox("Category", options=list(category_options), key="agent_category",
                                    format_func=category_options.get)
        field_error(field_errors, "category")
        new_assignee = st.selectbox("Agent", options=[None, *agent_options], key="agent_assignee",
                                    format_func=lambda a: "Unassigned" if a is None else agent_options[a])
        field_error(field_errors, "assignee")
        save = st.form_submit_button("Save changes", key="agent_fields_save", icon=":material/save:")
    if save:
        save_fields(workspace, status=new_status, priority=new_priority, category_id=new_category,
                    assignee_id=new_assignee)


def save_fields(workspace: Workspace, *, status, priority, category_id, assignee_id) -> None:
    """Only what the agent changed goes to the service (None / UNCHANGED: leave as it is)."""
    ticket = workspace.ticket
    changes = {
        "status": status if status != ticket.status else None,
        "priority": priority if priority != ticket.priority else None,
        "category_id": category_id if category_id != ticket.category_id else None,
        "assignee_id": assignee_id if assignee_id != ticket.assignee_id else UNCHANGED,
    }
    if all(v is None for k, v in changes.items() if k != "assignee_id") and changes["assignee_id"] is UNCHANGED:
        leave_notice("agent_notice_fields", "Nothing to save: no field was changed.")
    else:
        try:
            with db_session() as session:
                update_ticket(session=session, actor=workspace.user, ticket_id=ticket.id,
                              expected_version=workspace.seen_version, **changes)
                workspace.saved(session, "Changes saved.", "fields")
        except ConflictError:
            workspace.lock.conflicted("fields")
        except ValidationError as exc:
            st.session_state["agent_fields_errors"] = exc.field_errors
        else:
            request_reset("agent_fields")
    st.rerun()
