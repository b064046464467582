"""The sign-in throttle as a person meets it: per address and per client (IP address), a few free
failures, then a wait that doubles from 2 seconds up to 15 minutes, said in words; forgotten a day
after the last failure, by a successful sign-in (the address) and by a password reset
(forget_failures). Time is the `clock` fixture's, so every wait is exact. SQLite and PostgreSQL.

The numbers are literals on purpose: a changed rule fails here."""
from __future__ import annotations

from helpdesk.accounts import throttle, users as accounts_users
from helpdesk.core.db import make_engine, session_scope
from helpdesk.core.errors import AuthenticationFailed, Throttled
from helpdesk.models import User
from tests.factories import TEST_PASSWORD, add_user

WRONG = "Wrong-password-1"
OFFICE = "203.0.113.7"  # one client (a NAT gateway, say)
HOME = "198.51.100.20"


def wait_message(words: str) -> str:
    return f"Too many failed sign-ins. Try again in {words}."


def sign_in(engine, email, password=TEST_PASSWORD, client=None) -> User:
    with session_scope(engine) as session:
        return accounts_users.authenticate(session=session, email=email, password=password, client=client)


def outcome(engine, email, password=WRONG, client=None) -> str:
    """What the person reads: "signed in", the refusal, or the throttle's message."""
    try:
        sign_in(engine, email, password, client)
    except Throttled as exc:
        return str(exc)
    except AuthenticationFailed as exc:
        assert str(exc) == accounts_users.SIGN_IN_FAILED
        return "refused"
    return "signed in"


def fail(engine, email, times: int, client=None) -> None:
    for _ in range(times):
        assert outcome(engine, email, client=client) == "refused"


# --- per address ---------------------------------------------------------------------------------

def test_three_failures_are_free_and_even_the_right_password_then_signs_in(engine, clock):
    add_user(engine, email="carla@example.com")
    fail(engine, "carla@example.com", 3)
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == "signed in"


def test_the_fourth_failure_makes_the_address_wait_two_seconds_even_for_the_right_password(engine, clock):
    add_user(engine, email="carla@example.com")
    fail(engine, "carla@example.com", 4)
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("2 seconds")
    clock.advance(seconds=1, microseconds=999_999)
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("1 second")
    clock.advance(microseconds=1)
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == "signed in"


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes(engine, clock):
    add_user(engine, email="carla@example.com")
    fail(engine, "carla@example.com", 3)
    schedule = [("2 seconds", 2), ("4 seconds", 4), ("8 seconds", 8), ("16 seconds", 16), ("32 seconds", 32),
                ("2 minutes", 64), ("3 minutes", 128), ("5 minutes", 256), ("9 minutes", 512),
                ("15 minutes", 900), ("15 minutes", 900)]
    for words, seconds in schedule:
        assert outcome(engine, "carla@example.com") == "refused"
        assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message(words)
        clock.advance(seconds=seconds, microseconds=-1)
        assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("1 second")
        clock.advance(microseconds=1)  # the wait is over to the microsecond
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == "signed in"


def test_attempts_during_a_wait_check_no_password_and_do_not_make_it_longer(engine, clock):
    add_user(engine, email="carla@example.com")
    fail(engine, "carla@example.com", 4)
    for _ in range(10):  # the right password too: nothing is checked while the address waits
        assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("2 seconds")
    clock.advance(seconds=2)
    assert outcome(engine, "carla@example.com") == "refused"  # the fifth failure: 4 seconds, not more
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("4 seconds")


def test_a_known_and_an_unknown_address_get_the_same_answers(engine, clock):
    add_user(engine, email="carla@example.com")

    def answers(email):
        said = [outcome(engine, email) for _ in range(5)]
        clock.advance(seconds=1)
        said.append(outcome(engine, email))
        clock.advance(seconds=1)
        return said + [outcome(engine, email)]

    known, unknown = answers("carla@example.com"), answers("nobody@example.com")
    assert known == unknown == ["refused"] * 4 + [wait_message("2 seconds"), wait_message("1 second"), "refused"]


def test_a_success_forgets_the_address_failures(engine, clock):
    add_user(engine, email="carla@example.com")
    fail(engine, "carla@example.com", 3)
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == "signed in"
    fail(engine, "carla@example.com", 3)  # three free failures again, not a wait
    assert outcome(engine, "carla@example.com") == "refused"
    assert outcome(engine, "carla@example.com") == wait_message("2 seconds")  # and the first wait again


def test_failures_are_forgotten_a_day_after_the_last_one(engine, clock):
    add_user(engine, email="carla@example.com")
    fail(engine, "carla@example.com", 4)
    clock.advance(hours=23, minutes=59, seconds=59)
    assert outcome(engine, "carla@example.com") == "refused"
    assert outcome(engine, "carla@example.com") == wait_message("4 seconds")  # still counted: the fifth
    clock.advance(hours=23, minutes=59, seconds=59)  # two days after the first failure, not one after the last
    assert outcome(engine, "carla@example.com") == "refused"
    assert outcome(engine, "carla@example.com") == wait_message("8 seconds")  # the sixth
    clock.advance(hours=24)  # a quiet day since the last failure
    fail(engine, "carla@example.com", 4)  # counted from one again: three free, the fourth waits 2 s
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("2 seconds")


