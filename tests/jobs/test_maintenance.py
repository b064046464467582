"""`python -m helpdesk maintenance`: resolved tickets close after the configured days, once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk import settings
from helpdesk.cli import main
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.enums import EventKind, TicketStatus
from helpdesk.jobs.maintenance import run_maintenance
from helpdesk.models import Ticket, TicketEvent
from helpdesk.tickets import customer, staff


def resolved_ticket(desk, days_ago: float) -> int:
    """A ticket Alex resolved `days_ago` days ago."""
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    with session_scope(desk.engine) as session:
        session.get(Ticket, ticket_id).resolved_at = utcnow() - timedelta(days=days_ago)
    return ticket_id


def status_of(desk, ticket_id) -> TicketStatus:
    return desk.ticket(ticket_id).status


def test_closes_resolved_tickets_older_than_the_setting_once(desk):
    old, recent = resolved_ticket(desk, 8), resolved_ticket(desk, 2)
    first = run_maintenance(desk.engine)
    assert first.closed_ids == [old] and first.auto_close_days == 7
    assert (status_of(desk, old), status_of(desk, recent)) == (TicketStatus.CLOSED, TicketStatus.RESOLVED)
    with session_scope(desk.engine) as session:
        closing = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == old,
                                                            TicketEvent.new_value == "closed")).all()
        assert [(e.kind, e.actor_id, e.old_value) for e in closing] == [(EventKind.STATUS_CHANGED, None, "resolved")]
        assert session.get(Ticket, old).closed_at is not None

    assert run_maintenance(desk.engine).closed_ids == []  # idempotent
    with session_scope(desk.engine) as session:
        assert len(session.scalars(select(TicketEvent).where(TicketEvent.new_value == "closed")).all()) == 1


def test_respects_the_admin_setting_and_works_in_batches(desk):
    ids = [resolved_ticket(desk, 3) for _ in range(3)]
    assert run_maintenance(desk.engine).closed_ids == []
    with session_scope(desk.engine) as session:
        with pytest.raises(PermissionDenied):
            settings.set_auto_close_days(session=session, actor=desk.agent, days=2)
        with pytest.raises(ValidationError):
            settings.set_auto_close_days(session=session, actor=desk.admin, days=0)
        settings.set_auto_close_days(session=session, actor=desk.admin, days=2)
    report = run_maintenance(desk.engine, batch_size=2)
    assert sorted(report.closed_ids) == ids


def test_reopened_tickets_are_left_alone(desk):
    ticket_id = resolved_ticket(desk, 10)
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Still broken")
    assert run_maintenance(desk.engine).closed_ids == []
    assert status_of(desk, ticket_id) == TicketStatus.OPEN


def test_command_prints_what_it_did(desk, capsys):
    ticket_id = resolved_ticket(desk, 9)
    url = desk.engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "maintenance"]) == 0
    out = capsys.readouterr().out
    assert "Closed 1 ticket resolved before" in out and f"CCR-{ticket_id:06d}" in out
    assert main(["--database-url", url, "maintenance"]) == 0
    assert "Closed 0 tickets" in capsys.readouterr().out


def ticket_due(desk, *, assignee=None, first_due_in: timedelta | None = None,
               resolution_due_in: timedelta | None = None) -> int:
    """An open ticket whose targets are due that long from now (three days unless given)."""
    now = utcnow()
    return desk.raise_ticket(
        assignee_id=assignee.id if assignee else None,
        first_response_due_at=now + (first_due_in if first_due_in is not None else timedelta(days=3)),
        resolution_due_at=now + (resolution_due_in if resolution_due_in is not None else timedelta(days=3)))


def sla_mails(desk):
    from helpdesk.models import OutboxMessage

    with session_scope(desk.engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.event.like("sla_%"))
                               .order_by(OutboxMessage.id)).all()
        return [(row.ticket_id, row.event, row.recipient_email) for row in rows]


def test_sla_alerts_reach_assignee_and_admins_once(desk):
    at_risk = ticket_due(desk, assignee=desk.agent, first_due_in=timedelta(minutes=30))
    missed = ticket_due(desk, assignee=desk.agent, resolution_due_in=timedelta(minutes=-20))
    fine = ticket_due(desk, assignee=desk.agent)
    report = run_maintenance(desk.engine)
    assert report.sla_alerts == 2
    mails = sla_mails(desk)
    assert sorted(mails) == sorted([
        (at_risk, "sla_at_risk_first_response", "alex@support.example.com"),
        (at_risk, "sla_at_risk_first_response", "ada@support.example.com"),
        (missed, "sla_missed_resolution", "alex@support.example.com"),
        (missed, "sla_missed_resolution", "ada@support.example.com"),
    ])
    assert fine not in {ticket_id for ticket_id, _, _ in mails}
    assert run_maintenance(desk.engine).sla_alerts == 0
    assert sla_mails(desk) == mails


def test_no_sla_alerts_while_waiting_on_customer_or_for_old_breaches(desk):
    waiting = ticket_due(desk, assignee=desk.agent, resolution_due_in=timedelta(minutes=30))
    desk.act(desk.agent, staff.change_status, ticket_id=waiting, status=TicketStatus.WAITING_ON_CUSTOMER)
    ticket_due(desk, assignee=desk.agent, first_due_in=timedelta(days=-3), resolution_due_in=timedelta(days=-2))
    assert run_maintenance(desk.engine).sla_alerts == 0
    assert sla_mails(desk) == []


def test_answered_ticket_gets_no_first_response_alert(desk):
    answered = ticket_due(desk, assignee=desk.agent, first_due_in=timedelta(minutes=10))
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=answered, body="On it")
    assert run_maintenance(desk.engine).sla_alerts == 0
