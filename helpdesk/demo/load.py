"""Realistic demo data at any scale, from templates (no external data): the loader.

`seed_demo(engine, tickets=...)` adds categories, agents with skills, customers and
tickets spread over the last `days` days. The words come from corpus.py; each ticket's
life is simulated by simulate.py (cut off at "now", so its status, timestamps, SLA due
dates, messages and events always agree). Rows go in with bulk Core inserts in chunks,
with explicit ids continuing after the existing rows, so a million tickets take
minutes, not hours. Demo accounts and categories are created once and reused by
later runs, which only add tickets.
"""
from __future__ import annotations

import random
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, column, func, select, table as table_clause, text, update

from helpdesk.accounts.passwords import hash_password, password_problem
from helpdesk.core.clock import utcnow
from helpdesk.demo.corpus import CATEGORIES, MANAGER_EMAIL, Person, agent_email, customer_email, person, person_name
from helpdesk.demo.simulate import DAY, TicketFactory, creation_times
from helpdesk.enums import Priority, Role
from helpdesk.models import AgentSkill, Category, SlaPolicy, Ticket, TicketEvent, TicketMessage, User
from helpdesk.search import text_index
from helpdesk.sla.clock import DEFAULT_TARGETS_HOURS


@dataclass
class SeedSummary:
    tickets: int
    messages: int
    events: int
    first_ticket_id: int | None
    last_ticket_id: int | None
    categories_created: int
    agents_created: int
    customers_created: int
    manager_email: str
    agent_emails: list[str]
    customer_emails: list[str]
    password: str | None  # only when this run created accounts; never stored anywhere
    seconds: float


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

    The bulk insert on SQLite writes this text directly: the type's bind processing costs
    about 4 µs per value, a third of the run at a million tickets (16 million timestamps)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(" ", "microseconds")[:26]  # without "+00:00"


def _bulk_tables(dialect_name: str):
    """(tickets, messages, events, stamp) for the bulk insert on this backend."""
    tables = (Ticket.__table__, TicketMessage.__table__, TicketEvent.__table__)
    if dialect_name != "sqlite":
        return (*tables, aware_stamp)
    # Untyped twins: values go to the driver as given (text timestamps, enum values, ints).
    twins = tuple(table_clause(t.name, *(column(c.name) for c in t.columns)) for t in tables)
    return (*twins, sqlite_stamp)


def _check_columns(table, rows: list[dict]) -> None:
    """Every column gets a value from the generator: the untyped SQLite twins have no defaults,
    so a column added to the model later must be added here too, not silently left NULL."""
    if rows and (missing := {c.name for c in table.columns} - rows[0].keys()):
        raise RuntimeError(f"demo data has no value for {table.name}.{', '.join(sorted(missing))}")


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
    specs = [(MANAGER_EMAIL, ("Alex", "Morgan"), Role.ADMIN)]
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
    for table in (Ticket.__table__, TicketMessage.__table__, TicketEvent.__table__):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"))


def seed_demo(engine: Engine, *, tickets: int = 5000, customers: int = 500, agents: int = 20, days: int = 180,
              seed: int = 42, now: datetime | None = None, chunk_size: int = 10_000,
              progress: Callable[[int], None] | None = None) -> SeedSummary:
    """Add demo data. `progress(n)` is called after each chunk with the tickets just written.

    Run it while nobody else writes tickets: ids are assigned here, after the current maximum."""
    if tickets < 0 or customers < 1 or agents < 1 or days < 1:
        raise ValueError("tickets must be >= 0; customers, agents and days >= 1")
    started = time.monotonic()
    now = now or utcnow()
    rng = random.Random(seed)

    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # A big page cache keeps the ticket indexes in memory while they grow.
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
        categories, categories_created = _ensure_categories(connection, now)
        agent_people, customer_people, new_accounts, password = _ensure_accounts(
            connection, rng=rng, agents=agents, customers=customers, days=days, now=now, categories=categories)
        agents_by_category = _agents_by_category(connection, agent_people)
        targets = _sla_targets(connection)
        ticket_id = _next_id(connection, Ticket.__table__)
        message_id = _next_id(connection, TicketMessage.__table__)
        event_id = _next_id(connection, TicketEvent.__table__)
        connection.commit()

        ticket_table, message_table, event_table, stamp = _bulk_tables(connection.dialect.name)
        factory = TicketFactory(rng=rng, now=now.timestamp(), categories=categories,
                                 agents_by_category=agents_by_category, all_agents=agent_people,
                                 customers=customer_people, targets=targets, stamp=stamp)
        times = creation_times(rng, tickets, days, now)
        first_ticket_id = ticket_id if tickets else None
        message_count = event_count = 0
        try:
            # Subjects are indexed for search at the end, in one statement (see subject_search).
            with text_index.indexed_after_bulk_insert(connection, ticket_id):
                for start in range(0, tickets, chunk_size):
                    ticket_rows, message_rows, event_rows = [], [], []
                    for created in times[start:start + chunk_size]:
                        ticket, messages, events = factory.build(ticket_id, created, message_id, event_id)
                        ticket_rows.append(ticket)
                        message_rows += messages
                        event_rows += events
                        ticket_id += 1
                        message_id += len(messages)
                        event_id += len(events)
                    for model, rows in ((Ticket, ticket_rows), (TicketMessage, message_rows), (TicketEvent, event_rows)):
                        _check_columns(model.__table__, rows)
                    connection.execute(ticket_table.insert(), ticket_rows)
                    if message_rows:
                        connection.execute(message_table.insert(), message_rows)
                    connection.execute(event_table.insert(), event_rows)
                    # One transaction per chunk: the WAL stays small and an interrupted run keeps whole tickets.
                    connection.commit()
                    message_count += len(message_rows)
                    event_count += len(event_rows)
                    if progress:
                        progress(len(ticket_rows))
        finally:
            # Also after an interrupted run: the chunks already committed must not collide with
            # the ids the app's next inserts get from the PostgreSQL sequences.
            connection.rollback()  # a half-written chunk is gone either way; an aborted transaction can't continue
            _reset_sequences(connection)
            connection.commit()

        users = User.__table__
        for agent_id, at in factory.last_assigned.items():
            assigned_at = aware_stamp(at)
            connection.execute(update(users).where(users.c.id == agent_id)
                               .where(users.c.last_assigned_at.is_(None) | (users.c.last_assigned_at < assigned_at))
                               .values(last_assigned_at=assigned_at))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size=-2000")  # back to the default for pooled reuse
        connection.commit()

    created_roles = [role for _, _, role in new_accounts]
    return SeedSummary(
        tickets=tickets, messages=message_count, events=event_count,
        first_ticket_id=first_ticket_id, last_ticket_id=ticket_id - 1 if tickets else None,
        categories_created=categories_created,
        agents_created=created_roles.count(Role.AGENT),
        customers_created=created_roles.count(Role.CUSTOMER),
        manager_email=MANAGER_EMAIL,
        agent_emails=[agent_email(i) for i in range(min(agents, 3))],
        customer_emails=[customer_email(i) for i in range(min(customers, 3))],
        password=password,
        seconds=time.monotonic() - started,
    )
