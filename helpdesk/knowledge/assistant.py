"""The help assistant: answers a question with the passage of the article that covers it,
quoted, or asks which of a few close articles is meant, or says plainly that none covers it.
It never writes text of its own: every reply is an article's words or one of the fixed
sentences below.

A conversation is a ChatSession row; the browser holds its random key. A visitor's chat
becomes the person's when they sign in and raise a ticket from it, and agents read its
transcript on that ticket."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_active, ensure_staff, get_by_id
from helpdesk.core import clock
from helpdesk.core.config import help_match_threshold
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.core.text_checks import text_problem
from helpdesk.enums import ArticleStatus, AssistantReply, ChatOutcome
from helpdesk.knowledge.ranking import ArticleIndex, Match
from helpdesk.knowledge.search import published_index
from helpdesk.models import Article, ChatSession, Ticket, User

QUESTION_MAX = 2000
TURNS_MAX = 60  # 30 questions and their replies
# Top matches whose evidence (the score before the sibling contrast, which is there to pull
# neighbours apart) is closer than this are a choice for the person, not a guess.
CLARIFY_MARGIN = 0.03
CHOICES_MAX = 3
SUBJECT_FROM_CHAT_MAX = 80

NO_MATCH_TEXT = ("No article in our help center covers that. You can raise a ticket and one of our "
                 "team will answer you.")
CLARIFY_TEXT = "Did you mean:"
ANSWER_INTRO = "From the article"


@dataclass(frozen=True)
class Choice:
    slug: str
    title: str


@dataclass(frozen=True)
class Reply:
    kind: AssistantReply
    article: Choice | None = None  # ANSWER: the article quoted
    passage: str = ""  # ANSWER: its words
    choices: tuple[Choice, ...] = ()  # CLARIFY

    def as_turn(self) -> dict:
        turn = {"role": "assistant", "kind": self.kind.value}
        if self.kind == AssistantReply.ANSWER:
            turn.update(slug=self.article.slug, title=self.article.title, text=self.passage)
        elif self.kind == AssistantReply.CLARIFY:
            turn.update(text=CLARIFY_TEXT, choices=[{"slug": c.slug, "title": c.title} for c in self.choices])
        else:
            turn.update(text=NO_MATCH_TEXT)
        return turn


def reply_to(index: ArticleIndex, question: str, *, threshold: float) -> Reply:
    """What the assistant says to `question`, from the index alone."""
    matches = [m for m in index.search(question, limit=CHOICES_MAX + 1) if m.score >= threshold]
    if not matches:
        return Reply(AssistantReply.NO_MATCH)
    close = [m for m in matches if abs(matches[0].evidence - m.evidence) < CLARIFY_MARGIN][:CHOICES_MAX]
    if len(close) > 1:
        return Reply(AssistantReply.CLARIFY, choices=tuple(Choice(m.slug, m.title) for m in close))
    return answer_from(index, matches[0], question)


def answer_from(index: ArticleIndex, match: Match, question: str) -> Reply:
    return Reply(AssistantReply.ANSWER, article=Choice(match.slug, match.title),
                 passage=index.best_passage(match.article_id, question))


def _check_question(question: str) -> str:
    text = (question or "").strip() if isinstance(question, str) else ""
    if not text:
        raise ValidationError({"question": "Type your question first."})
    if len(text) > QUESTION_MAX:
        raise ValidationError({"question": f"That is {len(text) - QUESTION_MAX:,} characters too long "
                                           f"(at most {QUESTION_MAX:,}). Shorten it, or raise a ticket."})
    problem = text_problem(text, multiline=True)  # it becomes the ticket's description, which refuses them too
    if problem:
        raise ValidationError({"question": problem})
    return text


def _open(chat: ChatSession) -> ChatSession:
    """A conversation takes messages until it ends (solved, or a ticket raised from it: the
    transcript the agents read is then fixed), and up to TURNS_MAX turns."""
    if chat.outcome != ChatOutcome.OPEN:
        raise ValidationError({"question": "This conversation has ended. Start a new one to ask something else."})
    if len(chat.transcript) >= TURNS_MAX:
        raise ValidationError({"question": "This conversation is long enough for the assistant. Raise a ticket, "
                                           "or start a new conversation."})
    return chat


def start_chat(*, session: Session, actor: User | None) -> ChatSession:
    chat = ChatSession(key=secrets.token_urlsafe(24), user_id=actor.id if actor is not None else None, transcript=[])
    session.add(chat)
    session.flush()
    return chat


def get_chat(*, session: Session, actor: User | None, key: str) -> ChatSession:
    """The conversation the browser holds `key` to. Someone else's is NotFound, as a missing one."""
    chat = session.scalar(select(ChatSession).where(ChatSession.key == key)) if isinstance(key, str) else None
    if chat is None or (chat.user_id is not None and (actor is None or chat.user_id != actor.id)):
        raise NotFound("That conversation has ended. Start a new one.")
    return chat


