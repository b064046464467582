"""The customer's e-mail switch (README: "Customers can switch off everything but the
confirmation and the resolution mail in their profile"), event by event, read off the outbox
rows: who would receive what. Both backends.

Mandatory for every customer: the confirmation, the resolution, and a close without a
resolution first (then the close *is* the customer's only notice of the outcome).
Optional: assignment, public replies, waiting on customer, a close after the resolution
(manual or automatic) and reopening. A customer's switch never changes what agents get."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.accounts import profile
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.enums import Role, TicketStatus
from helpdesk.jobs import maintenance
from helpdesk.models import AgentSkill, OutboxMessage, User
from helpdesk.tickets import assignment, bulk, customer, staff
from tests.factories import add_category, add_user

CUSTOMER = "carla@example.com"
REF = "[CCR-000001] Printer on fire"


@pytest.fixture(autouse=True)
def _mail_env(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPDESK_BASE_URL", "https://help.example.test")
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))


@dataclass
class World:
    engine: object
    ids: dict[str, int]  # carla (customer), alex (agent with the skill), olga (agent), ada (admin)
    category_id: int

    def do(self, who: str, fn, **kwargs):
        with session_scope(self.engine) as session:
            return fn(session=session, actor=session.get(User, self.ids[who]), **kwargs)


@pytest.fixture
def world(engine) -> World:
    ids = {
        "carla": add_user(engine, email=CUSTOMER, name="Carla Customer").id,
        "alex": add_user(engine, email="alex@example.com", name="Alex Agent", role=Role.AGENT).id,
        "olga": add_user(engine, email="olga@example.com", name="Olga Other", role=Role.AGENT).id,
        "ada": add_user(engine, email="ada@example.com", name="Ada Admin", role=Role.ADMIN).id,
    }
    category = add_category(engine, "Printers")
    with session_scope(engine) as session:
        session.add(AgentSkill(agent_id=ids["alex"], category_id=category.id))  # auto-assignment picks Alex
    return World(engine, ids, category.id)


def choose_mail(world: World, *, every_update: bool) -> None:
    """What the customer ticks in their profile."""
    world.do("carla", profile.update_profile, name="Carla Customer", wants_optional_email=every_update)


def raise_ticket(world: World) -> int:
    return world.do("carla", customer.create_ticket, data=customer.TicketDraft(
        category_id=world.category_id, priority="normal", subject="Printer on fire", description="Smoke.")).id


def outbox_mark(world: World) -> int:
    with session_scope(world.engine) as session:
        return session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))


def mail_since(world: World, mark: int) -> list[tuple[str, str]]:
    """(recipient, subject) of every mail queued after `mark`, in order."""
    with session_scope(world.engine) as session:
        return [(r.recipient_email, r.subject) for r in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > mark).order_by(OutboxMessage.id))]


def status(world: World, ticket_id: int, new: str, who: str = "alex") -> None:
    world.do(who, staff.change_status, ticket_id=ticket_id, status=TicketStatus(new))


# --- every customer-facing event, opted in and opted out -------------------------------------

def _nothing(world):
    return None


def _raised(world):
    return raise_ticket(world)


def _resolved(world):
    ticket_id = raise_ticket(world)
    status(world, ticket_id, "resolved")
    return ticket_id


def _unassigned(world):
    with session_scope(world.engine) as session:
        settings.set_auto_assign(session=session, actor=session.get(User, world.ids["ada"]), enabled=False)
    return raise_ticket(world)


def _waiting(world):
    ticket_id = raise_ticket(world)
    status(world, ticket_id, "waiting_on_customer")
    return ticket_id


# id: (set-up, the action, what the customer would get [(subject, mandatory)], what staff get)
CASES = {
    "ticket raised": (
        _nothing, lambda w, t: raise_ticket(w),
        [(f"{REF} - received", True)],
        [("alex@example.com", f"{REF} - assigned to you")]),
    "assigned by the admin": (
        _raised, lambda w, t: w.do("ada", assignment.assign_ticket, ticket_id=t, assignee_id=w.ids["olga"]),
        [(f"{REF} - handled by Olga Other", False)],
        [("olga@example.com", f"{REF} - assigned to you")]),
    "claimed by an agent": (
        _unassigned, lambda w, t: w.do("olga", assignment.claim_ticket, ticket_id=t),
        [(f"{REF} - handled by Olga Other", False)],
        []),
    "public agent reply": (
        _raised, lambda w, t: w.do("alex", staff.add_agent_reply, ticket_id=t, body="On my way."),
        [(f"{REF} - new reply", False)],
        []),
    "waiting on customer": (
        _raised, lambda w, t: status(w, t, "waiting_on_customer"),
        [(f"{REF} - waiting for your reply", False)],
        []),
    "resolved": (
        _raised, lambda w, t: status(w, t, "resolved"),
        [(f"{REF} - resolved", True)],
        []),
    "reply and resolve in one save": (
        _raised, lambda w, t: w.do("alex", staff.add_agent_reply, ticket_id=t, body="Fixed.",
                                   new_status=TicketStatus.RESOLVED),
        [(f"{REF} - new reply", False), (f"{REF} - resolved", True)],
        []),
    "closed after the resolution": (
        _resolved, lambda w, t: status(w, t, "closed"),
        [(f"{REF} - closed", False)],
        []),
    "auto-closed after the resolution": (
        _resolved, lambda w, t: maintenance.run_maintenance(w.engine, now=utcnow() + timedelta(days=8)),
        [(f"{REF} - closed", False)],
        []),
    "closed without a resolution": (
        _raised, lambda w, t: status(w, t, "closed"),
        [(f"{REF} - closed", True)],
        []),
    "closed without a resolution while waiting on the customer": (
        _waiting, lambda w, t: status(w, t, "closed"),
        [(f"{REF} - closed", True)],
        []),
    "closed without a resolution in a bulk change": (
        _raised, lambda w, t: w.do("alex", bulk.bulk_update, ticket_ids=[t], status=TicketStatus.CLOSED),
        [(f"{REF} - closed", True)],
        []),
    "reopened by staff": (
        _resolved, lambda w, t: status(w, t, "open"),
        [(f"{REF} - reopened", False)],
        []),
}


@pytest.mark.parametrize("every_update", [True, False], ids=["opted-in", "opted-out"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_event_mails_the_customer_according_to_their_choice(world, case, every_update):
    set_up, action, customer_gets, staff_gets = CASES[case]
    choose_mail(world, every_update=every_update)
    ticket_id = set_up(world)
    mark = outbox_mark(world)

    action(world, ticket_id)

    mails = mail_since(world, mark)
    expected = [subject for subject, mandatory in customer_gets if every_update or mandatory]
    assert [subject for to, subject in mails if to == CUSTOMER] == expected
    # The customer's choice is theirs alone: staff get the same either way.
    assert [(to, subject) for to, subject in mails if to != CUSTOMER] == staff_gets


def test_an_opted_out_customer_hears_only_the_confirmation_and_the_outcome(world):
    """A whole life of two tickets: one resolved then closed, one closed without a resolution."""
    choose_mail(world, every_update=False)
    first = raise_ticket(world)
    world.do("ada", assignment.assign_ticket, ticket_id=first, assignee_id=world.ids["olga"])
    world.do("olga", staff.add_agent_reply, ticket_id=first, body="Which model?",
             new_status=TicketStatus.WAITING_ON_CUSTOMER)
    world.do("carla", customer.add_customer_reply, ticket_id=first, body="The LaserJet.")
    world.do("olga", staff.add_agent_reply, ticket_id=first, body="Replaced the fuser.",
             new_status=TicketStatus.RESOLVED)
    status(world, first, "open", who="olga")  # reopened: she was too quick
    status(world, first, "resolved", who="olga")
    status(world, first, "closed", who="olga")
    second = world.do("carla", customer.create_ticket, data=customer.TicketDraft(
        category_id=world.category_id, priority="low", subject="Toner low", description="Almost empty.")).id
    world.do("alex", staff.add_agent_reply, ticket_id=second, body="Ordered.")
    status(world, second, "closed")

    assert [subject for to, subject in mail_since(world, 0) if to == CUSTOMER] == [
        f"{REF} - received",
        f"{REF} - resolved",
        f"{REF} - resolved",
        "[CCR-000002] Toner low - received",
        "[CCR-000002] Toner low - closed",  # closed unresolved: still the outcome
    ]


def test_agents_mail_is_untouched_by_the_customers_opt_out(world):
    choose_mail(world, every_update=False)
    ticket_id = _unassigned(world)
    world.do("ada", assignment.assign_ticket, ticket_id=ticket_id, assignee_id=world.ids["olga"])
    world.do("carla", customer.add_customer_reply, ticket_id=ticket_id, body="Any news?")

    assert [(to, subject) for to, subject in mail_since(world, 0) if to != CUSTOMER] == [
        ("alex@example.com", f"{REF} - new unassigned ticket"),
        ("olga@example.com", f"{REF} - assigned to you"),
        ("olga@example.com", f"{REF} - customer replied"),
    ]
    assert [subject for to, subject in mail_since(world, 0) if to == CUSTOMER] == [f"{REF} - received"]


def test_switching_back_on_brings_optional_mail_back(world):
    ticket_id = raise_ticket(world)
    choose_mail(world, every_update=False)
    world.do("alex", staff.add_agent_reply, ticket_id=ticket_id, body="First.")
    choose_mail(world, every_update=True)
    world.do("alex", staff.add_agent_reply, ticket_id=ticket_id, body="Second.")
    assert [subject for to, subject in mail_since(world, 0) if to == CUSTOMER] == [
        f"{REF} - received", f"{REF} - new reply"]
