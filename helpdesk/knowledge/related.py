"""For the agent on a ticket: the articles that answer it, and the resolved tickets most like it.

Similar tickets are looked for among the newest resolved or closed tickets of the same category
(SIMILAR_WINDOW of them, read newest first by the (category_id, created_at) index: one indexed
range however many tickets there are), ranked by the words their subjects share with this
ticket (rare words weigh more) blended with the meaning of the subjects."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_staff, get_by_id
from helpdesk.core.errors import NotFound
from helpdesk.enums import TicketStatus
from helpdesk.knowledge import embedding
from helpdesk.knowledge.analysis import terms
from helpdesk.knowledge.ranking import Match
from helpdesk.knowledge.search import search_articles
from helpdesk.models import Ticket, User, format_reference

RELATED_ARTICLES_MAX = 3
SIMILAR_TICKETS_MAX = 5
SIMILAR_WINDOW = 600
# Below this a "similar" ticket shares too little to be worth the agent's look.
SIMILARITY_FLOOR = 0.35
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _ticket(session: Session, actor: User, ticket_id: int) -> Ticket:
    ensure_staff(actor)
    ticket = get_by_id(session, Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def related_articles(*, session: Session, actor: User, ticket_id: int) -> list[Match]:
    """The published articles that answer this ticket (only those above the threshold)."""
    ticket = _ticket(session, actor, ticket_id)
    question = f"{ticket.subject}. {ticket.description[:2000]}"
    return search_articles(session=session, question=question, limit=RELATED_ARTICLES_MAX)


@dataclass(frozen=True)
class SimilarTicket:
    id: int
    reference: str
    subject: str
    status: TicketStatus
    resolved_at: datetime | None
    similarity: float  # 0-1


def similar_resolved_tickets(*, session: Session, actor: User, ticket_id: int) -> list[SimilarTicket]:
    ticket = _ticket(session, actor, ticket_id)
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.status, Ticket.resolved_at)
        .where(Ticket.category_id == ticket.category_id, Ticket.status.in_(DONE), Ticket.id != ticket.id)
        .order_by(Ticket.created_at.desc()).limit(SIMILAR_WINDOW)).all()
    if not rows:
        return []
    mine = set(terms(ticket.subject)) or set(terms(ticket.description[:500]))
    their_terms = [set(terms(row.subject)) for row in rows]
    counts = Counter(term for found in their_terms for term in found)
    idf = {term: math.log(1 + len(rows) / (1 + counts[term])) for term in mine}
    most = sum(idf.values()) or 1.0
    lexical = np.array([sum(idf[t] for t in mine & found) / most for found in their_terms])
    # Each distinct subject embedded once (the same subject often comes back).
    subjects = list(dict.fromkeys([ticket.subject] + [row.subject for row in rows]))
    vectors = embedding.embed(subjects)
    if vectors is not None:
        position = {subject: i for i, subject in enumerate(subjects)}
        cosines = vectors @ vectors[0]
        scores = 0.5 * lexical + 0.5 * np.clip(cosines[[position[row.subject] for row in rows]], 0, 1)
    else:
        scores = lexical
    best = np.argsort(-scores, kind="stable")[:SIMILAR_TICKETS_MAX]
    return [SimilarTicket(id=rows[i].id, reference=format_reference(rows[i].id), subject=rows[i].subject,
                          status=rows[i].status, resolved_at=rows[i].resolved_at, similarity=round(float(scores[i]), 3))
            for i in best if scores[i] >= SIMILARITY_FLOOR]
