"""Every analytics figure equals a direct pandas computation over the same tickets.

The tickets are made by the real services under a controlled clock, so their stored durations
are the ones production stores: some still open, some reopened, some never answered, some
waiting on the customer, some resolved across a weekend in business hours, and the range
crosses the night Europe/Amsterdam moves its clocks (29 March 2026), so local days and hours
are checked where they are hardest. pandas reads the raw rows and computes each figure its
own way (local dates with tz_convert, percentiles with numpy's linear method)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from helpdesk.analytics.charts import FEW_RESPONSES, wilson_interval
from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.analytics.report import build_report
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.db import session_scope
from helpdesk.enums import OPEN_STATUSES, Priority, TicketStatus
from helpdesk.models import SatisfactionRating, Ticket, User
from tests.analytics.world import ZONE, build_world

@pytest.fixture
def world(desk, clock):
    build_world(desk, clock)
    with session_scope(desk.engine) as session:
        tickets = pd.read_sql(select(Ticket.__table__), session.connection())
        ratings = pd.read_sql(select(SatisfactionRating.__table__), session.connection())
        reader = session.get(User, desk.admin.id)
    for frame, columns in ((tickets, ["created_at", "first_response_at", "resolved_at", "first_response_due_at",
                                      "resolution_due_at"]), (ratings, ["requested_at"])):
        for name in columns:
            frame[name] = pd.to_datetime(frame[name], utc=True, format="mixed")
    return desk, clock.now, tickets, ratings, reader


def _report(desk, now, **filters):
    period = make_period(preset=RangePreset.CUSTOM, now=now, zone=ZONE, first=date(2026, 3, 23),
                         last=date(2026, 4, 1))
    with session_scope(desk.engine) as session:
        return build_report(session=session, actor=session.get(User, desk.admin.id), period=period,
                            filters=TicketFilter(**filters), now=now)


def _pct(values, q):
    values = [v for v in values if v == v and v is not None]
    return None if not values else float(np.percentile(values, q * 100, method="linear"))


def _close(a, b):
    if a is None or b is None:
        assert a is None and b is None, (a, b)
    else:
        assert a == pytest.approx(b, rel=1e-9, abs=1e-6)


def _in(frame, column, start, end):
    return frame[(frame[column] >= start) & (frame[column] < end)]


def _expected_kpis(tickets, ratings, start, end, now, business: bool):
    fr_col = "first_response_business_seconds" if business else "first_response_seconds"
    res_col = "resolution_business_seconds" if business else "resolution_seconds"
    created = _in(tickets, "created_at", start, end)
    resolved = _in(tickets, "resolved_at", start, end)
    done = created["first_response_at"].fillna(created["resolved_at"])
    decided = created["first_response_due_at"].notna() & (done.notna() | (created["first_response_due_at"] < now))
    met = decided & done.notna() & (done <= created["first_response_due_at"])
    requests = _in(ratings, "requested_at", start, end)
    requests = requests[requests["lapsed_at"].isna()]
    answered = requests["score"].dropna()
    still_open = tickets["status"].isin([s.value for s in OPEN_STATUSES]).sum()
    backlog = still_open - len(_in(tickets, "created_at", end, now)) + len(_in(tickets, "resolved_at", end, now))
    return {
        "created": len(created), "resolved": len(resolved), "backlog": backlog,
        "responded": int(created[fr_col].notna().sum()),
        "first_response_median": _pct(created[fr_col], 0.5), "first_response_p90": _pct(created[fr_col], 0.9),
        "resolution_median": _pct(resolved[res_col], 0.5), "resolution_p90": _pct(resolved[res_col], 0.9),
        "first_response_sla_decided": int(decided.sum()), "first_response_sla_met": int(met.sum()),
        "resolution_sla_decided": int(resolved["resolution_due_at"].notna().sum()),
        "resolution_sla_met": int((resolved["resolved_at"] <= resolved["resolution_due_at"]).sum()),
        "one_touch": int(((resolved["staff_reply_count"] == 1) & (resolved["reopen_count"] == 0)).sum()),
        "ever_resolved": int((created["resolved_at"].notna() | (created["reopen_count"] > 0)).sum()),
        "reopened": int((created["reopen_count"] > 0).sum()),
        "rating_requests": len(requests), "rated": len(answered), "rating_sum": int(answered.sum()),
        "rated_4_or_5": int((answered >= 4).sum()),
    }


@pytest.mark.parametrize("business", [False, True], ids=["calendar", "business"])
def test_kpis_of_the_range_and_the_previous_one_match_pandas(world, business):
    desk, now, tickets, ratings, _ = world
    report = _report(desk, now, business_time=business)
    assert tickets["reopen_count"].max() >= 1 and tickets["first_response_at"].isna().any()
    assert (tickets["waiting_seconds"] > 0).any() and tickets["status"].isin(["open", "new"]).any()
    for kpis, period in ((report.current, report.period), (report.previous, report.previous_period)):
        expected = _expected_kpis(tickets, ratings, period.start, period.end, now, business)
        for name, value in expected.items():
            _close(getattr(kpis, name), value)
    assert report.current.created > 10 and report.previous.created > 5  # the data set reaches both ranges
    if business:  # business hours make a difference on this data, so the switch is really used
        assert report.current.resolution_median != _report(desk, now).current.resolution_median


def test_volume_per_local_day_and_backlog_line_match_pandas(world):
    desk, now, tickets, _, _ = world
    report = _report(desk, now)
    local_created = tickets["created_at"].dt.tz_convert(ZONE).dt.date.value_counts()
    local_resolved = tickets["resolved_at"].dropna().dt.tz_convert(ZONE).dt.date.value_counts()
    volume = report.volume
    assert list(volume["start"]) == [date(2026, 3, 23) + timedelta(days=d) for d in range(10)]
    assert list(volume["created"]) == [int(local_created.get(d, 0)) for d in volume["start"]]
    assert list(volume["resolved"]) == [int(local_resolved.get(d, 0)) for d in volume["start"]]
    for day, backlog in zip(volume["start"], volume["backlog"]):
        end = min(datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZONE).astimezone(UTC), now)
        open_then = ((tickets["created_at"] < end)
                     & (tickets["resolved_at"].isna() | (tickets["resolved_at"] >= end))).sum()
        assert backlog == open_then, day


def test_arrivals_heatmap_uses_local_weekday_and_hour_across_the_clock_change(world):
    desk, now, tickets, _, _ = world
    report = _report(desk, now)
    created = _in(tickets, "created_at", report.period.start, report.period.end)["created_at"].dt.tz_convert(ZONE)
    expected = pd.crosstab(created.dt.day_of_week, created.dt.hour).reindex(index=range(7), columns=range(24),
                                                                         fill_value=0)
    assert report.arrivals.to_numpy().tolist() == expected.to_numpy().tolist()
    # Tickets raised on Sunday 29 March after the change (02:00 -> 03:00) sit at the local hour.
    assert report.arrivals.to_numpy().sum() == len(created)


def test_breakdowns_and_distributions_match_pandas(world):
    desk, now, tickets, _, _ = world
    report = _report(desk, now)
    start, end = report.period.start, report.period.end
    created = _in(tickets, "created_at", start, end)
    resolved = _in(tickets, "resolved_at", start, end)
    assert dict(zip(report.statuses["status"], report.statuses["tickets"])) == {
        s.label: int((created["status"] == s.value).sum()) for s in TicketStatus}
    assert sorted(report.categories["tickets"]) == sorted(created["category_id"].value_counts().tolist())
    for _, row in report.resolution_by_priority.iterrows():
        hours = resolved[resolved["priority"] == Priority(row["priority"].lower()).value]["resolution_seconds"] / 3600
        assert row["resolved"] == hours.notna().sum()
        for column, q in (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
            _close(row[column], _pct(hours, q))
    for _, row in report.resolution_by_category.iterrows():
        hours = resolved[resolved["category_id"] == row["category_id"]]["resolution_seconds"] / 3600
        _close(row["median"], _pct(hours, 0.5))
    ages = now - tickets[tickets["status"].isin([s.value for s in OPEN_STATUSES])]["created_at"]
    bands = pd.cut(ages.dt.total_seconds() / 86400, [-1, 1, 3, 7, 30, 10**6], right=True,  # "under 1 day": at most 1
                   labels=list(report.backlog_by_age["age"]))
    assert report.backlog_by_age["tickets"].tolist() == bands.value_counts(sort=False).tolist()


def test_per_agent_figures_and_satisfaction_intervals_match_pandas(world):
    desk, now, tickets, ratings, _ = world
    report = _report(desk, now)
    start, end = report.period.start, report.period.end
    created = _in(tickets, "created_at", start, end)
    resolved = _in(tickets, "resolved_at", start, end)
    answers = _in(ratings, "requested_at", start, end)
    answers = answers[answers["lapsed_at"].isna() & answers["score"].notna()]
    assert len(report.per_agent) == 2
    for _, row in report.per_agent.iterrows():
        mine_created = created[created["assignee_id"] == row["agent_id"]]
        mine_resolved = resolved[resolved["assignee_id"] == row["agent_id"]]
        mine_answers = answers[answers["agent_id"] == row["agent_id"]]
        assert row["assigned"] == len(mine_created) and row["resolved"] == len(mine_resolved)
        _close(row["first_response_median"], _pct(mine_created["first_response_seconds"] / 3600, 0.5))
        _close(row["resolution_median"], _pct(mine_resolved["resolution_seconds"] / 3600, 0.5))
        assert row["satisfaction_n"] == len(mine_answers)
        happy = int((mine_answers["score"] >= 4).sum())
        low, high = wilson_interval(happy, len(mine_answers))
        _close(row["satisfaction_low"], low)
        assert low <= row["satisfaction"] <= high
        assert row["few_responses"] == (len(mine_answers) < FEW_RESPONSES)


def test_satisfaction_by_first_response_band_matches_pandas(world):
    desk, now, tickets, ratings, _ = world
    report = _report(desk, now)
    answers = _in(ratings, "requested_at", report.period.start, report.period.end)
    answers = answers[answers["lapsed_at"].isna() & answers["score"].notna()].merge(
        tickets[["id", "first_response_seconds"]], left_on="ticket_id", right_on="id")
    answers = answers[answers["first_response_seconds"].notna()]
    bands = pd.cut(answers["first_response_seconds"] / 3600, [-1, 1, 4, 24, 10**6], right=False, labels=False)
    frame = report.satisfaction_by_first_response
    for band in range(4):
        scores = answers[bands == band]["score"]
        assert frame.loc[band, "answers"] == len(scores)
        _close(frame.loc[band, "average"], float(scores.mean()) if len(scores) else None)


def test_filters_narrow_every_figure_to_the_chosen_tickets(world):
    desk, now, tickets, ratings, _ = world
    only = _report(desk, now, priorities=(Priority.HIGH,), agent_ids=(desk.agent.id,))
    chosen = tickets[(tickets["priority"] == "high") & (tickets["assignee_id"] == desk.agent.id)]
    chosen_ratings = ratings[ratings["ticket_id"].isin(chosen["id"]) & (ratings["agent_id"] == desk.agent.id)]
    expected = _expected_kpis(chosen, chosen_ratings, only.period.start, only.period.end, now, False)
    expected["backlog"] = expected["backlog"]  # computed over the chosen tickets above
    for name, value in expected.items():
        _close(getattr(only.current, name), value)
    assert int(only.volume["created"].sum()) == only.current.created
    assert set(only.per_agent["agent_id"]) <= {desk.agent.id}


def test_each_figure_lists_in_the_queue_exactly_the_tickets_it_counts(world):
    """The link under a number opens the queue on the same tickets: same count, for every figure."""
    from helpdesk.analytics.charts import age_band_window
    from helpdesk.tickets.figures import TicketFigure as F
    from helpdesk.tickets.queue import QueueFilters, QueueView, list_queue

    desk, now, tickets, _, reader = world
    for filters in ({}, {"priorities": (Priority.HIGH,)}, {"agent_ids": (desk.agent.id,)}):
        report = _report(desk, now, **filters)
        k, period = report.current, report.period
        expected = {
            F.CREATED: k.created, F.RESOLVED: k.resolved, F.OPEN: report.forecast.backlog_now,
            F.RESPONDED: k.responded, F.FIRST_RESPONSE_MET: k.first_response_sla_met,
            F.FIRST_RESPONSE_MISSED: k.first_response_sla_decided - k.first_response_sla_met,
            F.RESOLUTION_MET: k.resolution_sla_met,
            F.RESOLUTION_MISSED: k.resolution_sla_decided - k.resolution_sla_met,
            F.ONE_TOUCH: k.one_touch, F.REOPENED: k.reopened,
        }
        assert expected[F.FIRST_RESPONSE_MISSED] > 0 or filters  # the data set has misses to list
        for band, (since, until) in enumerate(age_band_window(i, now) for i in range(len(report.backlog_by_age))):
            queue_filters = QueueFilters(figure=F.OPEN, since=since, until=until,
                                         priorities=filters.get("priorities", ()),
                                         assignee_id=filters.get("agent_ids", (None,))[0])
            with session_scope(desk.engine) as session:
                listed = list_queue(session=session, actor=session.get(User, reader.id), view=QueueView.ALL_TICKETS,
                                    filters=queue_filters, page_size=100, now=now)
            assert listed.total == report.backlog_by_age["tickets"][band], (band, filters)
        for figure, count in expected.items():
            dated = figure != F.OPEN  # open now, whenever raised
            queue_filters = QueueFilters(figure=figure, since=period.start if dated else None,
                                         until=period.end if dated else None,
                                         priorities=filters.get("priorities", ()),
                                         assignee_id=filters.get("agent_ids", (None,))[0])
            with session_scope(desk.engine) as session:
                listed = list_queue(session=session, actor=session.get(User, reader.id), view=QueueView.ALL_TICKETS,
                                    filters=queue_filters, page_size=100, now=now)
            assert listed.total == count, (figure, filters)
        # Every cell of the arrivals heatmap (weekday x hour, across the clock change) lists its own.
        for weekday in range(7):
            for hour in range(24):
                queue_filters = QueueFilters(figure=F.CREATED, since=period.start, until=period.end,
                                             weekday=weekday, hour=hour, priorities=filters.get("priorities", ()),
                                             assignee_id=filters.get("agent_ids", (None,))[0])
                with session_scope(desk.engine) as session:
                    listed = list_queue(session=session, actor=session.get(User, reader.id),
                                        view=QueueView.ALL_TICKETS, filters=queue_filters, page_size=1, now=now)
                assert listed.total == report.arrivals.iloc[weekday, hour], (weekday, hour, filters)
        assert report.arrivals.to_numpy().sum() == k.created
        # Satisfaction: each bucket's and each first-response band's answers (one per ticket here).
        picks = [({"since": lo, "until": hi}, report.satisfaction_over_time["answers"][i])
                 for i, (_, lo, hi) in enumerate(period.buckets())]
        picks += [({"since": period.start, "until": period.end, "response_band": band},
                   report.satisfaction_by_first_response["answers"][band]) for band in range(4)]
        assert sum(n for _, n in picks) > 0
        for pick, count in picks:
            queue_filters = QueueFilters(figure=F.RATED, priorities=filters.get("priorities", ()),
                                         assignee_id=filters.get("agent_ids", (None,))[0], **pick)
            with session_scope(desk.engine) as session:
                listed = list_queue(session=session, actor=session.get(User, reader.id),
                                    view=QueueView.ALL_TICKETS, filters=queue_filters, page_size=1, now=now)
            assert listed.total == count, (pick, filters)


def test_local_hour_windows_follow_the_clocks():
    """Sunday 29 March 2026, Amsterdam: 02:00-03:00 does not exist; 25 October: it happens twice."""
    from helpdesk.tickets.figures import local_hour_windows

    spring = local_hour_windows(datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC), 6, 2, ZONE)
    assert spring == [(datetime(2026, 4, 5, 0, tzinfo=UTC), datetime(2026, 4, 5, 1, tzinfo=UTC))]  # 29th: none
    autumn = local_hour_windows(datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC), 6, 2, ZONE)
    assert autumn == [(datetime(2026, 10, 25, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, tzinfo=UTC))]  # two hours
    cut = local_hour_windows(datetime(2026, 3, 23, 9, 30, tzinfo=UTC), datetime(2026, 3, 23, 10, 15, tzinfo=UTC),
                             0, 10, ZONE)
    assert cut == [(datetime(2026, 3, 23, 9, 30, tzinfo=UTC), datetime(2026, 3, 23, 10, 0, tzinfo=UTC))]
