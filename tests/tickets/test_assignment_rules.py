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
from helpdesk.enums import Role, TicketStatus
from helpdesk.models import Category, User
from helpdesk.tickets import assignment, staff
from tests.factories import Desk, add_user, assignee_name


def next_ticket_goes_to(desk: Desk, category: Category | None = None) -> str | None:
    return assignee_name(desk, desk.raise_ticket(category=category))


def give_tickets(desk: Desk, agent: User, count: int, status: str = "open", category: Category | None = None):
    """`count` tickets assigned by hand to `agent`, then moved to `status` the way agents do it."""
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    for _ in range(count):
        ticket_id = desk.raise_ticket(category=category)
        desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=agent.id)
        if status != "new":
            desk.act(desk.admin, staff.change_status, ticket_id=ticket_id, status=TicketStatus(status))
        assert assignee_name(desk, ticket_id) == agent.name
    desk.act(desk.admin, settings.set_auto_assign, enabled=True)


def last_assigned(desk: Desk, hours_ago: dict[User, float | None]) -> None:
    """When each agent last got a ticket: hours ago, or None for never."""
    with session_scope(desk.engine) as session:
        for agent, hours in hours_ago.items():
            session.get(User, agent.id).last_assigned_at = (
                None if hours is None else utcnow() - timedelta(hours=hours))


def set_skills(desk: Desk, agent: User, *categories: Category) -> None:
    """Skills given on the admin's page (the service checks the person is staff)."""
    desk.act(desk.admin, assignment.set_agent_skills, agent_id=agent.id, category_ids=[c.id for c in categories])


# --- least loaded first ----------------------------------------------------------------------

@pytest.mark.parametrize(("ann_load", "ben_load", "waited_longest", "winner"), [
    (1, 0, "ann", "Ben"),   # Ann waited three days, but Ben has nothing on his plate
    (0, 1, "ben", "Ann"),
    (3, 2, "ann", "Ben"),   # fewer wins, not merely "none"
    (2, 3, "ben", "Ann"),
])
def test_fewer_open_tickets_beats_having_waited_longest(desk, team, ann_load, ben_load, waited_longest, winner):
    give_tickets(desk, team.ann, ann_load)
    give_tickets(desk, team.ben, ben_load)
    # Round-robin alone would pick whoever waited longest (and the id order would pick Ann).
    longest, other = (team.ann, team.ben) if waited_longest == "ann" else (team.ben, team.ann)
    last_assigned(desk, {longest: 72, other: 0.01})
    assert next_ticket_goes_to(desk) == winner


def test_load_levels_out_over_a_burst_of_tickets(desk, team):
    """Ann starts with three open tickets: Ben gets the next three, then the tie goes to Ann
    (assigned longest ago), then Ben again (Ann now has one more)."""
    give_tickets(desk, team.ann, 3)
    last_assigned(desk, {team.ann: 48, team.ben: 0.01})
    assert [next_ticket_goes_to(desk) for _ in range(5)] == ["Ben", "Ben", "Ben", "Ann", "Ben"]


@pytest.mark.parametrize(("status", "winner"), [
    ("new", "Ben"), ("open", "Ben"), ("in_progress", "Ben"), ("waiting_on_customer", "Ben"),
    ("resolved", "Ann"), ("closed", "Ann"),
])
def test_only_tickets_still_being_worked_count_as_load(desk, team, status, winner):
    """Ann has two tickets in `status`, Ben one open ticket. If Ann's count, Ben has less; if they
    don't (finished work), Ann has none. Whoever waited longest is always the other one, so
    round-robin never gives the expected answer by accident."""
    give_tickets(desk, team.ann, 2, status=status)
    give_tickets(desk, team.ben, 1, status="open")
    if winner == "Ben":
        last_assigned(desk, {team.ann: 72, team.ben: 0.01})
    else:
        last_assigned(desk, {team.ann: 0.01, team.ben: 72})
    assert next_ticket_goes_to(desk) == winner


def test_load_counts_tickets_of_every_category(desk, team):
    """Ann's two open Shipping tickets are work too, even though this ticket is about Billing."""
    give_tickets(desk, team.ann, 2, category=team.shipping)
    give_tickets(desk, team.ben, 1)
    last_assigned(desk, {team.ann: 72, team.ben: 0.01})
    assert next_ticket_goes_to(desk) == "Ben"


# --- who may be picked at all ----------------------------------------------------------------

def test_an_inactive_agent_is_never_picked_however_idle(desk, team):
    with session_scope(desk.engine) as session:
        session.get(User, team.ann.id).is_active = False
    give_tickets(desk, team.ben, 3)
    last_assigned(desk, {team.ann: None, team.ben: 0.01})  # Ann: no load, never assigned, but switched off
    assert [next_ticket_goes_to(desk) for _ in range(2)] == ["Ben", "Ben"]
    with session_scope(desk.engine) as session:
        session.get(User, team.ben.id).is_active = False
    assert next_ticket_goes_to(desk) is None  # nobody left: it waits in Unassigned


