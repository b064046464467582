"""`rebuild-metrics`: recompute every ticket's stored durations from its history, then the report cells."""
from __future__ import annotations

from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.tickets.metrics import rebuild_all


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "rebuild-metrics",
        help="recompute the durations analytics reads (first response, resolution, waiting) from each ticket's "
             "history, and the report cells it adds up",
        description="Analytics reads durations stored on each ticket as it changes, added up per day in report "
                    "cells. Run this once after upgrading from a version without them, or after changing the "
                    "business hours to see past tickets in the new hours. It replays each ticket's status changes "
                    "and replies, then counts the cells again; ticket versions stay, so nobody's open form is "
                    "affected. Safe to run while the app is up: ticket saves wait while the cells are counted "
                    "(about 20 s for a million tickets), then go on.",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    engine = make_engine(args.database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            count = rebuild_all(session=session)
    finally:
        engine.dispose()
    print(f"Rebuilt the figures of {count:,} ticket{'s' if count != 1 else ''}.")
    return 0