def test_forget_failures_after_a_password_reset_lifts_the_wait_of_that_address_only(engine, clock):
    add_user(engine, email="carla@example.com")
    for _ in range(7):
        fail(engine, "carla@example.com", 1)
        clock.advance(minutes=15)  # past any wait
    fail(engine, "carla@example.com", 1)
    fail(engine, "nobody@example.com", 4)
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == wait_message("32 seconds")
    with session_scope(engine) as session:
        throttle.forget_failures(session, "Carla@Example.com")
    assert outcome(engine, "carla@example.com", TEST_PASSWORD) == "signed in"
    assert outcome(engine, "nobody@example.com") == wait_message("2 seconds")


def test_the_wait_is_kept_in_the_database_and_survives_a_restart(engine, clock):
    add_user(engine, email="erin@example.com")
    fail(engine, "Erin@Example.com", 4, client=OFFICE)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    restarted = make_engine(url)
    try:
        assert outcome(restarted, "erin@example.com", TEST_PASSWORD) == wait_message("2 seconds")
    finally:
        restarted.dispose()


# --- per client ----------------------------------------------------------------------------------

def test_twenty_failures_from_one_client_are_free_across_addresses_and_the_21st_makes_it_wait(engine, clock):
    add_user(engine, email="dora@example.com")
    for n in range(21):  # one failure on each of 21 addresses: no address comes near its own limit
        assert outcome(engine, f"guess{n}@example.com", client=OFFICE) == "refused"
    # Any address from that client now waits, even a fresh one with its right password...
    assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=OFFICE) == wait_message("2 seconds")
    # ...while the same person from elsewhere signs in.
    assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=HOME) == "signed in"
    clock.advance(seconds=2)
    assert outcome(engine, "guess21@example.com", client=OFFICE) == "refused"  # the 22nd: 4 seconds
    assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=OFFICE) == wait_message("4 seconds")


def test_an_attempt_its_client_refuses_does_not_count_against_its_address(engine, clock):
    add_user(engine, email="dora@example.com")
    for n in range(21):
        fail(engine, f"guess{n}@example.com", 1, client=OFFICE)
    for _ in range(5):
        assert outcome(engine, "dora@example.com", client=OFFICE) == wait_message("2 seconds")
    fail(engine, "dora@example.com", 3, client=HOME)  # Dora's three free failures are all still hers
    assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=HOME) == "signed in"


def test_a_success_from_a_client_takes_back_its_own_attempt_but_not_the_failures(engine, clock):
    """Signing in with an account of one's own must not reset the client's count (else a machine
    trying other people's addresses would do that between guesses), nor count against it (else a
    busy office would wait for its colleagues' sign-ins)."""
    add_user(engine, email="dora@example.com")
    for n in range(20):
        fail(engine, f"guess{n}@example.com", 1, client=OFFICE)
    for _ in range(3):
        assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=OFFICE) == "signed in"
    assert outcome(engine, "guess20@example.com", client=OFFICE) == "refused"  # still the 21st failure
    assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=OFFICE) == wait_message("2 seconds")


def test_a_blank_address_counts_against_its_client_only(engine, clock):
    for _ in range(21):
        assert outcome(engine, "   ", client=OFFICE) == "refused"
    assert outcome(engine, "", client=OFFICE) == wait_message("2 seconds")


def test_clients_that_are_one_machine_share_a_count(engine, clock):
    for n in range(21):  # from all over one IPv6 /64: a home or a server is handed a whole /64
        fail(engine, f"guess{n}@example.com", 1, client=f"2001:db8:1:2::{n + 1:x}")
    assert outcome(engine, "fresh@example.com", client="2001:db8:1:2:ffff:ffff:ffff:fffe") == wait_message("2 seconds")
    assert outcome(engine, "fresh@example.com", client="2001:db8:1:3::1") == "refused"  # the next /64 is another
    # An IPv4 client written as IPv6 is the same client.
    assert throttle.client_key("::ffff:203.0.113.7") == throttle.client_key(" 203.0.113.7 ")


def test_a_success_from_a_waiting_client_leaves_its_wait_as_it_was(engine, clock):
    """Review: a sign-in that succeeds gives back its count, and so the wait that count brought: a
    colleague behind the same office address, right after, waits no longer than before it (else
    every success there would double everybody's wait)."""
    add_user(engine, email="dora@example.com")
    add_user(engine, email="erin@example.com")
    for n in range(21):
        fail(engine, f"guess{n}@example.com", 1, client=OFFICE)
    clock.advance(seconds=2)  # the office's wait after its 21st failure is over
    assert outcome(engine, "dora@example.com", TEST_PASSWORD, client=OFFICE) == "signed in"
    assert outcome(engine, "erin@example.com", TEST_PASSWORD, client=OFFICE) == "signed in"
    # The failures themselves are all still counted: the next one makes the office wait 4 seconds.
    assert outcome(engine, "guess21@example.com", client=OFFICE) == "refused"
    assert outcome(engine, "erin@example.com", TEST_PASSWORD, client=OFFICE) == wait_message("4 seconds")
