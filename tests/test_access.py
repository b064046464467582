"""Who may see and do what: helpdesk/access.py and the permission checks every service makes
through it. Both backends.

On customer tickets: a customer can never read or change another customer's ticket, its
conversation, history or files, whatever id is passed, and the answer never reveals whether
the ticket exists. Internal notes and their files stay with staff.

In the agent workspace: customer / agent / admin (and a deactivated agent) against every agent
action and admin setting. Refused means PermissionDenied and nothing changed. Allowed means the
change really happened (or the read returned the right rows), checked afterwards in a new
transaction."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.accounts import users as accounts_users
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, PermissionDenied
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import (AgentSkill, Attachment, CannedReply, Category, OutboxMessage, Ticket, TicketEvent,
                             TicketMessage, User)
from helpdesk.sla.clock import targets_for
from helpdesk.sla.policies import list_policies, reset_policy, update_policy
from helpdesk.tickets import assignment, bulk, canned_replies, customer as tickets_customer, lifecycle, queue, staff
from helpdesk.tickets.attachments import UploadedFile, build_attachments, get_attachment
from tests.factories import Desk, add_category, add_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SECRET = "Internal: this customer is on the fraud watch list"


# --- the world: Carla (the Desk's customer) pries at Bob's ticket --------------------------

@dataclass
class Tickets:
    bob: User  # the customer whose ticket it is
    carla_ticket: int
    bob_ticket: int
    bob_ticket_file: int  # attached when Bob raised the ticket
    public_reply_file: int  # attached to the agent's public reply
    internal_note: int
    internal_note_file: int  # attached to the agent's internal note
    missing_ticket: int  # an id no ticket has
    missing_file: int


def _agent_message(session, ticket, agent, body, *, is_public, filename):
    """An agent's reply or note with a file, written with the ORM so that the world needs no
    agent permission (those are what the tests below check)."""
    message = TicketMessage(ticket_id=ticket.id, author_id=agent.id, body=body, is_public=is_public,
                            created_at=utcnow())
    session.add(message)
    session.flush()
    [attachment] = build_attachments(ticket=ticket, uploader=agent, files=[UploadedFile(filename, PNG)])
    attachment.message_id = message.id
    session.add(attachment)
    session.add(TicketEvent(ticket_id=ticket.id, actor_id=agent.id, created_at=utcnow(),
                            kind=EventKind.PUBLIC_REPLY if is_public else EventKind.INTERNAL_NOTE))
    session.flush()
    return message, attachment


@pytest.fixture
def tickets(desk) -> Tickets:
    bob = add_user(desk.engine, email="bob@example.com")
    carla_ticket = desk.raise_ticket(subject="Carla's own problem")
    bob_ticket = desk.raise_ticket(customer=bob, subject="Bob's private matter",
                                   attachments=[UploadedFile("bank-statement.png", PNG)])
    with session_scope(desk.engine) as session:
        ticket = session.get(Ticket, bob_ticket)
        bob_file = session.scalar(select(Attachment.id).where(Attachment.ticket_id == bob_ticket))
        _, public_file = _agent_message(session, ticket, desk.agent, "We are looking into it.",
                                        is_public=True, filename="steps.png")
        note, note_file = _agent_message(session, ticket, desk.agent, SECRET, is_public=False,
                                         filename="fraud-report.png")
        # Resolved, so that a wrongly allowed reply or reopen would visibly change it.
        lifecycle.transition(session, ticket, desk.agent, TicketStatus.RESOLVED)
        session.flush()
        highest_ticket = session.scalar(select(func.max(Ticket.id)))
        highest_file = session.scalar(select(func.max(Attachment.id)))
        return Tickets(bob=bob, carla_ticket=carla_ticket, bob_ticket=bob_ticket, bob_ticket_file=bob_file,
                       public_reply_file=public_file.id, internal_note=note.id, internal_note_file=note_file.id,
                       missing_ticket=highest_ticket + 1000, missing_file=highest_file + 1000)


def snapshot(engine, ticket_id):
    """Everything a change to the ticket would touch."""
    with session_scope(engine) as session:
        ticket = session.get(Ticket, ticket_id)

        def count(model, *where):
            return session.scalar(select(func.count()).select_from(model).where(*where))

        return (ticket.status, ticket.version, ticket.updated_at, ticket.resolved_at, ticket.closed_at,
                count(TicketMessage, TicketMessage.ticket_id == ticket_id),
                count(TicketEvent, TicketEvent.ticket_id == ticket_id),
                count(Attachment, Attachment.ticket_id == ticket_id),
                count(OutboxMessage))


TICKET_ACTIONS = {
    "get_ticket": lambda s, actor, tid: tickets_customer.get_ticket(session=s, actor=actor, ticket_id=tid),
    "get_conversation": lambda s, actor, tid: tickets_customer.get_conversation(session=s, actor=actor, ticket_id=tid),
    "get_history": lambda s, actor, tid: tickets_customer.get_history(session=s, actor=actor, ticket_id=tid),
    "get_ticket_attachments": lambda s, actor, tid: tickets_customer.get_ticket_attachments(session=s, actor=actor,
                                                                                  ticket_id=tid),
    "get_ticket_details": lambda s, actor, tid: tickets_customer.get_ticket_details(session=s, actor=actor, ticket_id=tid),
    "add_customer_reply": lambda s, actor, tid: tickets_customer.add_customer_reply(
        session=s, actor=actor, ticket_id=tid, body="Let me in", attachments=[UploadedFile("x.png", PNG)]),
    "close_ticket": lambda s, actor, tid: tickets_customer.close_ticket(session=s, actor=actor, ticket_id=tid),
    "reopen_ticket": lambda s, actor, tid: tickets_customer.reopen_ticket(session=s, actor=actor, ticket_id=tid),
}


def not_found_message(engine, action, actor, ticket_id) -> str:
    with pytest.raises(NotFound) as excinfo:
        with session_scope(engine) as session:
            TICKET_ACTIONS[action](session, actor, ticket_id)
    return str(excinfo.value)


# --- a customer and someone else's ticket --------------------------------------------------

@pytest.mark.parametrize("action", list(TICKET_ACTIONS))
def test_customer_cannot_touch_another_customers_ticket(desk, tickets, action):
    before = snapshot(desk.engine, tickets.bob_ticket)
    answer_for_missing = not_found_message(desk.engine, action, desk.customer, tickets.missing_ticket)
    answer_for_bobs = not_found_message(desk.engine, action, desk.customer, tickets.bob_ticket)
    # The same answer as for a ticket that doesn't exist: ids can't be probed.
    assert answer_for_bobs == answer_for_missing == "No such ticket."
    assert "Bob" not in answer_for_bobs
    assert snapshot(desk.engine, tickets.bob_ticket) == before


@pytest.mark.parametrize("odd_id", [0, -1, 2**31, 2**63, 10**30, None, "1", 1.0, True],
                         ids=["zero", "negative", "int32-overflow", "int64-overflow", "huge", "none", "string",
                              "float", "bool"])
def test_any_id_at_all_gets_the_same_not_found(desk, tickets, odd_id):
    before = snapshot(desk.engine, tickets.bob_ticket)
    for action in TICKET_ACTIONS:
        assert not_found_message(desk.engine, action, desk.customer, odd_id) == \
            not_found_message(desk.engine, action, desk.customer, tickets.missing_ticket), action
    assert snapshot(desk.engine, tickets.bob_ticket) == before


def test_customer_can_do_all_of_it_on_their_own_ticket(desk, tickets):
    """Allowed means it happened: each read returns Carla's ticket, each change is stored."""
    carla = desk.customer

    def run(action):
        with session_scope(desk.engine) as session:
            result = TICKET_ACTIONS[action](session, carla, tickets.carla_ticket)
            if action == "get_conversation":
                return [(m.body, m.author_id, [a.filename for a in m.attachments]) for m in result]
            if action == "get_history":
                return [(e.kind, e.actor_id, e.new_value) for e in result]
            if action == "get_ticket_attachments":
                return [a.filename for a in result]
            return result

    ticket = run("get_ticket")
    assert (ticket.id, ticket.subject, ticket.customer_id, ticket.status) == (
        tickets.carla_ticket, "Carla's own problem", carla.id, TicketStatus.NEW)
    assert run("get_conversation") == []
    assert run("get_history") == [(EventKind.CREATED, carla.id, "new")]
    assert run("get_ticket_attachments") == []
    details = run("get_ticket_details")
    assert (details.ticket.id, details.ticket.subject) == (tickets.carla_ticket, "Carla's own problem")

    reply = run("add_customer_reply")
    assert (reply.ticket_id, reply.body, reply.is_public, reply.author_id) == (
        tickets.carla_ticket, "Let me in", True, carla.id)
    assert run("get_conversation") == [("Let me in", carla.id, ["x.png"])]
    with session_scope(desk.engine) as session:
        stored = session.get(Attachment, session.scalar(select(Attachment.id).where(
            Attachment.ticket_id == tickets.carla_ticket)))
        assert (stored.filename, stored.content, stored.message_id) == ("x.png", PNG, reply.id)

    run("close_ticket")
    with session_scope(desk.engine) as session:
        closed = session.get(Ticket, tickets.carla_ticket)
        assert closed.status == TicketStatus.CLOSED and closed.closed_at is not None
    assert run("get_history")[-1] == (EventKind.STATUS_CHANGED, carla.id, "closed")


