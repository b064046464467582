"""The help center beside a ticket: the articles that answer it (one click puts a link to one in
the reply), the resolved tickets most like it, and the conversation with the assistant the
customer had before raising it. The page loads all three in its one session; this draws them."""
from __future__ import annotations

import re

import streamlit as st

from helpdesk.core.config import base_url
from helpdesk.enums import TicketStatus
from helpdesk.knowledge.ranking import Match
from helpdesk.knowledge.related import SimilarTicket
from helpdesk.ui.article_markdown import show_article_body
from helpdesk.ui.format import when
from helpdesk.ui.plain_text import plain

REPLY_KEY = "agent_reply_body"  # the reply box's text (helpdesk/ui/workspace/reply_box.py)
AGENT_TICKET_PAGE = "pages/agent/ticket.py"
TRANSCRIPT_LABEL = "Conversation with the assistant before this ticket"
_LINK_TEXT_SPECIALS = re.compile(r"([\[\]\\])")


def article_address(slug: str) -> str:
    return f"{base_url()}/help?article={slug}"


def article_link_line(title: str, slug: str) -> str:
    """The Markdown link the reply gets: `[Title](https://…/help?article=slug)`. Brackets in the
    title are escaped so they can't end the link text early."""
    text = _LINK_TEXT_SPECIALS.sub(r"\\\1", " ".join(title.split()))
    return f"[{text}]({article_address(slug)})"


def insert_article_link(title: str, slug: str) -> None:
    """A callback, so the text is in the box before the box is drawn: after what the agent typed,
    never instead of it, and not twice."""
    line = article_link_line(title, slug)
    typed = st.session_state.get(REPLY_KEY, "").rstrip()
    if line in typed:
        return
    st.session_state[REPLY_KEY] = f"{typed}\n\n{line}" if typed else line


def help_panel(ticket_id: int, articles: list[Match], similar: list[SimilarTicket]) -> None:
    with st.container(border=True, key="agent_help_center"):
        st.markdown("#### Help center")
        st.caption("Articles that answer this ticket")
        if not articles:
            st.caption("No published article covers it.")
        for match in articles:
            with st.container(horizontal=True, vertical_alignment="center", key=f"agent_article_{match.slug}"):
                st.page_link(article_address(match.slug), label=plain(match.title), icon=":material/article:")
                st.button("Insert link", key=f"agent_insert_article_{match.slug}", icon=":material/add_link:",
                          type="tertiary", on_click=insert_article_link, args=(match.title, match.slug),
                          help="Adds a link to this article at the end of your reply.")
        st.caption("Similar resolved tickets")
        if not similar:
            st.caption("None found in this category.")
        for found in similar:
            st.page_link(AGENT_TICKET_PAGE, label=plain(f"{found.reference} · {found.subject}"),
                         query_params={"ticket": str(found.id)}, icon=":material/task_alt:")
            st.caption(f"Resolved {when(found.resolved_at)}" if found.status == TicketStatus.RESOLVED
                       else f"{found.status.label}, resolved {when(found.resolved_at)}")


def _customer_said(text: str) -> str:
    # plain() makes one line of its text: escape line by line to keep the person's line breaks.
    return "  \n".join(plain(line) for line in str(text).splitlines() if line.strip()) or " "


def chat_transcript(transcript: list[dict] | None) -> None:
    """The turns as the customer saw them; nothing when the ticket was not raised from a chat."""
    if not transcript:
        return
    with st.expander(TRANSCRIPT_LABEL, icon=":material/forum:", key="agent_chat_transcript"):
        for turn in transcript:
            if turn.get("role") == "customer":
                with st.chat_message("user", avatar=":material/person:"):
                    if turn.get("picked"):
                        st.caption("Picked the article")
                    st.markdown(_customer_said(turn.get("text", "")))
                continue
            with st.chat_message("assistant", avatar=":material/smart_toy:"):
                kind = turn.get("kind")
                if kind == "answer":
                    st.caption(plain(f"From the article “{turn.get('title', '')}”"))
                    show_article_body(str(turn.get("text", "")))
                elif kind == "clarify":
                    st.text(turn.get("text", ""))
                    for choice in turn.get("choices", []):
                        st.text(f"• {choice.get('title', '')}")
                else:
                    st.text(turn.get("text", ""))
