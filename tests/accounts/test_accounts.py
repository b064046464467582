"""Accounts: the first administrator, sign-up, sign-in (its throttle: test_sign_in_throttle.py),
and staff accounts created only by administrators. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk.accounts import users as accounts_users
from helpdesk.accounts.passwords import verify_password
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import AuthenticationFailed, PermissionDenied, Throttled, ValidationError
from helpdesk.enums import Role
from helpdesk.models import User
from tests.factories import GOOD_PASSWORD, TEST_PASSWORD, add_user, new_account, user_count



def sign_in(engine, email, password) -> User:
    """One sign-in attempt the way a page makes it: its own session_scope, which rolls back
    when the service raises."""
    with session_scope(engine) as session:
        return accounts_users.authenticate(session=session, email=email, password=password)


def failed_sign_in(engine, email, password="Wrong-password-1") -> Exception:
    with pytest.raises((AuthenticationFailed, Throttled)) as excinfo:
        sign_in(engine, email, password)
    return excinfo.value


# --- first administrator ---------------------------------------------------------------

def test_empty_install_asks_for_the_first_admin_once(engine):
    with session_scope(engine) as session:
        assert accounts_users.needs_first_admin(session=session)
        admin = accounts_users.create_first_admin(session=session, data=new_account(name="Ada Admin", email="ada@example.com"))
        assert admin.role == Role.ADMIN

    with session_scope(engine) as session:
        assert not accounts_users.needs_first_admin(session=session)
        with pytest.raises(PermissionDenied):
            accounts_users.create_first_admin(session=session, data=new_account(name="Mallory", email="mallory@example.com"))
    assert user_count(engine) == 1
    assert sign_in(engine, "ada@example.com", GOOD_PASSWORD).role == Role.ADMIN


def test_first_admin_form_is_validated_like_sign_up(engine):
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.create_first_admin(session=session, data=new_account(password="short"))
    assert "password" in excinfo.value.field_errors
    assert user_count(engine) == 0


# --- sign-up ----------------------------------------------------------------------------

def test_sign_up_makes_a_customer_with_a_normalized_email(engine):
    with session_scope(engine) as session:
        user = accounts_users.sign_up(session=session, data=new_account(name="  Ann Customer ", email="  Ann@Example.COM "))
    assert user.role == Role.CUSTOMER
    assert user.email == "ann@example.com"
    assert user.name == "Ann Customer"
    assert user.is_active
    assert sign_in(engine, "ANN@example.com", GOOD_PASSWORD).id == user.id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (new_account(name=""), "name"),
        (new_account(name="   "), "name"),
        (new_account(name="x" * 121), "name"),
        (new_account(email=""), "email"),
        (new_account(email="not-an-email"), "email"),
        (new_account(email="ann@example"), "email"),
        (new_account(email="ann smith@example.com"), "email"),
        (new_account(email="ann@@example.com"), "email"),
        (new_account(password="Sh0rt!"), "password"),
        (new_account(password="abcdefghijkl"), "password"),  # a sequence
        (new_account(password="password123"), "password"),  # common
        (new_account(password="aaaaaaaaaaaaaaaaA1"), "password"),  # a repeat
        (new_account(password="AnnCustomer2026"), "password"),  # her name and a year
        (new_account(password=GOOD_PASSWORD, repeat=GOOD_PASSWORD + "x"), "password_repeat"),
    ],
    ids=["name-empty", "name-blank", "name-too-long", "email-empty", "email-no-at", "email-no-dot",
         "email-space", "email-two-at", "password-short", "password-sequence", "password-common",
         "password-repetitive", "password-from-the-name", "passwords-differ"],
)
def test_sign_up_refuses_bad_input_at_the_field_and_writes_nothing(engine, data, field):
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.sign_up(session=session, data=data)
    assert field in excinfo.value.field_errors
    assert excinfo.value.field_errors[field].strip()
    assert user_count(engine) == 0


def test_sign_up_reports_every_bad_field_at_once(engine):
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.sign_up(session=session, data=new_account(name="", email="nope", password="weak"))
    assert {"name", "email", "password"} <= set(excinfo.value.field_errors)


def test_duplicate_email_is_refused_whatever_its_case(engine):
    with session_scope(engine) as session:
        accounts_users.sign_up(session=session, data=new_account(email="ann@example.com"))
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.sign_up(session=session, data=new_account(name="Other Ann", email="ANN@Example.com"))
    assert "already exists" in excinfo.value.field_errors["email"]
    assert user_count(engine) == 1


def test_passwords_are_stored_as_argon2id_hashes_never_plain(engine):
    with session_scope(engine) as session:
        user = accounts_users.sign_up(session=session, data=new_account())
    with session_scope(engine) as session:
        stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert GOOD_PASSWORD not in stored
    assert verify_password(stored, GOOD_PASSWORD)
    assert not verify_password(stored, GOOD_PASSWORD.lower())


# --- sign-in ----------------------------------------------------------------------------

def test_wrong_password_and_unknown_email_get_the_identical_message(engine):
    add_user(engine, email="known@example.com")
    wrong_password = failed_sign_in(engine, "known@example.com", "Not-the-password-9")
    unknown_email = failed_sign_in(engine, "nobody@example.com", "Not-the-password-9")
    assert type(wrong_password) is type(unknown_email) is AuthenticationFailed
    assert str(wrong_password) == str(unknown_email)
    assert "known" not in str(wrong_password)


def test_successful_sign_in_sets_last_login_at(engine):
    user = add_user(engine, email="bob@example.com")
    assert user.last_login_at is None
    before = utcnow()
    sign_in(engine, "bob@example.com", TEST_PASSWORD)
    with session_scope(engine) as session:
        last_login = session.get(User, user.id).last_login_at
    assert last_login is not None and last_login.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= last_login <= utcnow() + timedelta(seconds=1)


def test_inactive_user_cannot_sign_in(engine):
    add_user(engine, email="gone@example.com", active=False)
    error = failed_sign_in(engine, "gone@example.com", TEST_PASSWORD)
    assert isinstance(error, AuthenticationFailed)
    assert str(error) == accounts_users.SIGN_IN_FAILED


# The sign-in throttle (waits, per address and per client): test_sign_in_throttle.py.


# --- staff accounts ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_admin_creates_staff_accounts(desk, role):
    created = desk.act(desk.admin, accounts_users.create_user,
                       data=new_account(name="Sam Staff", email="sam@example.com"), role=role)
    assert created.role == role
    assert sign_in(desk.engine, "sam@example.com", GOOD_PASSWORD).role == role


@pytest.mark.parametrize("actor_role", [Role.CUSTOMER, Role.AGENT])
def test_only_admins_create_accounts(engine, actor_role):
    actor = add_user(engine, email="actor@example.com", role=actor_role)
    for role in Role:
        with session_scope(engine) as session:
            with pytest.raises(PermissionDenied):
                accounts_users.create_user(session=session, actor=actor,
                                     data=new_account(name="Eve", email=f"eve-{role}@example.com"), role=role)
    assert user_count(engine) == 1


def test_deactivated_admin_cannot_create_accounts(engine):
    admin = add_user(engine, email="old-admin@example.com", role=Role.ADMIN, active=False)
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            accounts_users.create_user(session=session, actor=admin, data=new_account(email="x@example.com"), role=Role.AGENT)
    assert user_count(engine) == 1


def test_trusted_cli_creates_accounts_without_an_actor(engine):
    with session_scope(engine) as session:
        user = accounts_users.create_user(session=session, actor=None, data=new_account(email="cli@example.com"),
                                    role=Role.AGENT)
    assert user.role == Role.AGENT


def test_staff_account_creation_is_validated(engine):
    admin = add_user(engine, email="admin@example.com", role=Role.ADMIN)
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.create_user(session=session, actor=admin, data=new_account(email="ADMIN@example.com"),
                                 role=Role.AGENT)
    assert "email" in excinfo.value.field_errors
    assert user_count(engine) == 1


def test_deactivated_account_loses_access_at_once(desk):
    with session_scope(desk.engine) as session:
        assert accounts_users.get_active_user(session=session, user_id=desk.customer.id) is not None
        accounts_users.set_user_active(session=session, actor=desk.admin, user_id=desk.customer.id, active=False)
    with session_scope(desk.engine) as session:
        assert accounts_users.get_active_user(session=session, user_id=desk.customer.id) is None
    assert isinstance(failed_sign_in(desk.engine, "carla@example.com", TEST_PASSWORD), AuthenticationFailed)


def test_admin_user_search_matches_name_or_email_and_takes_wildcards_literally(desk):
    add_user(desk.engine, email="pat_q@example.com", name="Pat Q")
    add_user(desk.engine, email="patxq@example.com", name="Patrick 100% Sure")
    with session_scope(desk.engine) as session:
        def found(text):
            users, total = accounts_users.list_users(session=session, actor=desk.admin, search=text)
            assert total == len(users)
            return sorted(u.email for u in users)

        assert found("PAT") == ["pat_q@example.com", "patxq@example.com"]
        assert found("pat_q") == ["pat_q@example.com"]  # "_" is not "any character"
        assert found("100%") == ["patxq@example.com"]
        assert found("ada admin") == ["ada@support.example.com"]


def test_only_active_admins_list_or_change_accounts(desk):
    retired = add_user(desk.engine, email="old@example.com", role=Role.ADMIN, active=False)
    for actor in (desk.customer, desk.agent, retired):
        with pytest.raises(PermissionDenied):
            desk.act(actor, accounts_users.list_users)
        with pytest.raises(PermissionDenied):
            desk.act(actor, accounts_users.set_user_active, user_id=desk.customer.id, active=False)
