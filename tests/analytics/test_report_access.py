"""Only managers and administrators get the report, whatever a page or a caller passes."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.analytics.report import build_report
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied
from helpdesk.enums import Role
from helpdesk.models import User
from tests.factories import add_user

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def report_for(engine, person):
    period = make_period(preset=RangePreset.LAST_30, now=NOW, zone=ZoneInfo("UTC"))
    with session_scope(engine) as session:
        actor = session.get(User, person.id) if person is not None else None
        return build_report(session=session, actor=actor, period=period, filters=TicketFilter(), now=NOW)


@pytest.mark.parametrize("who", ["customer", "agent", None])
def test_customers_agents_and_nobody_are_refused(desk, who):
    desk.raise_ticket()
    with pytest.raises(PermissionDenied):
        report_for(desk.engine, getattr(desk, who) if who else None)


def test_a_deactivated_manager_is_refused(desk):
    manager = add_user(desk.engine, email="mia@support.example.com", role=Role.MANAGER)
    with session_scope(desk.engine) as session:
        session.get(User, manager.id).is_active = False
    with pytest.raises(PermissionDenied):
        report_for(desk.engine, manager)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_administrators_get_it(desk, role):
    person = add_user(desk.engine, email=f"{role.value}@support.example.com", role=role)
    desk.raise_ticket()
    assert report_for(desk.engine, person).current.backlog == 1
