"""Satisfaction ratings (CSAT): asked at each resolution, answered once per resolution by the
customer (on the ticket page or through the signed link in the resolved mail), changeable until
the ticket closes, lapsed when the ticket is reopened unanswered. On SQLite and PostgreSQL."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.core import signing
from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, PermissionDenied, ValidationError
from helpdesk.enums import OutboxEvent, SatisfactionReason, TicketStatus
from helpdesk.models import AppSetting, OutboxMessage, SatisfactionRating
from helpdesk.tickets import assignment, customer, satisfaction, staff
from tests.factories import add_user

pytestmark = pytest.mark.usefixtures("no_local_configuration")

TOKEN_IN_MAIL = re.compile(r"/rate\?token=([A-Za-z0-9._-]+)")


def resolved(desk, *, agent=None) -> int:
    """A ticket of Carla's, assigned to Alex (or `agent`) and resolved by them; its id."""
    agent = agent or desk.agent
    ticket_id = desk.raise_ticket()
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=agent.id)
    desk.act(agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    return ticket_id


def requests(desk, ticket_id: int) -> list[SatisfactionRating]:
    with session_scope(desk.engine) as session:
        return list(session.scalars(select(SatisfactionRating).where(SatisfactionRating.ticket_id == ticket_id)
                                    .order_by(SatisfactionRating.id)))


def mailed_tokens(desk, ticket_id: int) -> list[str]:
    """The rating links of the status mails Carla was sent about this ticket, oldest first."""
    with session_scope(desk.engine) as session:
        bodies = session.scalars(select(OutboxMessage.text_body).where(
            OutboxMessage.ticket_id == ticket_id, OutboxMessage.event == OutboxEvent.STATUS_CHANGED.value)
            .order_by(OutboxMessage.id))
        return [m.group(1) for body in bodies for m in [TOKEN_IN_MAIL.search(body)] if m]


def rate(desk, ticket_id: int, score, **answer):
    return desk.act(desk.customer, satisfaction.rate_ticket, ticket_id=ticket_id, score=score, **answer)


def by_link(desk, token: str, score, **answer):
    with session_scope(desk.engine) as session:
        return satisfaction.rate_by_token(session=session, token=token, score=score, **answer)


def refusal(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.field_errors


# --- asked at resolution ------------------------------------------------------------------

def test_resolving_asks_once_and_credits_the_assignee_even_if_the_ticket_is_reassigned_later(desk):
    ticket_id = resolved(desk)
    [request] = requests(desk, ticket_id)
    assert (request.customer_id, request.agent_id, request.score, request.lapsed_at) == (
        desk.customer.id, desk.agent.id, None, None)

    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent2.id)
    rate(desk, ticket_id, 5)
    [request] = requests(desk, ticket_id)
    assert request.agent_id == desk.agent.id  # credited when asked, not when answered
    assert desk.act(desk.agent, satisfaction.list_agent_ratings).count == 1
    assert desk.act(desk.agent2, satisfaction.list_agent_ratings).count == 0


def test_resolving_together_with_a_reassignment_credits_the_new_assignee(desk):
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, assignee_id=desk.agent2.id,
             status=TicketStatus.RESOLVED)
    assert [r.agent_id for r in requests(desk, ticket_id)] == [desk.agent2.id]


def test_asking_costs_the_ticket_no_extra_version_step(desk, monkeypatch):
    """The request is written without flushing the half-changed ticket early."""
    def version_step_of_resolving() -> int:
        ticket_id = desk.raise_ticket()
        before = desk.ticket(ticket_id).version
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
        return desk.ticket(ticket_id).version - before

    with_request = version_step_of_resolving()
    monkeypatch.setattr(satisfaction, "on_resolved", lambda session, ticket, now: None)
    assert version_step_of_resolving() == with_request


def test_a_ticket_closed_without_being_resolved_is_not_asked(desk):
    """A closed ticket can't be rated, so a request made then could never be answered."""
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.CLOSED)
    assert requests(desk, ticket_id) == []
    assert refusal(lambda: rate(desk, ticket_id, 4)) == {"__all__": satisfaction.CLOSED}


def test_an_open_ticket_cannot_be_rated(desk):
    ticket_id = desk.raise_ticket()
    assert refusal(lambda: rate(desk, ticket_id, 4)) == {"__all__": satisfaction.NOT_RESOLVED}


# --- rate, change, close -----------------------------------------------------------------

