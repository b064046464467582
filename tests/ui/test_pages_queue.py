"""The agent queue page (AppTest), on SQLite and PostgreSQL: views, SLA markers, filters,
sorting, paging with the total, opening a ticket, bulk changes, empty states, who may see it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest
from sqlalchemy import select, update

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Ticket, TicketEvent, User, format_reference
from helpdesk.tickets import staff
from helpdesk.tickets.lifecycle import transition
from helpdesk.tickets.queue import QueueSort, QueueView
from tests.factories import add_user
from tests.page_helpers import APP, RUN_TIMEOUT, as_read, messages, open_app, page_links, page_text, rerun

QUEUE = "pages/agent/queue.py"

# Every test here drives the app on the shared desk, on each backend.
pytestmark = pytest.mark.usefixtures("served_desk")


@pytest.fixture
def dave(desk) -> User:
    """A second customer, to search and filter by."""
    return add_user(desk.engine, email="dave@example.com", name="Dave Other")


def ticket(desk, subject, *, customer=None, assignee=None, status=(), priority=Priority.NORMAL,
           created_ago=None) -> int:
    """A Billing ticket in a known place in the queue: `status` is the path of moves it took
    (made by the system, no actor), `created_ago` backdates it."""
    placed = {}
    if assignee is not None:
        placed["assignee_id"] = assignee.id
    if created_ago is not None:
        placed["created_at"] = utcnow() - created_ago
    ticket_id = desk.raise_ticket(customer=customer, subject=subject, priority=priority, **placed)
    if status:
        with session_scope(desk.engine) as session:
            row = session.get(Ticket, ticket_id)
            for step in status:
                transition(session, row, None, step)
    return ticket_id


def set_due(desk, ticket_id, first_response_in: timedelta) -> None:
    with session_scope(desk.engine) as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id)
                        .values(first_response_due_at=utcnow() + first_response_in))


def show(at, view: QueueView):
    at.radio(key="queue_view").set_value(view)
    return rerun(at)


def table(at) -> list[dict]:
    if not at.dataframe:
        return []
    return at.dataframe(key="queue_table").value.to_dict("records")


def table_ids(at) -> list[int]:
    return [row["id"] for row in table(at)]


def tick(at, *ticket_ids: int) -> None:
    """Tick the boxes in front of these tickets' rows, as the browser reports it."""
    positions = [table_ids(at).index(ticket_id) for ticket_id in ticket_ids]
    at.session_state["queue_table"] = {"selection": {"rows": positions, "columns": [], "cells": []}}


def click_on(at, ticket_id: int, column: str = "Subject") -> None:
    """Click on a ticket's row in the table (a cell of it)."""
    position = table_ids(at).index(ticket_id)
    at.session_state["queue_table"] = {"selection": {"rows": [], "columns": [], "cells": [[position, column]]}}


def ticked(at) -> list[int]:
    """The tickets whose boxes are ticked, as the table shows them now."""
    ids = table_ids(at)
    return [ids[position] for position in at.session_state["queue_table"]["selection"]["rows"]]


def subjects(at) -> list[str]:
    return [row["Subject"] for row in table(at)]


def errors_in(at, container_key: str) -> list[str]:
    """Every error inside the container `container_key`, in page order."""
    def walk(node, inside):
        found = []
        for child in getattr(node, "children", {}).values():
            here = inside or getattr(child, "key", None) == container_key
            if here and getattr(child, "type", None) == "error":
                found.append(as_read(child.value))
            found.extend(walk(child, here))
        return found

    return walk(at.main, False)


def filters_expander(at):
    [expander] = [e for e in at.expander if e.label.startswith("More filters")]
    return expander


def test_an_empty_queue_explains_itself_in_every_view(desk):
    at = open_app(desk.agent)
    assert at.title[0].value == "Queue"
    assert at.radio(key="queue_view").value == QueueView.MY_OPEN  # agents start with their own work
    assert "Nothing is assigned to you right now" in page_text(at)
    for view, words in [(QueueView.UNASSIGNED, "Every open ticket has an agent"),
                        (QueueView.ALL_OPEN, "There are no open tickets"),
                        (QueueView.BREACHING_SOON, "No ticket is overdue"),
                        (QueueView.RECENTLY_RESOLVED, "No ticket was resolved in the last 7 days")]:
        show(at, view)
        assert words in page_text(at)
        assert not at.dataframe

    at = open_app(desk.admin)
    assert at.radio(key="queue_view").value == QueueView.ALL_OPEN  # admins start with the backlog


