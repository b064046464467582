"""What every benchmark here shares: a big enough database, the median of a service call,
and the query plans of the SQL that call really ran (flagging full scans of tickets)."""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from helpdesk.core.db import make_engine, migrate, session_scope  # noqa: E402
from helpdesk.models import Ticket  # noqa: E402

TARGET_MS = 100.0
DEFAULT_SQLITE = "/tmp/seed1m.db"


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def ticket_count(engine) -> int:
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Ticket)) or 0
    except Exception:  # no schema yet
        return 0


def ensure_data(url: str, tickets: int) -> None:
    """Reuse the database when it has enough tickets, else top it up with seed-demo."""
    engine = make_engine(url)
    migrate(engine)  # also brings an older benchmark database up to the current indexes
    have = ticket_count(engine)
    engine.dispose()
    if have >= tickets:
        print(f"Reusing {have:,} tickets at {safe_url(url)}")
        return
    missing = tickets - have
    print(f"Seeding {missing:,} tickets into {safe_url(url)} (this takes a while)...", flush=True)
    subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", url, "seed-demo", "--tickets", str(missing),
                    "--customers", "50000", "--agents", "50", "--days", "365"], cwd=ROOT, check=True)


def prepare_statistics(engine) -> None:
    if engine.dialect.name == "sqlite":
        # No ANALYZE: the app never runs it, so measure the plans SQLite picks without statistics.
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name='sqlite_stat1'").scalar():
                print("note: this SQLite file has ANALYZE statistics (sqlite_stat1)")
    else:  # autovacuum keeps statistics on a real server; make sure a fresh load has them
        with engine.connect() as connection:
            connection.execute(text("ANALYZE tickets"))
            connection.commit()


class StatementLog:
    """The SQL a service call really ran (statement and driver parameters), for EXPLAIN."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


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


@dataclass(frozen=True)
class Measurement:
    name: str
    median_ms: float
    rows: int
    full_scans: list[str]
    plan: list[str]


def measure(engine, name: str, call: Callable, runs: int) -> Measurement:
    """Median of `runs` timed calls (after one warm-up) of `call(session) -> row count`,
    plus the plans of the SELECTs it ran."""
    timings, rows = [], 0
    for attempt in range(runs + 1):
        with session_scope(engine) as session:
            started = time.perf_counter()
            rows = call(session)
            elapsed = (time.perf_counter() - started) * 1000
        if attempt:  # the first run warms the caches
            timings.append(elapsed)
    log = StatementLog(engine)
    with session_scope(engine) as session:
        call(session)
    log.stop()
    plan = explain(engine, [s for s in log.statements if s[0].lstrip().upper().startswith("SELECT")])
    return Measurement(name, statistics.median(timings), rows, full_scans(plan), plan)


def measure_all(engine, cases: list[tuple[str, Callable]], runs: int, show_plans: bool) -> list[Measurement]:
    """Measure and print each (name, call) case, then the slowest."""
    results = []
    for name, call in cases:
        result = measure(engine, name, call, runs)
        print_row(result, show_plans)
        results.append(result)
    print_slowest(results)
    return results


def print_header(label: str, engine, note: str = "") -> None:
    print(f"\n{label}: {engine.url.render_as_string(hide_password=True)}{note}")
    print(f"{'case':44} {'median ms':>10} {'vs 100 ms':>10} {'rows':>9}")


def print_row(result: Measurement, show_plan: bool) -> None:
    flag = "  FULL SCAN: " + "; ".join(result.full_scans) if result.full_scans else ""
    print(f"{result.name:44} {result.median_ms:10.1f} {result.median_ms / TARGET_MS:9.2f}x {result.rows:9,}{flag}")
    if show_plan:
        print("\n".join(result.plan))


def print_slowest(results: list[Measurement]) -> None:
    worst = max(results, key=lambda r: r.median_ms)
    verdict = "within" if worst.median_ms < TARGET_MS else "OVER"
    print(f"slowest: {worst.name} at {worst.median_ms:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target)")


def backend_parser(description: str, runs: int) -> argparse.ArgumentParser:
    """The command line the ticket benchmarks share: which databases, how many tickets and runs."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE, help=f"SQLite database (default {DEFAULT_SQLITE})")
    parser.add_argument("--postgres-url", help="also measure on this PostgreSQL database")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to have (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=runs, help=f"timed runs per case (default {runs})")
    parser.add_argument("--skip-sqlite", action="store_true")
    return parser


def each_backend(args) -> Iterator[tuple[str, str]]:
    """(label, url) of each database the command line names, each with enough tickets first."""
    backends = [] if args.skip_sqlite else [("SQLite", f"sqlite:///{args.sqlite_path}")]
    if args.postgres_url:
        backends.append(("PostgreSQL", args.postgres_url))
    for label, url in backends:
        ensure_data(url, args.tickets)
        yield label, url


def benchmark_main(description: str, run_backend: Callable[..., list[Measurement]], argv: list[str] | None) -> int:
    """The command line every benchmark shares; exit 1 when a case misses the target or scans."""
    parser = backend_parser(description, runs=15)
    parser.add_argument("--explain", action="store_true", help="print the query plan of every case")
    args = parser.parse_args(argv)
    results: list[Measurement] = []
    for label, url in each_backend(args):
        results += run_backend(label, url, args.runs, args.explain)
    return 1 if any(r.median_ms >= TARGET_MS or r.full_scans for r in results) else 0
