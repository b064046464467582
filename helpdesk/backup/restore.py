"""Restoring a backup: every check first (the file whole, the right kind, a revision this code
knows, a target without data or --force), then the restore, the migrations it lacks, and the end
of every sign-in session (a restore must not bring back a sign-in that was signed out since)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from helpdesk.accounts.sign_in_sessions import end_all_sessions
from helpdesk.backup import postgres_restore, sqlite_copy
from helpdesk.backup.contents import Contents, read_contents, tables_with_data
from helpdesk.backup.mail_hazards import MailHazards, read_mail_hazards
from helpdesk.backup.kinds import BackupKind, kind_of_database, kind_of_file
from helpdesk.backup.problems import BackupError
from helpdesk.backup.revisions import RevisionStanding, code_head, standing_of
from helpdesk.core.db import migrate, session_scope

# Named first when a restore refuses a database with data: what an operator recognises.
TELLING_TABLES = ("tickets", "users")


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    kind: BackupKind
    backup_revision: str
    revision: str
    contents: Contents
    sessions_ended: int
    mail: MailHazards
    seconds: float

    @property
    def migrated(self) -> bool:
        return self.backup_revision != self.revision


def restore_backup(*, engine: Engine, path: Path, force: bool = False) -> RestoreReport:
    started = time.perf_counter()
    kind = kind_of_file(path)
    target_kind = kind_of_database(engine.dialect.name)
    if kind is not target_kind:
        raise BackupError(f"{path} is a {kind.label} backup and the target database is {target_kind.label}: a "
                          f"backup restores only into the kind of database it was taken from. Nothing was changed.")
    if kind is BackupKind.SQLITE:
        revision = sqlite_copy.check_file(path).revision
    else:
        facts = postgres_restore.check_archive(path)
        schema, schema_exists = postgres_restore.target_schema(engine)
        postgres_restore.check_schema_matches(facts, schema)
        revision = facts.revision
    standing = standing_of(engine, revision)
    if not force:
        filled = sorted(tables_with_data(engine), key=lambda name: (name not in TELLING_TABLES, name))
        if filled:
            more = f" and {len(filled) - 3} more tables" if len(filled) > 3 else ""
            raise BackupError(f"The target database already has data ({', '.join(filled[:3])}{more}). A restore "
                              "replaces all of it: run again with --force to do that. Nothing was changed.")
    if kind is BackupKind.SQLITE:
        sqlite_copy.restore_file(path, engine)
    else:
        postgres_restore.restore_archive(path, engine, facts, schema_exists)
    if standing is RevisionStanding.OLDER:
        migrate(engine)
    with session_scope(engine) as session:
        ended = end_all_sessions(session=session)
    with engine.connect() as connection:
        contents = read_contents(connection)
        mail = read_mail_hazards(connection)
    return RestoreReport(path=path, kind=kind, backup_revision=revision, revision=code_head(engine),
                         contents=contents, sessions_ended=ended, mail=mail, seconds=time.perf_counter() - started)
