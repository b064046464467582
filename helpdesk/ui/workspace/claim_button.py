""""Claim this ticket": the agent assigns an unassigned ticket to themselves in one click."""
from __future__ import annotations

import streamlit as st

from helpdesk.accounts.users import get_active_user
from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.tickets.assignment import can_claim, claim_ticket
from helpdesk.ui.edit_lock import mark_conflict, remember_version
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import guarded
from helpdesk.ui.forms import field_error
from helpdesk.ui.notices import leave_notice
from helpdesk.ui.workspace.context import LOCK, Workspace


@guarded
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


def claim_button(workspace: Workspace) -> None:
    field_error(st.session_state.pop("agent_claim_errors", None), "assignee")
    if can_claim(workspace.ticket):
        st.button("Claim this ticket", key="agent_claim", type="primary", icon=":material/front_hand:",
                  help="Assign it to yourself.", on_click=claim,
                  args=(workspace.ticket.id, workspace.seen_version, workspace.user.id))
