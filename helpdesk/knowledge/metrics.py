"""What the help center did in a period, for the analytics page: counted in SQL over indexed
time ranges (chat_sessions.started_at, help_events (kind, created_at))."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_reports_reader
from helpdesk.enums import ChatOutcome, HelpEventKind
from helpdesk.models import Article, ChatSession, HelpEvent, User

TOP_ARTICLES = 10


@dataclass(frozen=True)
class ArticleFigures:
    slug: str
    title: str
    views: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class HelpCenterFigures:
    chat_sessions: int  # conversations started
    chats_solved: int  # ended with "This solved it"
    chat_tickets: int  # a ticket raised from them
    suggestions_opened: int  # articles opened from the submit page
    suggestions_deflected: int  # ... with no ticket raised after
    article_views: int
    helpful: int
    not_helpful: int
    top_articles: list[ArticleFigures]

    @property
    def chat_solved_share(self) -> float | None:
        return self.chats_solved / self.chat_sessions if self.chat_sessions else None

    @property
    def deflection_share(self) -> float | None:
        return self.suggestions_deflected / self.suggestions_opened if self.suggestions_opened else None

    @property
    def helpful_share(self) -> float | None:
        answered = self.helpful + self.not_helpful
        return self.helpful / answered if answered else None


def help_center_figures(*, session: Session, actor: User, start: datetime, end: datetime) -> HelpCenterFigures:
    """Counts for [start, end) (UTC)."""
    ensure_reports_reader(actor)
    # A chat row is made with its first question (the page starts one only then).
    solved = func.sum(case((ChatSession.outcome == ChatOutcome.SOLVED, 1), else_=0))
    raised = func.sum(case((ChatSession.outcome == ChatOutcome.TICKET, 1), else_=0))
    chats = session.execute(select(func.count(), func.coalesce(solved, 0), func.coalesce(raised, 0))
                            .where(ChatSession.started_at >= start, ChatSession.started_at < end)).one()
    in_range = (HelpEvent.created_at >= start, HelpEvent.created_at < end)
    by_kind = dict(session.execute(select(HelpEvent.kind, func.count()).where(*in_range).group_by(HelpEvent.kind)).all())
    deflected = session.scalar(select(func.count()).where(
        HelpEvent.kind == HelpEventKind.SUGGESTION_OPENED, HelpEvent.ticket_id.is_(None), *in_range))
    views = func.sum(case((HelpEvent.kind == HelpEventKind.ARTICLE_VIEW, 1), else_=0))
    top = session.execute(
        select(Article.slug, Article.title, views,
               func.sum(case((HelpEvent.kind == HelpEventKind.ARTICLE_HELPFUL, 1), else_=0)),
               func.sum(case((HelpEvent.kind == HelpEventKind.ARTICLE_NOT_HELPFUL, 1), else_=0)))
        .join(Article, Article.id == HelpEvent.article_id)
        .where(*in_range, HelpEvent.kind.in_((HelpEventKind.ARTICLE_VIEW, HelpEventKind.ARTICLE_HELPFUL,
                                              HelpEventKind.ARTICLE_NOT_HELPFUL)))
        .group_by(Article.id, Article.slug, Article.title).order_by(views.desc(), Article.title).limit(TOP_ARTICLES)
    ).all()
    return HelpCenterFigures(
        chat_sessions=chats[0], chats_solved=int(chats[1]), chat_tickets=int(chats[2]),
        suggestions_opened=by_kind.get(HelpEventKind.SUGGESTION_OPENED, 0), suggestions_deflected=deflected,
        article_views=by_kind.get(HelpEventKind.ARTICLE_VIEW, 0), helpful=by_kind.get(HelpEventKind.ARTICLE_HELPFUL, 0),
        not_helpful=by_kind.get(HelpEventKind.ARTICLE_NOT_HELPFUL, 0),
        top_articles=[ArticleFigures(*(row[:2]), *(int(v or 0) for v in row[2:])) for row in top])
