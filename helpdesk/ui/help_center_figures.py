"""The analytics page's "Help center" section: what the assistant, the suggestions on the submit
page and the articles did in the chosen range (helpdesk.knowledge.metrics counts them)."""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from helpdesk.accounts.users import get_active_user
from helpdesk.knowledge.metrics import HelpCenterFigures, help_center_figures

UNDEFINED = "—"  # a share of nothing (no chat, no suggestion opened, no answer to "Did this help?")
TILE_WIDTH = 170  # as the ticket figures' tiles: two abreast on a 390 px phone
FIGURES_TTL_S = 60  # as the report: "as of" the minute


@st.cache_data(ttl=FIGURES_TTL_S, max_entries=64, show_spinner=False)
def cached_help_center_figures(*, database: str, reader_id: int, start: datetime, end: datetime) -> HelpCenterFigures:
    """help_center_figures for [start, end), kept a minute per database, reader and range; the
    reader is checked again whenever they are counted."""
    from helpdesk.ui.engine import db_session

    with db_session() as session:
        reader = get_active_user(session=session, user_id=reader_id)
        return help_center_figures(session=session, actor=reader, start=start, end=end)


def share(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value:.0%}"


def help_center_section(figures: HelpCenterFigures) -> None:
    # No border around it: on a 390 px phone the tiles then fit two abreast, as the ticket figures' do.
    with st.container(key="analytics_help_center"):
        st.subheader("Help center", anchor=False, divider="gray")
        st.caption("Dates mean: when the conversation started, or when the article was opened or rated.")
        tiles = (
            ("Chat sessions", f"{figures.chat_sessions:,}", "Conversations with the assistant started in the range."),
            ("Solved in chat", f"{figures.chats_solved:,}", "Conversations the customer ended with “This solved it”."),
            ("Solved, share", share(figures.chat_solved_share),
             "Solved in chat, of the conversations started."),
            ("Tickets from chat", f"{figures.chat_tickets:,}",
             "Conversations a ticket was raised from (“Raise a ticket”)."),
            ("Suggested, opened", f"{figures.suggestions_opened:,}",
             "Suggestions opened: articles suggested on the submit page and opened there."),
            ("Deflected", f"{figures.suggestions_deflected:,}",
             "Suggestions opened after which the customer raised no ticket: the article answered them."),
            ("Deflected, share", share(figures.deflection_share), "Deflected, of the suggestions opened."),
            ("Article views", f"{figures.article_views:,}", "Published articles opened in the help center."),
            ("Found helpful", share(figures.helpful_share),
             f"Answers “Yes” to “Did this help?”: {figures.helpful:,} of {figures.helpful + figures.not_helpful:,}."),
        )
        with st.container(horizontal=True, wrap=True, gap="small", key="analytics_help_center_tiles"):
            for label, value, explained in tiles:
                st.metric(label, value, help=explained, border=True, width=TILE_WIDTH)
        st.markdown("**Most read articles**")
        if not figures.top_articles:
            st.caption("No article was opened or rated in this range.")
            return
        st.dataframe([{"Article": a.title, "Views": a.views, "Helpful": a.helpful, "Not helpful": a.not_helpful}
                      for a in figures.top_articles], hide_index=True, width="stretch",
                     key="analytics_help_center_articles")
