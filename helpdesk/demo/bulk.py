"""Writing demo rows fast: each backend's bulk path, and the secondary indexes and foreign keys
set aside during a big load and built once at its end.

- SQLite: the driver's executemany on the connection of the load, foreign-key checks off and
  synchronous=OFF meanwhile (the data is consistent by construction; WAL keeps an interrupted or
  killed run's committed chunks and nothing else), the timestamps already as the stored text.
- PostgreSQL: COPY ... FROM STDIN with the rows as COPY text (made in the worker processes),
  synchronous_commit off for the load's own commits, then ANALYZE.

A big load (`paused_indexes`) first drops the secondary indexes of the tables it fills (and on
PostgreSQL their foreign keys, whose per-row checks cost more than the insert), and builds them
again at the end: sorting a million keys once is several times cheaper than keeping sixteen
indexes in order row by row. What was dropped is written to app_settings in the same transaction
as the drop (with SQLite's subject-search triggers, which text_index.indexed_after_bulk_insert
takes away meanwhile), so a run killed halfway leaves a note, and the next `seed-demo` puts it all
back first (`restore_paused_indexes`), the search index rebuilt whole if its triggers were gone."""
from __future__ import annotations

import json
import queue
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import Connection, select, text

from helpdesk.demo.simulate import EVENT_COLUMNS, MESSAGE_COLUMNS, RATING_COLUMNS, TICKET_COLUMNS, Chunk
from helpdesk.models import AppSetting, SatisfactionRating, Ticket, TicketEvent, TicketMessage
from helpdesk.search import text_index

# The tables a load fills, with the columns it writes (messages, events, ratings: the database numbers them).
TABLES = ((Ticket.__table__, TICKET_COLUMNS), (TicketMessage.__table__, MESSAGE_COLUMNS),
          (TicketEvent.__table__, EVENT_COLUMNS), (SatisfactionRating.__table__, RATING_COLUMNS))
PAUSED_KEY = "demo_seed_paused_indexes"  # app_settings: what a load dropped and has not built again yet
PG_INDEX_MEMORY = "256MB"  # maintenance_work_mem for each index build of a big load
PG_INDEX_BUILDERS = 2


def check_columns() -> None:
    """Every column gets a value from the generator: the bulk paths have no defaults to fall back
    on, so a column added to a model later must be added to the simulation, not silently left empty."""
    for table, columns in TABLES:
        expected = {c.name for c in table.columns} - ({"id"} if "id" not in columns else set())
        if missing := expected - set(columns):
            raise RuntimeError(f"demo data has no value for {table.name}.{', '.join(sorted(missing))}")
        if unknown := set(columns) - expected:
            raise RuntimeError(f"demo data has values for no column {table.name}.{', '.join(sorted(unknown))}")


# --- the rows as the bulk path takes them (called in the worker processes) --------------------

def copy_text(rows: list[tuple], row_format: str) -> bytes:
    """Rows in PostgreSQL's COPY text format; their values are spelled for it already
    (simulate.Spelling: \\N for NULL, newlines escaped), so this only joins them."""
    return "".join([row_format % row for row in rows]).encode()


_ROW_FORMATS = ["\t".join(["%s"] * len(columns)) + "\n" for _, columns in TABLES]


def encode(chunk: Chunk, backend: str):
    """What crosses from a worker to the writer: COPY text for PostgreSQL, the row tuples for SQLite."""
    if backend != "postgresql":
        return chunk
    tickets, messages, events, ratings = (copy_text(rows, row_format) for rows, row_format in zip(
        (chunk.tickets, chunk.messages, chunk.events, chunk.ratings), _ROW_FORMATS))
    return Chunk(tickets=tickets, messages=messages, events=events, ratings=ratings,
                 last_assigned=chunk.last_assigned)


# --- writers --------------------------------------------------------------------------------

