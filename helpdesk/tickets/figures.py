"""Which tickets an analytics figure counts, as SQL conditions: one definition that the report's
aggregations and the queue's "show me those tickets" both use, so the two can never disagree."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, func, or_

from helpdesk.enums import OPEN_STATUSES
from helpdesk.models import Ticket


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

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def dates(self) -> str:
        """Which date puts a ticket in the range: "created", "resolved", or "now" (none)."""
        if self == TicketFigure.OPEN:
            return "now"
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


def figure_conditions(figure: TicketFigure, since: datetime | None, until: datetime | None,
                      now: datetime) -> list:
    """The tickets `figure` counts with its date in [since, until) (no bound where None); for the
    open tickets, whose date is "now", since and until bound when they were raised (an age band)."""
    figure = TicketFigure(figure)
    conditions: list = []
    date_column = {"created": Ticket.created_at, "resolved": Ticket.resolved_at,
                   "now": Ticket.created_at}[figure.dates]
    if figure.dates == "resolved":
        conditions.append(Ticket.resolved_at.is_not(None))
    if since is not None:
        conditions.append(date_column >= since)
    if until is not None:
        conditions.append(date_column < until)
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
