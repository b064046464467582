"""Tickets from the customer's side: raise, list, read, reply, close, reopen; the workflow,
timestamps and SLA due dates. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError, PermissionDenied, ValidationError
from helpdesk.enums import EventKind, Priority, TicketStatus
from helpdesk.models import Attachment, Category, Ticket, TicketEvent, TicketMessage, format_reference, parse_reference
from helpdesk.tickets import categories, customer as tickets_customer, lifecycle
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.customer import TicketDraft
from tests.factories import DEFAULT_DESCRIPTION, DEFAULT_SUBJECT, add_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def draft(desk, **overrides) -> TicketDraft:
    """A valid draft in Billing with `overrides` on top, for what raise_ticket can't express:
    no category at all, and the form's submission key."""
    values = dict(category_id=desk.category.id, priority=Priority.NORMAL, subject=DEFAULT_SUBJECT,
                  description=DEFAULT_DESCRIPTION)
    values.update(overrides)
    return TicketDraft(**values)


def counts(engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Ticket, TicketMessage, Attachment, TicketEvent)}


def set_status(engine, ticket_id, *statuses, actor=None) -> None:
    """Move a ticket as an agent would (the staff services come later; the workflow helper is here)."""
    with session_scope(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        for status in statuses:
            lifecycle.transition(session, ticket, actor, status)
        session.flush()


# --- raising a ticket -------------------------------------------------------------------

def test_customer_raises_a_ticket(desk):
    ticket_id = desk.raise_ticket(priority="high", subject="  Card declined  ",
                                  attachments=[UploadedFile("screenshot.png", PNG)])
    stored = desk.ticket(ticket_id)
    assert stored.status == TicketStatus.NEW
    assert stored.priority == Priority.HIGH
    assert stored.subject == "Card declined"
    assert stored.customer_id == desk.customer.id
    assert stored.category.name == "Billing"
    assert stored.reference == format_reference(ticket_id)
    files = desk.act(desk.customer, tickets_customer.get_ticket_attachments, ticket_id=ticket_id)
    events = desk.act(desk.customer, tickets_customer.get_history, ticket_id=ticket_id)
    assert [f.filename for f in files] == ["screenshot.png"]
    assert [(e.kind, e.new_value) for e in events] == [(EventKind.CREATED, "new")]


def test_reference_format_and_parsing():
    assert format_reference(42) == "CCR-000042"
    assert format_reference(1_234_567) == "CCR-1234567"
    for text in ("CCR-000042", "ccr-42", " CCR-000042 ", "#42", "42"):
        assert parse_reference(text) == 42, text
    for text in ("", "CCR-", "CCR-abc", "hello", "4 2", "-42", "CCR-0000000000042"):
        assert parse_reference(text) is None, text


def test_reference_comes_back_through_parse_reference(desk):
    ticket_id = desk.raise_ticket()
    reference = desk.ticket(ticket_id).reference
    assert reference.startswith("CCR-") and len(reference) == len("CCR-000042")
    found = desk.act(desk.customer, tickets_customer.get_ticket, ticket_id=parse_reference(reference))
    assert found.id == ticket_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(category_id=None), "category"),
        (dict(category_id=999_999), "category"),
        (dict(priority="critical"), "priority"),
        (dict(priority=None), "priority"),
        (dict(subject=""), "subject"),
        (dict(subject="   \n "), "subject"),
        (dict(subject="x" * 201), "subject"),
        (dict(description=""), "description"),
        (dict(description="y" * 20_001), "description"),
        (dict(attachments=[UploadedFile("virus.exe", b"MZ\x90\x00")]), "attachments"),
    ],
    ids=["category-missing", "category-unknown", "priority-unknown", "priority-missing", "subject-empty",
         "subject-blank", "subject-too-long", "description-empty", "description-too-long", "attachment-type"],
)
def test_invalid_ticket_is_refused_at_the_field_and_nothing_is_written(desk, overrides, field):
    before = counts(desk.engine)
    with pytest.raises(ValidationError) as excinfo:
        desk.act(desk.customer, tickets_customer.create_ticket, data=draft(desk, **overrides))
    assert field in excinfo.value.field_errors
    assert excinfo.value.field_errors[field].strip()
    assert counts(desk.engine) == before


def test_inactive_category_is_refused(desk):
    with session_scope(desk.engine) as session:
        retired = Category(name="Retired", description="", is_active=False)
        session.add(retired)
        session.flush()
    with pytest.raises(ValidationError) as excinfo:
        desk.raise_ticket(category=retired)
    assert "category" in excinfo.value.field_errors
    with session_scope(desk.engine) as session:
        assert "Retired" not in [c.name for c in categories.list_categories(session=session)]
    assert counts(desk.engine)["Ticket"] == 0


