"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when
HELPDESK_TEST_POSTGRES_URL is set (required under CI=true)."""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from helpdesk.backup.postgres_tools import connection_string, find_tool, run_tool
from helpdesk.core.db import make_engine, migrate
from tests.ci_guard import in_ci
from tests.factories import Desk, Team

IN_CI = in_ci()
POSTGRES_URL = os.environ.get("HELPDESK_TEST_POSTGRES_URL")


def skip_or_fail(reason: str) -> None:
    """Locally a missing real part skips with a reason; in CI it fails the run."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@contextmanager
def postgres_schema(*, name: str | None = None, template: str | None = None) -> Iterator[str]:
    """The URL of a throwaway schema on the test PostgreSQL server, dropped afterwards: empty, or
    made by replaying `template` (see `postgres_template`) under its name."""
    if not POSTGRES_URL:
        skip_or_fail("HELPDESK_TEST_POSTGRES_URL is not set (no PostgreSQL to test against)")
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = name or f"t_{uuid.uuid4().hex[:12]}"
    try:
        if template is None:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        else:
            # The raw cursor: a script of many statements, without parameters, in one call.
            connection = admin.raw_connection()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(template.replace(TEMPLATE_SCHEMA, schema))
                connection.commit()
            finally:
                connection.close()
        yield make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def opened_engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    with opened_engine(url) as engine:
        migrate(engine)
        yield engine


# Migrating takes most of a short test's time (about 0.13 s on SQLite, 0.32 s on PostgreSQL), so
# the migrations run once per session into a template, and each test gets a copy of the result:
# the same schema and rows the migrations make, in a database of its own.
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file the migrations brought to head, to copy for each test."""
    path = tmp_path_factory.mktemp("migrated") / "helpdesk.db"
    with migrated_engine(f"sqlite:///{path}") as engine, engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    return path


@contextmanager
def copied_sqlite_engine(template: Path, path: Path) -> Iterator[Engine]:
    shutil.copyfile(template, path)
    with opened_engine(f"sqlite:///{path}") as engine:
        yield engine


TEMPLATE_SCHEMA = f"ccr_template_{uuid.uuid4().hex[:12]}"  # unique: replaced by name in the dump


@pytest.fixture(scope="session")
def postgres_template() -> str:
    """The SQL (pg_dump, plain) of a schema the migrations brought to head, with its rows,
    naming the schema `TEMPLATE_SCHEMA`; replayed under a new name for each test."""
    with postgres_schema(name=TEMPLATE_SCHEMA) as url, migrated_engine(url) as engine:
        dump = run_tool([find_tool("pg_dump"), "--no-owner", "--no-privileges", "--inserts",
                         "--schema", TEMPLATE_SCHEMA, "--dbname", connection_string(engine)],
                        engine, what="Dumping the migrated template schema")
    # psql meta-commands (\restrict, added by PostgreSQL's 2025 security releases) are not SQL.
    return "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))


@contextmanager
def copied_postgres_engine(template: str) -> Iterator[Engine]:
    with postgres_schema(template=template) as url, opened_engine(url) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A freshly migrated database. Every service test runs on both backends."""
    if request.param == "sqlite":
        with copied_sqlite_engine(request.getfixturevalue("sqlite_template"), tmp_path / "helpdesk.db") as engine:
            yield engine
    else:
        with copied_postgres_engine(request.getfixturevalue("postgres_template")) as engine:
            yield engine


@pytest.fixture
def postgres_engine(request):
    """A freshly migrated PostgreSQL database, for behaviour only PostgreSQL has (row locks)."""
    with copied_postgres_engine(request.getfixturevalue("postgres_template")) as engine:
        yield engine


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    with copied_sqlite_engine(sqlite_template, tmp_path / "helpdesk.db") as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database_url(request, tmp_path):
    """The URL of an empty database (no tables yet) on each backend, for code that migrates
    by itself, such as the CLI run as a subprocess."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'helpdesk.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def desk(engine) -> Desk:
    """The shared world, on SQLite and PostgreSQL: Carla, the agents Alex and Bo, Ada, Billing."""
    return Desk.build(engine)


@pytest.fixture
def team(desk) -> Team:
    """The Desk plus agents with skills: Ann and Ben handle Billing, Sam handles Shipping."""
    return Team.build(desk)


@pytest.fixture
def app_db(sqlite_template, tmp_path, monkeypatch):
    """An empty, migrated SQLite database that the app under test (AppTest, this process) uses."""
    from tests.page_helpers import point_app_at
    from helpdesk.ui.engine import get_engine

    path = tmp_path / "app.db"
    point_app_at(monkeypatch, tmp_path, f"sqlite:///{path}")
    with copied_sqlite_engine(sqlite_template, path) as engine:
        yield engine
        get_engine.clear()


@pytest.fixture
def app_desk(app_db) -> Desk:
    """The shared world in the database the app under test uses."""
    return Desk.build(app_db)


@pytest.fixture
def served_db(engine, tmp_path, monkeypatch):
    """An empty, migrated database on each backend, which the app under test uses
    (`app_db` is the SQLite-only one, for page tests that need no PostgreSQL run)."""
    from tests.page_helpers import point_app_at
    from helpdesk.ui.engine import get_engine

    point_app_at(monkeypatch, tmp_path, engine.url.render_as_string(hide_password=False))
    yield engine
    get_engine.clear()


@pytest.fixture
def served_desk(desk, served_db) -> Desk:
    """The shared world on each backend, served by the app under test."""
    return desk


TEST_BASE_URL = "https://help.example.test"


@pytest.fixture
def no_local_configuration(monkeypatch, tmp_path):
    """The app's defaults, whatever the developer's shell or .streamlit/secrets.toml say: no
    SMTP, mail or upload settings, no secrets file, and mailed links on TEST_BASE_URL."""
    for name in list(os.environ):
        if name.startswith(("HELPDESK_UPLOAD_", "HELPDESK_SMTP_", "HELPDESK_MAIL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("HELPDESK_BASE_URL", TEST_BASE_URL)


class FakeClock:
    """The one clock of the package (helpdesk.core.clock.utcnow), stopped at `now` and moved on by hand."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        from datetime import timedelta
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """Time under the test's control: every helpdesk module that imported utcnow reads this one
    (model column defaults call helpdesk.core.clock.utcnow at each insert), starting on a Monday
    at 09:00 UTC."""
    import sys
    from datetime import UTC, datetime

    from helpdesk.core import clock as real_clock

    fake = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    original = real_clock.utcnow
    for name, module in list(sys.modules.items()):
        if (name == "helpdesk" or name.startswith("helpdesk.")) and getattr(module, "utcnow", None) is original:
            monkeypatch.setattr(module, "utcnow", fake)
    return fake
