"""Realistic demo data at any scale, from templates (no external data): the loader.

`seed_demo(engine, tickets=...)` adds categories, an administrator and a manager, agents with
skills, customers and tickets spread over the last `days` days. The words come from corpus.py;
each ticket's life is simulated by simulate.py (cut off at "now", so its status, timestamps, SLA
due dates, stored durations, messages, events and satisfaction ratings always agree). Demo
accounts and categories are created once and reused by later runs, which only add tickets.

Speed (a million tickets in about a minute): worker processes simulate chunks of tickets while
this process writes the previous ones with the backend's bulk path (bulk.py: executemany on
SQLite, COPY on PostgreSQL), one transaction per chunk, ticket ids continuing after the existing
rows. A big load sets the secondary indexes (and PostgreSQL's foreign keys) aside and builds them
once at the end, and indexes the new subjects for search in one statement.
"""
from __future__ import annotations

import os
import random
import secrets
import signal
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from helpdesk.accounts.passwords import hash_password, password_problem
from helpdesk.core.clock import utcnow
from helpdesk.demo import bulk
from helpdesk.demo.corpus import (ADMIN_EMAIL, ADMIN_NAME, CATEGORIES, MANAGER_EMAIL, MANAGER_NAME, Person,
                                  agent_email, customer_email, person, person_name)
from helpdesk.demo.help_activity import add_help_activity
from helpdesk.demo.simulate import DAY, Plan, creation_times
from helpdesk.demo.workers import simulated_chunks
from helpdesk.enums import Priority, Role
from helpdesk.knowledge.importer import import_articles
from helpdesk.models import (AgentSkill, Category, SatisfactionRating, SlaPolicy, Ticket, TicketEvent, TicketMessage,
                             User)
from helpdesk.search import text_index
from helpdesk.tickets import report_cells
from helpdesk.settings import business_hours
from helpdesk.sla.clock import DEFAULT_TARGETS_HOURS

# A load of at least this many tickets (and at least half as many as there are) sets the
# indexes aside and builds them at the end; smaller ones keep them (rebuilding would cost more).
BULK_MIN_TICKETS = 50_000
# Worker processes are worth starting from this many tickets on (a spawn costs about half a second).
PARALLEL_MIN_TICKETS = 20_000
SQLITE_CACHE_KB = 256 * 1024  # the page cache of the loading connection (the default is 2 MB)
SQLITE_BULK_CACHE_KB = 1024 * 1024  # a million tickets' table is about 360 MB


@dataclass
class SeedSummary:
    tickets: int
    messages: int
    events: int
    ratings: int
    first_ticket_id: int | None
    last_ticket_id: int | None
    categories_created: int
    articles_created: int
    articles_updated: int
    agents_created: int
    customers_created: int
    admin_email: str
    manager_email: str
    agent_emails: list[str]
    customer_emails: list[str]
    password: str | None  # only when this run created accounts; never stored anywhere
    seconds: float


# About 40 guideline articles, as a real shop's help center has them (Markdown with front matter).
DEMO_ARTICLES = Path(__file__).resolve().parent / "articles"


