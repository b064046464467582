"""The report cells (the analytics rollup): what each ticket and each satisfaction request adds
to the cells of its day, kept current as tickets change and rebuilt from the tickets on demand.

A ticket adds to two cells: the one of the local day it was raised (counted, its first response,
its status now, the hour it arrived) and, once resolved, the one of the day it was resolved
(its resolution time and SLA, one touch). A rating request adds to the rating cell of the day it
was asked for. One pair of functions (`ticket_parts`, `rating_parts`) says what goes where, and
all three ways cells are written use it:
- the flush listener: every ORM change of a ticket or a rating, as a delta (what the row added
  before is taken out of its old cells, what it adds now goes into its new ones);
- `rebuild`: every ticket and rating from scratch (`python -m helpdesk rebuild-metrics`).
Days and hours are local to the report zone (the business-hours zone); changing that zone
rebuilds the cells in the same transaction."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, zip_longest
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Table, and_, delete, event, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import (
    FIRST_RESPONSE_BAND_HOURS,
    REPORT_HOURS,
    RATING_CELL_COUNTS,
    REPORT_CELL_COUNTS,
    REPORT_CELL_VALUES,
    AppSetting,
    SatisfactionRating,
    Ticket,
    rating_cells,
    report_cells,
)
from helpdesk.settings import (BUSINESS_HOURS, REPORT_CELLS_PENDING, BusinessHours, clear_report_cells_pending,
                               report_zone)

NO_ONE = 0  # the key of "no assignee" / "no agent credited"
VALUE_DTYPE = "<f8"
REBUILD_BATCH = 250_000  # rows per chunk of a rebuild

TICKET_FIELDS = ("created_at", "category_id", "priority", "assignee_id", "status", "resolved_at",
                 "first_response_at", "first_response_due_at", "resolution_due_at", "first_response_seconds",
                 "first_response_business_seconds", "resolution_seconds", "resolution_business_seconds",
                 "reopen_count", "staff_reply_count")
RATING_FIELDS = ("ticket_id", "requested_at", "agent_id", "score", "lapsed_at")
# Ticket facts a rating's cell depends on: moving them moves the ticket's ratings too.
RATING_TICKET_FIELDS = ("category_id", "priority", "first_response_seconds", "first_response_business_seconds")


class TicketFacts(NamedTuple):
    created_at: datetime
    category_id: int | None
    priority: Priority | str
    assignee_id: int | None
    status: TicketStatus | str
    resolved_at: datetime | None
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_seconds: int | None
    first_response_business_seconds: int | None
    resolution_seconds: int | None
    resolution_business_seconds: int | None
    reopen_count: int
    staff_reply_count: int


class RatingFacts(NamedTuple):
    ticket_id: int
    requested_at: datetime
    agent_id: int | None
    score: int | None
    lapsed_at: datetime | None


@dataclass
class Part:
    """One row's contribution to one cell."""

    table: Table
    key: tuple[date, int, str, int]
    counts: dict[str, int]
    values: dict[str, float] = field(default_factory=dict)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def first_response_band(seconds: float) -> int:
    """0: under 1 hour, 1: 1-4 hours, 2: 4-24 hours, 3: over 24 hours."""
    for band, hours in enumerate(FIRST_RESPONSE_BAND_HOURS):
        if seconds < hours * 3600:
            return band
    return len(FIRST_RESPONSE_BAND_HOURS)