def test_my_open_offers_the_unassigned_tickets_when_empty(desk):
    ticket(desk, "Nobody has this yet")
    at = open_app(desk.agent)
    at.button(key="queue_show_unassigned").click()
    rerun(at)
    assert at.radio(key="queue_view").value == QueueView.UNASSIGNED
    assert subjects(at) == ["Nobody has this yet"]


def test_each_view_shows_its_tickets(desk):
    ticket(desk, "Unassigned one")
    ticket(desk, "Alex's open one", assignee=desk.agent, status=[TicketStatus.OPEN])
    ticket(desk, "Bo's one", assignee=desk.agent2)
    ticket(desk, "Alex's solved one", assignee=desk.agent, status=[TicketStatus.RESOLVED])

    at = open_app(desk.agent)
    assert subjects(at) == ["Alex's open one"]
    row = table(at)[0]
    assert (row["Reference"], row["Customer"], row["Agent"], row["Status"], row["Priority"]) == (
        format_reference(2), "Carla Customer", "Alex Agent", "Open", "Normal")
    assert row["E-mail"] == "carla@example.com"
    assert show(at, QueueView.UNASSIGNED) and subjects(at) == ["Unassigned one"]
    assert table(at)[0]["Agent"] == "Unassigned"
    assert sorted(subjects(show(at, QueueView.ALL_OPEN))) == ["Alex's open one", "Bo's one", "Unassigned one"]
    assert subjects(show(at, QueueView.RECENTLY_RESOLVED)) == ["Alex's solved one"]
    assert (table(at)[0]["SLA"], table(at)[0]["SLA target"]) == ("met", "resolution")


def test_sla_markers_say_breached_and_at_risk_in_words(desk):
    late = ticket(desk, "Waiting far too long")
    soon = ticket(desk, "Due soon")
    calm = ticket(desk, "Plenty of time")
    set_due(desk, late, -timedelta(hours=3, minutes=10))
    set_due(desk, soon, timedelta(minutes=45, seconds=30))

    at = open_app(desk.agent)
    rows = {r["Subject"]: r for r in table(show(at, QueueView.ALL_OPEN))}
    # SLA due first: the breached ticket leads the queue.
    assert subjects(at) == ["Waiting far too long", "Due soon", "Plenty of time"]
    assert rows["Waiting far too long"]["SLA"] == "BREACHED 3h 10 min ago"
    assert rows["Waiting far too long"]["SLA target"] == "first response"
    assert rows["Due soon"]["SLA"] == "at risk: 45 min left"
    assert rows["Plenty of time"]["SLA"].startswith("due in 7h")
    assert rows["Plenty of time"]["Due at"].endswith("UTC")

    assert subjects(show(at, QueueView.BREACHING_SOON)) == ["Waiting far too long", "Due soon"]
    assert calm


def test_filters_sorting_paging_and_the_total(desk, dave):
    for number in range(1, 29):
        ticket(desk, f"Printer problem {number:02d}", created_ago=timedelta(hours=100 - number))
    ticket(desk, "Dave's urgent refund", customer=dave, priority=Priority.URGENT)

    at = open_app(desk.admin)
    assert "All open: 29 tickets** · showing 1–25 · page 1 of 2" in page_text(at)
    assert len(table(at)) == 25
    at.number_input(key="queue_page").set_value(2)
    rerun(at)
    assert "showing 26–29 · page 2 of 2" in page_text(at)
    assert len(table(at)) == 4

    at.selectbox(key="queue_sort").select(QueueSort.CREATED)
    rerun(at)
    assert "page 1 of 2" in page_text(at)  # a new order starts at the top
    assert subjects(at)[:2] == ["Dave's urgent refund", "Printer problem 28"]
    assert table(at)[1]["Age"] == "3d"  # created 72 h ago

    at.selectbox(key="queue_sort").select(QueueSort.PRIORITY)
    rerun(at)
    assert subjects(at)[0] == "Dave's urgent refund"

    at.text_input(key="queue_search").input("dave@example")
    rerun(at)
    assert subjects(at) == ["Dave's urgent refund"]
    assert "All open: 1 ticket**" in page_text(at)

    at.text_input(key="queue_search").input("")
    at.multiselect(key="queue_priority").select(Priority.URGENT)
    rerun(at)
    assert subjects(at) == ["Dave's urgent refund"]

    at.multiselect(key="queue_priority").unselect(Priority.URGENT)
    at.text_input(key="queue_search").input("printer problem 0")
    rerun(at)
    assert len(table(at)) == 9

    at.text_input(key="queue_search").input("no such words")
    rerun(at)
    assert "No tickets in “All open” match these filters." in page_text(at)
    at.button(key="queue_clear_filters").click()
    rerun(at)
    assert at.text_input(key="queue_search").value == ""
    assert "29 tickets" in page_text(at)


