"""Which tickets an analytics figure counts, as SQL conditions: one definition that the report's
aggregations and the queue's "show me those tickets" both use, so the two can never disagree."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, or_

from helpdesk.enums import OPEN_STATUSES
from helpdesk.models import FIRST_RESPONSE_BAND_HOURS, SatisfactionRating, Ticket


class TicketFigure(StrEnum):
    CREATED = "created"
    RESOLVED = "resolved"
    OPEN = "open"
    RESPONDED = "responded"
    FIRST_RESPONSE_MET = "first_response_met"
    FIRST_RESPONSE_MISSED = "first_response_missed"
    RESOLUTION_MET = "resolution_met"
    RESOLUTION_MISSED = "resolution_missed"
    ONE_TOUCH = "one_touch"
    REOPENED = "reopened"
    RATED = "rated"  # a satisfaction answer, by the day it was asked for (the resolution)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def dates(self) -> str:
        """Which date puts a ticket in the range: "created", "resolved", "rated" (when its rating
        was asked for), or "now" (none)."""
        if self == TicketFigure.OPEN:
            return "now"
        if self == TicketFigure.RATED:
            return "rated"
        if self in (TicketFigure.RESOLVED, TicketFigure.RESOLUTION_MET, TicketFigure.RESOLUTION_MISSED,
                    TicketFigure.ONE_TOUCH):
            return "resolved"
        return "created"


_LABELS = {
    TicketFigure.CREATED: "Raised", TicketFigure.RESOLVED: "Resolved", TicketFigure.OPEN: "Open now",
    TicketFigure.RESPONDED: "Answered (first response)",
    TicketFigure.FIRST_RESPONSE_MET: "First response within the SLA",
    TicketFigure.FIRST_RESPONSE_MISSED: "First response SLA missed",
    TicketFigure.RESOLUTION_MET: "Resolved within the SLA", TicketFigure.RESOLUTION_MISSED: "Resolution SLA missed",
    TicketFigure.ONE_TOUCH: "Resolved in one touch", TicketFigure.REOPENED: "Reopened",
    TicketFigure.RATED: "Rated by the customer",
}


def first_response_decided(now: datetime):
    """(decided, met) for a ticket's first-response target: decided once answered, resolved
    without an answer (the clock stopped), or overdue while unanswered."""
    done = func.coalesce(Ticket.first_response_at, Ticket.resolved_at)
    decided = and_(Ticket.first_response_due_at.is_not(None),
                   or_(done.is_not(None), Ticket.first_response_due_at < now))
    met = and_(decided, done.is_not(None), done <= Ticket.first_response_due_at)
    return decided, met


def resolution_met():
    return Ticket.resolved_at <= Ticket.resolution_due_at


def one_touch():
    return and_(Ticket.staff_reply_count == 1, Ticket.reopen_count == 0)


def local_hour_windows(since: datetime, until: datetime, weekday: int, hour: int,
                       zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The UTC stretches of [since, until) that are `hour` o'clock on a `weekday` (0 = Monday) on
    `zone`'s clocks: one per such day, an hour long (two when the clocks go back, none when that
    hour is skipped), as the arrivals heatmap counts them."""
    windows = []
    day = since.astimezone(zone).date()
    while (start := datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)) < until:
        if day.weekday() == weekday:
            # The next local hour's start: across a change of the clocks that is 0 or 2 hours later.
            nxt = datetime.combine(day, time(hour + 1), tzinfo=zone) if hour < 23 else \
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            lo, hi = max(start, since), min(nxt.astimezone(UTC), until)
            if lo < hi:
                windows.append((lo, hi))
        day += timedelta(days=1)
    return windows


def first_response_band_condition(band: int, business_time: bool):
    """First response in band `band` of FIRST_RESPONSE_BAND_HOURS (0: under the first limit; the
    last: at or over the last one), in business or calendar time."""
    seconds = Ticket.first_response_business_seconds if business_time else Ticket.first_response_seconds
    limits = [hours * 3600 for hours in FIRST_RESPONSE_BAND_HOURS]
    out = [seconds.is_not(None)]
    if band > 0:
        out.append(seconds >= limits[band - 1])
    if band < len(limits):
        out.append(seconds < limits[band])
    return and_(*out)


def _rated(since: datetime | None, until: datetime | None):
    """An answer not withdrawn, asked for in [since, until)."""
    r = SatisfactionRating
    conditions = [r.ticket_id == Ticket.id, r.score.is_not(None), r.lapsed_at.is_(None)]
    if since is not None:
        conditions.append(r.requested_at >= since)
    if until is not None:
        conditions.append(r.requested_at < until)
    return exists().where(*conditions)


def figure_conditions(figure: TicketFigure, since: datetime | None, until: datetime | None,
                      now: datetime, *, weekday: int | None = None, hour: int | None = None,
                      zone: ZoneInfo | None = None) -> list:
    """The tickets `figure` counts with its date in [since, until) (no bound where None); for the
    open tickets, whose date is "now", since and until bound when they were raised (an age band).
    With a weekday and an hour (and since and until), only the date's stretches at that hour of
    that weekday on `zone`'s clocks: one cell of the arrivals heatmap."""
    figure = TicketFigure(figure)
    if figure == TicketFigure.RATED:
        return [_rated(since, until)]
    conditions: list = []
    date_column = {"created": Ticket.created_at, "resolved": Ticket.resolved_at,
                   "now": Ticket.created_at}[figure.dates]
    if figure.dates == "resolved":
        conditions.append(Ticket.resolved_at.is_not(None))
    if since is not None:
        conditions.append(date_column >= since)
    if until is not None:
        conditions.append(date_column < until)
    if weekday is not None and hour is not None and since is not None and until is not None and zone is not None:
        windows = local_hour_windows(since, until, weekday, hour, zone)
        conditions.append(or_(*(and_(date_column >= lo, date_column < hi) for lo, hi in windows))
                          if windows else false())
    decided, met = first_response_decided(now)
    conditions += {
        TicketFigure.CREATED: [],
        TicketFigure.RESOLVED: [],
        TicketFigure.OPEN: [Ticket.status.in_(OPEN_STATUSES)],
        TicketFigure.RESPONDED: [Ticket.first_response_at.is_not(None)],
        TicketFigure.FIRST_RESPONSE_MET: [met],
        TicketFigure.FIRST_RESPONSE_MISSED: [decided, ~met],
        TicketFigure.RESOLUTION_MET: [Ticket.resolution_due_at.is_not(None), resolution_met()],
        TicketFigure.RESOLUTION_MISSED: [Ticket.resolution_due_at.is_not(None), ~resolution_met()],
        TicketFigure.ONE_TOUCH: [one_touch()],
        TicketFigure.REOPENED: [Ticket.reopen_count > 0],
    }[figure]
    return conditions
