"""Pages for getting in: first-admin setup, sign-up, sign-in (with throttling), sign-out,
and which pages each role can reach."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import User
from tests.factories import TEST_PASSWORD, add_category, add_user
from tests.page_helpers import as_read, fill, message_at, messages, open_app, page_text, rerun, signed_in_line

STRONG = "Very-Secret-42"
# What a person reads; written out here so a changed message in the service fails these tests.
SIGN_IN_FAILED = "That e-mail and password don't match an account."


def wait_message(words: str) -> str:
    return f"Too many failed sign-ins. Try again in {words}."


def user_count(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(User))


def test_first_visit_to_an_empty_install_asks_for_the_administrator(app_db):
    at = open_app()

    assert at.title[0].value == "Welcome to Customer Care Registry"
    assert at.button(key="setup_submit").label == "Create administrator"
    # Nothing else is reachable before the administrator exists.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/account/sign_in.py")


def test_setup_with_bad_input_shows_messages_at_the_fields_keeps_the_input_and_creates_nothing(app_db):
    at = open_app()
    fill(at, setup_name="Ada Admin", setup_email="not-an-address", setup_password="short",
         setup_password_repeat="different")
    at.button(key="setup_submit").click()
    rerun(at)

    assert message_at(at, "setup_email") == "Enter a valid e-mail address, like name@example.com. An email address must have an @-sign."
    assert message_at(at, "setup_password") == "Use at least 10 characters."
    assert message_at(at, "setup_name") is None
    assert message_at(at, "setup_password_repeat") is None  # the weak password is the one to fix first
    assert at.text_input(key="setup_name").value == "Ada Admin"
    assert at.text_input(key="setup_email").value == "not-an-address"
    assert at.text_input(key="setup_password").value == "short"
    assert user_count(app_db) == 0
    assert at.title[0].value == "Welcome to Customer Care Registry"


def test_setup_creates_the_administrator_and_signs_them_in(app_db):
    at = open_app()
    fill(at, setup_name="Ada Admin", setup_email="ada@example.com", setup_password=STRONG,
         setup_password_repeat=STRONG)
    at.button(key="setup_submit").click()
    rerun(at)

    with session_scope(app_db) as session:
        admin = session.scalar(select(User))
        assert (admin.email, admin.role) == ("ada@example.com", Role.ADMIN)
        assert admin.password_hash.startswith("$argon2id$")
    # The next visit is the admin's workspace (the queue), and setup is gone for good.
    at = open_app(admin)
    assert at.title[0].value == "Queue"
    assert open_app().title[0].value == "Customer Care Registry"


def test_sign_up_errors_are_shown_per_field_and_nothing_is_created(app_db):
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    add_user(app_db, email="taken@example.com")
    at = open_app(page="pages/account/sign_up.py")
    fill(at, sign_up_name="", sign_up_email="taken@example.com", sign_up_password="password",
         sign_up_password_repeat="password")
    at.button(key="sign_up_submit").click()
    rerun(at)

    assert message_at(at, "sign_up_name") == "Enter your name."
    assert message_at(at, "sign_up_email") == "An account with this e-mail already exists. Sign in instead."
    assert message_at(at, "sign_up_password") == "Use at least 10 characters."  # "password" is 8
    assert message_at(at, "sign_up_password_repeat") is None
    assert at.text_input(key="sign_up_email").value == "taken@example.com"
    assert at.text_input(key="sign_up_password").value == "password"
    assert user_count(app_db) == 2

    fill(at, sign_up_name="Carla", sign_up_email="carla@example.com", sign_up_password=STRONG,
         sign_up_password_repeat=STRONG + "x")
    at.button(key="sign_up_submit").click()
    rerun(at)
    assert message_at(at, "sign_up_password_repeat") == "The two passwords differ."
    assert message_at(at, "sign_up_email") is None
    assert message_at(at, "sign_up_name") is None
    assert message_at(at, "sign_up_password") is None
    assert at.text_input(key="sign_up_name").value == "Carla"
    assert at.text_input(key="sign_up_email").value == "carla@example.com"
    assert user_count(app_db) == 2


@pytest.mark.parametrize(("password", "why"), [
    ("password123", "This is one of the most common passwords."),
    ("AdaLovelace2026", "This password is built from your name or e-mail address."),
])
def test_sign_up_says_at_the_password_field_why_a_guessable_password_is_refused(app_db, password, why):
    add_user(app_db, email="admin@example.com", role=Role.ADMIN)
    at = open_app(page="pages/account/sign_up.py")
    fill(at, sign_up_name="Ada Lovelace", sign_up_email="ada.lovelace@example.com", sign_up_password=password,
         sign_up_password_repeat=password)
    at.button(key="sign_up_submit").click()
    rerun(at)

    assert message_at(at, "sign_up_password") == f"{why} Add another word or two. Uncommon words are better."
    assert [message_at(at, key) for key in ("sign_up_name", "sign_up_email", "sign_up_password_repeat")] == [None] * 3
    assert at.text_input(key="sign_up_password").value == password  # nothing to type again but the password
    assert user_count(app_db) == 1


def test_sign_up_creates_a_customer_who_lands_on_submit_a_ticket(app_db):
    """Not the shared world: Carla signs up here, so she must not exist yet."""
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    add_category(app_db, "Billing")
    at = open_app(page="pages/account/sign_up.py")
    fill(at, sign_up_name="Carla Customer", sign_up_email="Carla@Example.com", sign_up_password=STRONG,
         sign_up_password_repeat=STRONG)
    at.button(key="sign_up_submit").click()
    rerun(at)

    user_id = at.session_state["user_id"]
    with session_scope(app_db) as session:
        carla = session.get(User, user_id)
        assert (carla.email, carla.role) == ("carla@example.com", Role.CUSTOMER)
    at = open_app(user_id)
    assert at.title[0].value == "Submit a ticket"
    assert "Signed in as **Carla Customer** (customer)" in signed_in_line(at)


def test_wrong_password_and_unknown_email_read_exactly_the_same(app_desk):
    at = open_app()
    fill(at, sign_in_email=app_desk.customer.email, sign_in_password="Wrong-Password-1")
    at.button(key="sign_in_submit").click()
    rerun(at)
    wrong_password = messages(at)

    at = open_app()
    fill(at, sign_in_email="nobody@example.com", sign_in_password="Wrong-Password-1")
    at.button(key="sign_in_submit").click()
    rerun(at)
    unknown_email = messages(at)

    assert wrong_password == unknown_email == [SIGN_IN_FAILED]
    assert "user_id" not in at.session_state
    assert at.text_input(key="sign_in_email").value == "nobody@example.com"  # no retyping the address


def test_sign_in_with_the_right_password_opens_the_customer_pages(app_desk):
    carla = app_desk.customer  # carla@example.com, typed below as people do
    at = open_app()
    fill(at, sign_in_email=" CARLA@example.com ", sign_in_password=TEST_PASSWORD)
    at.button(key="sign_in_submit").click()
    rerun(at)

    assert at.session_state["user_id"] == carla.id
    assert not messages(at)
    assert open_app(carla).title[0].value == "Submit a ticket"


def sign_in_once(email: str, password: str):
    """One sign-in in a new browser session (the counts are in the database, not the session)."""
    at = open_app()
    fill(at, sign_in_email=email, sign_in_password=password)
    at.button(key="sign_in_submit").click()
    return rerun(at)


def test_after_four_failures_even_the_right_password_waits_two_seconds_then_signs_in(app_desk, clock):
    email = app_desk.customer.email
    for _ in range(4):
        assert messages(sign_in_once(email, "Wrong-Password-1")) == [SIGN_IN_FAILED]
    refused = sign_in_once(email, TEST_PASSWORD)
    assert messages(refused) == [wait_message("2 seconds")]
    assert "user_id" not in refused.session_state
    clock.advance(seconds=2)
    assert sign_in_once(email, TEST_PASSWORD).session_state["user_id"] == app_desk.customer.id


def test_the_page_throttles_the_client_by_its_ip_address(app_desk, clock, monkeypatch):
    """The page hands the throttle st.context.ip_address: with that client's free failures made
    none, one failure on some address makes another address, from the same client, wait."""
    from streamlit.runtime.context import ContextProxy

    from helpdesk.accounts import throttle

    monkeypatch.setattr(ContextProxy, "ip_address", property(lambda _self: "203.0.113.7"))
    monkeypatch.setattr(throttle, "CLIENT", throttle.Rule("client", free_failures=0))
    assert messages(sign_in_once("someone.else@example.com", "Wrong-Password-1")) == [SIGN_IN_FAILED]
    assert messages(sign_in_once(app_desk.customer.email, TEST_PASSWORD)) == [wait_message("2 seconds")]


def test_sign_out_forgets_the_user(app_desk):
    at = open_app(app_desk.customer)
    at.button(key="sign_out").click()
    rerun(at)

    assert "user_id" not in at.session_state
    assert at.title[0].value == "Customer Care Registry"
    assert at.button(key="sign_in_submit")


def test_a_deactivated_account_is_signed_out_on_its_next_click(app_desk):
    carla = app_desk.customer
    with session_scope(app_desk.engine) as session:
        session.get(User, carla.id).is_active = False

    at = open_app(carla)
    assert at.title[0].value == "Customer Care Registry"
    assert "user_id" not in at.session_state


@pytest.mark.parametrize("role, reachable, unreachable", [
    (Role.CUSTOMER, ["pages/customer/submit_ticket.py", "pages/customer/my_tickets.py", "pages/customer/ticket.py"],
     ["pages/admin/users.py", "pages/admin/categories.py", "pages/agent/queue.py", "pages/agent/ticket.py",
      "pages/account/setup.py"]),
    (Role.AGENT, ["pages/agent/queue.py", "pages/agent/ticket.py"],
     ["pages/admin/users.py", "pages/admin/categories.py", "pages/customer/submit_ticket.py", "pages/customer/my_tickets.py"]),
    (Role.ADMIN, ["pages/agent/queue.py", "pages/agent/ticket.py", "pages/admin/users.py", "pages/admin/categories.py"],
     ["pages/customer/submit_ticket.py", "pages/account/setup.py"]),
    (None, ["pages/account/sign_in.py", "pages/account/sign_up.py"],
     ["pages/customer/submit_ticket.py", "pages/customer/my_tickets.py", "pages/customer/ticket.py", "pages/admin/users.py"]),
])
def test_navigation_offers_each_role_only_its_pages(app_desk, role, reachable, unreachable):
    user = {Role.CUSTOMER: app_desk.customer, Role.AGENT: app_desk.agent, Role.ADMIN: app_desk.admin,
            None: None}[role]
    at = open_app(user)
    for page in reachable:
        at.switch_page(page)
    for page in unreachable:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def add_user_for(engine, role: Role | None):
    if role is None:
        return None
    if role == Role.CUSTOMER:
        return add_user(engine, email="carla@example.com")
    return add_user(engine, email=f"{role.value}@example.com", role=role)


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.AGENT, Role.ADMIN])
def test_every_page_a_role_can_reach_works_on_an_empty_database(app_db, role):
    """Only the admin and this user exist: no categories, no tickets (so not the shared world)."""
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    user = add_user_for(app_db, role) if role != Role.ADMIN else 1
    pages = {
        Role.CUSTOMER: ["pages/customer/submit_ticket.py", "pages/customer/my_tickets.py", "pages/customer/ticket.py"],
        Role.AGENT: ["pages/agent/queue.py", "pages/agent/ticket.py"],
        Role.ADMIN: ["pages/agent/queue.py", "pages/admin/users.py", "pages/admin/categories.py",
                     "pages/agent/ticket.py"],
    }[role]
    for page in pages:
        at = open_app(user, page=page)
        assert at.title, f"{page} shows no title"
        assert "Traceback" not in page_text(at)