def test_filter_by_agent_status_and_created_range(desk):
    ticket(desk, "Old one", assignee=desk.agent2, created_ago=timedelta(days=20))
    ticket(desk, "Bo's new one", assignee=desk.agent2, status=[TicketStatus.IN_PROGRESS])
    ticket(desk, "Alex's new one", assignee=desk.agent)
    at = open_app(desk.admin)
    at.selectbox(key="queue_assignee").select(desk.agent2.id)
    rerun(at)
    assert sorted(subjects(at)) == ["Bo's new one", "Old one"]
    at.multiselect(key="queue_status").select(TicketStatus.IN_PROGRESS)
    rerun(at)
    assert subjects(at) == ["Bo's new one"]
    at.multiselect(key="queue_status").unselect(TicketStatus.IN_PROGRESS)
    at.date_input(key="queue_created_from").set_value(utcnow().date() - timedelta(days=25))
    at.date_input(key="queue_created_to").set_value(utcnow().date() - timedelta(days=10))
    rerun(at)
    assert subjects(at) == ["Old one"]

    at.date_input(key="queue_created_from").set_value(utcnow().date())
    rerun(at)
    # Said in the filters, under the dates, and the dates stay as chosen so they can be corrected.
    assert [as_read(e.value) for e in filters_expander(at).error] == ["The end date is before the start date."]
    assert messages(at) == ["The end date is before the start date."]
    assert at.date_input(key="queue_created_from").value == utcnow().date()
    assert at.date_input(key="queue_created_to").value == utcnow().date() - timedelta(days=10)
    assert not at.dataframe  # no rows for filters that can't match


def test_a_reference_outside_the_view_is_still_one_click_away(desk):
    solved = ticket(desk, "Long done", status=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    at = open_app(desk.agent)
    at.text_input(key="queue_search").input(format_reference(solved))
    rerun(at)
    at.button(key="queue_open_reference").click()
    rerun(at)
    assert at.title[0].value == format_reference(solved)


def test_opening_a_ticket_from_the_table_or_the_picker(desk):
    first = ticket(desk, "First in line")
    second = ticket(desk, "Second in line")
    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    click_on(at, second)
    rerun(at)
    assert at.title[0].value == format_reference(second)
    assert "Second in line" in page_text(at)

    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    at.selectbox(key="queue_open").select(first)
    at.button(key="queue_open_button").click()
    rerun(at)
    assert at.title[0].value == format_reference(first)


def test_bulk_assign_changes_the_chosen_tickets_and_audits_each(desk):
    first, second, third = (ticket(desk, f"Ticket {n}") for n in (1, 2, 3))
    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    tick(at, first, third)
    at.selectbox(key="queue_bulk_assignee").select(desk.agent2.id)
    at.selectbox(key="queue_bulk_priority").select(Priority.HIGH)
    at.button(key="queue_bulk_apply").click()
    rerun(at)

    assert messages(at, "success") == [f"Changed 2 tickets: {format_reference(first)}, {format_reference(third)}."]
    assert subjects(at) == ["Ticket 2"]  # the others left the Unassigned view
    assert ticked(at) == []
    with session_scope(desk.engine) as session:
        for ticket_id in (first, third):
            row = session.get(Ticket, ticket_id)
            assert (row.assignee_id, row.priority) == (desk.agent2.id, Priority.HIGH)
            kinds = {(e.kind, e.actor_id, e.new_value) for e in session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))}
            assert (EventKind.ASSIGNED, desk.agent.id, "Bo Agent") in kinds
            assert (EventKind.PRIORITY_CHANGED, desk.agent.id, "high") in kinds
        assert session.get(Ticket, second).assignee_id is None


