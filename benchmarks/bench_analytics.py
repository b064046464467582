"""How fast is the analytics page on a million tickets? The whole view (every KPI against the
previous range, every chart) through the real service, for the default 30 days and for 365 days,
beside the naive way in the same run: read every ticket into pandas and compute there.

    python benchmarks/bench_analytics.py                      # SQLite, builds or reuses /tmp/seed1m.db
    python benchmarks/bench_analytics.py --postgres-url postgresql+psycopg://user:pw@host/db

"cold" is the first call on a new engine (new connections, nothing cached by the app; the
operating system's file cache may still hold pages, unless --drop-caches empties it and restarts a
local PostgreSQL first); "median" is over --runs further calls.
Targets (issue 10): the 30-day view under 300 ms, the 365-day view under 1 s, on both backends.
"""
from __future__ import annotations

import statistics
import subprocess
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from harness import backend_parser, each_backend, prepare_statistics, safe_url
from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.analytics.report import build_report
from helpdesk.analytics.sql import TicketFilter
from helpdesk.core.db import make_engine, session_scope
from helpdesk.enums import REPORTING_ROLES
from helpdesk.models import Ticket, User
from helpdesk.settings import report_zone

TARGETS_MS = {"30 days": 300.0, "365 days": 1000.0}


def periods(now: datetime, zone: ZoneInfo):
    """The page's default range and a year, in the report zone (as the page counts them)."""
    today = now.astimezone(zone).date()
    return {"30 days": make_period(preset=RangePreset.LAST_30, now=now, zone=zone),
            "365 days": make_period(preset=RangePreset.CUSTOM, now=now, zone=zone,
                                    first=today - timedelta(days=364), last=today)}


def service_view(engine, period, now) -> None:
    with session_scope(engine) as session:
        reader = session.scalar(select(User).where(User.role.in_(REPORTING_ROLES), User.is_active))
        build_report(session=session, actor=reader, period=period, filters=TicketFilter(), now=now)


def naive_view(engine, period, now) -> None:
    """What a report that "loads all tickets" does: every ticket into pandas, then filter and compute."""
    columns = [Ticket.id, Ticket.created_at, Ticket.resolved_at, Ticket.status, Ticket.priority, Ticket.category_id,
               Ticket.assignee_id, Ticket.first_response_seconds, Ticket.resolution_seconds,
               Ticket.first_response_at, Ticket.first_response_due_at, Ticket.resolution_due_at]
    with engine.connect() as connection:
        frame = pd.read_sql(select(*columns), connection)
    for name in ("created_at", "resolved_at", "first_response_at", "first_response_due_at", "resolution_due_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="mixed")
    zone = period.zone
    warnings.simplefilter("ignore", RuntimeWarning)  # a previous range before the data: empty percentiles
    for start, end in ((period.start, period.end), (period.previous().start, period.previous().end)):
        created = frame[(frame.created_at >= start) & (frame.created_at < end)]
        resolved = frame[(frame.resolved_at >= start) & (frame.resolved_at < end)]
        np.nanpercentile(created.first_response_seconds, [50, 90])
        np.nanpercentile(resolved.resolution_seconds, [50, 90])
        created.groupby(created.created_at.dt.tz_convert(zone).dt.date).size()
        resolved.groupby(["priority"]).resolution_seconds.quantile([0.1, 0.25, 0.5, 0.75, 0.9])
        resolved.groupby(["assignee_id"]).resolution_seconds.median()


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def empty_caches(url: str) -> None:
    """A really cold start: the operating system's file cache dropped and, for a local PostgreSQL,
    the server restarted (its shared buffers emptied). Needs root on the database's machine."""
    if make_engine(url).dialect.name == "postgresql":
        subprocess.run(["service", "postgresql", "restart"], check=True, capture_output=True)
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")
    for _ in range(100):  # until the restarted server takes connections
        try:
            with make_engine(url).connect():
                return
        except OperationalError:
            time.sleep(0.1)


def run(label: str, url: str, runs: int, drop_caches: bool = False) -> list[tuple[str, float]]:
    now = datetime.now(UTC)
    engine = make_engine(url)
    prepare_statistics(engine)
    with session_scope(engine) as session:
        zone = report_zone(session)
    engine.dispose()
    print(f"\n{label}: {safe_url(url)}")
    print(f"{'view':12} {'cold ms':>9} {'median ms':>10} {'target':>8} {'naive ms':>10} {'naive/ours':>11}")
    worst = []
    for name, period in periods(now, zone).items():
        if drop_caches:
            empty_caches(url)
        engine = make_engine(url)  # cold: new connections, nothing the app caches
        cold = timed(lambda: service_view(engine, period, now))
        median = statistics.median(timed(lambda: service_view(engine, period, now)) for _ in range(runs))
        naive = timed(lambda: naive_view(engine, period, now))
        engine.dispose()
        target = TARGETS_MS[name]
        print(f"{name:12} {cold:9.0f} {median:10.0f} {target:8.0f} {naive:10.0f} {naive / median:10.1f}x"
              f"{'' if max(cold, median) < target else '  OVER TARGET'}")
        worst.append((name, max(cold, median) / target))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = backend_parser(__doc__, runs=5)
    parser.add_argument("--drop-caches", action="store_true",
                        help="before each cold call, drop the OS file cache and restart a local PostgreSQL (root)")
    args = parser.parse_args(argv)
    over = []
    for label, url in each_backend(args):
        over += [(label, name, ratio) for name, ratio in run(label, url, args.runs, args.drop_caches) if ratio >= 1]
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