def generate_password() -> str:
    """One random password for every demo account created in this run."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if password_problem(password) is None:
            return password


def aware_stamp(seconds: float | None) -> datetime | None:
    """Epoch seconds as the timezone-aware UTC datetime the UTCDateTime columns take."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def sqlite_stamp(seconds: float | None) -> str | None:
    """Epoch seconds as the exact text UTCDateTime stores on SQLite (naive UTC, microseconds).

    The bulk insert on SQLite writes such text directly (the type's bind processing costs about
    4 µs per value); the simulation makes it for whole seconds from tables
    (simulate.stamp_function), and the tests hold the two to this one."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(" ", "microseconds")[:26]  # without "+00:00"


def _sla_targets(connection) -> dict[Priority, tuple[int, int]]:
    targets = dict(DEFAULT_TARGETS_HOURS)
    for row in connection.execute(select(SlaPolicy.priority, SlaPolicy.first_response_hours,
                                         SlaPolicy.resolution_hours)):
        targets[Priority(row.priority)] = (row.first_response_hours, row.resolution_hours)
    return targets


def _ensure_categories(connection, now: datetime) -> tuple[dict[str, int], int]:
    table = Category.__table__
    existing = {row.name: row.id for row in connection.execute(select(table.c.name, table.c.id))}
    missing = [{"name": name, "description": description, "is_active": True, "created_at": now}
               for name, description, _ in CATEGORIES if name not in existing]
    if missing:
        connection.execute(table.insert(), missing)
        existing = {row.name: row.id for row in connection.execute(select(table.c.name, table.c.id))}
    return existing, len(missing)


def _ensure_accounts(connection, *, rng: random.Random, agents: int, customers: int, days: int,
                     now: datetime, categories: dict[str, int]):
    """Create the demo accounts that don't exist yet. Returns (agents, customers, created, password)."""
    table = User.__table__
    specs = [(ADMIN_EMAIL, ADMIN_NAME, Role.ADMIN), (MANAGER_EMAIL, MANAGER_NAME, Role.MANAGER)]
    specs += [(agent_email(i), person_name("agent", i), Role.AGENT) for i in range(agents)]
    specs += [(customer_email(i), person_name("customer", i), Role.CUSTOMER) for i in range(customers)]
    emails = [email for email, _, _ in specs]
    existing: dict[str, int] = {}
    for start in range(0, len(emails), 500):
        rows = connection.execute(select(table.c.email, table.c.id).where(table.c.email.in_(emails[start:start + 500])))
        existing.update({row.email: row.id for row in rows})
    missing = [spec for spec in specs if spec[0] not in existing]
    password = None
    if missing:
        password = generate_password()
        password_hash = hash_password(password)  # once: argon2 is slow on purpose
        oldest = now - timedelta(days=days + 365)
        rows = []
        for email, (first, last), role in missing:
            joined = oldest + timedelta(seconds=rng.random() * 365 * DAY)
            rows.append({"email": email, "name": f"{first} {last}", "role": role.value, "is_active": True,
                         "password_hash": password_hash, "created_at": joined,
                         "last_login_at": now - timedelta(seconds=rng.random() * 30 * DAY),
                         "last_assigned_at": None, "wants_optional_email": rng.random() < 0.8})
        connection.execute(table.insert(), rows)
        for start in range(0, len(emails), 500):
            rows = connection.execute(select(table.c.email, table.c.id).where(table.c.email.in_(emails[start:start + 500])))
            existing.update({row.email: row.id for row in rows})
        # Each new agent handles a main category plus one or two others.
        category_ids = [categories[name] for name, _, _ in CATEGORIES]
        created_emails = {email for email, _, _ in missing}
        skills = []
        for i in range(agents):
            email = agent_email(i)
            if email not in created_emails:
                continue
            skill_rng = random.Random(f"demo-skills-{i}")
            chosen = {category_ids[i % len(category_ids)]}
            chosen.update(skill_rng.sample(category_ids, skill_rng.randint(1, 2)))
            skills += [{"agent_id": existing[email], "category_id": cid} for cid in sorted(chosen)]
        if skills:
            connection.execute(AgentSkill.__table__.insert(), skills)

    agent_people = [person(existing[agent_email(i)], "agent", i) for i in range(agents)]
    customer_people = [person(existing[customer_email(i)], "customer", i) for i in range(customers)]
    return agent_people, customer_people, missing, password


def _agents_by_category(connection, agents: list[Person]) -> dict[int, list[Person]]:
    by_id = {agent.id: agent for agent in agents}
    result: dict[int, list[Person]] = {}
    if not by_id:
        return result
    skill = AgentSkill.__table__
    rows = connection.execute(select(skill.c.agent_id, skill.c.category_id)
                              .where(skill.c.agent_id.in_(list(by_id)))
                              .order_by(skill.c.category_id, skill.c.agent_id))
    for row in rows:
        result.setdefault(row.category_id, []).append(by_id[row.agent_id])
    return result


def _next_id(connection, table) -> int:
    return (connection.scalar(select(func.max(table.c.id))) or 0) + 1



