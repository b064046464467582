"""Drawing the analytics report: KPI tiles with their change, and chart cards that each say what
they count, which date puts a ticket in the range, and offer their data as CSV."""
from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from helpdesk.analytics.definitions import DEFINITIONS
from helpdesk.analytics.export import csv_bytes
from helpdesk.analytics.kpis import HEADLINES, Kind, Kpis
from helpdesk.analytics.period import Period
from helpdesk.analytics.report import Report, build_report
from helpdesk.analytics.sql import TicketFilter
from helpdesk.accounts.users import get_active_user
from helpdesk.enums import TicketStatus
from helpdesk.tickets.figures import TicketFigure

HOUR = 3600.0
QUEUE_PAGE = "pages/agent/queue.py"
# Figures are "as of" the minute: every click within it (a filter, a bar) reuses the report
# instead of counting again.
REPORT_TTL_S = 60
CHART_HEIGHT = 320
# Plotly's default colours, named for what they show, so every chart says the same thing the same way.
CREATED, RESOLVED, BACKLOG = "#1f77b4", "#2ca02c", "#d62728"


def as_of_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@st.cache_data(ttl=REPORT_TTL_S, max_entries=64, show_spinner="Counting…")
def cached_report(*, database: str, reader_id: int, period: Period, filters: TicketFilter, now: datetime) -> Report:
    """build_report, kept for a minute per database, reader, range and filters. The reader is
    checked again whenever it is built (the page checks them on every run anyway)."""
    from helpdesk.ui.engine import db_session

    with db_session() as session:
        reader = get_active_user(session=session, user_id=reader_id)
        return build_report(session=session, actor=reader, period=period, filters=filters, now=now)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    hours = seconds / HOUR
    if hours < 1:
        return f"{seconds / 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


NO_CHANGE = "no change"
TILE_WIDTH = 170  # two abreast on a 390 px phone, six or seven on a desktop


def _delta(now, before, *, kind: Kind) -> str | None:
    """The change as Streamlit reads it: a leading ASCII "-" for down (it colours by that sign)."""
    if now is None or before is None:
        return None
    change = now - before
    if abs(change) < 1e-9 or (kind == Kind.SHARE and abs(change) < 0.0005):
        return NO_CHANGE
    if kind == Kind.COUNT:
        return f"{change:+,.0f}"
    if kind == Kind.SHARE:
        return f"{change * 100:+.1f} pts"
    if kind == Kind.SECONDS:
        return ("+" if change >= 0 else "-") + duration_text(abs(change))
    return f"{change:+.2f}"


def _value(value, *, kind: Kind) -> str:
    if kind == Kind.COUNT:
        return f"{value:,}"
    if kind == Kind.SECONDS:
        return duration_text(value)
    if kind == Kind.SHARE:
        return share_text(value)
    return "–" if value is None else f"{value:.2f} / 5"


def kpi_grid(current: Kpis, previous: Kpis, *, versus: str) -> None:
    """Each tile: the figure, its change against the previous range of the same length."""
    # A row of tiles that wraps: five or six abreast on a desktop, two on a phone.
    with st.container(horizontal=True, wrap=True, gap="small", key="analytics_kpis"):
        for headline in HEADLINES:
            now, before = getattr(current, headline.attribute), getattr(previous, headline.attribute)
            delta = _delta(now, before, kind=headline.kind)
            definition = DEFINITIONS[headline.definition]
            help_text = f"{definition.counts} {definition.excludes} {definition.dates_phrase}".strip()
            color = "off" if delta == NO_CHANGE else "inverse" if headline.lower_is_better else "normal"
            # The range compared with is named once above the tiles and in the help: in a tile it was cut off.
            st.metric(headline.tile, _value(now, kind=headline.kind), delta, delta_color=color,
                      help=f"{help_text} Change: {versus}.", border=True, width=TILE_WIDTH,
                      delta_arrow="off" if delta == NO_CHANGE else "auto")


def chart_card(name: str, figure: go.Figure | None, data: pd.DataFrame, *, empty: str | None = None,
               table: pd.DataFrame | None = None, height: int = CHART_HEIGHT,
               links: Sequence[tuple[str, dict | None]] = (),
               on_pick: Callable[[int, int], tuple[str, dict | None] | None] | None = None,
               pickable: int | None = None) -> None:
    """A chart with its title, what its dates mean, the definition, and its data (table and CSV).
    links: the tickets the whole chart counts; on_pick(point number, trace number): the tickets of
    one clicked bar or cell, as a link, or None. A point is a row of `data` unless `pickable` says
    how many points there are (a grid drawn from a wide table)."""
    definition = DEFINITIONS[name]
    with st.container(border=True, key=f"analytics_card_{name}"):
        st.subheader(definition.title, anchor=False)
        st.caption(definition.dates_phrase + (" Click a bar or a cell to list its tickets." if on_pick and not empty else ""))
        if empty:
            st.info(empty, icon=":material/info:")
        elif figure is not None:
            figure.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                                 legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
            state = st.plotly_chart(figure, key=f"analytics_chart_{name}", width="stretch",
                                    on_select="rerun" if on_pick else "ignore",
                                    selection_mode="points" if on_pick else ("points", "box", "lasso"),
                                    config={"displaylogo": False, "responsive": True})
            points = (state or {}).get("selection", {}).get("points", []) if on_pick else []
            row = _point_row(points[0]) if points else None
            picked = on_pick(row, points[0].get("curve_number", 0)) \
                if row is not None and row < (len(data) if pickable is None else pickable) else None
            if picked is not None:
                queue_link(*picked)
        with st.expander("What this counts, and the numbers", key=f"analytics_about_{name}"):
            st.markdown(f"{definition.counts}" + (f"\n\n*Left out:* {definition.excludes}" if definition.excludes else ""))
            for label, params in links:
                queue_link(label, params)
            st.dataframe(table if table is not None else data, hide_index=True, width="stretch",
                         key=f"analytics_table_{name}")
            st.download_button("Download CSV", csv_bytes(data), file_name=f"{name}.csv", mime="text/csv",
                               key=f"analytics_csv_{name}", icon=":material/download:")


