"""The analytics page as a manager uses it: the figures of the chosen range and filters, each
chart drawn with its definition and data, an empty range that says so, and nobody else in."""
from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.analytics.period import RangePreset
from helpdesk.enums import Priority, Role, TicketStatus
from helpdesk.tickets import assignment, staff
from tests.factories import add_user
from tests.page_helpers import messages, open_app, page_text, rerun, type_address

PAGE = "pages/manager/analytics.py"


@pytest.fixture
def manager(app_desk):
    return add_user(app_desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")


@pytest.fixture
def busy(app_desk, clock):
    """Five tickets this week: three normal (two answered and resolved), two urgent (one answered);
    Alex has the first four."""
    clock.now = clock.now.replace(year=2026, month=11, day=30, hour=9)  # a Monday
    ids = []
    for n, priority in enumerate([Priority.NORMAL] * 3 + [Priority.URGENT] * 2):
        ids.append(app_desk.raise_ticket(subject=f"Ticket {n}", priority=priority))
        clock.advance(minutes=30)
    for ticket_id in ids[:4]:
        app_desk.act(app_desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=app_desk.agent.id)
    for ticket_id in ids[:2]:
        app_desk.act(app_desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Fixed.",
                     new_status=TicketStatus.RESOLVED)
        clock.advance(hours=1)
    app_desk.act(app_desk.agent, staff.add_agent_reply, ticket_id=ids[3], body="Looking.")
    clock.advance(hours=2)
    return ids



def metric(at, label: str) -> str:
    [found] = [m for m in at.metric if m.label == label]
    return found.value


def test_a_manager_sees_the_figures_and_every_chart_with_its_definition(app_desk, busy, manager):
    at = open_app(manager, page=PAGE)
    assert at.title[0].value == "Analytics"
    assert metric(at, "Tickets created") == "5"
    assert metric(at, "Tickets resolved") == "2"
    assert metric(at, "Open backlog") == "3"
    assert metric(at, "One-touch") == "100%"
    drawn = {chart.key.removeprefix("analytics_chart_") for chart in at.get("plotly_chart")}
    assert drawn == {"volume", "backlog_by_age", "resolution_by_priority", "resolution_by_category", "per_agent",
                     "arrivals", "statuses", "categories", "forecast"}
    text = page_text(at)
    for heading in ("Created and resolved", "Backlog by age", "Resolution time by priority", "Per agent",
                    "Arrivals by weekday and hour", "Backlog forecast"):
        assert heading in text
    assert "Dates mean: when the ticket was raised." in text
    assert "Dates mean: when the ticket was (last) resolved." in text
    # Every chart offers its numbers as CSV, and the whole view is one workbook.
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Download CSV") == 11 and "Download the whole view (Excel)" in labels
    # No rating yet: the satisfaction charts say so instead of drawing empty axes.
    assert "No rating was given for resolutions in this range." in messages(at, "info")


def test_filters_narrow_the_figures_and_stay_in_the_address(app_desk, busy, manager):
    at = open_app(manager, page=PAGE)
    at.multiselect(key="analytics_priority").set_value([Priority.URGENT])
    rerun(at)
    assert metric(at, "Tickets created") == "2"
    assert metric(at, "Tickets resolved") == "0"
    assert metric(at, "Open backlog") == "2"
    assert at.query_params["priority"] in ("urgent", ["urgent"])
    at.multiselect(key="analytics_agent").set_value([app_desk.agent2.id])
    rerun(at)
    # Nothing assigned to Bo: the page explains the empty range instead of drawing broken charts.
    assert any(m.startswith("No ticket was raised, resolved or rated between") and "with these filters" in m
               for m in messages(at, "info"))
    assert not at.get("plotly_chart")


def test_a_custom_range_needs_both_days_and_says_so_next_to_the_field(app_desk, busy, manager):
    at = open_app(manager, page=PAGE)
    [ranges] = [g for g in at.get("button_group") if g.key == "analytics_range"]
    ranges.set_value(RangePreset.CUSTOM)
    rerun(at)
    dates = at.date_input(key="analytics_custom")
    first = dates.value[1]
    dates.set_value((first,))
    rerun(at)
    assert "Choose the first and the last day." in messages(at, "error")
    assert at.date_input(key="analytics_custom").value[0] == first  # what was chosen stays
    dates = at.date_input(key="analytics_custom")
    dates.set_value((first - timedelta(days=6), first))
    rerun(at)
    assert not messages(at, "error") and metric(at, "Tickets created") == "5"


def test_an_empty_helpdesk_explains_itself(app_desk, manager):
    at = open_app(manager, page=PAGE)
    assert any(m.startswith("No ticket was raised, resolved or rated between") for m in messages(at, "info"))
    assert "Open backlog now: 0." in " ".join(messages(at, "info"))
    assert not at.exception


@pytest.mark.parametrize("who, home", [("agent", "Queue"), ("customer", "Submit a ticket")])
def test_agents_and_customers_typing_the_address_are_sent_home(app_desk, busy, who, home):
    at = open_app(getattr(app_desk, who))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    type_address(at, "analytics")
    assert at.title[0].value == home
    assert "That page is for managers and administrators. Here is your start page." in messages(at, "info")
    assert not at.metric


def test_an_administrator_sees_analytics_too(app_desk, busy):
    at = open_app(app_desk.admin, page=PAGE)
    assert metric(at, "Tickets created") == "5"


def link_params(at, label: str) -> dict[str, str]:
    from urllib.parse import parse_qsl
    link, *_ = [link for link in at.get("page_link") if link.proto.label == label]  # the same tickets wherever it is
    return dict(parse_qsl(link.proto.query_string))


def test_a_numbers_link_opens_the_queue_on_exactly_its_tickets(app_desk, busy, manager):
    at = open_app(manager, page=PAGE)
    params = link_params(at, "Raised in the range")
    assert params["view"] == "all" and params["figure"] == "created"
    at.multiselect(key="analytics_priority").set_value([Priority.URGENT])
    rerun(at)
    urgent = link_params(at, "Raised in the range")
    assert urgent["priority"] == "urgent"

    queue = open_app(manager)
    queue.query_params.update(urgent)
    queue.switch_page("pages/agent/queue.py").run()
    assert not queue.exception
    text = page_text(queue)
    assert "From the analytics: Raised, raised" in text
    assert "All tickets: 2 tickets" in text  # the two urgent ones, whatever their status
    # "Show the whole queue" goes back to the ordinary lists.
    queue.button(key="queue_clear_figure").click()
    rerun(queue)
    assert "From the analytics" not in page_text(queue)


def test_names_people_typed_are_text_in_the_charts(app_desk, busy, manager):
    from helpdesk.core.db import session_scope
    from helpdesk.models import User
    with session_scope(app_desk.engine) as session:
        session.get(User, app_desk.agent.id).name = '<a href="https://evil.example">Alex</a> ![](https://evil.example/p.png)'
    at = open_app(manager, page=PAGE)
    [chart] = [c for c in at.get("plotly_chart") if c.key == "analytics_chart_per_agent"]
    spec = chart.proto.spec
    assert "&lt;a href=" in spec and '<a href=\\"https://evil.example\\">' not in spec


def test_clicks_within_the_minute_reuse_the_report_and_new_filters_count_again(app_desk, busy, manager, monkeypatch):
    from helpdesk.ui import analytics_view
    builds = []
    real = analytics_view.build_report
    monkeypatch.setattr(analytics_view, "build_report", lambda **kw: builds.append(kw["filters"]) or real(**kw))
    analytics_view.cached_report.clear()
    at = open_app(manager, page=PAGE)
    rerun(at)  # e.g. a click on a bar: same range, same filters
    assert len(builds) == 1
    at.multiselect(key="analytics_priority").set_value([Priority.URGENT])
    rerun(at)
    assert len(builds) == 2 and builds[-1].priorities == (Priority.URGENT,)
    assert metric(at, "Tickets created") == "2"


def test_a_link_to_a_range_after_2038_still_opens(app_desk, busy, manager):
    queue = open_app(manager)
    queue.query_params.update({"view": "all", "figure": "created", "since": "2200000000"})  # May 2039
    queue.switch_page("pages/agent/queue.py").run()
    assert "From the analytics: Raised, raised 2039-" in page_text(queue)
    assert "No tickets in “All tickets” match these filters." in messages(queue, "info")


def test_an_upgraded_install_is_told_its_older_tickets_have_no_times_yet(app_desk, busy, manager):
    from helpdesk.core.db import session_scope
    from helpdesk.models import AppSetting
    with session_scope(app_desk.engine) as session:
        session.add(AppSetting(key="metrics_pending", value="yes"))
    at = open_app(manager, page=PAGE)
    assert any("Run `python -m helpdesk rebuild-metrics` once" in m for m in messages(at, "warning"))


def test_a_heatmap_cell_opens_the_queue_on_that_weekday_and_hour(app_desk, busy, manager):
    """Busy raised two tickets on Monday between 09:00 and 10:00 (UTC: no business hours set)."""
    from helpdesk.analytics.period import local_midnight
    from zoneinfo import ZoneInfo
    start = local_midnight(busy_day(), ZoneInfo("UTC"))
    queue = open_app(manager)
    queue.query_params.update({"view": "all", "figure": "created", "since": str(int(start.timestamp()) - 7 * 86400),
                               "until": str(int(start.timestamp()) + 86400), "weekday": "0", "hour": "9"})
    queue.switch_page("pages/agent/queue.py").run()
    assert not queue.exception
    text = page_text(queue)
    assert "only Mondays 09:00–10:00 (UTC)" in text
    assert "All tickets: 2 tickets" in text
    # An address edited by hand to an hour without a weekday says what is wrong instead of listing.
    queue.query_params.pop("weekday")
    queue.switch_page("pages/agent/queue.py").run()
    assert "A weekday and an hour go together, within a date range (since and until)." in messages(queue, "error")


def test_the_heatmaps_cells_can_be_picked_like_bars(app_desk, busy, manager):
    """Plotly can't pick a Heatmap trace's cells; the page draws squares on a scatter, which it can."""
    import json
    at = open_app(manager, page=PAGE)
    charts = {c.key: c for c in at.get("plotly_chart")}
    arrivals = charts["analytics_chart_arrivals"]
    assert list(arrivals.proto.selection_mode) == list(charts["analytics_chart_volume"].proto.selection_mode) != []
    assert list(charts["analytics_chart_forecast"].proto.selection_mode) == []  # a projection: nothing to list
    [trace] = json.loads(arrivals.proto.spec)["data"]
    assert trace["type"] == "scatter" and len(trace["x"]) == 7 * 24
    assert sum(trace["customdata"]) == 5  # every ticket busy raised, in its weekday and hour


def busy_day():
    from datetime import date
    return date(2026, 11, 30)
