"""The agent queue: which tickets each view shows, filters, sorting, pagination with the total,
SLA markers, and that one page costs two queries however many rows it shows. Both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import User
from helpdesk.sla.clock import SlaState
from helpdesk.tickets import assignment, queue, staff
from helpdesk.tickets.queue import QueueFilters, QueueSort, QueueView
from tests.factories import Desk, add_category, add_user


def listing(desk: Desk, view=QueueView.ALL_OPEN, actor: User | None = None, **kwargs) -> queue.QueuePage:
    """The queue as Alex the agent (or `actor`) sees it."""
    return desk.act(actor or desk.agent, queue.list_queue, view=view, **kwargs)


def subjects(page) -> list[str]:
    return [row.subject for row in page.rows]


def test_each_view_shows_the_right_tickets(desk):
    now = utcnow()
    alex, bo = desk.agent.id, desk.agent2.id
    desk.raise_ticket(subject="mine", assignee_id=alex, status=TicketStatus.OPEN)
    desk.raise_ticket(subject="bo's", assignee_id=bo, status=TicketStatus.IN_PROGRESS)
    desk.raise_ticket(subject="nobody's")
    desk.raise_ticket(subject="mine, waiting", assignee_id=alex, status=TicketStatus.WAITING_ON_CUSTOMER,
                      waiting_since=now, first_response_at=now, resolution_due_at=now - timedelta(hours=1))
    desk.raise_ticket(subject="first reply due soon", first_response_due_at=now + timedelta(minutes=90))
    desk.raise_ticket(subject="answered, resolution missed", first_response_at=now - timedelta(hours=5),
                      first_response_due_at=now - timedelta(hours=1), resolution_due_at=now - timedelta(minutes=1))
    desk.raise_ticket(subject="answered, first due passed but resolution far", first_response_at=now,
                      first_response_due_at=now - timedelta(hours=1), resolution_due_at=now + timedelta(days=2))
    desk.raise_ticket(subject="resolved yesterday", status=TicketStatus.RESOLVED,
                      resolved_at=now - timedelta(days=1), assignee_id=alex)
    desk.raise_ticket(subject="closed last month", status=TicketStatus.CLOSED,
                      resolved_at=now - timedelta(days=30), closed_at=now - timedelta(days=23))

    def names(view):
        return sorted(subjects(listing(desk, view, page_size=100)))

    assert names(QueueView.MY_OPEN) == ["mine", "mine, waiting"]
    assert names(QueueView.UNASSIGNED) == sorted([
        "nobody's", "first reply due soon", "answered, resolution missed",
        "answered, first due passed but resolution far"])
    assert len(names(QueueView.ALL_OPEN)) == 7
    assert names(QueueView.BREACHING_SOON) == ["answered, resolution missed", "first reply due soon"]
    assert names(QueueView.RECENTLY_RESOLVED) == ["resolved yesterday"]


def test_rows_carry_what_the_queue_shows_with_sla_markers(desk):
    now = utcnow()
    ticket_id = desk.raise_ticket(subject="Late", priority=Priority.URGENT, assignee_id=desk.agent2.id,
                                  first_response_due_at=now - timedelta(minutes=5))
    desk.raise_ticket(subject="Soon", first_response_due_at=now + timedelta(hours=1))
    desk.raise_ticket(subject="Later", first_response_due_at=now + timedelta(hours=5))
    page = listing(desk)
    late, soon, later = page.rows
    assert (late.reference, late.subject, late.customer_name, late.customer_email, late.priority, late.status,
            late.assignee_name, late.category_name) == (
        f"CCR-{ticket_id:06d}", "Late", "Carla Customer", "carla@example.com", Priority.URGENT, TicketStatus.NEW,
        "Bo Agent", "Billing")
    assert [r.sla.state for r in page.rows] == [SlaState.BREACHED, SlaState.AT_RISK, SlaState.OK]
    assert late.sla.target == "first_response" and late.age(utcnow()) >= timedelta(0)
    assert soon.assignee_name is None
    assert later.version == desk.ticket(later.id).version  # bulk actions send it back as expected_version


def test_sorting(desk):
    now = utcnow()
    desk.raise_ticket(subject="low, due first", priority=Priority.LOW,
                      first_response_due_at=now + timedelta(hours=1),
                      created_at=now - timedelta(hours=3), updated_at=now - timedelta(minutes=1))
    desk.raise_ticket(subject="urgent, due last", priority=Priority.URGENT,
                      first_response_due_at=now + timedelta(hours=9),
                      created_at=now - timedelta(hours=2), updated_at=now - timedelta(minutes=30))
    desk.raise_ticket(subject="high, answered", priority=Priority.HIGH, first_response_at=now,
                      first_response_due_at=now - timedelta(hours=9), resolution_due_at=now + timedelta(hours=5),
                      created_at=now - timedelta(hours=1), updated_at=now - timedelta(minutes=10))
    assert subjects(listing(desk)) == ["low, due first", "high, answered", "urgent, due last"]  # SLA due default
    assert subjects(listing(desk, sort=QueueSort.PRIORITY)) == ["urgent, due last", "high, answered",
                                                                "low, due first"]
    assert subjects(listing(desk, sort=QueueSort.CREATED)) == ["high, answered", "urgent, due last",
                                                               "low, due first"]
    assert subjects(listing(desk, sort=QueueSort.UPDATED)) == ["low, due first", "high, answered",
                                                               "urgent, due last"]


def test_filters(desk):
    now = utcnow()
    dev = add_user(desk.engine, email="dev@acme.test", name="Dev")  # a second customer, another domain
    shipping = add_category(desk.engine, "Shipping")
    first = desk.raise_ticket(subject="Refund for order 1", priority=Priority.HIGH, assignee_id=desk.agent.id,
                              status=TicketStatus.IN_PROGRESS, created_at=now - timedelta(days=10))
    desk.raise_ticket(subject="Parcel lost", category=shipping, customer=dev)
    desk.raise_ticket(subject="100% wrong_charge", priority=Priority.LOW)

    def found(**filters):
        return sorted(subjects(listing(desk, filters=QueueFilters(**filters))))

    assert found(statuses=(TicketStatus.IN_PROGRESS,)) == ["Refund for order 1"]
    assert found(priorities=(Priority.HIGH, Priority.LOW)) == ["100% wrong_charge", "Refund for order 1"]
    assert found(category_ids=(shipping.id,)) == ["Parcel lost"]
    assert found(assignee_id=desk.agent.id) == ["Refund for order 1"]
    today = now.date()
    assert found(created_from=today - timedelta(days=11), created_to=today - timedelta(days=9)) == [
        "Refund for order 1"]
    assert found(created_from=today) == ["100% wrong_charge", "Parcel lost"]
    assert found(text="refund") == ["Refund for order 1"]
    assert found(text="100%") == ["100% wrong_charge"]  # wildcards are literal
    assert found(text="_") == ["100% wrong_charge"]
    assert found(text=f"CCR-{first:06d}") == ["Refund for order 1"]
    assert found(text="@acme.test") == ["Parcel lost"]
    assert found(text="DEV@ACME.TEST") == ["Parcel lost"]
    assert found(text="nothing like this") == []
    with pytest.raises(ValidationError) as error:
        listing(desk, filters=QueueFilters(created_from=today, created_to=today - timedelta(days=1)))
    assert error.value.field_errors == {"created_to": "The end date is before the start date."}


def test_pagination_gives_the_total_and_stays_within_the_pages(desk):
    for number in range(7):
        desk.raise_ticket(subject=f"ticket {number}", first_response_due_at=utcnow() + timedelta(hours=number + 1))
    first = listing(desk, page_size=3)
    assert (first.total, first.page_count, subjects(first)) == (7, 3, ["ticket 0", "ticket 1", "ticket 2"])
    last = listing(desk, page=3, page_size=3)
    assert subjects(last) == ["ticket 6"]
    beyond = listing(desk, page=99, page_size=3)
    assert beyond.page == 3 and subjects(beyond) == ["ticket 6"]
    empty = listing(desk, view=QueueView.MY_OPEN)
    assert (empty.total, empty.rows, empty.page_count) == (0, [], 1)


def test_one_page_costs_two_queries_however_many_rows(desk):
    for number in range(30):
        desk.raise_ticket(subject=f"ticket {number}", assignee_id=desk.agent2.id if number % 2 else None)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(desk.engine, "before_cursor_execute", count)
    try:  # Alex is passed as he is, not loaded in the session: only the page's own queries count
        with session_scope(desk.engine) as session:
            page = queue.list_queue(session=session, actor=desk.agent, view=QueueView.ALL_OPEN, page_size=25)
    finally:
        event.remove(desk.engine, "before_cursor_execute", count)
    assert len(page.rows) == 25 and {r.assignee_name for r in page.rows} == {"Bo Agent", None}
    assert len(statements) == 2


def test_handled_tickets_move_between_views(desk):
    ticket_id = desk.raise_ticket(subject="Moves")
    desk.act(desk.agent, assignment.claim_ticket, ticket_id=ticket_id)
    assert subjects(listing(desk, QueueView.MY_OPEN)) == ["Moves"]
    assert subjects(listing(desk, QueueView.UNASSIGNED)) == []
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert subjects(listing(desk, QueueView.MY_OPEN)) == []
    assert subjects(listing(desk, QueueView.RECENTLY_RESOLVED)) == ["Moves"]


def test_customers_have_no_queue_and_references_jump_to_tickets(desk):
    ticket_id = desk.raise_ticket(subject="Find me")
    with pytest.raises(PermissionDenied):
        listing(desk, actor=desk.customer)
    assert desk.act(desk.agent, queue.find_by_reference, text=f"ccr-{ticket_id}").id == ticket_id
    assert desk.act(desk.agent, queue.find_by_reference, text="refund") is None
    with pytest.raises(PermissionDenied):
        desk.act(desk.customer, queue.find_by_reference, text=str(ticket_id))
