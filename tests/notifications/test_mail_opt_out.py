"""The customer's e-mail switch (README: "Customers can switch off everything but the
confirmation and the resolution mail in their profile"), event by event, read off the outbox
rows: who would receive what. Both backends.

Mandatory for every customer: the confirmation, the resolution, and a close without a
resolution first (then the close *is* the customer's only notice of the outcome).
Optional: assignment, public replies, waiting on customer, a close after the resolution
(manual or automatic) and reopening. A customer's switch never changes what agents get."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.accounts import profile
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.enums import TicketStatus
from helpdesk.jobs import maintenance
from helpdesk.models import OutboxMessage, User
from helpdesk.tickets import assignment, bulk, customer, staff
from tests.factories import Desk, give_skills

CUSTOMER = "carla@example.com"
ALEX = "alex@support.example.com"
BO = "bo@support.example.com"
PRINTER_ON_FIRE = {"subject": "Printer on fire", "description": "Smoke."}
REF = "[CCR-000001] Printer on fire"

pytestmark = pytest.mark.usefixtures("no_local_configuration")


@pytest.fixture(autouse=True)
def _alex_handles_billing(desk):
    """Auto-assignment picks Alex; Bo (the other agent) has no skill."""
    give_skills(desk.engine, desk.agent, desk.category)


def choose_mail(desk: Desk, *, every_update: bool) -> None:
    """What the customer ticks in their profile."""
    desk.act(desk.customer, profile.update_profile, name="Carla Customer", wants_optional_email=every_update)


def outbox_mark(desk: Desk) -> int:
    with session_scope(desk.engine) as session:
        return session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))


def mail_since(desk: Desk, mark: int) -> list[tuple[str, str]]:
    """(recipient, subject) of every mail queued after `mark`, in order."""
    with session_scope(desk.engine) as session:
        return [(r.recipient_email, r.subject) for r in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > mark).order_by(OutboxMessage.id))]


def status(desk: Desk, ticket_id: int, new: str, who: User | None = None) -> None:
    """Staff (Alex unless `who`) move the ticket to status `new`."""
    desk.act(who or desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus(new))


# --- every customer-facing event, opted in and opted out -------------------------------------

def _nothing(desk):
    return None


def _raised(desk):
    return desk.raise_ticket(**PRINTER_ON_FIRE)


def _answered(desk):
    """Raised, and Alex answered it (bulk closing leaves unanswered tickets alone)."""
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Looking into it.")
    return ticket_id


def _resolved(desk):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    status(desk, ticket_id, "resolved")
    return ticket_id


def _unassigned(desk):
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    return desk.raise_ticket(**PRINTER_ON_FIRE)


def _waiting(desk):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    status(desk, ticket_id, "waiting_on_customer")
    return ticket_id


# id: (set-up, the action, what the customer would get [(subject, mandatory)], what staff get)
CASES = {
    "ticket raised": (
        _nothing, lambda d, t: d.raise_ticket(**PRINTER_ON_FIRE),
        [(f"{REF} - received", True)],
        [(ALEX, f"{REF} - assigned to you")]),
    "assigned by the admin": (
        _raised, lambda d, t: d.act(d.admin, assignment.assign_ticket, ticket_id=t, assignee_id=d.agent2.id),
        [(f"{REF} - handled by Bo Agent", False)],
        [(BO, f"{REF} - assigned to you")]),
    "claimed by an agent": (
        _unassigned, lambda d, t: d.act(d.agent2, assignment.claim_ticket, ticket_id=t),
        [(f"{REF} - handled by Bo Agent", False)],
        []),
    "public agent reply": (
        _raised, lambda d, t: d.act(d.agent, staff.add_agent_reply, ticket_id=t, body="On my way."),
        [(f"{REF} - new reply", False)],
        []),
    "waiting on customer": (
        _raised, lambda d, t: status(d, t, "waiting_on_customer"),
        [(f"{REF} - waiting for your reply", False)],
        []),
    "resolved": (
        _raised, lambda d, t: status(d, t, "resolved"),
        [(f"{REF} - resolved", True)],
        []),
    "reply and resolve in one save": (
        _raised, lambda d, t: d.act(d.agent, staff.add_agent_reply, ticket_id=t, body="Fixed.",
                                     new_status=TicketStatus.RESOLVED),
        [(f"{REF} - new reply", False), (f"{REF} - resolved", True)],
        []),
    "closed after the resolution": (
        _resolved, lambda d, t: status(d, t, "closed"),
        [(f"{REF} - closed", False)],
        []),
    "auto-closed after the resolution": (
        _resolved, lambda d, t: maintenance.run_maintenance(d.engine, now=utcnow() + timedelta(days=8)),
        [(f"{REF} - closed", False)],
        []),
    "closed without a resolution": (
        _raised, lambda d, t: status(d, t, "closed"),
        [(f"{REF} - closed", True)],
        []),
    "closed without a resolution while waiting on the customer": (
        _waiting, lambda d, t: status(d, t, "closed"),
        [(f"{REF} - closed", True)],
        []),
    "closed without a resolution in a bulk change": (
        _answered, lambda d, t: d.act(d.agent, bulk.bulk_update, ticket_ids=[t], status=TicketStatus.CLOSED),
        [(f"{REF} - closed", True)],
        []),
    "reopened by staff": (
        _resolved, lambda d, t: status(d, t, "open"),
        [(f"{REF} - reopened", False)],
        []),
}


@pytest.mark.parametrize("every_update", [True, False], ids=["opted-in", "opted-out"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_event_mails_the_customer_according_to_their_choice(desk, case, every_update):
    set_up, action, customer_gets, staff_gets = CASES[case]
    choose_mail(desk, every_update=every_update)
    ticket_id = set_up(desk)
    mark = outbox_mark(desk)

    action(desk, ticket_id)

    mails = mail_since(desk, mark)
    expected = [subject for subject, mandatory in customer_gets if every_update or mandatory]
    assert [subject for to, subject in mails if to == CUSTOMER] == expected
    # The customer's choice is theirs alone: staff get the same either way.
    assert [(to, subject) for to, subject in mails if to != CUSTOMER] == staff_gets


def test_an_opted_out_customer_hears_only_the_confirmation_and_the_outcome(desk):
    """A whole life of two tickets: one resolved then closed, one closed without a resolution."""
    bo = desk.agent2
    choose_mail(desk, every_update=False)
    first = desk.raise_ticket(**PRINTER_ON_FIRE)
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=first, assignee_id=bo.id)
    desk.act(bo, staff.add_agent_reply, ticket_id=first, body="Which model?",
             new_status=TicketStatus.WAITING_ON_CUSTOMER)
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=first, body="The LaserJet.")
    desk.act(bo, staff.add_agent_reply, ticket_id=first, body="Replaced the fuser.",
             new_status=TicketStatus.RESOLVED)
    status(desk, first, "open", who=bo)  # reopened: he was too quick
    status(desk, first, "resolved", who=bo)
    status(desk, first, "closed", who=bo)
    second = desk.raise_ticket(priority="low", subject="Toner low", description="Almost empty.")
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=second, body="Ordered.")
    status(desk, second, "closed")

    assert [subject for to, subject in mail_since(desk, 0) if to == CUSTOMER] == [
        f"{REF} - received",
        f"{REF} - resolved",
        f"{REF} - resolved",
        "[CCR-000002] Toner low - received",
        "[CCR-000002] Toner low - closed",  # closed unresolved: still the outcome
    ]


def test_agents_mail_is_untouched_by_the_customers_opt_out(desk):
    choose_mail(desk, every_update=False)
    ticket_id = _unassigned(desk)
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent2.id)
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Any news?")

    assert [(to, subject) for to, subject in mail_since(desk, 0) if to != CUSTOMER] == [
        (ALEX, f"{REF} - new unassigned ticket"),
        (BO, f"{REF} - assigned to you"),
        (BO, f"{REF} - customer replied"),
    ]
    assert [subject for to, subject in mail_since(desk, 0) if to == CUSTOMER] == [f"{REF} - received"]


def test_switching_back_on_brings_optional_mail_back(desk):
    ticket_id = desk.raise_ticket(**PRINTER_ON_FIRE)
    choose_mail(desk, every_update=False)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="First.")
    choose_mail(desk, every_update=True)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Second.")
    assert [subject for to, subject in mail_since(desk, 0) if to == CUSTOMER] == [
        f"{REF} - received", f"{REF} - new reply"]
