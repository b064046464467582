"""SLA alerts at their edges, as the assignee and the admins read them in their inbox: a
target due exactly now is missed (not at risk), exactly 2 hours ahead is at risk, a breach
exactly 24 hours old is no longer announced; every ticket gets its own alert even when
another ticket already had the same kind; a capped run alerts the most urgent first and the
rest next time; the mail names the due time of its own target (issue 7, mutation survivors
of helpdesk/sla/alerts.py and notify_sla_risk in helpdesk/notifications/outbox.py).

The maintenance job's clock is passed in; SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.models import OutboxMessage, Ticket
from helpdesk.sla.alerts import queue_sla_alerts

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # the maintenance job's clock in these tests
FAR = timedelta(days=3)
AGENT = "alex@support.example.com"
ADMIN = "ada@support.example.com"


def ticket_due(desk, *, first_response: timedelta = FAR, resolution: timedelta = FAR) -> int:
    """An open ticket assigned to Alex, its targets due at NOW + the given offsets."""
    return desk.raise_ticket(assignee_id=desk.agent.id, first_response_due_at=NOW + first_response,
                             resolution_due_at=NOW + resolution)


def run(desk, now=NOW, **kwargs) -> int:
    with session_scope(desk.engine) as session:
        return queue_sla_alerts(session=session, now=now, **kwargs)


def alerts(desk) -> list[tuple[int, str, str]]:
    with session_scope(desk.engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.event.like("sla_%"))
                               .order_by(OutboxMessage.id))
        return [(row.ticket_id, row.event, row.recipient_email) for row in rows]


def to_both(ticket_id: int, event: str) -> list[tuple[int, str, str]]:
    return [(ticket_id, event, AGENT), (ticket_id, event, ADMIN)]


def test_a_target_due_exactly_now_is_missed_and_not_also_at_risk(desk):
    ticket_id = ticket_due(desk, resolution=timedelta(0))
    assert run(desk) == 1
    assert alerts(desk) == to_both(ticket_id, "sla_missed_resolution")


def test_a_target_due_exactly_2_hours_ahead_is_at_risk_and_a_second_later_is_not(desk):
    edge = ticket_due(desk, resolution=timedelta(hours=2))
    ticket_due(desk, resolution=timedelta(hours=2, seconds=1))
    assert run(desk) == 1
    assert alerts(desk) == to_both(edge, "sla_at_risk_resolution")


def test_a_breach_exactly_24_hours_old_is_not_announced_and_a_second_younger_is(desk):
    ticket_due(desk, first_response=timedelta(hours=-24))
    younger = ticket_due(desk, first_response=timedelta(hours=-24, seconds=1))
    assert run(desk) == 1
    assert alerts(desk) == to_both(younger, "sla_missed_first_response")


def test_every_ticket_gets_its_own_alert_even_after_another_ticket_had_the_same_one(desk):
    first = ticket_due(desk, resolution=timedelta(minutes=30))
    second = ticket_due(desk, resolution=timedelta(minutes=45))
    assert run(desk) == 2  # two tickets at risk in one run: both heard of
    assert alerts(desk) == to_both(first, "sla_at_risk_resolution") + to_both(second, "sla_at_risk_resolution")

    third = ticket_due(desk, resolution=timedelta(hours=2, minutes=5))  # at risk five minutes later
    assert run(desk, now=NOW + timedelta(minutes=5)) == 1
    assert alerts(desk)[4:] == to_both(third, "sla_at_risk_resolution")
    assert run(desk, now=NOW + timedelta(minutes=10)) == 0  # once per ticket


def test_a_capped_run_alerts_the_most_urgent_tickets_first_and_the_rest_next_time(desk):
    later = ticket_due(desk, resolution=timedelta(minutes=90))
    soonest = ticket_due(desk, resolution=timedelta(minutes=30))
    middle = ticket_due(desk, resolution=timedelta(minutes=60))
    assert run(desk, limit=2) == 2
    assert alerts(desk) == to_both(soonest, "sla_at_risk_resolution") + to_both(middle, "sla_at_risk_resolution")
    assert run(desk, limit=2) == 1
    assert alerts(desk)[4:] == to_both(later, "sla_at_risk_resolution")


def test_each_alert_mail_names_the_due_time_of_its_own_target(desk):
    ticket_id = ticket_due(desk, first_response=timedelta(minutes=30), resolution=timedelta(minutes=90))
    run(desk)  # one ticket, both targets at risk
    with session_scope(desk.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert (ticket.first_response_due_at, ticket.resolution_due_at) == (
            datetime(2030, 1, 7, 9, 30, tzinfo=UTC), datetime(2030, 1, 7, 10, 30, tzinfo=UTC))
        mails = {(row.event, row.recipient_email): row for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.event.like("sla_%")))}
    assert set(mails) == {(event, who) for event in ("sla_at_risk_first_response", "sla_at_risk_resolution")
                          for who in (AGENT, ADMIN)}
    first = mails[("sla_at_risk_first_response", AGENT)]
    resolution = mails[("sla_at_risk_resolution", ADMIN)]
    assert first.subject.endswith("SLA first response target at risk")
    assert "(due 2030-01-07 09:30 UTC)" in first.text_body and "10:30" not in first.text_body
    assert "(due 2030-01-07 09:30 UTC)" in first.html_body
    assert resolution.subject.endswith("SLA resolution target at risk")
    assert "(due 2030-01-07 10:30 UTC)" in resolution.text_body and "09:30" not in resolution.text_body
