"""The account rules pinned with literals (issue 7): the exact words each form field shows,
the edges of every length and strength rule, the first administrator, (de)activating accounts
and what a deactivated person can then do, and the admin Users list (search, role filter,
ordering, paging) as the page shows it. Nothing below reads a value back from the constant it
checks. Service tests run on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
import secrets
import string
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from helpdesk.accounts import users as accounts_users
from helpdesk.accounts.passwords import password_problem
from helpdesk.accounts.users import NewAccount
from helpdesk.core.db import session_scope
from helpdesk.core.errors import AuthenticationFailed, PermissionDenied, ValidationError
from helpdesk.enums import Role
from helpdesk.models import LoginThrottle, User
from tests.factories import GOOD_PASSWORD, TEST_PASSWORD, TEST_PASSWORD_HASH, add_user, new_account, user_count
from tests.page_helpers import messages, open_app, rerun  # noqa: F401  (fixture)

SIGN_IN_FAILED = "That e-mail and password don't match an account."


def refusal(engine, data: NewAccount) -> dict[str, str]:
    """What the sign-up form shows at each field for `data`; nothing may have been written."""
    before = user_count(engine)
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.sign_up(session=session, data=data)
    assert user_count(engine) == before
    return excinfo.value.field_errors


def sign_in(engine, email, password) -> User:
    with session_scope(engine) as session:
        return accounts_users.authenticate(session=session, email=email, password=password)


# --- passwords: 10 to 1024 characters, and hard to guess by zxcvbn's estimate -------------------

ADD_WORDS = "Add another word or two. Uncommon words are better."
COMMON = f"This is one of the most common passwords. {ADD_WORDS}"
PERSONAL = f"This password is built from your name or e-mail address. {ADD_WORDS}"
# 1024 characters nobody could guess (hex digests, so no repeat or pattern either).
LONG_AND_RANDOM = "".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(16))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Abcdefg1!", "Use at least 10 characters."),  # 9 characters
        (LONG_AND_RANDOM + "x", "Use at most 1024 characters."),  # 1025 characters
        ("Password123", COMMON),  # common, whatever the case
        ("qwertyuiop", COMMON),
        ("4815162342", COMMON),  # digits that look random, but are on every list
        ("letmein1234", f"This is similar to a commonly used password. {ADD_WORDS}"),
        ("aaaaaaaaA1", f'Repeats like "aaa" are easy to guess. {ADD_WORDS}'),
        ("abcdefghijkl", f'Sequences like "abc" or "6543" are easy to guess. {ADD_WORDS}'),
        ("Aa1-" * 256, f'Repeats like "abcabcabc" are only slightly harder to guess than "abc". {ADD_WORDS}'),
    ],
    ids=["9-chars", "1025-chars", "common", "keyboard-row", "common-digits", "near-common", "repeats", "sequence",
         "long-repeat"],
)
def test_a_weak_password_is_refused_with_its_reason_at_the_password_field(engine, password, message):
    assert refusal(engine, new_account(password=password)) == {"password": message}


@pytest.mark.parametrize(
    "password",
    ["AdaLovelace2026",  # the name and a year
     "lovelace1815!",  # the surname, her birth year and a symbol
     "AdaLovelace!!",  # the name and two symbols
     "Ada-1815-Lovelace",  # zxcvbn alone rates this highly: half of it is her name
     "LovelaceLovelace7",  # the surname, repeated
     "ada.lovelace@example.com",  # the address itself
     "example2026!!"],  # a word of the address's domain
)
def test_a_password_built_from_the_name_or_address_is_refused_and_says_so(engine, password):
    assert refusal(engine, new_account(name="Ada Lovelace", email="ada.lovelace@example.com", password=password)) == {
        "password": PERSONAL}


@pytest.mark.parametrize(
    "password",
    [LONG_AND_RANDOM,  # exactly 1024 characters
     "Kettle-42x",  # exactly 10 characters
     "trellis oboe canyon lantern",  # a passphrase needs no digit, capital or symbol
     "Violet-Harbour-Lantern-71",
     "Ada-trellis-oboe-42"],  # her name in it is fine when the rest is strong
    ids=["1024-chars", "10-chars", "passphrase", "words-and-digits", "name-inside-a-strong-one"],
)
def test_a_strong_password_passes_and_only_the_repeat_is_questioned(engine, password):
    """The form then complains only that the two entries differ: the password itself passed."""
    data = new_account(name="Ada Lovelace", email="ada.lovelace@example.com", password=password, repeat=password + "x")
    assert refusal(engine, data) == {"password_repeat": "The two passwords differ."}


def test_a_long_password_is_judged_at_once(engine):
    """zxcvbn is given only the first 72 characters: on all 1024 it would take hours."""
    random_ish = "".join(secrets.choice(string.ascii_letters + string.digits + string.punctuation) for _ in range(1024))
    started = time.perf_counter()
    assert password_problem(random_ish, user_inputs=("Ada Lovelace", "ada.lovelace@example.com")) is None
    assert time.perf_counter() - started < 5


def test_a_password_of_exactly_10_characters_makes_an_account_that_signs_in(engine):
    with session_scope(engine) as session:
        accounts_users.sign_up(session=session, data=new_account(email="ten@example.com", password="Kettle-42x"))
    assert sign_in(engine, "ten@example.com", "Kettle-42x").email == "ten@example.com"


def test_a_blank_email_is_refused_like_any_other_and_never_locks(engine):
    for _ in range(6):
        with pytest.raises(AuthenticationFailed) as excinfo:
            sign_in(engine, "   ", "Whatever-pass-1")
        assert str(excinfo.value) == SIGN_IN_FAILED
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


# --- argon2id: the parameters a stored hash gets, and old hashes upgraded at sign-in ----------

CURRENT_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"  # 64 MiB, 3 passes, 4 lanes


def stored_hash(engine, email) -> str:
    with session_scope(engine) as session:
        return session.scalar(select(User.password_hash).where(User.email == email))


def test_a_new_account_gets_an_argon2id_hash_with_64_mib_3_passes_4_lanes(engine):
    with session_scope(engine) as session:
        accounts_users.sign_up(session=session, data=new_account(email="new@example.com"))
    assert stored_hash(engine, "new@example.com").startswith(CURRENT_PARAMETERS)


def test_a_hash_with_old_parameters_is_upgraded_at_the_next_sign_in_and_still_works(engine):
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Old-Params-2019")
    with session_scope(engine) as session:
        session.add(User(email="old@example.com", name="Olga Old", role=Role.CUSTOMER, is_active=True,
                         password_hash=old))
    with pytest.raises(AuthenticationFailed):
        sign_in(engine, "old@example.com", "Wrong-Params-2019")
    assert stored_hash(engine, "old@example.com") == old  # a failed attempt changes nothing

    sign_in(engine, "old@example.com", "Old-Params-2019")
    upgraded = stored_hash(engine, "old@example.com")
    assert upgraded.startswith(CURRENT_PARAMETERS)
    assert sign_in(engine, "old@example.com", "Old-Params-2019").email == "old@example.com"
    assert stored_hash(engine, "old@example.com") == upgraded  # a current hash is left alone


def test_a_current_hash_is_not_rewritten_at_sign_in(engine):
    add_user(engine, email="cur@example.com")
    sign_in(engine, "cur@example.com", TEST_PASSWORD)
    assert stored_hash(engine, "cur@example.com") == TEST_PASSWORD_HASH


# --- name and e-mail: the words at the field and the length limits ----------------------------

def test_name_and_email_problems_read_exactly(engine):
    assert refusal(engine, new_account(name="  ", email="   ")) == {
        "name": "Enter your name.", "email": "Enter an e-mail address."}
    assert refusal(engine, new_account(name="x" * 121, email="")) == {
        "name": "Use at most 120 characters.", "email": "Enter an e-mail address."}


def test_an_email_of_255_characters_is_refused_as_invalid(engine):
    email = "a" * 243 + "@example.com"  # 255 characters
    assert refusal(engine, new_account(email=email)) == {
        "email": "Enter a valid e-mail address, like name@example.com. "
                 "The email address is too long (1 character too many)."}


def test_the_longest_name_and_email_allowed_make_an_account_that_signs_in(engine):
    name = "Ann " + "x" * 116  # 120 characters
    email = "a" * 242 + "@example.com"  # 254 characters
    with session_scope(engine) as session:
        accounts_users.sign_up(session=session, data=new_account(name=name, email=email))
    user = sign_in(engine, email, GOOD_PASSWORD)
    assert (user.name, user.email, user.role, user.is_active) == (name, email, Role.CUSTOMER, True)


# --- the first administrator ------------------------------------------------------------------

def test_a_second_first_admin_is_refused_with_words_that_say_sign_in(engine):
    with session_scope(engine) as session:
        accounts_users.create_first_admin(session=session, data=new_account(name="Ada Admin", email="ada@example.com"))
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied) as excinfo:
            accounts_users.create_first_admin(session=session, data=new_account(name="Mallory", email="mallory@example.com"))
    assert str(excinfo.value) == "An administrator already exists; sign in instead."
    assert user_count(engine) == 1


# --- activating and deactivating --------------------------------------------------------------

def test_an_admin_cannot_deactivate_themselves_and_keeps_working(engine):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.set_user_active(session=session, actor=admin, user_id=admin.id, active=False)
    assert str(excinfo.value) == "You can't deactivate your own account."
    assert excinfo.value.field_errors == {"__all__": "You can't deactivate your own account."}
    assert sign_in(engine, "ada@example.com", TEST_PASSWORD).is_active
    # "Activate" on one's own active account is harmless.
    with session_scope(engine) as session:
        assert accounts_users.set_user_active(session=session, actor=admin, user_id=admin.id, active=True).is_active
    with session_scope(engine) as session:
        users, total = accounts_users.list_users(session=session, actor=admin)
        assert [(u.email, u.is_active) for u in users] == [("ada@example.com", True)]


def test_the_largest_id_an_integer_column_holds_still_names_its_account(engine):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN)
    with session_scope(engine) as session:
        session.add(User(id=2147483647, email="top@example.com", name="Top Id", role=Role.CUSTOMER,
                         is_active=True, password_hash=TEST_PASSWORD_HASH))
    with session_scope(engine) as session:
        accounts_users.set_user_active(session=session, actor=admin, user_id=2147483647, active=False)
    with pytest.raises(AuthenticationFailed):
        sign_in(engine, "top@example.com", TEST_PASSWORD)


@pytest.mark.parametrize("user_id", [987654, 0, -1, 2**31])
def test_an_account_that_does_not_exist_is_named_as_such(engine, user_id):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN)
    with session_scope(engine) as session:
        with pytest.raises(ValidationError) as excinfo:
            accounts_users.set_user_active(session=session, actor=admin, user_id=user_id, active=False)
    assert str(excinfo.value) == "No such account."


def test_a_deactivated_person_cannot_sign_in_or_act_until_reactivated(engine):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN)
    agent = add_user(engine, email="alex@example.com", role=Role.AGENT)
    other_admin = add_user(engine, email="bea@example.com", role=Role.ADMIN)
    for person in (agent, other_admin):
        with session_scope(engine) as session:
            assert not accounts_users.set_user_active(session=session, actor=admin, user_id=person.id,
                                                active=False).is_active

    for email in ("alex@example.com", "bea@example.com"):
        with pytest.raises(AuthenticationFailed) as excinfo:
            sign_in(engine, email, TEST_PASSWORD)  # the right password
        assert str(excinfo.value) == SIGN_IN_FAILED  # the same words as a wrong password
    with session_scope(engine) as session:
        assert accounts_users.get_active_user(session=session, user_id=agent.id) is None
        assert accounts_users.get_active_user(session=session, user_id=987654) is None  # a deleted account
        stale_admin = session.get(User, other_admin.id)
        with pytest.raises(PermissionDenied):
            accounts_users.list_users(session=session, actor=stale_admin)

    with session_scope(engine) as session:
        assert accounts_users.set_user_active(session=session, actor=admin, user_id=agent.id, active=True).is_active
    assert sign_in(engine, "alex@example.com", TEST_PASSWORD).role == Role.AGENT
    with session_scope(engine) as session:
        assert accounts_users.get_active_user(session=session, user_id=agent.id).email == "alex@example.com"


# --- the admin Users list ---------------------------------------------------------------------

@pytest.fixture
def people(desk):
    """The shared desk (Carla, the agents Alex and Bo, then Ada the admin) and, last, an agent and
    a customer whose names come first in their role: every role is added out of alphabetical
    order. Returns Ada, the one admin."""
    add_user(desk.engine, email="aaron@support.example.com", role=Role.AGENT, name="Aaron Agent")
    add_user(desk.engine, email="abe@example.com", name="Abe Able")
    return desk.admin


def listed(engine, admin, **filters) -> tuple[list[str], int]:
    with session_scope(engine) as session:
        users, total = accounts_users.list_users(session=session, actor=admin, **filters)
        return [u.name for u in users], total


EVERYONE_IN_ORDER = ["Ada Admin", "Aaron Agent", "Alex Agent", "Bo Agent", "Abe Able", "Carla Customer"]


def test_without_a_search_everyone_is_listed_admins_then_agents_then_customers_by_name(engine, people):
    assert listed(engine, people) == (EVERYONE_IN_ORDER, 6)
    assert listed(engine, people, search="   ") == (EVERYONE_IN_ORDER, 6)


@pytest.mark.parametrize(("role", "names"), [
    (Role.ADMIN, ["Ada Admin"]),
    (Role.AGENT, ["Aaron Agent", "Alex Agent", "Bo Agent"]),
    (Role.CUSTOMER, ["Abe Able", "Carla Customer"]),
])
def test_the_role_filter_shows_only_that_role_by_name(engine, people, role, names):
    assert listed(engine, people, role=role) == (names, len(names))


def test_role_filter_and_search_together(engine, people):
    assert listed(engine, people, role=Role.AGENT, search="aaron") == (["Aaron Agent"], 1)
    assert listed(engine, people, role=Role.CUSTOMER, search="agent") == ([], 0)


def test_pages_walk_the_same_order_and_each_knows_the_total(engine, people):
    assert listed(engine, people, limit=2) == (["Ada Admin", "Aaron Agent"], 6)
    assert listed(engine, people, limit=2, offset=2) == (["Alex Agent", "Bo Agent"], 6)
    assert listed(engine, people, limit=2, offset=4) == (["Abe Able", "Carla Customer"], 6)
    assert listed(engine, people, limit=2, offset=6) == ([], 6)


def test_a_search_that_matches_nobody_lists_nobody_and_counts_zero(engine, people):
    assert listed(engine, people, search="nobody-by-this-name") == ([], 0)


def test_a_page_holds_50_accounts_by_default(engine):
    admin = add_user(engine, email="admin@example.com", role=Role.ADMIN, name="Admin")
    with session_scope(engine) as session:
        session.add_all(User(email=f"c{n:02}@example.com", name=f"Customer {n:02}", role=Role.CUSTOMER,
                             is_active=True, password_hash=TEST_PASSWORD_HASH) for n in range(50))
    first, total = listed(engine, admin)
    assert total == 51
    assert first == ["Admin"] + [f"Customer {n:02}" for n in range(49)]
    assert listed(engine, admin, offset=50) == (["Customer 49"], 51)


def test_wildcards_in_a_name_search_are_taken_literally(engine):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    add_user(engine, email="deals@example.com", name="Deal 50% Team")
    add_user(engine, email="room@example.com", name="Room 500")
    add_user(engine, email="ann.lee@example.com", name="Ann_Lee")
    add_user(engine, email="annx@example.com", name="Annx Lee")
    assert listed(engine, admin, search="50%") == (["Deal 50% Team"], 1)
    assert listed(engine, admin, search="ANN_") == (["Ann_Lee"], 1)


def test_search_ignores_case_also_beyond_ascii_in_email_addresses(engine):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
    add_user(engine, email="zoë@example.com", name="Zoë Quinn")
    add_user(engine, email="zoe@example.com", name="Zoe Other")
    assert listed(engine, admin, search="ZOË@") == (["Zoë Quinn"], 1)
    assert listed(engine, admin, search="zoë") == (["Zoë Quinn"], 1)


def test_the_users_page_filters_by_role_and_lists_by_name(app_db):
    admin = add_user(app_db, email="mia@example.com", role=Role.ADMIN, name="Mia Admin")
    for email, role, name in [("zed@example.com", Role.AGENT, "Zed Agent"),
                              ("yara@example.com", Role.CUSTOMER, "Yara Young"),
                              ("bo@example.com", Role.AGENT, "Bo Agent")]:
        add_user(app_db, email=email, role=role, name=name)
    at = open_app(admin, page="pages/admin/users.py")
    assert at.dataframe[0].value["Name"].tolist() == ["Mia Admin", "Bo Agent", "Zed Agent", "Yara Young"]
    assert "4 accounts" in [c.value for c in at.caption]

    at.selectbox(key="users_role").set_value(Role.AGENT)
    rerun(at)
    assert at.dataframe[0].value["Name"].tolist() == ["Bo Agent", "Zed Agent"]
    assert at.dataframe[0].value["Role"].tolist() == ["Agent", "Agent"]
    assert "2 accounts" in [c.value for c in at.caption]

    at.selectbox(key="users_role").set_value(None)
    at.text_input(key="users_search").input("nobody-here")
    rerun(at)
    assert not at.dataframe
    assert "0 accounts" in [c.value for c in at.caption]
    assert not messages(at)
