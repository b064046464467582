"""The customer's ticket pages: Submit a ticket, My tickets, and the ticket itself."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, Role, TicketStatus
from helpdesk.models import Attachment, Ticket, TicketMessage, User
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.lifecycle import transition
from helpdesk.tickets.messages import add_message
from tests.factories import add_category, add_user
from tests.page_helpers import as_read, fill, message_at, messages, open_app, page_links, page_text, rerun


@pytest.fixture
def technical(app_desk) -> int:
    """A second category beside the shared world's Billing; its id."""
    return add_category(app_desk.engine, "Technical problem").id


@pytest.fixture
def dave(app_desk) -> User:
    """Another customer, whose tickets Carla must never see."""
    return add_user(app_desk.engine, email="dave@example.com", name="Dave Other")


def ticket_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def message_count(engine, ticket_id: int) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(TicketMessage)
                              .where(TicketMessage.ticket_id == ticket_id))


# --- Submit a ticket ---------------------------------------------------------------------------

def test_missing_fields_are_named_at_the_fields_and_what_was_typed_stays(app_desk):
    at = open_app(app_desk.customer)
    assert at.title[0].value == "Submit a ticket"
    fill(at, submit_subject="Invoice shows the wrong amount")
    at.button(key="submit_button").click()
    rerun(at)

    assert message_at(at, "submit_category") == "Choose a category."
    assert message_at(at, "submit_description") == "Describe the problem."
    assert message_at(at, "submit_subject") is None
    assert at.text_input(key="submit_subject").value == "Invoice shows the wrong amount"
    assert ticket_count(app_desk.engine) == 0

    # Fix one thing, forget another: the description typed now is kept too.
    fill(at, submit_subject="", submit_description="Charged twice in March.")
    at.selectbox(key="submit_category").select(app_desk.category.id)
    at.button(key="submit_button").click()
    rerun(at)
    assert message_at(at, "submit_subject") == "Enter a subject: a short summary of the problem."
    assert message_at(at, "submit_category") is None
    assert message_at(at, "submit_description") is None
    assert at.text_area(key="submit_description").value == "Charged twice in March."
    assert at.selectbox(key="submit_category").value == app_desk.category.id
    assert ticket_count(app_desk.engine) == 0


def test_a_refused_attachment_is_explained_at_the_uploader_and_nothing_is_written(app_desk, technical):
    at = open_app(app_desk.customer)
    fill(at, submit_subject="Screenshot attached", submit_description="See the picture.")
    at.selectbox(key="submit_category").select(technical)
    # Named like an image, but it is an HTML page.
    at.file_uploader(key="submit_files_0").set_value(("screen.png", b"<html><script>x</script>", "image/png"))
    at.button(key="submit_button").click()
    rerun(at)

    assert message_at(at, "submit_files_0") == "“screen.png” doesn't look like a .png file."
    assert message_at(at, "submit_subject") is None
    assert ticket_count(app_desk.engine) == 0
    with session_scope(app_desk.engine) as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert at.text_input(key="submit_subject").value == "Screenshot attached"
    assert at.text_area(key="submit_description").value == "See the picture."
    assert at.selectbox(key="submit_category").value == technical


def test_a_submitted_ticket_shows_its_reference_and_the_form_is_empty_again(app_desk, technical):
    at = open_app(app_desk.customer)
    fill(at, submit_subject="Printer is on fire", submit_description="Since this morning it smokes.")
    at.selectbox(key="submit_category").select(technical)
    at.selectbox(key="submit_priority").select(Priority.URGENT)
    at.file_uploader(key="submit_files_0").set_value(("printer.log", b"E42 overheating\n", "text/plain"))
    at.button(key="submit_button").click()
    rerun(at)

    assert not messages(at)
    success = messages(at, "success")
    assert len(success) == 1 and "CCR-000001" in success[0]
    assert page_links(at)[0].proto.label == "Open CCR-000001"
    # A fresh, empty form for the next ticket.
    assert at.text_input(key="submit_subject").value == ""
    assert at.text_area(key="submit_description").value == ""
    assert at.selectbox(key="submit_category").value is None
    assert at.selectbox(key="submit_priority").value == Priority.NORMAL
    assert at.file_uploader(key="submit_files_1").value in (None, [])

    with session_scope(app_desk.engine) as session:
        ticket = session.scalar(select(Ticket))
        assert (ticket.reference, ticket.subject, ticket.priority, ticket.status) == (
            "CCR-000001", "Printer is on fire", Priority.URGENT, TicketStatus.NEW)
        assert ticket.customer_id == app_desk.customer.id
        attachment = session.scalar(select(Attachment))
        assert (attachment.ticket_id, attachment.filename, attachment.content) == (
            ticket.id, "printer.log", b"E42 overheating\n")

    # The thank-you is for this submission only: it is gone on the next visit.
    at.switch_page("pages/customer/my_tickets.py")
    rerun(at)
    at.switch_page("pages/customer/submit_ticket.py")
    rerun(at)
    assert not messages(at, "success")


