"""A fresh install leaves a helpdesk that can take a ticket (issue 9, item 9): the setup wizard
offers a starter set of categories, editable, created with the administrator in one step; and a
second submission after the administrator exists is told so (item 17). AppTest."""
from __future__ import annotations

from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import Category, User
from helpdesk.ui.auth import sign_in_as  # noqa: F401  (the page signs the admin in with it)
from tests.factories import add_user
from tests.page_helpers import fill, message_at, messages, open_app, rerun

STRONG = "Very-Secret-42"
STARTERS = "General question\nTechnical problem\nBilling\nAccount"


def fill_admin(at):
    return fill(at, setup_name="Ada Admin", setup_email="ada@example.com", setup_password=STRONG,
                setup_password_repeat=STRONG)


def category_names(engine) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Category.name).order_by(Category.id)))


def test_the_wizard_offers_starter_categories_and_creates_them_with_the_admin(app_db):
    at = open_app()
    assert at.text_area(key="setup_categories").value == STARTERS
    fill_admin(at).button(key="setup_submit").click()
    rerun(at)
    assert category_names(app_db) == ["General question", "Technical problem", "Billing", "Account"]

    # A customer who signs up next can raise a ticket at once: the submit form offers them.
    with session_scope(app_db) as session:
        assert session.scalar(select(User.role)) == Role.ADMIN
    carla = add_user(app_db, email="carla@example.com", name="Carla Customer")
    at = open_app(carla)
    assert at.title[0].value == "Submit a ticket"
    assert "Tickets can't be raised yet" not in " ".join(messages(at, "info") + messages(at, "warning"))
    assert list(at.selectbox(key="submit_category").options) == ["Account", "Billing", "General question",
                                                                  "Technical problem"]


def test_the_admin_edits_the_starter_list_before_creating(app_db):
    at = open_app()
    fill_admin(at)
    fill(at, setup_categories="Orders\n\n  Returns  \nOrders")  # blank lines and repeats are forgiven
    at.button(key="setup_submit").click()
    rerun(at)
    assert category_names(app_db) == ["Orders", "Returns"]


def test_an_empty_category_list_is_refused_at_the_field_and_nothing_is_created(app_db):
    at = open_app()
    fill_admin(at)
    fill(at, setup_categories="  \n ")
    at.button(key="setup_submit").click()
    rerun(at)
    assert message_at(at, "setup_categories") == "Add at least one category, so customers can raise tickets."
    assert at.text_input(key="setup_name").value == "Ada Admin"  # nothing typed is lost
    with session_scope(app_db) as session:
        assert session.scalars(select(User)).all() == [] and category_names(app_db) == []


def test_a_second_setup_after_the_admin_exists_is_told_so(app_db):
    at = open_app()  # the wizard is open in one browser...
    add_user(app_db, email="first@example.com", role=Role.ADMIN)  # ...when someone else finishes it
    fill_admin(at).button(key="setup_submit").click()
    rerun(at)
    assert "An administrator already exists; sign in instead." in messages(at, "error")
