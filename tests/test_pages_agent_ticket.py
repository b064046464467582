"""The agent's ticket page (AppTest), on SQLite and PostgreSQL: what the agent sees, public
replies the customer gets, internal notes the customer never gets, canned replies, claiming,
the workflow, and no lost updates when someone else changed the ticket meanwhile."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.enums import EventKind, Priority, Role, TicketStatus
from helpdesk.models import Ticket, TicketEvent, TicketMessage, User, format_reference
from helpdesk.tickets import assignment, canned_replies, customer, staff
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.ui.engine import get_engine
from tests.page_helpers import (add_category, add_customer, add_staff, fill, message_at, messages,  # noqa: F401
                                open_app, page_text, point_app_at, raise_ticket, rerun)

PAGE = "pages/agent/ticket.py"
# The words the agent reads when someone else changed the ticket first (README: "this ticket changed since
# you opened it"), written out so a changed service message fails here.
CONFLICT = "This ticket changed since you opened it. The latest version is shown below; nothing was saved."


@pytest.fixture
def desk(engine, tmp_path, monkeypatch):
    """The app on this backend: an admin, two agents, two categories, a customer with a ticket."""
    point_app_at(monkeypatch, tmp_path, engine.url.render_as_string(hide_password=False))
    desk = {
        "engine": engine,
        "admin": add_staff(engine, "ada@example.com", Role.ADMIN, name="Ada Admin"),
        "alan": add_staff(engine, "alan@example.com", Role.AGENT, name="Alan Agent"),
        "bo": add_staff(engine, "bo@example.com", Role.AGENT, name="Bo Agent"),
        "billing": add_category(engine, "Billing").id,
        "technical": add_category(engine, "Technical problem").id,
        "carla": add_customer(engine, "carla@example.com", name="Carla Customer"),
    }
    desk["ticket"] = raise_ticket(engine, desk["carla"], desk["billing"], "Charged twice",
                                  "My invoice shows the plan twice.",
                                  attachments=[UploadedFile("invoice.txt", b"plan 49.00\nplan 49.00\n")])
    yield desk
    get_engine.clear()


def act(desk, fn, actor="bo", **kwargs):
    with session_scope(desk["engine"]) as session:
        return fn(session=session, actor=session.get(User, desk[actor].id), **kwargs)


def load(desk, ticket_id=None) -> Ticket:
    with session_scope(desk["engine"]) as session:
        return session.get(Ticket, ticket_id or desk["ticket"])


def customer_sees(desk) -> list[str]:
    """The thread as the customer's own service call returns it."""
    with session_scope(desk["engine"]) as session:
        carla = session.get(User, desk["carla"].id)
        return [m.body for m in customer.get_conversation(session=session, actor=carla, ticket_id=desk["ticket"])]


def open_ticket(desk, user="alan", ticket_id=None):
    return open_app(desk[user], ticket=ticket_id or desk["ticket"], page=PAGE)


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


def test_the_agent_sees_customer_thread_sla_and_history(desk):
    older = raise_ticket(desk["engine"], desk["carla"], desk["technical"], "Printer smokes")
    act(desk, staff.add_internal_note, ticket_id=desk["ticket"], body="She is on the legacy plan.")
    act(desk, staff.add_agent_reply, ticket_id=desk["ticket"], body="Refund is on its way.")

    at = open_ticket(desk)
    text = page_text(at)
    assert at.title[0].value == format_reference(desk["ticket"])
    assert "Charged twice" in text and "My invoice shows the plan twice." in text
    assert "Carla Customer" in text and "carla@example.com" in text
    # Their other ticket, one click away.
    other = at.dataframe(key=f"agent_other_tickets_{desk['ticket']}").value.to_dict("records")
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
    assert [b.proto.label for b in at.get("download_button")] == ["invoice.txt (22 B)"]


def test_a_breached_first_response_is_said_in_words(desk):
    with session_scope(desk["engine"]) as session:
        session.execute(update(Ticket).where(Ticket.id == desk["ticket"])
                        .values(first_response_due_at=utcnow() - timedelta(hours=2, minutes=5)))
    at = open_ticket(desk)
    assert "First response: BREACHED 2h 5 min ago" in page_text(at)


