"""SLA alerts from the maintenance job: the assignee and the admins hear once when a target
is at risk (due within 2 hours) and once when it is missed.

Tickets that already have their alert are excluded in SQL (NOT EXISTS on the outbox), so a
run costs one indexed query per target and kind however large the backlog. Breaches older
than MISSED_LOOKBACK are not announced: they are in the queue's "Breaching soon" view
already, and a first run on an old backlog must not flood everyone's inbox."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from helpdesk.enums import RUNNING_CLOCK_STATUSES, OutboxEvent, SlaTarget
from helpdesk.models import OutboxMessage, Ticket
from helpdesk.notifications.outbox import notify_sla_risk
from helpdesk.sla.clock import AT_RISK_WINDOW

MISSED_LOOKBACK = timedelta(hours=24)


def _tickets_needing_alert(session: Session, *, now: datetime, target: SlaTarget, missed: bool, limit: int):
    due = Ticket.first_response_due_at if target == SlaTarget.FIRST_RESPONSE else Ticket.resolution_due_at
    window = (due > now - MISSED_LOOKBACK, due <= now) if missed else (due > now, due <= now + AT_RISK_WINDOW)
    # Waiting on the customer pauses the clocks, so those tickets are not alerted.
    query = select(Ticket).where(Ticket.status.in_(RUNNING_CLOCK_STATUSES), *window)
    if target == SlaTarget.FIRST_RESPONSE:
        query = query.where(Ticket.first_response_at.is_(None))
    already_alerted = exists().where(OutboxMessage.ticket_id == Ticket.id,
                                     OutboxMessage.event == OutboxEvent.sla_alert(missed=missed, target=target).value)
    return session.scalars(query.where(~already_alerted).order_by(due, Ticket.id).limit(limit))


def queue_sla_alerts(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Queue the alerts that are due now; returns how many tickets were alerted."""
    alerted = 0
    for target in SlaTarget:
        for missed in (True, False):
            for ticket in _tickets_needing_alert(session, now=now, target=target, missed=missed, limit=limit):
                notify_sla_risk(session=session, ticket=ticket, missed=missed, target=target)
                alerted += 1
    session.flush()
    return alerted