def test_limits_are_inclusive(desk):
    ticket_id = desk.raise_ticket(subject="s" * 200, description="d" * 20_000)
    stored = desk.ticket(ticket_id)
    assert len(stored.subject) == 200 and len(stored.description) == 20_000


def test_all_bad_fields_are_reported_together(desk):
    with pytest.raises(ValidationError) as excinfo:
        desk.act(desk.customer, tickets_customer.create_ticket,
                 data=draft(desk, category_id=None, priority="x", subject="", description=""))
    assert {"category", "priority", "subject", "description"} <= set(excinfo.value.field_errors)


def test_only_customers_raise_tickets(desk):
    with pytest.raises(PermissionDenied):
        desk.raise_ticket(customer=desk.agent)
    assert counts(desk.engine)["Ticket"] == 0


def test_same_submission_key_twice_creates_one_ticket(desk):
    def submit(key):
        return desk.act(desk.customer, tickets_customer.create_ticket, data=draft(desk, submission_key=key))

    first = submit("form-1234")
    second = submit("form-1234")
    assert second.id == first.id
    assert counts(desk.engine)["Ticket"] == 1
    third = submit("form-5678")
    assert third.id != first.id
    assert counts(desk.engine)["Ticket"] == 2


def test_timestamps_are_timezone_aware_utc_after_a_round_trip(desk):
    before = utcnow()
    ticket_id = desk.raise_ticket()
    set_status(desk.engine, ticket_id, TicketStatus.RESOLVED)
    stored = desk.ticket(ticket_id)
    for name in ("created_at", "updated_at", "resolved_at", "first_response_due_at", "resolution_due_at"):
        value = getattr(stored, name)
        assert value.utcoffset() == timedelta(0), name
    assert before - timedelta(seconds=1) <= stored.created_at <= utcnow() + timedelta(seconds=1)
    events = desk.act(desk.customer, tickets_customer.get_history, ticket_id=ticket_id)
    assert all(e.created_at.utcoffset() == timedelta(0) for e in events)


@pytest.mark.parametrize(("priority", "first_hours", "resolution_hours"),
                         [("urgent", 1, 8), ("high", 4, 24), ("normal", 8, 72), ("low", 24, 120)])
def test_sla_due_dates_come_from_the_default_policy(desk, priority, first_hours, resolution_hours):
    ticket_id = desk.raise_ticket(priority=priority)
    stored = desk.ticket(ticket_id)
    assert stored.first_response_due_at - stored.created_at == timedelta(hours=first_hours)
    assert stored.resolution_due_at - stored.created_at == timedelta(hours=resolution_hours)


# --- My tickets -------------------------------------------------------------------------

def test_my_tickets_lists_only_own_tickets_newest_first(desk):
    other = add_user(desk.engine, email="other@example.com")
    mine = [desk.raise_ticket(subject=f"Mine {i}") for i in range(3)]
    desk.raise_ticket(customer=other, subject="Not mine")
    page = desk.act(desk.customer, tickets_customer.list_customer_tickets)
    assert page.total == 3
    assert [t.id for t in page.rows] == list(reversed(mine))
    assert [t.subject for t in desk.act(other, tickets_customer.list_customer_tickets).rows] == ["Not mine"]


def test_my_tickets_filters_by_status(desk):
    waiting = desk.raise_ticket(subject="Waiting one")
    desk.raise_ticket(subject="New one")
    set_status(desk.engine, waiting, TicketStatus.WAITING_ON_CUSTOMER)
    page = desk.act(desk.customer, tickets_customer.list_customer_tickets, status=TicketStatus.WAITING_ON_CUSTOMER)
    closed = desk.act(desk.customer, tickets_customer.list_customer_tickets, status=TicketStatus.CLOSED)
    assert [t.subject for t in page.rows] == ["Waiting one"] and page.total == 1
    assert closed.rows == [] and closed.total == 0


