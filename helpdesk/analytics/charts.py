"""The data behind each chart: one grouped query each, returning a small DataFrame."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from helpdesk.analytics.cells import NO_DURATIONS, CellReader, percentiles_of, real
from helpdesk.analytics.kpis import overdue_unanswered
from helpdesk.analytics.period import Period
from helpdesk.analytics.sql import TicketFilter
from helpdesk.enums import OPEN_STATUSES, PRIORITY_RANK, Priority, TicketStatus
from helpdesk.models import FIRST_RESPONSE_BAND_HOURS, REPORT_HOURS, Category, Ticket, User, rating_cells, report_cells

HOUR = 3600.0
# Fewer answers than this and a satisfaction figure says so instead of ranking people on noise.
FEW_RESPONSES = 10
AGE_BANDS = ((timedelta(days=1), "Under 1 day"), (timedelta(days=3), "1-3 days"), (timedelta(days=7), "3-7 days"),
             (timedelta(days=30), "1-4 weeks"), (None, "Over 4 weeks"))
# The report cells count answers in these bands (models.FIRST_RESPONSE_BAND_HOURS), in this order.
FIRST_RESPONSE_BANDS = tuple(zip((*FIRST_RESPONSE_BAND_HOURS, None),
                                 ("Under 1 hour", "1-4 hours", "4-24 hours", "Over 24 hours"), strict=True))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _median(values) -> float | None:
    return percentiles_of(values, 0.5)[0]


def _hours(seconds) -> float | None:
    return None if seconds is None else float(seconds) / HOUR


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | tuple[None, None]:
    """95% interval for a share from n answers (Wilson: sensible at small n and near 0 or 1)."""
    if n == 0:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - margin), min(1.0, centre + margin)


# --- volume --------------------------------------------------------------------------------

def _bucket_of_day(period: Period) -> dict[date, int]:
    """Each local day of the range -> the index of its bucket (a day, or a week)."""
    buckets, out = period.buckets(), {}
    for i, (first, _, _) in enumerate(buckets):
        following = buckets[i + 1][0] if i + 1 < len(buckets) else period.last + timedelta(days=1)
        day = first
        while day < following:
            out[day] = i
            day += timedelta(days=1)
    return out


def _per_bucket(period: Period, per_day: dict, columns) -> dict[int, dict[str, int]]:
    days = _bucket_of_day(period)
    out: dict[int, dict[str, int]] = {}
    for day, totals in per_day.items():
        if day in days:
            bucket = out.setdefault(days[day], dict.fromkeys(columns, 0))
            for c in columns:
                bucket[c] += totals[c]
    return out


def volume(reader: CellReader, backlog_end: int) -> pd.DataFrame:
    """Created (by creation date) and resolved (by resolution date) per bucket, and the open
    backlog at the end of each, walked back from `backlog_end` (the KPIs' backlog at the range's end)."""
    period = reader.period
    buckets = period.buckets()
    per_day = reader.sums(report_cells, ("created", "resolved"), group_by="day")
    counts = _per_bucket(period, per_day, ("created", "resolved"))
    rows, open_count = [], backlog_end
    for i in reversed(range(len(buckets))):
        created, resolved = (counts[i]["created"], counts[i]["resolved"]) if i in counts else (0, 0)
        rows.append({"start": buckets[i][0], "created": created, "resolved": resolved, "backlog": open_count})
        open_count = open_count - created + resolved  # open at this bucket's start
    return pd.DataFrame(rows[::-1], columns=["start", "created", "resolved", "backlog"])


def age_band_window(index: int, now: datetime) -> tuple[datetime | None, datetime | None]:
    """When the open tickets of band `index` were raised: [since, until)."""
    limits = [limit for limit, _ in AGE_BANDS]
    until = now - limits[index - 1] if index > 0 else None
    since = now - limits[index] if limits[index] is not None else None
    return since, until


def backlog_by_age(session: Session, filters: TicketFilter, now: datetime) -> pd.DataFrame:
    """Open tickets now, by how long ago they were raised."""
    whens = [(Ticket.created_at >= now - limit, index) for index, (limit, _) in enumerate(AGE_BANDS) if limit]
    band = case(*whens, else_=len(AGE_BANDS) - 1)
    counts = dict(session.execute(
        select(band, func.count()).where(Ticket.status.in_(OPEN_STATUSES), *filters.conditions())
        .group_by(band)).all())
    return pd.DataFrame([{"age": label, "tickets": counts.get(i, 0)} for i, (_, label) in enumerate(AGE_BANDS)])


# --- resolution time -----------------------------------------------------------------------

def resolution_by_priority(reader: CellReader) -> pd.DataFrame:
    """Resolution time (hours) spread per priority, for tickets resolved in the period."""
    filters = reader.filters
    groups = reader.durations(filters.resolution_values, group_by="priority")
    rows = []
    for value, seconds in groups.items():
        if len(seconds):
            priority = Priority(value)
            spread = percentiles_of(seconds, 0.1, 0.25, 0.5, 0.75, 0.9)
            rows.append({"priority": priority.label, "rank": PRIORITY_RANK[priority], "resolved": len(seconds),
                         **{name: _hours(v) for name, v in zip(("p10", "p25", "median", "p75", "p90"), spread,
                                                               strict=True)}})
    frame = pd.DataFrame(rows, columns=["priority", "rank", "resolved", "p10", "p25", "median", "p75", "p90"])
    return frame.sort_values("rank", ascending=False).drop(columns="rank").reset_index(drop=True)


def _category_names(session: Session, ids) -> dict[int, str]:
    return dict(session.execute(select(Category.id, Category.name).where(Category.id.in_(list(ids)))).all()) \
        if ids else {}


def resolution_by_category(reader: CellReader) -> pd.DataFrame:
    session, filters = reader.session, reader.filters
    groups = {c: v for c, v in reader
              .durations(filters.resolution_values, group_by="category_id").items() if len(v)}
    names = _category_names(session, groups)
    frame = pd.DataFrame([{"category_id": c, "category": names[c], "resolved": len(v),
                           "median": _hours(_median(v))} for c, v in groups.items() if c in names],
                         columns=["category_id", "category", "resolved", "median"])
    return frame.sort_values(["median", "category"], ascending=[False, True]).reset_index(drop=True)


# --- people --------------------------------------------------------------------------------

def per_agent(reader: CellReader) -> pd.DataFrame:
    """Per assignee: tickets raised in the period and assigned to them (with their first
    response), tickets they resolved in the period (with resolution time and SLA), and the
    satisfaction answers credited to them."""
    session, period, filters, now = reader.session, reader.period, reader.filters, reader.now
    reader = reader
    counts = real(reader.sums(report_cells, ("created", "first_response_decided", "first_response_met", "resolved",
                                              "resolution_decided", "resolution_met"), group_by="assignee_id"))
    overdue = overdue_unanswered(session, period, filters, now, group_by=Ticket.assignee_id)
    first_response = reader.durations(filters.first_response_values, group_by="assignee_id")
    resolution = reader.durations(filters.resolution_values, group_by="assignee_id")
    answers = real(reader.sums(rating_cells, ("requests", "rated", "happy", "score_sum"), group_by="agent_id"))
    assigned = {g: (g, c["created"], _median(first_response.get(g, NO_DURATIONS)),
                    c["first_response_decided"] + overdue.get(g, 0), c["first_response_met"])
                for g, c in counts.items() if c["created"]}
    resolved = {g: (g, c["resolved"], _median(resolution.get(g, NO_DURATIONS)), c["resolution_decided"],
                    c["resolution_met"]) for g, c in counts.items() if c["resolved"]}
    ratings = {g: (g, a["rated"], a["happy"], a["score_sum"] / a["rated"] if a["rated"] else None)
               for g, a in answers.items()}
    ids = set(assigned) | set(resolved) | set(ratings)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    taken = [names.get(i) for i in ids]
    # Two people of one name would share a bar (charts group by label): the number tells them apart.
    names = {i: f"{n} (#{i})" if taken.count(n) > 1 else n for i, n in names.items()}
    rows = []
    for agent_id in ids:
        a, r, s = assigned.get(agent_id), resolved.get(agent_id), ratings.get(agent_id)
        answered = int(s[1]) if s else 0
        happy = int(s[2]) if s else 0
        low, high = wilson_interval(happy, answered)
        sla_decided = (int(a[3]) if a else 0) + (int(r[3]) if r else 0)
        sla_met = (int(a[4]) if a else 0) + (int(r[4]) if r else 0)
        rows.append({
            "agent_id": agent_id, "agent": names.get(agent_id, f"#{agent_id}"),
            "assigned": int(a[1]) if a else 0, "resolved": int(r[1]) if r else 0,
            "first_response_median": _hours(a[2]) if a else None,
            "resolution_median": _hours(r[2]) if r else None,
            "sla": sla_met / sla_decided if sla_decided else None,
            "satisfaction_n": answered,
            "satisfaction": happy / answered if answered else None,
            "satisfaction_low": low, "satisfaction_high": high,
            "satisfaction_average": float(s[3]) if s and s[3] is not None else None,
            "few_responses": answered < FEW_RESPONSES,
        })
    columns = ["agent_id", "agent", "assigned", "resolved", "first_response_median", "resolution_median", "sla",
               "satisfaction_n", "satisfaction", "satisfaction_low", "satisfaction_high", "satisfaction_average",
               "few_responses"]
    return pd.DataFrame(rows, columns=columns).sort_values(["resolved", "agent"], ascending=[False, True]) \
        .reset_index(drop=True)


# --- arrivals --------------------------------------------------------------------------------

def arrivals_heatmap(reader: CellReader) -> pd.DataFrame:
    """Tickets raised per local weekday (rows, Monday first) and hour of the day (columns 0-23)."""
    hours = [f"hour_{h:02d}" for h in REPORT_HOURS]
    grid = [[0] * 24 for _ in range(7)]
    for day, totals in reader.sums(report_cells, hours, group_by="day").items():
        for h, name in enumerate(hours):
            grid[day.weekday()][h] += totals[name]
    return pd.DataFrame(grid, index=list(WEEKDAYS), columns=list(range(24)))


# --- breakdowns -----------------------------------------------------------------------------

def status_breakdown(reader: CellReader) -> pd.DataFrame:
    """Tickets raised in the period, by where they stand now."""
    columns = [f"status_{s.value}" for s in TicketStatus]
    totals = reader.sums(report_cells, columns).get(None, {})
    return pd.DataFrame([{"status": s.label, "tickets": totals.get(c, 0)} for s, c in zip(TicketStatus, columns,
                                                                                          strict=True)])


def category_breakdown(reader: CellReader) -> pd.DataFrame:
    session = reader.session
    groups = {c: t["created"] for c, t in reader
              .sums(report_cells, ("created",), group_by="category_id").items() if t["created"]}
    names = _category_names(session, groups)
    frame = pd.DataFrame([{"category_id": c, "category": names[c], "tickets": n} for c, n in groups.items()
                          if c in names], columns=["category_id", "category", "tickets"])
    return frame.sort_values(["tickets", "category"], ascending=[False, True]).reset_index(drop=True)


# --- satisfaction ---------------------------------------------------------------------------

def satisfaction_over_time(reader: CellReader) -> pd.DataFrame:
    """Per bucket of the request date (the resolution): answers, average score, share 4-5."""
    period = reader.period
    columns = ("rated", "score_sum", "happy")
    per_day = reader.sums(rating_cells, columns, group_by="day")
    found = _per_bucket(period, per_day, columns)
    rows = []
    for i, (day, _, _) in enumerate(period.buckets()):
        n = found[i]["rated"] if i in found else 0
        rows.append({"start": day, "answers": n,
                     "average": found[i]["score_sum"] / n if n else None,
                     "share_4_5": found[i]["happy"] / n if n else None})
    return pd.DataFrame(rows, columns=["start", "answers", "average", "share_4_5"])


def satisfaction_by_first_response(reader: CellReader) -> pd.DataFrame:
    """Answers in the period, by how long the ticket waited for its first response."""
    filters = reader.filters
    names = [f"{filters.basis}_band{i}_{what}" for i in range(len(FIRST_RESPONSE_BANDS))
             for what in ("rated", "score_sum", "happy")]
    totals = reader.sums(rating_cells, names).get(None, dict.fromkeys(names, 0))
    rows = []
    for i, (_, label) in enumerate(FIRST_RESPONSE_BANDS):
        prefix = f"{filters.basis}_band{i}"
        n = totals[f"{prefix}_rated"]
        rows.append({"first_response": label, "answers": n,
                     "average": totals[f"{prefix}_score_sum"] / n if n else None,
                     "share_4_5": totals[f"{prefix}_happy"] / n if n else None})
    return pd.DataFrame(rows, columns=["first_response", "answers", "average", "share_4_5"])
