"""Sign-ins that arrive at the same moment (issue 9, items 2 and 3), on SQLite and PostgreSQL.

The probe: twelve sessions signing in to one address at once had eleven wrong passwords
checked, six failures recorded, and the twelfth (right) password let in; twenty failed sign-ins
at once froze the app, because each held the page's connection while counting the failure on
a second one from the same pool.

Time stands still (the `clock` fixture), so the throttle's first wait (2 s) can't run out while
the threads are still checking passwords."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from helpdesk.accounts import users as accounts_users
from helpdesk.core.db import make_engine, session_scope
from helpdesk.core.errors import AuthenticationFailed, Throttled
from helpdesk.models import LoginThrottle
from tests.factories import TEST_PASSWORD, add_user

WRONG = "Not-The-Password-1"
OFFICE = "203.0.113.7"


def sign_in(engine, email: str, password: str, client: str | None = None) -> str:
    """One sign-in as the page makes it (its own transaction); the outcome as a word."""
    try:
        with session_scope(engine) as session:
            accounts_users.authenticate(session=session, email=email, password=password, client=client)
        return "signed in"
    except Throttled:
        return "throttled"
    except AuthenticationFailed:
        return "refused"


def all_at_once(engine, attempts: list[tuple]) -> Counter:
    """Every attempt in its own thread, released together by a barrier."""
    start = threading.Barrier(len(attempts))

    def one(attempt):
        start.wait()
        return sign_in(engine, *attempt)

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return Counter(pool.map(one, attempts))


def test_thirty_wrong_passwords_at_once_get_four_checks_and_the_rest_are_throttled(engine, clock):
    add_user(engine, email="carla@example.com")
    outcomes = all_at_once(engine, [("carla@example.com", WRONG)] * 30)
    # "refused" is only ever said after a password check: exactly the three free failures and
    # the fourth, whose failure brings the first wait.
    assert outcomes == Counter({"refused": 4, "throttled": 26})
    with session_scope(engine) as session:
        row = session.get(LoginThrottle, "address:carla@example.com")
        assert (row.failures, row.next_attempt_at - clock.now) == (4, timedelta(seconds=2))
    assert sign_in(engine, "carla@example.com", TEST_PASSWORD) == "throttled"


def test_eleven_wrong_passwords_at_once_leave_the_twelfth_right_one_waiting(engine, clock):
    add_user(engine, email="carla@example.com")
    outcomes = all_at_once(engine, [("carla@example.com", WRONG)] * 11)
    assert outcomes == Counter({"refused": 4, "throttled": 7})
    assert sign_in(engine, "carla@example.com", TEST_PASSWORD) == "throttled"


def test_thirty_addresses_tried_at_once_from_one_client_get_twenty_one_checks(engine, clock):
    outcomes = all_at_once(engine, [(f"guess{n}@example.com", WRONG, OFFICE) for n in range(30)])
    assert outcomes == Counter({"refused": 21, "throttled": 9})
    # The nine the client refused were not counted against their addresses either.
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(LoginThrottle).where(LoginThrottle.key.like("address:%"))) == 21


def test_a_right_password_among_the_first_attempts_signs_in_and_clears_the_count(engine, clock):
    add_user(engine, email="carla@example.com")
    assert sign_in(engine, "carla@example.com", WRONG) == "refused"
    assert sign_in(engine, "carla@example.com", TEST_PASSWORD) == "signed in"
    with session_scope(engine) as session:
        assert session.get(LoginThrottle, "address:carla@example.com") is None


@pytest.fixture
def one_connection_engine(engine):
    """The same database through a pool of exactly one connection, and who holds it."""
    small = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0,
                        pool_timeout=20)
    held: Counter = Counter()
    most_held: Counter = Counter()

    @event.listens_for(small, "checkout")
    def _out(*_):
        me = threading.get_ident()
        held[me] += 1
        most_held[me] = max(most_held[me], held[me])

    @event.listens_for(small, "checkin")
    def _in(*_):
        held[threading.get_ident()] -= 1

    small.most_held = most_held
    yield small
    small.dispose()


def test_failed_sign_ins_at_once_never_hold_two_connections_and_a_bystander_gets_in(one_connection_engine):
    engine = one_connection_engine
    add_user(engine, email="bystander@example.com")
    attempts = [(f"attacker{n}@example.com", WRONG) for n in range(6)] + [("bystander@example.com", TEST_PASSWORD)]
    outcomes = all_at_once(engine, attempts)
    # With a pool of one, a request that wanted a second connection would wait on itself until
    # the pool's timeout and fail: every request finished with its own answer instead.
    assert outcomes == Counter({"refused": 6, "signed in": 1})
    assert max(engine.most_held.values()) == 1
