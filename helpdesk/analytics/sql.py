"""SQL pieces the reports share: the ticket filter, a date range, a conditional count."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func

from helpdesk.enums import Priority
from helpdesk.models import Ticket


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets a report counts; empty means all. `business_time` picks the durations
    counted in business hours instead of calendar time."""

    category_ids: tuple[int, ...] = ()
    priorities: tuple[Priority, ...] = ()
    agent_ids: tuple[int, ...] = ()
    business_time: bool = False

    def conditions(self, agent_column=None) -> list:
        out = []
        if self.category_ids:
            out.append(Ticket.category_id.in_(self.category_ids))
        if self.priorities:
            out.append(Ticket.priority.in_(self.priorities))
        if self.agent_ids:
            out.append((agent_column if agent_column is not None else Ticket.assignee_id).in_(self.agent_ids))
        return out

    @property
    def first_response_values(self) -> str:
        """The report-cells column of first-response durations the filter counts in."""
        return "first_response_business_values" if self.business_time else "first_response_values"

    @property
    def resolution_values(self) -> str:
        return "resolution_business_values" if self.business_time else "resolution_values"

    @property
    def basis(self) -> str:
        """"business" or "calendar": the prefix of the rating cells' first-response bands."""
        return "business" if self.business_time else "calendar"


def in_range(column, start: datetime, end: datetime):
    return and_(column >= start, column < end)


def count_where(condition):
    """How many rows of the group meet `condition` (0, not NULL, for an empty group)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
