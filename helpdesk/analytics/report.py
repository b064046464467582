"""The whole analytics view in one call, checked for who may see it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from helpdesk.access import ensure_reports_reader
from helpdesk.analytics import charts
from helpdesk.analytics.cells import CellReader
from helpdesk.analytics.forecast import Forecast, forecast
from helpdesk.analytics.kpis import Kpis, kpis, open_now
from helpdesk.analytics.period import Period
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.clock import utcnow
from helpdesk.models import User
from helpdesk.settings import metrics_pending, report_cells_pending, report_zone


@dataclass(frozen=True)
class Report:
    period: Period
    previous_period: Period
    filters: TicketFilter
    now: datetime
    current: Kpis
    previous: Kpis
    volume: pd.DataFrame
    backlog_by_age: pd.DataFrame
    resolution_by_priority: pd.DataFrame
    resolution_by_category: pd.DataFrame
    per_agent: pd.DataFrame
    arrivals: pd.DataFrame
    statuses: pd.DataFrame
    categories: pd.DataFrame
    satisfaction_over_time: pd.DataFrame
    satisfaction_by_first_response: pd.DataFrame
    forecast: Forecast
    # True on an upgraded install until `rebuild-metrics` ran: older tickets have no durations
    # yet, or are in no report cell yet.
    metrics_pending: bool = False

    @property
    def is_empty(self) -> bool:
        """Nothing raised, resolved or rated in the range (the backlog may still hold tickets)."""
        c = self.current
        return c.created == 0 and c.resolved == 0 and c.rating_requests == 0


def build_report(*, session: Session, actor: User | None, period: Period, filters: TicketFilter,
                 now: datetime | None = None) -> Report:
    ensure_reports_reader(actor)
    now = now or utcnow()
    if period.zone.key != report_zone(session).key:
        # The cells count local days of the report zone; a range of other days can't be read from them.
        raise ValueError(f"a report range is in the report zone {report_zone(session).key}, not {period.zone.key}")
    backlog_now = open_now(session, filters)
    reader = CellReader(session, period, filters, now)
    current = kpis(reader, now, backlog_now)
    previous_period = period.previous()
    # Open when this range began: its end's backlog less what it added; the previous range's end is
    # at most a day before that, so its backlog counts few tickets live.
    open_at_start = current.backlog - current.created + current.resolved
    previous = kpis(CellReader(session, previous_period, filters, now), period.start, open_at_start)
    days = (period.end - period.start).total_seconds() / 86400
    return Report(
        period=period, previous_period=previous_period, filters=filters, now=now,
        current=current, previous=previous,
        volume=charts.volume(reader, current.backlog),
        backlog_by_age=charts.backlog_by_age(session, filters, now),
        resolution_by_priority=charts.resolution_by_priority(reader),
        resolution_by_category=charts.resolution_by_category(reader),
        per_agent=charts.per_agent(reader),
        arrivals=charts.arrivals_heatmap(reader),
        statuses=charts.status_breakdown(reader),
        categories=charts.category_breakdown(reader),
        satisfaction_over_time=charts.satisfaction_over_time(reader),
        satisfaction_by_first_response=charts.satisfaction_by_first_response(reader),
        forecast=forecast(backlog_now=backlog_now, created=current.created, resolved=current.resolved, days=days),
        metrics_pending=metrics_pending(session) or report_cells_pending(session),
    )