def test_the_customer_rates_and_changes_it_until_the_ticket_closes(desk, clock):
    ticket_id = resolved(desk)
    clock.advance(hours=1)
    first = rate(desk, ticket_id, 2, comment="  Took three days.  ",
                 reasons=[SatisfactionReason.TOO_SLOW, "asked_twice"])
    assert (first.score, first.comment, first.reasons) == (
        2, "Took three days.", (SatisfactionReason.TOO_SLOW, SatisfactionReason.ASKED_TWICE))
    assert first.rated_at == clock.now

    clock.advance(hours=1)
    changed = rate(desk, ticket_id, 4, comment="Thought about it: fine.", reasons=["too_slow"])
    # One rating per resolution: the same row, changed; reasons only explain a low score.
    [stored] = requests(desk, ticket_id)
    assert stored.id == first.id
    assert (stored.score, stored.comment, stored.reasons, stored.rated_at) == (
        4, "Thought about it: fine.", "", clock.now)
    assert changed.reasons == ()

    desk.act(desk.customer, customer.close_ticket, ticket_id=ticket_id)
    assert refusal(lambda: rate(desk, ticket_id, 1)) == {"__all__": satisfaction.CLOSED}
    assert requests(desk, ticket_id)[0].score == 4
    view = desk.act(desk.customer, satisfaction.get_ticket_satisfaction, ticket_id=ticket_id)
    assert view.current is None and not view.can_rate and [r.score for r in view.answered] == [4]


@pytest.mark.parametrize(("answer", "errors"), [
    ({"score": 0}, {"score": satisfaction.SCORE_MISSING}),
    ({"score": 6}, {"score": satisfaction.SCORE_MISSING}),
    ({"score": None}, {"score": satisfaction.SCORE_MISSING}),
    ({"score": True}, {"score": satisfaction.SCORE_MISSING}),
    ({"score": "5"}, {"score": satisfaction.SCORE_MISSING}),
    ({"score": 3, "comment": "x" * 2001}, {"comment": "Use at most 2,000 characters (now 2,001)."}),
    ({"score": 3, "comment": "fine\u202e"}, {"comment": "Remove the invisible control character (U+202E); "
                                                        "it may have come in with pasted text."}),
    ({"score": 2, "reasons": ["rude"]}, {"reasons": "Choose the reasons from the list."}),
    ({"score": 9, "comment": "\x00", "reasons": ["?"]}, {"score": satisfaction.SCORE_MISSING,
                                                          "comment": "Remove the invisible control character "
                                                                     "(U+0000); it may have come in with pasted text.",
                                                          "reasons": "Choose the reasons from the list."}),
])
def test_bad_answers_are_named_by_field_and_write_nothing(desk, answer, errors):
    ticket_id = resolved(desk)
    answer = dict(answer)  # the same dict serves both backends
    score = answer.pop("score")
    assert refusal(lambda: rate(desk, ticket_id, score, **answer)) == errors
    [request] = requests(desk, ticket_id)
    assert (request.score, request.comment, request.reasons, request.rated_at) == (None, "", "", None)


def test_a_comment_of_exactly_the_limit_and_line_breaks_are_kept(desk):
    ticket_id = resolved(desk)
    comment = ("Line one.\nLine two.\t" + "x" * 2000)[:2000]
    assert rate(desk, ticket_id, 5, comment=comment).comment == comment


def test_agents_cannot_rate_and_other_customers_find_no_ticket(desk):
    ticket_id = resolved(desk)
    for staff_member in (desk.agent, desk.admin):
        with pytest.raises(PermissionDenied, match="Agents can't rate"):
            desk.act(staff_member, satisfaction.rate_ticket, ticket_id=ticket_id, score=5)
    dave = add_user(desk.engine, email="dave@example.com")
    for ticket in (ticket_id, 999_999, -1, 2**63):
        with pytest.raises(NotFound):
            desk.act(dave, satisfaction.rate_ticket, ticket_id=ticket, score=1)
        with pytest.raises(NotFound):
            desk.act(dave, satisfaction.get_ticket_satisfaction, ticket_id=ticket)
    assert requests(desk, ticket_id)[0].score is None


# --- reopen ------------------------------------------------------------------------------

def test_reopening_lapses_an_unanswered_request_and_the_next_resolution_asks_again(desk, clock):
    ticket_id = resolved(desk)
    clock.advance(hours=2)
    desk.act(desk.customer, customer.reopen_ticket, ticket_id=ticket_id)
    [lapsed] = requests(desk, ticket_id)
    assert lapsed.lapsed_at == clock.now and lapsed.score is None
    assert refusal(lambda: rate(desk, ticket_id, 3)) == {"__all__": satisfaction.NOT_RESOLVED}

    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    first, second = requests(desk, ticket_id)
    assert first.id == lapsed.id and first.lapsed_at is not None
    assert second.lapsed_at is None and second.score is None
    assert rate(desk, ticket_id, 5).id == second.id
    assert [r.score for r in requests(desk, ticket_id)] == [None, 5]


