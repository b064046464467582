"""Who may see and do what. A customer can never read or change another customer's ticket,
its conversation, history or files, whatever id is passed, and the answer never reveals
whether the ticket exists. Internal notes and their files stay with staff.
Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, PermissionDenied
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Attachment, OutboxMessage, Ticket, TicketEvent, TicketMessage, User
from helpdesk.tickets import customer as tickets_customer, lifecycle
from helpdesk.tickets.attachments import UploadedFile, build_attachments, get_attachment
from helpdesk.tickets.customer import TicketDraft
from tests.factories import add_category, add_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SECRET = "Internal: this customer is on the fraud watch list"


@dataclass
class World:
    alice: User  # the prying customer
    bob: User  # the customer whose ticket it is
    agent: User
    admin: User
    alice_ticket: int
    bob_ticket: int
    bob_ticket_file: int  # attached when Bob raised the ticket
    public_reply_file: int  # attached to the agent's public reply
    internal_note: int
    internal_note_file: int  # attached to the agent's internal note
    missing_ticket: int  # an id no ticket has
    missing_file: int


def _raise(session, customer, category_id, subject, files=()):
    return tickets_customer.create_ticket(session=session, actor=customer, data=TicketDraft(
        category_id=category_id, priority=Priority.HIGH, subject=subject,
        description="Details of the problem.", attachments=list(files)))


def _agent_message(session, ticket, agent, body, *, is_public, filename):
    """Agent-side replies and notes come with later services; written directly with the ORM."""
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
def world(engine) -> World:
    alice = add_user(engine, email="alice@example.com")
    bob = add_user(engine, email="bob@example.com")
    agent = add_user(engine, email="agent@example.com", role=Role.AGENT)
    admin = add_user(engine, email="admin@example.com", role=Role.ADMIN)
    category = add_category(engine, "Accounts")
    with session_scope(engine) as session:
        alice_ticket = _raise(session, alice, category.id, "Alice's own problem")
        bob_ticket = _raise(session, bob, category.id, "Bob's private matter",
                            [UploadedFile("bank-statement.png", PNG)])
        bob_file = session.scalar(select(Attachment.id).where(Attachment.ticket_id == bob_ticket.id))
        _, public_file = _agent_message(session, bob_ticket, agent, "We are looking into it.",
                                        is_public=True, filename="steps.png")
        note, note_file = _agent_message(session, bob_ticket, agent, SECRET, is_public=False,
                                         filename="fraud-report.png")
        # Resolved, so that a wrongly allowed reply or reopen would visibly change it.
        lifecycle.transition(session, bob_ticket, agent, TicketStatus.RESOLVED)
        session.flush()
        highest_ticket = session.scalar(select(func.max(Ticket.id)))
        highest_file = session.scalar(select(func.max(Attachment.id)))
        return World(alice=alice, bob=bob, agent=agent, admin=admin, alice_ticket=alice_ticket.id,
                     bob_ticket=bob_ticket.id, bob_ticket_file=bob_file, public_reply_file=public_file.id,
                     internal_note=note.id, internal_note_file=note_file.id,
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


@pytest.mark.parametrize("action", list(TICKET_ACTIONS))
def test_customer_cannot_touch_another_customers_ticket(engine, world, action):
    before = snapshot(engine, world.bob_ticket)
    answer_for_missing = not_found_message(engine, action, world.alice, world.missing_ticket)
    answer_for_bobs = not_found_message(engine, action, world.alice, world.bob_ticket)
    # The same answer as for a ticket that doesn't exist: ids can't be probed.
    assert answer_for_bobs == answer_for_missing == "No such ticket."
    assert "Bob" not in answer_for_bobs
    assert snapshot(engine, world.bob_ticket) == before


@pytest.mark.parametrize("odd_id", [0, -1, 2**31, 2**63, 10**30, None, "1", 1.0, True],
                         ids=["zero", "negative", "int32-overflow", "int64-overflow", "huge", "none", "string",
                              "float", "bool"])
def test_any_id_at_all_gets_the_same_not_found(engine, world, odd_id):
    before = snapshot(engine, world.bob_ticket)
    for action in TICKET_ACTIONS:
        assert not_found_message(engine, action, world.alice, odd_id) == \
            not_found_message(engine, action, world.alice, world.missing_ticket), action
    assert snapshot(engine, world.bob_ticket) == before


def test_customer_can_do_all_of_it_on_their_own_ticket(engine, world):
    """Allowed means it happened: each read returns Alice's ticket, each change is stored."""
    def run(action):
        with session_scope(engine) as session:
            result = TICKET_ACTIONS[action](session, world.alice, world.alice_ticket)
            if action == "get_conversation":
                return [(m.body, m.author_id, [a.filename for a in m.attachments]) for m in result]
            if action == "get_history":
                return [(e.kind, e.actor_id, e.new_value) for e in result]
            if action == "get_ticket_attachments":
                return [a.filename for a in result]
            return result

    ticket = run("get_ticket")
    assert (ticket.id, ticket.subject, ticket.customer_id, ticket.status) == (
        world.alice_ticket, "Alice's own problem", world.alice.id, TicketStatus.NEW)
    assert run("get_conversation") == []
    assert run("get_history") == [(EventKind.CREATED, world.alice.id, "new")]
    assert run("get_ticket_attachments") == []
    details = run("get_ticket_details")
    assert (details.ticket.id, details.ticket.subject) == (world.alice_ticket, "Alice's own problem")

    reply = run("add_customer_reply")
    assert (reply.ticket_id, reply.body, reply.is_public, reply.author_id) == (
        world.alice_ticket, "Let me in", True, world.alice.id)
    assert run("get_conversation") == [("Let me in", world.alice.id, ["x.png"])]
    with session_scope(engine) as session:
        stored = session.get(Attachment, session.scalar(select(Attachment.id).where(
            Attachment.ticket_id == world.alice_ticket)))
        assert (stored.filename, stored.content, stored.message_id) == ("x.png", PNG, reply.id)

    run("close_ticket")
    with session_scope(engine) as session:
        closed = session.get(Ticket, world.alice_ticket)
        assert closed.status == TicketStatus.CLOSED and closed.closed_at is not None
    assert run("get_history")[-1] == (EventKind.STATUS_CHANGED, world.alice.id, "closed")


