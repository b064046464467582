"""The help center's life in the demo: article views and "Did this help?" answers, suggestions
opened on the submit page (some followed by a ticket), and conversations with the assistant
(solved, raised as a ticket, or left), spread over the same days as the tickets, so the
analytics page's help center figures show something real. Customers' words in the chats are
the articles' own "also asked as" phrasings; the assistant's replies are the articles' first
paragraphs, as the assistant itself would quote them."""
from __future__ import annotations

import random
import secrets
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from helpdesk.demo.simulate import creation_times
from helpdesk.enums import ArticleStatus, AssistantReply, ChatOutcome, HelpEventKind
from helpdesk.knowledge.assistant import NO_MATCH_TEXT
from helpdesk.knowledge.ranking import first_paragraph
from helpdesk.models import Article, ChatSession, HelpEvent, Ticket

# Per ticket raised: how much self-service goes on beside it (a help center deflects some tickets).
VIEWS_PER_TICKET = 0.6
CHATS_PER_TICKET = 0.12
SUGGESTIONS_PER_TICKET = 0.08
HELPFUL_SHARE, FEEDBACK_SHARE = 0.78, 0.25
CHAT_SOLVED, CHAT_TICKET = 0.55, 0.2  # the rest are left open
SUGGESTION_FOLLOWED = 0.4  # opened, and a ticket raised anyway
ROWS_MAX = 200_000  # per kind: a million-ticket demo doesn't need millions of views


def add_help_activity(connection: Connection, *, rng: random.Random, tickets: range, customers: list[int],
                      days: int, now: datetime) -> int:
    """Rows for `tickets` (the ids this run wrote); returns how many events and chats it added."""
    articles = connection.execute(select(Article.id, Article.slug, Article.title, Article.body, Article.aliases)
                                  .where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.id)).all()
    if not articles or not tickets or not customers:
        return 0
    # A few articles get most of the reading, as in any help center.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(articles))]
    rng.shuffle(weights)

    def stamps(share: float) -> list[datetime]:
        count = min(int(len(tickets) * share), ROWS_MAX)
        return [datetime.fromtimestamp(at, now.tzinfo) for at in creation_times(rng, count, days, now)]

    events = []
    views = {a.id: 0 for a in articles}
    helpful = {a.id: [0, 0] for a in articles}
    for at in stamps(VIEWS_PER_TICKET):
        article = rng.choices(articles, weights)[0]
        user = rng.choice(customers) if rng.random() < 0.6 else None
        views[article.id] += 1
        events.append({"kind": HelpEventKind.ARTICLE_VIEW, "article_id": article.id, "user_id": user, "created_at": at})
        if rng.random() < FEEDBACK_SHARE:
            yes = rng.random() < HELPFUL_SHARE
            helpful[article.id][0 if yes else 1] += 1
            events.append({"kind": HelpEventKind.ARTICLE_HELPFUL if yes else HelpEventKind.ARTICLE_NOT_HELPFUL,
                           "article_id": article.id, "user_id": user, "created_at": at})
    followed = rng.sample(list(tickets), min(len(tickets), int(len(tickets) * SUGGESTIONS_PER_TICKET)))
    for at, ticket_id in zip(stamps(SUGGESTIONS_PER_TICKET), followed, strict=False):
        events.append({"kind": HelpEventKind.SUGGESTION_OPENED, "article_id": rng.choices(articles, weights)[0].id,
                       "user_id": rng.choice(customers), "created_at": at,
                       "ticket_id": ticket_id if rng.random() < SUGGESTION_FOLLOWED else None})
    for start in range(0, len(events), 10_000):
        connection.execute(insert(HelpEvent), [{"ticket_id": None, **row} for row in events[start:start + 10_000]])
    for article_id, count in views.items():
        connection.execute(update(Article).where(Article.id == article_id).values(
            view_count=Article.view_count + count, helpful_count=Article.helpful_count + helpful[article_id][0],
            not_helpful_count=Article.not_helpful_count + helpful[article_id][1]))

    taken = set(connection.scalars(select(ChatSession.ticket_id).where(ChatSession.ticket_id.is_not(None))))
    free = [t for t in rng.sample(list(tickets), min(len(tickets), 3 * int(len(tickets) * CHATS_PER_TICKET) + 1))
            if t not in taken]
    chats = []
    for at in stamps(CHATS_PER_TICKET):
        article = rng.choices(articles, weights)[0]
        question = rng.choice(article.aliases or [article.title])
        roll = rng.random()
        outcome = ChatOutcome.SOLVED if roll < CHAT_SOLVED else (
            ChatOutcome.TICKET if roll < CHAT_SOLVED + CHAT_TICKET and free else ChatOutcome.OPEN)
        answer = ({"role": "assistant", "kind": AssistantReply.ANSWER.value, "slug": article.slug,
                   "title": article.title, "text": first_paragraph(article.body)}
                  if outcome != ChatOutcome.TICKET or rng.random() < 0.5
                  else {"role": "assistant", "kind": AssistantReply.NO_MATCH.value, "text": NO_MATCH_TEXT})
        chats.append({"key": secrets.token_urlsafe(24), "user_id": rng.choice(customers) if rng.random() < 0.7 else None,
                      "started_at": at, "updated_at": at, "outcome": outcome,
                      "transcript": [{"role": "customer", "text": question[:1].upper() + question[1:]}, answer],
                      "solved_by_id": article.id if outcome == ChatOutcome.SOLVED else None,
                      "ticket_id": free.pop() if outcome == ChatOutcome.TICKET else None})
    # A ticket raised from a chat is its customer's: the chat is theirs too.
    raised = [chat["ticket_id"] for chat in chats if chat["ticket_id"] is not None]
    owners = {}
    for start in range(0, len(raised), 900):
        owners.update(connection.execute(select(Ticket.id, Ticket.customer_id)
                                         .where(Ticket.id.in_(raised[start:start + 900]))).all())
    for chat in chats:
        if chat["ticket_id"] is not None:
            chat["user_id"] = owners[chat["ticket_id"]]
    for start in range(0, len(chats), 5_000):
        connection.execute(insert(ChatSession), chats[start:start + 5_000])
    return len(events) + len(chats)
