"""Articles offered while a ticket is being written, and whether a ticket followed.

A suggestion opened is a HelpEvent; raising the ticket afterwards links the ticket to it. One
left without a ticket is a question the article answered (deflection, on the analytics page)."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from helpdesk.access import ensure_active, plausible_ids
from helpdesk.enums import ArticleStatus, HelpEventKind
from helpdesk.knowledge.analysis import content_words
from helpdesk.knowledge.ranking import Match
from helpdesk.knowledge.search import search_articles
from helpdesk.models import Article, HelpEvent, Ticket, User

SUGGESTIONS_MAX = 3
# "A few words": fewer say too little to suggest anything useful.
WORDS_BEFORE_SUGGESTING = 3


def suggest_articles(*, session: Session, subject: str, description: str) -> list[Match]:
    """Up to three published articles for what has been typed so far, only ones that clear
    the threshold; none until subject and description hold a few words between them."""
    text = f"{subject or ''}. {description or ''}"
    if len(content_words(text)) < WORDS_BEFORE_SUGGESTING:
        return []
    return search_articles(session=session, question=text[:4000], limit=SUGGESTIONS_MAX)


def record_suggestion_opened(*, session: Session, actor: User, article: Article) -> int:
    """The person opened a suggested article from the submit page; the event's id comes back
    so the ticket they may still raise can be linked to it."""
    actor = ensure_active(actor)
    if article.status != ArticleStatus.PUBLISHED:
        return 0
    event = HelpEvent(kind=HelpEventKind.SUGGESTION_OPENED, article_id=article.id, user_id=actor.id)
    session.add(event)
    session.flush()
    return event.id


def link_suggestions_to_ticket(*, session: Session, actor: User, event_ids: list[int], ticket: Ticket) -> int:
    """The ticket was raised after all: those suggestions did not solve it. Only the actor's
    own, not yet linked suggestions are touched, whatever ids are passed."""
    actor = ensure_active(actor)
    ids = plausible_ids(event_ids)
    if not ids or ticket.customer_id != actor.id:
        return 0
    result = session.execute(update(HelpEvent).where(
        HelpEvent.id.in_(ids), HelpEvent.user_id == actor.id, HelpEvent.kind == HelpEventKind.SUGGESTION_OPENED,
        HelpEvent.ticket_id.is_(None)).values(ticket_id=ticket.id).execution_options(synchronize_session=False))
    return result.rowcount
