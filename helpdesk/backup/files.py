"""Where backups go and which files are ours: the default folder, timestamped names, retention."""
from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from helpdesk.core.config import load_secrets
from helpdesk.backup.kinds import BackupKind

# Only files with this name are ever pruned by --keep: an operator's own files in the folder are safe.
BACKUP_NAME = re.compile(r"^helpdesk-(\d{8}T\d{6}Z)(?:-(\d+))?\.(sqlite3|pgdump)$")
PARTIAL_SUFFIX = ".partial"


def backup_folder() -> Path:
    """HELPDESK_BACKUP_DIR, else `folder` under [backup] in secrets.toml, else ./backups."""
    configured = os.environ.get("HELPDESK_BACKUP_DIR") or load_secrets().get("backup", {}).get("folder")
    return Path(configured) if configured else Path.cwd() / "backups"


def new_backup_path(folder: Path, kind: BackupKind, now: datetime) -> Path:
    """helpdesk-20260302T090000Z.sqlite3 (UTC), with -2, -3 ... when that second is taken."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    candidate = folder / f"helpdesk-{stamp}{kind.suffix}"
    number = 1
    while candidate.exists() or partial_path(candidate).exists():
        number += 1
        candidate = folder / f"helpdesk-{stamp}-{number}{kind.suffix}"
    return candidate


def partial_path(final: Path) -> Path:
    """Where a backup is written until it is complete and checked: a crash never leaves a file
    that looks finished (or that --keep would count)."""
    return final.with_name(final.name + PARTIAL_SUFFIX)


def _age_key(path: Path) -> tuple[str, int]:
    match = BACKUP_NAME.match(path.name)
    return match.group(1), int(match.group(2) or 1)


def backups_in(folder: Path) -> list[Path]:
    """This command's backup files in `folder`, the newest first (by the time in the name)."""
    if not folder.is_dir():
        return []
    ours = [path for path in folder.iterdir() if path.is_file() and BACKUP_NAME.match(path.name)]
    return sorted(ours, key=_age_key, reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    """Deletes all but the newest `keep` backup files; returns what it deleted."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    removed = backups_in(folder)[keep:]
    for path in removed:
        path.unlink()
    return removed
