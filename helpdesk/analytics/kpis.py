"""The headline figures of a period, each beside the same figure for the period before."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from helpdesk.analytics.period import Period
from helpdesk.analytics.sql import TicketFilter, in_range
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


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def created_figures(session: Session, period: Period, filters: TicketFilter, now: datetime) -> dict:
    decided, met = first_response_decided(now)
    fr = filters.first_response
    row = session.execute(
        select(func.count().label("created"),
               func.count(fr).label("responded"),
               percentile(fr, 0.5).label("first_response_median"),
               percentile(fr, 0.9).label("first_response_p90"),
               _count(decided).label("first_response_sla_decided"),
               _count(met).label("first_response_sla_met"),
               _count(or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0)).label("ever_resolved"),
               _count(Ticket.reopen_count > 0).label("reopened"))
        .where(in_range(Ticket.created_at, period.start, period.end), *filters.conditions())).one()
    return dict(row._mapping)


def resolved_figures(session: Session, period: Period, filters: TicketFilter) -> dict:
    res = filters.resolution
    row = session.execute(
        select(func.count().label("resolved"),
               percentile(res, 0.5).label("resolution_median"),
               percentile(res, 0.9).label("resolution_p90"),
               _count(Ticket.resolution_due_at.is_not(None)).label("resolution_sla_decided"),
               _count(resolution_met()).label("resolution_sla_met"),
               _count(one_touch()).label("one_touch"))
        .where(in_range(Ticket.resolved_at, period.start, period.end), *filters.conditions())).one()
    return dict(row._mapping)


def satisfaction_figures(session: Session, period: Period, filters: TicketFilter) -> dict:
    """Requests made in the period (at resolution), withdrawn ones (lapsed on reopening) left out."""
    query = (select(func.count().label("rating_requests"),
                    func.count(SatisfactionRating.score).label("rated"),
                    func.coalesce(func.sum(SatisfactionRating.score), 0).label("rating_sum"),
                    _count(SatisfactionRating.score >= 4).label("rated_4_or_5"))
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
