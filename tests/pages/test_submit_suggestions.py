"""Suggestions on the submit form: once subject and description hold a few words, up to three
articles that may answer it; one opened is shown on the form (nothing typed is lost), and it is
linked to the ticket raised after it, or, with no ticket after, counts as solved by the article.
AppTest, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.core.clock import utcnow
from helpdesk.enums import HelpEventKind
from helpdesk.knowledge.metrics import help_center_figures
from tests.page_helpers import as_read, fill, messages, page_text, rerun
from tests.pages.help_world import SUBMIT_PAGE, build_help_center, events, go, open_page

MY_TICKETS = "pages/customer/my_tickets.py"
INTRO = "**These articles may answer it:**"


@pytest.fixture
def help_desk(served_desk):
    build_help_center(served_desk)
    return served_desk


def suggested(at) -> list[str]:
    """The slugs of the articles offered, in order."""
    return [b.key.removeprefix("submit_suggestion_") for b in at.button if b.key.startswith("submit_suggestion_")]


def figures(desk):
    now = utcnow()
    return desk.act(desk.admin, help_center_figures, start=now - timedelta(days=1), end=now + timedelta(days=1))


def test_suggestions_wait_for_a_few_words_and_then_offer_at_most_three_relevant_articles(help_desk):
    at = open_page(SUBMIT_PAGE, help_desk.customer)
    assert suggested(at) == [] and INTRO not in [m.value for m in at.markdown]
    fill(at, submit_subject="Charged twice")  # two words say too little
    rerun(at)
    assert suggested(at) == []

    fill(at, submit_description="My card shows two payments for the same order.")
    rerun(at)
    assert INTRO in [m.value for m in at.markdown]
    offered = suggested(at)
    assert offered[0] == "charged-twice-for-an-order" and len(offered) <= 3
    assert at.text_input(key="submit_subject").value == "Charged twice"  # the fields are as typed

    # Words no article covers: nothing offered (only articles above the threshold are).
    fill(at, submit_subject="Office plants", submit_description="The ficus in reception is turning yellow.")
    rerun(at)
    assert suggested(at) == []


def test_an_opened_suggestion_shows_on_the_form_and_is_linked_to_the_ticket_raised_after_it(help_desk):
    at = open_page(SUBMIT_PAGE, help_desk.customer)
    fill(at, submit_subject="Parcel never arrived",
         submit_description="Tracking says delivered but there is nothing at my door.")
    rerun(at)
    slug = suggested(at)[0]
    at.button(key=f"submit_suggestion_{slug}").click()
    rerun(at)

    assert [as_read(h.value) for h in at.subheader] == ["Parcel marked delivered but not received"]
    assert "neighbour" in page_text(at)  # the article's own words, right here
    assert at.text_area(key="submit_description").value == "Tracking says delivered but there is nothing at my door."
    [opened] = events(help_desk, HelpEventKind.SUGGESTION_OPENED)
    assert (opened.user_id, opened.ticket_id) == (help_desk.customer.id, None)

    at.button(key=f"submit_suggestion_{slug}").click()  # opened again: still one opening
    rerun(at)
    assert len(events(help_desk, HelpEventKind.SUGGESTION_OPENED)) == 1
    at.button(key="submit_close_article").click()
    rerun(at)
    assert not at.subheader

    at.selectbox(key="submit_category").select(help_desk.category.id)
    at.button(key="submit_button").click()
    rerun(at)
    assert "CCR-000001" in messages(at, "success")[0]
    [opened] = events(help_desk, HelpEventKind.SUGGESTION_OPENED)
    assert help_desk.ticket(opened.ticket_id).reference == "CCR-000001"
    assert (figures(help_desk).suggestions_opened, figures(help_desk).suggestions_deflected) == (1, 0)


def test_an_opened_suggestion_with_no_ticket_after_it_counts_as_solved_by_the_article(help_desk):
    at = open_page(SUBMIT_PAGE, help_desk.customer)
    fill(at, submit_subject="Forgot my password", submit_description="I can't sign in to my account any more.")
    rerun(at)
    at.button(key="submit_suggestion_reset-your-password").click()
    rerun(at)
    go(at, MY_TICKETS)  # read it, and left

    [opened] = events(help_desk, HelpEventKind.SUGGESTION_OPENED)
    assert opened.ticket_id is None
    assert (figures(help_desk).suggestions_opened, figures(help_desk).suggestions_deflected) == (1, 1)