def ticket_parts(t: TicketFacts, zone: ZoneInfo) -> list[Part]:
    """What one ticket adds: to the cell of the day it was raised and, when resolved, to the cell
    of the day it was resolved. (An unanswered open ticket whose first-response target has passed
    is a missed target, but only from the moment it passes: the report counts those live.)"""
    category = t.category_id if t.category_id is not None else NO_ONE
    priority = Priority(t.priority).value
    assignee = t.assignee_id if t.assignee_id is not None else NO_ONE
    raised = _local(t.created_at, zone)
    done = t.first_response_at or t.resolved_at
    decided = t.first_response_due_at is not None and done is not None
    created = {"created": 1, f"status_{TicketStatus(t.status).value}": 1, f"hour_{raised.hour:02d}": 1,
               "first_response_decided": int(decided),
               "first_response_met": int(decided and done <= t.first_response_due_at),
               "ever_resolved": int(t.resolved_at is not None or t.reopen_count > 0),
               "reopened": int(t.reopen_count > 0)}
    values = {}
    if t.first_response_seconds is not None:
        values["first_response_values"] = float(t.first_response_seconds)
    if t.first_response_business_seconds is not None:
        values["first_response_business_values"] = float(t.first_response_business_seconds)
    parts = [Part(report_cells, (raised.date(), category, priority, assignee), created, values)]
    if t.resolved_at is not None:
        due = t.resolution_due_at
        resolved = {"resolved": 1, "resolution_decided": int(due is not None),
                    "resolution_met": int(due is not None and t.resolved_at <= due),
                    "one_touch": int(t.staff_reply_count == 1 and t.reopen_count == 0)}
        values = {}
        if t.resolution_seconds is not None:
            values["resolution_values"] = float(t.resolution_seconds)
        if t.resolution_business_seconds is not None:
            values["resolution_business_values"] = float(t.resolution_business_seconds)
        day = _local(t.resolved_at, zone).date()
        parts.append(Part(report_cells, (day, category, priority, assignee), resolved, values))
    return parts


def rating_parts(r: RatingFacts, t: TicketFacts, zone: ZoneInfo) -> list[Part]:
    """What one rating request adds (nothing once withdrawn by a reopen): the request, the answer
    and its score, and the answer again under the band of the ticket's first response."""
    if r.lapsed_at is not None:
        return []
    counts = {"requests": 1}
    if r.score is not None:
        counts.update(rated=1, score_sum=int(r.score), happy=int(r.score >= 4))
        for basis, seconds in (("calendar", t.first_response_seconds),
                               ("business", t.first_response_business_seconds)):
            if seconds is not None:
                prefix = f"{basis}_band{first_response_band(seconds)}"
                counts.update({f"{prefix}_rated": 1, f"{prefix}_score_sum": int(r.score),
                               f"{prefix}_happy": int(r.score >= 4)})
    key = (_local(r.requested_at, zone).date(), t.category_id if t.category_id is not None else NO_ONE,
           Priority(t.priority).value, r.agent_id if r.agent_id is not None else NO_ONE)
    return [Part(rating_cells, key, counts)]


# --- writing cells ---------------------------------------------------------------------------