def test_customer_cannot_download_another_customers_files_whatever_the_id(desk, tickets):
    def answer(actor, attachment_id):
        with pytest.raises(NotFound) as excinfo:
            with session_scope(desk.engine) as session:
                get_attachment(session=session, actor=actor, attachment_id=attachment_id)
        return str(excinfo.value)

    missing = answer(desk.customer, tickets.missing_file)
    assert missing == "No such attachment."
    for attachment_id in (tickets.bob_ticket_file, tickets.public_reply_file, tickets.internal_note_file,
                          0, -1, 2**63, None, str(tickets.bob_ticket_file)):
        assert answer(desk.customer, attachment_id) == missing, attachment_id


def test_my_tickets_never_lists_another_customers_ticket(desk, tickets):
    with session_scope(desk.engine) as session:
        bob_reference = session.get(Ticket, tickets.bob_ticket).reference
    with session_scope(desk.engine) as session:
        for search in ("", "Bob", "private matter", bob_reference, str(tickets.bob_ticket),
                       f"#{tickets.bob_ticket}"):
            for status in (None, TicketStatus.RESOLVED):
                page = tickets_customer.list_customer_tickets(session=session, actor=desk.customer, search=search,
                                                              status=status)
                assert tickets.bob_ticket not in [t.id for t in page.rows], (search, status)
                assert all(t.customer_id == desk.customer.id for t in page.rows)
                assert page.total == len(page.rows)


