"""subject search: trigram indexes for case-insensitive substring search on ticket subjects

PostgreSQL: pg_trgm and a GIN index on lower(subject), which the existing
lower(subject) LIKE '%...%' predicate uses as it is.

SQLite: an FTS5 table with the trigram tokenizer holding tickets.subject as external
content, kept in step by triggers, filled from the existing rows. Skipped when this SQLite
has no FTS5 or no trigram tokenizer (3.34+); searches then use LIKE alone.

Note for later migrations: a batch operation that recreates the tickets table on SQLite
drops these triggers with the old table; such a migration must create them again
(tests/test_subject_search.py checks they exist at head).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import logging

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

FTS_TABLE = "tickets_subject_fts"
PG_INDEX = "ix_tickets_subject_trgm"

SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_after_insert": f"""
        CREATE TRIGGER {FTS_TABLE}_after_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO {FTS_TABLE}(rowid, subject) VALUES (new.id, new.subject);
        END""",
    f"{FTS_TABLE}_after_delete": f"""
        CREATE TRIGGER {FTS_TABLE}_after_delete AFTER DELETE ON tickets BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, subject) VALUES ('delete', old.id, old.subject);
        END""",
    f"{FTS_TABLE}_after_update": f"""
        CREATE TRIGGER {FTS_TABLE}_after_update AFTER UPDATE OF subject ON tickets BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, subject) VALUES ('delete', old.id, old.subject);
            INSERT INTO {FTS_TABLE}(rowid, subject) VALUES (new.id, new.subject);
        END""",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _upgrade_sqlite()
    elif dialect == "postgresql":
        _upgrade_postgresql()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif dialect == "postgresql":
        # The extension stays: it is database-wide and other schemas may use it.
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


def _sqlite_has_trigram_fts(bind) -> bool:
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.subject_search_probe USING fts5(x, tokenize='trigram')")
    except DBAPIError:  # no FTS5 module, or no trigram tokenizer (SQLite < 3.34)
        return False
    bind.exec_driver_sql("DROP TABLE temp.subject_search_probe")
    return True


def _upgrade_sqlite() -> None:
    bind = op.get_bind()
    if not _sqlite_has_trigram_fts(bind):
        log.warning("SQLite has no FTS5 trigram tokenizer: subject search will scan with LIKE")
        return
    # detail=full: the phrase queries that match a substring need token positions.
    op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
               f"subject, content='tickets', content_rowid='id', tokenize='trigram', detail=full)")
    for ddl in SQLITE_TRIGGERS.values():
        op.execute(ddl)
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # index the existing rows


def _upgrade_postgresql() -> None:
    bind = op.get_bind()
    schema = _pg_trgm_schema(bind)
    if schema is None:
        has_public = bind.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'"))
        # In public, not the current schema: the extension is database-wide, and a schema
        # dropped with CASCADE (as tests do) would take it away from every other schema.
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm"
                                     + (" WITH SCHEMA public" if has_public else ""))
        except DBAPIError as error:
            log.warning("Cannot create extension pg_trgm (%s): subject search will scan with LIKE",
                        str(error.orig).strip())
            return
        schema = _pg_trgm_schema(bind)
    operator_class = f"{bind.dialect.identifier_preparer.quote_identifier(schema)}.gin_trgm_ops"
    op.execute(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON tickets USING gin (lower(subject) {operator_class})")


def _pg_trgm_schema(bind) -> str | None:
    return bind.scalar(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                            "WHERE e.extname = 'pg_trgm'"))