# Each table's key (day, category, priority, person), count and duration columns, by table name.
KEYS = {t.name: tuple(c.name for c in t.primary_key) for t in (report_cells, rating_cells)}
COUNTS = {report_cells.name: REPORT_CELL_COUNTS, rating_cells.name: RATING_CELL_COUNTS}
_VALUES = {report_cells.name: REPORT_CELL_VALUES, rating_cells.name: ()}
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class _Change:
    """The net change to one cell: counts to add, values to add and to take out."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.added: dict[str, list[float]] = defaultdict(list)
        self.removed: dict[str, list[float]] = defaultdict(list)

    def is_nothing(self) -> bool:
        return (not any(self.counts.values())
                and all(sorted(self.added[c]) == sorted(self.removed[c]) for c in set(self.added) | set(self.removed)))


def _changes(removed: Iterable[Part], added: Iterable[Part]) -> dict[tuple[str, tuple], _Change]:
    changes: dict[tuple[str, tuple], _Change] = defaultdict(_Change)
    for sign, parts in ((-1, removed), (1, added)):
        for part in parts:
            change = changes[(part.table.name, part.key)]
            for name, n in part.counts.items():
                change.counts[name] += sign * n
            for name, value in part.values.items():
                (change.added if sign > 0 else change.removed)[name].append(value)
    return changes


def _key_condition(table: Table, key: tuple):
    return and_(*(table.c[name] == value for name, value in zip(KEYS[table.name], key, strict=True)))


def apply(connection: Connection, removed: Iterable[Part], added: Iterable[Part]) -> None:
    """Take `removed` out of their cells and put `added` in, one locked row per cell (in key
    order, so two writers never wait on each other in a circle). A cell left empty goes."""
    tables = {report_cells.name: report_cells, rating_cells.name: rating_cells}
    for (name, key), change in sorted(_changes(removed, added).items(), key=lambda item: (item[0][0], item[0][1])):
        if change.is_nothing():
            continue
        table = tables[name]
        where = _key_condition(table, key)
        # The cell, made when new, and locked either way: one statement (a no-op update on conflict).
        insert = _INSERT[connection.dialect.name](table).values(dict(zip(KEYS[name], key, strict=True)))
        row = connection.execute(insert.on_conflict_do_update(
            index_elements=list(KEYS[name]), set_={"day": insert.excluded.day}).returning(*table.c)).one()._mapping
        counts = {c: row[c] + change.counts.get(c, 0) for c in COUNTS[name]}
        values = {}
        for c in _VALUES[name]:
            stored = np.frombuffer(row[c] or b"", dtype=VALUE_DTYPE).tolist()
            for value in change.removed.get(c, ()):
                if value in stored:  # absent only if the cells drifted: rebuild-metrics counts them again
                    stored.remove(value)
            stored.extend(change.added.get(c, ()))
            values[c] = np.asarray(stored, dtype=VALUE_DTYPE).tobytes()
        if not any(counts.values()) and not any(values.values()):
            connection.execute(delete(table).where(where))
        else:
            connection.execute(table.update().where(where).values(**counts, **values))


# --- rebuilding from scratch ----------------------------------------------------------------
# The same contributions as ticket_parts / rating_parts, computed a column at a time with pandas
# over raw rows (a million tickets in seconds, where row by row takes a minute). Two ways of
# saying one thing: tests/analytics/test_report_cells.py checks that they agree.

_TICKET_SQL = ("SELECT created_at, category_id, priority, assignee_id, status, resolved_at, first_response_at, "
               "first_response_due_at, resolution_due_at, first_response_seconds, first_response_business_seconds, "
               "resolution_seconds, resolution_business_seconds, reopen_count, staff_reply_count FROM tickets")
_RATING_SQL = ("SELECT r.requested_at, r.agent_id, r.score, t.category_id, t.priority, t.first_response_seconds, "
               "t.first_response_business_seconds FROM satisfaction_ratings r JOIN tickets t ON t.id = r.ticket_id "
               "WHERE r.lapsed_at IS NULL")
_SQL_COLUMNS = {_TICKET_SQL: TICKET_FIELDS,
                _RATING_SQL: ("requested_at", "agent_id", "score", "category_id", "priority",
                              "first_response_seconds", "first_response_business_seconds")}
_STAMPS = ("created_at", "resolved_at", "first_response_at", "first_response_due_at", "resolution_due_at",
           "requested_at")


def _frames(connection: Connection, sql: str) -> Iterator[pd.DataFrame]:
    """The rows of `sql` in chunks, raw from the driver (no per-value type handling), timestamps UTC."""
    cursor = connection.connection.cursor()  # the driver's own cursor, in this transaction: plain tuples
    cursor.execute(sql)
    columns = _SQL_COLUMNS[sql]
    while rows := cursor.fetchmany(REBUILD_BATCH):
        frame = pd.DataFrame.from_records(rows, columns=columns)
        for name in _STAMPS:
            if name in frame:
                frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        yield frame


def _keys(frame: pd.DataFrame, moment: pd.Series, zone: ZoneInfo, who: str) -> pd.DataFrame:
    return pd.DataFrame({"day": moment.dt.tz_convert(zone).dt.date, "category_id": frame["category_id"].fillna(NO_ONE)
                         .astype("int64"), "priority": frame["priority"],
                         who: frame[who].fillna(NO_ONE).astype("int64")})


def _flag(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype("int64")


class _CellFrames:
    """Counts and durations per cell key, added up over chunks."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = list(keys)
        self.counts: list[pd.DataFrame] = []
        self.values: dict[str, list[pd.DataFrame]] = defaultdict(list)

    def add_counts(self, keys: pd.DataFrame, counts: pd.DataFrame) -> None:
        self.counts.append(pd.concat([keys, counts], axis=1).groupby(self.keys, sort=False).sum())

    def add_values(self, keys: pd.DataFrame, name: str, values: pd.Series) -> None:
        present = values.notna()
        if present.any():
            self.values[name].append(pd.concat([keys[present], values[present].astype(VALUE_DTYPE).rename("v")],
                                               axis=1))

    def rows(self, count_names, value_names) -> Iterator[dict]:
        if not self.counts:
            return
        counts = pd.concat(self.counts).groupby(level=self.keys).sum().reindex(columns=list(count_names), fill_value=0)
        counts = counts.fillna(0).astype("int64")
        for name in value_names:
            by_cell: dict = {}
            if name in self.values:
                frame = pd.concat(self.values[name], ignore_index=True)
                values = frame["v"].to_numpy(dtype=VALUE_DTYPE)
                by_cell = {key: values[positions].tobytes()
                           for key, positions in frame.groupby(self.keys, sort=False).indices.items()}
            counts[name] = [by_cell.get(key, b"") for key in counts.index]
        for row in counts.reset_index().itertuples(index=False):
            yield row._asdict()


