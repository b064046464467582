"""A backup file cut short, overwritten in the middle or not a backup at all is refused with a
clear message before anything is touched: the target keeps every row, even with --force."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from helpdesk.backup.kinds import PG_CUSTOM_MAGIC, SQLITE_MAGIC
from tests.backup.conftest import table_rows
from tests.backup.helpers import filled_desk, restore, take


def cut_in_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def cut_at_the_end(path: Path) -> None:
    """The last few bytes lost (a full disk, a copy that stopped): a pg_dump archive still lists
    its table of contents then, so only reading every data block finds it."""
    os.truncate(path, path.stat().st_size - 10)


def overwritten_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = random.Random(7).randbytes(4096)
    path.write_bytes(bytes(data))


def garbage(path: Path) -> None:
    path.write_bytes(random.Random(1).randbytes(20_000))


def garbage_after_the_right_header(path: Path) -> None:
    magic = SQLITE_MAGIC if path.read_bytes().startswith(SQLITE_MAGIC) else PG_CUSTOM_MAGIC
    path.write_bytes(magic + random.Random(2).randbytes(20_000))


def empty(path: Path) -> None:
    path.write_bytes(b"")


DAMAGE = [cut_in_half, cut_at_the_end, overwritten_in_the_middle, garbage, garbage_after_the_right_header, empty]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda damage: damage.__name__)
def test_a_damaged_backup_is_refused_and_nothing_changes(databases, tmp_path, damage):
    source_url, target_url = databases.new_url(), databases.new_url()
    filled_desk(databases.engine(source_url, migrated=True), "From the backup")
    path = take(source_url, tmp_path / "site.backup")
    target = databases.engine(target_url, migrated=True)
    filled_desk(target, "Only in the target")
    before = table_rows(target)
    damage(path)

    result = restore(target_url, path, "--force")
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Restore refused: ")
    assert any(words in result.stderr for words in ("is damaged or cut short", "is damaged:",
                                                    "is not a helpdesk backup"))
    assert "Nothing was changed." in result.stderr
    assert table_rows(target) == before


def test_a_missing_file_is_refused(databases, tmp_path):
    url = databases.new_url()
    result = restore(url, tmp_path / "nowhere.backup")
    assert result.returncode == 1
    assert f"{tmp_path / 'nowhere.backup'} does not exist" in result.stderr