def test_bulk_status_change_reports_each_refused_ticket_with_the_reason(desk):
    resolved = ticket(desk, "Resolved one", status=[TicketStatus.RESOLVED])
    closed = ticket(desk, "Closed one", status=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    at = open_app(desk.agent)
    show(at, QueueView.RECENTLY_RESOLVED)
    tick(at, resolved, closed)  # the box in the header: the whole page
    rerun(at)
    assert sorted(ticked(at)) == [resolved, closed]
    assert "**2 chosen:**" in page_text(at)
    at.selectbox(key="queue_bulk_status").select(TicketStatus.OPEN)
    at.button(key="queue_bulk_apply").click()
    rerun(at)
    at.button(key="queue_bulk_confirm").click()
    rerun(at)

    assert messages(at, "success") == [f"Changed 1 ticket: {format_reference(resolved)}."]
    warning = messages(at, "warning")[0]
    assert "Left 1 unchanged" in warning
    assert f"{format_reference(closed)}: A ticket can't go from Closed to Open." in warning
    with session_scope(desk.engine) as session:
        assert session.get(Ticket, resolved).status == TicketStatus.OPEN
        assert session.get(Ticket, closed).status == TicketStatus.CLOSED


def test_bulk_change_leaves_a_ticket_someone_changed_meanwhile(desk):
    mine = ticket(desk, "Changed under me")
    ticket(desk, "Another one")
    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    tick(at, mine)
    at.selectbox(key="queue_bulk_status").select(TicketStatus.RESOLVED)
    rerun(at)
    with session_scope(desk.engine) as session:  # Bo raises the priority while Alex is choosing
        session.get(Ticket, mine).priority = Priority.URGENT
    at.button(key="queue_bulk_apply").click()
    rerun(at)
    at.button(key="queue_bulk_confirm").click()
    rerun(at)
    assert f"{format_reference(mine)}: Someone changed it since the queue was shown" in messages(at, "warning")[0]
    with session_scope(desk.engine) as session:
        assert session.get(Ticket, mine).status == TicketStatus.NEW

    # A chosen ticket that leaves the view is taken out of the choice, and the agent is told.
    tick(at, mine)
    rerun(at)
    with session_scope(desk.engine) as session:
        session.get(Ticket, mine).assignee_id = desk.agent2.id
    rerun(at)
    assert f"No longer on this page, so taken out of your choice: {format_reference(mine)}." in messages(at, "info")
    assert ticked(at) == []


def test_bulk_apply_without_a_choice_explains(desk):
    ticket(desk, "Something")
    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    at.selectbox(key="queue_bulk_priority").select(Priority.URGENT)
    at.button(key="queue_bulk_apply").click()
    rerun(at)
    assert errors_in(at, "queue_bulk") == ["Select at least one ticket."]
    assert messages(at) == ["Select at least one ticket."]
    assert at.selectbox(key="queue_bulk_priority").value == Priority.URGENT  # the choice stays
    assert not messages(at, "success")
    with session_scope(desk.engine) as session:
        assert session.scalars(select(Ticket.priority)).all() == [Priority.NORMAL]


def test_customers_cannot_reach_the_queue_or_the_agent_ticket_page(desk):
    at = open_app(desk.customer)
    for page in (QUEUE, "pages/agent/ticket.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    with session_scope(desk.engine) as session:
        assert session.scalar(select(User.role).where(User.id == desk.customer.id)) == Role.CUSTOMER


# --- the queue's state lives in its address (issue 9, item 12) ---------------------------------

def test_the_view_filters_search_sort_and_page_are_kept_in_the_address(desk):
    for n in range(30):
        ticket(desk, f"Printer {n:02d}")
    at = open_app(desk.agent)
    show(at, QueueView.ALL_OPEN)
    at.text_input(key="queue_search").input("Printer")
    rerun(at)
    at.selectbox(key="queue_sort").set_value(QueueSort.CREATED)
    rerun(at)
    at.multiselect(key="queue_priority").set_value([Priority.NORMAL])
    rerun(at)
    at.number_input(key="queue_page").set_value(2)
    rerun(at)
    kept = {name: (value[0] if isinstance(value, list) else value) for name, value in at.query_params.items()}
    assert kept["view"] == "all_open"
    assert kept["q"] == "Printer" and kept["sort"] == "created" and kept["priority"] == "normal"
    assert kept["page"] == "2"


def test_an_address_with_a_view_opens_the_queue_in_that_view(desk):
    """A bookmarked or shared queue address, and the "← Queue" link back from a ticket."""
    for n in range(30):
        ticket(desk, f"Printer {n:02d}")
    ticket(desk, "Something else")
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"] = desk.agent.id
    for name, value in {"view": "all_open", "q": "Printer", "sort": "created", "page": "2"}.items():
        at.query_params[name] = value
    rerun(at)
    assert at.radio(key="queue_view").value == QueueView.ALL_OPEN
    assert at.text_input(key="queue_search").value == "Printer"
    assert at.selectbox(key="queue_sort").value == QueueSort.CREATED
    assert subjects(at) == [f"Printer {n:02d}" for n in range(4, -1, -1)]  # page 2 of 30, newest first


def test_nonsense_in_the_address_is_ignored(desk):
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"] = desk.agent.id
    for name, value in {"view": "bogus", "sort": "x", "page": "-3", "priority": "loud", "agent": "2**70",
                        "from": "yesterday"}.items():
        at.query_params[name] = value
    rerun(at)
    assert at.radio(key="queue_view").value == QueueView.MY_OPEN  # the agent's own start
    assert at.multiselect(key="queue_priority").value == []


def test_the_ticket_pages_back_link_returns_to_the_queue_as_it_was_left(desk):
    ticket_id = ticket(desk, "Printer smokes")
    at = open_app(desk.agent)
    show(at, QueueView.ALL_OPEN)
    at.text_input(key="queue_search").input("Printer")
    rerun(at)
    at.query_params["ticket"] = str(ticket_id)
    at.switch_page("pages/agent/ticket.py")
    rerun(at)
    [back] = [link for link in page_links(at) if link.proto.label == "Queue"]
    assert back.proto.query_string == "view=all_open&q=Printer"


def test_a_bulk_status_change_asks_first_with_the_count_and_what_follows(desk):
    """Issue 9, item 13: "Set status: Closed" closed 25 tickets with no question asked."""
    answered, other = ticket(desk, "Answered one"), ticket(desk, "Answered two")
    for ticket_id in (answered, other):
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Done on our side.")
    at = open_app(desk.agent)
    show(at, QueueView.ALL_OPEN)
    tick(at, answered, other)
    rerun(at)
    at.selectbox(key="queue_bulk_status").select(TicketStatus.CLOSED)
    at.button(key="queue_bulk_apply").click()
    rerun(at)
    text = page_text(at)
    assert "Set 2 tickets to Closed?" in text
    assert "Closed is final: customers can't reply to a closed ticket or reopen it" in text
    assert {desk.ticket(i).status for i in (answered, other)} == {TicketStatus.OPEN}  # nothing yet
    at.button(key="queue_bulk_cancel").click()
    rerun(at)
    assert {desk.ticket(i).status for i in (answered, other)} == {TicketStatus.OPEN}  # cancelled
    assert not [b for b in at.button if b.key == "queue_bulk_confirm"]

    tick(at, answered, other)
    rerun(at)
    at.selectbox(key="queue_bulk_status").select(TicketStatus.CLOSED)
    at.button(key="queue_bulk_apply").click()
    rerun(at)
    at.button(key="queue_bulk_confirm").click()
    rerun(at)
    assert {desk.ticket(i).status for i in (answered, other)} == {TicketStatus.CLOSED}


def test_ticking_rows_chooses_them_and_a_click_on_a_ticket_opens_it(desk):
    """Issue 9, item 13: the boxes in front of the rows looked like choosing but opened the ticket."""
    first, second, third = (ticket(desk, f"Ticket {n}") for n in (1, 2, 3))
    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    tick(at, first, third)
    rerun(at)
    assert at.title[0].value == "Queue"  # still here: ticking opens nothing
    assert sorted(ticked(at)) == [first, third]
    assert f"**2 chosen:** {format_reference(first)}, {format_reference(third)}" in page_text(at)
    assert at.button(key="queue_bulk_apply").label == "Apply to 2 tickets"

    click_on(at, second, column="Reference")
    rerun(at)
    assert at.title[0].value == format_reference(second)


def test_a_tick_stays_on_its_ticket_when_the_rows_move(desk):
    """Rows are reported by position; a ticket that comes in above must not shift the choice."""
    later = ticket(desk, "Due later")
    set_due(desk, later, timedelta(hours=5))
    other = ticket(desk, "Due soon")
    set_due(desk, other, timedelta(hours=3))
    at = open_app(desk.agent)
    show(at, QueueView.UNASSIGNED)
    assert subjects(at) == ["Due soon", "Due later"]
    tick(at, later)
    rerun(at)
    urgent = ticket(desk, "Due first")  # someone raises a ticket that sorts above both
    set_due(desk, urgent, timedelta(hours=1))
    rerun(at)
    assert subjects(at) == ["Due first", "Due soon", "Due later"]
    assert ticked(at) == [later]  # the box moved with its ticket
    at.selectbox(key="queue_bulk_priority").select(Priority.HIGH)
    at.button(key="queue_bulk_apply").click()
    rerun(at)
    assert messages(at, "success") == [f"Changed 1 ticket: {format_reference(later)}."]
    assert [desk.ticket(i).priority for i in (urgent, other, later)] == [Priority.NORMAL, Priority.NORMAL,
                                                                         Priority.HIGH]
