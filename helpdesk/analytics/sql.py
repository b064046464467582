"""SQL pieces the reports share: the ticket filter, a list of time buckets as a table, and
seconds between two timestamps, portable between SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Integer, and_, case, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from helpdesk.enums import Priority
from helpdesk.models import Ticket, UTCDateTime


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


def bucket_table(rows: Sequence[tuple[int, datetime, datetime, datetime, int]], name: str = "buckets"):
    """(index, UTC start, UTC end, shift_at, shift seconds) rows as a subquery with columns
    i, lo, hi, shift_at, shift. One compound SELECT: SQLite has no column names for VALUES."""
    parts = [select(literal(i, Integer()).label("i"), literal(lo, UTCDateTime()).label("lo"),
                    literal(hi, UTCDateTime()).label("hi"), literal(shift_at, UTCDateTime()).label("shift_at"),
                    literal(shift, Integer()).label("shift"))
             for i, lo, hi, shift_at, shift in rows]
    if len(parts) == 1:
        return parts[0].subquery(name)
    return union_all(*parts).subquery(name)


class seconds_between(FunctionElement):  # noqa: N801  (reads like the SQL it stands for)
    """later - earlier in seconds, as a float."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw) -> str:
    earlier, later = element.clauses.clauses
    return f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw) -> str:
    # julianday is a float of days: ten hours come back as 35999.9999995 s, which floor() would put
    # in the hour before. Rounded to the millisecond, whole hours stay whole.
    earlier, later = element.clauses.clauses
    return (f"round((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"
            " * 86400.0, 3)")