def test_customer_cannot_download_another_customers_files_whatever_the_id(engine, world):
    def answer(actor, attachment_id):
        with pytest.raises(NotFound) as excinfo:
            with session_scope(engine) as session:
                get_attachment(session=session, actor=actor, attachment_id=attachment_id)
        return str(excinfo.value)

    missing = answer(world.alice, world.missing_file)
    assert missing == "No such attachment."
    for attachment_id in (world.bob_ticket_file, world.public_reply_file, world.internal_note_file,
                          0, -1, 2**63, None, str(world.bob_ticket_file)):
        assert answer(world.alice, attachment_id) == missing, attachment_id


def test_internal_notes_never_reach_the_customer(engine, world):
    with session_scope(engine) as session:
        conversation = tickets_customer.get_conversation(session=session, actor=world.bob, ticket_id=world.bob_ticket)
        history = tickets_customer.get_history(session=session, actor=world.bob, ticket_id=world.bob_ticket)
        files = tickets_customer.get_ticket_attachments(session=session, actor=world.bob, ticket_id=world.bob_ticket)
    assert [m.body for m in conversation] == ["We are looking into it."]
    assert all(m.is_public for m in conversation)
    assert SECRET not in repr([m.body for m in conversation])
    assert EventKind.INTERNAL_NOTE not in [e.kind for e in history]
    assert world.internal_note_file not in [f.id for f in files]
    assert [a.filename for m in conversation for a in m.attachments] == ["steps.png"]
    with session_scope(engine) as session:  # the whole page's load, in one call, gives the same
        details = tickets_customer.get_ticket_details(session=session, actor=world.bob, ticket_id=world.bob_ticket)
    assert [m.body for m in details.conversation] == ["We are looking into it."]
    assert [e.kind for e in details.history] == [e.kind for e in history]
    assert [f.id for f in details.ticket_files] == [f.id for f in files]


def test_customer_cannot_download_an_internal_notes_file_on_their_own_ticket(engine, world):
    def answer(attachment_id):
        with pytest.raises(NotFound) as excinfo:
            with session_scope(engine) as session:
                get_attachment(session=session, actor=world.bob, attachment_id=attachment_id)
        return str(excinfo.value)

    assert answer(world.internal_note_file) == answer(world.missing_file) == "No such attachment."
    # The public files on the same ticket are theirs to download.
    with session_scope(engine) as session:
        for attachment_id in (world.bob_ticket_file, world.public_reply_file):
            assert get_attachment(session=session, actor=world.bob, attachment_id=attachment_id).content == PNG


