"""The Profile page (AppTest): a person sees their own name, e-mail and mail choice, changes
them, and changes their password. What they read after each click is checked word for word,
what they typed stays after a refusal, and what was saved is read back from the database,
from a fresh visit, and (for the password) by signing in through the accounts service."""
from __future__ import annotations

import pytest

from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import User
from tests.factories import TEST_PASSWORD, add_user, signs_in
from tests.page_helpers import as_read, fill, message_at, messages, open_app, page_text, rerun, signed_in_line

PROFILE = "pages/account/profile.py"
NEW_PASSWORD = "Blue-Kettle-2024"
SIGN_IN_FAILED = "That e-mail and password don't match an account."


@pytest.fixture
def carla(app_desk) -> User:
    """Carla of the shared world, whose profile these tests open (Ada and the agents are there too)."""
    return app_desk.customer


def stored(engine, user_id: int) -> User:
    with session_scope(engine) as session:
        return session.get(User, user_id)


def change_password(at, current: str, new: str, repeat: str):
    fill(at, password_current=current, password_new=new, password_new_repeat=repeat)
    at.button(key="password_save").click()
    return rerun(at)


def password_fields(at) -> tuple[str, str, str]:
    return tuple(at.text_input(key=key).value for key in ("password_current", "password_new", "password_new_repeat"))


def password_messages(at) -> dict[str, str | None]:
    return {key: message_at(at, key) for key in ("password_current", "password_new", "password_new_repeat")}


# --- what the page shows ---------------------------------------------------------------------

def test_a_customer_sees_their_own_name_email_and_mail_choice(carla):
    at = open_app(carla, page=PROFILE)

    assert at.title[0].value == "Profile"
    assert "Signed in as carla@example.com" in [t.value for t in at.text]
    assert at.text_input(key="profile_name").value == "Carla Customer"
    optional = at.checkbox(key="profile_optional_email")
    assert (optional.label, optional.value) == ("E-mail me about every update", True)
    assert optional.help == ("When off, you still get the essential mails: the confirmation of a new ticket "
                             "and its resolution.")
    assert [at.text_input(key=k).label for k in ("password_current", "password_new", "password_new_repeat")] == [
        "Current password", "New password", "New password again"]
    assert password_fields(at) == ("", "", "")
    assert messages(at) == [] and messages(at, "success") == []
    assert "ada@support.example.com" not in page_text(at)  # Ada's details are not on Carla's page


# --- name and mail choice --------------------------------------------------------------------

def test_a_new_name_is_saved_said_and_still_there_on_the_next_visit(app_db, carla):
    at = open_app(carla, page=PROFILE)
    fill(at, profile_name="  Carla Q. Customer ")
    at.button(key="profile_save").click()
    rerun(at)

    assert messages(at, "success") == ["Your profile was saved."]
    assert messages(at) == []
    assert "Signed in as **Carla Q. Customer** (customer)" in signed_in_line(at)
    saved = stored(app_db, carla.id)
    assert (saved.name, saved.wants_optional_email, saved.email) == ("Carla Q. Customer", True, "carla@example.com")

    again = open_app(carla, page=PROFILE)  # a new browser session reads what is stored
    assert again.text_input(key="profile_name").value == "Carla Q. Customer"
    assert messages(again, "success") == []  # the notice was for that save only


def test_switching_optional_mail_off_is_stored_and_shown_on_the_next_visit(app_db, carla):
    at = open_app(carla, page=PROFILE)
    at.checkbox(key="profile_optional_email").uncheck()
    at.button(key="profile_save").click()
    rerun(at)

    assert messages(at, "success") == ["Your profile was saved."]
    assert stored(app_db, carla.id).wants_optional_email is False
    assert stored(app_db, carla.id).name == "Carla Customer"
    assert open_app(carla, page=PROFILE).checkbox(key="profile_optional_email").value is False

    # And back on.
    at.checkbox(key="profile_optional_email").check()
    at.button(key="profile_save").click()
    rerun(at)
    assert stored(app_db, carla.id).wants_optional_email is True
    assert open_app(carla, page=PROFILE).checkbox(key="profile_optional_email").value is True


