"""pg_dump and pg_restore as an operator's machine may have them: missing, older than the server,
and never handed the database password on their command line."""
from __future__ import annotations

import json
import shutil
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.backup.conftest import table_rows
from tests.backup.helpers import backup, filled_desk, restore, take


def tool_folder(tmp_path: Path, **scripts: str) -> Path:
    """A folder of small programs to put on PATH in place of the real ones."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name
        path.write_text(body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder


@pytest.fixture
def source(postgres_databases):
    url = postgres_databases.new_url()
    filled_desk(postgres_databases.engine(url, migrated=True))
    return url


def test_backup_without_pg_dump_says_what_to_install(source, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tool_folder(tmp_path)))
    result = backup(source, "--to", str(tmp_path / "site.pgdump"))
    assert result.returncode == 1
    assert "Backup failed: pg_dump was not found on PATH, and PostgreSQL backups need it." in result.stderr
    assert "apt-get install postgresql-client-" in result.stderr
    assert not list(tmp_path.glob("site.pgdump*"))


def test_backup_with_a_pg_dump_older_than_the_server_says_so(source, postgres_databases, tmp_path, monkeypatch):
    with postgres_databases.engine(source).connect() as connection:
        server = int(connection.scalar(text("SHOW server_version_num"))) // 10000
    # What an old client prints (Debian's 9.6 package, say); it is never asked to dump.
    folder = tool_folder(tmp_path, pg_dump="#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    result = backup(source, "--to", str(tmp_path / "site.pgdump"))
    assert result.returncode == 1
    assert f"pg_dump is version 9, older than the PostgreSQL {server} server it would back up" in result.stderr
    assert f"apt-get install postgresql-client-{server}" in result.stderr
    assert not list(tmp_path.glob("site.pgdump*"))


def test_the_password_reaches_pg_dump_and_psql_only_through_their_environment(source, postgres_databases,
                                                                                     tmp_path, monkeypatch):
    password = make_url(source).password
    assert password, "the test database URL has a password"
    log = tmp_path / "calls.jsonl"
    recorder = ("#!{python}\nimport json, os, sys\n"
                "with open({log!r}, 'a') as out:\n"
                "    out.write(json.dumps({{'argv': sys.argv, 'pgpassword': os.environ.get('PGPASSWORD')}}) + '\\n')\n"
                "os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n")
    folder = tool_folder(tmp_path, **{name: recorder.format(python=sys.executable, log=str(log),
                                                            real=shutil.which(name))
                                      for name in ("pg_dump", "pg_restore", "psql")})
    monkeypatch.setenv("PATH", f"{folder}:{tmp_path / 'nothing'}:/usr/bin:/bin")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    path = take(source, tmp_path / "site.pgdump")
    target = postgres_databases.new_url()
    assert restore(target, path).returncode == 0
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert {Path(call["argv"][0]).name for call in calls} == {"pg_dump", "pg_restore", "psql"}
    for call in calls:
        assert not any(password in argument for argument in call["argv"]), call["argv"]
    connecting = [call for call in calls if any(arg.startswith("--dbname=") for arg in call["argv"])]
    # pg_dump reads the database; the restore's psql writes it (pg_restore only makes its script).
    assert sorted(Path(call["argv"][0]).name for call in connecting) == ["pg_dump", "psql"]
    assert all(call["pgpassword"] == password for call in connecting)
    assert table_rows(postgres_databases.engine(target)) == table_rows(postgres_databases.engine(source))


def test_restore_without_pg_restore_refuses_before_touching_anything(source, postgres_databases, tmp_path,
                                                                     monkeypatch):
    path = take(source, tmp_path / "site.pgdump")
    target = postgres_databases.new_url()
    filled_desk(postgres_databases.engine(target, migrated=True), "Ours")
    before = table_rows(postgres_databases.engine(target))
    monkeypatch.setenv("PATH", str(tool_folder(tmp_path)))
    result = restore(target, path, "--force")
    assert result.returncode == 1
    assert "pg_restore was not found on PATH" in result.stderr
    assert table_rows(postgres_databases.engine(target)) == before


def test_restore_without_psql_refuses_before_touching_anything(source, postgres_databases, tmp_path, monkeypatch):
    path = take(source, tmp_path / "site.pgdump")
    target = postgres_databases.new_url()
    filled_desk(postgres_databases.engine(target, migrated=True), "Ours")
    before = table_rows(postgres_databases.engine(target))
    folder = tmp_path / "only-pg-restore"
    folder.mkdir()
    (folder / "pg_restore").symlink_to(shutil.which("pg_restore"))
    monkeypatch.setenv("PATH", str(folder))
    result = restore(target, path, "--force")
    assert result.returncode == 1
    assert "psql was not found on PATH" in result.stderr and "apt-get install postgresql-client-" in result.stderr
    assert table_rows(postgres_databases.engine(target)) == before


def test_a_pg_restore_that_stops_halfway_commits_nothing(source, postgres_databases, tmp_path, monkeypatch):
    """pg_restore writes a valid script up to the end of the first table's data, then fails (as
    on a read error): psql has run the drops and that much, but never gets COMMIT."""
    path = take(source, tmp_path / "site.pgdump")
    target = postgres_databases.new_url()
    filled_desk(postgres_databases.engine(target, migrated=True), "Ours")
    before = table_rows(postgres_databases.engine(target))
    real = shutil.which("pg_restore")
    halfway = ("#!{python}\nimport os, subprocess, sys\n"
               "if not any(arg.startswith('--use-list=') for arg in sys.argv):\n"
               "    os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
               "script = subprocess.run([{real!r}, *sys.argv[1:]], capture_output=True, check=True).stdout\n"
               "sys.stdout.buffer.write(script[:script.index(b'\\n\\\\.\\n') + 4])\n"
               "sys.stdout.flush()\n"
               "sys.stderr.write('pg_restore: error: could not read from input file: end of file\\n')\n"
               "sys.exit(1)\n").format(python=sys.executable, real=real)
    monkeypatch.setenv("PATH", f"{tool_folder(tmp_path, pg_restore=halfway)}:/usr/bin:/bin")
    result = restore(target, path, "--force")
    assert result.returncode == 1
    assert "pg_restore said: pg_restore: error: could not read from input file" in result.stderr
    assert "rolled back" in result.stderr
    assert table_rows(postgres_databases.engine(target)) == before
