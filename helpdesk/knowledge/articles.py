"""Guideline articles: written and edited by staff, read by everyone once published.

Counters (views, "Did this help?") are bumped with plain UPDATEs: they must not move the
article's version, which an editor's save is checked against and search watches."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from helpdesk.access import ensure_staff, get_by_id
from helpdesk.core import clock
from helpdesk.core.errors import ConflictError, NotFound, ValidationError
from helpdesk.core.text_checks import text_problem
from helpdesk.enums import ArticleStatus, HelpEventKind
from helpdesk.knowledge.analysis import fold
from helpdesk.knowledge.ranking import vectors_for
from helpdesk.knowledge.search import articles_changed
from helpdesk.models import Article, Category, HelpEvent, User
from helpdesk.search.text_index import escape_like, searchable

TITLE_MAX = 200
BODY_MAX = 50_000
SLUG_MAX = 120
TAGS_MAX = 12
ALIASES_MAX = 20
PHRASE_MAX = 200
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ARTICLE_CONFLICT = "Someone else saved this article since you opened it. Their version is shown; nothing was saved."


@dataclass
class ArticleDraft:
    """What an editor (or an imported file) gives for an article. `slug` empty: made from the title."""

    title: str
    body: str
    category_id: int | None
    tags: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    status: ArticleStatus = ArticleStatus.DRAFT
    slug: str = ""


def slugify(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", fold(title))
    return "-".join(words)[:SLUG_MAX].strip("-")


def split_list(text: str, *, separator: str = ",") -> list[str]:
    """A comma- (or line-) separated field as its items, trimmed, empties and repeats dropped."""
    items = [item.strip() for item in text.split(separator)]
    return list(dict.fromkeys(item for item in items if item))


def clean_draft(session: Session, data: ArticleDraft, *, article_id: int | None) -> dict:
    """The article's columns from `data`, checked; ValidationError names each bad field."""
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    body = (data.body or "").strip()
    if not title:
        errors["title"] = "Give the article a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"The title is {len(title) - TITLE_MAX} characters too long (at most {TITLE_MAX})."
    if not body:
        errors["body"] = "Write the article's text."
    elif len(body) > BODY_MAX:
        errors["body"] = f"The text is {len(body) - BODY_MAX:,} characters too long (at most {BODY_MAX:,})."
    category = get_by_id(session, Category, data.category_id) if data.category_id is not None else None
    if category is None:
        errors["category"] = "Choose a category."
    slug = (data.slug or "").strip().lower() or slugify(title)
    if not slug or len(slug) > SLUG_MAX or not SLUG_PATTERN.fullmatch(slug):
        errors["slug"] = ("Use lowercase letters, digits and single hyphens (e.g. reset-your-password), "
                          f"at most {SLUG_MAX} characters.")
    else:
        taken = session.scalar(select(Article.id).where(Article.slug == slug))
        if taken is not None and taken != article_id:
            errors["slug"] = f"Another article already has the address “{slug}”."
    tags = [tag.lower() for tag in data.tags if tag.strip()]
    aliases = [alias.strip() for alias in data.aliases if alias.strip()]
    if len(tags) > TAGS_MAX or any(len(tag) > 40 for tag in tags):
        errors["tags"] = f"At most {TAGS_MAX} tags of up to 40 characters each."
    if len(aliases) > ALIASES_MAX or any(len(alias) > PHRASE_MAX for alias in aliases):
        errors["aliases"] = f"At most {ALIASES_MAX} phrasings of up to {PHRASE_MAX} characters each."
    if not isinstance(data.status, ArticleStatus):
        errors["status"] = "Choose draft or published."
    for name, values, multiline in (("title", [title], False), ("body", [body], True), ("tags", tags, False),
                                    ("aliases", aliases, False)):
        problem = next((p for p in (text_problem(v, multiline=multiline) for v in values) if p), None)
        if problem and name not in errors:
            errors[name] = problem
    if errors:
        raise ValidationError(errors)
    aliases = list(dict.fromkeys(aliases))
    return {"title": title, "body": body, "category_id": category.id, "slug": slug,
            "tags": list(dict.fromkeys(tags)), "aliases": aliases, "status": data.status}


def with_vectors(values: dict) -> dict:
    """The article's columns and the embedding vectors search needs, computed once here."""
    vectors, recipe = vectors_for(title=values["title"], aliases=values["aliases"], body=values["body"])
    return {**values, "vectors": vectors, "vectors_recipe": recipe}


def create_article(*, session: Session, actor: User, data: ArticleDraft) -> Article:
    ensure_staff(actor)
    article = Article(**with_vectors(clean_draft(session, data, article_id=None)), author_id=actor.id)
    session.add(article)
    session.flush()
    articles_changed(session)
    return article


