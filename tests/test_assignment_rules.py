"""Automatic assignment, rule by rule, so a simpler rule fails: the least-loaded agent wins
even over whoever waited longest (round-robin only breaks ties), only working tickets count
as load, inactive agents and agents without the category's skill are never picked, and ties
go to the never-assigned first, then to whoever was assigned longest ago. Both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk import settings
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import Priority, Role, TicketStatus
from helpdesk.models import Ticket, User
from helpdesk.tickets import assignment, customer, staff
from helpdesk.tickets.customer import TicketDraft
from tests.factories import add_category, add_user


@pytest.fixture
def team(engine):
    """Ann and Ben handle Billing; Sam handles Shipping only; Ada is the admin (no skills)."""
    team = {
        "engine": engine,
        "billing": add_category(engine, "Billing"), "shipping": add_category(engine, "Shipping"),
        "customer": add_user(engine, email="carla@example.com", name="Carla"),
        "admin": add_user(engine, email="ada@support.example.com", role=Role.ADMIN, name="Ada"),
        "ann": add_user(engine, email="ann@support.example.com", role=Role.AGENT, name="Ann"),
        "ben": add_user(engine, email="ben@support.example.com", role=Role.AGENT, name="Ben"),
        "sam": add_user(engine, email="sam@support.example.com", role=Role.AGENT, name="Sam"),
    }
    give_skills(team, "ann", "billing")
    give_skills(team, "ben", "billing")
    give_skills(team, "sam", "shipping")
    return team


def give_skills(team, who, *categories):
    with session_scope(team["engine"]) as session:
        assignment.set_agent_skills(session=session, actor=session.get(User, team["admin"].id),
                                    agent_id=team[who].id, category_ids=[team[c].id for c in categories])


def as_admin(team, fn, **kwargs):
    with session_scope(team["engine"]) as session:
        return fn(session=session, actor=session.get(User, team["admin"].id), **kwargs)


def raise_ticket(team, category="billing") -> int:
    with session_scope(team["engine"]) as session:
        return customer.create_ticket(session=session, actor=session.get(User, team["customer"].id), data=TicketDraft(
            category_id=team[category].id, priority=Priority.NORMAL, subject="Help", description="Please")).id


def assignee_of(team, ticket_id) -> str | None:
    with session_scope(team["engine"]) as session:
        ticket = session.get(Ticket, ticket_id)
        return ticket.assignee.name if ticket.assignee else None


def next_ticket_goes_to(team, category="billing") -> str | None:
    return assignee_of(team, raise_ticket(team, category))


def give_tickets(team, who, count, status="open", category="billing"):
    """`count` tickets assigned by hand to `who`, then moved to `status` the way agents do it."""
    as_admin(team, settings.set_auto_assign, enabled=False)
    for _ in range(count):
        ticket_id = raise_ticket(team, category)
        as_admin(team, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=team[who].id)
        if status != "new":
            as_admin(team, staff.change_status, ticket_id=ticket_id, status=TicketStatus(status))
        assert assignee_of(team, ticket_id) == team[who].name
    as_admin(team, settings.set_auto_assign, enabled=True)


def last_assigned(team, **hours_ago):
    """When each agent last got a ticket: hours ago, or None for never."""
    with session_scope(team["engine"]) as session:
        for who, hours in hours_ago.items():
            session.get(User, team[who].id).last_assigned_at = (
                None if hours is None else utcnow() - timedelta(hours=hours))


# --- least loaded first ----------------------------------------------------------------------

@pytest.mark.parametrize(("ann_load", "ben_load", "waited_longest", "winner"), [
    (1, 0, "ann", "Ben"),   # Ann waited three days, but Ben has nothing on his plate
    (0, 1, "ben", "Ann"),
    (3, 2, "ann", "Ben"),   # fewer wins, not merely "none"
    (2, 3, "ben", "Ann"),
])
def test_fewer_open_tickets_beats_having_waited_longest(team, ann_load, ben_load, waited_longest, winner):
    give_tickets(team, "ann", ann_load)
    give_tickets(team, "ben", ben_load)
    # Round-robin alone would pick whoever waited longest (and the id order would pick Ann).
    last_assigned(team, **{waited_longest: 72, ("ben" if waited_longest == "ann" else "ann"): 0.01})
    assert next_ticket_goes_to(team) == winner


def test_load_levels_out_over_a_burst_of_tickets(team):
    """Ann starts with three open tickets: Ben gets the next three, then the tie goes to Ann
    (assigned longest ago), then Ben again (Ann now has one more)."""
    give_tickets(team, "ann", 3)
    last_assigned(team, ann=48, ben=0.01)
    assert [next_ticket_goes_to(team) for _ in range(5)] == ["Ben", "Ben", "Ben", "Ann", "Ben"]


@pytest.mark.parametrize(("status", "winner"), [
    ("new", "Ben"), ("open", "Ben"), ("in_progress", "Ben"), ("waiting_on_customer", "Ben"),
    ("resolved", "Ann"), ("closed", "Ann"),
])
def test_only_tickets_still_being_worked_count_as_load(team, status, winner):
    """Ann has two tickets in `status`, Ben one open ticket. If Ann's count, Ben has less; if they
    don't (finished work), Ann has none. Whoever waited longest is always the other one, so
    round-robin never gives the expected answer by accident."""
    give_tickets(team, "ann", 2, status=status)
    give_tickets(team, "ben", 1, status="open")
    if winner == "Ben":
        last_assigned(team, ann=72, ben=0.01)
    else:
        last_assigned(team, ann=0.01, ben=72)
    assert next_ticket_goes_to(team) == winner


def test_load_counts_tickets_of_every_category(team):
    """Ann's two open Shipping tickets are work too, even though this ticket is about Billing."""
    give_tickets(team, "ann", 2, category="shipping")
    give_tickets(team, "ben", 1)
    last_assigned(team, ann=72, ben=0.01)
    assert next_ticket_goes_to(team) == "Ben"