# --- the tickets behind a number ---------------------------------------------------------

def queue_params(figure: TicketFigure, period: Period | None, filters: TicketFilter, *,
                 since=None, until=None, status: TicketStatus | None = None, category_id: int | None = None,
                 agent_id: int | None = None, priority=None, weekday: int | None = None,
                 hour: int | None = None, response_band: int | None = None) -> dict[str, str] | None:
    """The queue address listing exactly the tickets `figure` counts (None when the queue can't
    say it: it filters on one agent at most)."""
    agents = (agent_id,) if agent_id is not None else filters.agent_ids
    if len(agents) > 1:
        return None
    if figure.dates != "now":  # open tickets are open now, raised whenever (unless since/until say)
        since = since if since is not None else (period.start if period is not None else None)
        until = until if until is not None else (period.end if period is not None else None)
    params = {"view": "all", "figure": figure.value}
    if since is not None:
        params["since"] = str(int(since.timestamp()))  # local midnights: whole seconds
    if until is not None:
        params["until"] = str(-int(-until.timestamp() // 1))  # rounded up: "now" keeps its last second
    categories = (category_id,) if category_id is not None else filters.category_ids
    if categories:
        params["category"] = ",".join(str(c) for c in categories)
    priorities = (priority,) if priority is not None else filters.priorities
    if priorities:
        params["priority"] = ",".join(p.value for p in priorities)
    if agents:
        params["agent"] = str(agents[0])
    if status is not None:
        params["status"] = status.value
    if weekday is not None and hour is not None:
        params["weekday"], params["hour"] = str(weekday), str(hour)
    if response_band is not None:
        params["band"] = str(response_band)
        if filters.business_time:
            params["business"] = "1"
    return params


def queue_link(label: str, params: dict[str, str] | None) -> None:
    if params is None:
        st.caption(f"{label}: choose one agent (or none) to list these tickets in the queue.")
        return
    st.page_link(QUEUE_PAGE, label=label, query_params=params, icon=":material/list:")


# The KPIs' tickets: (definition, [(link label, figure)]).
KPI_TICKETS = (
    ("created", [("Raised in the range", TicketFigure.CREATED)]),
    ("resolved", [("Resolved in the range", TicketFigure.RESOLVED)]),
    ("backlog", [("Open now", TicketFigure.OPEN)]),
    ("first_response", [("Answered, raised in the range", TicketFigure.RESPONDED)]),
    ("resolution", [("Resolved in the range", TicketFigure.RESOLVED)]),
    ("first_response_sla", [("First response missed", TicketFigure.FIRST_RESPONSE_MISSED),
                            ("First response met", TicketFigure.FIRST_RESPONSE_MET)]),
    ("resolution_sla", [("Resolution missed", TicketFigure.RESOLUTION_MISSED),
                        ("Resolution met", TicketFigure.RESOLUTION_MET)]),
    ("one_touch", [("Resolved in one touch", TicketFigure.ONE_TOUCH)]),
    ("reopen_rate", [("Reopened, raised in the range", TicketFigure.REOPENED)]),
)


def kpi_definitions(period: Period, filters: TicketFilter) -> None:
    """Each headline figure in words, and links to the tickets it counts."""
    with st.expander("What these numbers count, and their tickets", icon=":material/help:",
                     key="analytics_kpi_definitions"):
        for name, links in KPI_TICKETS:
            definition = DEFINITIONS[name]
            st.markdown(f"**{definition.title}.** {definition.counts}"
                        + (f" *Left out:* {definition.excludes}" if definition.excludes else "")
                        + f" {definition.dates_phrase}")
            with st.container(horizontal=True, key=f"analytics_links_{name}"):
                for label, figure in links:
                    queue_link(label, queue_params(figure, period, filters))
        satisfaction = DEFINITIONS["satisfaction"]
        st.markdown(f"**{satisfaction.title}.** {satisfaction.counts} *Left out:* {satisfaction.excludes} "
                    f"{satisfaction.dates_phrase}")


def chart_text(values) -> list[str]:
    """Names people typed (agents, categories) as Plotly text: it reads <a>, <b> and <br> as
    markup, so they are escaped."""
    return [html.escape(str(value)) for value in values]


def _point_row(point: dict) -> int | None:
    """The row of the chart's data a clicked bar or cell stands for."""
    for name in ("point_index", "point_number", "pointIndex", "pointNumber"):
        if point.get(name) is not None:
            return int(point[name])
    return None
