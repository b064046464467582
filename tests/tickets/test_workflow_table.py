"""The whole workflow table, written out by hand, checked pair by pair through what an agent
uses: the ticket save (update_ticket), the ticket page's status list, and the queue's bulk
status change. Both backends.

The expectation below is copied from the product rules, never read from helpdesk.tickets.workflow:
a bug planted in the table (a move added or dropped) must fail here."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.enums import EventKind, TicketStatus
from helpdesk.models import TicketEvent
from helpdesk.tickets import assignment, bulk, customer as tickets_customer, staff
from tests.page_helpers import open_app

STATUSES = ["new", "open", "in_progress", "waiting_on_customer", "resolved", "closed"]

# from -> the statuses an agent may move a ticket to. Nothing goes back to new, nothing leaves
# closed, resolved only reopens or closes, and no status "moves" to itself.
ALLOWED = {
    "new": {"open", "in_progress", "waiting_on_customer", "resolved", "closed"},
    "open": {"in_progress", "waiting_on_customer", "resolved", "closed"},
    "in_progress": {"open", "waiting_on_customer", "resolved", "closed"},
    "waiting_on_customer": {"open", "in_progress", "resolved", "closed"},
    "resolved": {"open", "closed"},
    "closed": set(),
}

# What a person reads for each status (the refusal message and the page's status list).
LABEL = {"new": "New", "open": "Open", "in_progress": "In progress", "waiting_on_customer": "Waiting on customer",
         "resolved": "Resolved", "closed": "Closed"}

PAIRS = [(old, new) for old in STATUSES for new in STATUSES]
assert len(PAIRS) == 36


def ticket_in(desk, status: str) -> int:
    """A ticket brought into `status` the way it gets there in real life."""
    ticket_id = desk.raise_ticket()
    if status == "open":  # an agent's first reply opens a new ticket
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Looking into it.")
    elif status == "in_progress":
        desk.act(desk.agent, assignment.claim_ticket, ticket_id=ticket_id)
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.IN_PROGRESS)
    elif status == "waiting_on_customer":  # "send and wait on customer"
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Which card did you use?",
                 new_status=TicketStatus.WAITING_ON_CUSTOMER)
    elif status == "resolved":
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Refunded.",
                 new_status=TicketStatus.RESOLVED)
    elif status == "closed":  # the customer closes it themselves
        desk.act(desk.customer, tickets_customer.close_ticket, ticket_id=ticket_id)
    assert desk.ticket(ticket_id).status == status  # the route really got there
    return ticket_id


def status_events(desk, ticket_id) -> list[tuple[str | None, str | None, int | None]]:
    with session_scope(desk.engine) as session:
        return [(e.old_value, e.new_value, e.actor_id) for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.STATUS_CHANGED)
            .order_by(TicketEvent.id))]


def test_the_expected_table_is_complete():
    """Guards the hand-written expectation itself: 36 pairs, 19 moves allowed."""
    assert sum(len(targets) for targets in ALLOWED.values()) == 19
    assert all(old not in targets for old, targets in ALLOWED.items())


# --- one save on the ticket, every pair -------------------------------------------------

@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{o}->{n}" for o, n in PAIRS])
def test_every_status_pair_through_the_agents_save(desk, old, new):
    ticket_id = ticket_in(desk, old)
    before = desk.ticket(ticket_id)
    events_before = status_events(desk, ticket_id)
    started = utcnow()

    if old == new:
        # Saving the status a ticket already has is no move at all: nothing happens, nothing is logged.
        desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, status=new)
        after = desk.ticket(ticket_id)
        assert (after.status, after.version, after.resolved_at, after.closed_at) == (
            before.status, before.version, before.resolved_at, before.closed_at)
        assert status_events(desk, ticket_id) == events_before
        return

    if new not in ALLOWED[old]:
        with pytest.raises(ValidationError) as refused:
            desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, status=new)
        assert refused.value.field_errors == {"status": f"A ticket can't go from {LABEL[old]} to {LABEL[new]}."}
        after = desk.ticket(ticket_id)
        assert (after.status, after.version, after.resolved_at, after.closed_at, after.waiting_since) == (
            before.status, before.version, before.resolved_at, before.closed_at, before.waiting_since)
        assert status_events(desk, ticket_id) == events_before
        return

    desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, status=new)
    finished = utcnow()
    after = desk.ticket(ticket_id)
    assert after.status == new
    assert after.version == before.version + 1
    assert status_events(desk, ticket_id) == [*events_before, (old, new, desk.agent.id)]

    def just_now(moment) -> bool:
        return moment is not None and started - timedelta(seconds=1) <= moment <= finished + timedelta(seconds=1)

    if new == "resolved":
        assert just_now(after.resolved_at) and after.closed_at is None
    elif new == "closed":
        assert just_now(after.closed_at)
        # Closing keeps the resolution time it had; closing unresolved counts as resolved now.
        assert after.resolved_at == before.resolved_at if old == "resolved" else just_now(after.resolved_at)
    else:
        assert after.resolved_at is None and after.closed_at is None  # still (or again) being worked
    if new == "waiting_on_customer":
        assert just_now(after.waiting_since)  # the SLA clock pauses
    else:
        assert after.waiting_since is None


# --- the queue's bulk status change -----------------------------------------------------

NEVER_ANSWERED = "Never answered: a ticket nobody replied to can't be closed in bulk; reply to it first."


@pytest.mark.parametrize("new", STATUSES)
def test_bulk_status_change_applies_the_same_table(desk, new):
    """One ticket in each other status, all selected in the queue, moved to `new` at once."""
    by_status = {old: ticket_in(desk, old) for old in STATUSES if old != new}
    before = {old: desk.ticket(ticket_id) for old, ticket_id in by_status.items()}

    result = desk.act(desk.agent, bulk.bulk_update, ticket_ids=list(by_status.values()), status=new)

    # Bulk closing also leaves alone a ticket nobody ever answered (issue 9, item 13).
    unanswered = {old for old in by_status if new == "closed" and before[old].first_response_at is None}
    moved = {old for old in by_status if new in ALLOWED[old] and old not in unanswered}
    assert set(result.updated) == {by_status[old] for old in moved}
    assert result.skipped == {by_status[old]: NEVER_ANSWERED if old in unanswered and new in ALLOWED[old]
                              else f"A ticket can't go from {LABEL[old]} to {LABEL[new]}."
                              for old in by_status if old not in moved}
    for old, ticket_id in by_status.items():
        after = desk.ticket(ticket_id)
        if old in moved:
            assert after.status == new
            assert status_events(desk, ticket_id)[-1] == (old, new, desk.agent.id)
        else:
            assert (after.status, after.version) == (before[old].status, before[old].version)


def test_bulk_refusals_a_person_would_try(desk):
    """Reviving a closed ticket, or dragging a resolved one back into the working statuses."""
    closed, resolved = ticket_in(desk, "closed"), ticket_in(desk, "resolved")
    for status, expected in (
            ("in_progress", {closed: "A ticket can't go from Closed to In progress.",
                             resolved: "A ticket can't go from Resolved to In progress."}),
            ("waiting_on_customer", {closed: "A ticket can't go from Closed to Waiting on customer.",
                                     resolved: "A ticket can't go from Resolved to Waiting on customer."}),
            ("new", {closed: "A ticket can't go from Closed to New.",
                     resolved: "A ticket can't go from Resolved to New."}),
            ("open", {closed: "A ticket can't go from Closed to Open."})):  # reopening the resolved one is fine
        result = desk.act(desk.agent, bulk.bulk_update, ticket_ids=[closed, resolved], status=status)
        assert result.skipped == expected
    assert (desk.ticket(closed).status, desk.ticket(resolved).status) == ("closed", "open")


# --- the agent's ticket page: the status list offers exactly the allowed moves --------------

PAGE_OPTIONS = {
    "new": ["New (now)", "Open", "In progress", "Waiting on customer", "Resolved", "Closed"],
    "open": ["Open (now)", "In progress", "Waiting on customer", "Resolved", "Closed"],
    "in_progress": ["In progress (now)", "Open", "Waiting on customer", "Resolved", "Closed"],
    "waiting_on_customer": ["Waiting on customer (now)", "Open", "In progress", "Resolved", "Closed"],
    "resolved": ["Resolved (now)", "Open", "Closed"],
    "closed": ["Closed (now)"],
}


@pytest.mark.parametrize("status", STATUSES)
def test_the_ticket_page_offers_exactly_the_allowed_moves(served_desk, status):
    # The expectation is consistent with the table above, so the two can't drift apart silently.
    assert {LABEL[s] for s in ALLOWED[status]} == set(PAGE_OPTIONS[status][1:])
    ticket_id = ticket_in(served_desk, status)
    at = open_app(served_desk.agent, ticket=ticket_id, page="pages/agent/ticket.py")
    assert at.selectbox(key="agent_status").options == PAGE_OPTIONS[status]