# --- internal notes stay with staff --------------------------------------------------------

def test_internal_notes_never_reach_the_customer(desk, tickets):
    bob, bob_ticket = tickets.bob, tickets.bob_ticket
    with session_scope(desk.engine) as session:
        conversation = tickets_customer.get_conversation(session=session, actor=bob, ticket_id=bob_ticket)
        history = tickets_customer.get_history(session=session, actor=bob, ticket_id=bob_ticket)
        files = tickets_customer.get_ticket_attachments(session=session, actor=bob, ticket_id=bob_ticket)
    assert [m.body for m in conversation] == ["We are looking into it."]
    assert all(m.is_public for m in conversation)
    assert SECRET not in repr([m.body for m in conversation])
    assert EventKind.INTERNAL_NOTE not in [e.kind for e in history]
    assert tickets.internal_note_file not in [f.id for f in files]
    assert [a.filename for m in conversation for a in m.attachments] == ["steps.png"]
    with session_scope(desk.engine) as session:  # the whole page's load, in one call, gives the same
        details = tickets_customer.get_ticket_details(session=session, actor=bob, ticket_id=bob_ticket)
    assert [m.body for m in details.conversation] == ["We are looking into it."]
    assert [e.kind for e in details.history] == [e.kind for e in history]
    assert [f.id for f in details.ticket_files] == [f.id for f in files]


