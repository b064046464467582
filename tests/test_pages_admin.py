"""Staff pages: the workspace landing page, user administration, categories."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import Category, User
from helpdesk.tickets.categories import list_categories
from tests.page_helpers import (APP, RUN_TIMEOUT, add_category, add_customer, add_staff, fill,  # noqa: F401
                                message_at, messages, open_app, page_text, rerun)

STRONG = "Agent-Secret-42"


@pytest.fixture
def admin(app_db):
    return add_staff(app_db, "ada@example.com", Role.ADMIN, name="Ada Admin")


def test_staff_land_on_the_queue_with_no_fake_rows(app_db, admin):
    agent = add_staff(app_db, "alan@example.com", Role.AGENT, name="Alan Agent")
    at = open_app(agent)
    assert at.title[0].value == "Queue"
    assert "Nothing is assigned to you right now" in page_text(at)
    assert not at.dataframe  # no fake numbers or rows

    at = open_app(admin)
    assert at.title[0].value == "Queue"
    assert "There are no open tickets" in page_text(at)


def test_admin_creates_an_agent_account(app_db, admin):
    at = open_app(admin, page="pages/admin/users.py")
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
    with session_scope(app_db) as session:
        alan = session.scalar(select(User).where(User.email == "alan@example.com"))
        assert (alan.role, alan.is_active) == (Role.AGENT, True)
    # The new agent can use the app.
    assert open_app(alan).title[0].value == "Queue"


def test_creating_a_staff_account_with_bad_input_keeps_it_and_explains(app_db, admin):
    at = open_app(admin, page="pages/admin/users.py")
    fill(at, new_user_name="Alan Agent", new_user_email="ada@example.com", new_user_password=STRONG,
         new_user_password_repeat="something-else-9")
    at.button(key="new_user_submit").click()
    rerun(at)

    assert message_at(at, "new_user_email") == "An account with this e-mail already exists. Sign in instead."
    assert message_at(at, "new_user_password_repeat") == "The two passwords differ."
    assert message_at(at, "new_user_name") is None
    assert message_at(at, "new_user_password") is None
    assert at.text_input(key="new_user_name").value == "Alan Agent"
    assert at.text_input(key="new_user_email").value == "ada@example.com"
    assert not messages(at, "success")
    with session_scope(app_db) as session:
        assert len(session.scalars(select(User)).all()) == 1


def test_admin_deactivates_a_customer_and_the_list_filters(app_db, admin):
    carla = add_customer(app_db, "carla@example.com", name="Carla Customer")
    add_customer(app_db, "dave@example.com", name="Dave Other")
    at = open_app(admin, page="pages/admin/users.py")
    at.text_input(key="users_search").input("carla")
    rerun(at)
    assert at.dataframe[0].value["E-mail"].tolist() == ["carla@example.com"]

    at.button(key="users_toggle").click()
    rerun(at)
    assert "carla@example.com is now inactive." in messages(at, "success")
    # Carla's open session ends at her next click.
    assert open_app(carla).title[0].value == "Customer Care Registry"


@pytest.mark.parametrize("page, refusal", [("pages/admin/users.py", "Only administrators can manage users."),
                                           ("pages/admin/categories.py",
                                            "Only administrators can manage categories.")])
def test_admin_pages_refuse_non_admins_even_when_opened_directly(app_db, admin, page, refusal):
    """Navigation hides them; the page itself refuses too (defence in depth)."""
    agent = add_staff(app_db, "alan@example.com", Role.AGENT)
    customer = add_customer(app_db, "carla@example.com")
    for user in (agent, customer):
        at = AppTest.from_file(str(APP.parent / page), default_timeout=RUN_TIMEOUT)
        at.session_state["user_id"] = user.id
        at.run()
        assert not at.exception
        assert messages(at) == [refusal]
        assert "ada@example.com" not in page_text(at)
        assert not at.dataframe and not at.text_input


def test_admin_creates_renames_and_deactivates_categories(app_db, admin):
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
    assert "Billing and invoices (inactive)" in [e.label for e in at.expander]

    # Customers only choose from active categories.
    with session_scope(app_db) as session:
        assert [c.name for c in list_categories(session=session)] == ["Technical problem"]
    carla = add_customer(app_db, "carla@example.com")
    submit = open_app(carla)
    assert submit.selectbox(key="submit_category").options == ["Technical problem"]
