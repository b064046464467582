"""Agent handling of a ticket: replies and internal notes, field changes through the workflow,
claiming, bulk changes, canned replies and the no-lost-updates guarantee. Both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Attachment, Ticket, TicketEvent, User
from helpdesk.tickets import assignment, bulk, canned_replies, customer, staff
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.lifecycle import CONFLICT
from tests.factories import add_category, add_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def events(engine, ticket_id, kind=None) -> list[TicketEvent]:
    with session_scope(engine) as session:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        if kind:
            query = query.where(TicketEvent.kind == kind)
        return list(session.scalars(query))


def test_first_public_reply_sets_first_response_once_and_opens_the_ticket(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_internal_note, ticket_id=ticket_id, body="Checking the billing system.")
    assert desk.ticket(ticket_id).first_response_at is None  # a note is not a response

    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Sorry! Refund on its way.")
    first = desk.ticket(ticket_id)
    assert first.first_response_at is not None
    assert first.status == TicketStatus.OPEN

    desk.act(desk.agent2, staff.add_agent_reply, ticket_id=ticket_id, body="Refund done.")
    assert desk.ticket(ticket_id).first_response_at == first.first_response_at


def test_customer_sees_replies_but_never_internal_notes(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_internal_note, ticket_id=ticket_id, body="Customer is on the legacy plan.")
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="We are on it.")
    seen_by_customer = desk.act(desk.customer, customer.get_conversation, ticket_id=ticket_id)
    seen_by_agent = desk.act(desk.agent, customer.get_conversation, ticket_id=ticket_id)
    assert [m.body for m in seen_by_customer] == ["We are on it."]
    assert [(m.body, m.is_public) for m in seen_by_agent] == [
        ("Customer is on the legacy plan.", False), ("We are on it.", True)]
    kinds = [e.kind for e in events(desk.engine, ticket_id)]
    assert EventKind.INTERNAL_NOTE in kinds and EventKind.PUBLIC_REPLY in kinds


def test_reply_and_note_keep_their_attachments_and_refuse_bad_files(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="See screenshot.",
             attachments=[UploadedFile("steps.png", PNG)])
    desk.act(desk.agent, staff.add_internal_note, ticket_id=ticket_id, body="Log attached.",
             attachments=[UploadedFile("server.log", b"ERROR payment declined\n")])
    with session_scope(desk.engine) as session:
        names = sorted(a.filename for a in session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id)))
    assert names == ["server.log", "steps.png"]

    with pytest.raises(ValidationError) as refused:
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Here.",
                 attachments=[UploadedFile("invoice.png", b"<html>not a picture</html>")])
    assert "attachments" in refused.value.field_errors
    with pytest.raises(ValidationError) as empty:
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="   ")
    assert empty.value.field_errors == {"body": "Write a message."}


def test_reply_and_wait_then_customer_reply_reopens_and_credits_the_waiting_time(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Which card did you use?",
             new_status=TicketStatus.WAITING_ON_CUSTOMER)
    waiting = desk.ticket(ticket_id)
    assert waiting.status == TicketStatus.WAITING_ON_CUSTOMER and waiting.waiting_since is not None
    # Pretend the customer took three hours to answer.
    with session_scope(desk.engine) as session:
        session.get(Ticket, ticket_id).waiting_since = utcnow() - timedelta(hours=3)
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="The Visa.")
    back = desk.ticket(ticket_id)
    assert back.status == TicketStatus.OPEN and back.waiting_since is None
    pushed = back.resolution_due_at - waiting.resolution_due_at
    assert timedelta(hours=3) <= pushed < timedelta(hours=3, minutes=1)


@pytest.mark.parametrize(("path", "refused"), [
    ([TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED], None),
    ([TicketStatus.RESOLVED, TicketStatus.IN_PROGRESS], "A ticket can't go from Resolved to In progress."),
    ([TicketStatus.CLOSED, TicketStatus.OPEN], "A ticket can't go from Closed to Open."),
])
def test_status_changes_follow_the_workflow(desk, path, refused):
    ticket_id = desk.raise_ticket()
    *allowed, last = path
    for status in allowed:
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=status)
    if refused is None:
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=last)
        done = desk.ticket(ticket_id)
        assert done.status == TicketStatus.RESOLVED and done.resolved_at is not None
    else:
        before = desk.ticket(ticket_id)
        with pytest.raises(ValidationError) as error:
            desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=last)
        assert error.value.field_errors == {"status": refused}
        assert desk.ticket(ticket_id).version == before.version
    changes = [(e.old_value, e.new_value) for e in events(desk.engine, ticket_id, EventKind.STATUS_CHANGED)]
    assert changes[0] == ("new", path[0].value)


def test_priority_change_recomputes_due_dates_and_is_audited(desk):
    ticket_id = desk.raise_ticket(priority=Priority.LOW)
    low = desk.ticket(ticket_id)
    assert low.resolution_due_at - low.created_at == timedelta(hours=120)
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.URGENT)
    urgent = desk.ticket(ticket_id)
    assert urgent.first_response_due_at - urgent.created_at == timedelta(hours=1)
    assert urgent.resolution_due_at - urgent.created_at == timedelta(hours=8)
    assert [(e.old_value, e.new_value, e.actor_id) for e in events(desk.engine, ticket_id,
                                                                    EventKind.PRIORITY_CHANGED)] == [
        ("low", "urgent", desk.agent.id)]


def test_category_change_is_audited_and_needs_an_active_category(desk):
    ticket_id = desk.raise_ticket()
    shipping = add_category(desk.engine, "Shipping")
    desk.act(desk.agent, staff.change_category, ticket_id=ticket_id, category_id=shipping.id)
    assert desk.ticket(ticket_id).category.name == "Shipping"
    assert [(e.old_value, e.new_value) for e in events(desk.engine, ticket_id, EventKind.CATEGORY_CHANGED)] == [
        ("Billing", "Shipping")]
    with pytest.raises(ValidationError) as error:
        desk.act(desk.agent, staff.change_category, ticket_id=ticket_id, category_id=999_999)
    assert error.value.field_errors == {"category": "Choose an active category."}


def test_one_save_with_a_refused_change_changes_nothing(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.CLOSED)
    before = desk.ticket(ticket_id)
    with pytest.raises(ValidationError) as error:
        desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, priority=Priority.HIGH,
                 status=TicketStatus.OPEN, assignee_id=desk.customer.id)
    assert set(error.value.field_errors) == {"status", "assignee"}
    after = desk.ticket(ticket_id)
    assert (after.priority, after.assignee_id, after.version) == (before.priority, None, before.version)


def test_stale_form_is_refused_with_the_conflict_message(desk):
    ticket_id = desk.raise_ticket()
    opened = desk.ticket(ticket_id).version
    desk.act(desk.agent, staff.change_priority, ticket_id=ticket_id, priority=Priority.HIGH,
             expected_version=opened)
    with pytest.raises(ConflictError) as conflict:
        desk.act(desk.agent2, staff.add_agent_reply, ticket_id=ticket_id, body="Hello", expected_version=opened)
    assert str(conflict.value) == CONFLICT
    fresh = desk.ticket(ticket_id)
    assert fresh.priority == Priority.HIGH and fresh.first_response_at is None


def test_two_agents_saving_the_same_ticket_at_once_the_second_is_refused(desk):
    """Both read version 1 in their own session; the first commits; the second's UPDATE
    matches no row at version 1 and becomes a ConflictError instead of overwriting."""
    engine = desk.engine
    ticket_id = desk.raise_ticket()
    first, second = Session(bind=engine, expire_on_commit=False), Session(bind=engine, expire_on_commit=False)
    try:
        # Both agents have the ticket open (kept referenced, as a page would).
        seen_by_first, seen_by_second = first.get(Ticket, ticket_id), second.get(Ticket, ticket_id)
        assert seen_by_first.version == seen_by_second.version
        staff.change_priority(session=first, actor=desk.agent, ticket_id=ticket_id, priority=Priority.URGENT)
        first.commit()
        with pytest.raises(ConflictError) as conflict:
            staff.change_priority(session=second, actor=desk.agent2, ticket_id=ticket_id, priority=Priority.LOW)
        assert str(conflict.value) == CONFLICT
        second.rollback()
    finally:
        first.close()
        second.close()
    assert desk.ticket(ticket_id).priority == Priority.URGENT
    assert len(events(engine, ticket_id, EventKind.PRIORITY_CHANGED)) == 1


def test_claim_takes_unassigned_tickets_only(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, assignment.claim_ticket, ticket_id=ticket_id)
    assert desk.ticket(ticket_id).assignee_id == desk.agent.id
    with pytest.raises(ValidationError) as taken:
        desk.act(desk.agent2, assignment.claim_ticket, ticket_id=ticket_id)
    assert "Alex Agent already works on this ticket" in taken.value.field_errors["assignee"]
    assert [(e.old_value, e.new_value) for e in events(desk.engine, ticket_id, EventKind.ASSIGNED)] == [
        (None, "Alex Agent")]


def test_assign_to_active_agents_only_and_unassign(desk):
    ticket_id = desk.raise_ticket()
    gone = add_user(desk.engine, email="gone@support.example.com", role=Role.AGENT, active=False)
    for bad in (gone.id, desk.customer.id, 999_999):
        with pytest.raises(ValidationError) as error:
            desk.act(desk.agent, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=bad)
        assert error.value.field_errors == {"assignee": "Choose an active agent."}
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent2.id)
    desk.act(desk.agent, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=None)
    assert desk.ticket(ticket_id).assignee_id is None
    assert [(e.old_value, e.new_value) for e in events(desk.engine, ticket_id, EventKind.ASSIGNED)] == [
        (None, "Bo Agent"), ("Bo Agent", None)]


def test_bulk_changes_apply_where_allowed_and_audit_each_ticket(desk):
    a, b, c = desk.raise_ticket(), desk.raise_ticket(), desk.raise_ticket()
    desk.act(desk.agent, staff.change_status, ticket_id=c, status=TicketStatus.CLOSED)
    stale_version = desk.ticket(b).version
    desk.act(desk.agent, staff.change_priority, ticket_id=b, priority=Priority.LOW)

    result = desk.act(desk.agent, bulk.bulk_update, ticket_ids=[a, b, c, 999_999],
                      status=TicketStatus.IN_PROGRESS, priority=Priority.HIGH, assignee_id=desk.agent2.id,
                      expected_versions={b: stale_version})
    assert result.updated == [a]
    assert result.skipped == {b: bulk.BULK_CONFLICT, c: "A ticket can't go from Closed to In progress.",
                              999_999: "No such ticket."}
    done = desk.ticket(a)
    assert (done.status, done.priority, done.assignee_id) == (TicketStatus.IN_PROGRESS, Priority.HIGH,
                                                              desk.agent2.id)
    assert {e.kind for e in events(desk.engine, a)} >= {
        EventKind.STATUS_CHANGED, EventKind.PRIORITY_CHANGED, EventKind.ASSIGNED}
    assert desk.ticket(c).priority == Priority.NORMAL

    assign_all = desk.act(desk.agent, bulk.bulk_update, ticket_ids=[a, b], assignee_id=desk.agent.id)
    assert assign_all.updated == [a, b]
    assert len(events(desk.engine, b, EventKind.ASSIGNED)) == 1
    with pytest.raises(ValidationError):
        desk.act(desk.agent, bulk.bulk_update, ticket_ids=[a])  # no change chosen


def test_canned_reply_fills_placeholders_and_refuses_anything_else(desk):
    reply = desk.act(desk.admin, canned_replies.create_canned_reply, title="Refund",
                     body="Hi {customer_name}, {agent_name} here about {reference}. {{braces}} stay.")
    ticket_id = desk.raise_ticket()
    text = desk.act(desk.agent, canned_replies.render_canned_reply, reply_id=reply.id, ticket_id=ticket_id)
    assert text == f"Hi Carla Customer, Alex Agent here about CCR-{ticket_id:06d}. {{braces}} stay."

    for sneaky in ("{customer_name.__class__}", "{customer_name[0]}", "{customer_name:>999999999}",
                   "{password}", "{customer_name!r}", "unbalanced {"):
        with pytest.raises(ValidationError) as error:
            desk.act(desk.admin, canned_replies.create_canned_reply, title="Sneaky", body=sneaky)
        assert "body" in error.value.field_errors
    assert canned_replies.render_template("{customer_name.__init__.__globals__}", {"customer_name": "x"}) == \
        "{customer_name.__init__.__globals__}"
    with pytest.raises(ValidationError) as duplicate:
        desk.act(desk.admin, canned_replies.create_canned_reply, title="refund", body="Again")
    assert duplicate.value.field_errors == {"title": "Another canned reply has this title."}

    desk.act(desk.admin, canned_replies.update_canned_reply, reply_id=reply.id, title="Refund sent",
             body="Done, {customer_name}.")
    assert [r.title for r in desk.act(desk.agent, canned_replies.list_canned_replies)] == ["Refund sent"]
    desk.act(desk.admin, canned_replies.delete_canned_reply, reply_id=reply.id)
    assert desk.act(desk.agent, canned_replies.list_canned_replies) == []


def test_customer_ticket_history_lists_their_other_tickets(desk):
    first, second = desk.raise_ticket(subject="First"), desk.raise_ticket(subject="Second")
    other = add_user(desk.engine, email="olga@example.com")
    desk.raise_ticket(customer=other, subject="Not hers", description="x")
    history = desk.act(desk.agent, staff.customer_ticket_history, ticket_id=second)
    assert [t.id for t in history] == [first]
    with session_scope(desk.engine) as session:
        assert session.get(User, desk.customer.id).email == "carla@example.com"
