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
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Ticket, TicketEvent, User
from helpdesk.tickets import assignment, customer, queue, staff
from helpdesk.tickets.customer import TicketDraft
from tests.factories import add_category, add_user


@pytest.fixture
def team(engine):
    billing, shipping = add_category(engine, "Billing"), add_category(engine, "Shipping")
    team = {
        "engine": engine, "billing": billing, "shipping": shipping,
        "customer": add_user(engine, email="carla@example.com"),
        "admin": add_user(engine, email="ada@support.example.com", role=Role.ADMIN, name="Ada"),
        "ann": add_user(engine, email="ann@support.example.com", role=Role.AGENT, name="Ann"),
        "ben": add_user(engine, email="ben@support.example.com", role=Role.AGENT, name="Ben"),
        "sam": add_user(engine, email="sam@support.example.com", role=Role.AGENT, name="Sam"),
    }
    give_skills(team, "ann", billing)
    give_skills(team, "ben", billing)
    give_skills(team, "sam", shipping)
    return team


def give_skills(team, who, *categories):
    with session_scope(team["engine"]) as session:
        assignment.set_agent_skills(session=session, actor=team["admin"], agent_id=team[who].id,
                                    category_ids=[c.id for c in categories])


def raise_ticket(team, category="billing") -> Ticket:
    with session_scope(team["engine"]) as session:
        return customer.create_ticket(session=session, actor=team["customer"], data=TicketDraft(
            category_id=team[category].id, priority=Priority.NORMAL, subject="Help", description="Please"))


def assignee_name(ticket) -> str | None:
    return ticket.assignee.name if ticket.assignee else None


def resolve(team, ticket_id):
    with session_scope(team["engine"]) as session:
        staff.change_status(session=session, actor=team["admin"], ticket_id=ticket_id,
                                    status=TicketStatus.RESOLVED)


def test_only_agents_with_the_category_skill_get_the_ticket(team):
    shipped = raise_ticket(team, "shipping")
    assert assignee_name(shipped) == "Sam"
    billed = raise_ticket(team, "billing")
    assert assignee_name(billed) in {"Ann", "Ben"}


def test_the_least_loaded_agent_wins(team):
    first = raise_ticket(team)
    second = raise_ticket(team)
    assert {assignee_name(first), assignee_name(second)} == {"Ann", "Ben"}  # one each
    resolve(team, first.id)  # resolved tickets don't count as load
    third = raise_ticket(team)
    assert assignee_name(third) == assignee_name(first)


def test_ties_go_round_robin(team):
    """Equal load every time (each ticket is resolved at once): the agents take turns."""
    names = []
    for _ in range(4):
        ticket = raise_ticket(team)
        names.append(assignee_name(ticket))
        resolve(team, ticket.id)
    assert names[0] != names[1] and names[:2] == names[2:]
    assert set(names) == {"Ann", "Ben"}


def test_round_robin_prefers_whoever_was_assigned_longest_ago(team):
    with session_scope(team["engine"]) as session:
        session.get(User, team["ann"].id).last_assigned_at = utcnow() - timedelta(hours=1)
        session.get(User, team["ben"].id).last_assigned_at = utcnow() - timedelta(hours=2)
    assert assignee_name(raise_ticket(team)) == "Ben"


def test_inactive_agents_are_skipped(team):
    with session_scope(team["engine"]) as session:
        session.get(User, team["ann"].id).is_active = False
    for _ in range(2):
        assert assignee_name(raise_ticket(team)) == "Ben"


def test_nobody_available_leaves_the_ticket_unassigned_in_the_unassigned_view(team):
    with session_scope(team["engine"]) as session:
        session.get(User, team["sam"].id).is_active = False
    ticket = raise_ticket(team, "shipping")
    assert ticket.assignee_id is None
    with session_scope(team["engine"]) as session:
        page = queue.list_queue(session=session, actor=team["ann"], view=queue.QueueView.UNASSIGNED)
    assert [row.id for row in page.rows] == [ticket.id]


def test_automatic_assignment_is_audited_as_the_system(team):
    ticket = raise_ticket(team, "shipping")
    with session_scope(team["engine"]) as session:
        assigned = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.kind == EventKind.ASSIGNED)).all()
    assert [(e.actor_id, e.old_value, e.new_value) for e in assigned] == [(None, None, "Sam")]


def test_admins_can_switch_automatic_assignment_off(team):
    with session_scope(team["engine"]) as session:
        assert settings.get_settings(session=session).auto_assign is True  # on by default
        with pytest.raises(PermissionDenied):
            settings.set_auto_assign(session=session, actor=team["ann"], enabled=False)
        settings.set_auto_assign(session=session, actor=team["admin"], enabled=False)
    assert raise_ticket(team).assignee_id is None
    with session_scope(team["engine"]) as session:
        settings.set_auto_assign(session=session, actor=team["admin"], enabled=True)
    assert raise_ticket(team).assignee_id is not None


def test_skills_are_admin_only_and_checked(team):
    with session_scope(team["engine"]) as session:
        with pytest.raises(PermissionDenied):
            assignment.set_agent_skills(session=session, actor=team["ann"], agent_id=team["ann"].id,
                                        category_ids=[team["shipping"].id])
        with pytest.raises(ValidationError):
            assignment.set_agent_skills(session=session, actor=team["admin"], agent_id=team["customer"].id,
                                        category_ids=[team["shipping"].id])
        with pytest.raises(ValidationError):
            assignment.set_agent_skills(session=session, actor=team["admin"], agent_id=team["ann"].id,
                                        category_ids=[999_999])
    give_skills(team, "ann", team["billing"], team["shipping"])
    with session_scope(team["engine"]) as session:
        assert {c.name for c in session.get(User, team["ann"].id).skills} == {"Billing", "Shipping"}
        agents = assignment.list_assignable_agents(session=session, actor=team["ann"])
    assert [a.name for a in agents] == ["Ada", "Ann", "Ben", "Sam"]
