"""Taking and restoring backups the way an operator does (`python -m helpdesk ...`, run through
the same entry point in this process), and a database with a little of everything in it."""
from __future__ import annotations

from pathlib import Path

from helpdesk.tickets.attachments import UploadedFile
from tests.factories import Desk
from tests.test_cli import run_cli_in_process


def backup(url: str, *args: str):
    return run_cli_in_process(url, "backup", *args)


def take(url: str, path: Path) -> Path:
    result = backup(url, "--to", str(path))
    assert result.returncode == 0, result.stderr
    return path


def restore(url: str, path: Path, *args: str):
    return run_cli_in_process(url, "restore", str(path), *args)


def filled_desk(engine, subject: str = "Charged twice") -> Desk:
    desk = Desk.build(engine)
    desk.raise_ticket(subject=subject, attachments=[UploadedFile("invoice.pdf", b"%PDF-1.4 " + subject.encode())])
    return desk