class Writer:
    """Writes encoded chunks on one connection; each `write` is committed by the caller."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.backend = connection.dialect.name

    def __enter__(self) -> Writer:
        if self.backend == "sqlite":
            # Outside a transaction, or SQLite ignores it. Restored on the way out.
            self.connection.commit()
            self.connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            self.connection.exec_driver_sql("PRAGMA synchronous=OFF")
        elif self.backend == "postgresql":
            self.connection.exec_driver_sql("SET synchronous_commit TO off")
        self.connection.commit()
        return self

    def __exit__(self, *_exc) -> None:
        self.connection.rollback()
        if self.backend == "sqlite":
            self.connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            self.connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        elif self.backend == "postgresql":
            self.connection.exec_driver_sql("RESET synchronous_commit")
        self.connection.commit()

    def write(self, chunk) -> None:
        if self.backend == "postgresql":
            self._copy(chunk)
        else:
            self._insert(chunk)

    def _insert(self, chunk: Chunk) -> None:
        for (table, columns), rows in zip(TABLES, (chunk.tickets, chunk.messages, chunk.events, chunk.ratings)):
            if rows:
                self.connection.exec_driver_sql(
                    f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)

    def _copy(self, chunk: Chunk) -> None:
        if not self.connection.in_transaction():
            self.connection.begin()
        driver = self.connection.connection.driver_connection
        with driver.cursor() as cursor:
            for (table, columns), data in zip(TABLES, (chunk.tickets, chunk.messages, chunk.events, chunk.ratings)):
                if data:
                    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(data)


# --- secondary indexes and foreign keys, set aside during a big load --------------------------

def _if_not_exists(sql: str) -> str:
    return re.sub(r"^\s*CREATE\s+INDEX\s+", "CREATE INDEX IF NOT EXISTS ", sql, count=1, flags=re.IGNORECASE)


def _secondary_indexes(connection: Connection) -> list[dict]:
    """The non-unique indexes of the load's tables, with the statement that makes each again."""
    names = [table.name for table, _ in TABLES]
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ({})".format(", ".join(f"'{n}'" for n in names)))).all()
        return [{"kind": "index", "table": t, "name": n, "sql": _if_not_exists(s)} for t, n, s in rows
                if not re.match(r"^\s*CREATE\s+UNIQUE", s, re.IGNORECASE)]
    rows = connection.execute(text(
        "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:names) "
        "AND NOT x.indisunique AND NOT x.indisprimary ORDER BY t.relname, i.relname"), {"names": names}).all()
    return [{"kind": "index", "table": t, "name": n, "sql": _if_not_exists(s)} for t, n, s in rows]


