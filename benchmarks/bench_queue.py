"""How fast is the agent queue on a million tickets? Median time of each view and the common
filters, through the real service (count + one page with customer, assignee, category).

    python benchmarks/bench_queue.py                      # SQLite, builds or reuses /tmp/seed1m.db
    python benchmarks/bench_queue.py --postgres-url postgresql+psycopg://user:pw@host/db
    python benchmarks/bench_queue.py --explain            # also print each query plan

A missing or smaller database is filled with `python -m helpdesk seed-demo --tickets N`
(about 6 minutes per million tickets on SQLite). Target: every case under 100 ms median.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk.db import make_engine, migrate, session_scope  # noqa: E402
from helpdesk.enums import OPEN_STATUSES, Priority, Role, TicketStatus  # noqa: E402
from helpdesk.models import Category, Ticket, User  # noqa: E402
from helpdesk.services.queue import QueueFilters, QueueSort, QueueView, list_queue  # noqa: E402
from helpdesk.timeutil import utcnow  # noqa: E402

TARGET_MS = 100.0
DEFAULT_SQLITE = "/tmp/seed1m.db"


@dataclass(frozen=True)
class Case:
    name: str
    view: QueueView
    filters: QueueFilters = QueueFilters()
    sort: QueueSort | None = None
    page: int = 1


def ticket_count(engine) -> int:
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Ticket)) or 0
    except Exception:  # no schema yet
        return 0


def ensure_data(url: str, tickets: int) -> None:
    engine = make_engine(url)
    migrate(engine)  # also brings an older benchmark database up to the current indexes
    have = ticket_count(engine)
    engine.dispose()
    if have >= tickets:
        print(f"Reusing {have:,} tickets at {make_url_safe(url)}")
        return
    missing = tickets - have
    print(f"Seeding {missing:,} tickets into {make_url_safe(url)} (this takes a while)...", flush=True)
    subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", url, "seed-demo", "--tickets", str(missing),
                    "--customers", "50000", "--agents", "50", "--days", "365"], cwd=ROOT, check=True)


def make_url_safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def build_cases(session) -> tuple[User, list[Case]]:
    # The busiest agent makes "My open" as heavy as it gets.
    busiest = session.execute(
        select(Ticket.assignee_id, func.count()).where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id).order_by(func.count().desc()).limit(1)).first()
    agent = session.get(User, busiest[0]) if busiest else session.scalar(select(User).where(User.role == Role.AGENT))
    category_id = session.scalar(select(Category.id).order_by(Category.id))
    customer_email = session.scalar(select(User.email).where(User.role == Role.CUSTOMER).order_by(User.id))
    some_subject_word = "refund"
    last_id = session.scalar(select(func.max(Ticket.id)))
    today = utcnow().date()
    cases = [Case(f"view: {view.label}", view) for view in QueueView]
    cases += [Case(f"all open, sort {sort.label}", QueueView.ALL_OPEN, sort=sort)
              for sort in (QueueSort.PRIORITY, QueueSort.CREATED, QueueSort.UPDATED)]
    cases += [
        Case("all open, page 20", QueueView.ALL_OPEN, page=20),
        Case("filter priority urgent", QueueView.ALL_OPEN, QueueFilters(priorities=(Priority.URGENT,))),
        Case("filter status waiting", QueueView.ALL_OPEN, QueueFilters(statuses=(TicketStatus.WAITING_ON_CUSTOMER,))),
        Case("filter category", QueueView.ALL_OPEN, QueueFilters(category_ids=(category_id,))),
        Case("filter assignee", QueueView.ALL_OPEN, QueueFilters(assignee_id=agent.id)),
        Case("filter created last 7 days", QueueView.ALL_OPEN,
             QueueFilters(created_from=today - timedelta(days=7), created_to=today)),
        Case(f"search subject '{some_subject_word}'", QueueView.ALL_OPEN, QueueFilters(text=some_subject_word)),
        Case("search customer e-mail", QueueView.ALL_OPEN, QueueFilters(text=customer_email)),
        Case("search reference", QueueView.ALL_OPEN, QueueFilters(text=f"CCR-{last_id:06d}")),
        Case(f"resolved, search '{some_subject_word}'", QueueView.RECENTLY_RESOLVED,
             QueueFilters(text=some_subject_word)),
    ]
    return agent, cases


class StatementLog:
    """The SQL a service call really ran (statement and driver parameters), for EXPLAIN."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))