def _reset_sequences(connection) -> None:
    """PostgreSQL sequences don't move when ids are given explicitly; move them past the rows."""
    if connection.dialect.name != "postgresql":
        return
    for table in (Ticket.__table__, TicketMessage.__table__, TicketEvent.__table__, SatisfactionRating.__table__):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"))


@contextmanager
def _stop_between_chunks(stage: Callable[[str], None] | None) -> Iterator[threading.Event]:
    """Ctrl-C during the load stops it after the chunk being written, not inside a database call:
    an interrupt there leaves the connection unusable (SQLAlchemy gives it up, its transaction
    still holding the tables) for putting the indexes back. A second Ctrl-C stops at once (the
    next run then finishes what this one set aside)."""
    requested = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous in (signal.SIG_IGN, None):
        yield requested
        return

    def later(_signum, _frame) -> None:
        requested.set()
        signal.signal(signal.SIGINT, previous)
        if stage:
            stage("Stopping after this chunk (Ctrl-C again to stop at once)")

    signal.signal(signal.SIGINT, later)
    try:
        yield requested
    finally:
        if signal.getsignal(signal.SIGINT) is later:
            signal.signal(signal.SIGINT, previous)


def _count(rows) -> int:
    """Rows in a chunk's table: a list of tuples, or COPY text (one line a row)."""
    return len(rows) if isinstance(rows, list) else rows.count(b"\n")


def _processes(tickets: int, chunk_size: int, backend: str) -> int:
    """Worker processes for the simulation, none for a small run. On SQLite this process writes,
    in SQLite's C code, about as long as the simulation of the same rows takes: a core for each,
    so one worker on two cores. PostgreSQL's server writes faster than that: a worker per core.
    (Measured on 2 cores: 1 or 2 workers the same on SQLite, 2 workers 15-40 % faster on PostgreSQL.)"""
    if tickets < PARALLEL_MIN_TICKETS or tickets <= chunk_size:
        return 0
    cores = os.cpu_count() or 1
    return max(1, min(cores - 1 if backend == "sqlite" else cores, 4))