def test_customer_cannot_download_an_internal_notes_file_on_their_own_ticket(desk, tickets):
    def answer(attachment_id):
        with pytest.raises(NotFound) as excinfo:
            with session_scope(desk.engine) as session:
                get_attachment(session=session, actor=tickets.bob, attachment_id=attachment_id)
        return str(excinfo.value)

    assert answer(tickets.internal_note_file) == answer(tickets.missing_file) == "No such attachment."
    # The public files on the same ticket are theirs to download.
    with session_scope(desk.engine) as session:
        for attachment_id in (tickets.bob_ticket_file, tickets.public_reply_file):
            assert get_attachment(session=session, actor=tickets.bob, attachment_id=attachment_id).content == PNG


# --- staff on customers' tickets -----------------------------------------------------------

@pytest.mark.parametrize("who", ["agent", "admin"])
def test_staff_can_read_any_ticket_including_internal_notes(desk, tickets, who):
    actor = getattr(desk, who)
    with session_scope(desk.engine) as session:
        for ticket_id in (tickets.carla_ticket, tickets.bob_ticket):
            assert tickets_customer.get_ticket(session=session, actor=actor, ticket_id=ticket_id).id == ticket_id
        conversation = tickets_customer.get_conversation(session=session, actor=actor, ticket_id=tickets.bob_ticket)
        history = tickets_customer.get_history(session=session, actor=actor, ticket_id=tickets.bob_ticket)
        note_file = get_attachment(session=session, actor=actor, attachment_id=tickets.internal_note_file)
    assert [m.body for m in conversation] == ["We are looking into it.", SECRET]
    assert EventKind.INTERNAL_NOTE in [e.kind for e in history]
    assert note_file.content == PNG and note_file.filename == "fraud-report.png"


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_staff_cannot_reply_as_the_customer(desk, tickets, who):
    before = snapshot(desk.engine, tickets.bob_ticket)
    with pytest.raises(PermissionDenied) as refused:
        with session_scope(desk.engine) as session:
            TICKET_ACTIONS["add_customer_reply"](session, getattr(desk, who), tickets.bob_ticket)
    assert type(refused.value) is PermissionDenied
    assert str(refused.value) == "Only the customer who raised this ticket can do that."
    assert snapshot(desk.engine, tickets.bob_ticket) == before


@pytest.mark.parametrize("ticket_id", [0, -1, 2**31, 2**63, 10**30])
def test_staff_actions_answer_impossible_ids_with_not_found(desk, ticket_id):
    """Ids from a URL or form that no row can have are NotFound, not a database error."""
    calls = [
        lambda: desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Hi"),
        lambda: desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status="open"),
        lambda: desk.act(desk.agent, staff.customer_ticket_history, ticket_id=ticket_id),
        lambda: desk.act(desk.agent, assignment.claim_ticket, ticket_id=ticket_id),
    ]
    for call in calls:
        with pytest.raises(NotFound) as missing:
            call()
        assert str(missing.value) == "No such ticket."
    assert desk.act(desk.agent, queue.find_by_reference, text=f"CCR-{ticket_id}") is None


# --- signed out or deactivated -------------------------------------------------------------

def test_signed_out_or_deactivated_customer_sees_nothing_even_their_own(desk, tickets):
    with session_scope(desk.engine) as session:
        session.get(User, tickets.bob.id).is_active = False
    with session_scope(desk.engine) as session:
        bob_now = session.get(User, tickets.bob.id)
    before = snapshot(desk.engine, tickets.bob_ticket)
    calls = {name: (lambda s, actor, action=action: action(s, actor, tickets.bob_ticket))
             for name, action in TICKET_ACTIONS.items()}
    calls["get_attachment"] = lambda s, actor: get_attachment(session=s, actor=actor,
                                                              attachment_id=tickets.bob_ticket_file)
    calls["list_customer_tickets"] = lambda s, actor: tickets_customer.list_customer_tickets(session=s, actor=actor)
    for actor in (None, bob_now):
        for name, call in calls.items():
            with pytest.raises(PermissionDenied) as refused:
                with session_scope(desk.engine) as session:
                    call(session, actor)
            assert (type(refused.value), str(refused.value)) == (PermissionDenied, "Sign in first."), name
    assert snapshot(desk.engine, tickets.bob_ticket) == before


# --- the agent workspace: every role against every action ----------------------------------

