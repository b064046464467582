"""Managers and administrators: how fast customers are helped, where the backlog grows, who needs help."""
from datetime import timedelta

import plotly.graph_objects as go
import streamlit as st

from helpdesk.analytics.charts import age_band_window
from helpdesk.analytics.export import workbook_bytes
from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.settings import get_settings, report_zone
from helpdesk.tickets.assignment import list_assignable_agents
from helpdesk.tickets.categories import list_categories
from helpdesk.tickets.figures import TicketFigure as F
from helpdesk.ui.address_state import enum_field, int_field, publish, restore
from helpdesk.ui.analytics_view import (BACKLOG, CREATED, RESOLVED, as_of_minute, cached_report, chart_card, chart_text,
                                        duration_text, kpi_definitions, kpi_grid, queue_params, share_text)
from helpdesk.ui.auth import require_reports_reader
from helpdesk.ui.engine import db_session, get_engine
from helpdesk.ui.help_center_figures import cached_help_center_figures, help_center_section
from helpdesk.ui.plain_text import plain

ADDRESS = "analytics"
ADDRESS_FIELDS = [enum_field("analytics_range", "range", RangePreset),
                  int_field("analytics_category", "category", many=True),
                  enum_field("analytics_priority", "priority", Priority, many=True),
                  int_field("analytics_agent", "agent", many=True)]
DEFAULTS = {"analytics_range": RangePreset.LAST_30}

with db_session() as session:
    user = require_reports_reader(session, to="see the analytics")
    categories = {c.id: c.name if c.is_active else f"{c.name} (retired)"
                  for c in list_categories(session=session, actor=user, include_inactive=True)}
    agents = {a.id: a.name for a in list_assignable_agents(session=session, actor=user)}
    hours_set = get_settings(session=session).business_hours is not None
    # Days and hours are the helpdesk's (the business-hours zone), the same for every manager.
    zone = report_zone(session)

st.title("Analytics")

# --- filters ------------------------------------------------------------------------------
restore(ADDRESS, ADDRESS_FIELDS)
st.session_state.setdefault("analytics_range", RangePreset.LAST_30)
for key, known in (("analytics_category", categories), ("analytics_agent", agents)):
    if any(v not in known for v in st.session_state.get(key, [])):
        st.session_state[key] = [v for v in st.session_state[key] if v in known]
zone_name = zone.key
now = as_of_minute(utcnow())
today = now.astimezone(zone).date()

range_col, dates_col = st.columns([3, 2], vertical_alignment="bottom")
preset = range_col.pills("Date range", options=list(RangePreset), format_func=lambda r: r.label,
                          key="analytics_range", required=True, wrap=True)
custom_days = None
if preset == RangePreset.CUSTOM:
    st.session_state.setdefault("analytics_custom", (today - timedelta(days=29), today))
    custom_days = dates_col.date_input("From – to", key="analytics_custom", max_value=today, format="YYYY-MM-DD")
category_col, priority_col, agent_col, hours_col = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
chosen_categories = category_col.multiselect("Category", options=list(categories), format_func=categories.get,
                                             key="analytics_category", placeholder="All categories")
chosen_priorities = priority_col.multiselect("Priority", options=list(Priority), format_func=lambda p: p.label,
                                             key="analytics_priority", placeholder="All priorities")
chosen_agents = agent_col.multiselect("Agent", options=list(agents), format_func=agents.get, key="analytics_agent",
                                      placeholder="All agents")
business = hours_col.toggle("Business hours", key="analytics_business", disabled=not hours_set,
                            help="Count only time inside the business hours (Settings) in durations."
                            if hours_set else "No business hours are set (Settings), so durations count "
                                              "calendar time.")
publish(ADDRESS, ADDRESS_FIELDS, DEFAULTS)

try:
    first, last = (tuple(custom_days) + (None, None))[:2] if custom_days is not None else (None, None)
    period = make_period(preset=preset, now=now, zone=zone, first=first, last=last)
except ValidationError as exc:
    dates_col.error(exc.field_errors.get("range", str(exc)), icon=":material/error:")
    st.stop()

filters = TicketFilter(category_ids=tuple(chosen_categories), priorities=tuple(chosen_priorities),
                       agent_ids=tuple(chosen_agents), business_time=bool(business and hours_set))
database = get_engine().url.render_as_string(hide_password=True)
report = cached_report(database=database, reader_id=user.id, period=period, filters=filters, now=now)
# The help center's figures follow the range only: its chats and articles have no ticket filters.
help_figures = cached_help_center_figures(database=database, reader_id=user.id, start=period.start, end=period.end)

