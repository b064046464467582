"""What a database holds, in the few numbers a backup or restore reports, and whether it holds
anything a restore would overwrite."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

# Rows the migrations themselves write (default SLA targets, pending-job flags, the revision): a
# database holding only these is a fresh one.
SEEDED_BY_MIGRATIONS = frozenset({"sla_policies", "app_settings", "alembic_version"})

COUNTS_SQL = ("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM attachments), "
              "(SELECT coalesce(sum(size), 0) FROM attachments), (SELECT version_num FROM alembic_version)")


@dataclass(frozen=True)
class Contents:
    revision: str | None
    tickets: int
    attachments: int
    attachment_bytes: int

    def summary(self) -> str:
        return (f"{self.tickets} tickets, {self.attachments} attachments ({human_size(self.attachment_bytes)}), "
                f"schema revision {self.revision}")


def contents_from_row(row) -> Contents:
    tickets, attachments, attachment_bytes, revision = row
    return Contents(revision=revision, tickets=int(tickets), attachments=int(attachments),
                    attachment_bytes=int(attachment_bytes))


def read_contents(connection: Connection) -> Contents:
    return contents_from_row(connection.execute(text(COUNTS_SQL)).one())


# PostgreSQL: every table of the URL's schema (a restore drops them all), not an extension's.
_SCHEMA_TABLES = ("SELECT c.relname, has_table_privilege(c.oid, 'SELECT') FROM pg_class c "
                  "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
                  "AND NOT c.relispartition AND NOT EXISTS "
                  "(SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') ORDER BY c.relname")


def tables_with_data(engine: Engine) -> list[str]:
    """Every table in the target that has rows, beside what migrations seed: the helpdesk's and
    any other application's too (a shared `public` schema), since a restore replaces them all."""
    with engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        if connection.dialect.name == "postgresql":
            schema = connection.scalar(text("SELECT current_schema()"))
            if not schema:
                return []
            tables = [tuple(row) for row in connection.execute(text(_SCHEMA_TABLES))]
            prefix = quote(schema) + "."
        else:
            # Ordinary tables only: a full-text index's virtual and shadow tables hold rows of
            # their own (FTS5's config) that are built from the tables it indexes.
            tables = [(row[1], True) for row in connection.exec_driver_sql("PRAGMA main.table_list")
                      if row[2] == "table" and not row[1].startswith("sqlite_")]
            prefix = ""
        # A table this role may not read is not known to be empty: it counts as data.
        return [name for name, readable in tables if name not in SEEDED_BY_MIGRATIONS
                and (not readable or connection.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {prefix}{quote(name)})")))]


def human_size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
