"""The durations analytics reads are stored as the ticket changes, and a rebuild from the
ticket's history gives exactly the same figures (so either can be trusted, and an upgrade or a
change of business hours can recompute them)."""
from __future__ import annotations

from datetime import time

import pytest

from sqlalchemy import select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import TicketStatus
from helpdesk.models import Ticket
from helpdesk.tickets import customer, staff
from helpdesk.tickets.metrics import FIGURES, rebuild, rebuild_all

HOUR = 3600


def office_hours_in_amsterdam(desk) -> None:
    """Mon-Fri 09:00-17:00 in Amsterdam: UTC+1 until 29 March, UTC+2 after."""
    desk.act(desk.admin, settings.set_business_hours, hours=settings.BusinessHours(
        start=time(9), end=time(17), timezone="Europe/Amsterdam"))


def figures(desk, ticket_id: int) -> dict:
    ticket = desk.ticket(ticket_id)
    return {name: getattr(ticket, name) for name in FIGURES}


def rebuilt(desk, ticket_id: int) -> dict:
    stored = figures(desk, ticket_id)
    with session_scope(desk.engine) as session:
        for name in FIGURES:  # forget them, so the rebuild has to find every one again
            setattr(session.get(Ticket, ticket_id), name, None if "seconds" in name and "waiting" not in name else 0)
    assert figures(desk, ticket_id) != stored
    with session_scope(desk.engine) as session:
        rebuild(session, [ticket_id])
    return figures(desk, ticket_id)


def test_a_ticket_life_stores_first_response_waiting_resolution_and_reopens(desk, clock):
    ticket_id = desk.raise_ticket()
    clock.advance(hours=3)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Which invoice?",
             new_status=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=10)
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Number 42.")
    clock.advance(hours=2)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Refunded.",
             new_status=TicketStatus.RESOLVED)
    after_first = figures(desk, ticket_id)
    assert after_first == {
        "first_response_seconds": 3 * HOUR, "first_response_business_seconds": 3 * HOUR,
        # 15 hours from creation to resolution, 10 of them waiting on the customer
        "resolution_seconds": 5 * HOUR, "resolution_business_seconds": 5 * HOUR,
        "waiting_seconds": 10 * HOUR, "waiting_business_seconds": 10 * HOUR,
        "reopen_count": 0, "staff_reply_count": 2}

    clock.advance(hours=1)
    desk.act(desk.customer, customer.reopen_ticket, ticket_id=ticket_id)
    reopened = figures(desk, ticket_id)
    assert reopened["reopen_count"] == 1
    assert reopened["resolution_seconds"] is None and reopened["resolution_business_seconds"] is None
    assert reopened["first_response_seconds"] == 3 * HOUR  # the first response stays the first

    clock.advance(hours=4)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    final = figures(desk, ticket_id)
    assert final["resolution_seconds"] == 10 * HOUR  # 20 hours, 10 of them waiting
    assert final["staff_reply_count"] == 2
    assert rebuilt(desk, ticket_id) == final


def test_business_time_counts_only_the_business_hours_across_a_weekend(desk, clock):
    # Mon-Fri 09:00-17:00 in Amsterdam (UTC+1 in March): 08:00-16:00 UTC.
    office_hours_in_amsterdam(desk)
    clock.advance(days=4, hours=6)  # Friday 15:00 UTC = 16:00 local: one business hour left
    ticket_id = desk.raise_ticket()
    clock.advance(days=3)  # Monday 15:00 UTC = 16:00 local
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Looking at it.")
    clock.advance(hours=18)  # Tuesday 09:00 UTC = 10:00 local
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    stored = figures(desk, ticket_id)
    assert stored["first_response_seconds"] == 72 * HOUR
    assert stored["first_response_business_seconds"] == 8 * HOUR  # Fri 16-17 and Mon 9-16
    assert stored["resolution_seconds"] == 90 * HOUR
    assert stored["resolution_business_seconds"] == 10 * HOUR  # plus Mon 16-17 and Tue 9-10
    assert rebuilt(desk, ticket_id) == stored


