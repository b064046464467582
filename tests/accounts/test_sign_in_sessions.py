"""Staying signed in: a sign-in's session, the one-time code that hands the browser its cookie,
and everything that ends a session (sign-out, expiry, a new password, deactivation, a new role)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk.accounts import sign_in_sessions as sessions
from helpdesk.accounts.profile import change_password
from helpdesk.accounts.users import set_user_active, set_user_role
from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound
from helpdesk.enums import Role
from helpdesk.models import SignInSession
from tests.factories import TEST_PASSWORD, add_user


def opened(engine, user, *, persistent=True, device="Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36"):
    with session_scope(engine) as session:
        row, code = sessions.open_session(session=session, user=user, persistent=persistent, device=device)
        return row.id, code


def redeem(engine, code):
    with session_scope(engine) as session:
        return sessions.redeem_code(session=session, code=code)


def resumed(engine, **how):
    with session_scope(engine) as session:
        row = sessions.resume(session=session, **how)
        return None if row is None else row.user_id


@pytest.fixture
def pat(engine):
    return add_user(engine, email="pat@example.com")


def test_the_code_gives_one_cookie_whose_token_finds_the_session_again(engine, clock, pat):
    session_id, code = opened(engine, pat)
    cookie = redeem(engine, code)
    assert cookie is not None and cookie.max_age == 30 * 24 * 3600
    assert resumed(engine, token=cookie.token) == pat.id
    assert resumed(engine, session_id=session_id) == pat.id
    assert redeem(engine, code) is None  # single use
    with session_scope(engine) as session:
        row = session.get(SignInSession, session_id)
        # Only hashes are stored: neither the code nor the token is in the row.
        assert cookie.token not in (row.token_hash or "") and row.code_hash is None
        assert row.token_hash and len(row.token_hash) == 64


def test_a_late_wrong_or_empty_code_gives_nothing(engine, clock, pat):
    _, code = opened(engine, pat)
    clock.advance(seconds=61)
    assert redeem(engine, code) is None
    assert redeem(engine, "not-a-code") is None
    assert redeem(engine, "") is None
    assert resumed(engine, token="not-a-token") is None
    assert resumed(engine, token="") is None


def test_unticked_keep_me_signed_in_is_a_cookie_until_the_browser_closes(engine, clock, pat):
    _, code = opened(engine, pat, persistent=False)
    cookie = redeem(engine, code)
    assert cookie.max_age is None
    clock.advance(hours=13)  # and not much longer here either, even if the browser stays open
    assert resumed(engine, token=cookie.token) is None


def test_idle_time_restarts_with_use_until_the_absolute_end(engine, clock, pat):
    _, code = opened(engine, pat)
    token = redeem(engine, code).token
    for _ in range(2):  # used every 13 days: never idle for 14
        clock.advance(days=13)
        assert resumed(engine, token=token) == pat.id
    clock.advance(days=4, seconds=1)  # day 30: the absolute end, however recently used
    assert resumed(engine, token=token) is None


def test_absolute_end_holds_however_busy_the_session(engine, clock, pat):
    _, code = opened(engine, pat)
    token = redeem(engine, code).token
    for _ in range(29):
        clock.advance(days=1)
        assert resumed(engine, token=token) == pat.id
    clock.advance(days=1)
    assert resumed(engine, token=token) is None


def test_idle_for_longer_than_the_idle_time_signs_out(engine, clock, pat):
    _, code = opened(engine, pat)
    token = redeem(engine, code).token
    clock.advance(days=13, hours=23)
    assert resumed(engine, token=token) == pat.id
    clock.advance(days=14, seconds=1)
    assert resumed(engine, token=token) is None


def test_configured_lifetimes_apply(engine, clock, pat, monkeypatch):
    monkeypatch.setenv("HELPDESK_SESSION_IDLE_DAYS", "1")
    monkeypatch.setenv("HELPDESK_SESSION_ABSOLUTE_DAYS", "2")
    _, code = opened(engine, pat)
    cookie = redeem(engine, code)
    assert cookie.max_age == 2 * 24 * 3600
    clock.advance(hours=25)
    assert resumed(engine, token=cookie.token) is None


def test_sign_out_ends_the_session_for_every_tab(engine, clock, pat):
    session_id, code = opened(engine, pat)
    token = redeem(engine, code).token
    with session_scope(engine) as session:
        sessions.end_session(session=session, session_id=session_id)
    assert resumed(engine, token=token) is None
    assert resumed(engine, session_id=session_id) is None
    # And by its cookie (the sign-out route).
    _, code = opened(engine, pat)
    token = redeem(engine, code).token
    with session_scope(engine) as session:
        sessions.end_session(session=session, token=token)
    assert resumed(engine, token=token) is None


def test_a_code_of_an_ended_session_gives_no_cookie(engine, clock, pat):
    session_id, code = opened(engine, pat)
    with session_scope(engine) as session:
        sessions.end_session(session=session, session_id=session_id)
    assert redeem(engine, code) is None


def test_a_new_password_ends_every_other_sign_in(engine, clock, pat):
    here, code_here = opened(engine, pat)
    there, code_there = opened(engine, pat)
    token_there = redeem(engine, code_there).token
    with session_scope(engine) as session:
        change_password(session=session, actor=pat, current=TEST_PASSWORD, new="another horse 42",
                        new_repeat="another horse 42", keep_session_id=here)
    assert resumed(engine, session_id=here) == pat.id
    assert resumed(engine, token=token_there) is None


def test_deactivation_and_a_new_role_end_all_sign_ins(engine, clock, pat):
    admin = add_user(engine, email="ada@example.com", role=Role.ADMIN)
    first, _ = opened(engine, pat)
    with session_scope(engine) as session:
        set_user_role(session=session, actor=admin, user_id=pat.id, role=Role.AGENT)
    assert resumed(engine, session_id=first) is None
    second, _ = opened(engine, pat)
    with session_scope(engine) as session:
        set_user_active(session=session, actor=admin, user_id=pat.id, active=False)
    assert resumed(engine, session_id=second) is None
    with session_scope(engine) as session:  # active again: the old sessions stay ended
        set_user_active(session=session, actor=admin, user_id=pat.id, active=True)
    assert resumed(engine, session_id=second) is None


def test_a_deactivated_account_is_signed_out_whatever_ended_its_sessions(engine, clock, pat):
    session_id, _ = opened(engine, pat)
    with session_scope(engine) as session:  # deactivated without the service (a script, a restore)
        session.get(type(pat), pat.id).is_active = False
    assert resumed(engine, session_id=session_id) is None


def test_the_profile_lists_the_persons_own_sign_ins_and_ends_the_others(engine, clock, pat):
    other = add_user(engine, email="sam@example.com")
    mine = [opened(engine, pat)[0] for _ in range(3)]
    opened(engine, other)
    with session_scope(engine) as session:
        sessions.end_session(session=session, session_id=mine[0])
    with session_scope(engine) as session:
        listed = [row.id for row in sessions.active_sessions(session=session, actor=pat)]
    assert sorted(listed) == sorted(mine[1:])
    with session_scope(engine) as session:
        assert sessions.end_other_sessions(session=session, actor=pat, current_id=mine[2]) == 1
    with session_scope(engine) as session:
        assert [row.id for row in sessions.active_sessions(session=session, actor=pat)] == [mine[2]]
    with pytest.raises(NotFound), session_scope(engine) as session:  # someone else's id
        sessions.end_other_sessions(session=session, actor=other, current_id=mine[2])


def test_a_click_is_not_a_write(engine, clock, pat):
    session_id, _ = opened(engine, pat)
    with session_scope(engine) as session:
        seen = session.get(SignInSession, session_id).last_seen_at
    clock.advance(seconds=30)
    resumed(engine, session_id=session_id)
    with session_scope(engine) as session:
        assert session.scalar(select(SignInSession.last_seen_at).where(SignInSession.id == session_id)) == seen
    clock.advance(seconds=31)
    resumed(engine, session_id=session_id)
    with session_scope(engine) as session:
        assert session.get(SignInSession, session_id).last_seen_at == seen + timedelta(seconds=61)
