"""The administrator's pages. Users and categories run on the SQLite app database like most
page tests; the admin console (canned replies, SLA targets and business hours, settings, agent
skills, the mail outbox) runs on SQLite and PostgreSQL, because its filters, counts and ids
differ by backend. Only administrators get in anywhere here; what they save changes what the
rest of the app does (who signs in, due dates, assignment, queued mail)."""
from __future__ import annotations

import os
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from helpdesk.core.db import session_scope
from helpdesk.enums import OutboxStatus, Priority, Role
from helpdesk.models import AgentSkill, AppSetting, CannedReply, Category, OutboxMessage, SlaPolicy, Ticket, User
from helpdesk.notifications import background
from helpdesk.settings import BusinessHours, get_settings
from helpdesk.sla.clock import targets_for
from helpdesk.tickets.canned_replies import render_canned_reply
from helpdesk.tickets.categories import list_categories
from helpdesk.ui.mail_worker import mail_sender
from tests.factories import add_category, add_user, give_skills, raise_ticket
from tests.page_helpers import (as_read, APP, RUN_TIMEOUT, fill, message_at, messages, open_app, page_text, point_app_at,
                                rerun)
from tests.smtp_server import smtp_server  # noqa: F401

STRONG = "Agent-Secret-42"
CONSOLE_PAGES = {
    "pages/admin/skills.py": "Agent skills",
    "pages/admin/canned_replies.py": "Canned replies",
    "pages/admin/sla.py": "SLA targets",
    "pages/admin/settings.py": "Settings",
    "pages/admin/mail.py": "Mail",
}
# What an agent or customer reads when they open a console page directly.
REFUSALS = {
    "pages/admin/skills.py": "Only administrators can change agent skills.",
    "pages/admin/canned_replies.py": "Only administrators can manage canned replies.",
    "pages/admin/sla.py": "Only administrators can change SLA targets.",
    "pages/admin/settings.py": "Only administrators can change settings.",
    "pages/admin/mail.py": "Only administrators can see the mail outbox.",
}
KNOWN_PLACEHOLDERS = "You can use: {customer_name}, {customer_email}, {agent_name}, {reference}, {subject}."
SMTP_PASSWORD = "Hunter2-Very-Secret-Pw"


