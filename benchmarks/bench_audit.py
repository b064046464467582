"""How fast is the audit-log page on a million entries? Median time of each query the page runs
(one page of entries plus the capped count, through the real service), beside the naive way
(read every entry, filter and sort in Python) in the same run, and the ratio.

    python benchmarks/bench_audit.py                      # SQLite, builds or reuses /tmp/audit1m.db
    python benchmarks/bench_audit.py --database-url postgresql+psycopg://user:pw@host/db
    python benchmarks/bench_audit.py --explain            # also print each query plan

A missing or smaller log is topped up with generated entries (a bulk insert: executemany on
SQLite, COPY on PostgreSQL; about 30 s per million), a year of them from twenty administrators
and the CLI. Target: every case under 100 ms median, and no plan reading the whole table.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from harness import TARGET_MS, measure, safe_url
from helpdesk.audit import COUNT_LIMIT, SERVER, list_audit_actors, list_audit_entries
from helpdesk.core.clock import utcnow
from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.enums import AuditAction, Role
from helpdesk.models import AuditEntry, User

DEFAULT_SQLITE = "/tmp/audit1m.db"
PAGE_SIZE = 50  # the page's
ADMINS = 20
BENCH_DOMAIN = "bench-audit.invalid"
# How often each action happens in a busy helpdesk's log (relative weights); business hours rarely.
ACTION_WEIGHTS = {
    AuditAction.USER_CREATED: 20, AuditAction.USER_ACTIVATED: 4, AuditAction.USER_DEACTIVATED: 6,
    AuditAction.USER_ROLE_CHANGED: 5, AuditAction.CATEGORY_CREATED: 2, AuditAction.CATEGORY_RENAMED: 2,
    AuditAction.CATEGORY_DESCRIPTION_CHANGED: 2, AuditAction.CATEGORY_ACTIVATED: 1,
    AuditAction.CATEGORY_DEACTIVATED: 1, AuditAction.AGENT_SKILLS_CHANGED: 15, AuditAction.SLA_TARGETS_CHANGED: 4,
    AuditAction.BUSINESS_HOURS_CHANGED: 0.5, AuditAction.SETTING_CHANGED: 5, AuditAction.CANNED_REPLY_CREATED: 6,
    AuditAction.CANNED_REPLY_RENAMED: 2, AuditAction.CANNED_REPLY_EDITED: 8, AuditAction.CANNED_REPLY_DELETED: 1,
    AuditAction.MAIL_RETRIED: 12, AuditAction.TEST_MAIL_QUEUED: 3,
}


# --- the data -------------------------------------------------------------------------------

def entry_count(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(AuditEntry)) or 0


def bench_admins(engine) -> list[int]:
    """Twenty administrators who made the log (and a manager who reads it), made once."""
    with session_scope(engine) as session:
        have = session.scalar(select(func.count()).select_from(User).where(User.email.like(f"%@{BENCH_DOMAIN}")))
        if not have:
            session.add_all(User(email=f"admin{n:02d}@{BENCH_DOMAIN}", name=f"Admin {n:02d}", role=Role.ADMIN,
                                 password_hash="!", is_active=True) for n in range(ADMINS))
            session.add(User(email=f"reader@{BENCH_DOMAIN}", name="Reader", role=Role.MANAGER, password_hash="!"))
        return list(session.scalars(select(User.id).where(User.email.like(f"admin%@{BENCH_DOMAIN}"))
                                    .order_by(User.id)))


def generated_entries(count: int, admin_ids: list[int], end, rng: random.Random):
    """`count` entries evenly over the year before `end`, oldest first; a few admins do most of the
    work (Zipf-like), the CLI 1%."""
    actions = list(ACTION_WEIGHTS)
    action_weights = list(ACTION_WEIGHTS.values())
    actor_weights = [1 / (rank + 1) for rank in range(len(admin_ids))]
    start = end - timedelta(days=365)
    step = timedelta(days=365) / count
    for number in range(count):
        actor = None if rng.random() < 0.01 else rng.choices(admin_ids, actor_weights)[0]
        action = rng.choices(actions, action_weights)[0]
        yield {"actor_id": actor, "action": action, "target": f"Person {rng.randrange(50_000)} <p@example.com>",
               "old_value": "Agent", "new_value": "Manager", "created_at": start + step * number}


def ensure_log(url: str, entries: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    admin_ids = bench_admins(engine)
    have = entry_count(engine)
    if have >= entries:
        print(f"Reusing {have:,} audit entries at {safe_url(url)}")
        engine.dispose()
        return
    missing = entries - have
    print(f"Adding {missing:,} audit entries to {safe_url(url)} ...", flush=True)
    started = time.perf_counter()
    rows = generated_entries(missing, admin_ids, utcnow(), random.Random(have))
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            columns = "actor_id, action, target, old_value, new_value, created_at"
            with raw.cursor() as cursor, cursor.copy(f"COPY audit_entries ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row["actor_id"], row["action"].value, row["target"], row["old_value"],
                                    row["new_value"], row["created_at"]))
            raw.commit()
        finally:
            raw.close()
        with engine.connect() as connection:
            connection.execute(text("ANALYZE audit_entries"))
            connection.commit()
    else:
        chunk: list[dict] = []
        with engine.begin() as connection:
            for row in rows:
                chunk.append(row)
                if len(chunk) == 50_000:
                    connection.execute(insert(AuditEntry.__table__), chunk)
                    chunk = []
            if chunk:
                connection.execute(insert(AuditEntry.__table__), chunk)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


# --- the cases ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    filters: dict
    offset: int = 0


def build_cases(session) -> tuple[User, list[Case]]:
    reader = session.scalar(select(User).where(User.email == f"reader@{BENCH_DOMAIN}"))
    busiest = session.execute(select(AuditEntry.actor_id, func.count()).where(AuditEntry.actor_id.is_not(None))
                              .group_by(AuditEntry.actor_id).order_by(func.count().desc()).limit(1)).one()[0]
    quietest = session.execute(select(AuditEntry.actor_id, func.count()).where(AuditEntry.actor_id.is_not(None))
                               .group_by(AuditEntry.actor_id).order_by(func.count()).limit(1)).one()[0]
    newest = session.scalar(select(func.max(AuditEntry.created_at)))
    deep = COUNT_LIMIT - PAGE_SIZE  # the last page the page offers
    three = [AuditAction.USER_CREATED, AuditAction.USER_ROLE_CHANGED, AuditAction.MAIL_RETRIED]
    cases = [
        Case("first page, no filter", {}),
        Case("who: the busiest admin", {"actor_id": busiest}),
        Case("who: the quietest admin", {"actor_id": quietest}),
        Case("who: the server (CLI)", {"actor_id": SERVER}),
        Case("what: agent skills changed (15%)", {"actions": [AuditAction.AGENT_SKILLS_CHANGED]}),
        Case("what: business hours changed (0.5%)", {"actions": [AuditAction.BUSINESS_HOURS_CHANGED]}),
        Case("what: three actions (37%)", {"actions": three}),
        Case("when: the last 7 days", {"since": newest - timedelta(days=7)}),
        Case("when: one day, 300 days ago", {"since": newest - timedelta(days=300),
                                             "until": newest - timedelta(days=299)}),
        Case("who + what + when (a month)", {"actor_id": busiest, "actions": [AuditAction.SETTING_CHANGED],
                                             "since": newest - timedelta(days=60),
                                             "until": newest - timedelta(days=30)}),
        Case(f"deep page (offset {deep:,}), no filter", {}, offset=deep),
        Case(f"deep page (offset {deep:,}), busiest admin", {"actor_id": busiest}, offset=deep),
        Case(f"deep page (offset {deep:,}), three actions", {"actions": three}, offset=deep),
        Case("who + three actions", {"actor_id": quietest, "actions": three}),
    ]
    return reader, cases


def naive_page(session, *, actor_id=None, actions=None, since=None, until=None, offset=0) -> int:
    """What the page would do without the service's queries: every entry read, then filtered,
    sorted and counted in Python."""
    everything = session.execute(select(AuditEntry.id, AuditEntry.actor_id, AuditEntry.action, AuditEntry.target,
                                        AuditEntry.old_value, AuditEntry.new_value, AuditEntry.created_at)).all()
    chosen = set(actions) if actions else None
    matching = [row for row in everything
                if (actor_id is None or (row.actor_id is None if actor_id == SERVER else row.actor_id == actor_id))
                and (chosen is None or row.action in chosen)
                and (since is None or row.created_at >= since) and (until is None or row.created_at < until)]
    matching.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return len(matching)  # the total; the page is matching[offset:offset + PAGE_SIZE], free once sorted


def naive_actors(session) -> int:
    return len({actor for actor in session.scalars(select(AuditEntry.actor_id)) if actor is not None})


def whole_table_reads(plan: list[str]) -> list[str]:
    """Plan lines that read every audit entry (not an index range). A PostgreSQL sequential scan
    under a LIMIT (the capped count where most entries match) stops at the limit: not flagged."""
    bad, under_limit = [], False
    for line in plan:
        stripped = line.strip()
        if stripped == "--":  # the next statement's plan
            under_limit = False
        under_limit = under_limit or stripped.startswith(("Limit", "->  Limit"))
        if stripped.startswith("SCAN audit_entries") and "INDEX" not in stripped:
            bad.append(stripped)
        if "Seq Scan on audit_entries" in stripped and not under_limit:
            bad.append(stripped)
    return bad


def timed_median(engine, call, runs: int) -> float:
    timings = []
    for _ in range(runs):
        with session_scope(engine) as session:
            started = time.perf_counter()
            call(session)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run_backend(label: str, url: str, runs: int, naive_runs: int, show_plans: bool) -> list[tuple]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        reader, cases = build_cases(session)
        entries = entry_count(engine)
    print(f"\n{label}: {safe_url(url)}  ({entries:,} audit entries; service: median of {runs}, "
          f"naive: median of {naive_runs})")
    print(f"{'case':44} {'service ms':>10} {'naive ms':>10} {'naive/service':>14} {'matches':>9}")

    def service(case: Case):
        return lambda session: list_audit_entries(session=session, actor=reader, limit=PAGE_SIZE,
                                                  offset=case.offset, **case.filters)[1]

    measured = [(case.name, service(case), lambda session, c=case: naive_page(session, offset=c.offset, **c.filters))
                for case in cases]
    measured.append(("who list (people in the log)",
                     lambda session: len(list_audit_actors(session=session, actor=reader)), naive_actors))
    results = []
    for name, call, naive_call in measured:
        result = measure(engine, name, call, runs)
        scans = whole_table_reads(result.plan)
        naive_ms = timed_median(engine, naive_call, naive_runs)
        matches = f"{result.rows:,}" + ("+" if name != "who list (people in the log)" and result.rows > COUNT_LIMIT
                                        else "")
        flag = "  WHOLE TABLE: " + "; ".join(scans) if scans else ""
        print(f"{name:44} {result.median_ms:10.1f} {naive_ms:10.0f} {naive_ms / result.median_ms:13.0f}x "
              f"{matches:>9}{flag}", flush=True)
        if show_plans:
            print("\n".join(result.plan))
        results.append((label, name, result.median_ms, naive_ms, scans))
    worst = max(results, key=lambda r: r[2])
    print(f"slowest: {worst[1]} at {worst[2]:.1f} ms "
          f"({'within' if worst[2] < TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target)")
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE, help=f"SQLite database (default {DEFAULT_SQLITE})")
    parser.add_argument("--database-url", help="also measure on this PostgreSQL database")
    parser.add_argument("--entries", type=int, default=1_000_000, help="audit entries to have (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case (default 15)")
    parser.add_argument("--naive-runs", type=int, default=3, help="timed runs of the naive way (default 3)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print the query plan of every case")
    args = parser.parse_args(argv)
    backends = [] if args.skip_sqlite else [("SQLite", f"sqlite:///{args.sqlite_path}")]
    if args.database_url:
        backends.append(("PostgreSQL", args.database_url))
    results = []
    for label, url in backends:
        ensure_log(url, args.entries)
        results += run_backend(label, url, args.runs, args.naive_runs, args.explain)
    return 1 if any(r[2] >= TARGET_MS or r[4] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
