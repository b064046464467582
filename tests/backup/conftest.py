"""Databases for backup tests: each test gets fresh ones on SQLite (files) and on PostgreSQL
(throwaway databases, dropped afterwards: a restore target is a whole database, as in production),
and a row-for-row picture of every table to compare a restore with."""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from helpdesk.core.db import make_engine, migrate
from helpdesk.models import Base
from tests.conftest import POSTGRES_URL, skip_or_fail


class Databases:
    """Hands out URLs of new, empty databases of one backend; cleans them all up at the end."""

    def __init__(self, backend: str, tmp_path):
        self.backend = backend
        self.tmp_path = tmp_path
        self.created: list[str] = []
        self.engines: list[Engine] = []
        self._admin: Engine | None = None

    def new_url(self, name: str | None = None, *, search_path: str | None = None) -> str:
        name = name or f"bk_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / (name + '.db')}"
        if self._admin is None:
            if not POSTGRES_URL:
                skip_or_fail("HELPDESK_TEST_POSTGRES_URL is not set (no PostgreSQL to test against)")
            self._admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        url = make_url(POSTGRES_URL).set(database=name)
        if search_path:
            engine = make_engine(url.render_as_string(hide_password=False))
            with engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{search_path}"'))
            engine.dispose()
            url = url.update_query_dict({"options": f"-csearch_path={search_path}"})
        return url.render_as_string(hide_password=False)

    def engine(self, url: str, *, migrated: bool = False) -> Engine:
        engine = make_engine(url)
        if migrated:
            migrate(engine)
        self.engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        if self._admin is not None:
            for name in self.created:
                self._drop(name)
            self._admin.dispose()

    def _drop(self, name: str) -> None:
        """Dropped once nothing is connected any more. Not WITH (FORCE): that needs the right to
        end the server's own autovacuum worker, which a plain CREATEDB role lacks."""
        deadline = time.monotonic() + 60
        while True:
            try:
                with self._admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except DBAPIError as error:
                if "is being accessed by other users" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path) -> Iterator[Databases]:
    made = Databases(request.param, tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def postgres_databases(tmp_path) -> Iterator[Databases]:
    made = Databases("postgresql", tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def sqlite_databases(tmp_path) -> Iterator[Databases]:
    made = Databases("sqlite", tmp_path)
    try:
        yield made
    finally:
        made.close()


def table_rows(engine: Engine) -> dict[str, dict[tuple, dict]]:
    """Every table of the metadata that exists here: its rows by primary key, every column."""
    picture: dict[str, dict[tuple, dict]] = {}
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            key_columns = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table)).mappings().all()
            picture[table.name] = {tuple(row[column.name] for column in key_columns): dict(row) for row in rows}
    return picture