def test_an_empty_name_is_refused_at_the_field_and_nothing_is_saved(app_db, carla):
    at = open_app(carla, page=PROFILE)
    fill(at, profile_name="   ")
    at.checkbox(key="profile_optional_email").uncheck()
    at.button(key="profile_save").click()
    rerun(at)

    assert message_at(at, "profile_name") == "Enter your name."
    assert messages(at) == ["Enter your name."]
    assert messages(at, "success") == []
    assert at.text_input(key="profile_name").value == "   "
    assert at.checkbox(key="profile_optional_email").value is False  # the choice made is still on screen
    saved = stored(app_db, carla.id)
    assert (saved.name, saved.wants_optional_email) == ("Carla Customer", True)  # neither half was saved

    # Corrected, it saves, and the message at the field goes away.
    fill(at, profile_name="Carla C.")
    at.button(key="profile_save").click()
    rerun(at)
    assert message_at(at, "profile_name") is None
    assert messages(at, "success") == ["Your profile was saved."]
    saved = stored(app_db, carla.id)
    assert (saved.name, saved.wants_optional_email) == ("Carla C.", False)


# --- password --------------------------------------------------------------------------------

def test_a_wrong_current_password_is_refused_at_its_field_and_nothing_changes(app_db, carla):
    before = stored(app_db, carla.id).password_hash
    at = open_app(carla, page=PROFILE)
    change_password(at, "Not-My-Password-1", NEW_PASSWORD, NEW_PASSWORD)

    assert password_messages(at) == {"password_current": "That is not your current password.",
                                     "password_new": None, "password_new_repeat": None}
    assert messages(at, "success") == []
    assert password_fields(at) == ("Not-My-Password-1", NEW_PASSWORD, NEW_PASSWORD)  # nothing to retype
    assert stored(app_db, carla.id).password_hash == before
    assert signs_in(app_db, "carla@example.com", TEST_PASSWORD)
    assert not signs_in(app_db, "carla@example.com", NEW_PASSWORD)


@pytest.mark.parametrize("new, words", [
    ("Short-1", "Use at least 10 characters."),
    ("password123", "This is one of the most common passwords. Add another word or two. Uncommon words are better."),
    ("Carla-Customer-2026", "This password is built from your name or e-mail address. "
                            "Add another word or two. Uncommon words are better."),
])
def test_a_weak_new_password_is_refused_with_the_reason_at_its_field(app_db, carla, new, words):
    before = stored(app_db, carla.id).password_hash
    at = open_app(carla, page=PROFILE)
    change_password(at, TEST_PASSWORD, new, new)

    assert password_messages(at) == {"password_current": None, "password_new": words, "password_new_repeat": None}
    assert messages(at, "success") == []
    assert password_fields(at) == (TEST_PASSWORD, new, new)
    assert stored(app_db, carla.id).password_hash == before
    assert not signs_in(app_db, "carla@example.com", new)


