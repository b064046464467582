"""The agent's ticket page (AppTest), on SQLite and PostgreSQL: what the agent sees, public
replies the customer gets, internal notes the customer never gets, canned replies, claiming,
the workflow, and no lost updates when someone else changed the ticket meanwhile."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.enums import EventKind, Priority, TicketStatus
from helpdesk.models import Ticket, TicketEvent, TicketMessage, format_reference
from helpdesk.tickets import assignment, canned_replies, customer, staff
from helpdesk.tickets.attachments import UploadedFile
from tests.factories import add_category
from tests.page_helpers import as_read, fill, message_at, messages, open_app, page_text, rerun

PAGE = "pages/agent/ticket.py"
# The words the agent reads when someone else changed the ticket first (README: "this ticket changed since
# you opened it"), written out so a changed service message fails here.
CONFLICT = "This ticket changed since you opened it. The latest version is shown below; nothing was saved."

# Every test here drives the app on the shared desk, on each backend.
pytestmark = pytest.mark.usefixtures("served_desk")


@pytest.fixture
def technical(desk) -> int:
    """A second category the ticket can move to; its id."""
    return add_category(desk.engine, "Technical problem").id


@pytest.fixture
def ticket(desk, technical) -> int:
    """Carla's Billing ticket with an attachment: the one Alex (desk.agent) opens; Bo (desk.agent2)
    is the colleague who changes it meanwhile."""
    return desk.raise_ticket(attachments=[UploadedFile("invoice.txt", b"plan 49.00\nplan 49.00\n")])


def customer_sees(desk, ticket_id) -> list[str]:
    """The thread as the customer's own service call returns it."""
    return [m.body for m in desk.act(desk.customer, customer.get_conversation, ticket_id=ticket_id)]


def open_agent_page(person, ticket_id):
    return open_app(person, ticket=ticket_id, page=PAGE)


def history_lines(at) -> list[str]:
    """The History table's lines, newest first."""
    table = next(d.value for d in at.dataframe if list(d.value.columns) == ["When", "Who", "What"])
    return [f"{who} {what}" for who, what in zip(table["Who"], table["What"])]


def errors_beside(at, key) -> list[str]:
    """The errors in the part of the page that holds the widget or container `key` (its siblings)."""
    def walk(node):
        children = list(getattr(node, "children", {}).values())
        if any(getattr(child, "key", None) == key for child in children):
            return [child.value for child in children if child.type == "error"]
        for child in children:
            found = walk(child)
            if found is not None:
                return found
        return None

    found = walk(at.main)
    assert found is not None, f"no widget or container with key {key!r} on the page"
    return found


def errors_at_the_top(at) -> list[str]:
    return [child.value for child in at.main.children.values() if child.type == "error"]


def click(at, key):
    at.button(key=key).click()
    return rerun(at)


def test_the_agent_sees_customer_thread_sla_and_history(desk, ticket, technical):
    older = desk.raise_ticket(category=technical, subject="Printer smokes")
    desk.act(desk.agent2, staff.add_internal_note, ticket_id=ticket, body="She is on the legacy plan.")
    desk.act(desk.agent2, staff.add_agent_reply, ticket_id=ticket, body="Refund is on its way.")

    at = open_agent_page(desk.agent, ticket)
    text = page_text(at)
    assert at.title[0].value == format_reference(ticket)
    assert "Charged twice" in text and "My invoice shows the plan twice." in text
    assert "Carla Customer" in text and "carla@example.com" in text
    # Their other ticket, one click away.
    other = at.dataframe(key=f"agent_other_tickets_{ticket}").value.to_dict("records")
    assert [(o["Reference"], o["Status"], o["Subject"]) for o in other] == [
        (format_reference(older), "New", "Printer smokes")]
    # The internal note is marked as such (once: the reply is not).
    assert text.count("Internal note — not visible to the customer") == 1
    assert "She is on the legacy plan." in text and "Refund is on its way." in text
    # SLA clocks in words, and the history with who did what.
    assert "First response: met" in text
    assert "Resolution: due in 2d 23h" in text
    history = history_lines(at)
    assert history[-1] == "Carla Customer raised the ticket"  # newest first
    for line in ("Bo Agent added an internal note", "Bo Agent replied to the customer",
                 "Bo Agent changed the status: New → Open"):
        assert line in history
    assert [as_read(b.proto.label) for b in at.get("download_button")] == ["invoice.txt (22 B)"]


def test_a_breached_first_response_is_said_in_words(desk, ticket):
    with session_scope(desk.engine) as session:
        session.execute(update(Ticket).where(Ticket.id == ticket)
                        .values(first_response_due_at=utcnow() - timedelta(hours=2, minutes=5)))
    at = open_agent_page(desk.agent, ticket)
    assert "First response: BREACHED 2h 5 min ago" in page_text(at)


