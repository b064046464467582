"""The agent's help panel is kept between reruns of the ticket page (related.related_articles,
related.similar_resolved_tickets), on SQLite and PostgreSQL: looking again at the same ticket
reads and ranks nothing again, yet what changed shows - an article published or edited at once,
a ticket resolved or closed at once, a finished ticket reopened within SIMILAR_MAX_AGE, the
ticket's own words at once - and a customer is refused whatever is kept."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from helpdesk.core.db import session_scope
from helpdesk.core.errors import PermissionDenied
from helpdesk.enums import ArticleStatus, TicketStatus
from helpdesk.knowledge import related
from helpdesk.knowledge.articles import ArticleDraft, update_article
from helpdesk.knowledge.related import related_articles, similar_resolved_tickets
from helpdesk.knowledge.result_cache import ResultCache
from helpdesk.models import Article, Ticket
from helpdesk.tickets.staff import change_status
from tests.conftest import migrated_engine, postgres_schema
from tests.factories import Desk
from tests.knowledge.corpus import ARTICLES, publish_corpus

LOCKED_OUT = "Password reset link never arrives"
# The SQL that reads the category's finished tickets (the window the ranking looks in).
WINDOW_READ = "SELECT tickets.id, tickets.subject, tickets.status, tickets.resolved_at"


@contextmanager
def statements(engine):
    """Every SQL statement the database is sent meanwhile: what really ran, as the server saw it."""
    sent: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def resolved(desk, subject: str, **fields) -> int:
    return desk.raise_ticket(subject=subject, status=TicketStatus.RESOLVED, **fields)


def similar(desk, ticket_id: int, person=None) -> list[tuple[str, TicketStatus]]:
    found = desk.act(person or desk.agent, similar_resolved_tickets, ticket_id=ticket_id)
    return [(t.subject, t.status) for t in found]


def related_slugs(desk, ticket_id: int) -> list[str]:
    return [m.slug for m in desk.act(desk.agent, related_articles, ticket_id=ticket_id)]


def edit_ticket(desk, ticket_id: int, **fields) -> None:
    with session_scope(desk.engine) as session:
        ticket = session.get(Ticket, ticket_id)
        for name, value in fields.items():
            setattr(ticket, name, value)


def republish(desk, article_id: int, **changes) -> None:
    with session_scope(desk.engine) as session:
        article = session.get(Article, article_id)
        draft = ArticleDraft(title=article.title, body=article.body, category_id=article.category_id,
                             tags=list(article.tags), aliases=list(article.aliases), status=article.status,
                             slug=article.slug)
        for name, value in changes.items():
            setattr(draft, name, value)
        version = article.version
    desk.act(desk.admin, update_article, article_id=article_id, data=draft, expected_version=version)


def test_looking_again_at_a_ticket_reads_and_ranks_no_finished_tickets_again(desk):
    resolved(desk, "Password reset e-mail never arrives")
    resolved(desk, "Charged twice for my plan")
    ticket = desk.raise_ticket(subject=LOCKED_OUT)

    with statements(desk.engine) as first_look:
        first = desk.act(desk.agent, similar_resolved_tickets, ticket_id=ticket)
    with statements(desk.engine) as second_look:
        second = desk.act(desk.agent2, similar_resolved_tickets, ticket_id=ticket)

    assert [t.subject for t in first] == ["Password reset e-mail never arrives"]
    assert second == first and all(kept is made for kept, made in zip(second, first, strict=True))
    assert [s for s in first_look if WINDOW_READ in s] and not [s for s in second_look if WINDOW_READ in s]
    assert len(second_look) < len(first_look)


def test_related_articles_are_searched_once_until_an_article_changes(desk):
    ids = publish_corpus(desk, drafts=("reset-your-password",))
    ticket = desk.raise_ticket(subject="I forgot my password",
                               description="The sign-in page says my password is wrong and I can't log in.")
    first = desk.act(desk.agent, related_articles, ticket_id=ticket)
    again = desk.act(desk.agent, related_articles, ticket_id=ticket)
    assert "reset-your-password" not in [m.slug for m in first]  # still a draft
    assert again == first and all(kept is made for kept, made in zip(again, first, strict=True))

    republish(desk, ids["reset-your-password"], status=ArticleStatus.PUBLISHED)  # shows at once
    assert related_slugs(desk, ticket)[0] == "reset-your-password"

    republish(desk, ids["reset-your-password"], title="Choose a new sign-in code")  # an edit shows at once
    title, *_ = ARTICLES["reset-your-password"]
    assert [m.title for m in desk.act(desk.agent, related_articles, ticket_id=ticket)
            if m.slug == "reset-your-password"] == ["Choose a new sign-in code"]

    republish(desk, ids["reset-your-password"], title=title, status=ArticleStatus.DRAFT)  # and so does a withdrawal
    assert "reset-your-password" not in related_slugs(desk, ticket)


def test_a_ticket_resolved_or_closed_meanwhile_is_offered_at_once(desk):
    earlier = desk.raise_ticket(subject="Password reset e-mail never arrives")
    ticket = desk.raise_ticket(subject=LOCKED_OUT)
    assert similar(desk, ticket) == []

    desk.act(desk.agent, change_status, ticket_id=earlier, status=TicketStatus.RESOLVED)
    assert similar(desk, ticket) == [("Password reset e-mail never arrives", TicketStatus.RESOLVED)]

    desk.act(desk.agent, change_status, ticket_id=earlier, status=TicketStatus.CLOSED)
    assert similar(desk, ticket) == [("Password reset e-mail never arrives", TicketStatus.CLOSED)]


def reopened_meanwhile(desk) -> int:
    """A ticket whose similar list is kept, then the one similar ticket reopened: it leaves the
    finished tickets while another finished ticket stays the newest change (the clock stands
    still), which is what the freshness token cannot see."""
    earlier = resolved(desk, "Password reset e-mail never arrives")
    resolved(desk, "Charged twice for my plan")
    ticket = desk.raise_ticket(subject=LOCKED_OUT)
    assert similar(desk, ticket) == [("Password reset e-mail never arrives", TicketStatus.RESOLVED)]
    desk.act(desk.agent, change_status, ticket_id=earlier, status=TicketStatus.OPEN)
    return ticket


def test_a_reopened_ticket_leaves_the_list_within_the_maximum_age(desk, clock):
    ticket = reopened_meanwhile(desk)
    clock.advance(seconds=related.SIMILAR_MAX_AGE.total_seconds() - 1)
    assert [s for s, _ in similar(desk, ticket)] == ["Password reset e-mail never arrives"]  # the documented bound
    clock.advance(seconds=1)
    assert similar(desk, ticket) == []


def test_a_clock_set_back_does_not_keep_a_list_longer(desk, clock):
    ticket = reopened_meanwhile(desk)
    clock.advance(seconds=-1)
    assert similar(desk, ticket) == []


def test_editing_the_tickets_words_changes_both_lists_at_once(desk):
    publish_corpus(desk)
    resolved(desk, "Password reset e-mail never arrives")
    resolved(desk, "Charged twice for my plan")
    ticket = desk.raise_ticket(subject=LOCKED_OUT, description="I asked for a reset link three times.")
    assert [s for s, _ in similar(desk, ticket)] == ["Password reset e-mail never arrives"]
    assert related_slugs(desk, ticket)[0] == "reset-your-password"

    edit_ticket(desk, ticket, subject="Charged twice for one order",
                description="My card shows two payments for the same order.")
    assert [s for s, _ in similar(desk, ticket)] == ["Charged twice for my plan"]
    assert related_slugs(desk, ticket)[0] == "charged-twice"


def test_a_customer_is_refused_even_when_the_panel_is_kept_for_the_ticket(desk):
    publish_corpus(desk)
    resolved(desk, "Password reset e-mail never arrives")
    ticket = desk.raise_ticket(subject=LOCKED_OUT)  # Carla's own ticket
    assert similar(desk, ticket) and related_slugs(desk, ticket)
    for service in (similar_resolved_tickets, related_articles):
        with pytest.raises(PermissionDenied):
            desk.act(desk.customer, service, ticket_id=ticket)


@contextmanager
def another_database(engine, tmp_path):
    """A second, empty database on the same backend as `engine`."""
    with ExitStack() as stack:
        if engine.dialect.name == "postgresql":
            url = stack.enter_context(postgres_schema())
        else:
            url = f"sqlite:///{tmp_path / 'other.db'}"
        yield stack.enter_context(migrated_engine(url))


def test_the_same_ticket_id_in_another_database_gets_that_databases_tickets(desk, engine, tmp_path, clock):
    # The clock stands still: both databases' tokens are the same, only the database tells them apart.
    with another_database(engine, tmp_path) as other_engine:
        other = Desk.build(other_engine)
        resolved(desk, "Password reset e-mail never arrives")
        resolved(other, "Cannot reset my password")
        ticket, ticket_there = desk.raise_ticket(subject=LOCKED_OUT), other.raise_ticket(subject=LOCKED_OUT)
        assert ticket == ticket_there

        assert [s for s, _ in similar(desk, ticket)] == ["Password reset e-mail never arrives"]
        assert [s for s, _ in similar(other, ticket)] == ["Cannot reset my password"]


def test_a_cache_keeps_only_its_most_recently_used_entries(desk):
    cache: ResultCache[int] = ResultCache(size=2)
    for key in "abc":
        cache.put(desk.engine, key, "token", [1])
        if key == "b":
            assert cache.get(desk.engine, "a", "token") == [1]  # "a" used: "b" is now the oldest
    assert cache.get(desk.engine, "b", "token") is None
    assert cache.get(desk.engine, "a", "token") == cache.get(desk.engine, "c", "token") == [1]
    assert cache.get(desk.engine, "c", "another token") is None
