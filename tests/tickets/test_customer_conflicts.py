"""A customer's reply, close or reopen that races an agent's save gets the same clear
conflict message as a stale form, and nothing is half-saved (issue 9, item 5: these paths
raised StaleDataError as a traceback). On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import TicketMessage, User
from helpdesk.tickets import customer, staff
from helpdesk.tickets.lifecycle import CONFLICT


def customer_action_after_an_agent_saved(desk, ticket_id, action, **arguments):
    """The customer's request reads the ticket; an agent's save lands; then the customer's write.
    (`seen` is held, as a request holds what it read: the session only keeps rows referenced.)"""
    with session_scope(desk.engine) as session:
        actor = session.get(User, desk.customer.id)
        seen = customer.get_ticket(session=session, actor=actor, ticket_id=ticket_id)
        desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.HIGH)
        action(session=session, actor=actor, ticket_id=ticket_id, **arguments)
        assert seen is not None


@pytest.mark.parametrize("action,arguments,status_before", [
    (customer.close_ticket, {}, TicketStatus.OPEN),
    (customer.reopen_ticket, {}, TicketStatus.RESOLVED),
    (customer.add_customer_reply, {"body": "It is still broken."}, TicketStatus.RESOLVED),
], ids=["close", "reopen", "reply"])
def test_a_customer_action_racing_an_agent_save_is_a_conflict_and_saves_nothing(desk, action, arguments,
                                                                                status_before):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Try turning it off and on.")
    if status_before == TicketStatus.RESOLVED:
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    with session_scope(desk.engine) as session:
        messages_before = session.scalar(select(func.count()).select_from(TicketMessage))

    with pytest.raises(ConflictError) as refused:
        customer_action_after_an_agent_saved(desk, ticket_id, action, **arguments)
    assert str(refused.value) == CONFLICT

    ticket = desk.ticket(ticket_id)
    assert ticket.status == status_before and ticket.priority == Priority.HIGH  # only the agent's save
    with session_scope(desk.engine) as session:
        assert session.scalar(select(func.count()).select_from(TicketMessage)) == messages_before