def _foreign_keys(connection: Connection) -> list[dict]:
    if connection.dialect.name != "postgresql":
        return []  # SQLite's are switched off for the load instead (PRAGMA foreign_keys)
    names = [table.name for table, _ in TABLES]
    rows = connection.execute(text(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' "
        "AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:names) "
        "ORDER BY t.relname, c.conname"), {"names": names}).all()
    return [{"kind": "foreign_key", "table": t, "name": n,
             "sql": f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {definition}'} for t, n, definition in rows]


def _remember(connection: Connection, paused: list[dict]) -> None:
    table = AppSetting.__table__
    connection.execute(table.delete().where(table.c.key == PAUSED_KEY))
    connection.execute(table.insert().values(key=PAUSED_KEY, value=json.dumps(paused)))


def _search_triggers(connection: Connection) -> list[dict]:
    """SQLite's subject-search triggers (migration 0003), which text_index.indexed_after_bulk_insert
    takes away during a load and puts back with the new subjects indexed. Noted too, so that a
    killed load's next run can put them back and index every subject again."""
    if connection.dialect.name != "sqlite":
        return []
    triggers = connection.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets' AND name LIKE :prefix"),
        {"prefix": f"{text_index.FTS_TABLE}%"}).scalars().all()
    return [{"kind": "search_triggers", "table": "tickets", "name": text_index.FTS_TABLE, "sql": list(triggers)}] \
        if triggers else []


def _run(connection: Connection, item: dict) -> None:
    if item["kind"] == "search_triggers":
        present = set(connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets'")).scalars())
        missing = [sql for sql in item["sql"] if sql not in present]
        if missing:  # a killed load: the new subjects are not indexed either
            for sql in missing:
                connection.exec_driver_sql(sql)
            connection.exec_driver_sql(f"INSERT INTO {item['name']}({item['name']}) VALUES ('rebuild')")
        return
    if item["kind"] == "foreign_key":
        exists = connection.scalar(text(
            "SELECT count(*) FROM pg_constraint WHERE conname = :name AND conrelid = CAST(:table AS regclass)"),
            {"name": item["name"], "table": item["table"]})
        if exists:
            return
    connection.exec_driver_sql(item["sql"])


def _build_from_queue(engine, items: queue.SimpleQueue) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SET maintenance_work_mem TO '{PG_INDEX_MEMORY}'")
        while True:
            try:
                item = items.get_nowait()
            except queue.Empty:
                return
            _run(connection, item)
            connection.commit()


def _build(connection: Connection, paused: list[dict], stage: Callable[[str], None] | None) -> None:
    """Build what `paused` lists (what exists already is left alone), then forget the note."""
    if stage and paused:
        stage(f"Building {sum(item['kind'] == 'index' for item in paused)} indexes")
    # Indexes before foreign keys (whose checks lock the tables an index build reads), the
    # biggest first, so that two builders finish at about the same time.
    ordered = sorted(paused, key=lambda item: (item["kind"] != "index", " gin " not in str(item["sql"]).lower(),
                                               item["table"] != "ticket_events"))
    if connection.dialect.name == "postgresql" and len(ordered) > 1:
        # Two builders on two connections: PostgreSQL builds indexes of one table side by side,
        # and the load's own work is done, so the machine's cores are free for it.
        connection.commit()
        items: queue.SimpleQueue = queue.SimpleQueue()
        for item in ordered:
            items.put(item)
        with ThreadPoolExecutor(max_workers=PG_INDEX_BUILDERS) as pool:
            for done in [pool.submit(_build_from_queue, connection.engine, items) for _ in range(PG_INDEX_BUILDERS)]:
                done.result()
    else:
        for item in ordered:
            _run(connection, item)
    table = AppSetting.__table__
    connection.execute(table.delete().where(table.c.key == PAUSED_KEY))
    connection.commit()


def restore_paused_indexes(connection: Connection, stage: Callable[[str], None] | None = None) -> bool:
    """Build what an earlier, killed load left dropped (its note in app_settings). True if there was any."""
    table = AppSetting.__table__
    raw = connection.scalar(select(table.c.value).where(table.c.key == PAUSED_KEY))
    connection.commit()
    if raw is None:
        return False
    _build(connection, json.loads(raw), stage)
    return True


@contextmanager
def paused_indexes(connection: Connection, stage: Callable[[str], None] | None = None) -> Iterator[None]:
    """Around a big load: the secondary indexes (and PostgreSQL's foreign keys) of the tables it
    fills are dropped, and built again at the end, also after an error or Ctrl-C."""
    paused = _foreign_keys(connection) + _secondary_indexes(connection) + _search_triggers(connection)
    connection.commit()
    _remember(connection, paused)
    for item in paused:
        if item["kind"] == "search_triggers":
            continue  # text_index drops and restores them (see _search_triggers)
        if item["kind"] == "foreign_key":
            connection.exec_driver_sql(f'ALTER TABLE "{item["table"]}" DROP CONSTRAINT "{item["name"]}"')
        else:
            connection.exec_driver_sql(f'DROP INDEX "{item["name"]}"')
    connection.commit()  # the drops and the note together
    try:
        yield
    finally:
        connection.rollback()  # a chunk cut short leaves no rows
        _build(connection, paused, stage)
        if connection.dialect.name == "postgresql":
            # Fresh statistics, so the app's first queries on the new rows are planned well.
            connection.exec_driver_sql("ANALYZE " + ", ".join(table.name for table, _ in TABLES))
            connection.commit()
