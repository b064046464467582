"""`python -m helpdesk kb import DIR`: a folder of Markdown files with front matter as
published articles, each file's name (without .md) its slug. Every file is checked before
anything is written: one bad file stops the import with its name and what is wrong."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.core import clock
from helpdesk.core.errors import ValidationError
from helpdesk.enums import ArticleStatus
from helpdesk.knowledge.articles import SLUG_MAX, SLUG_PATTERN, ArticleDraft, clean_draft, split_list, with_vectors
from helpdesk.knowledge.ranking import VECTORS_RECIPE
from helpdesk.knowledge.search import articles_changed
from helpdesk.models import Article, Category

FIELDS = ("title", "category", "tags", "aliases")


class ImportFailed(Exception):
    """Files that can't be imported, each with what is wrong; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ImportReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def _as_list(value, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_list(value)
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        return [str(item).strip() for item in value if str(item).strip()]
    raise ValueError(f"“{name}” must be a list of words or phrases")


def _read(path: Path, categories: dict[str, tuple[int, str]]) -> tuple[str, ArticleDraft]:
    slug = path.stem
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > SLUG_MAX:
        raise ValueError("the file name is the article's address: use lowercase letters, digits and single "
                         "hyphens, e.g. reset-your-password.md")
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ValueError(f"the front matter is not valid YAML{line}") from None
    meta = post.metadata
    if not meta:
        raise ValueError("no front matter: start the file with ---, then title:, category: and tags:, then ---")
    unknown = sorted(set(meta) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown front matter field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                         f"(known: {', '.join(FIELDS)})")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("the front matter has no title")
    category = meta.get("category")
    if not isinstance(category, str) or category.strip().casefold() not in categories:
        known = ", ".join(sorted(name for _, name in categories.values())) or "none yet: create them first"
        raise ValueError(f"unknown category {category!r} (categories: {known})")
    return slug, ArticleDraft(title=title, body=post.content, category_id=categories[category.strip().casefold()][0],
                              tags=_as_list(meta.get("tags"), "tags"), aliases=_as_list(meta.get("aliases"), "aliases"),
                              status=ArticleStatus.PUBLISHED, slug=slug)


def import_articles(*, session: Session, folder: Path) -> ImportReport:
    """Create or update (by slug) one published article per *.md file in `folder`. Run by the
    server's administrator (the CLI): no account is needed."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFailed([f"{folder}: no such folder"])
    files = sorted(folder.glob("*.md"))
    if not files:
        raise ImportFailed([f"{folder}: no .md files in it"])
    categories = {name.casefold(): (cid, name) for cid, name in session.execute(select(Category.id, Category.name))}
    problems, drafts = [], []
    for path in files:
        try:
            slug, draft = _read(path, categories)
            existing = session.scalar(select(Article.id).where(Article.slug == slug))
            drafts.append((path, slug, draft, existing, clean_draft(session, draft, article_id=existing)))
        except ValueError as exc:
            problems.append(f"{path}: {exc}")
        except (TypeError, AttributeError, OSError) as exc:  # front matter of an unexpected shape, an unreadable file
            problems.append(f"{path}: the file could not be read as an article ({type(exc).__name__}: {exc})")
        except ValidationError as exc:
            problems.append(f"{path}: " + "; ".join(exc.field_errors.values()))
    if problems:
        raise ImportFailed(problems)
    created, updated, unchanged = [], [], []
    for path, slug, draft, existing, values in drafts:
        if existing is None:
            session.add(Article(**with_vectors(values)))
            created.append(slug)
            continue
        article = session.get(Article, existing)
        if all(getattr(article, name) == value for name, value in values.items()) \
                and article.vectors_recipe == VECTORS_RECIPE:
            unchanged.append(slug)
            continue
        for name, value in with_vectors(values).items():
            setattr(article, name, value)
        article.updated_at = clock.utcnow()
        updated.append(slug)
    session.flush()
    if created or updated:
        articles_changed(session)
    return ImportReport(created=created, updated=updated, unchanged=unchanged)

