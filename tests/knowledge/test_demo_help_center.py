"""seed-demo's help center: the guideline articles a real shop would have, in the demo
categories, found by the questions customers ask, and a life of views, chats and suggestions
the analytics page can show."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from helpdesk.core.db import session_scope
from helpdesk.demo.corpus import CATEGORIES, MANAGER_EMAIL
from helpdesk.demo.load import seed_demo
from helpdesk.enums import ArticleStatus, ChatOutcome
from helpdesk.knowledge.metrics import help_center_figures
from helpdesk.knowledge.search import search_articles
from helpdesk.models import Article, Category, ChatSession, Ticket, User

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_the_demo_help_center_has_articles_in_every_category_and_a_life(engine):
    summary = seed_demo(engine, tickets=600, customers=40, agents=5, days=30, now=NOW)
    assert 38 <= summary.articles_created <= 50
    with session_scope(engine) as session:
        per_category = dict(session.execute(
            select(Category.name, func.count(Article.id)).join(Article, Article.category_id == Category.id)
            .where(Article.status == ArticleStatus.PUBLISHED).group_by(Category.name)).all())
        assert set(per_category) == {name for name, _, _ in CATEGORIES}
        assert [m.slug for m in search_articles(session=session, question="i forgot my pasword")][:1] == [
            "reset-your-password"]
        # A chat that became a ticket is that ticket's customer's.
        raised = session.execute(select(ChatSession.user_id, Ticket.customer_id)
                                 .join(Ticket, Ticket.id == ChatSession.ticket_id)).all()
        assert raised and all(chat_user == customer for chat_user, customer in raised)
        manager = session.scalar(select(User).where(User.email == MANAGER_EMAIL))
        figures = help_center_figures(session=session, actor=manager, start=NOW - timedelta(days=31), end=NOW)
    assert figures.chat_sessions > 0 and 0 < figures.chats_solved < figures.chat_sessions
    assert figures.chat_tickets == len(raised)
    assert 0 < figures.suggestions_deflected < figures.suggestions_opened
    assert figures.article_views > figures.helpful + figures.not_helpful > 0
    # Again: the articles are updated in place by slug, never doubled.
    again = seed_demo(engine, tickets=10, customers=40, agents=5, days=30, now=NOW)
    assert again.articles_created == 0
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == summary.articles_created
        assert session.scalar(select(func.count()).select_from(ChatSession).where(
            ChatSession.outcome == ChatOutcome.TICKET)) >= len(raised)
