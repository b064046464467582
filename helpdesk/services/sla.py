"""SLA targets: due dates stored on the ticket so queues can sort and filter on them."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from helpdesk.enums import Priority
from helpdesk.models import SlaPolicy, Ticket

DEFAULT_TARGETS_HOURS: dict[Priority, tuple[int, int]] = {
    Priority.URGENT: (1, 8),
    Priority.HIGH: (4, 24),
    Priority.NORMAL: (8, 72),
    Priority.LOW: (24, 120),
}


def targets_for(session: Session, priority: Priority) -> tuple[int, int]:
    policy = session.get(SlaPolicy, priority)
    if policy is None:
        return DEFAULT_TARGETS_HOURS[priority]
    return policy.first_response_hours, policy.resolution_hours


def apply_targets(session: Session, ticket: Ticket, paused: timedelta = timedelta(0)) -> None:
    """(Re)compute both due dates from the creation time, the priority's policy and the
    time spent waiting on the customer so far (which does not count against resolution)."""
    first_hours, resolution_hours = targets_for(session, ticket.priority)
    ticket.first_response_due_at = ticket.created_at + timedelta(hours=first_hours)
    ticket.resolution_due_at = ticket.created_at + timedelta(hours=resolution_hours) + paused


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.waiting_since is None:
        ticket.waiting_since = now


def resume(ticket: Ticket, now: datetime) -> None:
    """Push the resolution target back by the time spent waiting on the customer."""
    if ticket.waiting_since is not None:
        if ticket.resolution_due_at is not None:
            ticket.resolution_due_at += now - ticket.waiting_since
        ticket.waiting_since = None
