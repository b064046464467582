"""What the analytics page reports of the help center (metrics.help_center_figures), on SQLite and
PostgreSQL: every count made the way the pages make it (through the services), only what happened
in [start, end), shares left undefined when there is nothing to share, and managers only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied
from helpdesk.enums import Role
from helpdesk.knowledge import articles, assistant, suggestions
from helpdesk.knowledge.metrics import ArticleFigures, help_center_figures
from helpdesk.models import Ticket
from tests.factories import add_user
from tests.knowledge.corpus import publish_corpus


@pytest.fixture
def manager(desk):
    return add_user(desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")


def view(desk, slug: str, times: int = 1, *, who=None) -> None:
    for _ in range(times):
        desk.act(who or desk.customer, lambda session, actor: articles.record_view(
            session=session, actor=actor, article=articles.get_article(session=session, actor=actor, slug=slug)))


def rate(desk, slug: str, *, helpful: bool) -> None:
    desk.act(desk.customer, lambda session, actor: articles.record_feedback(
        session=session, actor=actor, article=articles.get_article(session=session, actor=actor, slug=slug),
        helpful=helpful))


def visitor(desk, service, **arguments):
    """A service called by someone who has not signed in."""
    with session_scope(desk.engine) as session:
        return service(session=session, actor=None, **arguments)


def chat(desk, question: str, *, who=None) -> str:
    """A conversation started the way the assistant page starts one: with its first question."""
    call = (lambda service, **arguments: desk.act(who, service, **arguments)) if who is not None else \
        (lambda service, **arguments: visitor(desk, service, **arguments))
    key = call(assistant.start_chat).key
    call(assistant.ask, key=key, question=question)
    return key


def raise_from_chat(desk, key: str) -> int:
    ticket_id = desk.raise_ticket(subject="Where is my order", description="where is my order")
    desk.act(desk.customer, lambda session, actor: assistant.attach_to_ticket(
        session=session, actor=actor, key=key, ticket=session.get(Ticket, ticket_id)))
    return ticket_id


def open_suggestion(desk, slug: str) -> int:
    return desk.act(desk.customer, lambda session, actor: suggestions.record_suggestion_opened(
        session=session, actor=actor, article=articles.get_article(session=session, actor=actor, slug=slug)))


def figures(desk, person, start, end):
    return desk.act(person, help_center_figures, start=start, end=end)


def test_the_figures_count_what_the_help_center_recorded_in_the_range(desk, manager, clock):
    publish_corpus(desk, drafts=("download-an-invoice",))
    # Before the range: counted nowhere below.
    clock.advance(days=-10)
    visitor(desk, assistant.mark_solved, key=chat(desk, "I forgot my password"), slug="reset-your-password")
    view(desk, "reset-your-password", 5)
    clock.advance(days=10)
    start = clock.now

    # Four conversations: two solved (one by a visitor), one a ticket, one left open.
    key = chat(desk, "I forgot my password", who=desk.customer)
    desk.act(desk.customer, assistant.mark_solved, key=key, slug="reset-your-password")
    visitor(desk, assistant.mark_solved, key=chat(desk, "two payments for the same order"), slug="charged-twice")
    raise_from_chat(desk, chat(desk, "where is my order"))
    chat(desk, "how do I return an item", who=desk.customer)
    clock.advance(minutes=5)

    # Three suggestions opened on the submit page; the ticket raised after one of them.
    opened = [open_suggestion(desk, slug) for slug in ("track-your-parcel", "return-an-item", "reset-your-password")]
    later = desk.raise_ticket(subject="Parcel late", description="still not here")
    desk.act(desk.customer, lambda session, actor: suggestions.link_suggestions_to_ticket(
        session=session, actor=actor, event_ids=opened[:1], ticket=session.get(Ticket, later)))

    # Views and answers to "Did this help?"; staff reading a draft counts nowhere.
    view(desk, "reset-your-password", 2)
    view(desk, "reset-your-password", who=desk.agent)
    view(desk, "charged-twice")
    view(desk, "download-an-invoice", who=desk.agent)
    rate(desk, "reset-your-password", helpful=True)
    rate(desk, "reset-your-password", helpful=True)
    rate(desk, "reset-your-password", helpful=False)
    rate(desk, "charged-twice", helpful=False)
    clock.advance(hours=1)
    end = clock.now
    view(desk, "charged-twice", 4)  # at the end of the range: the next one's

    got = figures(desk, manager, start, end)
    assert (got.chat_sessions, got.chats_solved, got.chat_tickets) == (4, 2, 1)
    assert got.chat_solved_share == 0.5
    assert (got.suggestions_opened, got.suggestions_deflected) == (3, 2)
    assert got.deflection_share == pytest.approx(2 / 3)
    assert (got.article_views, got.helpful, got.not_helpful) == (4, 2, 2)
    assert got.helpful_share == 0.5
    assert got.top_articles == [ArticleFigures("reset-your-password", "Reset your password", 3, 2, 1),
                                ArticleFigures("charged-twice", "Charged twice for one order", 1, 0, 1)]

    # The range is [start, end): the views at its end belong to the next one.
    after = figures(desk, manager, end, end + timedelta(hours=1))
    assert after.article_views == 4 and after.chat_sessions == 0
    assert after.top_articles == [ArticleFigures("charged-twice", "Charged twice for one order", 4, 0, 0)]
    # The one before holds the early conversation and views only.
    before = figures(desk, manager, start - timedelta(days=11), start)
    assert (before.chat_sessions, before.chats_solved, before.article_views) == (1, 1, 5)


def test_nothing_recorded_counts_zero_and_shares_are_undefined(desk, manager, clock):
    got = figures(desk, manager, clock.now - timedelta(days=30), clock.now)
    assert (got.chat_sessions, got.chats_solved, got.chat_tickets, got.suggestions_opened, got.suggestions_deflected,
            got.article_views, got.helpful, got.not_helpful) == (0,) * 8
    assert (got.chat_solved_share, got.deflection_share, got.helpful_share) == (None, None, None)
    assert got.top_articles == []


def test_only_managers_and_administrators_read_the_figures(desk, manager, clock):
    start, end = clock.now - timedelta(days=1), clock.now
    for person in (desk.agent, desk.customer):
        with pytest.raises(PermissionDenied):
            figures(desk, person, start, end)
    assert figures(desk, desk.admin, start, end).chat_sessions == 0
