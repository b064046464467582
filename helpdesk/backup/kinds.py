"""What a backup file is, told by its first bytes (never by its name)."""
from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from helpdesk.backup.problems import BackupError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupKind(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"

    @property
    def label(self) -> str:
        return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[self.value]

    @property
    def suffix(self) -> str:
        return {"sqlite": ".sqlite3", "postgresql": ".pgdump"}[self.value]


def kind_of_database(backend_name: str) -> BackupKind:
    try:
        return BackupKind(backend_name)
    except ValueError:
        raise BackupError(f"Backups cover SQLite and PostgreSQL databases, not {backend_name}.") from None


def kind_of_file(path: Path) -> BackupKind:
    if not path.is_file():
        raise BackupError(f"{path} does not exist (or is not a file).")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return BackupKind.SQLITE
    if head.startswith(PG_CUSTOM_MAGIC):
        return BackupKind.POSTGRESQL
    raise BackupError(f"{path} is not a helpdesk backup: it is neither a SQLite database nor a "
                      "pg_dump custom-format archive. Nothing was changed.")