def update_article(*, session: Session, actor: User, article_id: int, data: ArticleDraft,
                   expected_version: int) -> Article:
    ensure_staff(actor)
    article = get_by_id(session, Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    if article.version != expected_version:
        raise ConflictError(ARTICLE_CONFLICT)
    for name, value in with_vectors(clean_draft(session, data, article_id=article.id)).items():
        setattr(article, name, value)
    article.updated_at = clock.utcnow()
    try:
        session.flush()
    except StaleDataError as exc:  # saved by someone else between our read and this write
        raise ConflictError(ARTICLE_CONFLICT) from exc
    articles_changed(session)
    return article


def _visible(actor: User | None):
    """Drafts are for staff: customers and visitors see published articles only."""
    if actor is not None and actor.is_active and actor.is_staff:
        return True
    return Article.status == ArticleStatus.PUBLISHED


def get_article(*, session: Session, actor: User | None, slug: str) -> Article:
    """The article at `slug`; a draft is NotFound for anyone but staff (as a missing one is)."""
    if not isinstance(slug, str) or not SLUG_PATTERN.fullmatch(slug) or len(slug) > SLUG_MAX:
        raise NotFound("No such article.")
    article = session.scalar(select(Article).where(Article.slug == slug, _visible(actor)))
    if article is None:
        raise NotFound("No such article.")
    return article


def get_article_for_edit(*, session: Session, actor: User, article_id: int) -> Article:
    ensure_staff(actor)
    article = get_by_id(session, Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    return article


@dataclass(frozen=True)
class ArticleListing:
    id: int
    slug: str
    title: str
    category_id: int
    category: str
    status: ArticleStatus
    updated_at: object
    view_count: int
    helpful_count: int
    not_helpful_count: int


def list_articles(*, session: Session, actor: User | None, category_id: int | None = None,
                  title_contains: str = "", status: ArticleStatus | None = None, limit: int = 500,
                  offset: int = 0) -> tuple[int, list[ArticleListing]]:
    """Articles by category then title (the help center's browse, the editor's list), with
    their total. Customers and visitors see only the published ones whatever `status` says."""
    conditions = [_visible(actor)]
    if category_id is not None:
        conditions.append(Article.category_id == category_id)
    if status is not None:
        conditions.append(Article.status == status)
    wanted = searchable(title_contains or "").lower()  # control characters (a NUL) dropped
    if wanted:
        conditions.append(func.lower(Article.title).like(f"%{escape_like(wanted)}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(Article).where(*conditions))
    rows = session.execute(
        select(Article.id, Article.slug, Article.title, Article.category_id, Category.name, Article.status,
               Article.updated_at, Article.view_count, Article.helpful_count, Article.not_helpful_count)
        .join(Category, Category.id == Article.category_id).where(*conditions)
        .order_by(Category.name, Article.title).limit(limit).offset(offset))
    return total, [ArticleListing(*row) for row in rows]


@dataclass(frozen=True)
class CategoryShelf:
    """A category as the help center's browse shows it: with how many articles it holds."""

    id: int
    name: str
    articles: int


def article_categories(*, session: Session, actor: User | None) -> list[CategoryShelf]:
    """The categories holding articles this person may read (published ones, or drafts too for
    staff), by name, each with how many: the help center's category picker."""
    rows = session.execute(
        select(Category.id, Category.name, func.count(Article.id)).join(Article, Article.category_id == Category.id)
        .where(_visible(actor)).group_by(Category.id, Category.name).order_by(Category.name))
    return [CategoryShelf(*row) for row in rows]


def record_view(*, session: Session, actor: User | None, article: Article) -> None:
    """One reading of a published article (staff previewing drafts don't count)."""
    if article.status != ArticleStatus.PUBLISHED:
        return
    session.execute(update(Article).where(Article.id == article.id)
                    .values(view_count=Article.view_count + 1).execution_options(synchronize_session=False))
    session.add(HelpEvent(kind=HelpEventKind.ARTICLE_VIEW, article_id=article.id,
                          user_id=actor.id if actor is not None else None))
    session.flush()


def record_feedback(*, session: Session, actor: User | None, article: Article, helpful: bool) -> None:
    """An answer to "Did this help?"."""
    if article.status != ArticleStatus.PUBLISHED:
        raise NotFound("No such article.")
    column = Article.helpful_count if helpful else Article.not_helpful_count
    session.execute(update(Article).where(Article.id == article.id).values({column: column + 1})
                    .execution_options(synchronize_session=False))
    session.add(HelpEvent(kind=HelpEventKind.ARTICLE_HELPFUL if helpful else HelpEventKind.ARTICLE_NOT_HELPFUL,
                          article_id=article.id, user_id=actor.id if actor is not None else None))
    session.flush()
