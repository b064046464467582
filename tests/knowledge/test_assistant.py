"""The help assistant through its services: it quotes the article that answers, asks when two
are equally close, says plainly when none covers the question, never writes words of its own,
and the conversation stays with the ticket raised from it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import ArticleStatus, AssistantReply, ChatOutcome
from helpdesk.knowledge import assistant
from helpdesk.knowledge.articles import ArticleDraft, create_article
from helpdesk.models import ChatSession, User
from tests.factories import add_user
from tests.knowledge.corpus import ARTICLES, publish_corpus


def chat(desk, person: User | None):
    with session_scope(desk.engine) as session:
        actor = session.get(User, person.id) if person else None
        return assistant.start_chat(session=session, actor=actor).key


def say(desk, person: User | None, key: str, question: str) -> assistant.Reply:
    with session_scope(desk.engine) as session:
        actor = session.get(User, person.id) if person else None
        return assistant.ask(session=session, actor=actor, key=key, question=question)


def transcript(desk, key: str) -> list[dict]:
    with session_scope(desk.engine) as session:
        return session.scalar(select(ChatSession).where(ChatSession.key == key)).transcript


def test_it_quotes_the_passage_of_the_article_that_answers(desk):
    publish_corpus(desk)
    key = chat(desk, None)
    reply = say(desk, None, key, "I forgot my password, how do I get a new one?")
    assert reply.kind == AssistantReply.ANSWER
    assert reply.article.slug == "reset-your-password"
    body = ARTICLES["reset-your-password"][4]
    assert reply.passage in body  # the article's own words, nothing written by the assistant
    assert reply.passage.startswith("Use the “Forgot your password?” link")
    turns = transcript(desk, key)
    assert [t["role"] for t in turns] == ["customer", "assistant"]
    assert turns[1]["slug"] == "reset-your-password" and turns[1]["text"] == reply.passage


def test_it_says_plainly_when_no_article_covers_the_question(desk):
    publish_corpus(desk)
    key = chat(desk, None)
    reply = say(desk, None, key, "Who won the football world cup in 1998?")
    assert reply.kind == AssistantReply.NO_MATCH
    assert transcript(desk, key)[1]["text"] == assistant.NO_MATCH_TEXT


def test_two_equally_close_articles_are_a_choice_for_the_person(desk):
    publish_corpus(desk)
    body = "Gift cards can be used for any order and never expire; the balance shows at checkout."
    for title, slug in (("Gift cards in the web shop", "gift-cards-web"), ("Gift cards in the app", "gift-cards-app")):
        desk.act(desk.admin, create_article, data=ArticleDraft(
            title=title, body=body, category_id=desk.category.id, status=ArticleStatus.PUBLISHED, slug=slug))
    key = chat(desk, desk.customer)
    reply = say(desk, desk.customer, key, "how do I use my gift card at checkout")
    assert reply.kind == AssistantReply.CLARIFY
    assert {c.slug for c in reply.choices} == {"gift-cards-web", "gift-cards-app"}
    with session_scope(desk.engine) as session:
        picked = assistant.choose(session=session, actor=session.get(User, desk.customer.id), key=key,
                                  slug="gift-cards-app")
    assert picked.kind == AssistantReply.ANSWER and picked.article.slug == "gift-cards-app"
    assert picked.passage == body


def test_this_solved_it_ends_the_conversation_as_solved_by_that_article(desk):
    ids = publish_corpus(desk)
    key = chat(desk, desk.customer)
    say(desk, desk.customer, key, "where can I download my invoice")
    with session_scope(desk.engine) as session:
        assistant.mark_solved(session=session, actor=session.get(User, desk.customer.id), key=key,
                              slug="download-an-invoice")
        row = session.scalar(select(ChatSession).where(ChatSession.key == key))
        assert (row.outcome, row.solved_by_id) == (ChatOutcome.SOLVED, ids["download-an-invoice"])


def test_a_ticket_raised_from_the_chat_is_prefilled_and_keeps_the_transcript(desk):
    publish_corpus(desk)
    key = chat(desk, None)  # a visitor, who signs in before raising the ticket
    say(desk, None, key, "My blender arrived with a cracked jar. What can I do?")
    say(desk, None, key, "It is order 4471, delivered yesterday.")
    with session_scope(desk.engine) as session:
        start = assistant.ticket_from_chat(session=session, actor=None, key=key)
    assert start.subject == "My blender arrived with a cracked jar"
    assert start.description == "My blender arrived with a cracked jar. What can I do?\n\nIt is order 4471, delivered yesterday."
    ticket_id = desk.raise_ticket(subject=start.subject, description=start.description)
    with session_scope(desk.engine) as session:
        carla = session.get(User, desk.customer.id)
        from helpdesk.models import Ticket

        assistant.attach_to_ticket(session=session, actor=carla, key=key, ticket=session.get(Ticket, ticket_id))
    with session_scope(desk.engine) as session:
        seen = assistant.transcript_for_ticket(session=session, actor=session.get(User, desk.agent.id),
                                               ticket_id=ticket_id)
        row = session.scalar(select(ChatSession).where(ChatSession.key == key))
        assert (row.user_id, row.outcome, row.ticket_id) == (desk.customer.id, ChatOutcome.TICKET, ticket_id)
    assert [t["text"] for t in seen if t["role"] == "customer"] == [
        "My blender arrived with a cracked jar. What can I do?", "It is order 4471, delivered yesterday."]
    with session_scope(desk.engine) as session, pytest.raises(Exception):  # customers don't read the agents' copy
        assistant.transcript_for_ticket(session=session, actor=session.get(User, desk.customer.id),
                                        ticket_id=ticket_id)


def test_no_one_reaches_another_persons_conversation(desk):
    publish_corpus(desk)
    other = add_user(desk.engine, email="olga@example.com")
    key = chat(desk, desk.customer)
    say(desk, desk.customer, key, "where is my parcel")
    for intruder in (None, other):
        with session_scope(desk.engine) as session, pytest.raises(NotFound):
            actor = session.get(User, intruder.id) if intruder else None
            assistant.ask(session=session, actor=actor, key=key, question="hello")
    with session_scope(desk.engine) as session, pytest.raises(NotFound):
        assistant.get_chat(session=session, actor=None, key="not-a-key")
    assert len(transcript(desk, key)) == 2


@pytest.mark.parametrize(("question", "message"), [("   ", "Type your question first."),
                                                   ("x" * 2001, "1 characters too long")])
def test_an_empty_or_overlong_question_is_refused_and_nothing_is_kept(desk, question, message):
    publish_corpus(desk)
    key = chat(desk, None)
    with pytest.raises(ValidationError) as refused:
        say(desk, None, key, question)
    assert message in refused.value.field_errors["question"]
    assert transcript(desk, key) == []


def test_after_an_answer_an_unrelated_message_is_not_answered_with_that_article(desk):
    publish_corpus(desk)
    key = chat(desk, desk.customer)
    assert say(desk, desk.customer, key, "where can I download my invoice").kind == AssistantReply.ANSWER
    for follow_up in ("ok thanks", "Who won the football world cup in 1998?"):
        assert say(desk, desk.customer, key, follow_up).kind == AssistantReply.NO_MATCH


def test_after_no_match_the_detail_in_a_second_message_is_read_with_the_first(desk):
    publish_corpus(desk)
    key = chat(desk, desk.customer)
    assert say(desk, desk.customer, key, "it never came").kind == AssistantReply.NO_MATCH
    reply = say(desk, desk.customer, key, "the parcel, tracking says delivered")
    assert reply.kind == AssistantReply.ANSWER and reply.article.slug == "parcel-not-arrived"


def test_an_ended_conversation_takes_no_more_messages_and_keeps_its_ticket(desk):
    from helpdesk.models import Ticket

    publish_corpus(desk)
    key = chat(desk, desk.customer)
    say(desk, desk.customer, key, "where can I download my invoice")
    first, second = desk.raise_ticket(), desk.raise_ticket(subject="Another one")
    with session_scope(desk.engine) as session:
        carla = session.get(User, desk.customer.id)
        assistant.attach_to_ticket(session=session, actor=carla, key=key, ticket=session.get(Ticket, first))
        assistant.attach_to_ticket(session=session, actor=carla, key=key, ticket=session.get(Ticket, second))
    with session_scope(desk.engine) as session:
        assert session.scalar(select(ChatSession.ticket_id).where(ChatSession.key == key)) == first
    with pytest.raises(ValidationError) as ended:
        say(desk, desk.customer, key, "one more thing")
    assert "This conversation has ended" in ended.value.field_errors["question"]
    assert len(transcript(desk, key)) == 2


def test_a_question_with_an_invisible_control_character_is_refused(desk):
    publish_corpus(desk)
    key = chat(desk, None)
    with pytest.raises(ValidationError) as refused:
        say(desk, None, key, "forgot\x00 password")
    assert "invisible control character (U+0000)" in refused.value.field_errors["question"]
    assert transcript(desk, key) == []