def _append(chat: ChatSession, *turns: dict) -> None:
    # A new list, so the JSON column sees the change.
    chat.transcript = [*chat.transcript, *turns]
    chat.updated_at = clock.utcnow()


def _customer_text(chat: ChatSession) -> list[str]:
    """What the person typed (not the titles they picked from "Did you mean")."""
    return [turn["text"] for turn in chat.transcript if turn["role"] == "customer" and "picked" not in turn]


def ask(*, session: Session, actor: User | None, key: str, question: str) -> Reply:
    """The person's message and the assistant's reply, both kept in the transcript. After a
    question no article covered, a message that finds nothing alone is tried once more with
    that question (people often add the detail in a second message); after an answer, a
    message is taken on its own, so "ok thanks" or an unrelated question is never answered
    with the article before."""
    chat = _open(get_chat(session=session, actor=actor, key=key))
    text = _check_question(question)
    index = published_index(session)
    threshold = help_match_threshold()
    earlier = _customer_text(chat)
    replies = [turn for turn in chat.transcript if turn["role"] == "assistant"]
    reply = reply_to(index, text, threshold=threshold)
    if reply.kind == AssistantReply.NO_MATCH and earlier and replies \
            and replies[-1].get("kind") == AssistantReply.NO_MATCH.value:
        reply = reply_to(index, f"{earlier[-1]} {text}", threshold=threshold)
    _append(chat, {"role": "customer", "text": text}, reply.as_turn())
    session.flush()
    return reply


def choose(*, session: Session, actor: User | None, key: str, slug: str) -> Reply:
    """The person picked one of the "Did you mean" articles: its passage for their question."""
    chat = _open(get_chat(session=session, actor=actor, key=key))
    index = published_index(session)
    article = next((doc for doc in index.docs if doc.slug == slug), None)
    if article is None:
        raise NotFound("That article is no longer published.")
    asked = _customer_text(chat)
    question = asked[-1] if asked else article.title
    match = Match(article_id=article.id, slug=article.slug, title=article.title, category_id=article.category_id,
                  score=1.0, lexical=1.0, semantic=1.0)
    reply = answer_from(index, match, question)
    _append(chat, {"role": "customer", "text": article.title, "picked": article.slug}, reply.as_turn())
    session.flush()
    return reply


def mark_solved(*, session: Session, actor: User | None, key: str, slug: str | None) -> ChatSession:
    """"This solved it": the conversation ends as solved, by that article."""
    chat = get_chat(session=session, actor=actor, key=key)
    if chat.outcome == ChatOutcome.TICKET:
        return chat  # a ticket raised from it already says more
    article = session.scalar(select(Article).where(Article.slug == slug, Article.status == ArticleStatus.PUBLISHED)) \
        if slug else None
    chat.outcome = ChatOutcome.SOLVED
    chat.solved_by_id = article.id if article is not None else None
    chat.updated_at = clock.utcnow()
    session.flush()
    return chat


@dataclass(frozen=True)
class TicketFromChat:
    """The submit form's start when a ticket is raised from a conversation."""

    subject: str
    description: str


def ticket_from_chat(*, session: Session, actor: User | None, key: str) -> TicketFromChat:
    """A suggested subject (the first thing the person said, shortened at a word) and, as the
    description, everything they typed, in order."""
    chat = get_chat(session=session, actor=actor, key=key)
    said = [turn["text"] for turn in chat.transcript if turn["role"] == "customer" and "picked" not in turn]
    if not said:
        return TicketFromChat("", "")
    first = " ".join(said[0].split())
    sentence = first.split(". ")[0].split("? ")[0].rstrip(".?! ")
    if len(sentence) > SUBJECT_FROM_CHAT_MAX:
        sentence = sentence[:SUBJECT_FROM_CHAT_MAX].rsplit(" ", 1)[0] + "…"
    subject = sentence[:1].upper() + sentence[1:]
    return TicketFromChat(subject=subject, description="\n\n".join(said))


def attach_to_ticket(*, session: Session, actor: User, key: str, ticket: Ticket) -> None:
    """The conversation stays with the ticket raised from it (agents read it there). A
    visitor's conversation becomes the signed-in person's here."""
    actor = ensure_active(actor)
    chat = get_chat(session=session, actor=actor, key=key)
    if ticket.customer_id != actor.id:
        raise NotFound("No such ticket.")
    if chat.ticket_id is not None and chat.ticket_id != ticket.id:
        return  # it stays with the ticket it was raised as first
    chat.user_id = actor.id
    chat.outcome = ChatOutcome.TICKET
    chat.ticket_id = ticket.id
    chat.updated_at = clock.utcnow()
    session.flush()


def transcript_for_ticket(*, session: Session, actor: User, ticket_id: int) -> list[dict] | None:
    """The conversation a ticket was raised from, for the agents working it; None if none was."""
    ensure_staff(actor)
    if get_by_id(session, Ticket, ticket_id) is None:
        raise NotFound("No such ticket.")
    chat = session.scalar(select(ChatSession).where(ChatSession.ticket_id == ticket_id))
    return list(chat.transcript) if chat is not None else None
