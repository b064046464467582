"""What `restore` refuses and what it always does: a database with data is replaced only with
--force, a backup from newer code or of the other kind of database is refused, an older one is
migrated forward, and afterwards every sign-in session has ended. A refusal changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select, text

from helpdesk.accounts.sign_in_sessions import end_session, open_session, redeem_code, resume
from helpdesk.backup.revisions import code_head
from helpdesk.core.db import current_revision, migrate, session_scope
from helpdesk.models import SignInSession, User
from tests.backup.conftest import table_rows
from tests.backup.helpers import backup, filled_desk, restore, take
from tests.factories import add_user, raise_ticket


def test_a_database_with_data_is_replaced_only_with_force(databases, tmp_path):
    source_url, target_url = databases.new_url(), databases.new_url()
    source = databases.engine(source_url, migrated=True)
    target = databases.engine(target_url, migrated=True)
    filled_desk(source, "From the backup")
    filled_desk(target, "Only in the target")
    path = take(source_url, tmp_path / "source.backup")
    before = table_rows(target)

    refused = restore(target_url, path)
    assert refused.returncode == 1
    assert "The target database already has data (tickets, users, attachments and 4 more tables)" in refused.stderr
    assert "run again with --force" in refused.stderr and "Nothing was changed." in refused.stderr
    assert table_rows(target) == before

    forced = restore(target_url, path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "1 tickets, 1 attachments" in forced.stdout
    assert table_rows(target) == table_rows(source)


def test_a_fresh_database_counts_as_empty(databases, tmp_path):
    """A database `init-db` just made holds only what migrations seed: no --force needed."""
    source_url, target_url = databases.new_url(), databases.new_url()
    filled_desk(databases.engine(source_url, migrated=True))
    databases.engine(target_url, migrated=True)
    assert restore(target_url, take(source_url, tmp_path / "b.backup")).returncode == 0


def sign_in(engine, user) -> str:
    """A browser's cookie token, the way the sign-in page and its /auth/session route make one."""
    with session_scope(engine) as session:
        _, code = open_session(session=session, user=session.get(User, user.id), persistent=True)
    with session_scope(engine) as session:
        return redeem_code(session=session, code=code).token


def signed_in(engine, token: str) -> bool:
    with session_scope(engine) as session:
        return resume(session=session, token=token) is not None


def test_a_restore_ends_every_sign_in_session(databases, tmp_path):
    url = databases.new_url()
    engine = databases.engine(url, migrated=True)
    desk = filled_desk(engine)
    signed_out_later = sign_in(engine, desk.customer)
    still_in = sign_in(engine, desk.agent)
    assert signed_in(engine, signed_out_later) and signed_in(engine, still_in)
    path = take(url, tmp_path / "with-sessions.backup")
    with session_scope(engine) as session:  # Carla signs out after the backup
        end_session(session=session, token=signed_out_later)

    result = restore(url, path, "--force")
    assert result.returncode == 0, result.stderr
    assert "2 sign-in sessions ended: everyone signs in again" in result.stdout
    # The backup's copy of Carla's session does not come back, and nobody else's stays either.
    assert not signed_in(engine, signed_out_later)
    assert not signed_in(engine, still_in)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SignInSession)
                              .where(SignInSession.revoked_at.is_(None))) == 0
    # Signing in again works.
    assert signed_in(engine, sign_in(engine, desk.customer))


def test_an_older_backup_is_migrated_forward(databases, tmp_path):
    old_url, target_url = databases.new_url(), databases.new_url()
    old = databases.engine(old_url)
    migrate(old, "0006")  # before sign-in sessions existed
    with old.begin() as connection:
        connection.execute(text("INSERT INTO categories (name, description, is_active, created_at) "
                                "VALUES ('Returns', 'Sending things back', :yes, CURRENT_TIMESTAMP)"), {"yes": True})
    path = tmp_path / "old.backup"
    made = backup(old_url, "--to", str(path))
    assert made.returncode == 0, made.stderr
    assert "schema revision 0006" in made.stdout

    target = databases.engine(target_url)
    result = restore(target_url, path)
    assert result.returncode == 0, result.stderr
    assert f"migrated forward from the backup's revision 0006 to {code_head(target)}" in result.stdout
    assert current_revision(target) == code_head(target)
    # The restored data works with today's code.
    customer = add_user(target, email="rita@example.com")
    with target.connect() as connection:
        category_id = connection.scalar(text("SELECT id FROM categories WHERE name = 'Returns'"))
    assert raise_ticket(target, customer=customer, category=category_id, subject="Parcel came back")


