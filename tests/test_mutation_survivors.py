"""Rules the mutation survivors of helpdesk/sla/clock.py, helpdesk/sla/alerts.py and
helpdesk/notifications/outbox.py showed unpinned, checked as a person sees them: when an SLA is
due after a wait or after closing time, why impossible business hours fail, which of two tickets
due together a capped alert run picks, in which order the admins' alert mails are queued, and a
clean log when a ticket is unassigned.

Dates are written out by hand (November 2026: Monday the 23rd); SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, Role, TicketStatus
from helpdesk.models import OutboxMessage, Ticket, User
from helpdesk.settings import BusinessHours
from helpdesk.sla import clock as sla
from helpdesk.sla.alerts import queue_sla_alerts
from helpdesk.tickets import assignment, staff
from tests.factories import add_user

NINE_TO_FIVE = BusinessHours(start=time(9), end=time(17), weekdays=frozenset(range(5)), timezone="UTC")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sla_mails(desk) -> list[tuple[int, str]]:
    """(ticket, recipient) of every SLA alert row, in the order they are sent (queue order)."""
    with session_scope(desk.engine) as session:
        return [(row.ticket_id, row.recipient_email) for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.event.like("sla_%")).order_by(OutboxMessage.id))]


# --- when an SLA is due (clock.add_working_time, clock.resume) ----------------------------------

def test_a_wait_with_no_working_time_in_it_leaves_a_closing_time_target_where_it_is(desk):
    """add_working_time with zero duration returns the start (`duration <= 0`): a target due at
    Friday's closing time, waited on over the weekend (no working time), stays due Friday 17:00
    rather than moving to Monday's opening."""
    desk.act(desk.admin, settings.set_business_hours, hours=NINE_TO_FIVE)
    ticket_id = desk.raise_ticket()
    with session_scope(desk.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.resolution_due_at = utc(2026, 11, 20, 17)
        ticket.waiting_since = utc(2026, 11, 21, 10)  # Saturday
        sla.resume(ticket, utc(2026, 11, 22, 18))  # Sunday evening
    assert desk.ticket(ticket_id).resolution_due_at == utc(2026, 11, 20, 17)


def test_a_ticket_raised_after_closing_time_is_due_from_the_next_opening(desk):
    """A working day's window that already closed is skipped, not the end of the calendar:
    raised Monday 18:00 as Normal (72 working hours: Friday Dec 4, 17:00, no waiting credited)
    and made Urgent (1 h / 8 h), it is due Tuesday 10:00 and 17:00."""
    desk.act(desk.admin, settings.set_business_hours, hours=NINE_TO_FIVE)
    ticket_id = desk.raise_ticket(created_at=utc(2026, 11, 23, 18), resolution_due_at=utc(2026, 12, 4, 17))
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.URGENT)
    urgent = desk.ticket(ticket_id)
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (utc(2026, 11, 24, 10), utc(2026, 11, 24, 17))


def test_resuming_a_ticket_outside_any_session_counts_the_wait_around_the_clock(desk):
    """_calendar(None): with no session to read business hours from, the clock runs 24/7
    (and does not try to read settings through a missing session)."""
    desk.act(desk.admin, settings.set_business_hours, hours=NINE_TO_FIVE)
    ticket = desk.ticket(desk.raise_ticket())  # detached: in no session
    ticket.resolution_due_at = utc(2026, 11, 23, 12)
    ticket.waiting_since = utc(2026, 11, 21, 10)  # Saturday 10:00 to Sunday 10:00: 24 hours
    sla.resume(ticket, utc(2026, 11, 22, 10))
    assert (ticket.resolution_due_at, ticket.waiting_since) == (utc(2026, 11, 24, 12), None)


def test_business_hours_too_short_for_a_target_put_it_at_the_calendars_end():
    """One minute on Mondays holds about nine working hours in the ten-year calendar walk, so a
    72-hour target is due exactly ten years (3,660 days) on; 8 hours still fit and land on a Monday."""
    one_minute_on_mondays = BusinessHours(start=time(9), end=time(9, 1), weekdays=frozenset({0}), timezone="UTC")
    start = utc(2026, 11, 23, 9)
    assert sla.add_working_time(start, timedelta(hours=72), one_minute_on_mondays) == start + timedelta(days=3660)
    fits = sla.add_working_time(start, timedelta(hours=8), one_minute_on_mondays)
    assert fits == utc(2026, 11, 23, 9) + timedelta(weeks=479, minutes=1)


# --- SLA alerts: which ticket a capped run picks, in which order the admins hear -----------------

ALERT_NOW = utc(2030, 1, 7, 9)  # the maintenance job's clock


def test_of_two_tickets_due_at_the_same_moment_a_capped_alert_run_takes_the_one_raised_first(desk):
    """_tickets_needing_alert orders by due date, then by ticket: the earlier ticket is alerted
    first even when the later one sorts first by status (SQLite) or was written last (PostgreSQL)."""
    due = dict(assignee_id=desk.agent.id, first_response_due_at=ALERT_NOW + timedelta(days=3),
               resolution_due_at=ALERT_NOW + timedelta(hours=1))
    first = desk.raise_ticket(subject="First", status=TicketStatus.OPEN, **due)
    second = desk.raise_ticket(subject="Second", status=TicketStatus.IN_PROGRESS, **due)
    with session_scope(desk.engine) as session:  # moves the first ticket's row behind on PostgreSQL
        session.get(Ticket, first).subject = "First, edited"
    with session_scope(desk.engine) as session:
        assert queue_sla_alerts(session=session, now=ALERT_NOW, limit=1) == 1
    assert {ticket for ticket, _ in sla_mails(desk)} == {first}
    with session_scope(desk.engine) as session:
        assert queue_sla_alerts(session=session, now=ALERT_NOW, limit=1) == 1
    assert {ticket for ticket, _ in sla_mails(desk)} == {first, second}


