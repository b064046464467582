"""The help center the page tests read: the demo's guideline articles (helpdesk/demo/articles,
imported the way `kb import` does) in the demo's categories, plus one draft only staff may see,
and ways to open the help pages and read them as a person does."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import helpdesk.demo
from helpdesk.core.db import session_scope
from helpdesk.demo.corpus import CATEGORIES
from helpdesk.enums import ArticleStatus, HelpEventKind
from helpdesk.knowledge.articles import ArticleDraft, create_article
from helpdesk.knowledge.importer import import_articles
from helpdesk.models import Article, Category, ChatSession, HelpEvent, User
from tests.factories import Desk
from tests.page_helpers import APP, RUN_TIMEOUT, _in_menu_bar, as_read, page_links

DEMO_ARTICLES = Path(helpdesk.demo.__file__).parent / "articles"
HELP_PAGE = "pages/help/center.py"
ASSISTANT_PAGE = "pages/help/assistant.py"
SUBMIT_PAGE = "pages/customer/submit_ticket.py"
DRAFT_SLUG = "price-match-promise"
DRAFT_TITLE = "Our price match promise"


def build_help_center(desk: Desk) -> None:
    """Every demo category (Billing is the Desk's own), the demo articles, and one draft."""
    with session_scope(desk.engine) as session:
        have = set(session.scalars(select(Category.name)))
        session.add_all(Category(name=name, description=about) for name, about, _ in CATEGORIES if name not in have)
        session.flush()
        import_articles(session=session, folder=DEMO_ARTICLES)
    desk.act(desk.agent, create_article, data=ArticleDraft(
        title=DRAFT_TITLE, body="If you find it cheaper elsewhere within 14 days, we refund the difference.",
        category_id=desk.category.id, tags=["price match"], aliases=["found it cheaper elsewhere"],
        status=ArticleStatus.DRAFT, slug=DRAFT_SLUG))


def article(desk: Desk, slug: str) -> Article:
    with session_scope(desk.engine) as session:
        return session.scalar(select(Article).where(Article.slug == slug))


def published_count(desk: Desk) -> int:
    with session_scope(desk.engine) as session:
        return session.scalar(select(func.count()).select_from(Article)
                              .where(Article.status == ArticleStatus.PUBLISHED))


def events(desk: Desk, kind: HelpEventKind) -> list[HelpEvent]:
    with session_scope(desk.engine) as session:
        return list(session.scalars(select(HelpEvent).where(HelpEvent.kind == kind).order_by(HelpEvent.id)))


def chats(desk: Desk) -> list[ChatSession]:
    with session_scope(desk.engine) as session:
        return list(session.scalars(select(ChatSession).order_by(ChatSession.id)))


def open_page(script: str, user: User | None = None, **query: str):
    """A fresh browser session (signed in as `user`, or a visitor) at `script`, with `query` in the address."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    if user is not None:
        at.session_state["user_id"] = user.id
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page(script).run()
    # From here on each run stays where the last one finished, as a browser does: AppTest would
    # otherwise go back to `script` on every run, whatever page the app itself switched to.
    at._page_hash = ""
    assert not at.exception, [e.value for e in at.exception]
    return at


def links(at) -> list[tuple[str, dict[str, str]]]:
    """The page's own links (not the menu bar's) as read: label and query parameters."""
    return [(as_read(link.proto.label), dict(parse_qsl(link.proto.query_string))) for link in page_links(at)]


def menu(at) -> list[str]:
    """The menu bar's page titles."""
    return [as_read(link.proto.label) or link.proto.page for link in _in_menu_bar(at, "page_link", inside=True)]


def go(at, script: str):
    """Open another page from the menu bar, as the person would."""
    at.switch_page(script).run()
    at._page_hash = ""  # then stay wherever the app goes, as above
    assert not at.exception, [e.value for e in at.exception]
    return at