@dataclass
class Workspace:
    desk: Desk
    shipping: Category  # where "change category" and "agent skills" move things
    actors: dict[str, User]  # who acts for each row of EXPECTED


@pytest.fixture
def workspace(desk) -> Workspace:
    """The Desk with Bo deactivated: he is the inactive agent, and the active staff are Ada and
    Alex. Carla is called plain "Carla" here, the greeting the canned reply renders."""
    with session_scope(desk.engine) as session:
        bo = session.get(User, desk.agent2.id)
        bo.is_active = False
        carla = session.get(User, desk.customer.id)
        carla.name = "Carla"
    return Workspace(desk=desk, shipping=add_category(desk.engine, "Shipping"), actors={
        "customer": carla, "agent": desk.agent, "inactive agent": bo, "admin": desk.admin})


@dataclass(frozen=True)
class Action:
    name: str
    admin_only: bool
    run: Callable  # (session, actor, workspace, prepared ids) -> what the service returned
    # Where the action is allowed, what must be true afterwards (read back in a new transaction):
    # (workspace, prepared ids, actor, returned value). Not raising is not enough.
    effect: Callable
    needs: tuple[str, ...] = ()  # "ticket", "tickets", "canned", "high sla": made before, by the right people


def _ticket(w: Workspace) -> int:
    return w.desk.raise_ticket(subject="Help")


def _canned(w: Workspace) -> int:
    with session_scope(w.desk.engine) as session:
        count = session.scalar(select(func.count()).select_from(CannedReply))
    return w.desk.act(w.desk.admin, canned_replies.create_canned_reply, title=f"Reply {count}",
                      body="Hi {customer_name}").id


def _ticket_row(w: Workspace, ticket_id) -> tuple:
    t = w.desk.ticket(ticket_id)
    return t.status, t.priority, t.category_id, t.assignee_id


def _events(w: Workspace, ticket_id) -> list[tuple]:
    """(kind, actor, old, new) of the events on a ticket after it was raised."""
    with session_scope(w.desk.engine) as session:
        return [(e.kind, e.actor_id, e.old_value, e.new_value) for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind != EventKind.CREATED)
            .order_by(TicketEvent.id))]


def _messages(w: Workspace, ticket_id) -> list[tuple]:
    with session_scope(w.desk.engine) as session:
        return [(m.body, m.is_public, m.author_id) for m in session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id))]


def _customer_sees(w: Workspace, ticket_id) -> list[str]:
    return [m.body for m in w.desk.act(w.desk.customer, tickets_customer.get_conversation, ticket_id=ticket_id)]


def _canned_rows(w: Workspace) -> dict[int, tuple[str, str]]:
    with session_scope(w.desk.engine) as session:
        return {c.id: (c.title, c.body) for c in session.scalars(select(CannedReply))}


def _targets(w: Workspace, priority) -> tuple[int, int]:
    with session_scope(w.desk.engine) as session:
        return targets_for(session, priority)


def _stored_settings(w: Workspace) -> settings.AppSettings:
    with session_scope(w.desk.engine) as session:
        return settings.get_settings(session=session)


def _expect_queue(w, p, actor, page):
    row = next(r for r in page.rows if r.id == p["ticket"])
    assert (row.subject, row.status, row.customer_email, row.category_name, row.assignee_id) == (
        "Help", TicketStatus.NEW, "carla@example.com", "Billing", None)
    assert page.total >= 1


def _expect_found(w, p, actor, found):
    assert (found.id, found.subject, found.customer_id) == (p["ticket"], "Help", w.desk.customer.id)


def _expect_reply(w, p, actor, message):
    assert _messages(w, p["ticket"]) == [("On it", True, actor.id)]
    assert _customer_sees(w, p["ticket"]) == ["On it"]
    assert (EventKind.PUBLIC_REPLY, actor.id) in [(kind, who) for kind, who, _o, _n in _events(w, p["ticket"])]


def _expect_note(w, p, actor, message):
    assert _messages(w, p["ticket"]) == [("Psst", False, actor.id)]
    assert _customer_sees(w, p["ticket"]) == []
    assert (EventKind.INTERNAL_NOTE, actor.id) in [(kind, who) for kind, who, _o, _n in _events(w, p["ticket"])]


