"""Two agents of the same name stay two rows, and two bars, in the per-agent figures."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.analytics.report import build_report
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.db import session_scope
from helpdesk.models import User
from helpdesk.tickets import assignment


def test_namesakes_get_their_own_labels(desk, clock):
    clock.now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    with session_scope(desk.engine) as session:
        session.get(User, desk.agent2.id).name = session.get(User, desk.agent.id).name
    for agent in (desk.agent, desk.agent2):
        ticket_id = desk.raise_ticket()
        desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=agent.id)
    clock.advance(hours=1)
    period = make_period(preset=RangePreset.LAST_7, now=clock.now, zone=ZoneInfo("UTC"))
    with session_scope(desk.engine) as session:
        report = build_report(session=session, actor=session.get(User, desk.admin.id), period=period,
                              filters=TicketFilter(), now=clock.now)
        name = session.get(User, desk.agent.id).name
    labels = dict(zip(report.per_agent["agent_id"], report.per_agent["agent"], strict=True))
    assert labels == {desk.agent.id: f"{name} (#{desk.agent.id})", desk.agent2.id: f"{name} (#{desk.agent2.id})"}
