"""A person's own settings: name, optional e-mail switch, password change."""
import pytest

from helpdesk.accounts.passwords import verify_password
from helpdesk.accounts.profile import change_password, update_profile
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.models import User
from tests.factories import TEST_PASSWORD, add_user


def test_profile_saves_name_and_mail_preference(engine):
    user = add_user(engine, email="pat@example.com")
    with session_scope(engine) as session:
        update_profile(session=session, actor=user, name="  Pat Q. ", wants_optional_email=False)
    with session_scope(engine) as session:
        saved = session.get(User, user.id)
        assert (saved.name, saved.wants_optional_email) == ("Pat Q.", False)


def test_empty_name_is_refused_and_nothing_changes(engine):
    user = add_user(engine, email="pat@example.com", name="Pat")
    with pytest.raises(ValidationError) as refused, session_scope(engine) as session:
        update_profile(session=session, actor=user, name="   ", wants_optional_email=False)
    assert refused.value.field_errors == {"name": "Enter your name."}
    with session_scope(engine) as session:
        saved = session.get(User, user.id)
        assert (saved.name, saved.wants_optional_email) == ("Pat", True)


def test_a_name_over_120_characters_is_refused(engine):
    user = add_user(engine, email="pat@example.com", name="Pat")
    with pytest.raises(ValidationError) as refused, session_scope(engine) as session:
        update_profile(session=session, actor=user, name="P" * 121, wants_optional_email=True)
    assert refused.value.field_errors == {"name": "Use at most 120 characters."}
    with session_scope(engine) as session:
        update_profile(session=session, actor=user, name="P" * 120, wants_optional_email=True)
    with session_scope(engine) as session:
        assert session.get(User, user.id).name == "P" * 120


def test_password_change_needs_the_current_password(engine):
    user = add_user(engine, email="pat@example.com")
    with pytest.raises(ValidationError) as refused, session_scope(engine) as session:
        change_password(session=session, actor=user, current="wrong", new="New-Secret-99", new_repeat="New-Secret-99")
    assert refused.value.field_errors == {"current": "That is not your current password."}
    with session_scope(engine) as session:
        assert verify_password(session.get(User, user.id).password_hash, TEST_PASSWORD)
    with session_scope(engine) as session:
        change_password(session=session, actor=user, current=TEST_PASSWORD, new="New-Secret-99",
                        new_repeat="New-Secret-99")
    with session_scope(engine) as session:
        stored = session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "New-Secret-99") and not verify_password(stored, TEST_PASSWORD)


def test_weak_or_mismatched_new_password_is_refused(engine):
    user = add_user(engine, email="pat@example.com")
    with pytest.raises(ValidationError) as weak, session_scope(engine) as session:
        change_password(session=session, actor=user, current=TEST_PASSWORD, new="short", new_repeat="short")
    assert weak.value.field_errors == {"new": "Use at least 10 characters."}
    with pytest.raises(ValidationError) as differ, session_scope(engine) as session:
        change_password(session=session, actor=user, current=TEST_PASSWORD, new="New-Secret-99",
                        new_repeat="New-Secret-98")
    assert differ.value.field_errors == {"new_repeat": "The two passwords differ."}
    with session_scope(engine) as session:
        stored = session.get(User, user.id).password_hash
    assert verify_password(stored, TEST_PASSWORD)
    assert not verify_password(stored, "New-Secret-99") and not verify_password(stored, "short")
