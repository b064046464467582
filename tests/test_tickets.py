"""Tickets from the customer's side: raise, list, read, reply, close, reopen; the workflow,
timestamps and SLA due dates. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError, PermissionDenied, ValidationError
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Attachment, Category, Ticket, TicketEvent, TicketMessage, format_reference, parse_reference
from helpdesk.tickets import categories, customer as tickets_customer, lifecycle
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.customer import TicketDraft
from tests.factories import add_category, add_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def draft(**overrides) -> TicketDraft:
    values = dict(category_id=None, priority=Priority.NORMAL, subject="Invoice shows the wrong amount",
                  description="My March invoice charges me twice for the same plan.")
    values.update(overrides)
    return TicketDraft(**values)


def raise_ticket(engine, customer, category, **overrides) -> Ticket:
    with session_scope(engine) as session:
        overrides.setdefault("category_id", category.id)
        return tickets_customer.create_ticket(session=session, actor=customer, data=draft(**overrides))


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


def load(engine, ticket_id) -> Ticket:
    with session_scope(engine) as session:
        return session.get(Ticket, ticket_id)


@pytest.fixture
def people(engine):
    customer = add_user(engine, email="cara@example.com")
    agent = add_user(engine, email="agent@example.com", role=Role.AGENT)
    category = add_category(engine, "Billing")
    return customer, agent, category


# --- raising a ticket -------------------------------------------------------------------

def test_customer_raises_a_ticket(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category, priority="high", subject="  Card declined  ",
                          attachments=[UploadedFile("screenshot.png", PNG)])
    stored = load(engine, ticket.id)
    assert stored.status == TicketStatus.NEW
    assert stored.priority == Priority.HIGH
    assert stored.subject == "Card declined"
    assert stored.customer_id == customer.id
    assert stored.category.name == "Billing"
    assert stored.reference == format_reference(ticket.id)
    with session_scope(engine) as session:
        files = tickets_customer.get_ticket_attachments(session=session, actor=customer, ticket_id=ticket.id)
        history = tickets_customer.get_history(session=session, actor=customer, ticket_id=ticket.id)
    assert [f.filename for f in files] == ["screenshot.png"]
    assert [(e.kind, e.new_value) for e in history] == [(EventKind.CREATED, "new")]


def test_reference_format_and_parsing():
    assert format_reference(42) == "CCR-000042"
    assert format_reference(1_234_567) == "CCR-1234567"
    for text in ("CCR-000042", "ccr-42", " CCR-000042 ", "#42", "42"):
        assert parse_reference(text) == 42, text
    for text in ("", "CCR-", "CCR-abc", "hello", "4 2", "-42", "CCR-0000000000042"):
        assert parse_reference(text) is None, text


def test_reference_comes_back_through_parse_reference(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category)
    assert ticket.reference.startswith("CCR-") and len(ticket.reference) == len("CCR-000042")
    with session_scope(engine) as session:
        found = tickets_customer.get_ticket(session=session, actor=customer, ticket_id=parse_reference(ticket.reference))
    assert found.id == ticket.id


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
def test_invalid_ticket_is_refused_at_the_field_and_nothing_is_written(engine, people, overrides, field):
    customer, _, category = people
    before = counts(engine)
    with pytest.raises(ValidationError) as excinfo:
        raise_ticket(engine, customer, category, **overrides)
    assert field in excinfo.value.field_errors
    assert excinfo.value.field_errors[field].strip()
    assert counts(engine) == before


def test_inactive_category_is_refused(engine, people):
    customer, _, _ = people
    with session_scope(engine) as session:
        retired = Category(name="Retired", description="", is_active=False)
        session.add(retired)
        session.flush()
    with pytest.raises(ValidationError) as excinfo:
        raise_ticket(engine, customer, retired)
    assert "category" in excinfo.value.field_errors
    with session_scope(engine) as session:
        assert "Retired" not in [c.name for c in categories.list_categories(session=session)]
    assert counts(engine)["Ticket"] == 0


def test_limits_are_inclusive(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category, subject="s" * 200, description="d" * 20_000)
    stored = load(engine, ticket.id)
    assert len(stored.subject) == 200 and len(stored.description) == 20_000


def test_all_bad_fields_are_reported_together(engine, people):
    customer, _, category = people
    with pytest.raises(ValidationError) as excinfo:
        raise_ticket(engine, customer, category, category_id=None, priority="x", subject="", description="")
    assert {"category", "priority", "subject", "description"} <= set(excinfo.value.field_errors)


def test_only_customers_raise_tickets(engine, people):
    _, agent, category = people
    with pytest.raises(PermissionDenied):
        raise_ticket(engine, agent, category)
    assert counts(engine)["Ticket"] == 0


def test_same_submission_key_twice_creates_one_ticket(engine, people):
    customer, _, category = people
    first = raise_ticket(engine, customer, category, submission_key="form-1234")
    second = raise_ticket(engine, customer, category, submission_key="form-1234")
    assert second.id == first.id
    assert counts(engine)["Ticket"] == 1
    third = raise_ticket(engine, customer, category, submission_key="form-5678")
    assert third.id != first.id
    assert counts(engine)["Ticket"] == 2


def test_timestamps_are_timezone_aware_utc_after_a_round_trip(engine, people):
    customer, _, category = people
    before = utcnow()
    ticket = raise_ticket(engine, customer, category)
    set_status(engine, ticket.id, TicketStatus.RESOLVED)
    stored = load(engine, ticket.id)
    for name in ("created_at", "updated_at", "resolved_at", "first_response_due_at", "resolution_due_at"):
        value = getattr(stored, name)
        assert value.utcoffset() == timedelta(0), name
    assert before - timedelta(seconds=1) <= stored.created_at <= utcnow() + timedelta(seconds=1)
    with session_scope(engine) as session:
        events = tickets_customer.get_history(session=session, actor=customer, ticket_id=ticket.id)
    assert all(e.created_at.utcoffset() == timedelta(0) for e in events)


@pytest.mark.parametrize(("priority", "first_hours", "resolution_hours"),
                         [("urgent", 1, 8), ("high", 4, 24), ("normal", 8, 72), ("low", 24, 120)])
def test_sla_due_dates_come_from_the_default_policy(engine, people, priority, first_hours, resolution_hours):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category, priority=priority)
    stored = load(engine, ticket.id)
    assert stored.first_response_due_at - stored.created_at == timedelta(hours=first_hours)
    assert stored.resolution_due_at - stored.created_at == timedelta(hours=resolution_hours)


# --- My tickets -------------------------------------------------------------------------

def test_my_tickets_lists_only_own_tickets_newest_first(engine, people):
    customer, _, category = people
    other = add_user(engine, email="other@example.com")
    mine = [raise_ticket(engine, customer, category, subject=f"Mine {i}") for i in range(3)]
    raise_ticket(engine, other, category, subject="Not mine")
    with session_scope(engine) as session:
        page = tickets_customer.list_customer_tickets(session=session, actor=customer)
    assert page.total == 3
    assert [t.id for t in page.rows] == [t.id for t in reversed(mine)]
    with session_scope(engine) as session:
        assert [t.subject for t in tickets_customer.list_customer_tickets(session=session, actor=other).rows] == ["Not mine"]


def test_my_tickets_filters_by_status(engine, people):
    customer, _, category = people
    waiting = raise_ticket(engine, customer, category, subject="Waiting one")
    raise_ticket(engine, customer, category, subject="New one")
    set_status(engine, waiting.id, TicketStatus.WAITING_ON_CUSTOMER)
    with session_scope(engine) as session:
        page = tickets_customer.list_customer_tickets(session=session, actor=customer,
                                             status=TicketStatus.WAITING_ON_CUSTOMER)
        closed = tickets_customer.list_customer_tickets(session=session, actor=customer, status=TicketStatus.CLOSED)
    assert [t.subject for t in page.rows] == ["Waiting one"] and page.total == 1
    assert closed.rows == [] and closed.total == 0


def test_my_tickets_search_is_case_insensitive_and_treats_wildcards_literally(engine, people):
    customer, _, category = people
    for subject in ("Refund for order 100%", "Refund for order 1000", "VPN_login fails", "VPN login fails",
                    "Printer jam"):
        raise_ticket(engine, customer, category, subject=subject)

    def search(text):
        with session_scope(engine) as session:
            page = tickets_customer.list_customer_tickets(session=session, actor=customer, search=text)
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


def test_my_tickets_pages_with_a_total(engine, people):
    customer, _, category = people
    created = [raise_ticket(engine, customer, category, subject=f"Ticket {i}") for i in range(7)]
    newest_first = [t.id for t in reversed(created)]
    seen = []
    with session_scope(engine) as session:
        for offset in (0, 3, 6):
            page = tickets_customer.list_customer_tickets(session=session, actor=customer, limit=3, offset=offset)
            assert page.total == 7
            seen += [t.id for t in page.rows]
        beyond = tickets_customer.list_customer_tickets(session=session, actor=customer, limit=3, offset=9)
    assert seen == newest_first
    assert beyond.rows == [] and beyond.total == 7


# --- conversation, replies and the workflow ---------------------------------------------

def reply(engine, actor, ticket_id, body="Here is more detail.", **kwargs):
    with session_scope(engine) as session:
        return tickets_customer.add_customer_reply(session=session, actor=actor, ticket_id=ticket_id, body=body, **kwargs)


def conversation(engine, actor, ticket_id):
    with session_scope(engine) as session:
        return tickets_customer.get_conversation(session=session, actor=actor, ticket_id=ticket_id)


def history(engine, actor, ticket_id):
    with session_scope(engine) as session:
        return [(e.kind, e.old_value, e.new_value)
                for e in tickets_customer.get_history(session=session, actor=actor, ticket_id=ticket_id)]


def test_reply_appears_in_the_conversation_oldest_first(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category)
    reply(engine, customer, ticket.id, "First follow-up")
    reply(engine, customer, ticket.id, "Second follow-up",
          attachments=[UploadedFile("log.txt", b"error 42\n")])
    messages = conversation(engine, customer, ticket.id)
    assert [m.body for m in messages] == ["First follow-up", "Second follow-up"]
    assert all(m.is_public and m.author_id == customer.id for m in messages)
    assert [a.filename for a in messages[1].attachments] == ["log.txt"]
    assert load(engine, ticket.id).status == TicketStatus.NEW  # a reply alone doesn't move a new ticket


def test_empty_or_oversized_reply_is_refused_and_nothing_written(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category)
    before = counts(engine)
    for body in ("", "   ", "z" * 20_001):
        with pytest.raises(ValidationError) as excinfo:
            reply(engine, customer, ticket.id, body)
        assert "body" in excinfo.value.field_errors
    with pytest.raises(ValidationError) as excinfo:
        reply(engine, customer, ticket.id, "ok", attachments=[UploadedFile("page.html", b"<html></html>")])
    assert "attachments" in excinfo.value.field_errors
    assert counts(engine) == before


def test_customer_reply_moves_waiting_on_customer_back_to_open(engine, people):
    customer, agent, category = people
    ticket = raise_ticket(engine, customer, category)
    set_status(engine, ticket.id, TicketStatus.WAITING_ON_CUSTOMER, actor=agent)
    due_while_waiting = load(engine, ticket.id).resolution_due_at
    with session_scope(engine) as session:  # the customer took two hours to answer
        session.get(Ticket, ticket.id).waiting_since = utcnow() - timedelta(hours=2)
    reply(engine, customer, ticket.id, "Here is the invoice number.")
    stored = load(engine, ticket.id)
    assert stored.status == TicketStatus.OPEN
    assert stored.waiting_since is None
    # Time spent waiting on the customer doesn't count against the resolution target.
    assert timedelta(hours=2) <= stored.resolution_due_at - due_while_waiting < timedelta(hours=2, minutes=1)
    assert history(engine, customer, ticket.id)[-1] == (EventKind.STATUS_CHANGED, "waiting_on_customer", "open")


def test_customer_reply_reopens_a_resolved_ticket(engine, people):
    customer, agent, category = people
    ticket = raise_ticket(engine, customer, category)
    set_status(engine, ticket.id, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, actor=agent)
    assert load(engine, ticket.id).resolved_at is not None
    reply(engine, customer, ticket.id, "It happened again.")
    stored = load(engine, ticket.id)
    assert stored.status == TicketStatus.OPEN
    assert stored.resolved_at is None
    assert history(engine, customer, ticket.id)[-1] == (EventKind.STATUS_CHANGED, "resolved", "open")


def test_customer_closes_a_ticket(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category)
    with session_scope(engine) as session:
        tickets_customer.close_ticket(session=session, actor=customer, ticket_id=ticket.id)
    stored = load(engine, ticket.id)
    assert stored.status == TicketStatus.CLOSED
    assert stored.closed_at is not None and stored.closed_at.utcoffset() == timedelta(0)
    assert history(engine, customer, ticket.id)[-1] == (EventKind.STATUS_CHANGED, "new", "closed")


def test_closed_ticket_refuses_replies_and_reopening(engine, people):
    customer, _, category = people
    ticket = raise_ticket(engine, customer, category)
    with session_scope(engine) as session:
        tickets_customer.close_ticket(session=session, actor=customer, ticket_id=ticket.id)
    before = counts(engine)
    with pytest.raises(ValidationError) as excinfo:
        reply(engine, customer, ticket.id, "One more thing")
    assert "new ticket" in excinfo.value.field_errors["body"]
    with pytest.raises(ValidationError):
        with session_scope(engine) as session:
            tickets_customer.reopen_ticket(session=session, actor=customer, ticket_id=ticket.id)
    assert counts(engine) == before
    assert load(engine, ticket.id).status == TicketStatus.CLOSED


def test_reopen_works_only_from_resolved(engine, people):
    customer, agent, category = people
    ticket = raise_ticket(engine, customer, category)
    for status in (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER):
        if status != TicketStatus.NEW:
            set_status(engine, ticket.id, status, actor=agent)
        with pytest.raises(ValidationError) as excinfo:
            with session_scope(engine) as session:
                tickets_customer.reopen_ticket(session=session, actor=customer, ticket_id=ticket.id)
        assert "resolved" in excinfo.value.field_errors["status"]
        assert load(engine, ticket.id).status == status

    set_status(engine, ticket.id, TicketStatus.RESOLVED, actor=agent)
    with session_scope(engine) as session:
        tickets_customer.reopen_ticket(session=session, actor=customer, ticket_id=ticket.id)
    stored = load(engine, ticket.id)
    assert stored.status == TicketStatus.OPEN and stored.resolved_at is None


@pytest.mark.parametrize(("path", "refused"), [
    ((TicketStatus.CLOSED,), TicketStatus.OPEN),
    ((TicketStatus.CLOSED,), TicketStatus.RESOLVED),
    ((TicketStatus.RESOLVED,), TicketStatus.IN_PROGRESS),
    ((TicketStatus.RESOLVED,), TicketStatus.WAITING_ON_CUSTOMER),
    ((TicketStatus.OPEN,), TicketStatus.NEW),
])
def test_refused_transitions_raise_validation_error_and_change_nothing(engine, people, path, refused):
    customer, agent, category = people
    ticket = raise_ticket(engine, customer, category)
    set_status(engine, ticket.id, *path, actor=agent)
    events_before = counts(engine)["TicketEvent"]
    with pytest.raises(ValidationError) as excinfo:
        set_status(engine, ticket.id, refused, actor=agent)
    assert "status" in excinfo.value.field_errors
    assert load(engine, ticket.id).status == path[-1]
    assert counts(engine)["TicketEvent"] == events_before


def test_stale_version_is_refused_with_a_conflict(engine, people):
    customer, agent, category = people
    ticket = raise_ticket(engine, customer, category)
    seen_version = load(engine, ticket.id).version
    set_status(engine, ticket.id, TicketStatus.RESOLVED, actor=agent)  # changed meanwhile
    with pytest.raises(ConflictError):
        with session_scope(engine) as session:
            tickets_customer.close_ticket(session=session, actor=customer, ticket_id=ticket.id, expected_version=seen_version)
    assert load(engine, ticket.id).status == TicketStatus.RESOLVED
    with session_scope(engine) as session:
        tickets_customer.close_ticket(session=session, actor=customer, ticket_id=ticket.id,
                             expected_version=load(engine, ticket.id).version)
    assert load(engine, ticket.id).status == TicketStatus.CLOSED


def test_customer_history_shows_creation_and_status_changes(engine, people):
    customer, agent, category = people
    ticket = raise_ticket(engine, customer, category)
    set_status(engine, ticket.id, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, actor=agent)
    reply(engine, customer, ticket.id)
    assert history(engine, customer, ticket.id) == [
        (EventKind.CREATED, None, "new"),
        (EventKind.STATUS_CHANGED, "new", "in_progress"),
        (EventKind.STATUS_CHANGED, "in_progress", "resolved"),
        (EventKind.STATUS_CHANGED, "resolved", "open"),
    ]
    # Staff see the full audit trail, replies included.
    assert (EventKind.PUBLIC_REPLY, None, None) in history(engine, agent, ticket.id)
