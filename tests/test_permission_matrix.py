"""Who may do what in the agent workspace: customer / agent / admin (and a deactivated agent)
against every agent action and admin setting. Refused means PermissionDenied and nothing
changed. Both backends."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

from helpdesk.db import session_scope
from helpdesk.enums import Priority, Role, TicketStatus
from helpdesk.models import CannedReply, Ticket, TicketEvent, TicketMessage, User
from helpdesk.services import agent_actions, assignment, canned_replies, queue, settings, sla_policies, tickets
from helpdesk.services.errors import PermissionDenied
from helpdesk.services.tickets import TicketDraft
from tests.conftest import add_category, add_user


@dataclass(frozen=True)
class Action:
    name: str
    admin_only: bool
    run: Callable  # (session, actor, ctx, prepared ids)
    needs: tuple[str, ...] = ()  # "ticket", "tickets", "canned": made before the action, by the right people


def _ticket(ctx) -> int:
    with session_scope(ctx["engine"]) as session:
        return tickets.create_ticket(session=session, actor=ctx["customer"], data=TicketDraft(
            category_id=ctx["billing"].id, priority=Priority.NORMAL, subject="Help", description="Please")).id


def _canned(ctx) -> int:
    with session_scope(ctx["engine"]) as session:
        count = session.scalar(select(func.count()).select_from(CannedReply))
        return canned_replies.create_canned_reply(session=session, actor=ctx["admin"], title=f"Reply {count}",
                                                  body="Hi {customer_name}").id


ACTIONS = [
    Action("list queue", False, lambda s, a, c, p: queue.list_queue(session=s, actor=a)),
    Action("find by reference", False, lambda s, a, c, p: queue.find_by_reference(
        session=s, actor=a, text=f"CCR-{p['ticket']}"), ("ticket",)),
    Action("reply", False, lambda s, a, c, p: agent_actions.add_agent_reply(
        session=s, actor=a, ticket_id=p["ticket"], body="On it"), ("ticket",)),
    Action("internal note", False, lambda s, a, c, p: agent_actions.add_internal_note(
        session=s, actor=a, ticket_id=p["ticket"], body="Psst"), ("ticket",)),
    Action("change status", False, lambda s, a, c, p: agent_actions.change_status(
        session=s, actor=a, ticket_id=p["ticket"], status=TicketStatus.IN_PROGRESS), ("ticket",)),
    Action("change priority", False, lambda s, a, c, p: agent_actions.change_priority(
        session=s, actor=a, ticket_id=p["ticket"], priority=Priority.URGENT), ("ticket",)),
    Action("change category", False, lambda s, a, c, p: agent_actions.change_category(
        session=s, actor=a, ticket_id=p["ticket"], category_id=c["shipping"].id), ("ticket",)),
    Action("update several fields", False, lambda s, a, c, p: agent_actions.update_ticket(
        session=s, actor=a, ticket_id=p["ticket"], priority=Priority.LOW, status=TicketStatus.OPEN), ("ticket",)),
    Action("assign", False, lambda s, a, c, p: agent_actions.assign_ticket(
        session=s, actor=a, ticket_id=p["ticket"], assignee_id=c["agent"].id), ("ticket",)),
    Action("claim", False, lambda s, a, c, p: agent_actions.claim_ticket(
        session=s, actor=a, ticket_id=p["ticket"]), ("ticket",)),
    Action("bulk update", False, lambda s, a, c, p: agent_actions.bulk_update(
        session=s, actor=a, ticket_ids=p["tickets"], priority=Priority.HIGH), ("tickets",)),
    Action("customer's other tickets", False, lambda s, a, c, p: agent_actions.customer_ticket_history(
        session=s, actor=a, ticket_id=p["ticket"]), ("ticket",)),
    Action("list agents", False, lambda s, a, c, p: assignment.list_assignable_agents(session=s, actor=a)),
    Action("list canned replies", False, lambda s, a, c, p: canned_replies.list_canned_replies(session=s, actor=a)),
    Action("insert canned reply", False, lambda s, a, c, p: canned_replies.render_canned_reply(
        session=s, actor=a, reply_id=p["canned"], ticket_id=p["ticket"]), ("canned", "ticket")),
    Action("list SLA policies", False, lambda s, a, c, p: sla_policies.list_policies(session=s, actor=a)),
    Action("create canned reply", True, lambda s, a, c, p: canned_replies.create_canned_reply(
        session=s, actor=a, title="New one", body="Hello {agent_name}")),
    Action("edit canned reply", True, lambda s, a, c, p: canned_replies.update_canned_reply(
        session=s, actor=a, reply_id=p["canned"], title="Edited", body="Bye"), ("canned",)),
    Action("delete canned reply", True, lambda s, a, c, p: canned_replies.delete_canned_reply(
        session=s, actor=a, reply_id=p["canned"]), ("canned",)),
    Action("edit SLA policy", True, lambda s, a, c, p: sla_policies.update_policy(
        session=s, actor=a, priority=Priority.HIGH, first_response_hours=2, resolution_hours=10)),
    Action("reset SLA policy", True, lambda s, a, c, p: sla_policies.reset_policy(
        session=s, actor=a, priority=Priority.HIGH)),
    Action("auto-assign setting", True, lambda s, a, c, p: settings.set_auto_assign(
        session=s, actor=a, enabled=False)),
    Action("auto-close setting", True, lambda s, a, c, p: settings.set_auto_close_days(session=s, actor=a, days=3)),
    Action("business hours setting", True, lambda s, a, c, p: settings.set_business_hours(
        session=s, actor=a, hours=settings.BusinessHours())),
    Action("agent skills", True, lambda s, a, c, p: assignment.set_agent_skills(
        session=s, actor=a, agent_id=c["agent"].id, category_ids=[c["shipping"].id])),
]


def prepare(ctx, needs) -> dict:
    prepared = {}
    if "ticket" in needs:
        prepared["ticket"] = _ticket(ctx)
    if "tickets" in needs:
        prepared["tickets"] = [_ticket(ctx), _ticket(ctx)]
    if "canned" in needs:
        prepared["canned"] = _canned(ctx)
    return prepared


EXPECTED = {
    "customer": {a.name: "refused" for a in ACTIONS},
    "inactive agent": {a.name: "refused" for a in ACTIONS},
    "agent": {a.name: "refused" if a.admin_only else "allowed" for a in ACTIONS},
    "admin": {a.name: "allowed" for a in ACTIONS},
}


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
                 for p in sla_policies.list_policies(session=session, actor=_an_admin(session))])


def _an_admin(session) -> User:
    return session.scalar(select(User).where(User.role == Role.ADMIN))


@pytest.mark.parametrize("role", list(EXPECTED))
def test_permission_matrix(ctx, role):
    outcomes = {}
    for action in ACTIONS:
        prepared = prepare(ctx, action.needs)
        before = (footprint(ctx["engine"]), settings_snapshot(ctx["engine"]))
        try:
            with session_scope(ctx["engine"]) as session:
                action.run(session, ctx[role], ctx, prepared)
            outcomes[action.name] = "allowed"
        except PermissionDenied:
            outcomes[action.name] = "refused"
            assert (footprint(ctx["engine"]), settings_snapshot(ctx["engine"])) == before, \
                f"refused '{action.name}' still changed something"
    assert outcomes == EXPECTED[role]