def test_a_rating_given_before_a_reopen_stays_that_resolutions_rating(desk):
    ticket_id = resolved(desk)
    rate(desk, ticket_id, 1, reasons=["not_solved"])
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Still broken.")  # reopens
    [kept] = requests(desk, ticket_id)
    assert kept.score == 1 and kept.lapsed_at is None
    assert refusal(lambda: rate(desk, ticket_id, 5)) == {"__all__": satisfaction.NOT_RESOLVED}

    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    rate(desk, ticket_id, 5)
    assert [r.score for r in requests(desk, ticket_id)] == [1, 5]  # one per resolution
    view = desk.act(desk.agent, satisfaction.get_ticket_satisfaction, ticket_id=ticket_id)
    assert [r.score for r in view.requests] == [5, 1] and view.current.score == 5 and not view.can_rate


# --- the mailed link ---------------------------------------------------------------------

def test_the_resolved_mail_carries_a_link_that_rates_without_signing_in(desk):
    ticket_id = resolved(desk)
    [token] = mailed_tokens(desk, ticket_id)
    with session_scope(desk.engine) as session:
        asked = satisfaction.rating_for_link(session=session, token=token)
    assert (asked.ticket_id, asked.reference, asked.score) == (ticket_id, "CCR-000001", None)

    by_link(desk, token, 2, comment="Slow.", reasons=["too_slow"])
    by_link(desk, token, 3, comment="Slow, but it works.", reasons=["too_slow"])  # changeable through it too
    [request] = requests(desk, ticket_id)
    assert (request.score, request.comment, request.reasons) == (3, "Slow, but it works.", "too_slow")
    assert desk.act(desk.customer, satisfaction.get_ticket_satisfaction, ticket_id=ticket_id).current.score == 3


def test_a_link_with_a_bad_answer_says_what_to_fix_and_writes_nothing(desk):
    ticket_id = resolved(desk)
    [token] = mailed_tokens(desk, ticket_id)
    assert refusal(lambda: by_link(desk, token, 0)) == {"score": satisfaction.SCORE_MISSING}
    assert requests(desk, ticket_id)[0].score is None


def tampered(token: str) -> list[str]:
    rating_id, expires, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"{int(rating_id) + 1}.{expires}.{signature}",  # another request
        f"{rating_id}.{int(expires) + 86400 * 365}.{signature}",  # a later expiry
        f"{rating_id}.{expires}.{flipped}",  # a forged signature
        f"{rating_id}.{expires}.{signature[:-1]}",  # cut short
        f"{rating_id}.{expires}",
        "", "..", "not-a-token", f"{rating_id}.{expires}.{signature}\x00", "1" * 5000,
    ]


def test_a_tampered_or_mangled_link_is_refused_and_writes_nothing(desk):
    first = resolved(desk)
    resolved(desk)  # another ticket's request, so "the next id" names a real row
    [token] = mailed_tokens(desk, first)
    for bad in tampered(token) + [None, 42]:
        assert refusal(lambda: by_link(desk, bad, 5)) == {"token": satisfaction.LINK_INVALID}, bad
        with session_scope(desk.engine) as session:
            assert refusal(lambda: satisfaction.rating_for_link(session=session, token=bad)) == {
                "token": satisfaction.LINK_INVALID}
    with session_scope(desk.engine) as session:
        assert session.scalar(select(func.count()).select_from(SatisfactionRating)
                              .where(SatisfactionRating.score.is_not(None))) == 0


def test_a_link_signed_with_another_secret_or_for_another_purpose_is_refused(desk):
    ticket_id = resolved(desk)
    [request] = requests(desk, ticket_id)
    expires = desk.ticket(ticket_id).resolved_at + timedelta(days=1)
    with session_scope(desk.engine) as session:
        secret = settings.server_secret(session)
    for forged in (signing.make_token(b"x" * 40, satisfaction.LINK_PURPOSE, request.id, expires),
                   signing.make_token(secret, "password-reset", request.id, expires)):
        assert refusal(lambda: by_link(desk, forged, 5)) == {"token": satisfaction.LINK_INVALID}
    assert requests(desk, ticket_id)[0].score is None


def test_an_expired_link_says_so_and_writes_nothing(desk, clock):
    ticket_id = resolved(desk)
    [token] = mailed_tokens(desk, ticket_id)
    clock.advance(days=30, seconds=-1)
    by_link(desk, token, 4)  # still good a second before
    clock.advance(seconds=1)
    assert refusal(lambda: by_link(desk, token, 1)) == {"token": satisfaction.LINK_EXPIRED}
    assert requests(desk, ticket_id)[0].score == 4
    assert rate(desk, ticket_id, 5).score == 5  # the ticket page still takes it while it is resolved