def _ticket_cells(connection: Connection, zone: ZoneInfo) -> tuple[_CellFrames, int]:
    cells, tickets = _CellFrames(KEYS[report_cells.name]), 0
    for f in _frames(connection, _TICKET_SQL):
        tickets += len(f)
        raised = f["created_at"].dt.tz_convert(zone)
        done = f["first_response_at"].fillna(f["resolved_at"])
        decided = f["first_response_due_at"].notna() & done.notna()
        counts = pd.DataFrame({
            "created": 1, "first_response_decided": _flag(decided),
            "first_response_met": _flag(decided & (done <= f["first_response_due_at"])),
            "ever_resolved": _flag(f["resolved_at"].notna() | (f["reopen_count"] > 0)),
            "reopened": _flag(f["reopen_count"] > 0)}, index=f.index)
        for status in TicketStatus:
            counts[f"status_{status.value}"] = _flag(f["status"] == status.value)
        for hour in REPORT_HOURS:
            counts[f"hour_{hour:02d}"] = _flag(raised.dt.hour == hour)
        keys = _keys(f, f["created_at"], zone, "assignee_id")
        cells.add_counts(keys, counts)
        cells.add_values(keys, "first_response_values", f["first_response_seconds"])
        cells.add_values(keys, "first_response_business_values", f["first_response_business_seconds"])
        r = f[f["resolved_at"].notna()]
        if len(r):
            due = r["resolution_due_at"]
            keys = _keys(r, r["resolved_at"], zone, "assignee_id")
            cells.add_counts(keys, pd.DataFrame({
                "resolved": 1, "resolution_decided": _flag(due.notna()),
                "resolution_met": _flag(due.notna() & (r["resolved_at"] <= due)),
                "one_touch": _flag((r["staff_reply_count"] == 1) & (r["reopen_count"] == 0))}, index=r.index))
            cells.add_values(keys, "resolution_values", r["resolution_seconds"])
            cells.add_values(keys, "resolution_business_values", r["resolution_business_seconds"])
    return cells, tickets


