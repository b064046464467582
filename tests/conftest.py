"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when
HELPDESK_TEST_POSTGRES_URL is set (required under CI=true)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from helpdesk.accounts.passwords import hash_password
from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.enums import Role
from helpdesk.models import Category, User
from tests.ci_guard import in_ci

IN_CI = in_ci()
POSTGRES_URL = os.environ.get("HELPDESK_TEST_POSTGRES_URL")
TEST_PASSWORD = "Correct-Horse-42"
# argon2 is slow on purpose (about 0.5 s here): hash the shared test password once.
TEST_PASSWORD_HASH = hash_password(TEST_PASSWORD)


def skip_or_fail(reason: str) -> None:
    """Locally a missing real part skips with a reason; in CI it fails the run."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The URL of a throwaway schema on the test PostgreSQL server, dropped afterwards."""
    if not POSTGRES_URL:
        skip_or_fail("HELPDESK_TEST_POSTGRES_URL is not set (no PostgreSQL to test against)")
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A freshly migrated database. Every service test runs on both backends."""
    if request.param == "sqlite":
        with migrated_engine(f"sqlite:///{tmp_path / 'helpdesk.db'}") as engine:
            yield engine
    else:
        with postgres_schema() as url, migrated_engine(url) as engine:
            yield engine


@pytest.fixture
def postgres_engine():
    """A freshly migrated PostgreSQL database, for behaviour only PostgreSQL has (row locks)."""
    with postgres_schema() as url, migrated_engine(url) as engine:
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path):
    with migrated_engine(f"sqlite:///{tmp_path / 'helpdesk.db'}") as engine:
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


def add_user(engine, *, email: str, role: Role = Role.CUSTOMER, name: str | None = None,
             active: bool = True) -> User:
    with session_scope(engine) as session:
        user = User(email=email, name=name or email.split("@")[0].title(), role=role, is_active=active,
                    password_hash=TEST_PASSWORD_HASH)
        session.add(user)
        session.flush()
        return user


def add_category(engine, name: str = "Billing") -> Category:
    with session_scope(engine) as session:
        category = Category(name=name, description=f"{name} questions")
        session.add(category)
        session.flush()
        return category
