"""PostgreSQL's client programs (pg_dump, pg_restore): found on PATH, their version checked
against the server, run with the app's connection settings and the password only in their
environment (never on a command line, where any user of the machine could read it)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import URL, Engine

from helpdesk.backup.problems import BackupError

INSTALL_HINT = ("Install PostgreSQL's client programs (Debian/Ubuntu: apt-get install postgresql-client-{major}), "
                "or put their folder first on PATH.")


def find_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found on PATH, and PostgreSQL backups need it. "
                          + INSTALL_HINT.format(major="NN"))
    return found


def tool_major(tool: str) -> int:
    """`pg_dump (PostgreSQL) 15.18 (Debian ...)` -> 15 (9.6 -> 9)."""
    result = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60)
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", result.stdout)
    if result.returncode != 0 or not match:
        raise BackupError(f"Could not tell the version of {tool} (it printed {result.stdout.strip()!r}).")
    return int(match.group(1))


def server_major(version_num: int) -> int:
    """SHOW server_version_num: 150018 -> 15; before version 10 it was 90624 -> 9."""
    return version_num // 10000


def check_dump_version(tool: str, version_num: int) -> None:
    """pg_dump refuses (or worse, misreads) a server newer than itself: say so plainly first."""
    ours, theirs = tool_major(tool), server_major(version_num)
    if ours < theirs:
        raise BackupError(f"{tool} is version {ours}, older than the PostgreSQL {theirs} server it would back up. "
                          + INSTALL_HINT.format(major=theirs))


def connection_string(engine: Engine) -> str:
    """The libpq URI of the app's database without its password (the query keeps sslmode,
    host=/socket/dir, options=-csearch_path=... and the like)."""
    url = engine.url
    # URL.set(password=None) would keep the password (None means "unchanged" there).
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                      query=url.query).render_as_string(hide_password=False)


def tool_environment(engine: Engine) -> dict[str, str]:
    env = dict(os.environ)
    if engine.url.password is not None:
        env["PGPASSWORD"] = str(engine.url.password)
    return env


def run_tool(arguments: list[str], engine: Engine | None = None, *, what: str,
             stdout_path: Path | None = None) -> str:
    """Runs a client program; its stdout, or BackupError with the last lines it wrote on stderr."""
    env = tool_environment(engine) if engine is not None else dict(os.environ)
    if stdout_path is None:
        result = subprocess.run(arguments, capture_output=True, text=True, env=env)
    else:
        with stdout_path.open("w") as out:
            result = subprocess.run(arguments, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
    if result.returncode != 0:
        said = " ".join(line.strip() for line in result.stderr.strip().splitlines()[-3:]) or "nothing"
        raise BackupError(f"{what} failed ({Path(arguments[0]).name} said: {said})")
    return result.stdout or ""
