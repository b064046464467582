"""`python -m helpdesk kb import DIR` and `kb search "question" --json` on SQLite and
PostgreSQL: each command once as a real subprocess per backend, the other runs through the same
entry point in this process (tests.test_cli.run_cli_in_process), which spares a new interpreter
and a new load of the embedding model per run."""
from __future__ import annotations

import json
import textwrap

import pytest
from sqlalchemy import func, select

from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.enums import ArticleStatus
from helpdesk.models import Article, Category
from tests.test_cli import run_cli, run_cli_in_process

ARTICLE = """\
---
title: {title}
category: Billing
tags: [invoice, receipt]
aliases:
  - where do I find my receipt
---
Every order's invoice is under Orders in your account: open the order and choose Download invoice.
"""


@pytest.fixture
def db(blank_database_url, tmp_path):
    engine = make_engine(blank_database_url)
    migrate(engine)
    with session_scope(engine) as session:
        session.add_all([Category(name="Billing", description=""), Category(name="Shipping", description="")])
    yield blank_database_url, engine, tmp_path / "articles"
    engine.dispose()


def articles(engine) -> dict[str, tuple[str, ArticleStatus, list[str]]]:
    with session_scope(engine) as session:
        return {a.slug: (a.title, a.status, a.aliases) for a in session.scalars(select(Article))}


def write(folder, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")


def test_import_creates_published_articles_then_updates_them_by_slug(db):
    url, engine, folder = db
    write(folder, "download-an-invoice.md", ARTICLE.format(title="Download an invoice"))
    first = run_cli(url, "kb", "import", str(folder))
    assert first.returncode == 0, first.stderr
    assert "Imported 1 new, updated 0, 0 unchanged." in first.stdout
    assert articles(engine) == {"download-an-invoice": ("Download an invoice", ArticleStatus.PUBLISHED,
                                                        ["where do I find my receipt"])}
    write(folder, "download-an-invoice.md", ARTICLE.format(title="Download your invoice"))
    again = run_cli_in_process(url, "kb", "import", str(folder))
    assert again.returncode == 0, again.stderr
    assert "Imported 0 new, updated 1, 0 unchanged." in again.stdout
    assert articles(engine)["download-an-invoice"][0] == "Download your invoice"
    assert run_cli_in_process(url, "kb", "import", str(folder)).stdout.strip() == "Imported 0 new, updated 0, 1 unchanged."


BAD_FILES = {
    "no-front-matter.md": ("no front matter at all\n", "no front matter"),
    "broken-yaml.md": ("---\ntitle: [unclosed\n---\nbody\n", "not valid YAML"),
    "no-title.md": ("---\ncategory: Billing\n---\nbody\n", "has no title"),
    "gift-cards.md": ("---\ntitle: Gift cards\ncategory: Gifts\n---\nbody\n",
                      "unknown category 'Gifts' (categories: Billing, Shipping)"),
    "stray-field.md": ("---\ntitle: Gift cards\ncategory: Billing\nauthor: me\n---\nbody\n",
                       "unknown front matter field author"),
    "empty-body.md": ("---\ntitle: Gift cards\ncategory: Billing\n---\n\n", "Write the article's text."),
    "Gift Cards.md": (ARTICLE.format(title="Gift cards"), "the file name is the article's address"),
    "odd-key.md": ("---\n1: x\ntitle: Gift cards\ncategory: Billing\n---\nbody\n", "could not be read as an article"),
    "nul-in-body.md": ("---\ntitle: Gift cards\ncategory: Billing\n---\nbalance\x00shown\n",
                       "invisible control character (U+0000)"),
}


def test_each_bad_file_is_named_with_its_problem_and_nothing_is_imported(db):
    url, engine, folder = db
    write(folder, "a-good-one.md", ARTICLE.format(title="Download an invoice"))
    for name, (text, _) in BAD_FILES.items():
        write(folder, name, text)
    result = run_cli(url, "kb", "import", str(folder))
    assert result.returncode == 1
    assert result.stderr.startswith("Nothing was imported:")
    reported = result.stderr.splitlines()[1:]
    assert len(reported) == len(BAD_FILES)
    for name, (_, problem) in BAD_FILES.items():
        assert any(line.strip().startswith(f"{folder / name}: ") and problem in line for line in reported), name
    assert articles(engine) == {}


def test_search_prints_the_ranked_list_as_json_and_an_empty_list_when_nothing_fits(db):
    url, engine, folder = db
    write(folder, "download-an-invoice.md", ARTICLE.format(title="Download an invoice"))
    write(folder, "track-your-parcel.md", """\
        ---
        title: Track your parcel
        category: Shipping
        tags: [tracking, delivery]
        ---
        Your shipping confirmation e-mail has the carrier's tracking link.
        """)
    assert run_cli_in_process(url, "kb", "import", str(folder)).returncode == 0
    found = run_cli(url, "kb", "search", "where can I get the invoce for my order", "--json")
    assert found.returncode == 0, found.stderr
    ranked = json.loads(found.stdout)
    assert [r["slug"] for r in ranked][:1] == ["download-an-invoice"]
    assert set(ranked[0]) == {"slug", "title", "score"} and ranked[0]["title"] == "Download an invoice"
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    nothing = run_cli_in_process(url, "kb", "search", "who won the football world cup", "--json")
    assert nothing.returncode == 0, nothing.stderr
    assert json.loads(nothing.stdout) == []
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 2