def test_sla_alert_mails_go_to_the_assignee_then_the_admins_in_account_order(desk):
    """notify_sla_risk reads the admins ordered by account: Ada (the older account) before Zoe,
    even after Ada's address was changed and changed back (a new row version, behind Zoe's,
    on PostgreSQL: the address is indexed, so the update cannot stay in place)."""
    add_user(desk.engine, email="zoe@support.example.com", role=Role.ADMIN, name="Zoe Admin")
    with session_scope(desk.engine) as session:
        ada = session.get(User, desk.admin.id)
        ada.email = "ada.old@support.example.com"
        session.flush()
        ada.email = "ada@support.example.com"
    ticket_id = desk.raise_ticket(assignee_id=desk.agent.id, first_response_due_at=ALERT_NOW + timedelta(days=3),
                                  resolution_due_at=ALERT_NOW + timedelta(hours=1))
    with session_scope(desk.engine) as session:
        queue_sla_alerts(session=session, now=ALERT_NOW)
    assert sla_mails(desk) == [(ticket_id, "alex@support.example.com"), (ticket_id, "ada@support.example.com"),
                               (ticket_id, "zoe@support.example.com")]


# --- a clean server log ----------------------------------------------------------------------

@pytest.mark.filterwarnings("error::sqlalchemy.exc.SAWarning")
def test_unassigning_a_ticket_logs_no_sqlalchemy_warning(desk):
    """outbox._user looks up nobody for a missing id instead of asking SQLAlchemy for user None,
    which warns in the server log ('fully NULL primary key identity', an error in a future
    release). Here the warning fails the test."""
    ticket_id = desk.raise_ticket(assignee_id=desk.agent.id)
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=None)
    assert desk.ticket(ticket_id).assignee_id is None


def test_agents_with_the_same_name_are_offered_oldest_account_first_even_after_an_edit(desk):
    """The id tie-break of list_assignable_agents (mutmut_4/_6 drop it). An edit moves a row to the
    end of PostgreSQL's table, so without the tie-break the newer "Sam" would come first there;
    SQLite keeps rows in id order, so only the PostgreSQL run can tell."""
    from sqlalchemy import update

    from helpdesk.core.db import session_scope
    from helpdesk.enums import Role
    from helpdesk.models import User
    from helpdesk.tickets import assignment
    from tests.factories import add_user

    older = add_user(desk.engine, email="sam.one@support.example.com", role=Role.AGENT, name="Sam")
    newer = add_user(desk.engine, email="sam.two@support.example.com", role=Role.AGENT, name="Sam")
    with session_scope(desk.engine) as session:  # the older account is edited (and put back)
        session.execute(update(User).where(User.id == older.id).values(name="Sam (away)"))
    with session_scope(desk.engine) as session:
        session.execute(update(User).where(User.id == older.id).values(name="Sam"))
    offered = [a.id for a in desk.act(desk.agent, assignment.list_assignable_agents) if a.name == "Sam"]
    assert offered == [older.id, newer.id]


def test_a_wait_runs_from_the_failure_that_set_it_and_attempts_during_it_change_nothing(engine):
    """The rule that replaced reserve_attempt's survivor 14 (a lock that started its count again
    too early): a wait must not end early, nor grow, whatever arrives while it runs. Four
    failures at 0:00 (the fourth waits 2 s), the fifth at 0:02 (4 s), the sixth at 0:06 (8 s,
    until 0:14): attempts at 0:06.5, 0:10 and 0:13.9 are refused and counted nowhere, and the
    one at 0:14 is the seventh, which waits 16 s."""
    from datetime import timedelta

    import pytest

    from helpdesk.accounts import throttle
    from helpdesk.core.clock import utcnow
    from helpdesk.core.db import session_scope
    from helpdesk.core.errors import Throttled
    from helpdesk.models import LoginThrottle

    email, start = "carla@example.com", utcnow() - timedelta(hours=2)

    def fail_at(moment):
        with session_scope(engine) as session:
            throttle.reserve_attempt(session, email=email, client=None, now=moment)
            throttle.record_failure(session, email=email, client=None, now=moment)

    for _ in range(4):
        fail_at(start)
    fail_at(start + timedelta(seconds=2))
    fail_at(start + timedelta(seconds=6))
    for seconds in (6.5, 10, 13.9):
        with pytest.raises(Throttled), session_scope(engine) as session:
            throttle.reserve_attempt(session, email=email, client=None, now=start + timedelta(seconds=seconds))
    fail_at(start + timedelta(seconds=14))
    with session_scope(engine) as session:
        row = session.get(LoginThrottle, f"address:{email}")
        assert (row.failures, row.next_attempt_at - start) == (7, timedelta(seconds=14 + 16))


def test_a_deactivated_customer_gets_no_mail_not_even_an_essential_one(desk):
    """outbox.enqueue survivor 3 (`and` for `or`): an account that was switched off is never
    mailed, whatever the event; its e-mail address alone is not enough."""
    from sqlalchemy import select, update

    from helpdesk.core.db import session_scope
    from helpdesk.enums import TicketStatus
    from helpdesk.models import OutboxMessage, User
    from helpdesk.tickets import staff

    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Fixed on our side.")
    with session_scope(desk.engine) as session:
        session.execute(update(User).where(User.id == desk.customer.id).values(is_active=False))
        before = set(session.scalars(select(OutboxMessage.id)))
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)  # essential mail
    with session_scope(desk.engine) as session:
        new = session.scalars(select(OutboxMessage).where(OutboxMessage.id.not_in(before))).all()
        assert [row.recipient_email for row in new if row.recipient_email == desk.customer.email] == []