def explain(engine, statements) -> list[str]:
    lines = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                lines += [f"    {row[-1]}" for row in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN " + statement, parameters)
                lines += [f"    {row[0]}" for row in cursor.fetchall()]
            lines.append("    --")
    finally:
        raw.close()
    return lines


def full_scans(plan_lines: list[str]) -> list[str]:
    """Plan lines that read the whole tickets table."""
    bad = []
    for line in plan_lines:
        stripped = line.strip()
        if stripped.startswith("SCAN tickets") and "INDEX" not in stripped:
            bad.append(stripped)
        if "Seq Scan on tickets" in stripped:
            bad.append(stripped)
    return bad


def run_backend(label: str, url: str, runs: int, show_plans: bool) -> list[tuple[str, float, int, list[str]]]:
    engine = make_engine(url)
    results = []
    with session_scope(engine) as session:
        agent, cases = build_cases(session)
    if engine.dialect.name == "sqlite":
        # No ANALYZE: the app never runs it, so measure the plans SQLite picks without statistics.
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name='sqlite_stat1'").scalar():
                print("note: this SQLite file has ANALYZE statistics (sqlite_stat1)")
    else:  # autovacuum keeps statistics on a real server; make sure a fresh load has them
        with engine.connect() as connection:
            connection.execute(text("ANALYZE tickets"))
            connection.commit()
    print(f"\n{label}: {engine.url.render_as_string(hide_password=True)}  (agent for 'My open': {agent.email})")
    print(f"{'case':44} {'median ms':>10} {'vs 100 ms':>10} {'rows':>9}")
    for case in cases:
        timings = []
        total = 0
        for attempt in range(runs + 1):
            with session_scope(engine) as session:
                started = time.perf_counter()
                page = list_queue(session=session, actor=agent, view=case.view, filters=case.filters, sort=case.sort,
                                  page=case.page)
                elapsed = (time.perf_counter() - started) * 1000
            total = page.total
            if attempt:  # the first run warms the caches
                timings.append(elapsed)
        median = statistics.median(timings)
        log = StatementLog(engine)
        with session_scope(engine) as session:
            list_queue(session=session, actor=agent, view=case.view, filters=case.filters, sort=case.sort,
                       page=case.page)
        event.remove(engine, "before_cursor_execute", log._record)
        plan = explain(engine, [s for s in log.statements if s[0].lstrip().upper().startswith("SELECT")])
        scans = full_scans(plan)
        flag = "  FULL SCAN: " + "; ".join(scans) if scans else ""
        print(f"{case.name:44} {median:10.1f} {median / TARGET_MS:9.2f}x {total:9,}{flag}")
        if show_plans:
            print("\n".join(plan))
        results.append((case.name, median, total, scans))
    engine.dispose()
    worst = max(results, key=lambda r: r[1])
    print(f"slowest: {worst[0]} at {worst[1]:.1f} ms ({'within' if worst[1] < TARGET_MS else 'OVER'} the "
          f"{TARGET_MS:.0f} ms target)")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE, help=f"SQLite database (default {DEFAULT_SQLITE})")
    parser.add_argument("--postgres-url", help="also measure on this PostgreSQL database")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to have (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (default 15)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print the query plan of every case")
    args = parser.parse_args(argv)

    all_results = []
    backends = [] if args.skip_sqlite else [("SQLite", f"sqlite:///{args.sqlite_path}")]
    if args.postgres_url:
        backends.append(("PostgreSQL", args.postgres_url))
    for label, url in backends:
        ensure_data(url, args.tickets)
        all_results += run_backend(label, url, args.runs, args.explain)
    slow = [r for r in all_results if r[1] >= TARGET_MS or r[3]]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