def _rating_cells(connection: Connection, zone: ZoneInfo) -> _CellFrames:
    cells = _CellFrames(KEYS[rating_cells.name])
    limits = [hours * 3600 for hours in FIRST_RESPONSE_BAND_HOURS]
    for f in _frames(connection, _RATING_SQL):
        score = f["score"].astype("float64")
        rated = score.notna()
        counts = pd.DataFrame({"requests": 1, "rated": _flag(rated), "score_sum": score.fillna(0).astype("int64"),
                               "happy": _flag(score >= 4)}, index=f.index)
        for basis, column in (("calendar", "first_response_seconds"), ("business", "first_response_business_seconds")):
            seconds = f[column].astype("float64")
            band = np.digitize(seconds.fillna(0), limits)
            for i in range(len(limits) + 1):
                inside = rated & seconds.notna() & (band == i)
                counts[f"{basis}_band{i}_rated"] = _flag(inside)
                counts[f"{basis}_band{i}_score_sum"] = score.where(inside, 0).fillna(0).astype("int64")
                counts[f"{basis}_band{i}_happy"] = _flag(inside & (score >= 4))
        cells.add_counts(_keys(f, f["requested_at"], zone, "agent_id"), counts)
    return cells


def rebuild(session: Session, *, clear_pending: bool = True, zone: ZoneInfo | None = None) -> int:
    """Every cell again from the tickets and ratings, in the caller's transaction; returns the
    number of tickets counted. Afterwards analytics stops warning that cells are pending (unless
    told not to: inside a flush, no setting can be written through the session). `zone`: the
    report zone to count in, when the session can't tell yet (a flush that changes it).

    On PostgreSQL the cells are locked for the rebuild: a ticket saved meanwhile waits at its
    commit, then adds its change to the rebuilt cells."""
    zone = zone or report_zone(session)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE report_cells, rating_cells IN EXCLUSIVE MODE")
    session.info[_PENDING] = []  # what this transaction flushed so far is in the tickets it counts
    connection.execute(delete(report_cells))
    connection.execute(delete(rating_cells))
    tickets, tickets_counted = _ticket_cells(connection, zone)
    for table, cells in ((report_cells, tickets), (rating_cells, _rating_cells(connection, zone))):
        batch = []
        for row in cells.rows(COUNTS[table.name], _VALUES[table.name]):
            batch.append(row)
            if len(batch) >= 5_000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
    if clear_pending:
        clear_report_cells_pending(session)
    return tickets_counted


_TICKET_COLUMNS = [getattr(Ticket, name) for name in TICKET_FIELDS]
_RATING_COLUMNS = [getattr(SatisfactionRating, name) for name in RATING_FIELDS]


# --- following ORM changes -------------------------------------------------------------------

# --- following changes ------------------------------------------------------------------------
# Each flush's changes are read as the database holds the rows before and after the flush (not
# from the objects in memory, which may be older than a row rewritten by a statement meanwhile,
# e.g. rebuild-metrics). What changed waits in the session, as facts, and goes into the cells just
# before the commit: then the report zone is read afresh (after waiting for a rebuild that may be
# moving it), and the cell locks are taken last, in one key order, and held only for the commit, so
# two writers never wait on each other in a circle.

_PENDING = "report_cells_pending"  # session.info: [(savepoint or None, change), ...]
_BEFORE = "report_cells_before_flush"  # session.info: the flushed rows' facts as the flush found them


@dataclass(frozen=True)
class _TicketChange:
    before: TicketFacts | None
    after: TicketFacts | None


@dataclass(frozen=True)
class _RatingChange:
    before: tuple[RatingFacts, TicketFacts] | None
    after: tuple[RatingFacts, TicketFacts] | None


def _changed(obj, fields) -> bool:
    state = obj._sa_instance_state
    return any(state.attrs[name].history.has_changes() for name in fields)


def _zone_of(raw: str | None) -> str:
    try:
        return BusinessHours.from_json(raw).timezone if raw else "UTC"
    except (ValueError, KeyError, TypeError):
        return "UTC"


def _new_zone(session: Session) -> ZoneInfo | None:
    """The report zone this flush moves to, or None when it stays."""
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, AppSetting) and obj.key == BUSINESS_HOURS:
            history = obj._sa_instance_state.attrs["value"].history
            before = None if obj in session.new else (history.deleted or history.unchanged or [None])[0]
            after = None if obj in session.deleted else obj.value
            if _zone_of(before) != _zone_of(after):
                return ZoneInfo(_zone_of(after))
    return None


