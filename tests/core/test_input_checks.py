"""Invisible control characters and malformed addresses are refused at the field, with a
message that says what to do, and nothing is written (issue 9, item 6). On SQLite and PostgreSQL.

NUL breaks searches and some drivers; bidirectional overrides (U+202E) make a name or a file
name read differently from what it is ("invoice‮fdp.exe" shows as "invoiceexe.pdf")."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.accounts import profile, users as accounts_users
from helpdesk.accounts.users import NewAccount
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Role
from helpdesk.models import CannedReply, Category, OutboxMessage, Ticket, TicketMessage, User
from helpdesk.notifications import outbox_admin
from helpdesk.tickets import canned_replies, categories, customer, staff
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.customer import TicketDraft

RLO = "\u202e"  # right-to-left override
INVISIBLE = "Remove the invisible control character ({}); it may have come in with pasted text."
PASSWORD = "Blue-Kettle-2024"


def rows(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def refused(desk, person, service, model, **arguments) -> dict[str, str]:
    """The field errors of a refused call; and nothing of `model` was written."""
    before = rows(desk.engine, model)
    with pytest.raises(ValidationError) as refusal:
        desk.act(person, service, **arguments)
    assert rows(desk.engine, model) == before
    return refusal.value.field_errors


def sign_up(desk, **fields) -> dict[str, str]:
    values = dict(name="Émile Zola", email="emile@example.com", password=PASSWORD, password_repeat=PASSWORD)
    values.update(fields)
    before = rows(desk.engine, User)
    with pytest.raises(ValidationError) as refusal, session_scope(desk.engine) as session:
        accounts_users.sign_up(session=session, data=NewAccount(**values))
    assert rows(desk.engine, User) == before
    return refusal.value.field_errors


@pytest.mark.parametrize("name,code", [("Carla\x00", "U+0000"), (f"Carla {RLO}nimda", "U+202E"),
                                       ("Carla\x1b[31m", "U+001B")])
def test_a_name_with_an_invisible_character_is_refused_at_the_name(desk, name, code):
    assert sign_up(desk, name=name) == {"name": INVISIBLE.format(code)}
    assert refused(desk, desk.customer, profile.update_profile, User, name=name, wants_optional_email=True) == {
        "name": INVISIBLE.format(code)}
    with session_scope(desk.engine) as session:
        assert session.get(User, desk.customer.id).name == "Carla Customer"


@pytest.mark.parametrize("email,why", [
    ("![p](http://host/x.png)@x.io", "invalid characters before the @-sign"),
    ("bad address@example.com", "invalid characters before the @-sign: SPACE"),
    ("carla@example", "It should have a period"),
    ("a" * 243 + "@example.com", "too long"),  # 255 characters
    (f"carla{RLO}@example.com", "U+202E"),
    ("carla\x00@example.com", "U+0000"),
])
def test_a_malformed_email_is_refused_at_the_email_with_the_reason(desk, email, why):
    errors = sign_up(desk, email=email)
    assert list(errors) == ["email"] and why in errors["email"]
    errors = refused(desk, desk.admin, accounts_users.create_user, User, role=Role.AGENT, data=NewAccount(
        name="Dora Agent", email=email, password=PASSWORD, password_repeat=PASSWORD))
    assert list(errors) == ["email"] and why in errors["email"]
    errors = refused(desk, desk.admin, outbox_admin.enqueue_test_mail, OutboxMessage, to_email=email)
    assert list(errors) == ["to_email"] and why in errors["to_email"]


def test_a_good_address_is_stored_trimmed_and_lowercased(desk):
    with session_scope(desk.engine) as session:
        user = accounts_users.sign_up(session=session, data=NewAccount(
            name="Émile Zola", email="  Emile.Zola@Example.COM ", password=PASSWORD, password_repeat=PASSWORD))
        assert user.email == "emile.zola@example.com"


def draft(desk, **fields) -> TicketDraft:
    values = dict(category_id=desk.category.id, priority="normal", subject="Charged twice",
                  description="My invoice shows the plan twice.")
    values.update(fields)
    return TicketDraft(**values)


def test_a_subject_or_description_with_invisible_characters_is_refused_at_its_field(desk):
    errors = refused(desk, desk.customer, customer.create_ticket, Ticket,
                     data=draft(desk, subject=f"Refund {RLO}won", description="Line one\x00"))
    assert errors == {"subject": INVISIBLE.format("U+202E"), "description": INVISIBLE.format("U+0000")}


def test_line_breaks_and_tabs_in_a_description_or_reply_are_fine(desk):
    ticket_id = desk.act(desk.customer, customer.create_ticket,
                         data=draft(desk, description="Line one\n\tLine two\r\nLine three")).id
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Hello\n\nThanks")
    assert "Line two" in desk.ticket(ticket_id).description


def test_a_reply_with_invisible_characters_is_refused_at_the_body(desk):
    ticket_id = desk.raise_ticket()
    for person, service in ((desk.customer, customer.add_customer_reply), (desk.agent, staff.add_agent_reply)):
        assert refused(desk, person, service, TicketMessage, ticket_id=ticket_id, body="ok\x00") == {
            "body": INVISIBLE.format("U+0000")}


@pytest.mark.parametrize("filename,code", [(f"invoice{RLO}fdp.txt", "U+202E"), ("inv\x00oice.txt", "U+0000")])
def test_a_file_name_with_invisible_characters_is_refused_not_silently_renamed(desk, filename, code):
    errors = refused(desk, desk.customer, customer.create_ticket, Ticket, data=draft(
        desk, attachments=[UploadedFile(filename, b"plan 49.00\n")]))
    assert list(errors) == ["attachments"]
    assert f"has an invisible control character ({code}) in its name" in errors["attachments"]
    assert "Rename it and attach it again." in errors["attachments"]


def test_category_names_and_canned_reply_titles_are_checked_too(desk):
    assert refused(desk, desk.admin, categories.create_category, Category, name="Bill\x00ing 2") == {
        "name": INVISIBLE.format("U+0000")}
    errors = refused(desk, desk.admin, canned_replies.create_canned_reply, CannedReply,
                     title=f"Refund {RLO}", body="We refunded you.")
    assert errors == {"title": INVISIBLE.format("U+202E")}
