"""Single sign-on's accounts: an identity (issuer + subject) finds its account again; linking to an
existing account by e-mail only when the provider verified the address and an administrator
allows it; someone new becomes a customer with no usable password; a deactivated account never
gets in; the role is always the local one. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.accounts import single_sign_on as sso
from helpdesk.accounts.users import authenticate, set_user_active, set_user_role
from helpdesk.audit import person
from helpdesk.core.db import session_scope
from helpdesk.core.errors import AuthenticationFailed, PermissionDenied
from helpdesk.enums import AuditAction, Role
from helpdesk.models import AuditEntry, SignOnIdentity, User
from helpdesk.settings import get_settings, link_sign_on_by_email, set_link_sign_on_by_email
from tests.factories import TEST_PASSWORD, user_count

ISSUER = "https://login.example.org"


def sign_on(engine, subject: str = "sub-1", *, email: str | None = "new@example.com", verified=True,
            name: str | None = "Nia New", issuer: str = ISSUER) -> User:
    """One sign-in back from the provider, in its own transaction (rolled back on a refusal)."""
    with session_scope(engine) as session:
        return sso.account_for_identity(session=session, issuer=issuer, subject=subject, email=email,
                                        email_verified=verified, name=name)


def refused(engine, subject: str = "sub-1", **claims) -> str:
    with pytest.raises(AuthenticationFailed) as excinfo:
        sign_on(engine, subject, **claims)
    return str(excinfo.value)


def identities(engine) -> list[tuple[str, str, int]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(SignOnIdentity).order_by(SignOnIdentity.id))
        return [(i.issuer, i.subject, i.user_id) for i in rows]


def links(engine) -> list[tuple]:
    with session_scope(engine) as session:
        return [(e.actor_id, e.target, e.new_value) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.SIGN_ON_LINKED).order_by(AuditEntry.id))]


def allow_linking(desk, allowed: bool = True) -> None:
    desk.act(desk.admin, set_link_sign_on_by_email, enabled=allowed)


# --- someone new ------------------------------------------------------------------------

def test_someone_new_gets_a_customer_account_linked_to_their_identity(desk):
    before = user_count(desk.engine)
    user = sign_on(desk.engine, email=" Nia@Example.COM ", name="  Nia   New ")

    assert (user.email, user.name, user.role, user.is_active) == ("nia@example.com", "Nia New", Role.CUSTOMER, True)
    assert user_count(desk.engine) == before + 1
    assert identities(desk.engine) == [(ISSUER, "sub-1", user.id)]
    assert links(desk.engine) == [(user.id, "Nia New <nia@example.com>", f"{ISSUER} (new customer account)")]


def test_a_new_account_without_a_name_is_named_after_its_address(desk):
    assert sign_on(desk.engine, email="quiet@example.com", name=None).name == "quiet"
    assert sign_on(desk.engine, "sub-2", email="ctrl@example.com", name="\u202e\x00").name == "ctrl"


def test_an_account_made_by_single_sign_on_has_no_password_anyone_can_sign_in_with(desk, clock):
    user = sign_on(desk.engine, email="nia@example.com")
    with session_scope(desk.engine) as session:
        stored = session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")  # a real hash: checking a password takes the usual time
    for guess in ("", TEST_PASSWORD, "nia@example.com", "Nia New", stored, "sub-1"):
        clock.advance(hours=1)  # past the sign-in throttle: each guess is really checked
        with pytest.raises(AuthenticationFailed):
            with session_scope(desk.engine) as session:
                authenticate(session=session, email="nia@example.com", password=guess)
    other = sign_on(desk.engine, "sub-2", email="otto@example.com")
    with session_scope(desk.engine) as session:
        assert session.get(User, other.id).password_hash != stored  # each its own random secret


def test_no_account_is_made_for_an_address_the_provider_has_not_verified(desk):
    before = user_count(desk.engine)
    for verified in (False, None, "true", 1):  # only True counts (the page turns a "true" string into True)
        assert refused(desk.engine, verified=verified) == sso.UNVERIFIED_NEW
    assert refused(desk.engine, email=None) == sso.NO_EMAIL
    assert refused(desk.engine, email="not an address") == sso.NO_EMAIL
    assert user_count(desk.engine) == before and identities(desk.engine) == []


@pytest.mark.parametrize("issuer, subject", [("", "sub-1"), (ISSUER, ""), (None, "sub-1"), (ISSUER, "s" * 256),
                                             (ISSUER, "sub\x00")])
def test_an_identity_the_provider_left_incomplete_is_refused(desk, issuer, subject):
    assert refused(desk.engine, subject, issuer=issuer) == sso.INCOMPLETE


# --- a known identity -------------------------------------------------------------------

def test_a_known_identity_signs_in_to_its_account_whatever_e_mail_it_now_reports(desk, clock):
    first = sign_on(desk.engine, email="nia@example.com")
    clock.advance(hours=2)
    again = sign_on(desk.engine, email="carla@example.com", verified=False, name="Someone Else")

    assert again.id == first.id and again.email == "nia@example.com" and again.name == "Nia New"
    assert identities(desk.engine) == [(ISSUER, "sub-1", first.id)]
    with session_scope(desk.engine) as session:
        identity = session.scalars(select(SignOnIdentity)).one()
        assert identity.last_used_at == clock.now == session.get(User, first.id).last_login_at
    assert len(links(desk.engine)) == 1  # linked once


def test_the_same_subject_at_another_provider_is_another_person(desk):
    first = sign_on(desk.engine, email="nia@example.com")
    other = sign_on(desk.engine, email="nia2@example.com", issuer="https://accounts.example.net")
    assert other.id != first.id


def test_a_deactivated_account_never_signs_in_through_single_sign_on(desk):
    user = sign_on(desk.engine, email="nia@example.com")
    desk.act(desk.admin, set_user_active, user_id=user.id, active=False)
    assert refused(desk.engine) == sso.DEACTIVATED
    desk.act(desk.admin, set_user_active, user_id=user.id, active=True)
    assert sign_on(desk.engine).id == user.id


def test_the_role_stays_the_local_one(desk):
    user = sign_on(desk.engine, email="nia@example.com")
    desk.act(desk.admin, set_user_role, user_id=user.id, role=Role.AGENT)
    assert sign_on(desk.engine).role == Role.AGENT
    desk.act(desk.admin, set_user_role, user_id=user.id, role=Role.CUSTOMER)
    assert sign_on(desk.engine).role == Role.CUSTOMER


# --- linking to an existing account by e-mail --------------------------------------------

def test_an_existing_account_is_not_linked_by_default_even_with_a_verified_address(desk):
    with session_scope(desk.engine) as session:
        assert get_settings(session=session).link_sign_on_by_email is False
    message = refused(desk.engine, email="Carla@Example.com", verified=True)
    assert message == sso.USE_PASSWORD and "password" in message and "administrator" in message
    assert identities(desk.engine) == [] and links(desk.engine) == []


def test_an_existing_account_is_never_linked_by_an_unverified_address(desk):
    allow_linking(desk)
    for verified in (False, None, "true"):
        assert refused(desk.engine, email="carla@example.com", verified=verified) == sso.UNVERIFIED_EXISTING
    assert identities(desk.engine) == []


def test_a_verified_address_links_to_the_existing_account_when_an_administrator_allows_it(desk):
    allow_linking(desk)
    user = sign_on(desk.engine, email="CARLA@example.com", name="Not Her Name")

    assert (user.id, user.name, user.role) == (desk.customer.id, "Carla Customer", Role.CUSTOMER)
    assert identities(desk.engine) == [(ISSUER, "sub-1", desk.customer.id)]
    assert links(desk.engine) == [(desk.customer.id, person(desk.customer), f"{ISSUER} (by verified e-mail)")]
    with session_scope(desk.engine) as session:  # the password still works too
        assert authenticate(session=session, email="carla@example.com", password=TEST_PASSWORD).id == desk.customer.id
    allow_linking(desk, False)  # once linked, the identity needs the setting no more
    assert sign_on(desk.engine).id == desk.customer.id


def test_linking_keeps_a_staff_role_and_never_opens_a_deactivated_account(desk):
    allow_linking(desk)
    assert sign_on(desk.engine, "alex", email="alex@support.example.com").role == Role.AGENT
    desk.act(desk.admin, set_user_active, user_id=desk.agent2.id, active=False)
    assert refused(desk.engine, "bo", email="bo@support.example.com") == sso.DEACTIVATED
    assert [subject for _, subject, _ in identities(desk.engine)] == ["alex"]


# --- the setting ------------------------------------------------------------------------

def test_only_an_administrator_changes_the_linking_setting_and_the_change_is_audited(desk):
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, set_link_sign_on_by_email, enabled=True)
    allow_linking(desk)
    allow_linking(desk)  # unchanged: no second entry
    with session_scope(desk.engine) as session:
        assert link_sign_on_by_email(session) is True
        rows = [(e.action, e.target, e.old_value, e.new_value) for e in session.scalars(select(AuditEntry))]
    assert rows == [(AuditAction.SETTING_CHANGED, "Link single sign-on to existing accounts by verified e-mail",
                     "Off", "On")]
