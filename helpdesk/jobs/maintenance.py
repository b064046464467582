"""Housekeeping run from cron (`python -m helpdesk maintenance`): close resolved tickets
nobody reopened within the configured number of days, and queue SLA alerts.

Idempotent: it only looks for tickets still resolved past the cut-off, so a second run
finds nothing. Safe next to the app and next to another run: each batch is its own
transaction, and a ticket someone changed meanwhile fails the version check and is
looked at again in the next batch instead of being overwritten."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from helpdesk import settings
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import ConflictError
from helpdesk.enums import TicketStatus
from helpdesk.models import Ticket
from helpdesk.sla.alerts import queue_sla_alerts
from helpdesk.tickets.lifecycle import flush_or_conflict, transition

BATCH_SIZE = 500


@dataclass
class MaintenanceReport:
    auto_close_days: int
    cutoff: datetime
    closed_ids: list[int] = field(default_factory=list)
    conflicts: int = 0  # batches retried because someone changed a ticket meanwhile
    sla_alerts: int = 0  # tickets whose SLA alert was queued by this run


def close_stale_resolved(*, session: Session, now: datetime, limit: int = BATCH_SIZE) -> list[int]:
    """Close up to `limit` tickets resolved before the cut-off, as the system (no actor).
    Uses the (status, resolved_at) index, so it costs the same on a million tickets."""
    cutoff = now - timedelta(days=settings.auto_close_days(session))
    query = (select(Ticket).where(Ticket.status == TicketStatus.RESOLVED, Ticket.resolved_at < cutoff)
             .order_by(Ticket.resolved_at, Ticket.id).limit(limit))
    closed = []
    for ticket in session.scalars(query):
        transition(session, ticket, None, TicketStatus.CLOSED)
        closed.append(ticket.id)
    flush_or_conflict(session)
    return closed


def run_maintenance(engine: Engine, *, now: datetime | None = None, batch_size: int = BATCH_SIZE,
                    max_conflicts: int = 10) -> MaintenanceReport:
    now = now or utcnow()
    with session_scope(engine) as session:
        days = settings.auto_close_days(session)
    report = MaintenanceReport(auto_close_days=days, cutoff=now - timedelta(days=days))
    while True:
        try:
            with session_scope(engine) as session:
                batch = close_stale_resolved(session=session, now=now, limit=batch_size)
        except ConflictError:
            report.conflicts += 1
            if report.conflicts > max_conflicts:
                raise
            continue
        report.closed_ids.extend(batch)
        if len(batch) < batch_size:
            break
    with session_scope(engine) as session:
        report.sla_alerts = queue_sla_alerts(session=session, now=now)
    return report