def test_a_public_reply_reaches_the_customer_and_empties_the_box(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    fill(at, agent_reply_body="Sorry about that. The second charge is refunded.")
    click(at, "agent_reply_send")

    assert messages(at, "success") == ["Reply sent to the customer."]
    assert at.text_area(key="agent_reply_body").value == ""
    assert customer_sees(desk, ticket) == ["Sorry about that. The second charge is refunded."]
    saved = desk.ticket(ticket)
    assert saved.status == TicketStatus.OPEN and saved.first_response_at is not None
    # The customer's own page shows it too.
    customer_page = open_app(desk.customer, ticket=ticket)
    assert "Sorry about that. The second charge is refunded." in page_text(customer_page)


def test_an_internal_note_stays_with_staff(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    at.radio(key="agent_reply_kind").set_value("note")
    rerun(at)
    assert at.button(key="agent_reply_send").label == "Add internal note"
    fill(at, agent_reply_body="Customer threatened to cancel; be gentle.")
    at.file_uploader(key="agent_reply_files_0").set_value(("notes.txt", b"call log\n", "text/plain"))
    click(at, "agent_reply_send")

    assert messages(at, "success") == ["Internal note added."]
    assert "Internal note — not visible to the customer" in page_text(at)
    assert "Customer threatened to cancel; be gentle." in page_text(at)
    assert customer_sees(desk, ticket) == []
    assert desk.ticket(ticket).first_response_at is None  # a note is not an answer
    customer_page = open_app(desk.customer, ticket=ticket)
    assert "be gentle" not in page_text(customer_page)
    assert [as_read(b.proto.label) for b in customer_page.get("download_button")] == ["invoice.txt (22 B)"]


def test_an_empty_reply_is_explained_at_the_box(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    click(at, "agent_reply_send")
    assert message_at(at, "agent_reply_body") == "Write a message."
    assert not messages(at, "success")
    assert customer_sees(desk, ticket) == []
    with session_scope(desk.engine) as session:
        assert session.scalars(select(TicketMessage.id).where(TicketMessage.ticket_id == ticket)).all() == []


def test_a_canned_reply_is_inserted_with_the_placeholders_filled_in(desk, ticket):
    desk.act(desk.admin, canned_replies.create_canned_reply, title="Refund done",
             body="Hello {customer_name}, the refund for {reference} is done. — {agent_name}")
    reply_id = desk.act(desk.agent2, canned_replies.list_canned_replies)[0].id
    at = open_agent_page(desk.agent, ticket)
    fill(at, agent_reply_body="Quick update:")
    at.selectbox(key="agent_canned").select(reply_id)
    click(at, "agent_canned_insert")

    reference = format_reference(ticket)
    assert at.text_area(key="agent_reply_body").value == (
        f"Quick update:\n\nHello Carla Customer, the refund for {reference} is done. — Alex Agent")
    click(at, "agent_reply_send")
    assert customer_sees(desk, ticket) == [
        f"Quick update:\n\nHello Carla Customer, the refund for {reference} is done. — Alex Agent"]


def test_claim_an_unassigned_ticket(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    assert "Unassigned" in page_text(at)
    click(at, "agent_claim")
    assert messages(at, "success") == ["You work on this ticket now."]
    assert desk.ticket(ticket).assignee_id == desk.agent.id
    assert not [b for b in at.button if b.key == "agent_claim"]
    assert at.selectbox(key="agent_assignee").value == desk.agent.id
    assert "Alex Agent took the ticket" in history_lines(at)


def test_status_offers_only_allowed_moves_and_fields_save_together(desk, ticket, technical):
    at = open_agent_page(desk.agent, ticket)
    assert at.selectbox(key="agent_status").options == ["New (now)", "Open", "In progress",
                                                         "Waiting on customer", "Resolved", "Closed"]
    at.selectbox(key="agent_status").select(TicketStatus.RESOLVED)
    at.selectbox(key="agent_priority").select(Priority.HIGH)
    at.selectbox(key="agent_category").select(technical)
    at.selectbox(key="agent_assignee").select(desk.agent2.id)
    click(at, "agent_fields_save")

    assert messages(at, "success") == ["Changes saved."]
    saved = desk.ticket(ticket)
    assert (saved.status, saved.priority, saved.category_id, saved.assignee_id) == (
        TicketStatus.RESOLVED, Priority.HIGH, technical, desk.agent2.id)
    # Resolved can only be reopened or closed from here.
    assert at.selectbox(key="agent_status").options == ["Resolved (now)", "Open", "Closed"]
    with session_scope(desk.engine) as session:
        kinds = [e.kind for e in session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket, TicketEvent.actor_id == desk.agent.id))]
    assert sorted(kinds) == sorted([EventKind.PRIORITY_CHANGED, EventKind.CATEGORY_CHANGED, EventKind.ASSIGNED,
                                    EventKind.STATUS_CHANGED])


def test_a_closed_ticket_takes_only_internal_notes(desk, ticket):
    desk.act(desk.agent2, staff.change_status, ticket_id=ticket, status=TicketStatus.CLOSED)
    at = open_agent_page(desk.agent, ticket)
    assert at.selectbox(key="agent_status").options == ["Closed (now)"]
    assert at.radio(key="agent_reply_kind").options == ["Internal note (staff only)"]
    assert not [b for b in at.button if b.key == "agent_claim"]


def test_a_reply_over_someone_elses_change_is_refused_and_the_text_is_kept(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    fill(at, agent_reply_body="We refunded the first charge.")
    # Bo answers while Alex is typing.
    desk.act(desk.agent2, staff.add_agent_reply, ticket_id=ticket, body="Bo here: refund is done.")
    click(at, "agent_reply_send")

    # Said at the top, and again at the reply box the agent clicked (the top may be scrolled away).
    assert errors_at_the_top(at) == [CONFLICT]
    assert errors_beside(at, "agent_reply_kind") == [CONFLICT]
    assert messages(at) == [CONFLICT, CONFLICT]
    assert at.text_area(key="agent_reply_body").value == "We refunded the first charge."
    assert "Bo here: refund is done." in page_text(at)  # the fresh state is shown
    assert customer_sees(desk, ticket) == ["Bo here: refund is done."]  # nothing of Alex's was saved

    # Having seen it, Alex can still send.
    click(at, "agent_reply_send")
    assert messages(at, "success") == ["Reply sent to the customer."]
    assert customer_sees(desk, ticket) == ["Bo here: refund is done.", "We refunded the first charge."]


def test_a_field_change_over_someone_elses_change_is_refused(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    at.selectbox(key="agent_priority").select(Priority.LOW)
    desk.act(desk.agent2, staff.change_priority, ticket_id=ticket, priority=Priority.URGENT)
    click(at, "agent_fields_save")

    assert errors_at_the_top(at) == [CONFLICT]
    assert errors_beside(at, "agent_fields") == [CONFLICT]  # inside the Ticket box, above its form
    assert messages(at) == [CONFLICT, CONFLICT]
    assert desk.ticket(ticket).priority == Priority.URGENT
    assert at.selectbox(key="agent_priority").value == Priority.URGENT  # the fields show the fresh state
    assert "Urgent" in page_text(at)


def test_claiming_a_ticket_someone_else_took_is_refused(desk, ticket):
    at = open_agent_page(desk.agent, ticket)
    desk.act(desk.agent2, assignment.claim_ticket, ticket_id=ticket)
    click(at, "agent_claim")
    assert errors_at_the_top(at) == [CONFLICT]
    assert messages(at) == [CONFLICT]
    assert desk.ticket(ticket).assignee_id == desk.agent2.id
    assert not [b for b in at.button if b.key == "agent_claim"]


def test_another_ticket_of_the_customer_opens_fresh(desk, ticket, technical):
    older = desk.raise_ticket(category=technical, subject="Printer smokes")
    at = open_agent_page(desk.agent, ticket)
    fill(at, agent_reply_body="Draft for the first ticket")
    picked_first_row = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.session_state[f"agent_other_tickets_{ticket}"] = picked_first_row
    rerun(at)
    assert at.title[0].value == format_reference(older)
    assert at.text_area(key="agent_reply_body").value == ""
    assert at.selectbox(key="agent_category").value == technical


@pytest.mark.usefixtures("ticket")  # a ticket exists, just not this one
def test_an_unknown_ticket_says_so(desk):
    at = open_agent_page(desk.agent, 987654)
    assert at.title[0].value == "Ticket not found"


def test_a_customer_following_the_same_link_gets_the_customer_page(desk, ticket):
    desk.act(desk.agent2, staff.add_internal_note, ticket_id=ticket, body="Secret staff remark.")
    at = open_app(desk.customer, ticket=ticket)
    assert at.title[0].value == format_reference(ticket)
    assert "Secret staff remark." not in page_text(at)
    assert not [b for b in at.button if b.key == "agent_claim"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    with session_scope(desk.engine) as session:
        assert session.scalar(select(TicketMessage.is_public)) is False


def test_each_history_line_reads_right_for_who_did_it(desk, ticket):
    """Issue 9, item 15: a customer's reply read "replied to the customer"; a claim read
    "Alex Agent assigned it to Alex Agent"."""
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket, body="Any news?")
    desk.act(desk.agent, assignment.claim_ticket, ticket_id=ticket)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket, body="Refund is on its way.")
    desk.act(desk.agent, assignment.assign_ticket, ticket_id=ticket, assignee_id=desk.agent2.id)
    history = history_lines(open_agent_page(desk.agent, ticket))
    assert history[:5] == ["Alex Agent assigned it to Bo Agent (was Alex Agent)",
                           "Alex Agent changed the status: New → Open",  # a first reply opens the ticket
                           "Alex Agent replied to the customer",
                           "Alex Agent took the ticket",
                           "Carla Customer replied"]


def test_the_ticket_fields_come_before_the_conversation(desk, ticket):
    """Issue 9, item 16: on a phone the columns stack, and the fields were below a 4,000 px thread."""
    at = open_agent_page(desk.agent, ticket)

    def keys_in_order(node, found):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "key", None):
                found.append(child.key)
            keys_in_order(child, found)
        return found

    order = keys_in_order(at.main, [])
    assert order.index("agent_status") < order.index("agent_reply_body")
    assert order.index("agent_customer") < order.index("agent_reply_body")
