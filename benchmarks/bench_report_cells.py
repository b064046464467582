"""What keeping the report cells costs a ticket change, at a million tickets: the median of a
priority change and of a resolution (each moves a ticket between cells, with its durations)
through the real services, with the listeners that keep the cells (the rows read before and
after the flush, the cells written as the commit would) and, in the same run, without them (the
naive way: no rollup, every report scans tickets). Each change is rolled back.

    python benchmarks/bench_report_cells.py [--sqlite-path P] [--postgres-url URL] [--runs N]
"""
from __future__ import annotations

import statistics
import time

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from harness import backend_parser, each_backend, safe_url
from helpdesk.core.db import make_engine
from helpdesk.enums import OPEN_STATUSES, Priority, Role, TicketStatus
from helpdesk.models import Ticket, User
from helpdesk.tickets import report_cells, staff


LISTENERS = (("before_flush", report_cells._read_before), ("after_flush", report_cells._follow_changes),
             ("before_commit", report_cells._write_cells))


def _median_ms(engine, change, ticket_ids, actor_id, cells: bool) -> float:
    """The change, its flush and (with cells) what the commit writes into the cells; then rolled back."""
    times = []
    for ticket_id in ticket_ids:
        with Session(bind=engine, expire_on_commit=False) as session:
            actor = session.get(User, actor_id)
            started = time.perf_counter()
            change(session, actor, ticket_id)
            session.flush()
            if cells:
                report_cells._write_cells(session)
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
    return statistics.median(times)


CHANGES = {
    "priority change": lambda s, a, t: staff.change_priority(session=s, actor=a, ticket_id=t, priority=Priority.URGENT
                                                           if s.get(Ticket, t).priority != Priority.URGENT
                                                           else Priority.LOW),
    "resolve": lambda s, a, t: staff.change_status(session=s, actor=a, ticket_id=t, status=TicketStatus.RESOLVED),
}


def run(label: str, url: str, runs: int) -> None:
    engine = make_engine(url)
    with Session(bind=engine) as session:
        actor_id = session.scalar(select(User.id).where(User.role == Role.ADMIN, User.is_active))
        ticket_ids = list(session.scalars(select(Ticket.id).where(Ticket.status.in_(
            [s for s in OPEN_STATUSES if s != TicketStatus.WAITING_ON_CUSTOMER])).order_by(Ticket.id.desc()).limit(runs)))
    print(f"\n{label}: {safe_url(url)}, {len(ticket_ids)} open tickets each")
    print(f"{'change':16} {'with cells ms':>14} {'without ms':>11} {'cost ms':>8}")
    for name, change in CHANGES.items():
        _median_ms(engine, change, ticket_ids[:3], actor_id, True)  # warm the caches
        kept = _median_ms(engine, change, ticket_ids, actor_id, True)
        for hook, listener in LISTENERS:
            event.remove(Session, hook, listener)
        try:
            bare = _median_ms(engine, change, ticket_ids, actor_id, False)
        finally:
            for hook, listener in LISTENERS:
                event.listen(Session, hook, listener)
        print(f"{name:16} {kept:14.1f} {bare:11.1f} {kept - bare:8.1f}")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = backend_parser(__doc__, runs=50).parse_args(argv)
    for label, url in each_backend(args):
        run(label, url, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
