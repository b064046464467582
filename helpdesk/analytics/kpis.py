"""The headline figures of a period, each beside the same figure for the period before."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.analytics.cells import NO_DURATIONS, CellReader, percentiles_of
from helpdesk.analytics.period import Period
from helpdesk.analytics.sql import TicketFilter, in_range
from helpdesk.enums import OPEN_STATUSES
from helpdesk.models import Ticket, rating_cells, report_cells



def _share(part, whole) -> float | None:
    return None if not whole else part / whole


@dataclass(frozen=True)
class Kpis:
    created: int
    resolved: int
    backlog: int  # open at the end of the period
    first_response_median: float | None  # seconds
    first_response_p90: float | None
    responded: int  # tickets the first-response figures count
    resolution_median: float | None
    resolution_p90: float | None
    first_response_sla_met: int
    first_response_sla_decided: int
    resolution_sla_met: int
    resolution_sla_decided: int
    one_touch: int
    ever_resolved: int  # created in the period and resolved at least once (the reopen rate's base)
    reopened: int
    rated: int
    rating_requests: int
    rating_sum: int
    rated_4_or_5: int

    @property
    def first_response_sla(self) -> float | None:
        return _share(self.first_response_sla_met, self.first_response_sla_decided)

    @property
    def resolution_sla(self) -> float | None:
        return _share(self.resolution_sla_met, self.resolution_sla_decided)

    @property
    def one_touch_rate(self) -> float | None:
        return _share(self.one_touch, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        return _share(self.reopened, self.ever_resolved)

    @property
    def satisfaction_average(self) -> float | None:
        return _share(self.rating_sum, self.rated)

    @property
    def satisfaction_share_4_5(self) -> float | None:
        return _share(self.rated_4_or_5, self.rated)

    @property
    def satisfaction_response_rate(self) -> float | None:
        return _share(self.rated, self.rating_requests)


class Kind(StrEnum):
    """How a headline figure is measured (and so how it is shown and its change written)."""

    COUNT = "count"
    SECONDS = "seconds"
    SHARE = "share"
    SCORE = "score"


@dataclass(frozen=True)
class Headline:
    """One headline figure: the Kpis attribute, how it is measured, what it is called on its tile
    and in the workbook, which definition explains it, and whether lower is better."""

    attribute: str
    kind: Kind
    tile: str
    label: str
    definition: str
    lower_is_better: bool = False


HEADLINES = (
    Headline("created", Kind.COUNT, "Tickets created", "Tickets created", "created"),
    Headline("resolved", Kind.COUNT, "Tickets resolved", "Tickets resolved", "resolved"),
    Headline("backlog", Kind.COUNT, "Open backlog", "Open backlog", "backlog", lower_is_better=True),
    Headline("first_response_median", Kind.SECONDS, "First resp. median", "First response, median (h)",
             "first_response", lower_is_better=True),
    Headline("first_response_p90", Kind.SECONDS, "First resp. p90", "First response, p90 (h)", "first_response",
             lower_is_better=True),
    Headline("resolution_median", Kind.SECONDS, "Resolution median", "Resolution, median (h)", "resolution",
             lower_is_better=True),
    Headline("resolution_p90", Kind.SECONDS, "Resolution p90", "Resolution, p90 (h)", "resolution",
             lower_is_better=True),
    Headline("first_response_sla", Kind.SHARE, "First-resp. SLA met", "First-response SLA met",
             "first_response_sla"),
    Headline("resolution_sla", Kind.SHARE, "Resolution SLA met", "Resolution SLA met", "resolution_sla"),
    Headline("one_touch_rate", Kind.SHARE, "One-touch", "One-touch resolutions", "one_touch"),
    Headline("reopen_rate", Kind.SHARE, "Reopen rate", "Reopen rate", "reopen_rate", lower_is_better=True),
    Headline("satisfaction_share_4_5", Kind.SHARE, "Rated 4-5", "Satisfaction, rated 4-5", "satisfaction"),
    Headline("satisfaction_average", Kind.SCORE, "Average rating", "Satisfaction, average", "satisfaction"),
    Headline("satisfaction_response_rate", Kind.SHARE, "Rating response", "Satisfaction, response rate",
             "satisfaction"),
    Headline("rated", Kind.COUNT, "Ratings (n)", "Satisfaction, answers (n)", "satisfaction"),
)


def _totals(reader: CellReader, table, columns) -> dict[str, int]:
    return reader.sums(table, columns).get(None, dict.fromkeys(columns, 0))


def overdue_unanswered(session: Session, period: Period, filters: TicketFilter, now: datetime,
                       group_by=None) -> dict:
    """Tickets raised in the period still waiting for a first response past its target: a
    missed target from the moment it passes, so counted live (the cells hold what has happened).
    {assignee or None: count}."""
    group = [group_by] if group_by is not None else []
    query = (select(*group, func.count()).select_from(Ticket)
             .where(Ticket.status.in_(OPEN_STATUSES), Ticket.first_response_at.is_(None),
                    Ticket.first_response_due_at < now, in_range(Ticket.created_at, period.start, period.end),
                    *filters.conditions()))
    if group_by is not None:
        query = query.group_by(group_by)
    return {(row[0] if group else None): int(row[-1]) for row in session.execute(query) if row[-1]}


def created_figures(reader: CellReader, now: datetime) -> dict:
    totals = _totals(reader, report_cells, ("created", "first_response_decided", "first_response_met",
                                            "ever_resolved", "reopened"))
    overdue = overdue_unanswered(reader.session, reader.period, reader.filters, now).get(None, 0)
    first_response = reader.durations(reader.filters.first_response_values).get(None, NO_DURATIONS)
    median, p90 = percentiles_of(first_response, 0.5, 0.9)
    return {"created": totals["created"], "responded": len(first_response),
            "first_response_median": median, "first_response_p90": p90,
            "first_response_sla_decided": totals["first_response_decided"] + overdue,
            "first_response_sla_met": totals["first_response_met"],
            "ever_resolved": totals["ever_resolved"], "reopened": totals["reopened"]}


def resolved_figures(reader: CellReader) -> dict:
    totals = _totals(reader, report_cells, ("resolved", "resolution_decided", "resolution_met", "one_touch"))
    resolution = reader.durations(reader.filters.resolution_values).get(None, NO_DURATIONS)
    median, p90 = percentiles_of(resolution, 0.5, 0.9)
    return {"resolved": totals["resolved"], "resolution_median": median, "resolution_p90": p90,
            "resolution_sla_decided": totals["resolution_decided"], "resolution_sla_met": totals["resolution_met"],
            "one_touch": totals["one_touch"]}


def satisfaction_figures(reader: CellReader) -> dict:
    """Requests made in the period (at resolution), withdrawn ones (lapsed on reopening) left out."""
    totals = _totals(reader, rating_cells, ("requests", "rated", "score_sum", "happy"))
    return {"rating_requests": totals["requests"], "rated": totals["rated"], "rating_sum": totals["score_sum"],
            "rated_4_or_5": totals["happy"]}


def open_now(session: Session, filters: TicketFilter) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)
                          .where(Ticket.status.in_(OPEN_STATUSES), *filters.conditions())) or 0


def open_at(session: Session, filters: TicketFilter, moment: datetime, known_at: datetime, known_open: int) -> int:
    """Open at `moment`, from `known_open` tickets open at the later `known_at`: less what arrived
    in between, plus what was resolved in between. (A ticket reopened and still open counts as
    open since it was raised.) The nearer the known moment, the fewer tickets are counted."""
    if moment >= known_at:
        return known_open
    arrived = session.scalar(select(func.count()).select_from(Ticket).where(
        in_range(Ticket.created_at, moment, known_at), *filters.conditions())) or 0
    resolved = session.scalar(select(func.count()).select_from(Ticket).where(
        in_range(Ticket.resolved_at, moment, known_at), *filters.conditions())) or 0
    return known_open - arrived + resolved


def kpis(reader: CellReader, known_at: datetime, known_open: int) -> Kpis:
    """The headline figures of the reader's range; its end's backlog walked back from `known_open`
    tickets open at `known_at` (now, or the start of the range that follows)."""
    figures = {**created_figures(reader, reader.now), **resolved_figures(reader), **satisfaction_figures(reader),
               "backlog": open_at(reader.session, reader.filters, reader.period.end, known_at, known_open)}
    return Kpis(**{name: (int(value) if isinstance(value, int | bool) else value) for name, value in figures.items()})
