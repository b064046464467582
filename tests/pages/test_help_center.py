"""The help center page (/help): browsing by category, search, one article at ?article=<slug>
with "Did this help?", drafts for staff only, and who sees the help pages in the menu.
AppTest, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.enums import HelpEventKind, Role
from helpdesk.models import Category
from tests.factories import TEST_PASSWORD, add_user
from tests.page_helpers import as_read, fill, messages, open_app, page_text, rerun, type_address
from tests.pages.help_world import (DRAFT_SLUG, DRAFT_TITLE, HELP_PAGE, article, build_help_center, events, links, menu,
                                 open_page, published_count)

NOT_FOUND = "There is no such article in the help center: it may have been moved or taken down."


@pytest.fixture
def help_desk(served_desk):
    build_help_center(served_desk)
    return served_desk


def category_id(desk, name: str) -> int:
    with session_scope(desk.engine) as session:
        return session.scalar(select(Category.id).where(Category.name == name))


def article_links(at) -> list[tuple[str, str]]:
    """(title, slug) of every article linked on the page, in order."""
    return [(label, query["article"]) for label, query in links(at) if "article" in query]


# --- who reaches it ----------------------------------------------------------------------------------

def test_visitors_customers_and_staff_each_get_the_help_pages_meant_for_them(help_desk):
    visitor = open_app()
    assert menu(visitor) == ["Sign in", "Create an account", "Help center", "Ask the assistant"]
    type_address(visitor, "help")
    assert visitor.title[0].value == "Help center"  # no sign-in needed
    type_address(visitor, "assistant")
    assert visitor.title[0].value == "Ask the assistant"

    assert menu(open_app(help_desk.customer)) == ["Submit a ticket", "My tickets", "Help center", "Ask the assistant",
                                                  "Profile"]
    agent = open_app(help_desk.agent)
    assert menu(agent) == ["Queue", "Articles", "Help center", "Profile"]
    type_address(agent, "assistant")  # not theirs: sent to their start page with a word on why
    assert agent.title[0].value == "Queue"
    assert "That page is for customers. Here is your start page." in messages(agent, "info")


def test_an_empty_help_center_says_so_and_still_offers_a_ticket(served_desk):
    at = open_page(HELP_PAGE)
    assert "No articles have been published yet." in messages(at, "info")
    assert [b.label for b in at.button] == ["Sign in to raise a ticket"]
    at = open_page(HELP_PAGE, served_desk.customer)
    assert ("Submit a ticket", {}) in links(at)


# --- browse --------------------------------------------------------------------------------------------

def test_browsing_lists_every_published_article_by_category_and_narrows_to_one(help_desk):
    at = open_page(HELP_PAGE)
    listed = article_links(at)
    assert len(listed) == published_count(help_desk)
    assert DRAFT_SLUG not in {slug for _, slug in listed}
    assert ("Reset your password", "reset-your-password") in listed

    picker = at.pills(key="help_category")
    assert "Shipping & delivery (6)" in [as_read(option) for option in picker.options]
    picker.set_value(category_id(help_desk, "Shipping & delivery"))
    rerun(at)
    slugs = [slug for _, slug in article_links(at)]
    assert {"track-your-parcel", "parcel-arrived-damaged", "shipping-outside-the-eu"} <= set(slugs)
    assert "reset-your-password" not in slugs and len(slugs) == 6
    assert [as_read(h.value) for h in at.subheader] == ["Shipping & delivery"]
    # The address says which category, so the view can be shared.
    assert at.query_params["category"] == str(category_id(help_desk, "Shipping & delivery"))

    shared = open_page(HELP_PAGE, category=str(category_id(help_desk, "Shipping & delivery")))
    assert [slug for _, slug in article_links(shared)] == slugs


# --- search --------------------------------------------------------------------------------------------

def test_search_ranks_the_answering_article_first_and_keeps_the_question_in_the_address(help_desk):
    at = open_page(HELP_PAGE)
    at.text_input(key="help_search").input("I forgot my pasword")  # misspelt, as people type
    rerun(at)
    found = article_links(at)
    assert found[0] == ("Reset your password", "reset-your-password")
    assert len(found) <= 10
    assert at.query_params["q"] == "I forgot my pasword"
    assert not at.get("button_group")  # the category picker steps aside while searching

    # A new search replaces the old one.
    at.text_input(key="help_search").input("where is my parcel")
    rerun(at)
    assert article_links(at)[0] == ("Track your parcel", "track-your-parcel")


def test_a_search_nothing_answers_says_so_and_offers_the_assistant_and_a_ticket(help_desk):
    at = open_page(HELP_PAGE)
    at.text_input(key="help_search").input("what is the weather in paris tomorrow")
    rerun(at)
    assert article_links(at) == []
    assert messages(at, "info") == [
        "No article in the help center answers “what is the weather in paris tomorrow”. Try other words, ask the "
        "assistant, or raise a ticket and our team will answer you."]
    assert ("Ask the assistant", {}) in links(at)

    # A visitor signs in for it and lands on the submit form.
    at.button(key="help_search_sign_in").click()
    rerun(at)
    assert at.title[0].value == "Customer Care Registry"
    assert "Sign in, or create an account, to raise your ticket. You'll go straight on to it." in messages(at, "info")
    fill(at, sign_in_email="carla@example.com", sign_in_password=TEST_PASSWORD)
    at.button(key="sign_in_submit").click()
    rerun(at)
    assert at.title[0].value == "Submit a ticket"

    customer = open_page(HELP_PAGE, help_desk.customer, q="what is the weather in paris tomorrow")
    assert article_links(customer) == []
    assert ("Submit a ticket", {}) in links(customer)


def test_user_text_in_the_search_is_shown_as_text(help_desk):
    typed = "**bold** ![x](http://127.0.0.1:9/pixel.png) :red[red]"
    at = open_page(HELP_PAGE, q=typed)
    [info] = at.info
    assert "\\!\\[x\\]" in info.value and "\\*\\*bold" in info.value  # no image fetched, nothing restyled...
    assert as_read(info.value).startswith(f"No article in the help center answers “{typed}”")  # ...reads as typed


# --- one article ---------------------------------------------------------------------------------------

def test_an_article_shows_title_category_date_and_body_and_counts_one_view_per_browser_session(help_desk):
    at = open_page(HELP_PAGE, article="reset-your-password")
    assert at.title[0].value == "Reset your password"
    assert any(as_read(c.value).startswith("Account access · Updated ") for c in at.caption)
    assert "## If the reset e-mail doesn't arrive" in page_text(at)  # the body, as Markdown
    assert article(help_desk, "reset-your-password").view_count == 1

    rerun(at)
    rerun(at)
    assert article(help_desk, "reset-your-password").view_count == 1  # reruns are the same reading
    open_page(HELP_PAGE, article="reset-your-password")  # another browser
    assert article(help_desk, "reset-your-password").view_count == 2
    assert len(events(help_desk, HelpEventKind.ARTICLE_VIEW)) == 2


def test_did_this_help_is_counted_once_per_browser_session_and_thanked(help_desk):
    at = open_page(HELP_PAGE, help_desk.customer, article="track-your-parcel")
    assert "**Did this help?**" in [m.value for m in at.markdown]
    at.button(key="help_helpful_yes").click()
    rerun(at)
    assert messages(at, "success") == ["Thanks for telling us."]
    assert not [b for b in at.button if b.key.startswith("help_helpful")]  # answered: no second vote
    rerun(at)
    counts = article(help_desk, "track-your-parcel")
    assert (counts.helpful_count, counts.not_helpful_count) == (1, 0)
    [vote] = events(help_desk, HelpEventKind.ARTICLE_HELPFUL)
    assert vote.user_id == help_desk.customer.id

    # "No" from a visitor: counted, and the way on offered.
    visitor = open_page(HELP_PAGE, article="track-your-parcel")
    visitor.button(key="help_helpful_no").click()
    rerun(visitor)
    assert messages(visitor, "success") == ["Thanks for telling us."]
    assert ("Ask the assistant", {}) in links(visitor)
    assert "Sign in to raise a ticket" in [b.label for b in visitor.button]
    counts = article(help_desk, "track-your-parcel")
    assert (counts.helpful_count, counts.not_helpful_count) == (1, 1)


@pytest.mark.parametrize("slug", [DRAFT_SLUG, "no-such-article", "../../etc/passwd", "", "x" * 500])
def test_a_draft_or_unknown_article_is_not_found_for_visitors_and_customers(help_desk, slug):
    for person in (None, help_desk.customer):
        at = open_page(HELP_PAGE, person, article=slug)
        assert at.title[0].value == "Article not found"
        assert messages(at, "warning")[0].startswith(NOT_FOUND)
        assert links(at)[0] == ("Help center", {})  # the way back
        assert DRAFT_TITLE not in page_text(at)
    assert article(help_desk, DRAFT_SLUG).view_count == 0


def test_staff_see_drafts_badged_in_the_list_and_as_an_article_and_their_previews_are_not_counted(help_desk):
    agent = open_page(HELP_PAGE, help_desk.agent)
    assert (f"{DRAFT_TITLE} (draft)", DRAFT_SLUG) in article_links(agent)

    at = open_page(HELP_PAGE, help_desk.agent, article=DRAFT_SLUG)
    assert at.title[0].value == DRAFT_TITLE
    assert any("badge[" in m.value and "Draft" in m.value for m in at.markdown)
    assert not [b for b in at.button if b.key.startswith("help_helpful")]  # nobody to ask yet
    assert article(help_desk, DRAFT_SLUG).view_count == 0

    published = open_page(HELP_PAGE, help_desk.agent, article="reset-your-password")
    assert not any("badge[" in m.value for m in published.markdown)


def test_a_manager_reads_the_help_center_in_the_workspace(help_desk):
    manager = add_user(help_desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")
    at = open_page(HELP_PAGE, manager, q="charged twice")
    assert article_links(at)[0] == ("Charged twice for one order", "charged-twice-for-an-order")
    assert ("Ask the assistant", {}) not in links(at)  # staff don't chat with the assistant
