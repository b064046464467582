"""Reading the report cells (helpdesk.tickets.report_cells): sums over a range's local days and
the durations its percentiles come from, each split by a key column when asked.

The cells hold whole days in the report zone. A range that cuts a day (the previous range of one
that ends now ends at the same time of day) counts that part from the tickets themselves in SQL,
under the same definitions that fill the cells."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.orm import Session

from helpdesk.analytics.period import Period, local_midnight
from helpdesk.analytics.sql import TicketFilter, count_where, in_range
from helpdesk.models import SatisfactionRating, Ticket, rating_cells, report_cells
from helpdesk.tickets.figures import one_touch, resolution_met
from helpdesk.tickets.report_cells import COUNTS, KEYS, NO_ONE, VALUE_DTYPE


NO_DURATIONS = np.array([], dtype=VALUE_DTYPE)  # what a group without any reads as


def percentiles_of(values: np.ndarray, *fractions: float) -> list[float | None]:
    """PostgreSQL's percentile_cont at each fraction: linear between the two nearest ranks; None
    for no values. One partial sort for all of them."""
    if len(values) == 0:
        return [None] * len(fractions)
    return [float(v) for v in np.percentile(values, [f * 100 for f in fractions], method="linear")]


# What a cut day adds, counted from the tickets in SQL: the figures the previous range's KPIs read.
# The same definitions as ticket_parts / rating_parts, checked against pandas by the tests.
def _tail_ticket_sums(start: datetime, end: datetime) -> dict:
    raised = in_range(Ticket.created_at, start, end)
    resolved = in_range(Ticket.resolved_at, start, end)
    done = func.coalesce(Ticket.first_response_at, Ticket.resolved_at)
    decided = and_(raised, Ticket.first_response_due_at.is_not(None), done.is_not(None))
    return {
        "created": count_where(raised),
        "first_response_decided": count_where(decided),
        "first_response_met": count_where(and_(decided, done <= Ticket.first_response_due_at)),
        "ever_resolved": count_where(and_(raised, or_(Ticket.resolved_at.is_not(None), Ticket.reopen_count > 0))),
        "reopened": count_where(and_(raised, Ticket.reopen_count > 0)),
        "resolved": count_where(resolved),
        "resolution_decided": count_where(and_(resolved, Ticket.resolution_due_at.is_not(None))),
        "resolution_met": count_where(and_(resolved, resolution_met())),
        "one_touch": count_where(and_(resolved, one_touch())),
    }


_TAIL_RATING_SUMS = {
    "requests": func.count(),
    "rated": func.count(SatisfactionRating.score),
    "score_sum": func.coalesce(func.sum(SatisfactionRating.score), 0),
    "happy": count_where(SatisfactionRating.score >= 4),
}
_TAIL_VALUES = {  # values column -> (duration, the date that puts it in the tail)
    "first_response_values": (Ticket.first_response_seconds, Ticket.created_at),
    "first_response_business_values": (Ticket.first_response_business_seconds, Ticket.created_at),
    "resolution_values": (Ticket.resolution_seconds, Ticket.resolved_at),
    "resolution_business_values": (Ticket.resolution_business_seconds, Ticket.resolved_at),
}


class CellReader:
    """One range's cells, filtered. Whole days come from the cells; a cut day from the tickets
    (only the headline figures are asked of a range that cuts one: the previous range)."""

    def __init__(self, session: Session, period: Period, filters: TicketFilter, now: datetime) -> None:
        self.session, self.period, self.filters, self.now = session, period, filters, now
        self.first: date = period.first
        self.last: date = period.last
        self.tail: tuple[datetime, datetime] | None = None
        cut = period.end.astimezone(period.zone).time() != time(0)
        if cut and period.end < now:
            self.last = period.last - timedelta(days=1)
            self.tail = (local_midnight(period.last, period.zone), period.end)
        self._durations: dict[str, _Durations] = {}
        self._sums: dict[tuple[str, str | None], dict] = {}

    def _conditions(self, table: Table) -> list:
        f, c = self.filters, table.c
        out = [c.day >= self.first, c.day <= self.last]
        if f.category_ids:
            out.append(c.category_id.in_(f.category_ids))
        if f.priorities:
            out.append(c.priority.in_([p.value for p in f.priorities]))
        if f.agent_ids:
            out.append(c[KEYS[table.name][3]].in_(f.agent_ids))
        return out

    def _tail_sums(self, table: Table, columns: Sequence[str]) -> dict[str, int]:
        start, end = self.tail
        if table is report_cells:
            expressions = _tail_ticket_sums(start, end)
            query = select(*(expressions[c] for c in columns)).select_from(Ticket).where(
                or_(in_range(Ticket.created_at, start, end), in_range(Ticket.resolved_at, start, end)),
                *self.filters.conditions())
        else:
            query = (select(*(_TAIL_RATING_SUMS[c] for c in columns)).select_from(SatisfactionRating)
                     .join(Ticket, Ticket.id == SatisfactionRating.ticket_id)
                     .where(in_range(SatisfactionRating.requested_at, start, end),
                            SatisfactionRating.lapsed_at.is_(None),
                            *self.filters.conditions(agent_column=SatisfactionRating.agent_id)))
        return dict(zip(columns, map(int, self.session.execute(query).one()), strict=True))

    def _all_sums(self, table: Table, group_by: str | None) -> dict:
        """Every count column summed per group, read once per reader and grouping: one scan of the
        cells serves all the figures split that way (a few more sums cost less than another scan)."""
        if (table.name, group_by) not in self._sums:
            columns = COUNTS[table.name]
            out: dict = {}
            if self.first <= self.last:
                group = [table.c[group_by]] if group_by else []
                query = select(*group, *(func.coalesce(func.sum(table.c[c]), 0) for c in columns),
                               func.count()).where(*self._conditions(table))
                if group_by:
                    query = query.group_by(table.c[group_by])
                for row in self.session.execute(query):
                    if row[-1]:  # an ungrouped sum over no cells still returns one row
                        out[row[0] if group_by else None] = dict(zip(columns, map(int, row[len(group):-1]),
                                                                     strict=True))
            self._sums[(table.name, group_by)] = out
        return self._sums[(table.name, group_by)]

    def sums(self, table: Table, columns: Sequence[str], group_by: str | None = None) -> dict:
        """{group: {column: sum}} (group None when not split); groups with no cell are absent."""
        out = {g: {c: totals[c] for c in columns} for g, totals in self._all_sums(table, group_by).items()}
        if self.tail is not None:
            if group_by is not None:
                raise ValueError("a range that cuts a day is read for its headline figures only")
            totals = out.setdefault(None, dict.fromkeys(columns, 0))
            for c, n in self._tail_sums(table, columns).items():
                totals[c] += n
        return out

    def _cells_of(self, column: str) -> _Durations:
        """The durations of every cell of the range. One read per reader fetches the first-response
        and the resolution durations the filter counts in (the report wants both)."""
        if column not in self._durations:
            names = list(dict.fromkeys((column, self.filters.first_response_values, self.filters.resolution_values)))
            c = report_cells.c
            rows = self.session.execute(select(c.category_id, c.priority, c.assignee_id, *(c[n] for n in names))
                                        .where(*self._conditions(report_cells))).all() if self.first <= self.last else []
            keys = {key: np.array([row[i] for row in rows], dtype=object if key == "priority" else np.int64)
                    for i, key in enumerate(KEYS[report_cells.name][1:])}
            for i, name in enumerate(names, start=3):
                blobs = [row[i] for row in rows]
                tail = NO_DURATIONS
                if self.tail is not None:
                    duration, moment = _TAIL_VALUES[name]
                    tail = np.asarray(self.session.scalars(select(duration).where(
                        in_range(moment, *self.tail), duration.is_not(None), *self.filters.conditions())).all(),
                        dtype=VALUE_DTYPE)
                # One buffer for all cells, and how many values each cell holds: no array per cell.
                self._durations[name] = _Durations(
                    values=np.frombuffer(b"".join(blobs), dtype=VALUE_DTYPE),
                    counts=np.fromiter((len(b) for b in blobs), dtype=np.int64, count=len(blobs)) // 8,
                    keys=keys, tail=tail)
        return self._durations[column]

    def durations(self, column: str, group_by: str | None = None) -> dict:
        """{group: float64 array} of the stored durations in `column` (a report_cells values column)."""
        if group_by is not None and self.tail is not None:
            raise ValueError("a range that cuts a day is read for its headline figures only")
        cells = self._cells_of(column)
        if group_by is None:
            everything = np.concatenate([cells.values, cells.tail])
            return {None: everything} if len(everything) or len(cells.counts) else {}
        if not len(cells.counts):
            return {}
        # Each value gets its cell's group as a small integer, so one radix sort lines them up.
        groups, codes = np.unique(cells.keys[group_by], return_inverse=True)
        value_codes = np.repeat(codes.astype(np.int16 if len(groups) < 2**15 else np.int32), cells.counts)
        in_order = cells.values[np.argsort(value_codes, kind="stable")]
        ends = np.cumsum(np.bincount(value_codes, minlength=len(groups)))
        return dict(zip(groups.tolist(), np.split(in_order, ends[:-1]), strict=True))


@dataclass(frozen=True)
class _Durations:
    values: np.ndarray  # every cell's durations, one after the other
    counts: np.ndarray  # how many of them each cell holds
    keys: dict[str, np.ndarray]  # each cell's category_id, priority, assignee_id
    tail: np.ndarray  # a cut day's durations, counted live


def real(groups: dict) -> dict:
    """The groups that stand for someone (drops the "no assignee" / "no agent" key)."""
    return {g: v for g, v in groups.items() if g != NO_ONE}