def test_a_double_submit_of_the_same_form_creates_one_ticket(app_desk):
    at = open_app(app_desk.customer)
    token = at.session_state["submit_token"]
    for _ in range(2):
        # The second click carries the same form (and token) as the first.
        at.session_state["submit_token"] = token
        fill(at, submit_subject="Charged twice", submit_description="Two payments for one invoice.")
        at.selectbox(key="submit_category").select(app_desk.category.id)
        at.button(key="submit_button").click()
        rerun(at)
        assert "CCR-000001" in messages(at, "success")[0]

    assert ticket_count(app_desk.engine) == 1
    # The next form gets a new token, so a genuinely new ticket is not swallowed.
    assert at.session_state["submit_token"] != token


def test_submit_page_explains_when_there_are_no_categories(app_db):
    """Not the shared world, which has Billing: this install has no category at all."""
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    carla = add_user(app_db, email="carla@example.com")
    at = open_app(carla)

    assert messages(at, "info") == ["Tickets can't be raised yet: an administrator has not set up any categories."]
    assert not at.text_input  # no form to fill in


# --- My tickets -------------------------------------------------------------------------------

@pytest.fixture
def tickets(app_desk, technical, dave) -> dict[str, int]:
    """Carla's resolved invoice ticket and new printer ticket, and Dave's private one; their ids."""
    ids = {
        "invoice": app_desk.raise_ticket(subject="Invoice shows the wrong amount"),
        "printer": app_desk.raise_ticket(category=technical, subject="Printer is on fire"),
        "dave": app_desk.raise_ticket(customer=dave, subject="Dave's secret refund",
                                      description="My bank account is 12345."),
    }
    with session_scope(app_desk.engine) as session:
        agent = session.get(User, app_desk.agent.id)
        transition(session, session.get(Ticket, ids["invoice"]), agent, TicketStatus.RESOLVED)
    return ids


def table_rows(at) -> list[dict]:
    return at.dataframe(key="my_tickets_table").value.to_dict("records")


def test_a_click_on_one_of_my_tickets_opens_it_and_the_table_offers_no_boxes(app_desk, tickets):
    """Issue 9, item 13: a box in front of each row looked like choosing several, yet opened one."""
    at = open_app(app_desk.customer, page="pages/customer/my_tickets.py")
    grid = at.dataframe(key="my_tickets_table")
    assert list(grid.proto.selection_mode) == [grid.proto.SelectionMode.SINGLE_CELL]  # no row boxes
    at.session_state["my_tickets_table"] = {"selection": {"rows": [], "columns": [], "cells": [[1, "Subject"]]}}
    rerun(at)
    assert at.title[0].value == "CCR-000001"


def test_my_tickets_lists_only_my_own_tickets_newest_first(app_desk, tickets):
    at = open_app(app_desk.customer, page="pages/customer/my_tickets.py")

    rows = table_rows(at)
    assert [(r["Reference"], r["Subject"], r["Status"], r["Category"]) for r in rows] == [
        ("CCR-000002", "Printer is on fire", "New", "Technical problem"),
        ("CCR-000001", "Invoice shows the wrong amount", "Resolved", "Billing"),
    ]
    assert {"Priority", "Created", "Last update"} <= set(rows[0])
    assert "CCR-000003" not in str(at.dataframe(key="my_tickets_table").value)
    assert all("Dave" not in option for option in at.selectbox(key="my_tickets_open").options)
    assert "Showing 1–2 of 2 tickets" in page_text(at)


