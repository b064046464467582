"""A backup taken while tickets keep arriving restores, row for row, to one moment of the source:
every ticket committed before it with all its messages, attachments, events and outbox mail, and
none after (on SQLite and PostgreSQL; the backup runs as `python -m helpdesk backup`)."""
from __future__ import annotations

import hashlib
import threading

from sqlalchemy import select, text

from helpdesk.core.db import current_revision, session_scope
from helpdesk.models import Base, Ticket, User
from helpdesk.search.text_index import subject_contains
from helpdesk.tickets.customer import TicketDraft, add_customer_reply, create_ticket
from helpdesk.tickets.attachments import UploadedFile
from helpdesk.tickets.staff import add_agent_reply
from tests.backup.conftest import table_rows
from tests.factories import Desk
from tests.test_cli import run_cli

# The column that tells which ticket a row belongs to: tickets.id, elsewhere ticket_id. Rows of
# tables without one (people, settings, report counters) are compared as they were at the moment.
TICKET_ID = {"tickets": "id"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class TicketWriter(threading.Thread):
    """Raises tickets one after another (each one transaction: the ticket with a file, an agent's
    answer, the customer's reply with a file, their events and outbox mail) until told to stop; `created` holds their ids in commit order, and
    `states[n]` the tables no ticket owns (people, counters such as report_cells) as they were
    after its n-th ticket: it is the only writer, so that is the database's state until the next."""

    def __init__(self, desk: Desk):
        super().__init__(daemon=True)
        self.desk = desk
        self.created: list[int] = []
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None
        self.states = [shared_tables(desk.engine)]

    def run(self) -> None:
        number = 0
        try:
            while not self.stop.is_set():
                number += 1
                content = f"log line {number}\n".encode() * 200
                # One transaction: the ticket, the agent's answer and the customer's reply with a
                # file. A consistent backup never holds a ticket without both messages.
                with session_scope(self.desk.engine) as session:
                    customer = session.get(User, self.desk.customer.id)
                    ticket = create_ticket(session=session, actor=customer, data=TicketDraft(
                        category_id=self.desk.category.id, priority="normal", subject=f"Backup race {number}",
                        description=f"Written during the backup, number {number}.",
                        attachments=[UploadedFile(f"trace-{number}.log", content)]))
                    add_agent_reply(session=session, actor=session.get(User, self.desk.agent.id),
                                    ticket_id=ticket.id, body=f"Looking into number {number}.")
                    add_customer_reply(session=session, actor=customer, ticket_id=ticket.id,
                                       body=f"Here is a screenshot for {number}.",
                                       attachments=[UploadedFile(f"screen-{number}.png", PNG + bytes([number % 256]))])
                    ticket_id = ticket.id
                state = shared_tables(self.desk.engine)
                with self.progress:
                    self.states.append(state)
                    self.created.append(ticket_id)
                    self.progress.notify_all()
        except BaseException as error:  # surfaced by the test, not lost in the thread
            self.error = error
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int, timeout: float = 120) -> int:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.created) >= count or self.error, timeout), \
                f"the writer made only {len(self.created)} tickets"
        assert self.error is None, self.error
        return len(self.created)


def shared_tables(engine) -> dict:
    return {table: rows for table, rows in table_rows(engine).items() if not owned_by_tickets(table)}


def owned_by_tickets(table: str) -> bool:
    return TICKET_ID.get(table, "ticket_id") in Base.metadata.tables[table].c


def ticket_of(table: str, row: dict) -> int | None:
    column = TICKET_ID.get(table, "ticket_id")
    return row.get(column) if column in row else None


def test_backup_during_writes_restores_one_consistent_moment(databases, tmp_path):
    source_url = databases.new_url()
    source = databases.engine(source_url, migrated=True)
    desk = Desk.build(source)

    writer = TicketWriter(desk)
    writer.start()
    try:
        before = writer.wait_for(3)
        backup = tmp_path / "during-writes.backup"
        result = run_cli(source_url, "backup", "--to", str(backup))
        after_backup = len(writer.created)
        writer.wait_for(after_backup + 2)  # the app kept writing after the snapshot, too
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert writer.error is None, writer.error
    assert result.returncode == 0, result.stderr
    assert f"Backup written: {backup}" in result.stdout
    assert f"schema revision {current_revision(source)}" in result.stdout
    final = table_rows(source)

    target_url = databases.new_url()
    target = databases.engine(target_url)
    restored = run_cli(target_url, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    restored_rows = table_rows(target)

    # A prefix of the writes: the tickets committed before the snapshot, in order, and no other.
    restored_tickets = sorted(restored_rows["tickets"])
    kept = [(ticket_id,) for ticket_id in writer.created][:len(restored_tickets)]
    assert restored_tickets == kept
    assert before <= len(restored_tickets) <= after_backup
    print(f"{before} tickets when the backup started, {len(restored_tickets)} in it, {after_backup} when it ended")
    # What the backup said it holds is what came back.
    assert f"{len(restored_tickets)} tickets, {len(restored_rows['attachments'])} attachments" in result.stdout
    kept_ids = {key[0] for key in kept}

    # Row for row: every table as it was at that moment (a row a later ticket brought is the only
    # difference); sign-in sessions come back ended, otherwise equal.
    assert set(restored_rows) == set(final)
    at_snapshot = writer.states[len(restored_tickets)]
    for table, rows in final.items():
        if not owned_by_tickets(table):
            expected = at_snapshot[table]
        else:
            expected = {key: row for key, row in rows.items()
                        if ticket_of(table, row) is None or ticket_of(table, row) in kept_ids}
        if table == "sign_in_sessions":
            for row in [*expected.values(), *restored_rows[table].values()]:
                row.pop("revoked_at")
        assert restored_rows[table] == expected, f"{table} differs"
    for table in ("ticket_messages", "attachments", "ticket_events", "notification_outbox"):
        assert {ticket_of(table, row) for row in restored_rows[table].values()} == kept_ids, table
    for ticket_id in kept_ids:  # each written in one transaction, each whole
        assert sum(row["ticket_id"] == ticket_id for row in restored_rows["ticket_messages"].values()) == 2
        assert sum(row["ticket_id"] == ticket_id for row in restored_rows["attachments"].values()) == 2
    for attachment in restored_rows["attachments"].values():
        assert hashlib.sha256(attachment["content"]).hexdigest() == attachment["sha256"]
        assert len(attachment["content"]) == attachment["size"]
    # Nothing dangles: every reference points at a row that came back (PostgreSQL checked each
    # foreign key as pg_restore added it; SQLite is asked).
    if databases.backend == "sqlite":
        with target.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    # Subject search (SQLite's FTS5 index, PostgreSQL's trigram index) came back with the rows.
    with session_scope(target) as session:
        found = session.scalars(select(Ticket.id).where(subject_contains(session, "backup race"))).all()
    assert sorted(found) == sorted(kept_ids)
    # The restored database is a working helpdesk: the app's services write to it.
    Desk(engine=target, customer=desk.customer, agent=desk.agent, agent2=desk.agent2, admin=desk.admin,
         category=desk.category).raise_ticket(subject="After the restore")
