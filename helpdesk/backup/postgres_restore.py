"""PostgreSQL: a pg_dump archive checked end to end before anything is touched, then restored
into the app's schema: emptying it and restoring into it are one transaction (psql's)."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from helpdesk.backup.postgres_tools import connection_string, find_tool, run_tool, tool_environment
from helpdesk.backup.problems import BackupError

# A TOC line of `pg_restore --list`: "216; 1259 24578 TABLE t_x alembic_version helpdesk_dev".
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) alembic_version ")


@dataclass(frozen=True)
class DumpFacts:
    listing: str  # pg_restore --list, to restore from (filtered)
    schema: str
    revision: str | None


def check_archive(path: Path) -> DumpFacts:
    """`pg_restore --list` reads only the archive's table of contents, which survives a file cut
    short after it; reading every data block too (into /dev/null) is what finds that."""
    pg_restore = find_tool("pg_restore")
    try:
        listing = run_tool([pg_restore, "--list", str(path)], what="Reading the archive's table of contents")
        run_tool([pg_restore, f"--file={os.devnull}", str(path)], what="Reading the archive's data")
        copy = run_tool([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
                        what="Reading the archive's schema revision")
    except BackupError as error:
        raise BackupError(f"{path} is damaged or cut short, so it cannot be restored ({error}). "
                          "Nothing was changed.") from error
    schemas = [match.group(1) for line in listing.splitlines() if (match := _TOC_TABLE.match(line))]
    if not schemas:
        raise BackupError(f"{path} is a PostgreSQL archive but not a helpdesk backup (no alembic_version "
                          "table). Nothing was changed.")
    return DumpFacts(listing=listing, schema=schemas[0], revision=_copied_revision(copy))


def _copied_revision(script: str) -> str | None:
    """The one row between `COPY ... alembic_version ... FROM stdin;` and `\\.`."""
    lines = script.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            row = lines[index + 1] if index + 1 < len(lines) else "\\."
            return None if row == "\\." else row.split("\t")[0]
    return None


def target_schema(engine: Engine) -> tuple[str, bool]:
    """The schema the app's URL works in (search_path's first) and whether it exists yet."""
    with engine.connect() as connection:
        current = connection.scalar(text("SELECT current_schema()"))
        if current:
            return current, True
        # None of search_path's schemas exists yet: the restore creates the first one it names.
        first = (connection.scalar(text("SELECT split_part(current_setting('search_path'), ',', 1)")) or "public")
        first = first.strip().strip('"')
        return (connection.scalar(text("SELECT current_user")) if first == "$user" else first), False


def check_schema_matches(facts: DumpFacts, schema: str) -> None:
    if facts.schema != schema:
        raise BackupError(f"The backup holds schema {facts.schema!r}, but the target database URL works in "
                          f"{schema!r}. pg_restore cannot rename a schema: restore into a database whose "
                          f"search_path starts with {facts.schema!r}. Nothing was changed.")


# Everything of the schema's own, not what an extension installed there (pg_trgm's functions
# may live in public): dropping a table takes its indexes, the sequences it owns and its triggers.
def _not_extension_member(oid: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"


_RELATIONS = ("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n "
              "ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind IN ({kinds}) AND "
              + _not_extension_member("c.oid"))
_OBJECTS = {
    "TABLE": _RELATIONS.format(kinds="'r', 'p'") + " AND NOT c.relispartition",
    "VIEW": _RELATIONS.format(kinds="'v'"),
    "MATERIALIZED VIEW": _RELATIONS.format(kinds="'m'"),
    "SEQUENCE": _RELATIONS.format(kinds="'S'"),
    "ROUTINE": ("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = :schema AND p.prokind IN ('f', 'p') AND " + _not_extension_member("p.oid")),
    "TYPE": ("SELECT format('%I.%I', n.nspname, t.typname) FROM pg_type t JOIN pg_namespace n "
             "ON n.oid = t.typnamespace WHERE n.nspname = :schema AND t.typtype IN ('e', 'd', 'r', 'm') AND "
             + _not_extension_member("t.oid")),
}


def drop_statements(engine: Engine, schema: str) -> list[str]:
    """DROP ... IF EXISTS ... CASCADE for everything of the schema's own, read now and run later
    inside the restore's transaction. IF EXISTS: a table's sequences and types go with it first."""
    statements = []
    with engine.connect() as connection:
        for kind, query in _OBJECTS.items():
            names = connection.scalars(text(query), {"schema": schema}).all()
            if names:
                statements.append(f"DROP {kind} IF EXISTS {', '.join(names)} CASCADE;")
    return statements


def _restore_listing(facts: DumpFacts, schema_exists: bool) -> str:
    """The archive's table of contents minus what the target already has or that needs an
    owner's rights: the schema itself when it exists, and comments on extensions."""
    kept = []
    for line in facts.listing.splitlines():
        if schema_exists and re.match(rf"^\d+; \d+ \d+ SCHEMA - {re.escape(facts.schema)} ", line + " "):
            continue
        if re.match(r"^\d+; \d+ \d+ COMMENT - (EXTENSION|SCHEMA) ", line):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