@pytest.fixture(autouse=True)
def no_mail_settings(monkeypatch):
    """No SMTP settings from the developer's shell (the secrets file is a missing one, see
    point_app_at), and no background sender unless a test starts one on purpose."""
    for name in list(os.environ):
        if name.startswith("HELPDESK_SMTP_") or name in ("HELPDESK_MAIL_BACKGROUND", "HELPDESK_MAIL_INTERVAL"):
            monkeypatch.delenv(name)
    yield
    background.stop_background_sender()
    mail_sender.clear()


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def outbox_rows(engine) -> list[tuple]:
    with session_scope(engine) as session:
        return [(m.event, m.recipient_email, m.status) for m in
                session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def every_element_text(at: AppTest) -> str:
    """Everything the page sends to the browser: each element's full message, widgets included."""
    parts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def opened_directly(page: str, user: User) -> AppTest:
    """`page` run on its own, not through the navigation (which hides admin pages from others)."""
    at = AppTest.from_file(str(APP.parent / page), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"] = user.id
    at.run()
    assert not at.exception
    return at


# --- the workspace, users and categories (SQLite) ------------------------------------------

def test_staff_land_on_the_queue_with_no_fake_rows(app_desk):
    at = open_app(app_desk.agent)
    assert at.title[0].value == "Queue"
    assert "Nothing is assigned to you right now" in page_text(at)
    assert not at.dataframe  # no fake numbers or rows

    at = open_app(app_desk.admin)
    assert at.title[0].value == "Queue"
    assert "There are no open tickets" in page_text(at)


def test_admin_creates_an_agent_account(app_desk):
    at = open_app(app_desk.admin, page="pages/admin/users.py")
    assert at.title[0].value == "Users"
    at.radio(key="new_user_role").set_value(Role.AGENT)
    fill(at, new_user_name="Alan Agent", new_user_email="alan@example.com", new_user_password=STRONG,
         new_user_password_repeat=STRONG)
    at.button(key="new_user_submit").click()
    rerun(at)

    assert messages(at, "success") == ["Created agent account for alan@example.com."]
    assert at.text_input(key="new_user_email").value == ""  # ready for the next one
    emails = at.dataframe[0].value["E-mail"].tolist()
    assert "alan@example.com" in emails
    with session_scope(app_desk.engine) as session:
        alan = session.scalar(select(User).where(User.email == "alan@example.com"))
        assert (alan.role, alan.is_active) == (Role.AGENT, True)
    # The new agent can use the app.
    assert open_app(alan).title[0].value == "Queue"


def test_creating_a_staff_account_with_bad_input_keeps_it_and_explains(app_desk):
    taken = app_desk.admin.email
    at = open_app(app_desk.admin, page="pages/admin/users.py")
    fill(at, new_user_name="Alan Agent", new_user_email=taken, new_user_password=STRONG,
         new_user_password_repeat="something-else-9")
    at.button(key="new_user_submit").click()
    rerun(at)

    assert message_at(at, "new_user_email") == "An account with this e-mail already exists. Sign in instead."
    assert message_at(at, "new_user_password_repeat") == "The two passwords differ."
    assert message_at(at, "new_user_name") is None
    assert message_at(at, "new_user_password") is None
    assert at.text_input(key="new_user_name").value == "Alan Agent"
    assert at.text_input(key="new_user_email").value == taken
    assert not messages(at, "success")
    with session_scope(app_desk.engine) as session:  # the desk's four people, nobody new
        assert sorted(session.scalars(select(User.email))) == sorted(
            person.email for person in (app_desk.customer, app_desk.agent, app_desk.agent2, app_desk.admin))


def test_admin_deactivates_a_customer_and_the_list_filters(app_desk):
    carla = app_desk.customer
    add_user(app_desk.engine, email="dave@example.com", name="Dave Other")
    at = open_app(app_desk.admin, page="pages/admin/users.py")
    at.text_input(key="users_search").input("carla")
    rerun(at)
    assert at.dataframe[0].value["E-mail"].tolist() == ["carla@example.com"]

    at.button(key="users_toggle").click()
    rerun(at)
    assert "carla@example.com is now inactive." in messages(at, "success")
    # Carla's open session ends at her next click.
    assert open_app(carla).title[0].value == "Customer Care Registry"


def change_role(admin, search: str, role: Role, *, was: Role | None = None):
    """On the Users page: find the one account, choose `role` for it, press Change role."""
    at = open_app(admin, page="pages/admin/users.py")
    at.text_input(key="users_search").input(search)
    rerun(at)
    if was is not None:
        assert at.selectbox(key="users_new_role").value == was  # starts at the account's role
    at.selectbox(key="users_new_role").set_value(role)
    rerun(at)
    at.button(key="users_change_role").click()
    return rerun(at)


def test_admin_makes_an_agent_a_manager_who_then_sees_the_reports(app_desk):
    at = change_role(app_desk.admin, "alex@", Role.MANAGER, was=Role.AGENT)
    assert "alex@support.example.com is now manager." in messages(at, "success")
    assert at.dataframe[0].value["Role"].tolist() == ["Manager"]
    bar = [link.proto.label for link in open_app(app_desk.agent).get("page_link")]
    assert "Analytics" in bar and "Audit log" in bar and "Users" not in bar


def test_a_role_change_that_would_strand_open_tickets_is_explained_at_the_field(app_desk):
    app_desk.raise_ticket(assignee_id=app_desk.agent.id)
    at = change_role(app_desk.admin, "alex@", Role.CUSTOMER)
    assert "Alex Agent still has 1 open ticket; reassign them first." in messages(at, "error")
    assert at.selectbox(key="users_new_role").value == Role.CUSTOMER  # the choice stays
    assert at.dataframe[0].value["Role"].tolist() == ["Agent"]  # nothing changed


def test_an_admin_cannot_change_their_own_role(app_desk):
    at = change_role(app_desk.admin, "ada@", Role.AGENT)
    assert "You can't change your own role; another administrator can." in messages(at, "error")
    assert at.dataframe[0].value["Role"].tolist() == ["Admin"]


@pytest.mark.parametrize("page, refusal", [("pages/admin/users.py", "Only administrators can manage users."),
                                           ("pages/admin/categories.py",
                                            "Only administrators can manage categories.")])
def test_admin_pages_refuse_non_admins_even_when_opened_directly(app_desk, page, refusal):
    """Navigation hides them; the page itself refuses too (defence in depth)."""
    for user in (app_desk.agent, app_desk.customer):
        at = opened_directly(page, user)
        assert messages(at) == [refusal]
        assert app_desk.admin.email not in page_text(at)
        assert not at.dataframe and not at.text_input


def test_admin_creates_renames_and_deactivates_categories(app_db):
    """From an install with no categories at all (so not the shared world, which has Billing)."""
    admin = add_user(app_db, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    at = open_app(admin, page="pages/admin/categories.py")
    assert "No categories yet" in page_text(at)

    for name in ["Billing", "Technical problem"]:
        fill(at, new_category_name=name)
        at.button(key="new_category_submit").click()
        rerun(at)
        assert messages(at, "success") == [f"Added “{name}”."]
        assert at.text_input(key="new_category_name").value == ""

    # A duplicate is refused at the field, and what was typed stays.
    fill(at, new_category_name="billing")
    at.button(key="new_category_submit").click()
    rerun(at)
    assert message_at(at, "new_category_name") == "A category with this name exists already."
    assert at.text_input(key="new_category_name").value == "billing"
    with session_scope(app_db) as session:
        assert sorted(session.scalars(select(Category.name))) == ["Billing", "Technical problem"]

    with session_scope(app_db) as session:
        billing_id = session.scalar(select(Category.id).where(Category.name == "Billing"))
    fill(at, **{f"category_name_{billing_id}": "Billing and invoices"})
    at.button(key=f"category_save_{billing_id}").click()
    rerun(at)
    assert messages(at, "success") == ["Saved “Billing and invoices”."]

    at.checkbox(key=f"category_active_{billing_id}").uncheck()
    at.button(key=f"category_save_{billing_id}").click()
    rerun(at)
    assert "Billing and invoices (inactive)" in [as_read(e.label) for e in at.expander]

    # Customers only choose from active categories.
    with session_scope(app_db) as session:
        assert [c.name for c in list_categories(session=session)] == ["Technical problem"]
    carla = add_user(app_db, email="carla@example.com")
    submit = open_app(carla)
    assert submit.selectbox(key="submit_category").options == ["Technical problem"]


# --- the console: who gets in (SQLite and PostgreSQL from here on) -------------------------

@pytest.mark.parametrize("page, title", CONSOLE_PAGES.items())
def test_each_console_page_opens_on_an_empty_database(served_db, page, title):
    """Only the admin exists: no agents, categories, replies, targets or mail to show."""
    admin = add_user(served_db, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    at = open_app(admin, page=page)
    assert at.title[0].value == title
    assert messages(at) == []


def test_agents_and_customers_neither_see_nor_open_the_admin_console(served_desk):
    served_desk.raise_ticket()
    tables = [CannedReply, SlaPolicy, AppSetting, AgentSkill, OutboxMessage]
    before = [count(served_desk.engine, t) for t in tables]

    for user in (served_desk.agent, served_desk.customer):
        at = open_app(user)
        for page in CONSOLE_PAGES:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)
        for page in CONSOLE_PAGES:  # opened directly, the page refuses by itself
            at = opened_directly(page, user)
            assert messages(at) == [REFUSALS[page]]
            assert not (at.button or at.text_input or at.text_area or at.number_input or at.toggle
                        or at.dataframe or at.selectbox or at.multiselect)
            assert served_desk.customer.email not in page_text(at)
    assert [count(served_desk.engine, t) for t in tables] == before


# --- canned replies ------------------------------------------------------------------------

def test_canned_reply_with_bad_input_is_explained_at_the_fields_kept_and_then_saved(served_desk):
    engine = served_desk.engine
    at = open_app(served_desk.admin, page="pages/admin/canned_replies.py")
    assert "No canned replies yet" in page_text(at)
    fill(at, new_canned_title="   ", new_canned_body="Hello {customer_nme}, thanks!")
    at.button(key="new_canned_submit").click()
    rerun(at)

    assert message_at(at, "new_canned_title") == "Give the reply a title agents will recognise."
    assert message_at(at, "new_canned_body") == f"Unknown placeholder “{{customer_nme}}”. {KNOWN_PLACEHOLDERS}"
    assert at.text_input(key="new_canned_title").value == "   "
    assert at.text_area(key="new_canned_body").value == "Hello {customer_nme}, thanks!"
    assert not messages(at, "success")
    assert count(engine, CannedReply) == 0

    fill(at, new_canned_title="Thanks", new_canned_body="Hello {customer_name}, thanks for {reference}!")
    at.button(key="new_canned_submit").click()
    rerun(at)
    assert messages(at, "success") == ["Added “Thanks”."]
    assert at.text_input(key="new_canned_title").value == ""  # ready for the next one
    assert at.text_area(key="new_canned_body").value == ""
    assert message_at(at, "new_canned_title") is None
    assert [as_read(e.label) for e in at.expander if as_read(e.label) == "Thanks"] == ["Thanks"]
    assert "Hello Carla Customer, thanks for CCR-000042!" in [t.value for t in at.text]  # the preview

    # Agents insert it with the ticket's details filled in: a customer whose name is not the preview's.
    real = add_user(engine, email="carla.real@example.com", name="Carla Real")
    ticket_id = served_desk.raise_ticket(customer=real)
    with session_scope(engine) as session:
        reply_id = session.scalar(select(CannedReply.id))
        agent = session.get(User, served_desk.admin.id)
        assert render_canned_reply(session=session, actor=agent, reply_id=reply_id,
                                   ticket_id=ticket_id) == "Hello Carla Real, thanks for CCR-000001!"


def test_canned_reply_edit_refuses_a_bad_placeholder_and_delete_asks_first(served_desk):
    engine = served_desk.engine
    at = open_app(served_desk.admin, page="pages/admin/canned_replies.py")
    fill(at, new_canned_title="Screenshot", new_canned_body="Please send a screenshot.")
    at.button(key="new_canned_submit").click()
    rerun(at)
    with session_scope(engine) as session:
        reply_id = session.scalar(select(CannedReply.id))

    fill(at, **{f"canned_body_{reply_id}": "Dear {customer.__class__}"})
    at.button(key=f"canned_save_{reply_id}").click()
    rerun(at)
    assert message_at(at, f"canned_body_{reply_id}") == (
        f"Unknown placeholder “{{customer.__class__}}”. {KNOWN_PLACEHOLDERS}")
    assert message_at(at, f"canned_title_{reply_id}") is None
    assert at.text_area(key=f"canned_body_{reply_id}").value == "Dear {customer.__class__}"  # kept to fix
    with session_scope(engine) as session:
        assert session.get(CannedReply, reply_id).body == "Please send a screenshot."

    at.button(key=f"canned_delete_{reply_id}").click()
    rerun(at)
    assert count(engine, CannedReply) == 1  # not before the admin confirms
    at.button(key=f"canned_delete_yes_{reply_id}").click()
    rerun(at)
    assert messages(at, "success") == ["Deleted “Screenshot”."]
    assert count(engine, CannedReply) == 0


# --- SLA targets and business hours --------------------------------------------------------

def due_hours(engine, ticket_id: int) -> tuple[float, float]:
    with session_scope(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        return ((ticket.first_response_due_at - ticket.created_at) / timedelta(hours=1),
                (ticket.resolution_due_at - ticket.created_at) / timedelta(hours=1))


def test_sla_targets_are_validated_and_saved_targets_set_due_dates_of_new_tickets(served_desk):
    engine, raise_normal = served_desk.engine, served_desk.raise_ticket
    before = raise_normal(subject="Raised before the change")
    assert due_hours(engine, before) == (8, 72)  # the built-in normal targets

    at = open_app(served_desk.admin, page="pages/admin/sla.py")
    assert at.number_input(key="sla_first_urgent").value == 1
    at.number_input(key="sla_first_normal").set_value(3)
    at.number_input(key="sla_resolution_normal").set_value(30)
    at.number_input(key="sla_first_high").set_value(10)
    at.number_input(key="sla_resolution_high").set_value(5)  # due before the first response: refused
    at.button(key="sla_save").click()
    rerun(at)

    assert message_at(at, "sla_resolution_high") == (
        "Resolution can't be due before the first response; use at least as many hours.")
    assert message_at(at, "sla_first_high") is None
    assert message_at(at, "sla_resolution_normal") is None
    assert at.number_input(key="sla_resolution_high").value == 5  # what was typed stays
    assert at.number_input(key="sla_first_normal").value == 3
    with session_scope(engine) as session:  # all targets are saved together, or none
        assert [targets_for(session, p) for p in (Priority.NORMAL, Priority.HIGH)] == [(8, 72), (4, 24)]
    assert due_hours(engine, raise_normal(subject="Still default")) == (8, 72)

    at.number_input(key="sla_resolution_high").set_value(40)
    at.button(key="sla_save").click()
    rerun(at)
    assert messages(at, "success") == ["Saved the SLA targets. New tickets get due dates from them."]
    assert message_at(at, "sla_resolution_high") is None
    assert due_hours(engine, raise_normal(subject="After the change")) == (3, 30)
    assert due_hours(engine, before) == (8, 72)  # promises already made stay

    # A fresh visit shows the stored targets; restoring the defaults puts them back.
    at = open_app(served_desk.admin, page="pages/admin/sla.py")
    assert (at.number_input(key="sla_first_high").value, at.number_input(key="sla_resolution_high").value) == (10, 40)
    at.button(key="sla_restore").click()
    rerun(at)
    assert at.number_input(key="sla_first_normal").value == 8
    assert due_hours(engine, raise_normal(subject="Defaults again")) == (8, 72)


def test_business_hours_are_validated_at_the_fields_and_saved(served_desk):
    engine = served_desk.engine
    at = open_app(served_desk.admin, page="pages/admin/sla.py")
    assert at.toggle(key="business_hours_on").value is False
    at.toggle(key="business_hours_on").set_value(True)
    at.time_input(key="business_hours_start").set_value(time(18, 0))
    at.time_input(key="business_hours_end").set_value(time(8, 0))
    at.multiselect(key="business_hours_days").set_value([])
    at.button(key="business_hours_save").click()
    rerun(at)
    assert message_at(at, "business_hours_end") == "The working day must end after it starts."
    assert message_at(at, "business_hours_days") == "Choose at least one working day."
    assert (at.time_input(key="business_hours_start").value, at.time_input(key="business_hours_end").value) == (
        time(18, 0), time(8, 0))  # what was chosen stays, to be corrected
    assert at.toggle(key="business_hours_on").value is True
    assert not messages(at, "success")
    with session_scope(engine) as session:
        assert get_settings(session=session).business_hours is None

    at.time_input(key="business_hours_start").set_value(time(8, 0))
    at.time_input(key="business_hours_end").set_value(time(16, 30))
    at.multiselect(key="business_hours_days").set_value([0, 1, 2, 3])
    at.selectbox(key="business_hours_zone").set_value("Europe/Amsterdam")
    at.button(key="business_hours_save").click()
    rerun(at)
    assert messages(at, "success") == ["Saved the business hours."]
    with session_scope(engine) as session:
        assert get_settings(session=session).business_hours == BusinessHours(
            start=time(8, 0), end=time(16, 30), weekdays=frozenset({0, 1, 2, 3}), timezone="Europe/Amsterdam")

    at = open_app(served_desk.admin, page="pages/admin/sla.py")  # a later visit shows what is stored
    assert at.multiselect(key="business_hours_days").value == [0, 1, 2, 3]
    at.toggle(key="business_hours_on").set_value(False)
    at.button(key="business_hours_save").click()
    rerun(at)
    with session_scope(engine) as session:
        assert get_settings(session=session).business_hours is None


# --- settings and skills -------------------------------------------------------------------

def test_settings_persist_and_switching_auto_assignment_off_leaves_new_tickets_unassigned(served_desk):
    engine, alex = served_desk.engine, served_desk.agent
    give_skills(engine, alex, served_desk.category)  # the only agent who handles Billing

    at = open_app(served_desk.admin, page="pages/admin/settings.py")
    assert at.toggle(key="settings_auto_assign").value is True
    assert at.number_input(key="settings_auto_close_days").value == 7
    at.toggle(key="settings_auto_assign").set_value(False)
    at.number_input(key="settings_auto_close_days").set_value(14)
    at.button(key="settings_save").click()
    rerun(at)
    assert messages(at, "success") == ["Saved the settings."]

    with session_scope(engine) as session:
        saved = get_settings(session=session)
        assert (saved.auto_assign, saved.auto_close_days) == (False, 14)
    at = open_app(served_desk.admin, page="pages/admin/settings.py")
    assert at.toggle(key="settings_auto_assign").value is False
    assert at.number_input(key="settings_auto_close_days").value == 14

    ticket_id = served_desk.raise_ticket(subject="Nobody picks this automatically")
    assert served_desk.ticket(ticket_id).assignee_id is None

    at.toggle(key="settings_auto_assign").set_value(True)
    at.button(key="settings_save").click()
    rerun(at)
    ticket_id = served_desk.raise_ticket(subject="Alex gets this one")
    assert served_desk.ticket(ticket_id).assignee_id == alex.id


def test_agent_skills_are_saved_and_new_tickets_go_to_the_agent_who_handles_the_category(served_desk):
    engine, alex, billing = served_desk.engine, served_desk.agent, served_desk.category
    add_category(engine, "Technical problem")

    at = open_app(served_desk.admin, page="pages/admin/skills.py")
    assert "Nobody handles “Billing”, “Technical problem”" in messages(at, "warning")[0]
    at.selectbox(key="skills_agent").select(alex.id)
    rerun(at)
    at.multiselect(key=f"skills_categories_{alex.id}").set_value([billing.id])
    at.button(key="skills_save").click()
    rerun(at)

    assert messages(at, "success") == ["Saved the skills of Alex Agent."]
    with session_scope(engine) as session:
        assert session.scalars(select(AgentSkill.category_id).where(AgentSkill.agent_id == alex.id)).all() == [
            billing.id]
    table = at.dataframe[0].value
    assert dict(zip(table["Name"], table["Handles"]))["Alex Agent"] == "Billing"
    assert "Nobody handles “Technical problem”" in messages(at, "warning")[0]

    ticket_id = served_desk.raise_ticket()
    assert served_desk.ticket(ticket_id).assignee_id == alex.id

    # Taking every category away is allowed too: Alex is then never picked automatically.
    at.multiselect(key=f"skills_categories_{alex.id}").set_value([])
    at.button(key="skills_save").click()
    rerun(at)
    assert count(engine, AgentSkill) == 0


# --- mail ----------------------------------------------------------------------------------

def add_outbox_row(engine, *, status=OutboxStatus.PENDING, to="someone@example.com", subject="A mail",
                   error: str | None = None, attempts: int = 0) -> int:
    with session_scope(engine) as session:
        row = OutboxMessage(event="test", recipient_email=to, subject=subject, text_body="Hello", html_body="<p>Hello</p>",
                            status=status, last_error=error, attempts=attempts)
        session.add(row)
        session.flush()
        return row.id


def desk_without_agents(engine, ticket_subject: str) -> User:
    """Ada the admin, and Carla with one ticket in Billing; returns Ada. No agents, unlike the shared
    world: its two agents would be mailed about the new ticket too, and these tests expect one mail."""
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    carla = add_user(engine, email="carla@example.com", name="Carla Customer")
    raise_ticket(engine, customer=carla, category=add_category(engine, "Billing"), subject=ticket_subject)
    return admin


def test_mail_page_says_mail_is_not_configured_and_how_to_configure_it(served_desk):
    at = open_app(served_desk.admin, page="pages/admin/mail.py")
    assert "Mail is not configured" in messages(at, "warning")[0]
    assert "[smtp]" in at.code[0].value and "HELPDESK_SMTP_HOST" in page_text(at)
    assert [m.value for m in at.metric] == ["0", "0", "0", "0"]
    assert "The outbox is empty" in page_text(at)


def test_outbox_lists_the_mail_a_new_ticket_queued(served_db):
    admin = desk_without_agents(served_db, "Printer on fire")

    at = open_app(admin, page="pages/admin/mail.py")
    rows = at.dataframe[0].value.to_dict("records")
    assert [(r["To"], r["Status"], r["Ticket"]) for r in rows] == [("carla@example.com", "pending", "CCR-000001")]
    assert "[CCR-000001]" in rows[0]["Subject"] and "Printer on fire" in rows[0]["Subject"]
    assert rows[0]["Kind"] == "Ticket created (to the customer)"
    assert at.metric[0].label == "Pending" and at.metric[0].value == "1"


def test_outbox_filters_and_pages(served_desk):
    engine = served_desk.engine
    for n in range(30):
        add_outbox_row(engine, to=f"user{n}@example.com", subject=f"Mail {n}")
    add_outbox_row(engine, status=OutboxStatus.FAILED, to="bounce@example.net", error="550 no such user")

    at = open_app(served_desk.admin, page="pages/admin/mail.py")
    assert len(at.dataframe[0].value) == 25
    assert "31 mails, newest first" in page_text(at)
    at.number_input(key="outbox_page").set_value(2)
    rerun(at)
    assert at.dataframe[0].value["Subject"].tolist() == [f"Mail {n}" for n in range(5, -1, -1)]

    at.selectbox(key="outbox_status").select(OutboxStatus.FAILED)
    rerun(at)
    assert at.dataframe[0].value["To"].tolist() == ["bounce@example.net"]
    at.selectbox(key="outbox_status").select(None)
    at.text_input(key="outbox_recipient").input("user1")
    rerun(at)
    assert len(at.dataframe[0].value) == 11  # user1, user10..user19
    at.text_input(key="outbox_ticket").input("not a ticket")
    rerun(at)
    assert message_at(at, "outbox_ticket") == "Enter a reference like CCR-000042."
    at.text_input(key="outbox_ticket").input("CCR-99999999999")  # beyond any id: no rows, no crash
    rerun(at)
    assert not at.dataframe and "No mail matches these filters." in page_text(at)


def test_a_failed_mail_shows_its_error_and_retrying_queues_it_again(served_desk):
    engine = served_desk.engine
    add_outbox_row(engine, subject="Fine")
    failed = add_outbox_row(engine, status=OutboxStatus.FAILED, to="bounce@example.net", attempts=8,
                            error="550 5.1.1 <bounce@example.net>: Recipient address rejected")
    other = add_outbox_row(engine, status=OutboxStatus.FAILED, to="gone@example.net", attempts=8, error="timed out")

    at = open_app(served_desk.admin, page="pages/admin/mail.py")
    assert at.metric[3].label == "Failed" and at.metric[3].value == "2"
    at.selectbox(key="outbox_pick").select(failed)
    rerun(at)
    assert "550 5.1.1 <bounce@example.net>: Recipient address rejected" in [t.value for t in at.text]
    at.button(key="outbox_retry").click()
    rerun(at)
    assert messages(at, "success") == [f"Mail #{failed} is queued again."]
    with session_scope(engine) as session:
        row = session.get(OutboxMessage, failed)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
        assert session.get(OutboxMessage, other).status == OutboxStatus.FAILED

    assert at.button(key="outbox_retry_all").label == "Retry all 1 failed mail"
    at.button(key="outbox_retry_all").click()
    rerun(at)
    assert messages(at, "success") == ["1 failed mail is queued again."]
    assert {status for _e, _to, status in outbox_rows(engine)} == {OutboxStatus.PENDING}
    assert not [b for b in at.button if b.key in ("outbox_retry_all", "outbox_retry")]


def test_test_mail_is_queued_for_a_valid_address_and_refused_at_the_field_otherwise(served_desk):
    engine = served_desk.engine
    at = open_app(served_desk.admin, page="pages/admin/mail.py")
    fill(at, test_mail_to="not-an-address")
    at.button(key="test_mail_submit").click()
    rerun(at)
    assert message_at(at, "test_mail_to") == "Enter a valid e-mail address, like name@example.com. An email address must have an @-sign."
    assert at.text_input(key="test_mail_to").value == "not-an-address"
    assert outbox_rows(engine) == []

    fill(at, test_mail_to="Ops@Example.com")
    at.button(key="test_mail_submit").click()
    rerun(at)
    assert messages(at, "success") == ["Test mail to ops@example.com is queued; it appears in the outbox above "
                                       "and is sent once mail is configured."]
    assert at.text_input(key="test_mail_to").value == ""
    assert outbox_rows(engine) == [("test", "ops@example.com", OutboxStatus.PENDING)]
    assert at.dataframe[0].value["Kind"].tolist() == ["Test mail"]

    fill(at, test_mail_to="")  # empty: to the admin
    at.button(key="test_mail_submit").click()
    rerun(at)
    assert outbox_rows(engine)[-1] == ("test", served_desk.admin.email, OutboxStatus.PENDING)


def test_the_smtp_password_never_appears_on_the_mail_page(served_desk, monkeypatch):
    monkeypatch.setenv("HELPDESK_MAIL_BACKGROUND", "0")  # nothing is to be sent to this made-up server
    monkeypatch.setenv("HELPDESK_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("HELPDESK_SMTP_PORT", "2525")
    monkeypatch.setenv("HELPDESK_SMTP_USER", "helpdesk@example.com")
    monkeypatch.setenv("HELPDESK_SMTP_PASSWORD", SMTP_PASSWORD)
    add_outbox_row(served_desk.engine, status=OutboxStatus.FAILED, error="535 authentication failed")

    at = open_app(served_desk.admin, page="pages/admin/mail.py")
    assert messages(at, "success") == [
        "Mail goes through smtp.example.com:2525 (starttls) as helpdesk@example.com, from helpdesk@example.com."]
    assert "run `python -m helpdesk notify --loop`" in page_text(at)
    fill(at, test_mail_to="ops@example.com")
    at.button(key="test_mail_submit").click()
    rerun(at)
    assert any("is sent shortly" in m for m in messages(at, "success"))  # (beside its button: see below)
    text = every_element_text(at)
    assert "smtp.example.com" in text  # the walk does see the page
    assert SMTP_PASSWORD not in text
    assert SMTP_PASSWORD not in repr({key: at.session_state[key] for key in at.session_state})


def test_the_app_starts_one_background_sender_that_delivers_queued_mail(served_db, smtp_server,  # noqa: F811
                                                                       monkeypatch):
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    admin = desk_without_agents(served_db, "Printer on fire")

    try:
        at = open_app(admin, page="pages/admin/mail.py")
        assert "sends queued mail in the background" in page_text(at)
        sender = mail_sender()
        assert sender is not None and sender.is_alive()
        assert [m.to for m in smtp_server.wait_for(1)] == ["carla@example.com"]  # off the request path
        open_app(admin)
        assert mail_sender() is sender  # one per process, however many page runs
    finally:
        background.stop_background_sender()  # before the database goes away


def test_every_sla_box_says_which_priority_and_target_it_is(served_desk):
    """Issue 9, item 16: on a phone the grid's header row scrolled away and left two unlabelled
    number boxes per priority; each box now carries its own label."""
    at = open_app(served_desk.admin, page="pages/admin/sla.py")
    labels = {box.key: box.label for box in at.number_input}
    for priority in ("low", "normal", "high", "urgent"):
        name = priority.capitalize()
        assert labels[f"sla_first_{priority}"] == f"{name}: first response within (hours)"
        assert labels[f"sla_resolution_{priority}"] == f"{name}: resolved within (hours)"
    assert all(box.proto.label_visibility.value == 0 for box in at.number_input)  # shown, not collapsed


def test_the_test_mail_notice_shows_beside_its_button(served_desk):
    """Issue 9, item 17: the "test mail queued" notice appeared 2,000 px above the button."""
    at = open_app(served_desk.admin, page="pages/admin/mail.py")
    fill(at, test_mail_to="ops@example.com")
    at.button(key="test_mail_submit").click()
    rerun(at)
    body = list(at.main.children.values())
    heading = next(i for i, e in enumerate(body) if getattr(e, "type", None) == "markdown"
                   and "Send a test mail" in str(e.value))
    assert getattr(body[heading + 1], "type", None) == "success"
    assert "Test mail to ops@example.com is queued" in as_read(body[heading + 1].value)


def test_the_mail_page_never_shows_a_working_rating_link(app_desk):
    """A rating link lets whoever holds it rate as the customer: an administrator reading the
    resolved mail sees that there was one, not the link itself."""
    from helpdesk.enums import TicketStatus
    from helpdesk.tickets import staff
    ticket_id = app_desk.raise_ticket()
    app_desk.act(app_desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Refunded.",
                 new_status=TicketStatus.RESOLVED)
    with session_scope(app_desk.engine) as session:
        resolved = session.scalars(select(OutboxMessage).where(OutboxMessage.text_body.contains("/rate?token="))).one()
        token_part = resolved.text_body.split("/rate?token=")[1].split()[0]
        mail_id = resolved.id
    at = open_app(app_desk.admin, page="pages/admin/mail.py")
    at.selectbox(key="outbox_pick").select(mail_id)
    rerun(at)
    shown = "\n".join(str(t.value) for t in at.text) + page_text(at)
    assert "/rate?token=" in shown and "(hidden: it lets anyone rate as the customer)" in shown
    assert token_part not in shown
