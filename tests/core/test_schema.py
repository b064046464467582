"""The Alembic migrations build exactly the schema the models describe, on both backends,
and SQLite connections are set up for a multi-user app (WAL, foreign keys, busy timeout)."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from helpdesk.core.clock import utcnow
from helpdesk.core.db import alembic_config, current_revision, make_engine, migrate, session_scope
from helpdesk.models import Base, SlaPolicy, Ticket
from helpdesk.search.text_index import include_in_schema_comparison
from tests.factories import add_user


def _schema_diff(engine) -> list:
    with engine.connect() as connection:
        # The subject search indexes (migration 0003) are not in the models; everything else is compared.
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_name": include_in_schema_comparison})
        return compare_metadata(context, Base.metadata)


def _head(engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_migrations_match_the_models_exactly(engine):
    assert _schema_diff(engine) == []
    assert current_revision(engine) == _head(engine)


def test_migrating_twice_changes_nothing(engine):
    tables_before = set(inspect(engine).get_table_names())
    migrate(engine)
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == tables_before
    assert current_revision(engine) == _head(engine)
    assert _schema_diff(engine) == []
    with session_scope(engine) as session:
        # The seeded default SLA policies are not inserted a second time.
        assert session.scalar(select(func.count()).select_from(SlaPolicy)) == 4


def test_downgrade_to_base_then_upgrade_again_on_sqlite(sqlite_engine):
    command.downgrade(alembic_config(sqlite_engine), "base")
    assert current_revision(sqlite_engine) is None
    assert set(inspect(sqlite_engine).get_table_names()) <= {"alembic_version"}

    migrate(sqlite_engine)
    assert current_revision(sqlite_engine) == _head(sqlite_engine)
    assert _schema_diff(sqlite_engine) == []


def test_every_model_table_exists_after_migration(engine):
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_sqlite_database_file_and_folder_are_created(tmp_path):
    path = tmp_path / "nested" / "folder" / "helpdesk.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        assert path.is_file()
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(engine):
    customer = add_user(engine, email="fk@example.com")
    now = utcnow()
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Ticket(subject="s", description="d", category_id=999_999, customer_id=customer.id,
                               created_at=now, updated_at=now))
            session.flush()
