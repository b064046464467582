"""The headline figures of a period, each beside the same figure for the period before."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from helpdesk.analytics.period import Period
from helpdesk.analytics.sql import TicketFilter, count_where, in_range
from helpdesk.core.percentile import percentile
from helpdesk.enums import OPEN_STATUSES
from helpdesk.models import SatisfactionRating, Ticket
from helpdesk.tickets.figures import first_response_decided, one_touch, resolution_met


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


def created_figures(session: Session, period: Period, filters: TicketFilter, now: datetime) -> dict:
    decided, met = first_response_decided(now)
    fr = filters.first_response
    row = session.execute(
        select(func.count().label("created"),
               func.count(fr).label("responded"),
               percentile(fr, 0.5).label("first_response_median"),
               percentile(fr, 0.9).label("first_response_p90"),
               count_where(decided).label("first_response_sla_decided"),
               count_where(met).label("first_response_sla_met"),
               count_where(or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0)).label("ever_resolved"),
               count_where(Ticket.reopen_count > 0).label("reopened"))
        .where(in_range(Ticket.created_at, period.start, period.end), *filters.conditions())).one()
    return dict(row._mapping)


def resolved_figures(session: Session, period: Period, filters: TicketFilter) -> dict:
    res = filters.resolution
    row = session.execute(
        select(func.count().label("resolved"),
               percentile(res, 0.5).label("resolution_median"),
               percentile(res, 0.9).label("resolution_p90"),
               count_where(Ticket.resolution_due_at.is_not(None)).label("resolution_sla_decided"),
               count_where(resolution_met()).label("resolution_sla_met"),
               count_where(one_touch()).label("one_touch"))
        .where(in_range(Ticket.resolved_at, period.start, period.end), *filters.conditions())).one()
    return dict(row._mapping)


def satisfaction_figures(session: Session, period: Period, filters: TicketFilter) -> dict:
    """Requests made in the period (at resolution), withdrawn ones (lapsed on reopening) left out."""
    query = (select(func.count().label("rating_requests"),
                    func.count(SatisfactionRating.score).label("rated"),
                    func.coalesce(func.sum(SatisfactionRating.score), 0).label("rating_sum"),
                    count_where(SatisfactionRating.score >= 4).label("rated_4_or_5"))
             .where(in_range(SatisfactionRating.requested_at, period.start, period.end),
                    SatisfactionRating.lapsed_at.is_(None)))
    if filters.category_ids or filters.priorities or filters.agent_ids:
        query = query.join(Ticket, Ticket.id == SatisfactionRating.ticket_id).where(
            *filters.conditions(agent_column=SatisfactionRating.agent_id))
    return dict(session.execute(query).one()._mapping)


def open_now(session: Session, filters: TicketFilter) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)
                          .where(Ticket.status.in_(OPEN_STATUSES), *filters.conditions())) or 0


def open_at(session: Session, filters: TicketFilter, moment: datetime, now: datetime, backlog_now: int) -> int:
    """Open at `moment`: open now, less what arrived since, plus what was resolved since. (A
    ticket reopened and still open counts as open since it was raised.)"""
    if moment >= now:
        return backlog_now
    arrived = session.scalar(select(func.count()).select_from(Ticket).where(
        in_range(Ticket.created_at, moment, now), *filters.conditions())) or 0
    resolved = session.scalar(select(func.count()).select_from(Ticket).where(
        in_range(Ticket.resolved_at, moment, now), *filters.conditions())) or 0
    return backlog_now - arrived + resolved


def kpis(session: Session, period: Period, filters: TicketFilter, now: datetime, backlog_now: int) -> Kpis:
    figures = {**created_figures(session, period, filters, now), **resolved_figures(session, period, filters),
               **satisfaction_figures(session, period, filters),
               "backlog": open_at(session, filters, period.end, now, backlog_now)}
    return Kpis(**{name: (int(value) if isinstance(value, int | bool) else value) for name, value in figures.items()})
