"""The data behind each chart: one grouped query each, returning a small DataFrame."""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from helpdesk.analytics.period import Period
from helpdesk.analytics.sql import TicketFilter, bucket_table, count_where, in_range, seconds_between
from helpdesk.core.percentile import percentile
from helpdesk.enums import OPEN_STATUSES, PRIORITY_RANK, Priority, TicketStatus
from helpdesk.models import Category, SatisfactionRating, Ticket, User
from helpdesk.tickets.figures import first_response_decided, resolution_met

HOUR = 3600.0
# Fewer answers than this and a satisfaction figure says so instead of ranking people on noise.
FEW_RESPONSES = 10
AGE_BANDS = ((timedelta(days=1), "Under 1 day"), (timedelta(days=3), "1-3 days"), (timedelta(days=7), "3-7 days"),
             (timedelta(days=30), "1-4 weeks"), (None, "Over 4 weeks"))
FIRST_RESPONSE_BANDS = ((1, "Under 1 hour"), (4, "1-4 hours"), (24, "4-24 hours"), (None, "Over 24 hours"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hours(seconds) -> float | None:
    return None if seconds is None else float(seconds) / HOUR


def _day_rows(period: Period):
    """Bucket rows for the range's buckets, with no daylight-saving shift (not needed for counts)."""
    return [(i, lo, hi, hi, 0) for i, (_, lo, hi) in enumerate(period.buckets())]


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | tuple[None, None]:
    """95% interval for a share from n answers (Wilson: sensible at small n and near 0 or 1)."""
    if n == 0:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - margin), min(1.0, centre + margin)


# --- volume --------------------------------------------------------------------------------

def _per_bucket(session: Session, period: Period, filters: TicketFilter, column) -> dict[int, int]:
    buckets = bucket_table(_day_rows(period))
    rows = session.execute(
        select(buckets.c.i, func.count(Ticket.id)).select_from(buckets)
        .join(Ticket, and_(column >= buckets.c.lo, column < buckets.c.hi))
        .where(*filters.conditions()).group_by(buckets.c.i))
    return dict(rows.all())


def volume(session: Session, period: Period, filters: TicketFilter, backlog_end: int) -> pd.DataFrame:
    """Created (by creation date) and resolved (by resolution date) per bucket, and the open
    backlog at the end of each, walked back from `backlog_end` (the KPIs' backlog at the range's end)."""
    buckets = period.buckets()
    created = _per_bucket(session, period, filters, Ticket.created_at)
    resolved = _per_bucket(session, period, filters, Ticket.resolved_at)
    rows, open_count = [], backlog_end
    for i in reversed(range(len(buckets))):
        rows.append({"start": buckets[i][0], "created": created.get(i, 0), "resolved": resolved.get(i, 0),
                     "backlog": open_count})
        open_count = open_count - created.get(i, 0) + resolved.get(i, 0)  # open at this bucket's start
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

def resolution_by_priority(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    """Resolution time (hours) spread per priority, for tickets resolved in the period."""
    res = filters.resolution
    rows = session.execute(
        select(Ticket.priority, func.count(res), percentile(res, 0.1), percentile(res, 0.25), percentile(res, 0.5),
               percentile(res, 0.75), percentile(res, 0.9))
        .where(in_range(Ticket.resolved_at, period.start, period.end), *filters.conditions())
        .group_by(Ticket.priority)).all()
    frame = pd.DataFrame([{"priority": Priority(r[0]).label, "rank": PRIORITY_RANK[Priority(r[0])],
                           "resolved": r[1], "p10": _hours(r[2]), "p25": _hours(r[3]), "median": _hours(r[4]),
                           "p75": _hours(r[5]), "p90": _hours(r[6])} for r in rows if r[1]],
                         columns=["priority", "rank", "resolved", "p10", "p25", "median", "p75", "p90"])
    return frame.sort_values("rank", ascending=False).drop(columns="rank").reset_index(drop=True)


def resolution_by_category(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    res = filters.resolution
    rows = session.execute(
        select(Category.id, Category.name, func.count(res), percentile(res, 0.5))
        .join(Ticket, Ticket.category_id == Category.id)
        .where(in_range(Ticket.resolved_at, period.start, period.end), *filters.conditions())
        .group_by(Category.id, Category.name)).all()
    frame = pd.DataFrame([{"category_id": r[0], "category": r[1], "resolved": r[2], "median": _hours(r[3])}
                          for r in rows if r[2]], columns=["category_id", "category", "resolved", "median"])
    return frame.sort_values(["median", "category"], ascending=[False, True]).reset_index(drop=True)


# --- people --------------------------------------------------------------------------------

def per_agent(session: Session, period: Period, filters: TicketFilter, now: datetime) -> pd.DataFrame:
    """Per assignee: tickets raised in the period and assigned to them (with their first
    response), tickets they resolved in the period (with resolution time and SLA), and the
    satisfaction answers credited to them."""
    fr, res = filters.first_response, filters.resolution
    decided, met = first_response_decided(now)
    assigned = {r[0]: r for r in session.execute(
        select(Ticket.assignee_id, func.count(), percentile(fr, 0.5), count_where(decided), count_where(met))
        .where(in_range(Ticket.created_at, period.start, period.end), Ticket.assignee_id.is_not(None),
               *filters.conditions()).group_by(Ticket.assignee_id))}
    resolved = {r[0]: r for r in session.execute(
        select(Ticket.assignee_id, func.count(), percentile(res, 0.5), count_where(Ticket.resolution_due_at.is_not(None)),
               count_where(resolution_met()))
        .where(in_range(Ticket.resolved_at, period.start, period.end), Ticket.assignee_id.is_not(None),
               *filters.conditions()).group_by(Ticket.assignee_id))}
    rating_query = (_ratings(filters, SatisfactionRating.agent_id, func.count(SatisfactionRating.score),
                             count_where(SatisfactionRating.score >= 4), func.avg(SatisfactionRating.score))
                    .where(in_range(SatisfactionRating.requested_at, period.start, period.end),
                           SatisfactionRating.agent_id.is_not(None))
                    .group_by(SatisfactionRating.agent_id))
    ratings = {r[0]: r for r in session.execute(rating_query)}
    ids = set(assigned) | set(resolved) | set(ratings)
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
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

def _shifted_day_rows(period: Period):
    """Day buckets with their daylight-saving change: (i, lo, hi, shift_at, shift) where a
    timestamp at or after shift_at is `shift` seconds further from local midnight on the clock."""
    rows = []
    for i, (_, lo, hi) in enumerate(period.day_buckets()):
        offset_lo = lo.astimezone(period.zone).utcoffset()
        offset_hi = (hi - timedelta(microseconds=1)).astimezone(period.zone).utcoffset()
        shift_at, shift = hi, 0
        if offset_lo != offset_hi:  # find the hour the clocks change
            moment = lo
            while moment < hi and moment.astimezone(period.zone).utcoffset() == offset_lo:
                moment += timedelta(minutes=15)
            shift_at, shift = moment, int((offset_hi - offset_lo).total_seconds())
        rows.append((i, lo, hi, shift_at, shift))
    return rows


def arrivals_heatmap(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    """Tickets raised per local weekday (rows, Monday first) and hour of the day (columns 0-23)."""
    rows = _shifted_day_rows(period)
    weekday = {i: lo.astimezone(period.zone).weekday() for i, lo, *_ in rows}
    buckets = bucket_table(rows, name="days")
    clock_seconds = seconds_between(buckets.c.lo, Ticket.created_at) + case(
        (Ticket.created_at >= buckets.c.shift_at, buckets.c.shift), else_=0)
    hour = func.floor(clock_seconds / HOUR)
    grid = [[0] * 24 for _ in range(7)]
    for i, h, n in session.execute(
            select(buckets.c.i, hour, func.count()).select_from(buckets)
            .join(Ticket, and_(Ticket.created_at >= buckets.c.lo, Ticket.created_at < buckets.c.hi))
            .where(*filters.conditions()).group_by(buckets.c.i, hour)):
        grid[weekday[i]][min(23, max(0, int(h)))] += n
    return pd.DataFrame(grid, index=list(WEEKDAYS), columns=list(range(24)))


# --- breakdowns -----------------------------------------------------------------------------

def status_breakdown(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    """Tickets raised in the period, by where they stand now."""
    counts = dict(session.execute(
        select(Ticket.status, func.count()).where(in_range(Ticket.created_at, period.start, period.end),
                                                  *filters.conditions()).group_by(Ticket.status)).all())
    return pd.DataFrame([{"status": s.label, "tickets": counts.get(s, counts.get(s.value, 0))} for s in TicketStatus])


def category_breakdown(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    rows = session.execute(
        select(Category.id, Category.name, func.count(Ticket.id)).join(Ticket, Ticket.category_id == Category.id)
        .where(in_range(Ticket.created_at, period.start, period.end), *filters.conditions())
        .group_by(Category.id, Category.name)).all()
    frame = pd.DataFrame([{"category_id": r[0], "category": r[1], "tickets": r[2]} for r in rows],
                         columns=["category_id", "category", "tickets"])
    return frame.sort_values(["tickets", "category"], ascending=[False, True]).reset_index(drop=True)


# --- satisfaction ---------------------------------------------------------------------------

def _ratings(filters: TicketFilter, *columns, buckets=None, with_ticket: bool = False):
    """Answers not withdrawn (lapsed), joined to their bucket and ticket when asked or filtered."""
    query = select(*columns)
    if buckets is not None:
        query = query.select_from(buckets).join(SatisfactionRating, and_(
            SatisfactionRating.requested_at >= buckets.c.lo, SatisfactionRating.requested_at < buckets.c.hi))
    else:
        query = query.select_from(SatisfactionRating)
    if with_ticket or filters.category_ids or filters.priorities or filters.agent_ids:
        query = query.join(Ticket, Ticket.id == SatisfactionRating.ticket_id).where(
            *filters.conditions(agent_column=SatisfactionRating.agent_id))
    return query.where(SatisfactionRating.lapsed_at.is_(None))


def satisfaction_over_time(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    """Per bucket of the request date (the resolution): answers, average score, share 4-5."""
    buckets = bucket_table(_day_rows(period))
    query = _ratings(filters, buckets.c.i, func.count(SatisfactionRating.score), func.avg(SatisfactionRating.score),
                     count_where(SatisfactionRating.score >= 4), buckets=buckets).group_by(buckets.c.i)
    found = {r[0]: r for r in session.execute(query)}
    rows = []
    for i, (day, _, _) in enumerate(period.buckets()):
        n = int(found[i][1]) if i in found else 0
        rows.append({"start": day, "answers": n,
                     "average": float(found[i][2]) if n else None,
                     "share_4_5": int(found[i][3]) / n if n else None})
    return pd.DataFrame(rows, columns=["start", "answers", "average", "share_4_5"])


def satisfaction_by_first_response(session: Session, period: Period, filters: TicketFilter) -> pd.DataFrame:
    """Answers in the period, by how long the ticket waited for its first response."""
    fr = filters.first_response
    whens = [(fr < limit * HOUR, i) for i, (limit, _) in enumerate(FIRST_RESPONSE_BANDS) if limit]
    band = case(*whens, else_=len(FIRST_RESPONSE_BANDS) - 1)
    query = _ratings(filters, band, func.count(SatisfactionRating.score), func.avg(SatisfactionRating.score),
                     count_where(SatisfactionRating.score >= 4), with_ticket=True)
    query = query.where(in_range(SatisfactionRating.requested_at, period.start, period.end), fr.is_not(None)) \
        .group_by(band)
    found = {r[0]: r for r in session.execute(query)}
    rows = []
    for i, (_, label) in enumerate(FIRST_RESPONSE_BANDS):
        n = int(found[i][1]) if i in found else 0
        rows.append({"first_response": label, "answers": n, "average": float(found[i][2]) if n else None,
                     "share_4_5": int(found[i][3]) / n if n else None})
    return pd.DataFrame(rows, columns=["first_response", "answers", "average", "share_4_5"])