def _write_lock(connection: Connection, table: Table, condition, column: str) -> None:
    """Lock rows before reading them: FOR UPDATE on PostgreSQL; on SQLite (which has no row locks
    and starts a write transaction only at the first write) an UPDATE that changes nothing, so the
    database's one write lock is ours before the read, and a writer in between has finished."""
    if connection.dialect.name == "sqlite":
        # A plain column, not the key: rewriting a key others refer to makes SQLite check them all.
        connection.execute(table.update().where(condition).values({column: table.c[column]}))


def _ticket_facts(connection: Connection, ids, *, lock: bool = False) -> dict[int, TicketFacts]:
    if not ids:
        return {}
    condition = Ticket.id.in_(list(ids))
    if lock:
        _write_lock(connection, Ticket.__table__, condition, "version")
    query = select(Ticket.id, *_TICKET_COLUMNS).where(condition)
    return {row[0]: TicketFacts(*row[1:]) for row in connection.execute(query.with_for_update() if lock else query)}


def _rating_facts(connection: Connection, condition, *, lock: bool = False) -> dict[int, RatingFacts]:
    if lock:
        _write_lock(connection, SatisfactionRating.__table__, condition, "score")
    query = select(SatisfactionRating.id, *_RATING_COLUMNS).where(condition)
    return {row[0]: RatingFacts(*row[1:]) for row in connection.execute(query.with_for_update() if lock else query)}


def _flushed(session: Session, cls, fields) -> set[int]:
    """Ids of the `cls` rows this flush changes in `fields`, or removes."""
    return {obj.id for obj in chain(session.dirty, session.deleted)
            if isinstance(obj, cls) and obj.id is not None and (obj in session.deleted or _changed(obj, fields))}


def _queue(session: Session, changes) -> None:
    savepoint = session.get_nested_transaction()
    session.info.setdefault(_PENDING, []).extend((savepoint, change) for change in changes)


@event.listens_for(Session, "before_flush")
def _read_before(session: Session, _flush_context, _instances) -> None:
    """The rows this flush will change, as the database holds them now, locked until the commit."""
    tickets = _flushed(session, Ticket, TICKET_FIELDS)
    ratings = _flushed(session, SatisfactionRating, RATING_FIELDS)
    if not tickets and not ratings:
        session.info.pop(_BEFORE, None)
        return
    connection = session.connection()
    session.info[_BEFORE] = (_ticket_facts(connection, tickets, lock=True),
                             _rating_facts(connection, SatisfactionRating.id.in_(list(ratings)), lock=True)
                             if ratings else {})


@event.listens_for(Session, "after_flush")
def _follow_changes(session: Session, _flush_context) -> None:
    """This flush's changes of tickets and ratings, as facts waiting for the commit."""
    zone = _new_zone(session)
    if zone is not None:
        rebuild(session, clear_pending=False, zone=zone)  # counts everything flushed so far
        return
    old_tickets, old_ratings = session.info.pop(_BEFORE, ({}, {}))
    new_ticket_ids = {obj.id for obj in session.new if isinstance(obj, Ticket)}
    new_rating_ids = {obj.id for obj in session.new if isinstance(obj, SatisfactionRating)}
    if not old_tickets and not old_ratings and not new_ticket_ids and not new_rating_ids:
        return
    connection = session.connection()
    now_tickets = _ticket_facts(connection, set(old_tickets) | new_ticket_ids)
    tickets = {i: (old_tickets.get(i), now_tickets.get(i)) for i in set(old_tickets) | new_ticket_ids}
    changes: list = [_TicketChange(before, after) for before, after in tickets.values()]
    # Ratings move with their ticket's category, priority and first response.
    moved = [i for i, (before, after) in tickets.items()
             if before and after and any(getattr(before, f) != getattr(after, f) for f in RATING_TICKET_FIELDS)]
    rating_ids = set(old_ratings) | new_rating_ids
    conditions = [SatisfactionRating.id.in_(list(rating_ids))] if rating_ids else []
    if moved:
        conditions.append(SatisfactionRating.ticket_id.in_(moved))
    now_ratings = _rating_facts(connection, or_(*conditions)) if conditions else {}
    # Before: as the flush found it; for a moved ticket's other ratings, unchanged.
    ratings = {i: (old_ratings.get(i) if i in rating_ids else now_ratings.get(i), now_ratings.get(i))
               for i in rating_ids | set(now_ratings)}
    if ratings:
        wanted = {r.ticket_id for pair in ratings.values() for r in pair if r} - set(tickets)
        stored = _ticket_facts(connection, wanted)

        def with_ticket(rating, side):
            if rating is None:
                return None
            ticket = tickets[rating.ticket_id][side] if rating.ticket_id in tickets else stored.get(rating.ticket_id)
            return (rating, ticket) if ticket is not None else None
        changes += [_RatingChange(with_ticket(before, 0), with_ticket(after, 1)) for before, after in ratings.values()]
    _queue(session, changes)


