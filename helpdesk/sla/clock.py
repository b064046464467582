"""SLA targets: due dates stored on the ticket so queues can sort and filter on them.

Clocks run around the clock unless an admin set business hours (see helpdesk.settings);
then only working time counts, both for the targets and for time spent waiting on the
customer (which never counts against resolution)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, object_session

from helpdesk.enums import Priority, SlaTarget, TicketStatus
from helpdesk.models import SlaPolicy, Ticket
from helpdesk.settings import BusinessHours, business_hours

DEFAULT_TARGETS_HOURS: dict[Priority, tuple[int, int]] = {
    Priority.URGENT: (1, 8),
    Priority.HIGH: (4, 24),
    Priority.NORMAL: (8, 72),
    Priority.LOW: (24, 120),
}
# "Breaching soon": a target due within this window is at risk.
AT_RISK_WINDOW = timedelta(hours=2)
# How far calendar walks look: ten years of days. A target that business hours can't hold
# within it (one minute on Mondays) is due at its end: not within ten years, and nothing fails.
_MAX_DAYS = 3660


def targets_for(session: Session, priority: Priority) -> tuple[int, int]:
    policy = session.get(SlaPolicy, priority)
    if policy is None:
        return DEFAULT_TARGETS_HOURS[priority]
    return policy.first_response_hours, policy.resolution_hours


# --- working-time arithmetic -------------------------------------------------------------

def _windows(start: datetime, hours: BusinessHours):
    """Working windows (UTC start, UTC end) from the day containing `start` onwards."""
    zone = hours.zone
    day = start.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in hours.weekdays:
            opens = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
            yield opens, closes
        day += timedelta(days=1)


def add_working_time(start: datetime, duration: timedelta, hours: BusinessHours | None) -> datetime:
    """The moment `duration` of working time after `start`."""
    if hours is None or duration <= timedelta(0):
        return start + max(duration, timedelta(0))
    remaining = duration
    for opens, closes in _windows(start, hours):
        begin = max(opens, start)
        if begin >= closes:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    return start + timedelta(days=_MAX_DAYS)


def working_time_between(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """How much working time lies between two moments (zero if end is not after start)."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    total = timedelta(0)
    for opens, closes in _windows(start, hours):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def _calendar(session: Session | None) -> BusinessHours | None:
    return business_hours(session) if session is not None else None


# --- due dates --------------------------------------------------------------------------

def apply_targets(session: Session, ticket: Ticket, paused: timedelta = timedelta(0)) -> None:
    """(Re)compute both due dates from the creation time, the priority's policy and the
    working time spent waiting on the customer so far (which does not count against resolution)."""
    calendar = _calendar(session)
    first_hours, resolution_hours = targets_for(session, ticket.priority)
    ticket.first_response_due_at = add_working_time(ticket.created_at, timedelta(hours=first_hours), calendar)
    ticket.resolution_due_at = add_working_time(ticket.created_at, timedelta(hours=resolution_hours) + paused,
                                                calendar)


def reapply_targets(session: Session, ticket: Ticket, old_priority: Priority) -> None:
    """After a priority change: new targets from the creation time, keeping the waiting time
    already credited (the gap between the old target and the stored resolution due date)."""
    calendar = _calendar(session)
    paused = timedelta(0)
    if ticket.resolution_due_at is not None:
        _, old_resolution_hours = targets_for(session, old_priority)
        unpaused_due = add_working_time(ticket.created_at, timedelta(hours=old_resolution_hours), calendar)
        paused = working_time_between(unpaused_due, ticket.resolution_due_at, calendar)
    apply_targets(session, ticket, paused)


def pause(ticket: Ticket, now: datetime) -> None:
    if ticket.waiting_since is None:
        ticket.waiting_since = now


def resume(ticket: Ticket, now: datetime) -> None:
    """Push the resolution target back by the working time spent waiting on the customer."""
    if ticket.waiting_since is not None:
        if ticket.resolution_due_at is not None:
            calendar = _calendar(object_session(ticket))
            waited = working_time_between(ticket.waiting_since, now, calendar)
            ticket.resolution_due_at = add_working_time(ticket.resolution_due_at, waited, calendar)
        ticket.waiting_since = None


# --- breach state -----------------------------------------------------------------------

class SlaState(StrEnum):
    """Where one SLA clock stands; what the pages colour comes from this, never from the words."""

    OK = "ok"
    AT_RISK = "at_risk"  # due within AT_RISK_WINDOW
    BREACHED = "breached"  # missed (or met late)
    PAUSED = "paused"  # waiting on the customer: the resolution clock is stopped
    MET = "met"

    @property
    def label(self) -> str:
        return {"ok": "On track", "at_risk": "At risk", "breached": "Breached",
                "paused": "Paused", "met": "Met"}[self.value]


@dataclass(frozen=True)
class SlaClock:
    target: SlaTarget
    due_at: datetime | None
    state: SlaState


def _running_state(due_at: datetime | None, now: datetime) -> SlaState:
    if due_at is None:
        return SlaState.OK
    if now > due_at:
        return SlaState.BREACHED
    return SlaState.AT_RISK if due_at - now <= AT_RISK_WINDOW else SlaState.OK


def _done_state(done_at: datetime, due_at: datetime | None) -> SlaState:
    return SlaState.BREACHED if due_at is not None and done_at > due_at else SlaState.MET


def first_response_clock(ticket, now: datetime) -> SlaClock:
    """Works on a Ticket or anything with the same SLA attributes (a queue row)."""
    due = ticket.first_response_due_at
    if ticket.first_response_at is not None:
        state = _done_state(ticket.first_response_at, due)
    elif ticket.resolved_at is not None:
        state = _done_state(ticket.resolved_at, due)  # resolved without a reply: the clock stopped
    else:
        state = _running_state(due, now)
    return SlaClock(SlaTarget.FIRST_RESPONSE, due, state)


def resolution_clock(ticket, now: datetime) -> SlaClock:
    due = ticket.resolution_due_at
    if ticket.resolved_at is not None:
        state = _done_state(ticket.resolved_at, due)
    elif ticket.status == TicketStatus.WAITING_ON_CUSTOMER or ticket.waiting_since is not None:
        paused_at = ticket.waiting_since or now
        state = SlaState.BREACHED if due is not None and paused_at > due else SlaState.PAUSED
    else:
        state = _running_state(due, now)
    return SlaClock(SlaTarget.RESOLUTION, due, state)


def current_clock(ticket, now: datetime) -> SlaClock:
    """The target that matters now: first response until there is one, then resolution."""
    if ticket.first_response_at is None and ticket.resolved_at is None:
        return first_response_clock(ticket, now)
    return resolution_clock(ticket, now)
