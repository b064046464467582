"""Taking a backup: one checked file per run, the folder pruned to the newest N if asked."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from helpdesk.backup import postgres_dump, sqlite_copy
from helpdesk.backup.contents import Contents
from helpdesk.backup.files import backup_folder, new_backup_path, prune
from helpdesk.backup.kinds import BackupKind, kind_of_database
from helpdesk.backup.problems import BackupError
from helpdesk.core import clock


@dataclass(frozen=True)
class BackupReport:
    path: Path
    kind: BackupKind
    size: int
    contents: Contents
    seconds: float
    pruned: list[Path] = field(default_factory=list)


def take_backup(*, engine: Engine, to: Path | None = None, keep: int | None = None) -> BackupReport:
    kind = kind_of_database(engine.dialect.name)
    if keep is not None and keep < 1:
        raise BackupError("--keep needs a number of backups to keep, 1 or more.")
    if to is not None and to.is_dir():
        raise BackupError(f"{to} is a folder: give a file name with --to (or leave --to out for a timestamped file "
                          "in the backup folder).")
    if to is not None and to.exists():
        raise BackupError(f"{to} already exists; a backup never overwrites a file. Nothing was written.")
    path = to or new_backup_path(backup_folder(), kind, clock.utcnow())
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    writer = sqlite_copy.write_copy if kind is BackupKind.SQLITE else postgres_dump.write_dump
    contents = writer(engine, path)
    seconds = time.perf_counter() - started
    pruned = prune(path.parent, keep) if keep is not None else []
    return BackupReport(path=path, kind=kind, size=path.stat().st_size, contents=contents, seconds=seconds,
                        pruned=pruned)