# --- who may be picked at all ----------------------------------------------------------------

def test_an_inactive_agent_is_never_picked_however_idle(team):
    with session_scope(team["engine"]) as session:
        session.get(User, team["ann"].id).is_active = False
    give_tickets(team, "ben", 3)
    last_assigned(team, ann=None, ben=0.01)  # Ann: no load, never assigned, but switched off
    assert [next_ticket_goes_to(team) for _ in range(2)] == ["Ben", "Ben"]
    with session_scope(team["engine"]) as session:
        session.get(User, team["ben"].id).is_active = False
    assert next_ticket_goes_to(team) is None  # nobody left: it waits in Unassigned


def test_an_agent_without_the_category_skill_is_never_picked(team):
    give_tickets(team, "ann", 2)
    give_tickets(team, "ben", 3)
    last_assigned(team, ann=0.01, ben=0.01, sam=None)  # Sam: idle and never assigned, but Shipping only
    assert next_ticket_goes_to(team) == "Ann"
    assert next_ticket_goes_to(team, "shipping") == "Sam"


def test_a_former_agent_keeps_no_claim_on_tickets(team):
    """Someone turned into a customer account still has the skill row; they are not staff."""
    with session_scope(team["engine"]) as session:
        session.get(User, team["ann"].id).role = Role.CUSTOMER
    give_tickets(team, "ben", 2)
    last_assigned(team, ann=None, ben=0.01)
    assert next_ticket_goes_to(team) == "Ben"


def test_an_admin_with_the_skill_takes_tickets_like_an_agent(team):
    give_skills(team, "admin", "billing")
    give_tickets(team, "ann", 1)
    give_tickets(team, "ben", 1)
    last_assigned(team, ann=72, ben=72, admin=0.01)
    assert next_ticket_goes_to(team) == "Ada"


# --- ties ------------------------------------------------------------------------------------

