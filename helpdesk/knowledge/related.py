"""For the agent on a ticket: the articles that answer it, and the resolved tickets most like it.

Similar tickets are looked for among the newest resolved or closed tickets of the same category
(SIMILAR_WINDOW of them, read newest first by the (category_id, created_at) index: one indexed
range however many tickets there are), ranked by the words their subjects share with this
ticket (rare words weigh more) blended with the meaning of the subjects.

Both are kept between reruns of the agent's page (each click and each reply typed reruns it), per
database, under the ticket's id and the very text they were computed from, so an edited ticket
is a new entry; the permission check runs before any look-up, on every call.
- Related articles are also keyed on the articles' generation token (search.articles_changed
  writes it in the same transaction as every article change): a published or edited article
  shows at once, one row read per call.
- Similar tickets have no such token (nothing counts the changes of tickets), so the entry is
  checked against the newest change of a resolved and of a closed ticket (two index seeks on
  (status, updated_at)): a ticket resolved or closed, and an edit to a finished ticket, shows at
  once, since the services stamp updated_at on every change. What that misses - a finished ticket
  reopened (it leaves those statuses), a write stamped earlier than the newest (another server's
  clock behind, rows written outside the services) - lasts at most SIMILAR_MAX_AGE: a short age,
  as this is a hint beside the ticket, and one recomputation a minute per ticket costs little."""
from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_staff, get_by_id
from helpdesk.core.config import help_match_threshold
from helpdesk.core.errors import NotFound
from helpdesk.enums import TicketStatus
from helpdesk.knowledge import embedding
from helpdesk.knowledge.analysis import terms
from helpdesk.knowledge.ranking import Match
from helpdesk.knowledge.result_cache import ResultCache, engine_of
from helpdesk.knowledge.search import articles_generation, search_articles
from helpdesk.models import Ticket, User, format_reference

RELATED_ARTICLES_MAX = 3
SIMILAR_TICKETS_MAX = 5
SIMILAR_WINDOW = 600
# Below this a "similar" ticket shares too little to be worth the agent's look.
SIMILARITY_FLOOR = 0.35
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
# How long a list of similar tickets may be shown without recomputing it (see the module's doc).
SIMILAR_MAX_AGE = timedelta(seconds=60)
# Entries per database: a few hundred tickets open in the agents' tabs at once.
CACHE_SIZE = 256


def _ticket(session: Session, actor: User, ticket_id: int) -> Ticket:
    ensure_staff(actor)
    ticket = get_by_id(session, Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def _digest(*texts: str) -> bytes:
    """The content a result was computed from, in a few bytes (keys stay small however long it is)."""
    hashed = hashlib.blake2b(digest_size=16)
    for text in texts:
        hashed.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return hashed.digest()


def related_articles(*, session: Session, actor: User, ticket_id: int) -> list[Match]:
    """The published articles that answer this ticket (only those above the threshold)."""
    ticket = _ticket(session, actor, ticket_id)
    question = f"{ticket.subject}. {ticket.description[:2000]}"
    threshold = help_match_threshold()
    engine, key = engine_of(session), (ticket.id, _digest(question), threshold, RELATED_ARTICLES_MAX)
    generation = articles_generation(session)
    found = _related_cache.get(engine, key, generation)
    if found is None:
        found = search_articles(session=session, question=question, limit=RELATED_ARTICLES_MAX, threshold=threshold)
        _related_cache.put(engine, key, generation, found)
    return found


@dataclass(frozen=True)
class SimilarTicket:
    id: int
    reference: str
    subject: str
    status: TicketStatus
    resolved_at: datetime | None
    similarity: float  # 0-1


_related_cache: ResultCache[Match] = ResultCache(CACHE_SIZE)
_similar_cache: ResultCache[SimilarTicket] = ResultCache(CACHE_SIZE)


def _finished_tickets_changed(session: Session) -> tuple:
    """When a resolved and when a closed ticket last changed: each the top of (status, updated_at)."""
    newest = [select(func.max(Ticket.updated_at)).where(Ticket.status == status).scalar_subquery() for status in DONE]
    return tuple(session.execute(select(*newest)).one())


def similar_resolved_tickets(*, session: Session, actor: User, ticket_id: int) -> list[SimilarTicket]:
    """The finished tickets of this ticket's category most like it, closest first (at most
    SIMILAR_TICKETS_MAX, none below SIMILARITY_FLOOR)."""
    ticket = _ticket(session, actor, ticket_id)
    description = ticket.description[:500]
    engine = engine_of(session)
    key = (ticket.id, ticket.category_id, _digest(ticket.subject, description))
    token = _finished_tickets_changed(session)
    found = _similar_cache.get(engine, key, token, max_age=SIMILAR_MAX_AGE)
    if found is None:
        found = _rank_similar(session, ticket, description)
        _similar_cache.put(engine, key, token, found)
    return found


def _rank_similar(session: Session, ticket: Ticket, description: str) -> list[SimilarTicket]:
    rows = session.execute(
        select(Ticket.id, Ticket.subject, Ticket.status, Ticket.resolved_at)
        .where(Ticket.category_id == ticket.category_id, Ticket.status.in_(DONE), Ticket.id != ticket.id)
        .order_by(Ticket.created_at.desc()).limit(SIMILAR_WINDOW)).all()
    if not rows:
        return []
    mine = set(terms(ticket.subject)) or set(terms(description))
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