def _expect_status(w, p, actor, _):
    assert _ticket_row(w, p["ticket"])[0] == TicketStatus.IN_PROGRESS
    assert (EventKind.STATUS_CHANGED, actor.id, "new", "in_progress") in _events(w, p["ticket"])


def _expect_priority(w, p, actor, _):
    assert _ticket_row(w, p["ticket"])[1] == Priority.URGENT
    assert (EventKind.PRIORITY_CHANGED, actor.id, "normal", "urgent") in _events(w, p["ticket"])


def _expect_category(w, p, actor, _):
    assert _ticket_row(w, p["ticket"])[2] == w.shipping.id
    assert (EventKind.CATEGORY_CHANGED, actor.id, "Billing", "Shipping") in _events(w, p["ticket"])


def _expect_fields(w, p, actor, _):
    status, priority, _category, _assignee = _ticket_row(w, p["ticket"])
    assert (status, priority) == (TicketStatus.OPEN, Priority.LOW)


def _expect_assigned(w, p, actor, _):
    assert _ticket_row(w, p["ticket"])[3] == w.desk.agent.id
    assert (EventKind.ASSIGNED, actor.id) in [(kind, who) for kind, who, _o, _n in _events(w, p["ticket"])]


def _expect_claimed(w, p, actor, _):
    assert _ticket_row(w, p["ticket"])[3] == actor.id


def _expect_bulk(w, p, actor, result):
    assert (result.updated, result.skipped) == (p["tickets"], {})
    assert [_ticket_row(w, t)[1] for t in p["tickets"]] == [Priority.HIGH, Priority.HIGH]


def _expect_other_tickets(w, p, actor, others):
    ids = [t.id for t in others]
    assert ids[0] == p["tickets"][1]  # the newest other one first
    assert p["tickets"][0] not in ids  # not the ticket itself
    assert {t.customer_id for t in others} == {w.desk.customer.id}


def _expect_agents(w, p, actor, agents):
    assert [u.email for u in agents] == ["ada@support.example.com", "alex@support.example.com"]


def _expect_canned_listed(w, p, actor, replies):
    assert (p["canned"], "Hi {customer_name}") in [(r.id, r.body) for r in replies]


def _expect_rendered(w, p, actor, text):
    assert text == "Hi Carla"


def _expect_policies(w, p, actor, policies):
    assert [(t.priority, t.first_response_hours, t.resolution_hours) for t in policies] == [
        (Priority.URGENT, 1, 8), (Priority.HIGH, 4, 24), (Priority.NORMAL, 8, 72), (Priority.LOW, 24, 120)]


def _expect_canned_created(w, p, actor, reply):
    assert _canned_rows(w)[reply.id] == ("New one", "Hello {agent_name}")


def _expect_canned_edited(w, p, actor, _):
    assert _canned_rows(w)[p["canned"]] == ("Edited", "Bye")


def _expect_canned_deleted(w, p, actor, _):
    assert p["canned"] not in _canned_rows(w)


def _expect_policy_edited(w, p, actor, _):
    assert _targets(w, Priority.HIGH) == (2, 10)


def _expect_policy_reset(w, p, actor, _):
    assert _targets(w, Priority.HIGH) == (4, 24)  # from the (3, 9) prepared before


def _expect_no_auto_assign(w, p, actor, _):
    assert _stored_settings(w).auto_assign is False


def _expect_auto_close(w, p, actor, _):
    assert _stored_settings(w).auto_close_days == 3


def _expect_business_hours(w, p, actor, _):
    assert _stored_settings(w).business_hours == settings.BusinessHours()


def _expect_skills(w, p, actor, _):
    with session_scope(w.desk.engine) as session:
        assert session.scalars(select(AgentSkill.category_id).where(
            AgentSkill.agent_id == w.desk.agent.id)).all() == [w.shipping.id]