def test_a_public_reply_reaches_the_customer_and_empties_the_box(desk):
    at = open_ticket(desk)
    fill(at, agent_reply_body="Sorry about that. The second charge is refunded.")
    click(at, "agent_reply_send")

    assert messages(at, "success") == ["Reply sent to the customer."]
    assert at.text_area(key="agent_reply_body").value == ""
    assert customer_sees(desk) == ["Sorry about that. The second charge is refunded."]
    ticket = load(desk)
    assert ticket.status == TicketStatus.OPEN and ticket.first_response_at is not None
    # The customer's own page shows it too.
    customer_page = open_app(desk["carla"], ticket=desk["ticket"])
    assert "Sorry about that. The second charge is refunded." in page_text(customer_page)


def test_an_internal_note_stays_with_staff(desk):
    at = open_ticket(desk)
    at.radio(key="agent_reply_kind").set_value("note")
    rerun(at)
    assert at.button(key="agent_reply_send").label == "Add internal note"
    fill(at, agent_reply_body="Customer threatened to cancel; be gentle.")
    at.file_uploader(key="agent_reply_files_0").set_value(("notes.txt", b"call log\n", "text/plain"))
    click(at, "agent_reply_send")

    assert messages(at, "success") == ["Internal note added."]
    assert "Internal note — not visible to the customer" in page_text(at)
    assert "Customer threatened to cancel; be gentle." in page_text(at)
    assert customer_sees(desk) == []
    assert load(desk).first_response_at is None  # a note is not an answer
    customer_page = open_app(desk["carla"], ticket=desk["ticket"])
    assert "be gentle" not in page_text(customer_page)
    assert [b.proto.label for b in customer_page.get("download_button")] == ["invoice.txt (22 B)"]


def test_an_empty_reply_is_explained_at_the_box(desk):
    at = open_ticket(desk)
    click(at, "agent_reply_send")
    assert message_at(at, "agent_reply_body") == "Write a message."
    assert not messages(at, "success")
    assert customer_sees(desk) == []
    with session_scope(desk["engine"]) as session:
        assert session.scalars(select(TicketMessage.id).where(TicketMessage.ticket_id == desk["ticket"])).all() == []


def test_a_canned_reply_is_inserted_with_the_placeholders_filled_in(desk):
    act(desk, canned_replies.create_canned_reply, actor="admin", title="Refund done",
        body="Hello {customer_name}, the refund for {reference} is done. — {agent_name}")
    reply_id = act(desk, canned_replies.list_canned_replies)[0].id
    at = open_ticket(desk)
    fill(at, agent_reply_body="Quick update:")
    at.selectbox(key="agent_canned").select(reply_id)
    click(at, "agent_canned_insert")

    reference = format_reference(desk["ticket"])
    assert at.text_area(key="agent_reply_body").value == (
        f"Quick update:\n\nHello Carla Customer, the refund for {reference} is done. — Alan Agent")
    click(at, "agent_reply_send")
    assert customer_sees(desk) == [f"Quick update:\n\nHello Carla Customer, the refund for {reference} is done. "
                                   "— Alan Agent"]


def test_claim_an_unassigned_ticket(desk):
    at = open_ticket(desk)
    assert "Unassigned" in page_text(at)
    click(at, "agent_claim")
    assert messages(at, "success") == ["You work on this ticket now."]
    assert load(desk).assignee_id == desk["alan"].id
    assert not [b for b in at.button if b.key == "agent_claim"]
    assert at.selectbox(key="agent_assignee").value == desk["alan"].id
    assert "Alan Agent assigned it to Alan Agent" in history_lines(at)


def test_status_offers_only_allowed_moves_and_fields_save_together(desk):
    at = open_ticket(desk)
    assert at.selectbox(key="agent_status").options == ["New (now)", "Open", "In progress",
                                                         "Waiting on customer", "Resolved", "Closed"]
    at.selectbox(key="agent_status").select(TicketStatus.RESOLVED)
    at.selectbox(key="agent_priority").select(Priority.HIGH)
    at.selectbox(key="agent_category").select(desk["technical"])
    at.selectbox(key="agent_assignee").select(desk["bo"].id)
    click(at, "agent_fields_save")

    assert messages(at, "success") == ["Changes saved."]
    ticket = load(desk)
    assert (ticket.status, ticket.priority, ticket.category_id, ticket.assignee_id) == (
        TicketStatus.RESOLVED, Priority.HIGH, desk["technical"], desk["bo"].id)
    # Resolved can only be reopened or closed from here.
    assert at.selectbox(key="agent_status").options == ["Resolved (now)", "Open", "Closed"]
    with session_scope(desk["engine"]) as session:
        kinds = [e.kind for e in session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == desk["ticket"], TicketEvent.actor_id == desk["alan"].id))]
    assert sorted(kinds) == sorted([EventKind.PRIORITY_CHANGED, EventKind.CATEGORY_CHANGED, EventKind.ASSIGNED,
                                    EventKind.STATUS_CHANGED])