def test_a_backup_from_newer_code_is_refused(databases, tmp_path):
    source_url, target_url = databases.new_url(), databases.new_url()
    source = databases.engine(source_url, migrated=True)
    filled_desk(source)
    with source.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999_from_the_future'"))
    path = take(source_url, tmp_path / "newer.backup")
    target = databases.engine(target_url, migrated=True)
    filled_desk(target, "Ours")
    before = table_rows(target)

    result = restore(target_url, path, "--force")
    assert result.returncode == 1
    assert "schema revision 0999_from_the_future, which this version of the helpdesk does not know" in result.stderr
    assert "made by a newer version" in result.stderr
    assert table_rows(target) == before and current_revision(target) == code_head(target)


def test_a_backup_restores_only_into_its_own_kind_of_database(sqlite_databases, postgres_databases, tmp_path):
    sqlite_url, postgres_url = sqlite_databases.new_url(), postgres_databases.new_url()
    filled_desk(sqlite_databases.engine(sqlite_url, migrated=True))
    filled_desk(postgres_databases.engine(postgres_url, migrated=True))
    sqlite_backup = take(sqlite_url, tmp_path / "site.sqlite3")
    postgres_backup = take(postgres_url, tmp_path / "site.pgdump")
    empty_sqlite, empty_postgres = sqlite_databases.new_url(), postgres_databases.new_url()

    into_postgres = restore(empty_postgres, sqlite_backup)
    assert into_postgres.returncode == 1
    assert "is a SQLite backup and the target database is PostgreSQL" in into_postgres.stderr
    into_sqlite = restore(empty_sqlite, postgres_backup)
    assert into_sqlite.returncode == 1
    assert "is a PostgreSQL backup and the target database is SQLite" in into_sqlite.stderr
    for url, databases in ((empty_sqlite, sqlite_databases), (empty_postgres, postgres_databases)):
        assert table_rows(databases.engine(url)) == {}


def test_postgres_urls_with_a_search_path_back_up_and_restore_that_schema(postgres_databases, tmp_path):
    """The app may live in a schema of its own (options=-csearch_path=...); the restore goes into
    the schema of that name, and a URL that works elsewhere is told so."""
    source_url = postgres_databases.new_url(search_path="helpdesk_app")
    source = postgres_databases.engine(source_url, migrated=True)
    filled_desk(source)
    path = take(source_url, tmp_path / "schema.pgdump")

    public_url = postgres_databases.new_url()
    refused = restore(public_url, path)
    assert refused.returncode == 1
    assert "The backup holds schema 'helpdesk_app', but the target database URL works in 'public'" in refused.stderr
    assert table_rows(postgres_databases.engine(public_url)) == {}

    # A new database whose URL names the schema (not created yet: the restore makes it).
    target_url = postgres_databases.new_url() + "?options=-csearch_path%3Dhelpdesk_app"
    result = restore(target_url, path)
    assert result.returncode == 0, result.stderr
    assert table_rows(postgres_databases.engine(target_url)) == table_rows(source)


def test_a_sqlite_restore_under_an_open_app_connection_is_seen_whole(sqlite_databases, tmp_path):
    """The app's engine keeps its connections (WAL, -wal and -shm files beside the database)
    across a restore: its next query reads the restored database, intact."""
    source_url, target_url = sqlite_databases.new_url(), sqlite_databases.new_url()
    filled_desk(sqlite_databases.engine(source_url, migrated=True), "From the backup")
    path = take(source_url, tmp_path / "site.sqlite3")
    app = sqlite_databases.engine(target_url, migrated=True)
    filled_desk(app, "Only in the target")
    with app.connect() as connection:  # the pool now holds an open connection to the file
        assert connection.scalar(text("SELECT subject FROM tickets")) == "Only in the target"

    assert restore(target_url, path, "--force").returncode == 0
    with app.connect() as connection:
        assert connection.scalars(text("SELECT subject FROM tickets")).all() == ["From the backup"]
        assert connection.scalar(text("PRAGMA integrity_check")) == "ok"
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
    assert table_rows(app) == table_rows(sqlite_databases.engine(source_url))