ACTIONS = [
    Action("list queue", False, lambda s, a, w, p: queue.list_queue(session=s, actor=a), _expect_queue, ("ticket",)),
    Action("find by reference", False, lambda s, a, w, p: queue.find_by_reference(
        session=s, actor=a, text=f"CCR-{p['ticket']}"), _expect_found, ("ticket",)),
    Action("reply", False, lambda s, a, w, p: staff.add_agent_reply(
        session=s, actor=a, ticket_id=p["ticket"], body="On it"), _expect_reply, ("ticket",)),
    Action("internal note", False, lambda s, a, w, p: staff.add_internal_note(
        session=s, actor=a, ticket_id=p["ticket"], body="Psst"), _expect_note, ("ticket",)),
    Action("change status", False, lambda s, a, w, p: staff.change_status(
        session=s, actor=a, ticket_id=p["ticket"], status=TicketStatus.IN_PROGRESS), _expect_status, ("ticket",)),
    Action("change priority", False, lambda s, a, w, p: staff.change_priority(
        session=s, actor=a, ticket_id=p["ticket"], priority=Priority.URGENT), _expect_priority, ("ticket",)),
    Action("change category", False, lambda s, a, w, p: staff.change_category(
        session=s, actor=a, ticket_id=p["ticket"], category_id=w.shipping.id), _expect_category, ("ticket",)),
    Action("update several fields", False, lambda s, a, w, p: staff.update_ticket(
        session=s, actor=a, ticket_id=p["ticket"], priority=Priority.LOW, status=TicketStatus.OPEN), _expect_fields,
        ("ticket",)),
    Action("assign", False, lambda s, a, w, p: assignment.assign_ticket(
        session=s, actor=a, ticket_id=p["ticket"], assignee_id=w.desk.agent.id), _expect_assigned, ("ticket",)),
    Action("claim", False, lambda s, a, w, p: assignment.claim_ticket(
        session=s, actor=a, ticket_id=p["ticket"]), _expect_claimed, ("ticket",)),
    Action("bulk update", False, lambda s, a, w, p: bulk.bulk_update(
        session=s, actor=a, ticket_ids=p["tickets"], priority=Priority.HIGH), _expect_bulk, ("tickets",)),
    Action("customer's other tickets", False, lambda s, a, w, p: staff.customer_ticket_history(
        session=s, actor=a, ticket_id=p["tickets"][0]), _expect_other_tickets, ("tickets",)),
    Action("list agents", False, lambda s, a, w, p: assignment.list_assignable_agents(session=s, actor=a),
           _expect_agents),
    Action("list canned replies", False, lambda s, a, w, p: canned_replies.list_canned_replies(session=s, actor=a),
           _expect_canned_listed, ("canned",)),
    Action("insert canned reply", False, lambda s, a, w, p: canned_replies.render_canned_reply(
        session=s, actor=a, reply_id=p["canned"], ticket_id=p["ticket"]), _expect_rendered, ("canned", "ticket")),
    Action("list SLA policies", False, lambda s, a, w, p: list_policies(session=s, actor=a),
           _expect_policies),
    Action("create canned reply", True, lambda s, a, w, p: canned_replies.create_canned_reply(
        session=s, actor=a, title="New one", body="Hello {agent_name}"), _expect_canned_created),
    Action("edit canned reply", True, lambda s, a, w, p: canned_replies.update_canned_reply(
        session=s, actor=a, reply_id=p["canned"], title="Edited", body="Bye"), _expect_canned_edited, ("canned",)),
    Action("delete canned reply", True, lambda s, a, w, p: canned_replies.delete_canned_reply(
        session=s, actor=a, reply_id=p["canned"]), _expect_canned_deleted, ("canned",)),
    Action("edit SLA policy", True, lambda s, a, w, p: update_policy(
        session=s, actor=a, priority=Priority.HIGH, first_response_hours=2, resolution_hours=10),
        _expect_policy_edited),
    Action("reset SLA policy", True, lambda s, a, w, p: reset_policy(
        session=s, actor=a, priority=Priority.HIGH), _expect_policy_reset, ("high sla",)),
    Action("auto-assign setting", True, lambda s, a, w, p: settings.set_auto_assign(
        session=s, actor=a, enabled=False), _expect_no_auto_assign),
    Action("auto-close setting", True, lambda s, a, w, p: settings.set_auto_close_days(session=s, actor=a, days=3),
           _expect_auto_close),
    Action("business hours setting", True, lambda s, a, w, p: settings.set_business_hours(
        session=s, actor=a, hours=settings.BusinessHours()), _expect_business_hours),
    Action("agent skills", True, lambda s, a, w, p: assignment.set_agent_skills(
        session=s, actor=a, agent_id=w.desk.agent.id, category_ids=[w.shipping.id]), _expect_skills),
]


