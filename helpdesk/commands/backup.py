"""`backup [--to FILE] [--keep N]` and `restore FILE [--force]`: the operator's side of helpdesk.backup."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from helpdesk.backup.contents import human_size
from helpdesk.backup.problems import BackupError
from helpdesk.backup.restore import restore_backup
from helpdesk.backup.take import take_backup
from helpdesk.core.db import make_engine


def register(subparsers) -> None:
    backup = subparsers.add_parser("backup", help="write one consistent backup file while the app keeps running")
    backup.add_argument("--to", type=Path, metavar="FILE",
                        help="the file to write (default: a timestamped file in HELPDESK_BACKUP_DIR, ./backups)")
    backup.add_argument("--keep", type=int, metavar="N",
                        help="afterwards keep only the newest N backup files in that folder")
    backup.set_defaults(run=run_backup)
    restore = subparsers.add_parser("restore", help="replace the database with a backup file")
    restore.add_argument("file", type=Path, metavar="FILE", help="a file written by `backup`")
    restore.add_argument("--force", action="store_true", help="replace a database that already has data")
    restore.set_defaults(run=run_restore)


def run_backup(args) -> int:
    engine = make_engine(args.database_url)
    try:
        report = take_backup(engine=engine, to=args.to, keep=args.keep)
    except BackupError as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        print(f"Backup failed: the database could not be reached ({error.orig}).", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Backup written: {report.path}")
    print(f"  {report.kind.label}, {human_size(report.size)} ({report.size} bytes) in {report.seconds:.1f} s")
    print(f"  {report.contents.summary()}")
    for path in report.pruned:
        print(f"  removed old backup {path}")
    return 0


def run_restore(args) -> int:
    engine = make_engine(args.database_url)
    try:
        report = restore_backup(engine=engine, path=args.file, force=args.force)
    except BackupError as error:
        print(f"Restore refused: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:
        print(f"Restore refused: the database could not be reached ({error.orig}). Nothing was changed.",
              file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Restored {report.path} ({report.kind.label}) into {engine.url.render_as_string(hide_password=True)}")
    print(f"  {report.contents.summary()}")
    if report.migrated:
        print(f"  migrated forward from the backup's revision {report.backup_revision} to {report.revision}")
    print(f"  {report.sessions_ended} sign-in sessions ended: everyone signs in again")
    for line in report.mail.lines():
        print(f"  {line}")
    print(f"  took {report.seconds:.1f} s")
    return 0
