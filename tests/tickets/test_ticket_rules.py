"""The ticket kernel rule by rule, the way a person meets it: the reply limit at exactly the limit
and one over, the words of each refusal, a stale form refused on every customer action, who the
history says did what, the thread and the history in time order (not insertion order), My
tickets paging by default 25 and finding a ticket by its plain number. Both backends."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import EventKind, Priority, TicketStatus
from helpdesk.models import Attachment, Ticket, TicketEvent, TicketMessage
from helpdesk.tickets import customer, staff
from helpdesk.tickets.attachments import UploadedFile


def resolve(desk, ticket_id):
    """The agent marks the ticket resolved, the one way a customer can then reopen it."""
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)


def field_error(excinfo) -> dict[str, str]:
    return excinfo.value.field_errors


# --- replies ---------------------------------------------------------------------------------

def test_a_reply_of_exactly_20000_characters_is_kept_and_one_more_is_refused_at_the_field(desk):
    ticket_id = desk.raise_ticket()
    message = desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="a" * 20_000)
    assert len(message.body) == 20_000
    with pytest.raises(ValidationError) as refused:
        desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="a" * 20_001)
    assert field_error(refused) == {"body": "Use at most 20,000 characters (now 20,001)."}


def test_a_reply_to_a_closed_ticket_is_refused_with_words_that_say_what_to_do(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.customer, customer.close_ticket, ticket_id=ticket_id)
    with pytest.raises(ValidationError) as refused:
        desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="One more thing")
    assert field_error(refused) == {"body": "This ticket is closed. Raise a new ticket if you need more help."}


def test_a_customer_reply_from_a_stale_page_is_refused_and_a_fresh_one_is_kept(desk):
    ticket_id = desk.raise_ticket()
    seen = desk.ticket(ticket_id).version
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.IN_PROGRESS)
    with pytest.raises(ConflictError) as conflict:
        desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Any news?",
                 expected_version=seen)
    assert str(conflict.value) == ("This ticket changed since you opened it. The latest version is shown below; "
                                   "nothing was saved.")
    fresh = desk.ticket(ticket_id).version
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Any news?", expected_version=fresh)
    bodies = [m.body for m in desk.act(desk.customer, customer.get_conversation, ticket_id=ticket_id)]
    assert bodies == ["Any news?"]


def test_a_reply_is_stamped_with_the_moment_the_ticket_was_last_updated(desk):
    """The thread's time and the ticket's "last updated" are the same moment, to the
    microsecond, for a customer's reply and for an agent's note."""
    ticket_id = desk.raise_ticket()
    customer_message = desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="More detail")
    assert customer_message.created_at == desk.ticket(ticket_id).updated_at
    agent_message = desk.act(desk.agent, staff.add_internal_note, ticket_id=ticket_id, body="Checking billing")
    assert agent_message.created_at == desk.ticket(ticket_id).updated_at


# --- close and reopen ------------------------------------------------------------------------

def test_an_agent_may_close_a_customers_ticket_through_the_same_service(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, customer.close_ticket, ticket_id=ticket_id)
    assert desk.ticket(ticket_id).status == TicketStatus.CLOSED
    with session_scope(desk.engine) as session:
        event = session.query(TicketEvent).filter_by(ticket_id=ticket_id, kind=EventKind.STATUS_CHANGED).one()
        assert (event.actor_id, event.old_value, event.new_value) == (desk.agent.id, "new", "closed")


def test_reopening_anything_but_a_resolved_ticket_is_refused_in_words(desk):
    ticket_id = desk.raise_ticket()
    with pytest.raises(ValidationError) as refused:
        desk.act(desk.customer, customer.reopen_ticket, ticket_id=ticket_id)
    assert field_error(refused) == {"status": "Only a resolved ticket can be reopened."}


def test_reopening_from_a_stale_page_is_refused(desk):
    ticket_id = desk.raise_ticket()
    resolve(desk, ticket_id)
    seen = desk.ticket(ticket_id).version
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.HIGH)
    with pytest.raises(ConflictError):
        desk.act(desk.customer, customer.reopen_ticket, ticket_id=ticket_id, expected_version=seen)
    assert desk.ticket(ticket_id).status == TicketStatus.RESOLVED


def test_the_history_says_the_customer_reopened_it(desk):
    ticket_id = desk.raise_ticket()
    resolve(desk, ticket_id)
    desk.act(desk.customer, customer.reopen_ticket, ticket_id=ticket_id)
    events = desk.act(desk.customer, customer.get_history, ticket_id=ticket_id)
    assert [(e.actor_id, e.old_value, e.new_value) for e in events] == [
        (desk.customer.id, None, "new"),
        (desk.agent.id, "new", "resolved"),
        (desk.customer.id, "resolved", "open"),
    ]


# --- time order ------------------------------------------------------------------------------

def test_the_thread_and_the_history_are_oldest_first_by_time_not_by_insertion(desk):
    """A message stored later but dated earlier (an imported mail, a clock fixed afterwards)
    still shows in its place in time."""
    ticket_id = desk.raise_ticket()
    for body in ("First stored", "Second stored"):
        desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body=body)
    with session_scope(desk.engine) as session:
        second = session.query(TicketMessage).filter_by(body="Second stored").one()
        second.created_at = datetime(2020, 1, 1, 9, tzinfo=UTC)
        created = session.query(TicketEvent).filter_by(ticket_id=ticket_id, kind=EventKind.CREATED).one()
        created.created_at = datetime(2100, 1, 1, 9, tzinfo=UTC)
    bodies = [m.body for m in desk.act(desk.customer, customer.get_conversation, ticket_id=ticket_id)]
    assert bodies == ["Second stored", "First stored"]
    kinds = [e.kind for e in desk.act(desk.agent, customer.get_history, ticket_id=ticket_id)]
    assert kinds == [EventKind.PUBLIC_REPLY, EventKind.PUBLIC_REPLY, EventKind.CREATED]


def rewrite_rows(desk, table, ids):
    """Rewrite rows (same values) one by one in this order: PostgreSQL then stores the
    new row versions in this order, so a query without a full ORDER BY returns them so."""
    for row_id in ids:
        with session_scope(desk.engine) as session:
            session.execute(text(f"UPDATE {table} SET created_at = created_at WHERE id = :id"), {"id": row_id})


def test_things_stored_in_the_same_instant_keep_the_order_they_were_stored_in(desk):
    """Two replies, two status changes and two files stamped with the same instant show in
    the order they were written, however the database happens to keep the rows."""
    same_instant = datetime(2026, 11, 23, 9, tzinfo=UTC)
    ticket_id = desk.raise_ticket(description="See the files.", attachments=[
        UploadedFile("first.txt", b"one\n"), UploadedFile("second.txt", b"two\n")])
    for body in ("Reply one", "Reply two"):
        desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body=body)
    for status in (TicketStatus.IN_PROGRESS, TicketStatus.OPEN):
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=status)
    with session_scope(desk.engine) as session:
        messages = [m.id for m in
                    session.query(TicketMessage).filter_by(ticket_id=ticket_id).order_by(TicketMessage.id)]
        events = [e.id for e in session.query(TicketEvent).filter_by(ticket_id=ticket_id).order_by(TicketEvent.id)]
        for model, ids in ((TicketMessage, messages), (TicketEvent, events)):
            for row in session.query(model).filter(model.id.in_(ids)):
                row.created_at = same_instant
    rewrite_rows(desk, "ticket_messages", reversed(messages))
    rewrite_rows(desk, "ticket_events", reversed(events))
    with session_scope(desk.engine) as session:
        files = [a.id for a in session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id))]
    rewrite_rows(desk, "attachments", reversed(sorted(files)))
    bodies = [m.body for m in desk.act(desk.customer, customer.get_conversation, ticket_id=ticket_id)]
    assert bodies == ["Reply one", "Reply two"]
    changes = [(e.old_value, e.new_value) for e in desk.act(desk.customer, customer.get_history, ticket_id=ticket_id)]
    assert changes == [(None, "new"), ("new", "in_progress"), ("in_progress", "open")]
    names = [a.filename for a in desk.act(desk.customer, customer.get_ticket_attachments, ticket_id=ticket_id)]
    assert names == ["first.txt", "second.txt"]


# --- My tickets ------------------------------------------------------------------------------

def test_my_tickets_shows_25_a_page_by_default(desk):
    ids = [desk.raise_ticket(subject=f"Question {n}") for n in range(26)]
    page = desk.act(desk.customer, customer.list_customer_tickets)
    assert page.total == 26
    assert len(page.rows) == 25
    assert [t.id for t in page.rows] == list(reversed(ids))[:25]  # the oldest is on page two


def test_my_tickets_finds_a_ticket_by_its_plain_number_or_by_digits_in_the_subject(desk):
    printer = desk.raise_ticket(subject="Printer jam")
    desk.raise_ticket(subject="Login fails")
    with_digits = desk.raise_ticket(subject=f"Error {printer} on checkout")
    found = desk.act(desk.customer, customer.list_customer_tickets, search=str(printer))
    assert sorted(t.id for t in found.rows) == sorted([printer, with_digits]) and found.total == 2


def test_my_tickets_is_newest_first_by_when_it_was_raised(desk):
    first, second, third = (desk.raise_ticket(subject=s) for s in ("Alpha", "Bravo", "Charlie"))
    with session_scope(desk.engine) as session:  # Bravo was raised last (a ticket imported late)
        session.get(Ticket, second).created_at = datetime(2100, 1, 1, 9, tzinfo=UTC)
    page = desk.act(desk.customer, customer.list_customer_tickets)
    assert [t.subject for t in page.rows] == ["Bravo", "Charlie", "Alpha"]


def test_my_tickets_raised_in_the_same_instant_show_the_later_one_first(desk):
    ids = [desk.raise_ticket(subject=s) for s in ("Alpha", "Bravo", "Charlie")]
    with session_scope(desk.engine) as session:
        for ticket_id in ids:
            session.get(Ticket, ticket_id).created_at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    page = desk.act(desk.customer, customer.list_customer_tickets)
    assert [t.subject for t in page.rows] == ["Charlie", "Bravo", "Alpha"]
    second_page = desk.act(desk.customer, customer.list_customer_tickets, limit=2, offset=2)
    assert [t.subject for t in second_page.rows] == ["Alpha"]