def _parts(change, zone: ZoneInfo) -> tuple[list[Part], list[Part]]:
    if isinstance(change, _TicketChange):
        return ([] if change.before is None else ticket_parts(change.before, zone),
                [] if change.after is None else ticket_parts(change.after, zone))
    return ([] if change.before is None else rating_parts(*change.before, zone),
            [] if change.after is None else rating_parts(*change.after, zone))


@event.listens_for(Session, "before_commit")
def _write_cells(session: Session) -> None:
    """The transaction's changes into the cells, last thing before the commit (not at a savepoint's
    release: the transaction around it may still roll back). Not on an upgraded install whose
    cells are still pending: rebuild-metrics counts everything anyway."""
    if session.in_nested_transaction():
        return
    session.flush()  # the last changes first
    pending = [change for _, change in session.info.pop(_PENDING, [])]
    if not pending:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Waits for a rebuild that holds the cells (a zone change committing meanwhile), so the
        # zone read next is the one the cells are in.
        connection.exec_driver_sql("LOCK TABLE report_cells, rating_cells IN ROW EXCLUSIVE MODE")
    stored = dict(connection.execute(select(AppSetting.key, AppSetting.value).where(
        AppSetting.key.in_([BUSINESS_HOURS, REPORT_CELLS_PENDING]))).all())
    if REPORT_CELLS_PENDING in stored:
        return
    zone = ZoneInfo(_zone_of(stored.get(BUSINESS_HOURS)))
    removed: list[Part] = []
    added: list[Part] = []
    for change in pending:
        out, into = _parts(change, zone)
        removed += out
        added += into
    apply(connection, removed, added)


@event.listens_for(Session, "after_soft_rollback")
def _forget_savepoint(session: Session, previous_transaction) -> None:
    """A savepoint rolled back takes its own changes with it; the transaction's others stay."""
    if previous_transaction.nested:
        def inside(savepoint):
            while savepoint is not None:
                if savepoint is previous_transaction:
                    return True
                savepoint = savepoint.parent
            return False
        session.info[_PENDING] = [(sp, c) for sp, c in session.info.get(_PENDING, []) if not inside(sp)]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    """Whatever the way a transaction ends (commit, rollback, close), nothing of it stays queued."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_BEFORE, None)


def ratings_written(session: Session, ticket_id: int, *, before: list[RatingFacts],
                    after: list[RatingFacts]) -> None:
    """For ratings written by SQL statements, which no flush sees. They go in under the ticket's
    facts as last flushed: if the ticket has changed since, the flush that writes it moves its
    ratings from those facts to the new ones, like any other."""
    facts = _ticket_facts(session.connection(), [ticket_id])[ticket_id]
    _queue(session, [_RatingChange(None if b is None else (b, facts), None if a is None else (a, facts))
                     for b, a in zip_longest(before, after)])


def rating_facts_of(session: Session, rating_id: int, *, lock: bool = False) -> RatingFacts:
    """A rating as the database holds it (locked until the commit when asked)."""
    return _rating_facts(session.connection(), SatisfactionRating.id == rating_id, lock=lock)[rating_id]
