"""Searching the published articles: the index built from their rows, kept per database and
rebuilt when an article changes, and the threshold that turns scores into "no good match"."""
from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

import secrets

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from helpdesk.core.config import help_match_threshold
from helpdesk.enums import ArticleStatus
from helpdesk.knowledge.ranking import ArticleDoc, ArticleIndex, Match
from helpdesk.models import AppSetting, Article

_lock = threading.Lock()
# Per database: (what the published articles looked like, the index built from them).
_indexes: WeakKeyDictionary[Engine, tuple[tuple, ArticleIndex]] = WeakKeyDictionary()

_PUBLISHED = Article.status == ArticleStatus.PUBLISHED


# A token every write of articles changes (articles_changed), in the same transaction: one row
# read per search tells whether the index is current (an aggregate over 10,000 articles took 7-16 ms).
GENERATION = "articles_generation"


def articles_changed(session: Session) -> None:
    """Call in the transaction that adds, edits or removes articles: searches see it at once."""
    token = secrets.token_hex(8)
    changed = session.execute(update(AppSetting).where(AppSetting.key == GENERATION).values(value=token)
                              .execution_options(synchronize_session=False)).rowcount
    if not changed:  # a database from before migration 0006 seeded the row
        session.add(AppSetting(key=GENERATION, value=token))
    session.flush()


def articles_generation(session: Session) -> str | None:
    """The token articles_changed last wrote: equal tokens, the same published articles."""
    return session.scalar(select(AppSetting.value).where(AppSetting.key == GENERATION))


def published_index(session: Session) -> ArticleIndex:
    """The index of the published articles as this session sees them."""
    engine = session.get_bind()
    engine = getattr(engine, "engine", engine)
    state = articles_generation(session)
    cached = _indexes.get(engine)
    if cached is not None and cached[0] == state:
        return cached[1]
    with _lock:
        cached = _indexes.get(engine)
        if cached is not None and cached[0] == state:
            return cached[1]
        index = _rebuilt(session, cached[1] if cached is not None else None)
        _indexes[engine] = (state, index)
        return index


# What says an article is unchanged since the index before: every ORM write of an article bumps
# its version (the optimistic lock) and sets updated_at; the timestamps tell a database
# recreated under the same engine from the one before.
_STAMP = (Article.id, Article.version, Article.created_at, Article.updated_at)
_FETCH_CHUNK = 500


def _rebuilt(session: Session, previous: ArticleIndex | None) -> ArticleIndex:
    """A new index: the articles unchanged since `previous` are taken from it, only the others
    are read (an edit at 10,000 articles reads one article, not 10,000 bodies and vectors)."""
    stamps = session.execute(select(*_STAMP).where(_PUBLISHED).order_by(Article.id)).all()
    kept = {} if previous is None else {doc.id: doc for doc in previous.docs}

    def unchanged(row) -> ArticleDoc | None:
        doc = kept.get(row.id)
        same = doc is not None and (doc.version, doc.created_at, doc.updated_at) == tuple(row)[1:]
        return doc if same else None

    wanted = [row.id for row in stamps if unchanged(row) is None]
    read: dict[int, ArticleDoc] = {}
    for at in range(0, len(wanted), _FETCH_CHUNK):
        rows = session.execute(select(*_STAMP, Article.slug, Article.title, Article.category_id, Article.body,
                                      Article.tags, Article.aliases, Article.vectors, Article.vectors_recipe)
                               .where(_PUBLISHED, Article.id.in_(wanted[at:at + _FETCH_CHUNK])))
        for row in rows:
            read[row.id] = ArticleDoc(id=row.id, slug=row.slug, title=row.title, category_id=row.category_id,
                                      body=row.body, tags=tuple(row.tags or ()), aliases=tuple(row.aliases or ()),
                                      version=row.version, vectors=bytes(row.vectors or b""),
                                      vectors_recipe=row.vectors_recipe, created_at=row.created_at,
                                      updated_at=row.updated_at)
    docs = [unchanged(row) or read.get(row.id) for row in stamps]
    # An article unpublished between the two reads is simply left out.
    return ArticleIndex([doc for doc in docs if doc is not None], previous=previous)


def search_articles(*, session: Session, question: str, limit: int = 10,
                    threshold: float | None = None) -> list[Match]:
    """The published articles that answer `question`, best first: only those whose score
    clears the threshold (an empty list says no article covers it)."""
    threshold = help_match_threshold() if threshold is None else threshold
    return [match for match in published_index(session).search(question, limit=limit) if match.score >= threshold]
