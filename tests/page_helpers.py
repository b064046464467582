"""Helpers for the AppTest page tests: a throwaway database the app points at, the app
opened as a given user, and ways to read a page the way a person reads it. The people,
categories and tickets these tests need come from tests/factories.py, like everywhere else."""
from __future__ import annotations

import re
import string
from pathlib import Path

from streamlit.runtime import pages_manager
from streamlit.testing.v1 import AppTest, app_test

from helpdesk.models import User
from helpdesk.ui.engine import get_engine

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
# Argon2 hashing and the first migration take longer than AppTest's 3 s default on a busy machine.
RUN_TIMEOUT = 60


class _ServedPagesManager(pages_manager.PagesManager):
    """Pages resolved the way the live server resolves them once streamlit_app.py has called
    st.navigation: never by file name in pages/. AppTest forgets that before every run and
    would then run pages/customer/ticket.py (the customer page) for the agent page that shares
    its address /ticket_view."""

    # The live server keeps one PagesManager per session, so a widget callback (which runs before
    # the script calls st.navigation) can st.switch_page to the pages the last run registered.
    # AppTest makes a new one every run: start it with the pages of the run before.
    registered = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pages_manager.PagesManager.uses_pages_directory = False
        if _ServedPagesManager.registered is not None:
            self._pages = dict(_ServedPagesManager.registered)

    def set_pages_and_resolve(self, pages, fallback_page_hash=""):
        _ServedPagesManager.registered = dict(pages)
        return super().set_pages_and_resolve(pages, fallback_page_hash)


app_test.PagesManager = _ServedPagesManager

# Everything a person reads on a page, by element type.
_ESCAPED = re.compile("\\\\([" + re.escape(string.punctuation) + "])")
_TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "text", "caption", "error", "warning", "info",
                  "success")


def point_app_at(monkeypatch, tmp_path, url: str) -> None:
    """Make the app (in this process) use `url`, with no developer secrets file in the way."""
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    get_engine.clear()  # the engine is st.cache_resource: drop the previous test's database


def open_app(user: User | int | None = None, *, ticket: str | int | None = None,
             page: str | None = None) -> AppTest:
    """Run the app once, signed in as `user` (or signed out), optionally on `page`."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    if user is not None:
        at.session_state["user_id"] = user if isinstance(user, int) else user.id
    if ticket is not None:
        at.query_params["ticket"] = str(ticket)
    at.run()
    if ticket is not None and page is None:
        page = "pages/customer/ticket.py"  # the address /ticket_view?ticket=...
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    """The rerun a click triggers, checked for crashes."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def as_read(markdown: object) -> str:
    """What a person reads from an element's Markdown source: backslash escapes (helpdesk.ui.
    plain_text puts them before every punctuation mark of user text) show as the mark itself."""
    return _ESCAPED.sub(r"\1", str(markdown))


def _in_menu_bar(at: AppTest, kind: str, inside: bool) -> list:
    """Elements of `kind` inside (or outside) the menu bar every page starts with."""
    found = []

    def walk(node, in_bar: bool):
        in_bar = in_bar or str(getattr(getattr(node, "proto", None), "id", "")).endswith("-menu_bar")
        if getattr(node, "type", None) == kind and in_bar == inside:
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child, in_bar)

    walk(at.main, False)
    return found


def signed_in_line(at: AppTest) -> str:
    """The menu bar's "Signed in as ..." words, as read."""
    [line] = _in_menu_bar(at, "caption", inside=True)
    return as_read(line.value)


def page_links(at: AppTest) -> list:
    """The page's own links (a back link, "Open CCR-000042"), not the menu bar's."""
    return _in_menu_bar(at, "page_link", inside=False)


def page_text(at: AppTest) -> str:
    """All visible text on the page (titles, paragraphs, messages), one item per line."""
    parts = []
    for kind in _TEXT_ELEMENTS:
        parts.extend(as_read(element.value) for element in getattr(at, kind))
    return "\n".join(parts)


def messages(at: AppTest, kind: str = "error") -> list[str]:
    return [as_read(element.value) for element in getattr(at, kind)]


def message_at(at: AppTest, key: str) -> str | None:
    """The error shown right under the widget `key`, or None when the field has none."""
    def walk(node):
        children = list(getattr(node, "children", {}).values())
        for position, child in enumerate(children):
            if getattr(child, "key", None) == key:
                following = children[position + 1] if position + 1 < len(children) else None
                return as_read(following.value) if following is not None and following.type == "error" else ""
            found = walk(child)
            if found is not None:
                return found
        return None

    found = walk(at.main)
    if found is None:
        raise AssertionError(f"no widget with key {key!r} on the page")
    return found or None


def fill(at: AppTest, **values) -> AppTest:
    """Type into text inputs / areas by key."""
    for key, value in values.items():
        widget = at.get_by_key(key)
        widget.input(value) if hasattr(widget, "input") else widget.set_value(value)
    return at


__all__ = ["APP", "RUN_TIMEOUT", "as_read", "fill", "message_at", "messages", "open_app", "page_text", "point_app_at",
           "rerun"]


def type_address(at: AppTest, address: str) -> AppTest:
    """As if the person typed /<address> into the browser: the page the navigation registered
    under that address for them (AppTest's switch_page only finds pages by file)."""
    [page_hash] = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == address]
    at._page_hash = page_hash
    return rerun(at)