def test_my_tickets_filters_by_status_and_searches_the_subject(app_desk, tickets):
    at = open_app(app_desk.customer, page="pages/customer/my_tickets.py")
    at.selectbox(key="my_tickets_status").select(TicketStatus.RESOLVED)
    rerun(at)
    assert [r["Reference"] for r in table_rows(at)] == ["CCR-000001"]

    at.selectbox(key="my_tickets_status").select(None)
    at.text_input(key="my_tickets_search").input("PRINTER")
    rerun(at)
    assert [r["Subject"] for r in table_rows(at)] == ["Printer is on fire"]

    at.text_input(key="my_tickets_search").input("CCR-000001")
    rerun(at)
    assert [r["Reference"] for r in table_rows(at)] == ["CCR-000001"]

    # Another customer's reference finds nothing.
    at.text_input(key="my_tickets_search").input("CCR-000003")
    rerun(at)
    assert messages(at, "info") == ["No tickets match these filters."]
    assert not at.dataframe


def test_my_tickets_empty_state_points_to_submitting_one(app_desk):
    at = open_app(app_desk.customer, page="pages/customer/my_tickets.py")

    assert messages(at, "info") == ["You have no tickets yet."]
    assert page_links(at)[0].proto.label == "Submit your first ticket"


def test_opening_a_ticket_from_my_tickets_shows_it(app_desk, tickets):
    at = open_app(app_desk.customer, page="pages/customer/my_tickets.py")
    at.selectbox(key="my_tickets_open").select(tickets["printer"])
    at.button(key="my_tickets_open_button").click()
    rerun(at)

    assert at.title[0].value == "CCR-000002"
    assert at.query_params["ticket"] == str(tickets["printer"])


# --- The ticket page --------------------------------------------------------------------------

def test_ticket_page_shows_the_public_conversation_attachments_and_history(app_desk, technical):
    engine = app_desk.engine
    ticket_id = app_desk.raise_ticket(category=technical, subject="Printer is on fire",
                                      description="It smokes <b>badly</b>.",
                                      attachments=[UploadedFile("printer.log", b"E42 overheating\n")])
    with session_scope(engine) as session:
        agent, ticket = session.get(User, app_desk.agent.id), session.get(Ticket, ticket_id)
        transition(session, ticket, agent, TicketStatus.IN_PROGRESS)
        add_message(session, ticket, agent, "Please unplug it and tell me the code on the display.", [],
                    is_public=True)
        add_message(session, ticket, agent, "INTERNAL: customer sounds upset", [], is_public=False)

    at = open_app(app_desk.customer, ticket=ticket_id)
    text = page_text(at)
    assert at.title[0].value == "CCR-000001"
    assert "Printer is on fire" in text
    assert "It smokes <b>badly</b>." in [t.value for t in at.text]  # shown as typed, not as markup
    assert "Please unplug it and tell me the code on the display." in text
    assert "INTERNAL" not in text
    assert "In progress" in text
    assert "Ticket raised" in text and "New → In progress" in text
    assert [as_read(b.proto.label) for b in at.get("download_button")] == ["printer.log (16 B)"]


def test_replying_shows_the_message_and_empties_the_form_and_an_empty_reply_is_refused(app_desk, tickets):
    at = open_app(app_desk.customer, ticket=tickets["printer"])
    at.button(key="reply_submit").click()
    rerun(at)
    assert message_at(at, "reply_body") == "Write a message."
    assert message_count(app_desk.engine, tickets["printer"]) == 0

    fill(at, reply_body="It is still smoking, see the log.")
    at.file_uploader(key="reply_files_0").set_value(("smoke.txt", b"more smoke\n", "text/plain"))
    at.button(key="reply_submit").click()
    rerun(at)

    text = page_text(at)
    assert "It is still smoking, see the log." in text
    assert "Your reply was sent." in messages(at, "success")
    assert at.text_area(key="reply_body").value == ""
    assert "smoke.txt (11 B)" in [as_read(b.proto.label) for b in at.get("download_button")]