def prepare(w: Workspace, needs) -> dict:
    prepared = {}
    if "ticket" in needs:
        prepared["ticket"] = _ticket(w)
    if "tickets" in needs:
        prepared["tickets"] = [_ticket(w), _ticket(w)]
    if "canned" in needs:
        prepared["canned"] = _canned(w)
    if "high sla" in needs:  # not the default, so that a reset has something to undo
        w.desk.act(w.desk.admin, update_policy, priority=Priority.HIGH, first_response_hours=3, resolution_hours=9)
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
def test_permission_matrix(workspace, role):
    """Allowed: the change is there afterwards (or the read returns the right rows). Refused:
    PermissionDenied itself, with the words the person reads, and nothing changed."""
    engine = workspace.desk.engine
    outcomes = {}
    actor = workspace.actors[role]
    for action in ACTIONS:
        prepared = prepare(workspace, action.needs)
        before = (footprint(engine), settings_snapshot(engine))
        try:
            with session_scope(engine) as session:
                result = action.run(session, actor, workspace, prepared)
        except PermissionDenied as refused:
            outcomes[action.name] = "refused"
            assert type(refused) is PermissionDenied, action.name
            assert str(refused) == refusal_words(role, action), action.name
            assert (footprint(engine), settings_snapshot(engine)) == before, \
                f"refused '{action.name}' still changed something"
        else:
            outcomes[action.name] = "allowed"
            if EXPECTED[role][action.name] == "allowed":
                action.effect(workspace, prepared, actor, result)
    assert outcomes == EXPECTED[role]


# --- the manager role -----------------------------------------------------------------------

MANAGER_REFUSED = {
    "create a user": lambda d: dict(service=accounts_users.create_user, role=Role.AGENT, data=accounts_users.NewAccount(
        "Zed", "zed@example.com", "a long enough passphrase 42", "a long enough passphrase 42")),
    "deactivate a user": lambda d: dict(service=accounts_users.set_user_active,
                                        user_id=d.customer.id, active=False),
    "change a role": lambda d: dict(service=accounts_users.set_user_role,
                                    user_id=d.agent.id, role=Role.ADMIN),
    "change business hours": lambda d: dict(service=settings.set_business_hours, hours=None),
    "switch auto-assignment": lambda d: dict(service=settings.set_auto_assign, enabled=False),
    "change an SLA target": lambda d: dict(service=update_policy, priority=Priority.HIGH, first_response_hours=2,
                                           resolution_hours=10),
    "set skills": lambda d: dict(service=assignment.set_agent_skills, agent_id=d.agent.id, category_ids=[]),
    "add a canned reply": lambda d: dict(service=canned_replies.create_canned_reply, title="Hi", body="Hello"),
}


@pytest.mark.parametrize("what", list(MANAGER_REFUSED))
def test_a_manager_cannot_change_users_settings_or_sla(desk, what):
    manager = add_user(desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")
    call = MANAGER_REFUSED[what](desk)
    with pytest.raises(PermissionDenied):
        desk.act(manager, call.pop("service"), **call)


def test_a_manager_works_tickets_like_an_agent(desk):
    manager = add_user(desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")
    ticket_id = desk.raise_ticket()
    desk.act(manager, assignment.claim_ticket, ticket_id=ticket_id)
    desk.act(manager, staff.add_agent_reply, ticket_id=ticket_id, body="On it.")
    assert desk.ticket(ticket_id).assignee_id == manager.id
    with session_scope(desk.engine) as session:
        seen = queue.list_queue(session=session, actor=session.get(User, manager.id), view=queue.QueueView.ALL_OPEN)
        assert [row.id for row in seen.rows] == [ticket_id]
        # Assignable like any agent: listed for the assignee box.
        assert manager.id in {u.id for u in assignment.list_assignable_agents(session=session,
                                                                              actor=session.get(User, desk.agent.id))}
