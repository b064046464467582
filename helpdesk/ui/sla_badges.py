"""SLA state and ages as words an agent reads at a glance ("BREACHED 3h ago", "at risk: 45 min").

Plain text on purpose: the marker must be readable without colour (colour is only added
on top, by the pages), and it works the same in a table cell and in a sentence."""
from __future__ import annotations

from datetime import datetime, timedelta

from helpdesk.enums import SlaTarget
from helpdesk.sla.clock import SlaClock, SlaState


def duration_text(delta: timedelta) -> str:
    """A short human duration: '45 min', '3h 20 min', '2d 4h'. Negative counts as zero."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes} min" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def age_text(age: timedelta) -> str:
    """How old a ticket is, as precise as a queue needs: '35 min', '17h', '3d'."""
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return duration_text(age)
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def _done_at(ticket, clock: SlaClock) -> datetime | None:
    """When the clock's target was met (or the ticket resolved without it), if it was."""
    if clock.target == SlaTarget.FIRST_RESPONSE:
        return ticket.first_response_at or ticket.resolved_at
    return ticket.resolved_at


def sla_marker(ticket, clock: SlaClock, now: datetime) -> str:
    """The state of one SLA clock in words. `ticket` is a Ticket or a queue row."""
    due = clock.due_at
    if due is None:
        return "no target"
    done_at = _done_at(ticket, clock)
    if clock.state == SlaState.MET:
        return "met"
    if clock.state == SlaState.BREACHED:
        if done_at is not None:
            return f"BREACHED: done {duration_text(done_at - due)} late"
        return f"BREACHED {duration_text(now - due)} ago"
    if clock.state == SlaState.PAUSED:
        return "paused: waiting on customer"
    if clock.state == SlaState.AT_RISK:
        return f"at risk: {duration_text(due - now)} left"
    return f"due in {duration_text(due - now)}"


def queue_sla_text(row, now: datetime) -> str:
    """The queue's SLA cell: the state of the clock that matters now, short enough for a column
    (the Status column already says what a paused ticket waits for)."""
    marker = sla_marker(row, row.sla, now)
    return "paused" if row.sla.state == SlaState.PAUSED else marker


def sla_colour(clock: SlaClock) -> str:
    """The colour of a clock's badge, decided by its state (the words say the same): red when
    breached, orange at risk, green when met, gray otherwise."""
    if clock.state == SlaState.BREACHED:
        return "red"
    if clock.state == SlaState.AT_RISK:
        return "orange"
    return "green" if clock.state == SlaState.MET and clock.due_at is not None else "gray"


# The queue's SLA cell: only what is alarming is coloured.
_CELL_STYLES = {"red": "color: #b71c1c; font-weight: 600", "orange": "color: #9a4a00; font-weight: 600"}


def sla_cell_style(clock: SlaClock) -> str:
    return _CELL_STYLES.get(sla_colour(clock), "")
