"""Ask the assistant: the person describes the problem in their own words; the assistant answers
with the passage of the article that covers it (quoted, with a link to the whole article), asks
which of a few close articles is meant, or says plainly that none covers it. It never writes
words of its own (helpdesk.knowledge.assistant).

The conversation is a ChatSession row started with the first question; this browser session
holds its key, and the transcript is drawn from the row on every run. "This solved it" ends it;
"Raise a ticket" opens the submit form filled in from it (after sign-in, for a visitor), and the
transcript goes with the ticket for the agent."""
import streamlit as st

from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import AssistantReply, ChatOutcome
from helpdesk.knowledge.assistant import (ANSWER_INTRO, ask, choose, get_chat, mark_solved, start_chat,
                                          ticket_from_chat)
from helpdesk.ui.article_markdown import article_markdown
from helpdesk.ui.auth import current_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.plain_text import plain
from helpdesk.ui.raise_ticket import start_submit_form

HELP_PAGE = "pages/help/center.py"
CHAT = "assistant_chat_key"  # the conversation this browser session is having
INPUT = "assistant_input"
ERROR = "assistant_error"  # a refused message: what to say, shown once
RETYPE = "assistant_retype"  # ... and what was typed, put back into the input


def said(text: str) -> str:
    """What the person typed, as text: line by line (plain() makes one line of its input)."""
    return "  \n".join(plain(line) for line in str(text).splitlines() if line.strip()) or " "


def quoted(passage: str) -> str:
    """An article's words as a Markdown blockquote (staff text: its lists and emphasis render)."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in article_markdown(passage).splitlines())


def new_conversation() -> None:
    st.session_state.pop(CHAT, None)


def load(session, user, key: str | None) -> tuple[list[dict], ChatOutcome]:
    """The conversation `key` is for: its transcript and how it stands."""
    try:
        chat = get_chat(session=session, actor=user, key=key) if key else None
    except NotFound:
        chat = None
        new_conversation()  # signed in as someone else since, or gone: start afresh
    return (list(chat.transcript), chat.outcome) if chat is not None else ([], ChatOutcome.OPEN)


with db_session() as session:
    user = current_user(session)
    transcript, outcome = load(session, user, st.session_state.get(CHAT))

# Put back a message the assistant refused (too long): the chat input takes a value only before
# it is drawn, so the run that refused it asked for this one.
if RETYPE in st.session_state:
    st.session_state[INPUT] = st.session_state.pop(RETYPE)
question = st.chat_input("Describe your problem", key=INPUT) if outcome == ChatOutcome.OPEN else None
if question is not None:
    text = question if isinstance(question, str) else question.text
    try:
        with db_session() as session:
            user = current_user(session)
            # The conversation starts with its first question, not before (a row per real chat).
            chat_key = st.session_state.get(CHAT) or start_chat(session=session, actor=user).key
            ask(session=session, actor=user, key=chat_key, question=text)
            transcript, outcome = load(session, user, chat_key)
    except ValidationError as exc:  # rolled back: nothing of it is kept, nor a chat started for it
        st.session_state[ERROR] = exc.field_errors.get("question") or str(exc)
        st.session_state[RETYPE] = text
        st.rerun()
    st.session_state[CHAT] = chat_key
chat_key = st.session_state.get(CHAT)

st.title("Ask the assistant")
if not transcript:
    st.write("Tell us what's wrong in your own words. The assistant answers from the articles in our "
             "help center, and if none of them covers it, you can raise a ticket from here.")

# The last reply is the one its buttons act on.
last = max((i for i, turn in enumerate(transcript) if turn.get("role") == "assistant"), default=None)
for position, turn in enumerate(transcript):
    if turn.get("role") == "customer":
        with st.chat_message("user"):
            st.markdown(said(turn.get("text", "")))
        continue
    with st.chat_message("assistant"):
        kind = turn.get("kind")
        if kind == AssistantReply.ANSWER:
            st.markdown(f"{ANSWER_INTRO} **{plain(turn['title'])}**:")
            st.markdown(quoted(turn.get("text", "")))
            st.page_link(HELP_PAGE, label="Read the whole article", icon=":material/article:",
                         query_params={"article": turn["slug"]})
        elif kind == AssistantReply.CLARIFY:
            st.markdown(plain(turn.get("text", "")))
            with st.container(horizontal=True, key=f"assistant_choices_{position}"):
                for number, choice in enumerate(turn.get("choices", [])):
                    if st.button(plain(choice["title"]), key=f"assistant_choice_{position}_{number}",
                                 disabled=position != last or outcome != ChatOutcome.OPEN):
                        try:
                            with db_session() as session:
                                choose(session=session, actor=current_user(session), key=chat_key,
                                       slug=choice["slug"])
                        except (NotFound, ValidationError) as exc:  # unpublished meanwhile, or the chat ended
                            st.session_state[ERROR] = str(exc)
                        st.rerun()
        else:
            st.markdown(plain(turn.get("text", "")))

error = st.session_state.pop(ERROR, None)
if error:
    st.error(plain(error), icon=":material/error:")

if outcome == ChatOutcome.SOLVED:
    st.success("Glad that solved it. Thank you for letting us know!", icon=":material/check_circle:")
elif outcome == ChatOutcome.TICKET:
    st.info("A ticket was raised from this conversation; our team will answer you there.", icon=":material/info:")
elif last is not None:
    answered = transcript[last].get("kind") == AssistantReply.ANSWER
    with st.container(horizontal=True, key="assistant_next"):
        solved = answered and st.button("This solved it", key="assistant_solved", type="primary",
                                        icon=":material/check:")
        raise_ticket = st.button("Raise a ticket", key="assistant_raise_ticket", icon=":material/edit_note:")
    if solved:
        with db_session() as session:
            mark_solved(session=session, actor=current_user(session), key=chat_key, slug=transcript[last]["slug"])
        st.rerun()
    if raise_ticket:
        with db_session() as session:
            user = current_user(session)
            start = ticket_from_chat(session=session, actor=user, key=chat_key)
        start_submit_form(user, subject=start.subject, description=start.description, chat_key=chat_key)

if outcome != ChatOutcome.OPEN:
    st.button("Ask something else", key="assistant_new", icon=":material/add_comment:", on_click=new_conversation)
