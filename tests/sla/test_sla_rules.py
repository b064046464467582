"""SLA rules at their edges, with the dates written out by hand: business hours in a zone
ahead of or behind UTC (the working day is the local day, it ends at the local closing time),
time spent waiting on the customer credited in working time, a priority change keeping that
credit across nights and weekends, and the words agents read (Met / Breached / Paused / At risk)
exactly at the due moment. Service tests run on both backends."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import Ticket
from helpdesk.settings import BusinessHours
from helpdesk.sla import clock as sla_clock
from helpdesk.sla.clock import add_working_time, working_time_between
from helpdesk.tickets import staff

NINE_TO_FIVE_UTC = BusinessHours(start=time(9), end=time(17), weekdays=frozenset(range(5)), timezone="UTC")
AMSTERDAM = BusinessHours(start=time(9), end=time(17), weekdays=frozenset(range(5)), timezone="Europe/Amsterdam")
LOS_ANGELES = BusinessHours(start=time(9), end=time(17), weekdays=frozenset(range(5)),
                            timezone="America/Los_Angeles")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- working time in a zone other than UTC (November: Amsterdam UTC+1, Los Angeles UTC-8) ------

def test_an_amsterdam_working_day_is_eight_hours_and_ends_at_five_there():
    monday, tuesday = utc(2026, 11, 23, 0), utc(2026, 11, 24, 0)
    assert working_time_between(monday, tuesday, AMSTERDAM) == timedelta(hours=8)
    # 9:00-17:00 in Amsterdam is 8:00-16:00 UTC: nine hours from Monday's opening end on Tuesday.
    assert add_working_time(utc(2026, 11, 23, 8), timedelta(hours=8), AMSTERDAM) == utc(2026, 11, 23, 16)
    assert add_working_time(utc(2026, 11, 23, 8), timedelta(hours=9), AMSTERDAM) == utc(2026, 11, 24, 9)


def test_the_working_day_is_the_local_day_even_when_utc_has_moved_on():
    """Tuesday 00:30 UTC is Monday 16:30 in Los Angeles: half an hour of Monday is left."""
    late_monday_there = utc(2026, 11, 24, 0, 30)
    assert working_time_between(late_monday_there, utc(2026, 11, 24, 1), LOS_ANGELES) == timedelta(minutes=30)
    # An hour of work: the last half hour of Monday, then Tuesday 9:00-9:30 there (17:30 UTC).
    assert add_working_time(late_monday_there, timedelta(hours=1), LOS_ANGELES) == utc(2026, 11, 24, 17, 30)


# --- the words agents read, exactly at the due moment ----------------------------------------

DUE = utc(2026, 11, 23, 15)


def row(**values):
    """A queue row: what the clocks read."""
    base = dict(status=TicketStatus.OPEN, first_response_at=utc(2026, 11, 23, 9, 30), resolved_at=None,
                waiting_since=None, first_response_due_at=utc(2026, 11, 23, 10), resolution_due_at=DUE)
    base.update(values)
    return SimpleNamespace(**base)


@pytest.mark.parametrize(("values", "label"), [
    # Resolved exactly at the due moment is on time; a second later is a miss.
    (dict(status=TicketStatus.RESOLVED, resolved_at=DUE), "Met"),
    (dict(status=TicketStatus.RESOLVED, resolved_at=DUE + timedelta(seconds=1)), "Breached"),
    # Waiting on the customer: the clock stopped when the wait began, not now.
    (dict(status=TicketStatus.WAITING_ON_CUSTOMER, waiting_since=DUE - timedelta(hours=1)), "Paused"),
    (dict(status=TicketStatus.WAITING_ON_CUSTOMER, waiting_since=DUE), "Paused"),
    (dict(status=TicketStatus.WAITING_ON_CUSTOMER, waiting_since=DUE + timedelta(seconds=1)), "Breached"),
    # Waiting, though when the wait began was not recorded: still paused, not "At risk".
    (dict(status=TicketStatus.WAITING_ON_CUSTOMER, resolution_due_at=utc(2026, 11, 23, 18, 30)), "Paused"),
])
def test_resolution_state_words_at_the_boundary(values, label):
    now = utc(2026, 11, 23, 18)  # three hours after DUE
    clock = sla_clock.current_clock(row(**values), now)
    assert (clock.target, clock.state.label) == ("resolution", label)


def test_waiting_with_no_target_is_paused_not_an_error():
    clock = sla_clock.resolution_clock(row(status=TicketStatus.WAITING_ON_CUSTOMER, waiting_since=DUE,
                                     resolution_due_at=None), DUE)
    assert clock.state.label == "Paused"


# --- through the services --------------------------------------------------------------------

def test_a_weekend_wait_credits_only_the_working_hours_spent_waiting(desk):
    """Waiting from Friday 16:00 to Monday 10:00 is two working hours (Friday's last, Monday's
    first): a target of Monday 16:00 moves to Tuesday 10:00, not by the 66 hours on the clock."""
    desk.act(desk.admin, settings.set_business_hours, hours=NINE_TO_FIVE_UTC)
    ticket_id = desk.raise_ticket()
    with session_scope(desk.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.waiting_since = utc(2026, 11, 20, 16)
        ticket.resolution_due_at = utc(2026, 11, 23, 16)
        sla_clock.resume(ticket, utc(2026, 11, 23, 10))
    resumed = desk.ticket(ticket_id)
    assert resumed.resolution_due_at == utc(2026, 11, 24, 10)
    assert resumed.waiting_since is None


def test_a_priority_change_keeps_waiting_credit_measured_in_working_hours(desk):
    """Raised Monday 15:00 as Normal (72 working hours: Friday Dec 4, 15:00) with three working
    hours of waiting already credited (Monday Dec 7, 10:00 - across a weekend). Made High: 24 + 3
    working hours from Monday 15:00 is Friday Nov 27, 10:00; first response 4 hours: Tuesday 11:00."""
    desk.act(desk.admin, settings.set_business_hours, hours=NINE_TO_FIVE_UTC)
    ticket_id = desk.raise_ticket(created_at=utc(2026, 11, 23, 15), first_response_due_at=utc(2026, 11, 24, 15),
                                  resolution_due_at=utc(2026, 12, 7, 10))
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.HIGH)
    high = desk.ticket(ticket_id)
    assert high.first_response_due_at == utc(2026, 11, 24, 11)
    assert high.resolution_due_at == utc(2026, 11, 27, 10)


def test_a_priority_change_with_no_credit_needs_no_business_hours_to_be_right(desk):
    """Around the clock, no waiting: Urgent from Monday 09:00 is due 10:00 / 17:00 the same day."""
    ticket_id = desk.raise_ticket(created_at=utc(2026, 11, 23, 9), first_response_due_at=utc(2026, 11, 23, 17),
                                  resolution_due_at=utc(2026, 11, 26, 9))
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.URGENT)
    urgent = desk.ticket(ticket_id)
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (utc(2026, 11, 23, 10), utc(2026, 11, 23, 17))


def test_a_ticket_without_a_resolution_target_gets_one_on_a_priority_change(desk):
    """Tickets raised before targets existed have none; a priority change sets both, with
    nothing credited."""
    ticket_id = desk.raise_ticket(created_at=utc(2026, 11, 23, 9), first_response_due_at=None,
                                  resolution_due_at=None)
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.URGENT)
    urgent = desk.ticket(ticket_id)
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (utc(2026, 11, 23, 10), utc(2026, 11, 23, 17))
