"""Ask the assistant (/assistant): an answer quoted from an article, "Did you mean" between
close articles, the honest answer when none covers it, "This solved it", and "Raise a ticket"
into the submit form with the transcript attached, for a customer and for a visitor who signs
in on the way. AppTest, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from helpdesk.enums import ArticleStatus, ChatOutcome
from helpdesk.knowledge.articles import ArticleDraft, create_article
from helpdesk.knowledge.assistant import NO_MATCH_TEXT, transcript_for_ticket
from tests.factories import TEST_PASSWORD
from tests.page_helpers import as_read, fill, messages, rerun
from tests.pages.help_world import (ASSISTANT_PAGE, SUBMIT_PAGE, article, build_help_center, chats, go, links,
                                 open_page)

SIGN_IN_FIRST = "Sign in, or create an account, to raise your ticket. You'll go straight on to it."
FROM_CHAT = "Started from your conversation with the assistant; the transcript will be attached for the agent."
PASSWORD_BODY = ("Select Forgot password? on the sign-in screen and follow the link we e-mail you. The link is "
                 "valid for one hour.")


@pytest.fixture
def help_desk(served_desk):
    build_help_center(served_desk)
    return served_desk


@pytest.fixture
def twins(served_desk):
    """Two articles that say the same, for the website and for the app: neither is the better guess."""
    for title, slug in (("Reset your password on the website", "reset-password-website"),
                        ("Reset your password in the app", "reset-password-app")):
        served_desk.act(served_desk.agent, create_article, data=ArticleDraft(
            title=title, body=PASSWORD_BODY, category_id=served_desk.category.id, tags=["password"],
            aliases=["I forgot my password"], status=ArticleStatus.PUBLISHED, slug=slug))
    return served_desk


def ask(at, text: str):
    at.chat_input(key="assistant_input").set_value(text)
    return rerun(at)


def turns(at) -> list[tuple[str, list[str]]]:
    """Who said what, in order, as read (each message's paragraphs)."""
    return [(message.name, [as_read(part.value) for part in message.children.values() if part.type == "markdown"])
            for message in at.chat_message]


def buttons(at) -> dict[str, bool]:
    """The page's buttons (not the menu bar's): label -> whether it can be pressed."""
    return {as_read(b.label): not b.disabled for b in at.button if b.key != "sign_out"}


def test_a_question_is_answered_with_the_articles_own_words_quoted_and_linked(help_desk):
    at = open_page(ASSISTANT_PAGE)
    assert chats(help_desk) == []  # nothing is started before the first question
    ask(at, "I forgot my password")

    [(who, said), (replier, reply)] = turns(at)
    assert (who, said) == ("user", ["I forgot my password"])
    assert replier == "assistant"
    assert reply[0] == "From the article **Reset your password**:"
    assert reply[1].startswith("> ")
    assert reply[1][2:] in article(help_desk, "reset-your-password").body  # quoted, not made up
    assert ("Read the whole article", {"article": "reset-your-password"}) in links(at)
    assert buttons(at) == {"This solved it": True, "Raise a ticket": True}

    # The transcript is the stored conversation's: it is all there on every run.
    rerun(at)
    assert len(turns(at)) == 2
    [chat] = chats(help_desk)
    assert chat.user_id is None and chat.outcome == ChatOutcome.OPEN
    assert [turn["role"] for turn in chat.transcript] == ["customer", "assistant"]


def test_close_matches_ask_did_you_mean_and_the_choice_answers_from_that_article(twins):
    at = open_page(ASSISTANT_PAGE, twins.customer)
    ask(at, "I forgot my password")
    assert turns(at)[-1] == ("assistant", ["Did you mean:"])
    assert buttons(at) == {"Reset your password on the website": True, "Reset your password in the app": True,
                           "Raise a ticket": True}  # no "This solved it" before an answer

    [choice] = [b for b in at.button if as_read(b.label) == "Reset your password in the app"]
    choice.click()
    rerun(at)
    assert turns(at)[-2:] == [("user", ["Reset your password in the app"]),
                              ("assistant", ["From the article **Reset your password in the app**:",
                                             f"> {PASSWORD_BODY}"])]
    # The question is answered: the old choice can't be picked again.
    assert buttons(at) == {"Reset your password on the website": False, "Reset your password in the app": False,
                           "This solved it": True, "Raise a ticket": True}


def test_an_off_topic_question_gets_the_honest_answer_and_what_was_typed_shows_as_text(help_desk):
    at = open_page(ASSISTANT_PAGE)
    typed = "**what** is the weather in ![paris](http://127.0.0.1:9/p.png) tomorrow?"
    ask(at, typed)
    [(_, said), (_, reply)] = turns(at)
    assert said == [typed]
    assert "\\!\\[paris\\]" in at.chat_message[0].children[0].value  # escaped: no image fetched, nothing bold
    assert reply == [NO_MATCH_TEXT]
    assert buttons(at) == {"Raise a ticket": True}


def test_this_solved_it_ends_the_conversation_as_solved_and_ask_something_else_starts_afresh(help_desk):
    at = open_page(ASSISTANT_PAGE, help_desk.customer)
    ask(at, "how do I track my parcel")
    at.button(key="assistant_solved").click()
    rerun(at)

    assert messages(at, "success") == ["Glad that solved it. Thank you for letting us know!"]
    assert not at.chat_input  # the conversation has ended
    [chat] = chats(help_desk)
    assert chat.outcome == ChatOutcome.SOLVED
    assert chat.solved_by_id == article(help_desk, "track-your-parcel").id
    assert chat.user_id == help_desk.customer.id

    at.button(key="assistant_new").click()
    rerun(at)
    assert turns(at) == [] and at.chat_input
    ask(at, "I forgot my password")
    assert len(chats(help_desk)) == 2 and chats(help_desk)[0].outcome == ChatOutcome.SOLVED


def test_a_too_long_message_is_refused_with_the_reason_and_stays_in_the_input(help_desk):
    at = open_page(ASSISTANT_PAGE)
    long_message = "My parcel " + "x" * 1991
    ask(at, long_message)
    assert messages(at) == ["That is 1 characters too long (at most 2,000). Shorten it, or raise a ticket."]
    assert at.chat_input(key="assistant_input").value == long_message  # nothing typed is lost
    assert turns(at) == [] and chats(help_desk) == []

    ask(at, long_message[:2000])
    assert len(turns(at)) == 2 and not messages(at)


def test_raise_a_ticket_fills_in_the_form_and_the_ticket_carries_the_transcript(help_desk):
    carla = help_desk.customer
    at = open_page(SUBMIT_PAGE, carla)
    fill(at, submit_subject="Something I started earlier")  # the form was in use before the chat
    rerun(at)
    go(at, ASSISTANT_PAGE)
    ask(at, "My parcel never arrived")
    ask(at, "The tracking says it was delivered two days ago")
    at.button(key="assistant_raise_ticket").click()
    rerun(at)

    assert at.title[0].value == "Submit a ticket"
    assert FROM_CHAT in messages(at, "info")
    assert at.text_input(key="submit_subject").value == "My parcel never arrived"
    assert at.text_area(key="submit_description").value == ("My parcel never arrived\n\n"
                                                            "The tracking says it was delivered two days ago")
    at.selectbox(key="submit_category").select(help_desk.category.id)
    at.button(key="submit_button").click()
    rerun(at)
    assert "CCR-000001" in messages(at, "success")[0]
    assert FROM_CHAT not in messages(at, "info")  # the next ticket starts on its own

    [chat] = chats(help_desk)
    ticket = help_desk.ticket(chat.ticket_id)
    assert (ticket.reference, ticket.subject, chat.outcome) == ("CCR-000001", "My parcel never arrived",
                                                                ChatOutcome.TICKET)
    transcript = help_desk.act(help_desk.agent, transcript_for_ticket, ticket_id=ticket.id)
    assert [t["text"] for t in transcript if t["role"] == "customer"] == [
        "My parcel never arrived", "The tracking says it was delivered two days ago"]

    go(at, ASSISTANT_PAGE)  # the conversation is over: a ticket carries it on
    assert messages(at, "info") == ["A ticket was raised from this conversation; our team will answer you there."]
    assert not at.chat_input


def test_a_visitor_signs_in_on_the_way_and_the_filled_in_form_is_waiting(help_desk):
    carla = help_desk.customer
    at = open_page(ASSISTANT_PAGE)
    ask(at, "I was charged twice for my order")
    at.button(key="assistant_raise_ticket").click()
    rerun(at)
    assert at.title[0].value == "Customer Care Registry"  # the sign-in page
    assert SIGN_IN_FIRST in messages(at, "info")

    fill(at, sign_in_email=carla.email, sign_in_password=TEST_PASSWORD)
    at.button(key="sign_in_submit").click()
    rerun(at)
    assert at.title[0].value == "Submit a ticket"
    assert FROM_CHAT in messages(at, "info")
    assert at.text_input(key="submit_subject").value == "I was charged twice for my order"
    at.selectbox(key="submit_category").select(help_desk.category.id)
    at.button(key="submit_button").click()
    rerun(at)
    assert "CCR-000001" in messages(at, "success")[0]

    [chat] = chats(help_desk)
    assert chat.user_id == carla.id  # the visitor's conversation is now Carla's
    assert help_desk.ticket(chat.ticket_id).customer_id == carla.id
