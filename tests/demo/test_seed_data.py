"""seed-demo writes what the services would have written: stored durations that a rebuild from
the events and messages gives again (with and without business hours), due dates from the SLA
clock, one satisfaction request per resolution with lapses on reopen, and a history that plays
back to each ticket's status. The rows are the same however they are made (worker processes or
not, indexes set aside or not, SQLite or PostgreSQL), the set-aside indexes and foreign keys are
all back afterwards, and a load killed halfway is repaired by the next run. Both backends."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text, update

from helpdesk.core.config import PROJECT_ROOT
from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.demo import bulk, corpus
from helpdesk.demo.load import aware_stamp, seed_demo, sqlite_stamp
from helpdesk.demo.simulate import TICKET_COLUMNS, stamp_function
from helpdesk.enums import OPEN_STATUSES, EventKind, Priority, SatisfactionReason, TicketStatus
from helpdesk.models import AppSetting, SatisfactionRating, Ticket, TicketEvent, TicketMessage
from helpdesk.search import text_index
from helpdesk.settings import BUSINESS_HOURS, BusinessHours
from helpdesk.sla import clock
from helpdesk.tickets.metrics import FIGURES, rebuild_all

NOW = datetime(2026, 11, 24, 15, 0, 7, tzinfo=UTC)  # a Tuesday afternoon
BERLIN_OFFICE = BusinessHours(start=time(8, 30), end=time(17, 0), weekdays=frozenset({0, 1, 2, 3, 4}),
                              timezone="Europe/Berlin")
TABLES = (Ticket, TicketMessage, TicketEvent, SatisfactionRating)


def rows(engine, model) -> list[tuple]:
    table = model.__table__
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]


def stored_figures(engine) -> dict[int, dict]:
    with session_scope(engine) as session:
        return {t.id: {name: getattr(t, name) for name in FIGURES} for t in session.scalars(select(Ticket))}


@pytest.mark.parametrize("hours", [None, BERLIN_OFFICE], ids=["around the clock", "business hours"])
def test_stored_figures_and_due_dates_are_what_the_services_compute(engine, hours):
    if hours is not None:  # set before seeding; 60 days back from NOW cross the end of summer time
        with session_scope(engine) as session:
            session.add(AppSetting(key=BUSINESS_HOURS, value=hours.to_json()))
    seed_demo(engine, tickets=700, customers=40, agents=6, days=60, now=NOW)
    stored = stored_figures(engine)
    assert any(f["reopen_count"] for f in stored.values()) and any(f["waiting_seconds"] for f in stored.values())
    if hours is not None:
        assert any(f["first_response_business_seconds"] != f["first_response_seconds"] for f in stored.values())

    with session_scope(engine) as session:  # forget them, so the rebuild has to find every one again
        session.execute(update(Ticket).values(first_response_seconds=None, first_response_business_seconds=None,
                                              resolution_seconds=None, resolution_business_seconds=None,
                                              waiting_seconds=0, waiting_business_seconds=0, reopen_count=0,
                                              staff_reply_count=0))
    with session_scope(engine) as session:
        assert rebuild_all(session=session) == 700
    assert stored_figures(engine) == stored

    with session_scope(engine) as session:
        for t in session.scalars(select(Ticket)):
            first_hours, resolution_hours = clock.DEFAULT_TARGETS_HOURS[t.priority]
            assert t.first_response_due_at == clock.add_working_time(t.created_at, timedelta(hours=first_hours), hours)
            # Finished waits on the customer push the resolution target back (an open one not yet).
            assert t.resolution_due_at == clock.add_working_time(
                t.created_at, timedelta(hours=resolution_hours, seconds=t.waiting_business_seconds), hours)


def test_history_ratings_and_reopens_agree_with_each_ticket(engine):
    seed_demo(engine, tickets=900, customers=60, agents=6, days=30, now=NOW)
    with session_scope(engine) as session:
        tickets = {t.id: t for t in session.scalars(select(Ticket))}
        events = defaultdict(list)
        for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id)):
            events[e.ticket_id].append(e)
        messages = Counter(m.ticket_id for m in session.scalars(select(TicketMessage)))
        ratings = defaultdict(list)
        for r in session.scalars(select(SatisfactionRating).order_by(SatisfactionRating.id)):
            ratings[r.ticket_id].append(r)

    reopened = lapsed = 0
    for ticket_id, t in tickets.items():
        history = events[ticket_id]
        # One version step per save: a reply and the status change it makes are one.
        assert t.version == 1 + len({(e.created_at, e.actor_id) for e in history if e.kind != EventKind.CREATED})
        assert sum(e.kind in (EventKind.PUBLIC_REPLY, EventKind.INTERNAL_NOTE) for e in history) == messages[ticket_id]
        changes = [e for e in history if e.kind == EventKind.STATUS_CHANGED]
        status = TicketStatus.NEW.value
        for change in changes:
            assert change.old_value == status
            status = change.new_value
        assert status == t.status.value
        resolutions = [c for c in changes if c.new_value == TicketStatus.RESOLVED.value]
        reopens = [c for c in changes if c.old_value == TicketStatus.RESOLVED.value and c.new_value == "open"]
        assert t.reopen_count == len(reopens)
        reopened += bool(reopens)
        closed = next((c.created_at for c in changes if c.new_value == TicketStatus.CLOSED.value), None)

        # One request per resolution, asked at it, crediting the assignee.
        asked = ratings[ticket_id]
        assert [r.requested_at for r in asked] == [c.created_at for c in resolutions]
        for number, r in enumerate(asked):
            assert (r.customer_id, r.agent_id) == (t.customer_id, t.assignee_id)
            window_end = reopens[number].created_at if number < len(reopens) else (closed or NOW)
            if r.score is None:
                assert r.rated_at is None and r.comment == "" and r.reasons == ""
                # An unanswered request lapses when the ticket is reopened, and only then.
                assert r.lapsed_at == (reopens[number].created_at if number < len(reopens) else None)
                lapsed += r.lapsed_at is not None
            else:
                assert r.lapsed_at is None
                assert 1 <= r.score <= 5 and r.requested_at < r.rated_at < window_end
                reasons = [value for value in r.reasons.split(",") if value]
                assert (len(reasons) > 0) == (r.score <= 3)
                assert reasons == [x.value for x in SatisfactionReason if x.value in reasons]
    assert reopened and lapsed


def schema_objects(engine) -> set[tuple]:
    """The indexes (and on PostgreSQL the validated foreign keys) of the tables a load fills."""
    names = tuple(model.__table__.name for model in TABLES)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return set(connection.execute(text(
                f"SELECT type, tbl_name, name, sql FROM sqlite_master WHERE tbl_name IN {names} "
                "AND type IN ('index', 'trigger')")).all())
        indexes = connection.execute(text(
            "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(:names)"), {"names": list(names)}).all()
        keys = connection.execute(text(
            "SELECT 'foreign key', t.relname, c.conname, pg_get_constraintdef(c.oid) || "
            "CASE WHEN c.convalidated THEN '' ELSE ' NOT VALID' END FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' "
            "AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:names)"),
            {"names": list(names)}).all()
        return set(indexes) | set(keys)


def test_the_rows_are_the_same_however_they_are_made(engine, tmp_path):
    """Worker processes and a bulk load (indexes set aside) on this backend give exactly the rows
    of the plain way on SQLite (in this process, indexes kept), and the schema is as migrated."""
    migrated = schema_objects(engine)
    assert len([o for o in migrated if o[0] == "index"]) >= 19
    seed_demo(engine, tickets=500, customers=30, agents=5, days=20, now=NOW, chunk_size=120, processes=2,
              bulk_load=True)
    assert schema_objects(engine) == migrated
    with engine.connect() as connection:
        assert connection.scalar(select(AppSetting.value).where(AppSetting.key == bulk.PAUSED_KEY)) is None
    fts_integrity_check(engine)

    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    try:
        migrate(reference)
        seed_demo(reference, tickets=500, customers=30, agents=5, days=20, now=NOW, chunk_size=120, processes=0,
                  bulk_load=False)
        for model in TABLES:
            assert rows(engine, model) == rows(reference, model), model.__tablename__
    finally:
        reference.dispose()


def fts_integrity_check(engine) -> None:
    if engine.dialect.name == "sqlite":  # FTS5 compares its index with the tickets table
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO tickets_subject_fts(tickets_subject_fts, rank) "
                                       "VALUES ('integrity-check', 1)")


def test_a_load_killed_halfway_is_repaired_by_the_next_run(engine):
    migrated = schema_objects(engine)
    # A big load that dies (no clean-up at all) once its first chunk is written.
    url = engine.url.render_as_string(hide_password=False)
    code = ("import os, sys\nfrom datetime import datetime\nfrom helpdesk.core.db import make_engine\n"
            "from helpdesk.demo.load import seed_demo\n"
            "seed_demo(make_engine(sys.argv[1]), tickets=300, customers=10, agents=3, days=10, chunk_size=100,\n"
            "          now=datetime.fromisoformat(sys.argv[2]), bulk_load=True, progress=lambda n: os._exit(9))\n")
    done = subprocess.run([sys.executable, "-c", code, url, NOW.isoformat()], cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 9
    left = schema_objects(engine)
    assert left < migrated and {kind for kind, *_ in migrated - left} >= (
        {"index", "trigger"} if engine.dialect.name == "sqlite" else {"index", "foreign key"})
    with engine.connect() as connection:
        assert connection.scalar(select(AppSetting.value).where(AppSetting.key == bulk.PAUSED_KEY))

    stages = []
    seed_demo(engine, tickets=20, customers=5, agents=2, days=5, now=NOW, stage=stages.append)
    assert schema_objects(engine) == migrated
    assert stages and stages[0].startswith("Building")
    with engine.connect() as connection:
        assert connection.scalar(select(AppSetting.value).where(AppSetting.key == bulk.PAUSED_KEY)) is None
    fts_integrity_check(engine)  # the first run's 100 subjects are searchable too
    with session_scope(engine) as session:
        first = session.get(Ticket, 1)
        word = first.subject.split()[-1]
        assert first.id in session.scalars(select(Ticket.id).where(text_index.subject_contains(session, word)))


def test_ctrl_c_stops_a_load_after_the_chunk_being_written(engine):
    """Not inside a database call, where SQLAlchemy would give up the connection that must put the
    indexes back; the chunks written stay, the indexes and search triggers are back."""
    migrated = schema_objects(engine)
    stages, written = [], []

    def press_ctrl_c_once(count: int) -> None:
        written.append(count)
        if len(written) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        seed_demo(engine, tickets=400, customers=10, agents=3, days=10, now=NOW, chunk_size=100, bulk_load=True,
                  progress=press_ctrl_c_once, stage=stages.append)
    assert written == [100]
    assert "Stopping after this chunk (Ctrl-C again to stop at once)" in stages
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert schema_objects(engine) == migrated
    fts_integrity_check(engine)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Ticket)) == 100
        assert connection.scalar(select(AppSetting.value).where(AppSetting.key == bulk.PAUSED_KEY)) is None


def test_a_helpdesk_that_looks_healthy_with_a_few_trouble_spots(tmp_path):
    """A month and a half of a busy helpdesk at a small scale (SQLite; both backends share the generator)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        migrate(engine)
        seed_demo(engine, tickets=6000, customers=300, agents=20, days=45, now=NOW)
        with session_scope(engine) as session:
            tickets = session.scalars(select(Ticket)).all()
            ratings = session.scalars(select(SatisfactionRating)).all()
            categories = dict(session.execute(text("SELECT id, name FROM categories")).all())
    finally:
        engine.dispose()
    by_id = {t.id: t for t in tickets}
    finished = [t for t in tickets if t.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)]
    rated = [r for r in ratings if r.score is not None]
    # About a third of resolved tickets rated, mostly 4-5; low scores explain themselves.
    assert 0.25 < len({r.ticket_id for r in rated}) / len(finished) < 0.42
    assert sum(r.score >= 4 for r in rated) / len(rated) > 0.75
    low = [r for r in rated if r.score <= 3]
    assert low and all(r.reasons for r in low) and sum(bool(r.comment) for r in low) > len(low) / 2
    # Satisfaction follows the first response.
    def mean_score(missed: bool) -> float:
        scores = [r.score for r in rated if (by_id[r.ticket_id].first_response_seconds
                                              > clock.DEFAULT_TARGETS_HOURS[by_id[r.ticket_id].priority][0] * 3600)
                  == missed]
        return sum(scores) / len(scores)
    assert mean_score(missed=True) < mean_score(missed=False) - 0.4
    # Most first responses and resolutions within their targets, a tail beyond.
    for priority in Priority:
        first_hours, resolution_hours = clock.DEFAULT_TARGETS_HOURS[priority]
        done = [t for t in finished if t.priority == priority]
        within = sum(t.resolution_seconds <= resolution_hours * 3600 for t in done) / len(done)
        answered = sum(t.first_response_seconds <= first_hours * 3600 for t in done) / len(done)
        assert 0.85 < within < 1 and 0.8 < answered < 1, priority
    assert 0.01 < sum(t.reopen_count > 0 for t in tickets) / len(tickets) < 0.08
    # A live backlog of recent work: nothing forgotten for months, nothing breached long ago.
    backlog = [t for t in tickets if t.status in OPEN_STATUSES]
    assert len(backlog) > 30 and all(NOW - t.created_at < timedelta(days=40) for t in backlog)
    assert all(NOW - t.resolution_due_at < timedelta(days=30) for t in backlog)
    ages = sorted(NOW - t.created_at for t in backlog)
    assert ages[len(ages) // 2] < timedelta(days=3)
    # The trouble spot: the incident's category has more of the backlog than of the tickets.
    incident = [cid for cid, name in categories.items() if name == "Technical problem"]
    share_of_backlog = sum(t.category_id in incident for t in backlog) / len(backlog)
    share_of_tickets = sum(t.category_id in incident for t in tickets) / len(tickets)
    assert share_of_backlog > 1.5 * share_of_tickets


def test_the_fast_timestamps_are_the_stored_text():
    sqlite_text, postgres_text = stamp_function("sqlite"), stamp_function("postgresql")
    for seconds in (0, 951_782_400, 1_780_000_000, 1_780_012_345, 1_795_000_000 + 86_399):
        assert sqlite_text(seconds) == sqlite_stamp(seconds)
        assert datetime.fromisoformat(postgres_text(seconds)) == aware_stamp(seconds)
    assert sqlite_text(None) is None and postgres_text(None) == "\\N"


def test_the_words_need_no_escaping_in_copy_text():
    """PostgreSQL's rows are COPY text made by joining values (bulk.copy_text): no word of the
    corpus may hold a tab, a backslash or a line break of its own."""
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, (tuple, list)):
            for item in value:
                yield from strings(item)
    words = [s for name in dir(corpus) if name.isupper() for s in strings(getattr(corpus, name))]
    assert len(words) > 200
    assert not [w for w in words if any(c in w for c in "\t\n\r\\")]


def test_a_column_the_simulation_does_not_fill_is_refused(monkeypatch):
    table, _ = bulk.TABLES[0]
    monkeypatch.setattr(bulk, "TABLES", ((table, TICKET_COLUMNS[:-1]), *bulk.TABLES[1:]))
    with pytest.raises(RuntimeError, match="no value for tickets.staff_reply_count"):
        bulk.check_columns()
