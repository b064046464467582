"""Rating the help (CSAT) on the pages: the customer's ticket page, the mailed-link page /rate
(signed out and signed in, with good, bad and expired tokens), the agent's ticket page and the
agent's profile. AppTest, on the app's SQLite database."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.enums import OutboxEvent, Role, TicketStatus
from helpdesk.models import OutboxMessage, SatisfactionRating
from helpdesk.tickets import assignment, customer, satisfaction, staff
from tests.factories import add_user
from tests.page_helpers import fill, message_at, messages, open_app, page_text, rerun

RATE_PAGE = "pages/customer/rate.py"
MARKDOWN = "**bold** ![x](http://127.0.0.1:9/pixel.png) :red[red]"


@pytest.fixture
def resolved(app_desk) -> int:
    """Carla's ticket, Alex's, resolved by him; its id."""
    ticket_id = app_desk.raise_ticket(subject="Invoice *twice*")
    app_desk.act(app_desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=app_desk.agent.id)
    app_desk.act(app_desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    return ticket_id


def stored(desk, ticket_id: int) -> SatisfactionRating:
    with session_scope(desk.engine) as session:
        return session.scalars(select(SatisfactionRating).where(SatisfactionRating.ticket_id == ticket_id)
                               .order_by(SatisfactionRating.id.desc())).first()


def mailed_token(desk, ticket_id: int) -> str:
    with session_scope(desk.engine) as session:
        body = session.scalars(select(OutboxMessage.text_body).where(
            OutboxMessage.ticket_id == ticket_id, OutboxMessage.event == OutboxEvent.STATUS_CHANGED.value)
            .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"/rate\?token=([A-Za-z0-9._-]+)", body).group(1)


def open_rate_page(user=None, token: str | None = None):
    from streamlit.testing.v1 import AppTest

    from tests.page_helpers import APP, RUN_TIMEOUT
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    if user is not None:
        at.session_state["user_id"] = user.id
    if token is not None:
        at.query_params["token"] = token
    at.run()
    at.switch_page(RATE_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stars(at, key: str, score: int):
    at.feedback(key=key).set_value(score - 1)
    return rerun(at)


# --- the customer's ticket page -----------------------------------------------------------

def test_the_customer_rates_a_resolved_ticket_with_reasons_and_then_changes_it(app_desk, resolved):
    at = open_app(app_desk.customer, ticket=resolved)
    assert "How did we do?" in page_text(at)
    assert not at.multiselect  # no reasons before a low score is picked
    stars(at, "csat_score", 2)
    at.multiselect(key="csat_reasons").select(satisfaction.SatisfactionReason.TOO_SLOW)
    fill(at, csat_comment=MARKDOWN)
    at.button(key="csat_submit").click()
    rerun(at)

    assert "Thank you! Your rating was saved." in messages(at, "success")
    rating = stored(app_desk, resolved)
    assert (rating.score, rating.reasons, rating.comment) == (2, "too_slow", MARKDOWN)
    # The form now shows the stored answer, ready to be changed.
    assert at.feedback(key="csat_score").value == 1
    assert at.button(key="csat_submit").label == "Change my rating"

    stars(at, "csat_score", 5)
    assert not at.multiselect  # reasons are for low scores only
    at.button(key="csat_submit").click()
    rerun(at)
    rating = stored(app_desk, resolved)
    assert (rating.score, rating.reasons) == (5, "")


def test_a_missing_score_or_an_overlong_comment_is_named_at_the_field_and_kept(app_desk, resolved):
    at = open_app(app_desk.customer, ticket=resolved)
    fill(at, csat_comment="Quick and kind.")
    at.button(key="csat_submit").click()
    rerun(at)
    assert message_at(at, "csat_score") == satisfaction.SCORE_MISSING
    assert at.text_area(key="csat_comment").value == "Quick and kind."

    stars(at, "csat_score", 3)
    fill(at, csat_comment="x" * 2001)
    at.button(key="csat_submit").click()
    rerun(at)
    assert message_at(at, "csat_comment") == "Use at most 2,000 characters (now 2,001)."
    assert message_at(at, "csat_score") is None
    assert at.text_area(key="csat_comment").value == "x" * 2001
    assert at.feedback(key="csat_score").value == 2
    assert stored(app_desk, resolved).score is None


def test_a_closed_ticket_shows_the_rating_read_only(app_desk, resolved):
    app_desk.act(app_desk.customer, satisfaction.rate_ticket, ticket_id=resolved, score=4, comment=MARKDOWN)
    app_desk.act(app_desk.customer, customer.close_ticket, ticket_id=resolved)
    at = open_app(app_desk.customer, ticket=resolved)
    assert not at.feedback and not [b for b in at.button if b.key == "csat_submit"]
    assert "Your rating" in page_text(at)
    assert "★★★★☆ 4/5" in [t.value for t in at.text]
    assert MARKDOWN in [t.value for t in at.text]  # shown as typed, as text


def test_an_open_ticket_has_no_rating_form(app_desk):
    ticket_id = app_desk.raise_ticket()
    at = open_app(app_desk.customer, ticket=ticket_id)
    assert not at.feedback and "How did we do?" not in page_text(at)


# --- the mailed link ----------------------------------------------------------------------

def test_the_mailed_link_rates_without_signing_in(app_desk, resolved):
    at = open_rate_page(token=mailed_token(app_desk, resolved))
    assert at.title[0].value == "How did we do?"  # not the sign-in page
    assert "CCR-000001" in page_text(at)
    assert "Invoice *twice*" in [t.value for t in at.text]
    stars(at, "rate_score", 1)
    at.multiselect(key="rate_reasons").select(satisfaction.SatisfactionReason.NOT_SOLVED)
    fill(at, rate_comment="Still broken.")
    at.button(key="rate_submit").click()
    rerun(at)
    assert "Thank you! Your rating was saved." in messages(at, "success")
    rating = stored(app_desk, resolved)
    assert (rating.score, rating.reasons, rating.comment) == (1, "not_solved", "Still broken.")
    assert at.button(key="rate_submit").label == "Change my rating"


def test_a_bad_answer_on_the_link_page_is_named_and_nothing_is_written(app_desk, resolved):
    at = open_rate_page(token=mailed_token(app_desk, resolved))
    fill(at, rate_comment="Typed before choosing.")
    at.button(key="rate_submit").click()
    rerun(at)
    assert message_at(at, "rate_score") == satisfaction.SCORE_MISSING
    assert at.text_area(key="rate_comment").value == "Typed before choosing."
    assert stored(app_desk, resolved).score is None


@pytest.mark.parametrize("which", ["tampered", "missing", "expired", "closed"])
def test_a_link_that_cannot_be_used_says_why_and_offers_no_form(app_desk, resolved, which):
    token = mailed_token(app_desk, resolved)
    expected = satisfaction.LINK_INVALID
    if which == "tampered":
        rating_id, expires, signature = token.split(".")
        token = f"{rating_id}.{int(expires) + 86400}.{signature}"
    elif which == "missing":
        token = None
    elif which == "expired":
        with session_scope(app_desk.engine) as session:
            token = satisfaction.rating_link_token(session, stored(app_desk, resolved).id,
                                                   utcnow() - timedelta(seconds=1))
        expected = satisfaction.LINK_EXPIRED
    else:
        app_desk.act(app_desk.customer, customer.close_ticket, ticket_id=resolved)
        expected = satisfaction.CLOSED
    at = open_rate_page(token=token)
    assert messages(at, "warning") == [expected]
    assert not at.feedback
    assert stored(app_desk, resolved).score is None


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.AGENT, Role.MANAGER, Role.ADMIN])
def test_the_link_page_opens_for_anyone_signed_in_and_staff_are_told_they_cannot_rate(app_desk, resolved, role):
    person = add_user(app_desk.engine, email=f"someone-{role.value}@example.com", role=role)
    at = open_rate_page(person, token=mailed_token(app_desk, resolved))
    assert at.title[0].value == "How did we do?"
    assert not [m for m in messages(at, "info") + messages(at, "warning") if m.startswith("That page is for")]
    if role == Role.CUSTOMER:
        assert at.feedback(key="rate_score") is not None
    else:
        assert messages(at, "info") == [satisfaction.STAFF_CANNOT_RATE]
        assert not at.feedback


def test_the_customer_signed_in_on_the_link_page_can_open_the_ticket(app_desk, resolved):
    at = open_rate_page(app_desk.customer, token=mailed_token(app_desk, resolved))
    assert [link.label for link in at.page_link if link.label.startswith("Open")] == ["Open CCR-000001"]


# --- what staff see -------------------------------------------------------------------------

def test_the_agent_sees_the_rating_on_the_ticket_read_only(app_desk, resolved):
    app_desk.act(app_desk.customer, satisfaction.rate_ticket, ticket_id=resolved, score=2, comment=MARKDOWN,
                 reasons=["too_slow"])
    at = open_app(app_desk.agent, ticket=resolved, page="pages/agent/ticket.py")
    assert "Satisfaction" in page_text(at)
    texts = [t.value for t in at.text]
    assert "★★☆☆☆ 2/5" in texts and MARKDOWN in texts and "Why: It took too long" in texts
    assert "credited to Alex Agent" in page_text(at)
    assert not at.feedback


def test_an_agent_sees_their_ratings_on_their_profile(app_desk, resolved):
    app_desk.act(app_desk.customer, satisfaction.rate_ticket, ticket_id=resolved, score=4, comment="Kind.")
    at = open_app(app_desk.agent, page="pages/account/profile.py")
    assert "Your satisfaction ratings" in page_text(at)
    [table] = [frame.value for frame in at.dataframe]
    assert list(table["Ticket"]) == ["CCR-000001"] and list(table["Comment"]) == ["Kind."]
    assert [m.value for m in at.metric][:2] == ["1", "4.0 / 5"]

    at = open_app(app_desk.customer, page="pages/account/profile.py")
    assert "Your satisfaction ratings" not in page_text(at)
