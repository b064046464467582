"""Ids from outside (an address, a form, a crafted request) that no row can have get the same
clear answer as a missing row: never an OverflowError or a database error (issue 9, item 5).
On SQLite and PostgreSQL, where integers stop at 2**63 - 1."""
from __future__ import annotations

import pytest

from helpdesk.accounts import users as accounts_users
from helpdesk.core.errors import ServiceError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import parse_reference
from helpdesk.notifications import outbox_admin
from helpdesk.tickets import assignment, attachments, bulk, canned_replies, categories, customer, staff

HUGE_IDS = [2**63, 2**63 - 1 + 2**10, 10**30, -(2**63) - 1, 0, -1]


def calls(desk, big: int):
    """Every service that takes an id from outside, with `big` as that id (one at a time)."""
    real_ticket = desk.raise_ticket()
    ticket = dict(ticket_id=big)
    return {
        "get_ticket": (customer.get_ticket, ticket),
        "get_ticket_details": (customer.get_ticket_details, ticket),
        "get_conversation": (customer.get_conversation, ticket),
        "get_history": (customer.get_history, ticket),
        "get_ticket_attachments": (customer.get_ticket_attachments, ticket),
        "add_customer_reply": (customer.add_customer_reply, dict(ticket_id=big, body="Hello")),
        "close_ticket": (customer.close_ticket, ticket),
        "reopen_ticket": (customer.reopen_ticket, ticket),
        "add_agent_reply": (staff.add_agent_reply, dict(ticket_id=big, body="Hello")),
        "add_internal_note": (staff.add_internal_note, dict(ticket_id=big, body="Hello")),
        "update_ticket": (staff.update_ticket, dict(ticket_id=big, priority=Priority.HIGH)),
        "update_ticket category": (staff.update_ticket, dict(ticket_id=real_ticket, category_id=big)),
        "update_ticket assignee": (staff.update_ticket, dict(ticket_id=real_ticket, assignee_id=big)),
        "change_status": (staff.change_status, dict(ticket_id=big, status=TicketStatus.OPEN)),
        "change_priority": (staff.change_priority, dict(ticket_id=big, priority=Priority.HIGH)),
        "change_category": (staff.change_category, dict(ticket_id=big, category_id=desk.category.id)),
        "change_category to": (staff.change_category, dict(ticket_id=real_ticket, category_id=big)),
        "customer_ticket_history": (staff.customer_ticket_history, ticket),
        "assign_ticket": (assignment.assign_ticket, dict(ticket_id=big, assignee_id=desk.agent.id)),
        "assign_ticket to": (assignment.assign_ticket, dict(ticket_id=real_ticket, assignee_id=big)),
        "claim_ticket": (assignment.claim_ticket, ticket),
        "set_agent_skills": (assignment.set_agent_skills, dict(agent_id=big, category_ids=[])),
        "set_agent_skills category": (assignment.set_agent_skills, dict(agent_id=desk.agent.id, category_ids=[big])),
        "bulk_update": (bulk.bulk_update, dict(ticket_ids=[big], status=TicketStatus.OPEN)),
        "get_attachment": (attachments.get_attachment, dict(attachment_id=big)),
        "update_category": (categories.update_category, dict(category_id=big, name="X", description="", is_active=True)),
        "update_canned_reply": (canned_replies.update_canned_reply, dict(reply_id=big, title="T", body="B")),
        "delete_canned_reply": (canned_replies.delete_canned_reply, dict(reply_id=big)),
        "render_canned_reply": (canned_replies.render_canned_reply, dict(reply_id=big, ticket_id=real_ticket)),
        "get_outbox_message": (outbox_admin.get_outbox_message, dict(message_id=big)),
        "retry_failed": (outbox_admin.retry_failed, dict(message_id=big)),
        "set_user_active": (accounts_users.set_user_active, dict(user_id=big, active=False)),
    }




@pytest.mark.parametrize("big", HUGE_IDS, ids=str)
def test_every_service_answers_an_impossible_id_with_a_clear_message(desk, big):
    failures = []
    for name, (service, arguments) in calls(desk, big).items():
        try:
            desk.act(desk.admin, service, **arguments)
        except ServiceError as exc:
            assert str(exc), f"{name}: an empty message"
        except Exception as exc:  # noqa: BLE001  (what the test is looking for)
            failures.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
        else:
            if name == "bulk_update":
                continue  # an id that matches nothing changes nothing; checked below
            failures.append(f"{name}: accepted")
    assert not failures, "\n".join(failures)


def test_an_impossible_id_changes_nothing_in_bulk(desk):
    result = desk.act(desk.admin, bulk.bulk_update, ticket_ids=[2**63], status=TicketStatus.OPEN)
    assert result.updated == [] and result.skipped == {2**63: "No such ticket."}


def test_get_active_user_with_an_impossible_id_is_nobody(desk):
    assert desk.act(desk.admin, lambda session, actor, **_: accounts_users.get_active_user(
        session=session, user_id=2**63)) is None


@pytest.mark.parametrize("text", ["²", "CCR-²", "#¹²", "٣", "0", "-5", "1" * 13, "CCR-0000000000042x", "\x00"])
def test_references_that_are_not_plain_digits_are_no_reference(text):
    assert parse_reference(text) is None


@pytest.mark.parametrize("text,number", [("42", 42), ("CCR-000042", 42), ("ccr-42", 42), ("#42", 42), (" 7 ", 7),
                                         ("999999999999", 999_999_999_999)])
def test_references_people_type_still_work(text, number):
    assert parse_reference(text) == number