def seed_demo(engine: Engine, *, tickets: int = 5000, customers: int = 500, agents: int = 20, days: int = 180,
              seed: int = 42, now: datetime | None = None, chunk_size: int = 10_000,
              progress: Callable[[int], None] | None = None, stage: Callable[[str], None] | None = None,
              processes: int | None = None, bulk_load: bool | None = None) -> SeedSummary:
    """Add demo data. `progress(n)` is called after each chunk with the tickets just written, and
    `stage(words)` when a slow step without tickets begins (building the indexes).

    `processes` (worker processes simulating tickets) and `bulk_load` (set the indexes aside
    during the load) are chosen from the size of the run when None; neither changes the data.
    Run it while nobody else writes tickets: ids are assigned here, after the current maximum."""
    if tickets < 0 or customers < 1 or agents < 1 or days < 1:
        raise ValueError("tickets must be >= 0; customers, agents and days >= 1")
    bulk.check_columns()
    started = time.monotonic()
    now = now or utcnow()
    rng = random.Random(seed)

    with engine.connect() as connection:
        bulk.restore_paused_indexes(connection, stage)  # what a killed earlier run left dropped
        with Session(bind=connection) as session:  # the SLA business hours, for the working-time figures
            hours = business_hours(session)
        connection.commit()
        categories, categories_created = _ensure_categories(connection, now)
        with Session(bind=connection) as session:  # the help center's guideline articles, by slug
            articles = import_articles(session=session, folder=DEMO_ARTICLES)
            session.commit()
        agent_people, customer_people, new_accounts, password = _ensure_accounts(
            connection, rng=rng, agents=agents, customers=customers, days=days, now=now, categories=categories)
        agents_by_category = _agents_by_category(connection, agent_people)
        targets = _sla_targets(connection)
        ticket_id = _next_id(connection, Ticket.__table__)
        existing_tickets = ticket_id - 1
        connection.commit()

        times = creation_times(rng, tickets, days, now)
        plan = Plan(now=int(now.timestamp()), first_created=int(times[0]) if times else int(now.timestamp()),
                    seed=seed, backend=connection.dialect.name, categories=categories,
                    agents_by_category=agents_by_category, agents=agent_people, customers=customer_people,
                    targets=targets, hours=hours)
        tasks = [(number, ticket_id + start, times[start:start + chunk_size])
                 for number, start in enumerate(range(0, tickets, chunk_size))]
        if processes is None:
            processes = _processes(tickets, chunk_size, connection.dialect.name)
        if bulk_load is None:
            bulk_load = tickets >= BULK_MIN_TICKETS and tickets >= existing_tickets / 2
        if connection.dialect.name == "sqlite":
            # A big page cache keeps the ticket indexes in memory while they grow, and, for a bulk
            # load, the tickets table while its indexes are built (each build reads it once).
            connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KB if bulk_load else SQLITE_CACHE_KB}")
        first_ticket_id = ticket_id if tickets else None
        written = message_count = event_count = rating_count = 0
        last_assigned: dict[int, int] = {}
        try:
            # Subjects are indexed for search at the end, in one statement (see subject_search).
            # closing(): the worker processes stop first when the load stops early.
            with (bulk.paused_indexes(connection, stage) if bulk_load else nullcontext()), \
                    text_index.indexed_after_bulk_insert(connection, ticket_id), \
                    bulk.Writer(connection) as writer, \
                    closing(simulated_chunks(plan, tasks, processes)) as chunks, \
                    _stop_between_chunks(stage) as stop_requested:
                for chunk in chunks:
                    writer.write(chunk)
                    # One transaction per chunk: the WAL stays small and an interrupted run keeps whole tickets.
                    connection.commit()
                    count = len(tasks[written][2])
                    written += 1
                    message_count += _count(chunk.messages)
                    event_count += _count(chunk.events)
                    rating_count += _count(chunk.ratings)
                    for agent_id, at in chunk.last_assigned.items():
                        last_assigned[agent_id] = max(at, last_assigned.get(agent_id, 0))
                    if progress:
                        progress(count)
                    if stop_requested.is_set():
                        raise KeyboardInterrupt
        finally:
            # Also after an interrupted run: the chunks already committed must not collide with
            # the ids the app's next inserts get from the PostgreSQL sequences.
            connection.rollback()  # a half-written chunk is gone either way; an aborted transaction can't continue
            _reset_sequences(connection)
            connection.commit()

        users = User.__table__
        for agent_id, at in last_assigned.items():
            assigned_at = aware_stamp(at)
            connection.execute(update(users).where(users.c.id == agent_id)
                               .where(users.c.last_assigned_at.is_(None) | (users.c.last_assigned_at < assigned_at))
                               .values(last_assigned_at=assigned_at))
        connection.commit()
        if tickets:
            add_help_activity(connection, rng=random.Random(seed + 1), tickets=range(ticket_id, ticket_id + tickets),
                              customers=[person.id for person in customer_people], days=days, now=now)
            connection.commit()
        # The rows went in by bulk statements, which the report cells' flush listener never saw.
        if stage:
            stage("Counting the analytics cells")
        with Session(bind=connection) as session:
            report_cells.rebuild(session)
            session.commit()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size=-2000")  # back to the default for pooled reuse
        connection.commit()

    created_roles = [role for _, _, role in new_accounts]
    return SeedSummary(
        tickets=tickets, messages=message_count, events=event_count, ratings=rating_count,
        first_ticket_id=first_ticket_id, last_ticket_id=ticket_id + tickets - 1 if tickets else None,
        categories_created=categories_created,
        articles_created=len(articles.created),
        articles_updated=len(articles.updated),
        agents_created=created_roles.count(Role.AGENT),
        customers_created=created_roles.count(Role.CUSTOMER),
        admin_email=ADMIN_EMAIL,
        manager_email=MANAGER_EMAIL,
        agent_emails=[agent_email(i) for i in range(min(agents, 3))],
        customer_emails=[customer_email(i) for i in range(min(customers, 3))],
        password=password,
        seconds=time.monotonic() - started,
    )
