"""SQLite: an online, consistent copy of the live database file, its check, and the way back.

VACUUM INTO reads inside one read transaction, so with WAL on (helpdesk.core.db) the app keeps
writing while the copy sees one moment: every transaction committed before it, none after."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from helpdesk.backup.contents import COUNTS_SQL, Contents, contents_from_row
from helpdesk.backup.files import partial_path
from helpdesk.backup.problems import BackupError

BUSY_TIMEOUT_S = 30


def database_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"Backups need a SQLite database file; this URL names {database or 'none'}.")
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)


def _check_length(path: Path) -> None:
    """The file is as long as its header says. SQLite reads a missing tail as zeros, and a tail
    of free space in a page passes integrity_check, so a copy that stopped early could pass too."""
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100:
        raise BackupError(f"{path} is cut short (shorter than a SQLite header). Nothing was changed.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    expected, actual = page_size * pages, path.stat().st_size
    if pages and actual != expected:
        raise BackupError(f"{path} is damaged or cut short: it has {actual} bytes, its header says "
                          f"{pages} pages of {page_size} bytes ({expected}). Nothing was changed.")


def check_file(path: Path) -> Contents:
    """The backup's contents after PRAGMA integrity_check passed on it, opened read-only; a damaged,
    cut short or foreign file raises BackupError (and nothing was written)."""
    _check_length(path)
    try:
        connection = _read_only(path)
        try:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise BackupError(f"{path} is damaged: PRAGMA integrity_check reports "
                                  f"{'; '.join(problems[:3])}. Nothing was changed.")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables or "tickets" not in tables:
                raise BackupError(f"{path} is a SQLite database but not a helpdesk backup (it has no "
                                  "alembic_version or tickets table). Nothing was changed.")
            return contents_from_row(connection.execute(COUNTS_SQL).fetchone())
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is damaged or cut short (SQLite says: {error}). Nothing was changed.") from error


def write_copy(engine: Engine, destination: Path) -> Contents:
    """Copies the live database to `destination`, checked; returns what the copy holds."""
    source = database_path(engine)
    if not source.is_file():
        raise BackupError(f"There is no database at {source} to back up.")
    partial = partial_path(destination)
    partial.unlink(missing_ok=True)
    try:
        connection = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
        try:
            connection.execute("VACUUM INTO ?", (str(partial),))
        finally:
            connection.close()
        # The copy is a file of its own: no -wal/-shm beside it, readable on a read-only medium.
        copy = sqlite3.connect(partial)
        try:
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        contents = check_file(partial)
        os.replace(partial, destination)
        return contents
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite copy failed: {error}") from error
    finally:
        partial.unlink(missing_ok=True)


def restore_file(backup: Path, engine: Engine) -> None:
    """Overwrites the target database with the backup through SQLite's backup API: one write
    transaction, so connections that have the file open see the old database or the new one,
    never a mix (and no stale -wal file can be replayed over it, as a copied file could)."""
    target = database_path(engine)
    if target.exists() and target.resolve() == backup.resolve():
        raise BackupError("The backup file is the target database itself. Nothing was changed.")
    target.parent.mkdir(parents=True, exist_ok=True)
    engine.dispose()
    try:
        source = _read_only(backup)
        destination = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"Restoring into {target} failed (SQLite says: {error}); the database is as it "
                          "was before.") from error