def test_resolving_while_waiting_and_closing_unresolved_count_the_wait_and_no_first_response(desk, clock):
    waiting = desk.raise_ticket(subject="Waiting then solved")
    desk.act(desk.agent, staff.change_status, ticket_id=waiting, status=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=6)
    desk.act(desk.agent, staff.change_status, ticket_id=waiting, status=TicketStatus.RESOLVED)
    closed = desk.raise_ticket(subject="Closed without a word")
    clock.advance(hours=2)
    desk.act(desk.customer, customer.close_ticket, ticket_id=closed)

    assert figures(desk, waiting) | {} == {
        "first_response_seconds": None, "first_response_business_seconds": None,
        "resolution_seconds": 0, "resolution_business_seconds": 0,
        "waiting_seconds": 6 * HOUR, "waiting_business_seconds": 6 * HOUR,
        "reopen_count": 0, "staff_reply_count": 0}
    assert figures(desk, closed)["resolution_seconds"] == 2 * HOUR
    assert rebuilt(desk, waiting) == figures(desk, waiting)
    assert rebuilt(desk, closed) == figures(desk, closed)


def test_rebuild_keeps_ticket_versions_and_covers_every_ticket(desk, clock):
    ids = [desk.raise_ticket(subject=f"Ticket {n}") for n in range(3)]
    clock.advance(hours=1)
    for ticket_id in ids:
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="On it.")
    versions = {t: desk.ticket(t).version for t in ids}
    with session_scope(desk.engine) as session:
        session.execute(Ticket.__table__.update().values(first_response_seconds=None, staff_reply_count=0))
    with session_scope(desk.engine) as session:
        assert rebuild_all(session=session, batch=2) == 3
    with session_scope(desk.engine) as session:
        rows = session.execute(select(Ticket.id, Ticket.version, Ticket.first_response_seconds,
                                      Ticket.staff_reply_count)).all()
    assert {r.id: r.version for r in rows} == versions
    assert {(r.first_response_seconds, r.staff_reply_count) for r in rows} == {(HOUR, 1)}


@pytest.mark.parametrize("leave", ["change_status_open", "change_status_resolved", "reply_and_resolve",
                                   "customer_reply"])
def test_leaving_waiting_on_the_customer_is_one_save_one_version_step(desk, clock, leave):
    """Storing the wait's figures must not flush the half-changed ticket on the way (a second
    UPDATE would make anyone's open form stale for no reason), with business hours set."""
    office_hours_in_amsterdam(desk)
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Which invoice?",
             new_status=TicketStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=2)
    before = desk.ticket(ticket_id).version
    if leave == "change_status_open":
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.OPEN)
    elif leave == "change_status_resolved":
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    elif leave == "reply_and_resolve":
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Refunded.",
                 new_status=TicketStatus.RESOLVED)
    else:
        desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Number 42.")
    after = desk.ticket(ticket_id)
    assert after.waiting_seconds == 2 * HOUR
    assert after.version == before + 1


def test_a_reply_after_the_resolution_keeps_it_one_touch(desk, clock):
    ticket_id = desk.raise_ticket()
    clock.advance(hours=1)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Refunded.",
             new_status=TicketStatus.RESOLVED)
    clock.advance(hours=1)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Glad to help, have a nice day.")
    assert figures(desk, ticket_id)["staff_reply_count"] == 1
    # Reopened and answered again: that reply worked the ticket, so it counts.
    desk.act(desk.customer, customer.reopen_ticket, ticket_id=ticket_id)
    clock.advance(hours=1)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Sent again.")
    assert figures(desk, ticket_id)["staff_reply_count"] == 2
    assert rebuilt(desk, ticket_id) == figures(desk, ticket_id)