CHUNK = 1024 * 1024  # attachments live in the database: the script is streamed, never held whole


def _said(stderr_path: Path) -> str:
    """What a client program said: its ERROR lines if it wrote any, else its last lines."""
    lines = [line.strip() for line in stderr_path.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR:" in line or "FATAL:" in line or "error:" in line]
    return " ".join((errors or lines)[-3:]) or "nothing"


def restore_archive(path: Path, engine: Engine, facts: DumpFacts, schema_exists: bool) -> None:
    """The drops and the whole restore are ONE transaction in psql: pg_restore only turns the
    archive into SQL, streamed into psql after BEGIN and the drops. COMMIT is written only once
    pg_restore has finished cleanly, so any failure (pg_restore's, psql's, a lost connection, a
    replica migrating in the meantime) rolls back to the target exactly as it was."""
    pg_restore, psql = find_tool("pg_restore"), find_tool("psql")
    drops = drop_statements(engine, facts.schema) if schema_exists else []
    with tempfile.TemporaryDirectory(prefix="helpdesk-restore-") as folder:
        listing = Path(folder) / "toc.list"
        listing.write_text(_restore_listing(facts, schema_exists))
        restore_errors, psql_errors = Path(folder) / "pg_restore.err", Path(folder) / "psql.err"
        with restore_errors.open("wb") as restore_err, psql_errors.open("wb") as psql_err:
            # The password reaches psql only through PGPASSWORD; pg_restore connects to nothing.
            loader = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
                                       "--file=-", f"--dbname={connection_string(engine)}"],
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err,
                                      env=tool_environment(engine))
            # Owners and grants are the target's: the restoring role owns what it creates.
            reader = subprocess.Popen([pg_restore, "--no-owner", "--no-acl", f"--use-list={listing}", "--file=-",
                                       str(path)], stdout=subprocess.PIPE, stderr=restore_err)
            try:
                _feed(loader, reader, drops)
            finally:
                _close(loader.stdin)  # interrupted: psql's end of input, still without COMMIT
                reader.stdout.close()
                if reader.poll() is None and loader.poll() is not None:
                    reader.kill()  # psql stopped: the rest of the script is of no use
                reader.wait()
                loader.wait()
        if reader.returncode != 0 or loader.returncode != 0:
            said = _said(psql_errors) if loader.returncode != 0 else _said(restore_errors)
            tool = "psql" if loader.returncode != 0 else "pg_restore"
            raise BackupError(f"The restore failed ({tool} said: {said}). It was rolled back: the target schema "
                              f"{facts.schema!r} is as it was before. Fix the cause and run the restore again.")


def _feed(loader: subprocess.Popen, reader: subprocess.Popen, drops: list[str]) -> None:
    head = "SET client_min_messages = warning;\nBEGIN;\n" + "".join(f"{drop}\n" for drop in drops)
    try:
        loader.stdin.write(head.encode())
        while chunk := reader.stdout.read(CHUNK):
            loader.stdin.write(chunk)
        # Without COMMIT, psql's end of input ends the session and the transaction rolls back.
        if reader.wait() == 0:
            loader.stdin.write(b"\nCOMMIT;\n")
        loader.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped at an error (ON_ERROR_STOP): its exit code tells


def _close(pipe) -> None:
    try:
        pipe.close()
    except BrokenPipeError:
        pass