def test_a_closed_ticket_takes_only_internal_notes(desk):
    act(desk, staff.change_status, ticket_id=desk["ticket"], status=TicketStatus.CLOSED)
    at = open_ticket(desk)
    assert at.selectbox(key="agent_status").options == ["Closed (now)"]
    assert at.radio(key="agent_reply_kind").options == ["Internal note (staff only)"]
    assert not [b for b in at.button if b.key == "agent_claim"]


def test_a_reply_over_someone_elses_change_is_refused_and_the_text_is_kept(desk):
    at = open_ticket(desk)
    fill(at, agent_reply_body="We refunded the first charge.")
    # Bo answers while Alan is typing.
    act(desk, staff.add_agent_reply, ticket_id=desk["ticket"], body="Bo here: refund is done.")
    click(at, "agent_reply_send")

    # Said at the top, and again at the reply box the agent clicked (the top may be scrolled away).
    assert errors_at_the_top(at) == [CONFLICT]
    assert errors_beside(at, "agent_reply_kind") == [CONFLICT]
    assert messages(at) == [CONFLICT, CONFLICT]
    assert at.text_area(key="agent_reply_body").value == "We refunded the first charge."
    assert "Bo here: refund is done." in page_text(at)  # the fresh state is shown
    assert customer_sees(desk) == ["Bo here: refund is done."]  # nothing of Alan's was saved

    # Having seen it, Alan can still send.
    click(at, "agent_reply_send")
    assert messages(at, "success") == ["Reply sent to the customer."]
    assert customer_sees(desk) == ["Bo here: refund is done.", "We refunded the first charge."]


def test_a_field_change_over_someone_elses_change_is_refused(desk):
    at = open_ticket(desk)
    at.selectbox(key="agent_priority").select(Priority.LOW)
    act(desk, staff.change_priority, ticket_id=desk["ticket"], priority=Priority.URGENT)
    click(at, "agent_fields_save")

    assert errors_at_the_top(at) == [CONFLICT]
    assert errors_beside(at, "agent_fields") == [CONFLICT]  # inside the Ticket box, above its form
    assert messages(at) == [CONFLICT, CONFLICT]
    assert load(desk).priority == Priority.URGENT
    assert at.selectbox(key="agent_priority").value == Priority.URGENT  # the fields show the fresh state
    assert "Urgent" in page_text(at)


def test_claiming_a_ticket_someone_else_took_is_refused(desk):
    at = open_ticket(desk)
    act(desk, assignment.claim_ticket, ticket_id=desk["ticket"])
    click(at, "agent_claim")
    assert errors_at_the_top(at) == [CONFLICT]
    assert messages(at) == [CONFLICT]
    assert load(desk).assignee_id == desk["bo"].id
    assert not [b for b in at.button if b.key == "agent_claim"]


def test_another_ticket_of_the_customer_opens_fresh(desk):
    older = raise_ticket(desk["engine"], desk["carla"], desk["technical"], "Printer smokes")
    at = open_ticket(desk)
    fill(at, agent_reply_body="Draft for the first ticket")
    picked_first_row = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.session_state[f"agent_other_tickets_{desk['ticket']}"] = picked_first_row
    rerun(at)
    assert at.title[0].value == format_reference(older)
    assert at.text_area(key="agent_reply_body").value == ""
    assert at.selectbox(key="agent_category").value == desk["technical"]


def test_an_unknown_ticket_says_so(desk):
    at = open_ticket(desk, ticket_id=987654)
    assert at.title[0].value == "Ticket not found"


def test_a_customer_following_the_same_link_gets_the_customer_page(desk):
    act(desk, staff.add_internal_note, ticket_id=desk["ticket"], body="Secret staff remark.")
    at = open_app(desk["carla"], ticket=desk["ticket"])
    assert at.title[0].value == format_reference(desk["ticket"])
    assert "Secret staff remark." not in page_text(at)
    assert not [b for b in at.button if b.key == "agent_claim"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    with session_scope(desk["engine"]) as session:
        assert session.scalar(select(TicketMessage.is_public)) is False
