"""The pages of the mailed account links: "Forgot your password?" and the form its link opens,
the administrator's "Send password reset link", and sign-up that waits for a confirmed address."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk.accounts import account_links as links
from helpdesk.core.db import session_scope
from helpdesk.enums import AuditAction, OutboxEvent, Role
from helpdesk.models import AuditEntry, OutboxMessage, User
from tests.conftest import TEST_BASE_URL
from tests.factories import add_user
from tests.page_helpers import fill, message_at, messages, open_app, page_text, rerun, signed_in_line

NEW_PASSWORD = "Violet-Harbour-Lantern-71"
RESET_SENT = ("If an account uses that address, we have sent it a link to choose a new password. "
              "The link works once, for 30 minutes.")
SIGN_UP_SENT = ("We have sent a link to that address. Open it within 24 hours to finish creating your "
                "account. No mail? Check the spam folder, or sign up again.")


@pytest.fixture(autouse=True)
def _quick(app_db, monkeypatch):
    monkeypatch.setenv("HELPDESK_BASE_URL", TEST_BASE_URL)
    monkeypatch.setattr(links, "ANSWER_TIME", 0.0)  # the even answer time has its own service test


def outbox(engine, event: OutboxEvent) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.event == event.value)
                               .order_by(OutboxMessage.id)).all()
        session.expunge_all()
        return list(rows)


def token_in(text: str, address: str) -> str:
    return re.search(rf"/{address}\?token=([A-Za-z0-9_\-]+)", text).group(1)


def test_forgot_your_password_answers_the_same_for_any_address(app_db):
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    add_user(app_db, email="carla@example.com", name="Carla Customer")
    at = open_app()
    assert "Forgot your password?" in [link.label for link in at.get("page_link")]
    answers = []
    for address in ("carla@example.com", "nobody@example.com"):
        at = open_app(page="pages/account/reset_password.py")
        fill(at, forgot_email=address)
        at.button(key="forgot_submit").click()
        rerun(at)
        answers.append(messages(at, "success"))
        assert at.text_input(key="forgot_email").value == address  # what was typed stays
    assert answers == [[RESET_SENT], [RESET_SENT]]
    assert [m.recipient_email for m in outbox(app_db, OutboxEvent.PASSWORD_RESET)] == ["carla@example.com"]


def test_a_mistyped_address_is_refused_at_its_field(app_db):
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    at = open_app(page="pages/account/reset_password.py")
    fill(at, forgot_email="carla-at-example.com")
    at.button(key="forgot_submit").click()
    rerun(at)
    assert message_at(at, "forgot_email")
    assert messages(at, "success") == []
    assert at.text_input(key="forgot_email").value == "carla-at-example.com"


def test_the_mailed_link_sets_the_password_and_signs_the_person_in(app_db):
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    add_user(app_db, email="carla@example.com", name="Carla Customer")
    with session_scope(app_db) as session:
        links.request_password_reset(session=session, email="carla@example.com")
    token = token_in(outbox(app_db, OutboxEvent.PASSWORD_RESET)[0].text_body, "reset_password")

    at = open_app(page="pages/account/reset_password.py")
    at.query_params["token"] = token
    rerun(at)
    assert "carla@example.com" in page_text(at)
    fill(at, reset_new="short", reset_new_repeat="short")
    at.button(key="reset_submit").click()
    rerun(at)
    assert message_at(at, "reset_new") == "Use at least 10 characters."
    assert at.text_input(key="reset_new").value == "short"

    fill(at, reset_new=NEW_PASSWORD, reset_new_repeat=NEW_PASSWORD)
    at.button(key="reset_submit").click()
    rerun(at)
    assert at.title[0].value == "Profile"
    assert "Your new password is set." in page_text(at)
    assert signed_in_line(at) == "Signed in as **Carla Customer** (customer)"

    at = open_app(page="pages/account/reset_password.py")  # the same link again: used up
    at.query_params["token"] = token
    rerun(at)
    assert messages(at, "warning") == [links.LINK_UNUSABLE]
    assert "reset_new" not in [widget.key for widget in at.text_input]  # no form to set a password with


def test_an_administrator_sends_a_reset_link_from_the_users_page(app_db):
    ada = add_user(app_db, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    add_user(app_db, email="carla@example.com", name="Carla Customer")
    at = open_app(ada, page="pages/admin/users.py")
    picked = at.selectbox(key="users_pick")
    carla_id = [option for option in picked.options if "carla@example.com" in option]
    at.selectbox(key="users_pick").select_index(picked.options.index(carla_id[0]))
    rerun(at)
    at.button(key="users_send_reset").click()
    rerun(at)
    assert any("A link to choose a new password is queued for carla@example.com" in m
               for m in messages(at, "success"))
    [mail] = outbox(app_db, OutboxEvent.PASSWORD_RESET)
    assert mail.recipient_email == "carla@example.com"
    with session_scope(app_db) as session:
        assert session.scalar(select(AuditEntry.actor_id)
                              .where(AuditEntry.action == AuditAction.PASSWORD_RESET_SENT)) == ada.id


def test_with_mail_sign_up_says_a_link_was_sent_for_a_new_and_a_taken_address_alike(app_db, monkeypatch):
    monkeypatch.setenv("HELPDESK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HELPDESK_SMTP_FROM", "help@example.test")
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    add_user(app_db, email="taken@example.com")
    shown = []
    for address in ("new@example.com", "taken@example.com"):
        at = open_app(page="pages/account/sign_up.py")
        fill(at, sign_up_name="Noor Haddad", sign_up_email=address, sign_up_password=NEW_PASSWORD,
             sign_up_password_repeat=NEW_PASSWORD)
        at.button(key="sign_up_submit").click()
        rerun(at)
        shown.append((messages(at, "success"), messages(at, "error"), at.text_input(key="sign_up_email").value))
    assert shown == [([SIGN_UP_SENT], [], ""), ([SIGN_UP_SENT], [], "")]
    with session_scope(app_db) as session:
        assert session.scalar(select(User.id).where(User.email == "new@example.com")) is None
    [confirmation] = outbox(app_db, OutboxEvent.SIGN_UP_CONFIRMATION)
    assert [m.recipient_email for m in outbox(app_db, OutboxEvent.SIGN_UP_EXISTING)] == ["taken@example.com"]

    at = open_app(page="pages/account/confirm_sign_up.py")
    at.query_params["token"] = token_in(confirmation.text_body, "confirm_sign_up")
    rerun(at)
    assert "new@example.com" in page_text(at)
    fill(at, confirm_sign_up_password="Not-What-Was-Chosen-9")
    at.button(key="confirm_sign_up_submit").click()
    rerun(at)
    assert message_at(at, "confirm_sign_up_password") == links.SIGN_UP_PASSWORD_WRONG
    fill(at, confirm_sign_up_password=NEW_PASSWORD)
    at.button(key="confirm_sign_up_submit").click()
    rerun(at)
    assert at.title[0].value == "Submit a ticket"
    assert "Welcome, Noor Haddad: your account is ready." in page_text(at)
    with session_scope(app_db) as session:
        assert session.scalar(select(User.role).where(User.email == "new@example.com")) == Role.CUSTOMER

    at = open_app(page="pages/account/confirm_sign_up.py")  # the link again
    at.query_params["token"] = token_in(confirmation.text_body, "confirm_sign_up")
    rerun(at)
    assert messages(at, "warning") == [links.LINK_UNUSABLE]
    assert "confirm_sign_up_submit" not in [button.key for button in at.button]


def test_signed_in_the_account_link_pages_work_without_an_error(app_db):
    """Review: the mail "someone tried to sign up with your address" links to /reset_password, and
    its owner may well be signed in; so may whoever opens a used confirmation link. The pages'
    links to sign-in and sign-up (pages a signed-in person has not) must not break them."""
    add_user(app_db, email="ada@example.com", role=Role.ADMIN)
    carla = add_user(app_db, email="carla@example.com", name="Carla Customer")
    at = open_app(carla, page="pages/account/reset_password.py")
    assert messages(at) == []
    fill(at, forgot_email="carla@example.com")
    at.button(key="forgot_submit").click()
    rerun(at)
    assert (messages(at, "success"), messages(at)) == ([RESET_SENT], [])

    at = open_app(carla, page="pages/account/confirm_sign_up.py")
    at.query_params["token"] = "no-such-token"
    rerun(at)
    assert (messages(at, "warning"), messages(at)) == ([links.LINK_UNUSABLE], [])