def test_two_different_new_passwords_are_refused_at_the_second_field(app_db, carla):
    before = stored(app_db, carla.id).password_hash
    at = open_app(carla, page=PROFILE)
    change_password(at, TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")

    assert password_messages(at) == {"password_current": None, "password_new": None,
                                     "password_new_repeat": "The two passwords differ."}
    assert messages(at, "success") == []
    assert password_fields(at) == (TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert stored(app_db, carla.id).password_hash == before


def test_a_wrong_current_and_a_weak_new_password_are_both_named(app_db, carla):
    at = open_app(carla, page=PROFILE)
    change_password(at, "Not-My-Password-1", "short", "short")
    assert password_messages(at) == {"password_current": "That is not your current password.",
                                     "password_new": "Use at least 10 characters.", "password_new_repeat": None}


def test_a_correct_change_is_said_empties_the_fields_and_only_the_new_password_signs_in(app_db, carla):
    at = open_app(carla, page=PROFILE)
    change_password(at, "Not-My-Password-1", NEW_PASSWORD, NEW_PASSWORD)  # a first, refused try
    change_password(at, TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)

    assert messages(at, "success") == ["Your password was changed; you were signed out everywhere else."]
    assert messages(at) == []  # the earlier refusal is gone
    assert password_fields(at) == ("", "", "")  # no password left in the form
    stored_hash = stored(app_db, carla.id).password_hash
    assert stored_hash.startswith("$argon2id$") and NEW_PASSWORD not in stored_hash
    assert signs_in(app_db, "carla@example.com", NEW_PASSWORD)
    assert not signs_in(app_db, "carla@example.com", TEST_PASSWORD)
    assert stored(app_db, carla.id).name == "Carla Customer"  # the other form was not touched

    # The new password works on the sign-in page too.
    at = open_app()
    fill(at, sign_in_email="carla@example.com", sign_in_password=NEW_PASSWORD)
    at.button(key="sign_in_submit").click()
    rerun(at)
    assert at.session_state["user_id"] == carla.id


# --- staff -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_staff_use_the_same_profile_page(app_db, carla, role):
    staff = add_user(app_db, email=f"{role.value}-2@example.com", role=role, name="Sam Staff")
    at = open_app(staff, page=PROFILE)
    assert at.title[0].value == "Profile"
    assert "Signed in as " + f"{role.value}-2@example.com" in [t.value for t in at.text]
    assert at.text_input(key="profile_name").value == "Sam Staff"
    assert "Carla Customer" not in page_text(at)

    fill(at, profile_name="Sam S. Staff")
    at.checkbox(key="profile_optional_email").uncheck()
    at.button(key="profile_save").click()
    rerun(at)
    assert messages(at, "success") == ["Your profile was saved."]
    assert f"Signed in as **Sam S. Staff** ({role.value})" in signed_in_line(at)
    saved = stored(app_db, staff.id)
    assert (saved.name, saved.wants_optional_email, saved.role) == ("Sam S. Staff", False, role)
    assert stored(app_db, carla.id).name == "Carla Customer"

    change_password(at, TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert messages(at, "success") == ["Your password was changed; you were signed out everywhere else."]
    assert signs_in(app_db, f"{role.value}-2@example.com", NEW_PASSWORD)
    assert signs_in(app_db, "carla@example.com", TEST_PASSWORD)  # only their own password changed


def _open_sessions(engine, user, count: int, device: str) -> list[int]:
    from helpdesk.accounts.sign_in_sessions import open_session

    with session_scope(engine) as session:
        return [open_session(session=session, user=user, persistent=True, device=device)[0].id for _ in range(count)]


def test_the_profile_lists_where_you_are_signed_in_and_signs_out_everywhere_else(app_db, carla):
    from streamlit.testing.v1 import AppTest

    from helpdesk.accounts.sign_in_sessions import resume
    from tests.page_helpers import APP, RUN_TIMEOUT

    here, = _open_sessions(app_db, carla, 1, "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/132.0")
    phone, tablet = _open_sessions(app_db, carla, 2, "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36")
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"], at.session_state["sign_in_session_id"] = carla.id, here
    at.run()
    at.switch_page(PROFILE).run()
    shown = page_text(at)
    assert "Firefox on macOS · **this browser**" in shown
    assert shown.count("Chrome on Android") == 2
    at.button(key="profile_sign_out_others").click()
    rerun(at)
    assert messages(at, "success") == ["Signed out of 2 other sign-ins."]
    assert "Chrome on Android" not in page_text(at)
    assert "profile_sign_out_others" not in [button.key for button in at.button]  # nobody else left
    with session_scope(app_db) as session:
        assert [resume(session=session, session_id=i) is not None for i in (here, phone, tablet)] == [True, False, False]