@pytest.mark.parametrize("staff", ["agent", "admin"])
def test_staff_can_read_any_ticket_including_internal_notes(engine, world, staff):
    actor = getattr(world, staff)
    with session_scope(engine) as session:
        for ticket_id in (world.alice_ticket, world.bob_ticket):
            assert tickets_customer.get_ticket(session=session, actor=actor, ticket_id=ticket_id).id == ticket_id
        conversation = tickets_customer.get_conversation(session=session, actor=actor, ticket_id=world.bob_ticket)
        history = tickets_customer.get_history(session=session, actor=actor, ticket_id=world.bob_ticket)
        note_file = get_attachment(session=session, actor=actor, attachment_id=world.internal_note_file)
    assert [m.body for m in conversation] == ["We are looking into it.", SECRET]
    assert EventKind.INTERNAL_NOTE in [e.kind for e in history]
    assert note_file.content == PNG and note_file.filename == "fraud-report.png"


@pytest.mark.parametrize("staff", ["agent", "admin"])
def test_staff_cannot_reply_as_the_customer(engine, world, staff):
    before = snapshot(engine, world.bob_ticket)
    with pytest.raises(PermissionDenied) as refused:
        with session_scope(engine) as session:
            TICKET_ACTIONS["add_customer_reply"](session, getattr(world, staff), world.bob_ticket)
    assert type(refused.value) is PermissionDenied
    assert str(refused.value) == "Only the customer who raised this ticket can do that."
    assert snapshot(engine, world.bob_ticket) == before


def test_my_tickets_never_lists_another_customers_ticket(engine, world):
    with session_scope(engine) as session:
        bob_reference = session.get(Ticket, world.bob_ticket).reference
    with session_scope(engine) as session:
        for search in ("", "Bob", "private matter", bob_reference, str(world.bob_ticket), f"#{world.bob_ticket}"):
            for status in (None, TicketStatus.RESOLVED):
                page = tickets_customer.list_customer_tickets(session=session, actor=world.alice, search=search,
                                                     status=status)
                assert world.bob_ticket not in [t.id for t in page.rows], (search, status)
                assert all(t.customer_id == world.alice.id for t in page.rows)
                assert page.total == len(page.rows)


def test_signed_out_or_deactivated_customer_sees_nothing_even_their_own(engine, world):
    with session_scope(engine) as session:
        session.get(User, world.bob.id).is_active = False
    with session_scope(engine) as session:
        bob_now = session.get(User, world.bob.id)
    before = snapshot(engine, world.bob_ticket)
    calls = {name: (lambda s, actor, action=action: action(s, actor, world.bob_ticket))
             for name, action in TICKET_ACTIONS.items()}
    calls["get_attachment"] = lambda s, actor: get_attachment(session=s, actor=actor,
                                                              attachment_id=world.bob_ticket_file)
    calls["list_customer_tickets"] = lambda s, actor: tickets_customer.list_customer_tickets(session=s, actor=actor)
    for actor in (None, bob_now):
        for name, call in calls.items():
            with pytest.raises(PermissionDenied) as refused:
                with session_scope(engine) as session:
                    call(session, actor)
            assert (type(refused.value), str(refused.value)) == (PermissionDenied, "Sign in first."), name
    assert snapshot(engine, world.bob_ticket) == before


@pytest.mark.parametrize("ticket_id", [0, -1, 2**31, 2**63, 10**30])
def test_staff_actions_answer_impossible_ids_with_not_found(engine, ticket_id):
    """Ids from a URL or form that no row can have are NotFound, not a database error."""
    from helpdesk.tickets import assignment, queue, staff as tickets_staff

    agent = add_user(engine, email="alex@support.example.com", role=Role.AGENT)
    calls = [
        lambda s: tickets_staff.add_agent_reply(session=s, actor=agent, ticket_id=ticket_id, body="Hi"),
        lambda s: tickets_staff.change_status(session=s, actor=agent, ticket_id=ticket_id, status="open"),
        lambda s: tickets_staff.customer_ticket_history(session=s, actor=agent, ticket_id=ticket_id),
        lambda s: assignment.claim_ticket(session=s, actor=agent, ticket_id=ticket_id),
    ]
    for call in calls:
        with pytest.raises(NotFound) as missing, session_scope(engine) as session:
            call(session)
        assert str(missing.value) == "No such ticket."
    with session_scope(engine) as session:
        assert queue.find_by_reference(session=session, actor=agent, text=f"CCR-{ticket_id}") is None
