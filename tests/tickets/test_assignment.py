"""Automatic assignment on creation: skills, least loaded, round-robin on ties, inactive
agents skipped, nobody available, the admin switch. Both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk import settings
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.enums import EventKind, TicketStatus
from helpdesk.models import TicketEvent, User
from helpdesk.tickets import assignment, queue, staff
from tests.factories import Desk, assignee_name


def resolve(desk: Desk, ticket_id: int) -> None:
    desk.act(desk.admin, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)


def switch_off(desk: Desk, *people: User) -> None:
    with session_scope(desk.engine) as session:
        for person in people:
            session.get(User, person.id).is_active = False


def test_only_agents_with_the_category_skill_get_the_ticket(desk, team):
    shipped = desk.raise_ticket(category=team.shipping)
    assert assignee_name(desk, shipped) == "Sam"
    billed = desk.raise_ticket()
    assert assignee_name(desk, billed) in {"Ann", "Ben"}


def test_the_least_loaded_agent_wins(desk, team):
    first = desk.raise_ticket()
    second = desk.raise_ticket()
    assert {assignee_name(desk, first), assignee_name(desk, second)} == {"Ann", "Ben"}  # one each
    resolve(desk, first)  # resolved tickets don't count as load
    third = desk.raise_ticket()
    assert assignee_name(desk, third) == assignee_name(desk, first)


def test_ties_go_round_robin(desk, team):
    """Equal load every time (each ticket is resolved at once): the agents take turns."""
    names = []
    for _ in range(4):
        ticket_id = desk.raise_ticket()
        names.append(assignee_name(desk, ticket_id))
        resolve(desk, ticket_id)
    assert names[0] != names[1] and names[:2] == names[2:]
    assert set(names) == {"Ann", "Ben"}


def test_round_robin_prefers_whoever_was_assigned_longest_ago(desk, team):
    with session_scope(desk.engine) as session:
        session.get(User, team.ann.id).last_assigned_at = utcnow() - timedelta(hours=1)
        session.get(User, team.ben.id).last_assigned_at = utcnow() - timedelta(hours=2)
    assert assignee_name(desk, desk.raise_ticket()) == "Ben"


def test_inactive_agents_are_skipped(desk, team):
    switch_off(desk, team.ann)
    for _ in range(2):
        assert assignee_name(desk, desk.raise_ticket()) == "Ben"


def test_nobody_available_leaves_the_ticket_unassigned_in_the_unassigned_view(desk, team):
    switch_off(desk, team.sam)
    ticket_id = desk.raise_ticket(category=team.shipping)
    assert desk.ticket(ticket_id).assignee_id is None
    page = desk.act(team.ann, queue.list_queue, view=queue.QueueView.UNASSIGNED)
    assert [row.id for row in page.rows] == [ticket_id]


def test_automatic_assignment_is_audited_as_the_system(desk, team):
    ticket_id = desk.raise_ticket(category=team.shipping)
    with session_scope(desk.engine) as session:
        assigned = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                             TicketEvent.kind == EventKind.ASSIGNED)).all()
    assert [(e.actor_id, e.old_value, e.new_value) for e in assigned] == [(None, None, "Sam")]


def test_admins_can_switch_automatic_assignment_off(desk, team):
    with session_scope(desk.engine) as session:
        assert settings.get_settings(session=session).auto_assign is True  # on by default
    with pytest.raises(PermissionDenied):
        desk.act(team.ann, settings.set_auto_assign, enabled=False)
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    assert desk.ticket(desk.raise_ticket()).assignee_id is None
    desk.act(desk.admin, settings.set_auto_assign, enabled=True)
    assert desk.ticket(desk.raise_ticket()).assignee_id is not None


def test_skills_are_admin_only_and_checked(desk, team):
    with pytest.raises(PermissionDenied):
        desk.act(team.ann, assignment.set_agent_skills, agent_id=team.ann.id, category_ids=[team.shipping.id])
    with pytest.raises(ValidationError):
        desk.act(desk.admin, assignment.set_agent_skills, agent_id=desk.customer.id,
                 category_ids=[team.shipping.id])
    with pytest.raises(ValidationError):
        desk.act(desk.admin, assignment.set_agent_skills, agent_id=team.ann.id, category_ids=[999_999])
    desk.act(desk.admin, assignment.set_agent_skills, agent_id=team.ann.id,
             category_ids=[desk.category.id, team.shipping.id])
    switch_off(desk, desk.agent, desk.agent2)  # Alex and Bo are off duty: the list is Ada and the team
    with session_scope(desk.engine) as session:
        assert {c.name for c in session.get(User, team.ann.id).skills} == {"Billing", "Shipping"}
        agents = assignment.list_assignable_agents(session=session, actor=session.get(User, team.ann.id))
    assert [a.name for a in agents] == ["Ada Admin", "Ann", "Ben", "Sam"]
