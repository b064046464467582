"""What a restore must never do: leave the target empty when it fails halfway, drop another
application's tables without --force, or let mail that the backup still calls queued (or not yet
read) go out twice or get lost without telling the operator."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from helpdesk.core.db import session_scope
from helpdesk.enums import InboundMailStatus, OutboxStatus
from helpdesk.models import InboundMail, OutboxMessage
from tests.backup.conftest import table_rows
from tests.backup.helpers import filled_desk, restore, take


def test_a_postgres_restore_that_fails_late_leaves_the_target_as_it_was(postgres_databases, tmp_path):
    """A real late failure: an index on a function whose body names another function without its
    schema. pg_restore runs with search_path '' and builds indexes after all the data is loaded,
    so the restore gets past the drops and the data, then fails on CREATE INDEX."""
    source_url, target_url = postgres_databases.new_url(), postgres_databases.new_url()
    source = postgres_databases.engine(source_url, migrated=True)
    filled_desk(source, "From the backup")
    with source.begin() as connection:
        connection.execute(text("CREATE FUNCTION public.plain(t text) RETURNS text LANGUAGE sql IMMUTABLE "
                                "AS $$ SELECT t $$"))
        connection.execute(text("CREATE FUNCTION public.subject_key(t text) RETURNS text LANGUAGE sql IMMUTABLE "
                                "AS $$ SELECT plain(t) $$"))
        connection.execute(text("CREATE INDEX ix_subject_key ON tickets (subject_key(subject))"))
    path = take(source_url, tmp_path / "fails-late.pgdump")
    target = postgres_databases.engine(target_url, migrated=True)
    filled_desk(target, "Only in the target")
    before = table_rows(target)
    assert before["tickets"]

    result = restore(target_url, path, "--force")
    assert result.returncode == 1
    assert "plain(text) does not exist" in result.stderr
    assert "rolled back" in result.stderr and "as it was before" in result.stderr
    after = table_rows(target)
    for table, rows in before.items():
        assert after.get(table) == rows, table
    assert after.keys() == before.keys()
    with target.connect() as connection:
        assert connection.scalar(text("SELECT to_regproc('public.subject_key')")) is None


def test_another_applications_table_in_the_target_needs_force(databases, tmp_path):
    """The restore replaces everything in the target (PostgreSQL: every table of the schema; SQLite:
    the whole file), so a table that is not the helpdesk's counts as data too."""
    source_url, target_url = databases.new_url(), databases.new_url()
    filled_desk(databases.engine(source_url, migrated=True))
    target = databases.engine(target_url, migrated=True)  # a fresh helpdesk: would count as empty
    with target.begin() as connection:
        connection.execute(text("CREATE TABLE wiki_pages (id integer PRIMARY KEY, title varchar(80))"))
        connection.execute(text("INSERT INTO wiki_pages VALUES (1, 'Opening hours')"))
    before = table_rows(target)
    path = take(source_url, tmp_path / "b.backup")

    refused = restore(target_url, path)
    assert refused.returncode == 1
    assert "The target database already has data (wiki_pages)" in refused.stderr
    assert "Nothing was changed." in refused.stderr
    assert table_rows(target) == before
    with target.connect() as connection:
        assert connection.execute(text("SELECT id, title FROM wiki_pages")).all() == [(1, "Opening hours")]


def test_an_empty_foreign_table_is_not_data(databases, tmp_path):
    source_url, target_url = databases.new_url(), databases.new_url()
    filled_desk(databases.engine(source_url, migrated=True))
    target = databases.engine(target_url, migrated=True)
    with target.begin() as connection:
        connection.execute(text("CREATE TABLE wiki_pages (id integer PRIMARY KEY)"))
    assert restore(target_url, take(source_url, tmp_path / "b.backup")).returncode == 0


def test_restore_warns_about_queued_outbox_mail_and_the_newest_mail_read(databases, tmp_path):
    source_url, target_url = databases.new_url(), databases.new_url()
    source = databases.engine(source_url, migrated=True)
    filled_desk(source)
    with session_scope(source) as session:
        session.execute(OutboxMessage.__table__.delete())
        for number, status in enumerate((OutboxStatus.PENDING, OutboxStatus.PENDING, OutboxStatus.SENDING,
                                         OutboxStatus.SENT, OutboxStatus.FAILED)):
            session.add(OutboxMessage(event="ticket_created", recipient_email=f"r{number}@example.com",
                                      subject="s", text_body="t", html_body="h", status=status))
        for number, received in enumerate((datetime(2026, 12, 2, 23, 5, tzinfo=UTC),
                                                   datetime(2026, 12, 3, 1, 58, 30, tzinfo=UTC))):
            session.add(InboundMail(message_key=f"<m{number}@example.com>", from_address="carla@example.com",
                                    subject="Re: Charged twice", status=InboundMailStatus.STORED,
                                    received_at=received))
    path = take(source_url, tmp_path / "b.backup")
    databases.engine(target_url, migrated=True)

    result = restore(target_url, path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "WARNING, mail: 3 notifications were still queued when the backup was taken" in out
    assert "Before starting the notify worker" in out and "UPDATE notification_outbox SET status = 'sent'" in out
    assert "the newest mail fetch-mail had read in this backup was received 2026-12-03 01:58:30 UTC" in out
    assert "mark the mails received after that as unread" in out
    with databases.engine(target_url).connect() as connection:
        assert connection.scalar(select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.SENT))


def test_restore_without_queued_or_read_mail_says_so_briefly(databases, tmp_path):
    source_url, target_url = databases.new_url(), databases.new_url()
    source = databases.engine(source_url, migrated=True)
    filled_desk(source)
    with session_scope(source) as session:
        session.execute(OutboxMessage.__table__.delete())
    path = take(source_url, tmp_path / "b.backup")
    databases.engine(target_url, migrated=True)

    result = restore(target_url, path)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout
    assert "mail: no notifications queued, no mail read from the mailbox in this backup" in result.stdout