def test_a_link_of_a_lapsed_request_a_closed_ticket_or_an_earlier_resolution_is_refused(desk):
    ticket_id = resolved(desk)
    [first] = mailed_tokens(desk, ticket_id)
    desk.act(desk.agent, customer.reopen_ticket, ticket_id=ticket_id)
    assert refusal(lambda: by_link(desk, first, 5)) == {"token": satisfaction.REOPENED}

    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert refusal(lambda: by_link(desk, first, 5)) == {"token": satisfaction.REOPENED}  # still lapsed
    second = mailed_tokens(desk, ticket_id)[-1]
    assert second != first
    by_link(desk, second, 4)
    desk.act(desk.agent, customer.reopen_ticket, ticket_id=ticket_id)  # answered: kept, not lapsed
    assert refusal(lambda: by_link(desk, second, 1)) == {"token": satisfaction.REOPENED}
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert refusal(lambda: by_link(desk, second, 1)) == {"token": satisfaction.LINK_SUPERSEDED}

    third = mailed_tokens(desk, ticket_id)[-1]
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.CLOSED)
    assert refusal(lambda: by_link(desk, third, 5)) == {"token": satisfaction.CLOSED}
    assert [r.score for r in requests(desk, ticket_id)] == [None, 4, None]


def test_staff_signed_in_cannot_rate_through_a_customers_link(desk):
    ticket_id = resolved(desk)
    [token] = mailed_tokens(desk, ticket_id)
    with session_scope(desk.engine) as session, pytest.raises(PermissionDenied, match="Agents can't rate"):
        satisfaction.rate_by_token(session=session, token=token, score=5, actor=session.get(type(desk.agent),
                                                                                             desk.agent.id))
    assert requests(desk, ticket_id)[0].score is None


# --- the secret ----------------------------------------------------------------------------

def test_without_configuration_the_secret_is_generated_once_and_kept_in_the_database(desk):
    with session_scope(desk.engine) as session:
        assert settings.server_secret(session, create=False) is None
        made = settings.server_secret(session)
    with session_scope(desk.engine) as session:
        assert settings.server_secret(session) == made
        assert session.get(AppSetting, settings.SERVER_SECRET).value.encode() == made
    assert len(made) >= 43  # 32 random bytes


def test_a_configured_secret_is_used_and_one_too_short_is_refused(desk, monkeypatch):
    ticket_id = resolved(desk)  # a link signed with the generated secret
    [stored_token] = mailed_tokens(desk, ticket_id)
    monkeypatch.setenv(signing.SECRET_ENV, "k" * 40)
    with session_scope(desk.engine) as session:
        assert settings.server_secret(session) == b"k" * 40
    # Links signed with the old secret stop working when the configured one replaces it.
    assert refusal(lambda: by_link(desk, stored_token, 5)) == {"token": satisfaction.LINK_INVALID}
    second = resolved(desk)
    [token] = mailed_tokens(desk, second)
    by_link(desk, token, 5)

    monkeypatch.setenv(signing.SECRET_ENV, "short")
    with session_scope(desk.engine) as session, pytest.raises(RuntimeError, match="at least 32"):
        settings.server_secret(session)


# --- what agents see ----------------------------------------------------------------------

def test_agents_see_their_own_ratings_and_managers_anyones(desk):
    for score in (5, 4, 2):
        ticket_id = resolved(desk)
        rate(desk, ticket_id, score, comment=f"Gave {score}.")
    resolved(desk)  # asked, never answered: not a rating
    mine = desk.act(desk.agent, satisfaction.list_agent_ratings)
    assert (mine.count, mine.average, mine.satisfied) == (3, pytest.approx(11 / 3), 2)
    assert [r.score for r in mine.latest] == [2, 4, 5]  # newest first
    assert mine.latest[0].comment == "Gave 2." and mine.latest[0].agent_name == "Alex Agent"

    with pytest.raises(PermissionDenied):
        desk.act(desk.agent2, satisfaction.list_agent_ratings, agent_id=desk.agent.id)
    assert desk.act(desk.admin, satisfaction.list_agent_ratings, agent_id=desk.agent.id).count == 3
    with pytest.raises(PermissionDenied):
        desk.act(desk.customer, satisfaction.list_agent_ratings)
    empty = desk.act(desk.agent2, satisfaction.list_agent_ratings)
    assert (empty.count, empty.average, empty.satisfied, empty.latest) == (0, None, 0, [])
