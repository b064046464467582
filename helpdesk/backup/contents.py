"""What a database holds, in the few numbers a backup or restore reports, and whether it holds
anything a restore would overwrite."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, inspect, select, text

from helpdesk.models import Base

# Rows the migrations themselves write (default SLA targets, pending-job flags): a database
# holding only these is a fresh one.
SEEDED_BY_MIGRATIONS = frozenset({"sla_policies", "app_settings"})

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


def tables_with_data(engine: Engine) -> list[str]:
    """The application's tables that have rows in this database (beside what migrations seed)."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return [table.name for table in Base.metadata.sorted_tables
                if table.name in present and table.name not in SEEDED_BY_MIGRATIONS
                and connection.scalar(select(func.count()).select_from(select(1).select_from(table).limit(1)
                                                                       .subquery()))]


def human_size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
