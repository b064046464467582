"""PostgreSQL: one pg_dump custom-format archive of the app's schema, from one snapshot.

The counts printed come from the very snapshot pg_dump reads (pg_export_snapshot), so they are
what the file holds even while tickets keep arriving."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, text

from helpdesk.backup.contents import Contents, read_contents
from helpdesk.backup.files import partial_path
from helpdesk.backup.postgres_tools import check_dump_version, connection_string, find_tool, run_tool
from helpdesk.backup.problems import BackupError


def _literal_pattern(name: str) -> str:
    # pg_dump's -n/-e take patterns; double quotes make a name mean itself (case, dots, *).
    return '"' + name.replace('"', '""') + '"'


def write_dump(engine: Engine, destination: Path) -> Contents:
    pg_dump = find_tool("pg_dump")
    partial = partial_path(destination)
    partial.unlink(missing_ok=True)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                check_dump_version(pg_dump, int(connection.scalar(text("SHOW server_version_num"))))
                schema = connection.scalar(text("SELECT current_schema()"))
                if not schema:
                    raise BackupError("None of the schemas on the database URL's search_path exists: "
                                      "there is nothing to back up.")
                snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
                contents = read_contents(connection)
                # Extensions the schema uses (pg_trgm for subject search) are database-wide; the
                # archive brings them along so a restore into a new database can create them.
                extensions = connection.scalars(text(
                    "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname")).all()
                # The transaction stays open until pg_dump is done: the snapshot lives as long as it.
                run_tool([pg_dump, "--format=custom", f"--file={partial}", f"--snapshot={snapshot}",
                          f"--schema={_literal_pattern(schema)}",
                          *(f"--extension={_literal_pattern(name)}" for name in extensions),
                          f"--dbname={connection_string(engine)}"], engine, what="pg_dump")
        os.replace(partial, destination)
        return contents
    finally:
        partial.unlink(missing_ok=True)