def test_a_reply_with_a_refused_attachment_keeps_the_text_and_writes_nothing(app_desk, tickets):
    at = open_app(app_desk.customer, ticket=tickets["printer"])
    fill(at, reply_body="Here is the error log.")
    at.file_uploader(key="reply_files_0").set_value(("photo.jpg", b"just some text", "image/jpeg"))
    at.button(key="reply_submit").click()
    rerun(at)

    assert message_at(at, "reply_files_0") == "“photo.jpg” doesn't look like a .jpg file."
    assert message_at(at, "reply_body") is None
    assert at.text_area(key="reply_body").value == "Here is the error log."
    assert not messages(at, "success")
    assert message_count(app_desk.engine, tickets["printer"]) == 0
    with session_scope(app_desk.engine) as session:
        assert session.scalar(select(func.count()).select_from(Attachment)
                              .where(Attachment.ticket_id == tickets["printer"])) == 0


def test_replying_to_a_resolved_ticket_reopens_it(app_desk, tickets):
    at = open_app(app_desk.customer, ticket=tickets["invoice"])
    assert "Replying reopens this resolved ticket." in page_text(at)
    fill(at, reply_body="The amount is still wrong.")
    at.button(key="reply_submit").click()
    rerun(at)

    assert "Resolved → Open" in page_text(at)
    with session_scope(app_desk.engine) as session:
        assert session.get(Ticket, tickets["invoice"]).status == TicketStatus.OPEN


def test_reopening_a_resolved_ticket(app_desk, tickets):
    at = open_app(app_desk.customer, ticket=tickets["invoice"])
    at.button(key="reopen_ticket").click()
    rerun(at)

    assert "The ticket is open again." in messages(at, "success")
    assert "Resolved → Open" in page_text(at)
    assert not [b for b in at.button if b.key == "reopen_ticket"]


def test_closing_a_ticket_ends_the_conversation(app_desk, tickets):
    at = open_app(app_desk.customer, ticket=tickets["printer"])
    assert not [b for b in at.button if b.key == "reopen_ticket"]  # only resolved tickets reopen
    at.button(key="close_ticket").click()
    rerun(at)
    at.button(key="close_ticket_confirm").click()
    rerun(at)

    assert "The ticket is closed. Thank you!" in messages(at, "success")
    assert "This ticket is closed. If you need more help, raise a new ticket." in messages(at, "info")
    assert not at.text_area  # no reply form any more
    with session_scope(app_desk.engine) as session:
        assert session.get(Ticket, tickets["printer"]).status == TicketStatus.CLOSED


def test_closing_asks_first_and_says_it_cannot_be_undone(app_desk, tickets):
    """Issue 9, item 14: closing was one irreversible click."""
    at = open_app(app_desk.customer, ticket=tickets["printer"])
    at.button(key="close_ticket").click()
    rerun(at)
    assert "A closed ticket can't be reopened or replied to." in page_text(at)
    with session_scope(app_desk.engine) as session:
        assert session.get(Ticket, tickets["printer"]).status != TicketStatus.CLOSED  # not yet
    at.button(key="close_ticket_cancel").click()
    rerun(at)
    assert not [b for b in at.button if b.key == "close_ticket_confirm"]  # the question is gone
    with session_scope(app_desk.engine) as session:
        assert session.get(Ticket, tickets["printer"]).status != TicketStatus.CLOSED
    assert at.text_area(key="reply_body")  # and the ticket is still open for replies


@pytest.mark.parametrize("which", ["dave", "no such id", "garbage"])
def test_another_customers_ticket_is_not_found_and_shows_none_of_its_text(app_desk, tickets, which):
    ticket = {"dave": tickets["dave"], "no such id": 999_999, "garbage": "'; drop table tickets"}[which]
    at = open_app(app_desk.customer, ticket=ticket)

    assert at.title[0].value == "Ticket not found"
    text = page_text(at)
    assert "Dave" not in text and "12345" not in text and "refund" not in text
    assert not at.text_area and not at.get("download_button")


def test_the_reference_in_the_address_works_too(app_desk, tickets):
    at = open_app(app_desk.customer, ticket="CCR-000002")
    assert at.title[0].value == "CCR-000002"