def test_my_tickets_search_is_case_insensitive_and_treats_wildcards_literally(desk):
    for subject in ("Refund for order 100%", "Refund for order 1000", "VPN_login fails", "VPN login fails",
                    "Printer jam"):
        desk.raise_ticket(subject=subject)

    def search(text):
        page = desk.act(desk.customer, tickets_customer.list_customer_tickets, search=text)
        assert page.total == len(page.rows)
        return sorted(t.subject for t in page.rows)

    assert search("refund") == ["Refund for order 100%", "Refund for order 1000"]
    assert search("PRINTER") == ["Printer jam"]
    assert search("100%") == ["Refund for order 100%"]
    assert search("%") == ["Refund for order 100%"]
    assert search("vpn_") == ["VPN_login fails"]
    assert search("_") == ["VPN_login fails"]
    assert search("nothing like this") == []
    assert len(search("   ")) == 5


def test_my_tickets_pages_with_a_total(desk):
    created = [desk.raise_ticket(subject=f"Ticket {i}") for i in range(7)]
    newest_first = list(reversed(created))
    seen = []
    for offset in (0, 3, 6):
        page = desk.act(desk.customer, tickets_customer.list_customer_tickets, limit=3, offset=offset)
        assert page.total == 7
        seen += [t.id for t in page.rows]
    beyond = desk.act(desk.customer, tickets_customer.list_customer_tickets, limit=3, offset=9)
    assert seen == newest_first
    assert beyond.rows == [] and beyond.total == 7


# --- conversation, replies and the workflow ---------------------------------------------

def reply(desk, ticket_id, body="Here is more detail.", **kwargs):
    """Carla answers on her ticket."""
    return desk.act(desk.customer, tickets_customer.add_customer_reply, ticket_id=ticket_id, body=body, **kwargs)


def history(desk, person, ticket_id):
    """The ticket's history as `person` may read it: (kind, old value, new value), oldest first."""
    return [(e.kind, e.old_value, e.new_value)
            for e in desk.act(person, tickets_customer.get_history, ticket_id=ticket_id)]


def test_reply_appears_in_the_conversation_oldest_first(desk):
    ticket_id = desk.raise_ticket()
    reply(desk, ticket_id, "First follow-up")
    reply(desk, ticket_id, "Second follow-up",
          attachments=[UploadedFile("log.txt", b"error 42\n")])
    messages = desk.act(desk.customer, tickets_customer.get_conversation, ticket_id=ticket_id)
    assert [m.body for m in messages] == ["First follow-up", "Second follow-up"]
    assert all(m.is_public and m.author_id == desk.customer.id for m in messages)
    assert [a.filename for a in messages[1].attachments] == ["log.txt"]
    assert desk.ticket(ticket_id).status == TicketStatus.NEW  # a reply alone doesn't move a new ticket


def test_empty_or_oversized_reply_is_refused_and_nothing_written(desk):
    ticket_id = desk.raise_ticket()
    before = counts(desk.engine)
    for body in ("", "   ", "z" * 20_001):
        with pytest.raises(ValidationError) as excinfo:
            reply(desk, ticket_id, body)
        assert "body" in excinfo.value.field_errors
    with pytest.raises(ValidationError) as excinfo:
        reply(desk, ticket_id, "ok", attachments=[UploadedFile("page.html", b"<html></html>")])
    assert "attachments" in excinfo.value.field_errors
    assert counts(desk.engine) == before


def test_customer_reply_moves_waiting_on_customer_back_to_open(desk):
    ticket_id = desk.raise_ticket()
    set_status(desk.engine, ticket_id, TicketStatus.WAITING_ON_CUSTOMER, actor=desk.agent)
    due_while_waiting = desk.ticket(ticket_id).resolution_due_at
    with session_scope(desk.engine) as session:  # the customer took two hours to answer
        session.get(Ticket, ticket_id).waiting_since = utcnow() - timedelta(hours=2)
    reply(desk, ticket_id, "Here is the invoice number.")
    stored = desk.ticket(ticket_id)
    assert stored.status == TicketStatus.OPEN
    assert stored.waiting_since is None
    # Time spent waiting on the customer doesn't count against the resolution target.
    assert timedelta(hours=2) <= stored.resolution_due_at - due_while_waiting < timedelta(hours=2, minutes=1)
    assert history(desk, desk.customer, ticket_id)[-1] == (EventKind.STATUS_CHANGED, "waiting_on_customer", "open")


def test_customer_reply_reopens_a_resolved_ticket(desk):
    ticket_id = desk.raise_ticket()
    set_status(desk.engine, ticket_id, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, actor=desk.agent)
    assert desk.ticket(ticket_id).resolved_at is not None
    reply(desk, ticket_id, "It happened again.")
    stored = desk.ticket(ticket_id)
    assert stored.status == TicketStatus.OPEN
    assert stored.resolved_at is None
    assert history(desk, desk.customer, ticket_id)[-1] == (EventKind.STATUS_CHANGED, "resolved", "open")


