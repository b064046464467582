"""Where `backup` writes without --to, what it prints, and `--keep N`: the newest N of its own
files stay, an operator's other files in the folder are never touched."""
from __future__ import annotations

import os
import re

from helpdesk.backup.files import BACKUP_NAME
from tests.backup.helpers import backup, filled_desk


def test_backup_writes_a_timestamped_file_in_the_backup_folder_and_says_what_it_wrote(databases, tmp_path,
                                                                                     monkeypatch):
    folder = tmp_path / "nightly"
    monkeypatch.setenv("HELPDESK_BACKUP_DIR", str(folder))
    url = databases.new_url()
    filled_desk(databases.engine(url, migrated=True))
    result = backup(url)
    assert result.returncode == 0, result.stderr
    (written,) = folder.iterdir()
    assert BACKUP_NAME.match(written.name)
    assert written.suffix == (".sqlite3" if databases.backend == "sqlite" else ".pgdump")
    lines = result.stdout.splitlines()
    assert lines[0] == f"Backup written: {written}"
    assert f"({written.stat().st_size} bytes)" in lines[1]
    assert re.fullmatch(r"  1 tickets, 1 attachments \(\d+ bytes\), schema revision \w+", lines[2])
    assert not list(folder.glob("*.partial"))


def test_keep_leaves_the_newest_backups_and_nothing_else(sqlite_databases, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    folder.mkdir()
    monkeypatch.setenv("HELPDESK_BACKUP_DIR", str(folder))
    url = sqlite_databases.new_url()
    filled_desk(sqlite_databases.engine(url, migrated=True))
    # Older backups from earlier nights, and files that are not this command's.
    old = [folder / f"helpdesk-202601{day:02d}T020000Z.sqlite3" for day in (1, 2, 3)]
    for path in old:
        path.write_bytes(b"an old backup")
    mine = [folder / "helpdesk-before-upgrade.sqlite3", folder / "notes.txt"]
    for path in mine:
        path.write_text("the operator's own")
    # File times say nothing: the name's time orders backups (a copied-in file keeps its order).
    os.utime(old[0], (2_000_000_000, 2_000_000_000))

    result = backup(url, "--keep", "2")
    assert result.returncode == 0, result.stderr
    new = [path for path in folder.iterdir() if path not in old and path not in mine]
    assert len(new) == 1
    assert sorted(folder.iterdir()) == sorted([*new, old[2], *mine])
    for path in old[:2]:
        assert f"  removed old backup {path}" in result.stdout.splitlines()

    # Two more in the same second get -2, -3 and still count in order.
    for _ in range(2):
        assert backup(url, "--keep", "2").returncode == 0
    kept = sorted(path.name for path in folder.iterdir() if BACKUP_NAME.match(path.name))
    assert len(kept) == 2 and old[2].name not in kept


def test_keep_needs_a_positive_number_and_to_never_overwrites(sqlite_databases, tmp_path):
    url = sqlite_databases.new_url()
    filled_desk(sqlite_databases.engine(url, migrated=True))
    zero = backup(url, "--keep", "0", "--to", str(tmp_path / "a.sqlite3"))
    assert zero.returncode == 1 and "--keep needs a number of backups to keep, 1 or more." in zero.stderr
    assert not (tmp_path / "a.sqlite3").exists()
    existing = tmp_path / "existing.sqlite3"
    existing.write_text("precious")
    again = backup(url, "--to", str(existing))
    assert again.returncode == 1 and "already exists; a backup never overwrites a file" in again.stderr
    assert existing.read_text() == "precious"