def test_an_agent_without_the_category_skill_is_never_picked(desk, team):
    give_tickets(desk, team.ann, 2)
    give_tickets(desk, team.ben, 3)
    # Sam: idle and never assigned, but Shipping only (so are the Desk's Alex and Bo, with no skills).
    last_assigned(desk, {team.ann: 0.01, team.ben: 0.01, team.sam: None})
    assert next_ticket_goes_to(desk) == "Ann"
    assert next_ticket_goes_to(desk, team.shipping) == "Sam"


def test_a_former_agent_keeps_no_claim_on_tickets(desk, team):
    """Someone turned into a customer account still has the skill row; they are not staff."""
    with session_scope(desk.engine) as session:
        session.get(User, team.ann.id).role = Role.CUSTOMER
    give_tickets(desk, team.ben, 2)
    last_assigned(desk, {team.ann: None, team.ben: 0.01})
    assert next_ticket_goes_to(desk) == "Ben"


def test_an_admin_with_the_skill_takes_tickets_like_an_agent(desk, team):
    set_skills(desk, desk.admin, desk.category)
    give_tickets(desk, team.ann, 1)
    give_tickets(desk, team.ben, 1)
    last_assigned(desk, {team.ann: 72, team.ben: 72, desk.admin: 0.01})
    assert next_ticket_goes_to(desk) == "Ada Admin"


# --- ties ------------------------------------------------------------------------------------

def test_ties_go_to_the_never_assigned_then_to_whoever_was_assigned_longest_ago(desk, team):
    """Equal load each time (every ticket is resolved at once). Cat joined last (highest id)
    and never had a ticket; Ben's last one is older than Ann's."""
    cat = add_user(desk.engine, email="cat@support.example.com", role=Role.AGENT, name="Cat")
    set_skills(desk, cat, desk.category)
    last_assigned(desk, {team.ann: 1, team.ben: 2, cat: None})
    names = []
    for _ in range(4):
        ticket_id = desk.raise_ticket()
        names.append(assignee_name(desk, ticket_id))
        desk.act(desk.admin, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert names == ["Cat", "Ben", "Ann", "Cat"]


@pytest.mark.parametrize(("ann_hours", "ben_hours", "winner"), [(5, 1, "Ann"), (1, 5, "Ben")])
def test_equal_load_goes_to_whoever_was_assigned_longest_ago(desk, team, ann_hours, ben_hours, winner):
    give_tickets(desk, team.ann, 2)
    give_tickets(desk, team.ben, 2)
    last_assigned(desk, {team.ann: ann_hours, team.ben: ben_hours})
    assert next_ticket_goes_to(desk) == winner


# --- claiming, manual assignment and skills: the words and the stale page ----------------------

def test_claiming_someone_elses_ticket_names_them_and_says_what_to_do(desk, team):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket()
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=team.ann.id)
    with pytest.raises(ValidationError) as refused:
        desk.act(team.ben, assignment.claim_ticket, ticket_id=ticket_id)
    assert refused.value.field_errors == {
        "assignee": "Ann already works on this ticket. Ask them, or reassign it explicitly."}
    assert assignee_name(desk, ticket_id) == "Ann"


@pytest.mark.parametrize(("status", "words"), [("resolved", "resolved"), ("closed", "closed")])
def test_claiming_a_finished_unassigned_ticket_is_refused_in_words(desk, team, status, words):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket()
    desk.act(desk.admin, staff.change_status, ticket_id=ticket_id, status=TicketStatus(status))
    with pytest.raises(ValidationError) as refused:
        desk.act(team.ben, assignment.claim_ticket, ticket_id=ticket_id)
    assert refused.value.field_errors == {"assignee": f"This ticket is {words}; there is nothing to claim."}
    assert assignee_name(desk, ticket_id) is None


def test_assigning_from_a_stale_page_is_refused_and_changes_nobody(desk, team):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket()
    seen = desk.ticket(ticket_id).version
    desk.act(desk.admin, staff.change_status, ticket_id=ticket_id, status=TicketStatus.IN_PROGRESS)
    with pytest.raises(ConflictError):
        desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=team.ben.id,
                 expected_version=seen)
    assert assignee_name(desk, ticket_id) is None


def test_skills_are_refused_for_a_customer_and_for_unknown_categories_in_words(desk, team):
    with pytest.raises(ValidationError) as not_an_agent:
        set_skills(desk, desk.customer, desk.category)
    assert not_an_agent.value.field_errors == {"agent": "Choose an agent."}
    with pytest.raises(ValidationError) as unknown:
        desk.act(desk.admin, assignment.set_agent_skills, agent_id=team.ann.id,
                 category_ids=[desk.category.id, 987654])
    assert unknown.value.field_errors == {"categories": "Choose existing categories."}


def test_the_saved_agent_can_still_be_named_after_the_save(desk, team):
    """The returned agent can still be named once the save's transaction is over: only the
    skills are reloaded, not the whole account."""
    agent = desk.act(desk.admin, assignment.set_agent_skills, agent_id=team.sam.id,
                     category_ids=[desk.category.id, team.shipping.id])
    assert (agent.name, agent.email) == ("Sam", "sam@support.example.com")
