"""One guideline article as a reader sees it: title, category, when it was last updated, a
"Draft" badge for staff previewing an unpublished one, and the body (staff Markdown, through
helpdesk.ui.article_markdown). The help center shows it as a page, the submit form inline."""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from helpdesk.enums import ArticleStatus
from helpdesk.models import Article
from helpdesk.ui.article_markdown import show_article_body
from helpdesk.ui.format import local_time
from helpdesk.ui.plain_text import plain


def updated_on(moment: datetime | None) -> str:
    """The day, in the reader's time zone: "12 March 2026"."""
    if moment is None:
        return "—"
    local = local_time(moment)
    return f"{local.day} {local:%B %Y}"


def show_article(article: Article, *, as_page: bool = True) -> None:
    """`as_page`: the article's title is the page's title; otherwise a heading inside another page."""
    if article.status == ArticleStatus.DRAFT:
        st.badge("Draft", icon=":material/edit_note:", color="orange")
    if as_page:
        st.title(plain(article.title), anchor=False)
    else:
        st.subheader(plain(article.title), anchor=False)
    st.caption(f"{plain(article.category.name)} · Updated {updated_on(article.updated_at)}")
    show_article_body(article.body)