previous = report.previous_period
versus = f"vs {previous.first:%d %b} – {previous.last:%d %b}"
st.caption(f"{period.first:%a %d %b %Y} – {period.last:%a %d %b %Y} ({period.days} days, {zone_name}), "
           f"{'business hours' if filters.business_time else 'calendar time'}, as of {now.astimezone(zone):%H:%M}. "
           f"Changes compare with "
           f"{previous.first:%d %b} – {previous.last:%d %b}, the {period.days} days before.")

if report.metrics_pending:
    st.warning("Tickets from before this version are not fully counted yet: the times, SLA, one-touch and "
               "reopen figures, or all of them, leave them out. Run `python -m helpdesk rebuild-metrics` once "
               "on the server to fill them in.", icon=":material/warning:")

if report.is_empty:
    st.info(f"No ticket was raised, resolved or rated between {period.first:%d %b %Y} and {period.last:%d %b %Y}"
            f"{' with these filters' if chosen_categories or chosen_priorities or chosen_agents else ''}. "
            f"Choose a longer range{' or fewer filters' if chosen_categories or chosen_priorities or chosen_agents else ''}. "
            f"Open backlog now: {report.forecast.backlog_now:,}.", icon=":material/info:")
    help_center_section(help_figures)
    st.stop()

kpi_grid(report.current, report.previous, versus=versus)
kpi_definitions(period, filters)
st.download_button("Download the whole view (Excel)", lambda: workbook_bytes(report),  # built on the click
                   file_name=f"analytics_{period.first}_{period.last}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   key="analytics_workbook", icon=":material/table_view:")

# --- charts -------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    volume = report.volume
    figure = go.Figure([go.Bar(x=volume["start"], y=volume["created"], name="Created", marker_color=CREATED),
                        go.Bar(x=volume["start"], y=volume["resolved"], name="Resolved", marker_color=RESOLVED),
                        go.Scatter(x=volume["start"], y=volume["backlog"], name="Open backlog", mode="lines+markers",
                                   line=dict(color=BACKLOG), yaxis="y2")])
    figure.update_layout(barmode="group", yaxis=dict(title="Tickets"),
                         yaxis2=dict(title="Open", overlaying="y", side="right", rangemode="tozero", tickformat=",d"))
    buckets = period.buckets()  # also the satisfaction chart's

    def pick_bucket(row, curve):
        if curve > 1:  # the backlog line: no one window of tickets
            return None
        day, lo, hi = buckets[row]
        figure_kind = F.CREATED if curve == 0 else F.RESOLVED
        word = "raised" if figure_kind == F.CREATED else "resolved"
        return (f"The {volume.iloc[row][figure_kind.value]:,} tickets {word} in the {period.bucket.value} of "
                f"{day:%d %b}", queue_params(figure_kind, None, filters, since=lo, until=hi))

    chart_card("volume", figure, volume, on_pick=pick_bucket,
               links=[("Raised in the range", queue_params(F.CREATED, period, filters)),
                      ("Resolved in the range", queue_params(F.RESOLVED, period, filters))])
with right:
    ages = report.backlog_by_age

    def pick_age(row, curve):
        since, until = age_band_window(row, now)
        return (f"The {ages.iloc[row]['tickets']:,} open tickets raised {ages.iloc[row]['age'].lower()} ago",
                queue_params(F.OPEN, None, filters, since=since, until=until))

    chart_card("backlog_by_age", go.Figure(go.Bar(x=ages["age"], y=ages["tickets"], marker_color=BACKLOG)), ages,
               on_pick=pick_age, empty=None if ages["tickets"].sum() else "No ticket is open right now.",
               links=[("Open now", queue_params(F.OPEN, period, filters))])

left, right = st.columns(2)
with left:
    spread = report.resolution_by_priority
    figure = go.Figure(go.Box(x=spread["priority"], q1=spread["p25"], median=spread["median"], q3=spread["p75"],
                              lowerfence=spread["p10"], upperfence=spread["p90"], name="Hours",
                              marker_color=RESOLVED))
    figure.update_layout(yaxis=dict(title="Hours to resolve"))

    def pick_priority(row, curve):
        picked = spread.iloc[row]
        return (f"The {picked['resolved']:,} {picked['priority'].lower()} tickets resolved in the range",
                queue_params(F.RESOLVED, period, filters, priority=Priority(picked["priority"].lower())))

    chart_card("resolution_by_priority", figure, spread, on_pick=pick_priority,
               empty=None if len(spread) else "No ticket was resolved in this range.",
               links=[("Resolved in the range", queue_params(F.RESOLVED, period, filters))])
with right:
    by_category = report.resolution_by_category
    figure = go.Figure(go.Bar(x=by_category["median"], y=chart_text(by_category["category"]), orientation="h",
                              marker_color=RESOLVED, customdata=by_category["resolved"],
                              hovertemplate="%{y}: %{x:.1f} h median (%{customdata} resolved)<extra></extra>"))
    figure.update_layout(xaxis=dict(title="Median hours to resolve"), yaxis=dict(autorange="reversed"))

    def pick_category_resolved(row, curve):
        picked = by_category.iloc[row]
        return (f"The {picked['resolved']:,} {plain(picked['category'])} tickets resolved in the range",
                queue_params(F.RESOLVED, period, filters, category_id=int(picked["category_id"])))

    chart_card("resolution_by_category", figure, by_category.drop(columns="category_id"), on_pick=pick_category_resolved,
               empty=None if len(by_category) else "No ticket was resolved in this range.",
               links=[("Resolved in the range", queue_params(F.RESOLVED, period, filters))])

per_agent = report.per_agent
agent_table = per_agent.assign(
    first_response=per_agent["first_response_median"].map(lambda h: duration_text(None if h is None else h * 3600)),
    resolution=per_agent["resolution_median"].map(lambda h: duration_text(None if h is None else h * 3600)),
    sla_met=per_agent["sla"].map(share_text),
    satisfaction_text=[
        f"too few to compare (n={n})" if few else f"{share_text(s)} ({share_text(lo)}–{share_text(hi)}, n={n})"
        for s, lo, hi, n, few in zip(per_agent["satisfaction"], per_agent["satisfaction_low"],
                                     per_agent["satisfaction_high"], per_agent["satisfaction_n"],
                                     per_agent["few_responses"])],
)[["agent", "assigned", "resolved", "first_response", "resolution", "sla_met", "satisfaction_text"]].rename(
    columns={"agent": "Agent", "assigned": "Assigned", "resolved": "Resolved", "first_response": "Median first response",
             "resolution": "Median resolution", "sla_met": "SLA met", "satisfaction_text": "Rated 4-5 (95% interval, n)"})
figure = go.Figure([go.Bar(y=chart_text(per_agent["agent"]), x=per_agent["assigned"], name="Assigned", orientation="h",
                           marker_color=CREATED),
                    go.Bar(y=chart_text(per_agent["agent"]), x=per_agent["resolved"], name="Resolved", orientation="h",
                           marker_color=RESOLVED)])
figure.update_layout(barmode="group", yaxis=dict(autorange="reversed"), xaxis=dict(title="Tickets"))


def pick_agent(row, curve):
    picked = per_agent.iloc[row]
    kind = F.CREATED if curve == 0 else F.RESOLVED
    count = picked["assigned" if kind == F.CREATED else "resolved"]
    return (f"{plain(picked['agent'])}: the {count:,} tickets {'raised and assigned' if kind == F.CREATED else 'resolved'} "
            "in the range", queue_params(kind, period, filters, agent_id=int(picked["agent_id"])))


chart_card("per_agent", figure, per_agent, table=agent_table, height=max(320, 60 + 34 * len(per_agent)),
           on_pick=pick_agent,
           empty=None if len(per_agent) else "No assigned ticket was raised or resolved in this range.")

left, right = st.columns(2)
with left:
    arrivals = report.arrivals
    grid = arrivals.to_numpy()
    # Drawn as squares on a scatter, not a Heatmap trace: Plotly lets a scatter's points be
    # picked (a heatmap's cells can't be), so a cell opens its tickets like any bar.
    cells = [(d, h) for d in range(7) for h in range(24)]
    figure = go.Figure(go.Scatter(
        x=[f"{h:02d}" for _, h in cells], y=[arrivals.index[d] for d, _ in cells], mode="markers",
        marker=dict(symbol="square", size=15, color=[int(grid[d][h]) for d, h in cells], colorscale="Blues",
                    showscale=True, line=dict(width=0)),
        customdata=[int(grid[d][h]) for d, h in cells],
        hovertemplate="%{y} %{x}:00 — %{customdata} tickets<extra></extra>"))
    figure.update_layout(yaxis=dict(autorange="reversed", categoryorder="array", categoryarray=list(arrivals.index)),
                         xaxis=dict(title=f"Hour ({zone_name})", categoryorder="array",
                                    categoryarray=[f"{h:02d}" for h in range(24)]))

    def pick_hour(point, curve):
        weekday, hour = cells[point]
        return (f"The {int(grid[weekday][hour]):,} tickets raised on {arrivals.index[weekday]} at {hour:02d}:00 "
                f"({zone_name}) in the range",
                queue_params(F.CREATED, period, filters, weekday=weekday, hour=hour))

    chart_card("arrivals", figure, arrivals.rename(columns=lambda h: f"{h:02d}:00").reset_index(names="weekday"),
               empty=None if grid.sum() else "No ticket was raised in this range.", on_pick=pick_hour,
               pickable=len(cells), links=[("Raised in the range", queue_params(F.CREATED, period, filters))])
with right:
    statuses = report.statuses
    status_order = list(TicketStatus)

    def pick_status(row, curve):
        return (f"The {statuses.iloc[row]['tickets']:,} raised in the range and {status_order[row].label.lower()} now",
                queue_params(F.CREATED, period, filters, status=status_order[row]))

    chart_card("statuses", go.Figure(go.Bar(x=statuses["status"], y=statuses["tickets"], marker_color=CREATED)),
               statuses, empty=None if statuses["tickets"].sum() else "No ticket was raised in this range.",
               on_pick=pick_status)

left, right = st.columns(2)
with left:
    by_cat = report.categories

    def pick_category_raised(row, curve):
        picked = by_cat.iloc[row]
        return (f"The {picked['tickets']:,} {plain(picked['category'])} tickets raised in the range",
                queue_params(F.CREATED, period, filters, category_id=int(picked["category_id"])))

    chart_card("categories", go.Figure(go.Bar(x=by_cat["tickets"], y=chart_text(by_cat["category"]), orientation="h",
                                              marker_color=CREATED)).update_layout(yaxis=dict(autorange="reversed")),
               by_cat.drop(columns="category_id"), empty=None if len(by_cat) else "No ticket was raised in this range.",
               on_pick=pick_category_raised)
with right:
    forecast = report.forecast
    clear = ("Nothing to clear." if forecast.backlog_now == 0 else
             f"At this pace the backlog clears in about {forecast.days_to_clear:.0f} days."
             if forecast.days_to_clear is not None else
             "At this pace the backlog does not clear: more arrives each day than is resolved.")
    figure = go.Figure(go.Scatter(x=forecast.projection["day"], y=forecast.projection["backlog"], mode="lines+markers",
                                  line=dict(color=BACKLOG), name="Projected open"))
    figure.update_layout(xaxis=dict(title="Days from now"), yaxis=dict(title="Open tickets", rangemode="tozero"))
    with st.container(key="analytics_forecast_summary"):
        st.markdown(f"**{forecast.arrivals_per_day:,.1f}** arrive and **{forecast.resolutions_per_day:,.1f}** are "
                    f"resolved per day. {clear}")
    chart_card("forecast", figure, forecast.projection, links=[("Open now", queue_params(F.OPEN, period, filters))])

left, right = st.columns(2)
over_time = report.satisfaction_over_time
no_ratings = "No rating was given for resolutions in this range." if not over_time["answers"].sum() else None
with left:
    figure = go.Figure([go.Scatter(x=over_time["start"], y=over_time["share_4_5"], name="Rated 4-5",
                                   mode="lines+markers", line=dict(color=RESOLVED)),
                        go.Bar(x=over_time["start"], y=over_time["answers"], name="Answers", yaxis="y2",
                               marker_color="rgba(31,119,180,0.3)")])
    figure.update_layout(yaxis=dict(title="Rated 4-5", tickformat=".0%", range=[0, 1]),
                         yaxis2=dict(title="Answers", overlaying="y", side="right", rangemode="tozero", tickformat=",d"))

    def pick_rated_bucket(row, curve):
        day, lo, hi = buckets[row]
        return (f"The {int(over_time.iloc[row]['answers']):,} tickets rated for resolutions in the "
                f"{period.bucket.value} of {day:%d %b}", queue_params(F.RATED, None, filters, since=lo, until=hi))

    chart_card("satisfaction_over_time", figure, over_time, empty=no_ratings, on_pick=pick_rated_bucket,
               links=[("Rated in the range", queue_params(F.RATED, period, filters))])
with right:
    by_response = report.satisfaction_by_first_response
    figure = go.Figure(go.Bar(x=by_response["first_response"], y=by_response["share_4_5"], marker_color=RESOLVED,
                              customdata=by_response["answers"],
                              hovertemplate="%{x}: %{y:.0%} rated 4-5 (n=%{customdata})<extra></extra>"))
    figure.update_layout(yaxis=dict(title="Rated 4-5", tickformat=".0%", range=[0, 1]))
    def pick_band(row, curve):
        return (f"The {int(by_response.iloc[row]['answers']):,} tickets rated whose first response came "
                f"{by_response.iloc[row]['first_response'].lower()}",
                queue_params(F.RATED, period, filters, response_band=row))

    chart_card("satisfaction_by_first_response", figure, by_response, empty=no_ratings, on_pick=pick_band,
               links=[("Rated in the range", queue_params(F.RATED, period, filters))])

help_center_section(help_figures)
