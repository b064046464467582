"""The analytics page's "Help center" section (AppTest): the figures a manager reads are what the
help center's services recorded in the chosen range, and an empty help center reads as zeros and
"—", not as errors."""
from __future__ import annotations

import pytest

from helpdesk.analytics.period import RangePreset
from helpdesk.enums import Role
from helpdesk.knowledge import articles, assistant, suggestions
from helpdesk.models import Ticket
from tests.factories import add_user
from tests.knowledge.corpus import publish_corpus
from tests.page_helpers import open_app, page_text, rerun

PAGE = "pages/manager/analytics.py"


@pytest.fixture
def manager(app_desk):
    return add_user(app_desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")


def top_articles(at) -> list[dict]:
    [table] = [d.value for d in at.dataframe if list(d.value.columns) == ["Article", "Views", "Helpful", "Not helpful"]]
    return table.to_dict("records")


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def on_article(desk, person, slug, service, **arguments):
    return desk.act(person, lambda session, actor: service(
        session=session, actor=actor, article=articles.get_article(session=session, actor=actor, slug=slug),
        **arguments))


@pytest.fixture
def used(app_desk, clock):
    """This week in the help center: three chats (one solved, one a ticket, one left open), two
    suggestions opened (a ticket after one), four views and three answers to "Did this help?";
    and, 40 days ago, a chat and a view that the last 30 days leave out."""
    desk = app_desk
    publish_corpus(desk)
    clock.advance(days=-40)
    key = desk.act(desk.customer, assistant.start_chat).key
    desk.act(desk.customer, assistant.ask, key=key, question="I forgot my password")
    on_article(desk, desk.customer, "charged-twice", articles.record_view)
    clock.advance(days=40)

    keys = []
    for question in ("I forgot my password", "where is my order", "how do I return an item"):
        keys.append(desk.act(desk.customer, assistant.start_chat).key)
        desk.act(desk.customer, assistant.ask, key=keys[-1], question=question)
    desk.act(desk.customer, assistant.mark_solved, key=keys[0], slug="reset-your-password")
    from_chat = desk.raise_ticket(subject="Where is my order", description="where is my order")
    desk.act(desk.customer, lambda session, actor: assistant.attach_to_ticket(
        session=session, actor=actor, key=keys[1], ticket=session.get(Ticket, from_chat)))

    opened = [on_article(desk, desk.customer, slug, suggestions.record_suggestion_opened)
              for slug in ("return-an-item", "track-your-parcel")]
    after = desk.raise_ticket(subject="Parcel late", description="still not here")
    desk.act(desk.customer, lambda session, actor: suggestions.link_suggestions_to_ticket(
        session=session, actor=actor, event_ids=opened[1:], ticket=session.get(Ticket, after)))

    for _ in range(3):
        on_article(desk, desk.customer, "reset-your-password", articles.record_view)
    on_article(desk, desk.customer, "return-an-item", articles.record_view)
    on_article(desk, desk.customer, "reset-your-password", articles.record_feedback, helpful=True)
    on_article(desk, desk.customer, "reset-your-password", articles.record_feedback, helpful=False)
    on_article(desk, desk.customer, "return-an-item", articles.record_feedback, helpful=True)
    clock.advance(minutes=2)  # the page counts "as of" the minute


def test_the_section_shows_what_the_help_center_recorded(app_desk, used, manager):
    at = open_app(manager, page=PAGE)
    assert "Help center" in page_text(at)
    got = tiles(at)
    assert {label: got[label] for label in (
        "Chat sessions", "Solved in chat", "Solved, share", "Tickets from chat", "Suggested, opened",
        "Deflected", "Deflected, share", "Article views", "Found helpful")} == {
        "Chat sessions": "3", "Solved in chat": "1", "Solved, share": "33%", "Tickets from chat": "1",
        "Suggested, opened": "2", "Deflected": "1", "Deflected, share": "50%", "Article views": "4",
        "Found helpful": "67%"}
    top = top_articles(at)
    assert top == [{"Article": "Reset your password", "Views": 3, "Helpful": 1, "Not helpful": 1},
                   {"Article": "Return an item", "Views": 1, "Helpful": 1, "Not helpful": 0}]


def test_a_longer_range_takes_in_the_older_chat_and_view(app_desk, used, manager):
    at = open_app(manager, page=PAGE)
    [ranges] = [g for g in at.get("button_group") if g.key == "analytics_range"]
    ranges.set_value(RangePreset.LAST_90)
    rerun(at)
    got = tiles(at)
    assert (got["Chat sessions"], got["Solved, share"], got["Article views"]) == ("4", "25%", "5")
    top = top_articles(at)
    assert {"Article": "Charged twice for one order", "Views": 1, "Helpful": 0, "Not helpful": 0} in top


def test_an_unused_help_center_reads_as_zeros_and_dashes(app_desk, manager):
    at = open_app(manager, page=PAGE)  # no ticket either: the page explains the empty range, then this
    got = tiles(at)
    assert got["Chat sessions"] == "0" and got["Article views"] == "0" and got["Suggested, opened"] == "0"
    assert got["Solved, share"] == got["Deflected, share"] == got["Found helpful"] == "—"
    assert "No article was opened or rated in this range." in page_text(at)
