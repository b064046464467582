"""Who may do what in the agent workspace: customer / agent / admin (and a deactivated agent)
against every agent action and admin setting. Refused means PermissionDenied and nothing
changed. Allowed means the change really happened (or the read returned the right rows), checked
afterwards in a new transaction. Both backends."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import AgentSkill, CannedReply, Ticket, TicketEvent, TicketMessage, User
from helpdesk.sla.clock import targets_for
from helpdesk.sla.policies import list_policies, reset_policy, update_policy
from helpdesk.tickets import assignment, bulk, canned_replies, customer, queue, staff
from helpdesk.tickets.customer import TicketDraft
from tests.factories import add_category, add_user


@dataclass(frozen=True)
class Action:
    name: str
    admin_only: bool
    run: Callable  # (session, actor, ctx, prepared ids) -> what the service returned
    # Where the action is allowed, what must be true afterwards (read back in a new transaction):
    # (ctx, prepared ids, actor, returned value). Not raising is not enough.
    effect: Callable
    needs: tuple[str, ...] = ()  # "ticket", "tickets", "canned", "high sla": made before, by the right people


def _ticket(ctx) -> int:
    with session_scope(ctx["engine"]) as session:
        return customer.create_ticket(session=session, actor=ctx["customer"], data=TicketDraft(
            category_id=ctx["billing"].id, priority=Priority.NORMAL, subject="Help", description="Please")).id


def _canned(ctx) -> int:
    with session_scope(ctx["engine"]) as session:
        count = session.scalar(select(func.count()).select_from(CannedReply))
        return canned_replies.create_canned_reply(session=session, actor=ctx["admin"], title=f"Reply {count}",
                                                  body="Hi {customer_name}").id


def _ticket_row(ctx, ticket_id) -> tuple:
    with session_scope(ctx["engine"]) as session:
        t = session.get(Ticket, ticket_id)
        return t.status, t.priority, t.category_id, t.assignee_id


def _events(ctx, ticket_id) -> list[tuple]:
    """(kind, actor, old, new) of the events on a ticket after it was raised."""
    with session_scope(ctx["engine"]) as session:
        return [(e.kind, e.actor_id, e.old_value, e.new_value) for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind != EventKind.CREATED)
            .order_by(TicketEvent.id))]


def _messages(ctx, ticket_id) -> list[tuple]:
    with session_scope(ctx["engine"]) as session:
        return [(m.body, m.is_public, m.author_id) for m in session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id))]


def _customer_sees(ctx, ticket_id) -> list[str]:
    with session_scope(ctx["engine"]) as session:
        return [m.body for m in customer.get_conversation(session=session, actor=ctx["customer"],
                                                         ticket_id=ticket_id)]


def _canned_rows(ctx) -> dict[int, tuple[str, str]]:
    with session_scope(ctx["engine"]) as session:
        return {c.id: (c.title, c.body) for c in session.scalars(select(CannedReply))}


def _targets(ctx, priority) -> tuple[int, int]:
    with session_scope(ctx["engine"]) as session:
        return targets_for(session, priority)


def _stored_settings(ctx) -> settings.AppSettings:
    with session_scope(ctx["engine"]) as session:
        return settings.get_settings(session=session)


def _expect_queue(ctx, p, actor, page):
    row = next(r for r in page.rows if r.id == p["ticket"])
    assert (row.subject, row.status, row.customer_email, row.category_name, row.assignee_id) == (
        "Help", TicketStatus.NEW, "carla@example.com", "Billing", None)
    assert page.total >= 1


def _expect_found(ctx, p, actor, found):
    assert (found.id, found.subject, found.customer_id) == (p["ticket"], "Help", ctx["customer"].id)


def _expect_reply(ctx, p, actor, message):
    assert _messages(ctx, p["ticket"]) == [("On it", True, actor.id)]
    assert _customer_sees(ctx, p["ticket"]) == ["On it"]
    assert (EventKind.PUBLIC_REPLY, actor.id) in [(kind, who) for kind, who, _o, _n in _events(ctx, p["ticket"])]


def _expect_note(ctx, p, actor, message):
    assert _messages(ctx, p["ticket"]) == [("Psst", False, actor.id)]
    assert _customer_sees(ctx, p["ticket"]) == []
    assert (EventKind.INTERNAL_NOTE, actor.id) in [(kind, who) for kind, who, _o, _n in _events(ctx, p["ticket"])]


def _expect_status(ctx, p, actor, _):
    assert _ticket_row(ctx, p["ticket"])[0] == TicketStatus.IN_PROGRESS
    assert (EventKind.STATUS_CHANGED, actor.id, "new", "in_progress") in _events(ctx, p["ticket"])


def _expect_priority(ctx, p, actor, _):
    assert _ticket_row(ctx, p["ticket"])[1] == Priority.URGENT
    assert (EventKind.PRIORITY_CHANGED, actor.id, "normal", "urgent") in _events(ctx, p["ticket"])


def _expect_category(ctx, p, actor, _):
    assert _ticket_row(ctx, p["ticket"])[2] == ctx["shipping"].id
    assert (EventKind.CATEGORY_CHANGED, actor.id, "Billing", "Shipping") in _events(ctx, p["ticket"])


def _expect_fields(ctx, p, actor, _):
    status, priority, _category, _assignee = _ticket_row(ctx, p["ticket"])
    assert (status, priority) == (TicketStatus.OPEN, Priority.LOW)


def _expect_assigned(ctx, p, actor, _):
    assert _ticket_row(ctx, p["ticket"])[3] == ctx["agent"].id
    assert (EventKind.ASSIGNED, actor.id) in [(kind, who) for kind, who, _o, _n in _events(ctx, p["ticket"])]


def _expect_claimed(ctx, p, actor, _):
    assert _ticket_row(ctx, p["ticket"])[3] == actor.id


def _expect_bulk(ctx, p, actor, result):
    assert (result.updated, result.skipped) == (p["tickets"], {})
    assert [_ticket_row(ctx, t)[1] for t in p["tickets"]] == [Priority.HIGH, Priority.HIGH]


def _expect_other_tickets(ctx, p, actor, others):
    ids = [t.id for t in others]
    assert ids[0] == p["tickets"][1]  # the newest other one first
    assert p["tickets"][0] not in ids  # not the ticket itself
    assert {t.customer_id for t in others} == {ctx["customer"].id}


def _expect_agents(ctx, p, actor, agents):
    assert [u.email for u in agents] == ["ada@support.example.com", "alex@support.example.com"]


def _expect_canned_listed(ctx, p, actor, replies):
    assert (p["canned"], "Hi {customer_name}") in [(r.id, r.body) for r in replies]


def _expect_rendered(ctx, p, actor, text):
    assert text == "Hi Carla"


def _expect_policies(ctx, p, actor, policies):
    assert [(t.priority, t.first_response_hours, t.resolution_hours) for t in policies] == [
        (Priority.URGENT, 1, 8), (Priority.HIGH, 4, 24), (Priority.NORMAL, 8, 72), (Priority.LOW, 24, 120)]


def _expect_canned_created(ctx, p, actor, reply):
    assert _canned_rows(ctx)[reply.id] == ("New one", "Hello {agent_name}")


def _expect_canned_edited(ctx, p, actor, _):
    assert _canned_rows(ctx)[p["canned"]] == ("Edited", "Bye")


def _expect_canned_deleted(ctx, p, actor, _):
    assert p["canned"] not in _canned_rows(ctx)


def _expect_policy_edited(ctx, p, actor, _):
    assert _targets(ctx, Priority.HIGH) == (2, 10)


def _expect_policy_reset(ctx, p, actor, _):
    assert _targets(ctx, Priority.HIGH) == (4, 24)  # from the (3, 9) prepared before


def _expect_no_auto_assign(ctx, p, actor, _):
    assert _stored_settings(ctx).auto_assign is False


def _expect_auto_close(ctx, p, actor, _):
    assert _stored_settings(ctx).auto_close_days == 3


def _expect_business_hours(ctx, p, actor, _):
    assert _stored_settings(ctx).business_hours == settings.BusinessHours()


def _expect_skills(ctx, p, actor, _):
    with session_scope(ctx["engine"]) as session:
        assert session.scalars(select(AgentSkill.category_id).where(
            AgentSkill.agent_id == ctx["agent"].id)).all() == [ctx["shipping"].id]


ACTIONS = [
    Action("list queue", False, lambda s, a, c, p: queue.list_queue(session=s, actor=a), _expect_queue, ("ticket",)),
    Action("find by reference", False, lambda s, a, c, p: queue.find_by_reference(
        session=s, actor=a, text=f"CCR-{p['ticket']}"), _expect_found, ("ticket",)),
    Action("reply", False, lambda s, a, c, p: staff.add_agent_reply(
        session=s, actor=a, ticket_id=p["ticket"], body="On it"), _expect_reply, ("ticket",)),
    Action("internal note", False, lambda s, a, c, p: staff.add_internal_note(
        session=s, actor=a, ticket_id=p["ticket"], body="Psst"), _expect_note, ("ticket",)),
    Action("change status", False, lambda s, a, c, p: staff.change_status(
        session=s, actor=a, ticket_id=p["ticket"], status=TicketStatus.IN_PROGRESS), _expect_status, ("ticket",)),
    Action("change priority", False, lambda s, a, c, p: staff.change_priority(
        session=s, actor=a, ticket_id=p["ticket"], priority=Priority.URGENT), _expect_priority, ("ticket",)),
    Action("change category", False, lambda s, a, c, p: staff.change_category(
        session=s, actor=a, ticket_id=p["ticket"], category_id=c["shipping"].id), _expect_category, ("ticket",)),
    Action("update several fields", False, lambda s, a, c, p: staff.update_ticket(
        session=s, actor=a, ticket_id=p["ticket"], priority=Priority.LOW, status=TicketStatus.OPEN), _expect_fields,
        ("ticket",)),
    Action("assign", False, lambda s, a, c, p: assignment.assign_ticket(
        session=s, actor=a, ticket_id=p["ticket"], assignee_id=c["agent"].id), _expect_assigned, ("ticket",)),
    Action("claim", False, lambda s, a, c, p: assignment.claim_ticket(
        session=s, actor=a, ticket_id=p["ticket"]), _expect_claimed, ("ticket",)),
    Action("bulk update", False, lambda s, a, c, p: bulk.bulk_update(
        session=s, actor=a, ticket_ids=p["tickets"], priority=Priority.HIGH), _expect_bulk, ("tickets",)),
    Action("customer's other tickets", False, lambda s, a, c, p: staff.customer_ticket_history(
        session=s, actor=a, ticket_id=p["tickets"][0]), _expect_other_tickets, ("tickets",)),
    Action("list agents", False, lambda s, a, c, p: assignment.list_assignable_agents(session=s, actor=a),
           _expect_agents),
    Action("list canned replies", False, lambda s, a, c, p: canned_replies.list_canned_replies(session=s, actor=a),
           _expect_canned_listed, ("canned",)),
    Action("insert canned reply", False, lambda s, a, c, p: canned_replies.render_canned_reply(
        session=s, actor=a, reply_id=p["canned"], ticket_id=p["ticket"]), _expect_rendered, ("canned", "ticket")),
    Action("list SLA policies", False, lambda s, a, c, p: list_policies(session=s, actor=a),
           _expect_policies),
    Action("create canned reply", True, lambda s, a, c, p: canned_replies.create_canned_reply(
        session=s, actor=a, title="New one", body="Hello {agent_name}"), _expect_canned_created),
    Action("edit canned reply", True, lambda s, a, c, p: canned_replies.update_canned_reply(
        session=s, actor=a, reply_id=p["canned"], title="Edited", body="Bye"), _expect_canned_edited, ("canned",)),
    Action("delete canned reply", True, lambda s, a, c, p: canned_replies.delete_canned_reply(
        session=s, actor=a, reply_id=p["canned"]), _expect_canned_deleted, ("canned",)),
    Action("edit SLA policy", True, lambda s, a, c, p: update_policy(
        session=s, actor=a, priority=Priority.HIGH, first_response_hours=2, resolution_hours=10),
        _expect_policy_edited),
    Action("reset SLA policy", True, lambda s, a, c, p: reset_policy(
        session=s, actor=a, priority=Priority.HIGH), _expect_policy_reset, ("high sla",)),
    Action("auto-assign setting", True, lambda s, a, c, p: settings.set_auto_assign(
        session=s, actor=a, enabled=False), _expect_no_auto_assign),
    Action("auto-close setting", True, lambda s, a, c, p: settings.set_auto_close_days(session=s, actor=a, days=3),
           _expect_auto_close),
    Action("business hours setting", True, lambda s, a, c, p: settings.set_business_hours(
        session=s, actor=a, hours=settings.BusinessHours()), _expect_business_hours),
    Action("agent skills", True, lambda s, a, c, p: assignment.set_agent_skills(
        session=s, actor=a, agent_id=c["agent"].id, category_ids=[c["shipping"].id]), _expect_skills),
]


def prepare(ctx, needs) -> dict:
    prepared = {}
    if "ticket" in needs:
        prepared["ticket"] = _ticket(ctx)
    if "tickets" in needs:
        prepared["tickets"] = [_ticket(ctx), _ticket(ctx)]
    if "canned" in needs:
        prepared["canned"] = _canned(ctx)
    if "high sla" in needs:  # not the default, so that a reset has something to undo
        with session_scope(ctx["engine"]) as session:
            update_policy(session=session, actor=ctx["admin"], priority=Priority.HIGH,
                                       first_response_hours=3, resolution_hours=9)
    return prepared


EXPECTED = {
    "customer": {a.name: "refused" for a in ACTIONS},
    "inactive agent": {a.name: "refused" for a in ACTIONS},
    "agent": {a.name: "refused" if a.admin_only else "allowed" for a in ACTIONS},
    "admin": {a.name: "allowed" for a in ACTIONS},
}
ONLY_STAFF = "Only agents and administrators can do that."
ONLY_ADMINS = "Only administrators can do that."
SIGN_IN_FIRST = "Sign in first."


def refusal_words(role: str, action: Action) -> str:
    """What the refused person is told: a deactivated account is signed out first of all."""
    if role == "inactive agent":
        return SIGN_IN_FIRST
    return ONLY_ADMINS if action.admin_only else ONLY_STAFF


@pytest.fixture
def ctx(engine):
    return {
        "engine": engine,
        "customer": add_user(engine, email="carla@example.com"),
        "agent": add_user(engine, email="alex@support.example.com", role=Role.AGENT),
        "inactive agent": add_user(engine, email="gone@support.example.com", role=Role.AGENT, active=False),
        "admin": add_user(engine, email="ada@support.example.com", role=Role.ADMIN),
        "billing": add_category(engine, "Billing"),
        "shipping": add_category(engine, "Shipping"),
    }


def footprint(engine) -> tuple:
    """What a refused action must leave untouched: ticket versions, events, messages, canned replies."""
    with session_scope(engine) as session:
        return (session.scalar(select(func.sum(Ticket.version))),
                session.scalar(select(func.count()).select_from(TicketEvent)),
                session.scalar(select(func.count()).select_from(TicketMessage)),
                sorted(session.scalars(select(CannedReply.title))),
                session.execute(select(Ticket.id, Ticket.priority, Ticket.status, Ticket.assignee_id)
                                .order_by(Ticket.id)).all())


def settings_snapshot(engine) -> tuple:
    with session_scope(engine) as session:
        return (settings.get_settings(session=session),
                [(p.priority, p.first_response_hours, p.resolution_hours)
                 for p in list_policies(session=session, actor=_an_admin(session))])


def _an_admin(session) -> User:
    return session.scalar(select(User).where(User.role == Role.ADMIN))


@pytest.mark.parametrize("role", list(EXPECTED))
def test_permission_matrix(ctx, role):
    """Allowed: the change is there afterwards (or the read returns the right rows). Refused:
    PermissionDenied itself, with the words the person reads, and nothing changed."""
    outcomes = {}
    actor = ctx[role]
    for action in ACTIONS:
        prepared = prepare(ctx, action.needs)
        before = (footprint(ctx["engine"]), settings_snapshot(ctx["engine"]))
        try:
            with session_scope(ctx["engine"]) as session:
                result = action.run(session, actor, ctx, prepared)
        except PermissionDenied as refused:
            outcomes[action.name] = "refused"
            assert type(refused) is PermissionDenied, action.name
            assert str(refused) == refusal_words(role, action), action.name
            assert (footprint(ctx["engine"]), settings_snapshot(ctx["engine"])) == before, \
                f"refused '{action.name}' still changed something"
        else:
            outcomes[action.name] = "allowed"
            if EXPECTED[role][action.name] == "allowed":
                action.effect(ctx, prepared, actor, result)
    assert outcomes == EXPECTED[role]