def test_ties_go_to_the_never_assigned_then_to_whoever_was_assigned_longest_ago(team):
    """Equal load each time (every ticket is resolved at once). Cat joined last (highest id)
    and never had a ticket; Ben's last one is older than Ann's."""
    team["cat"] = add_user(team["engine"], email="cat@support.example.com", role=Role.AGENT, name="Cat")
    give_skills(team, "cat", "billing")
    last_assigned(team, ann=1, ben=2, cat=None)
    names = []
    for _ in range(4):
        ticket_id = raise_ticket(team)
        names.append(assignee_of(team, ticket_id))
        as_admin(team, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert names == ["Cat", "Ben", "Ann", "Cat"]


@pytest.mark.parametrize(("ann_hours", "ben_hours", "winner"), [(5, 1, "Ann"), (1, 5, "Ben")])
def test_equal_load_goes_to_whoever_was_assigned_longest_ago(team, ann_hours, ben_hours, winner):
    give_tickets(team, "ann", 2)
    give_tickets(team, "ben", 2)
    last_assigned(team, ann=ann_hours, ben=ben_hours)
    assert next_ticket_goes_to(team) == winner


# --- claiming, manual assignment and skills: the words and the stale page ----------------------

def test_claiming_someone_elses_ticket_names_them_and_says_what_to_do(team):
    as_admin(team, settings.set_auto_assign, enabled=False)
    ticket_id = raise_ticket(team)
    as_admin(team, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=team["ann"].id)
    with pytest.raises(ValidationError) as refused:
        with session_scope(team["engine"]) as session:
            assignment.claim_ticket(session=session, actor=session.get(User, team["ben"].id), ticket_id=ticket_id)
    assert refused.value.field_errors == {
        "assignee": "Ann already works on this ticket. Ask them, or reassign it explicitly."}
    assert assignee_of(team, ticket_id) == "Ann"


@pytest.mark.parametrize(("status", "words"), [("resolved", "resolved"), ("closed", "closed")])
def test_claiming_a_finished_unassigned_ticket_is_refused_in_words(team, status, words):
    as_admin(team, settings.set_auto_assign, enabled=False)
    ticket_id = raise_ticket(team)
    as_admin(team, staff.change_status, ticket_id=ticket_id, status=TicketStatus(status))
    with pytest.raises(ValidationError) as refused:
        with session_scope(team["engine"]) as session:
            assignment.claim_ticket(session=session, actor=session.get(User, team["ben"].id), ticket_id=ticket_id)
    assert refused.value.field_errors == {"assignee": f"This ticket is {words}; there is nothing to claim."}
    assert assignee_of(team, ticket_id) is None


def test_assigning_from_a_stale_page_is_refused_and_changes_nobody(team):
    as_admin(team, settings.set_auto_assign, enabled=False)
    ticket_id = raise_ticket(team)
    with session_scope(team["engine"]) as session:
        seen = session.get(Ticket, ticket_id).version
    as_admin(team, staff.change_status, ticket_id=ticket_id, status=TicketStatus.IN_PROGRESS)
    with pytest.raises(ConflictError):
        as_admin(team, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=team["ben"].id,
                 expected_version=seen)
    assert assignee_of(team, ticket_id) is None


def test_skills_are_refused_for_a_customer_and_for_unknown_categories_in_words(team):
    with pytest.raises(ValidationError) as not_an_agent:
        as_admin(team, assignment.set_agent_skills, agent_id=team["customer"].id,
                 category_ids=[team["billing"].id])
    assert not_an_agent.value.field_errors == {"agent": "Choose an agent."}
    with pytest.raises(ValidationError) as unknown:
        as_admin(team, assignment.set_agent_skills, agent_id=team["ann"].id,
                 category_ids=[team["billing"].id, 987654])
    assert unknown.value.field_errors == {"categories": "Choose existing categories."}


def test_the_saved_agent_can_still_be_named_after_the_save(team):
    """The returned agent can still be named once the save's transaction is over: only the
    skills are reloaded, not the whole account."""
    agent = as_admin(team, assignment.set_agent_skills, agent_id=team["sam"].id,
                     category_ids=[team["billing"].id, team["shipping"].id])
    assert (agent.name, agent.email) == ("Sam", "sam@support.example.com")