def test_customer_closes_a_ticket(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.customer, tickets_customer.close_ticket, ticket_id=ticket_id)
    stored = desk.ticket(ticket_id)
    assert stored.status == TicketStatus.CLOSED
    assert stored.closed_at is not None and stored.closed_at.utcoffset() == timedelta(0)
    assert history(desk, desk.customer, ticket_id)[-1] == (EventKind.STATUS_CHANGED, "new", "closed")


def test_closed_ticket_refuses_replies_and_reopening(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.customer, tickets_customer.close_ticket, ticket_id=ticket_id)
    before = counts(desk.engine)
    with pytest.raises(ValidationError) as excinfo:
        reply(desk, ticket_id, "One more thing")
    assert "new ticket" in excinfo.value.field_errors["body"]
    with pytest.raises(ValidationError):
        desk.act(desk.customer, tickets_customer.reopen_ticket, ticket_id=ticket_id)
    assert counts(desk.engine) == before
    assert desk.ticket(ticket_id).status == TicketStatus.CLOSED


def test_reopen_works_only_from_resolved(desk):
    ticket_id = desk.raise_ticket()
    for status in (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER):
        if status != TicketStatus.NEW:
            set_status(desk.engine, ticket_id, status, actor=desk.agent)
        with pytest.raises(ValidationError) as excinfo:
            desk.act(desk.customer, tickets_customer.reopen_ticket, ticket_id=ticket_id)
        assert "resolved" in excinfo.value.field_errors["status"]
        assert desk.ticket(ticket_id).status == status

    set_status(desk.engine, ticket_id, TicketStatus.RESOLVED, actor=desk.agent)
    desk.act(desk.customer, tickets_customer.reopen_ticket, ticket_id=ticket_id)
    stored = desk.ticket(ticket_id)
    assert stored.status == TicketStatus.OPEN and stored.resolved_at is None


@pytest.mark.parametrize(("path", "refused"), [
    ((TicketStatus.CLOSED,), TicketStatus.OPEN),
    ((TicketStatus.CLOSED,), TicketStatus.RESOLVED),
    ((TicketStatus.RESOLVED,), TicketStatus.IN_PROGRESS),
    ((TicketStatus.RESOLVED,), TicketStatus.WAITING_ON_CUSTOMER),
    ((TicketStatus.OPEN,), TicketStatus.NEW),
])
def test_refused_transitions_raise_validation_error_and_change_nothing(desk, path, refused):
    ticket_id = desk.raise_ticket()
    set_status(desk.engine, ticket_id, *path, actor=desk.agent)
    events_before = counts(desk.engine)["TicketEvent"]
    with pytest.raises(ValidationError) as excinfo:
        set_status(desk.engine, ticket_id, refused, actor=desk.agent)
    assert "status" in excinfo.value.field_errors
    assert desk.ticket(ticket_id).status == path[-1]
    assert counts(desk.engine)["TicketEvent"] == events_before


def test_stale_version_is_refused_with_a_conflict(desk):
    ticket_id = desk.raise_ticket()
    seen_version = desk.ticket(ticket_id).version
    set_status(desk.engine, ticket_id, TicketStatus.RESOLVED, actor=desk.agent)  # changed meanwhile
    with pytest.raises(ConflictError):
        desk.act(desk.customer, tickets_customer.close_ticket, ticket_id=ticket_id, expected_version=seen_version)
    assert desk.ticket(ticket_id).status == TicketStatus.RESOLVED
    desk.act(desk.customer, tickets_customer.close_ticket, ticket_id=ticket_id,
             expected_version=desk.ticket(ticket_id).version)
    assert desk.ticket(ticket_id).status == TicketStatus.CLOSED


def test_customer_history_shows_creation_and_status_changes(desk):
    ticket_id = desk.raise_ticket()
    set_status(desk.engine, ticket_id, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, actor=desk.agent)
    reply(desk, ticket_id)
    assert history(desk, desk.customer, ticket_id) == [
        (EventKind.CREATED, None, "new"),
        (EventKind.STATUS_CHANGED, "new", "in_progress"),
        (EventKind.STATUS_CHANGED, "in_progress", "resolved"),
        (EventKind.STATUS_CHANGED, "resolved", "open"),
    ]
    # Staff see the full audit trail, replies included.
    assert (EventKind.PUBLIC_REPLY, None, None) in history(desk, desk.agent, ticket_id)
