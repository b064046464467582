"""`maintenance`: periodic housekeeping, safe to run from cron as often as you like."""
from __future__ import annotations

from helpdesk.core.db import make_engine, migrate
from helpdesk.jobs.maintenance import run_maintenance
from helpdesk.models import format_reference

SHOW_AT_MOST = 20


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "maintenance",
        help="close resolved tickets older than the auto-close setting and queue SLA alerts (idempotent; for cron)",
        description="Close tickets that have been resolved for longer than the admin's auto-close setting "
                    "(default 7 days), and queue one e-mail to the assignee and the admins when an SLA target is "
                    "at risk (due within 2 hours) and one when it is missed. Running it again does neither twice. Example crontab line: "
                    "'17 * * * * cd /srv/helpdesk && python -m helpdesk maintenance'.",
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    engine = make_engine(args.database_url)
    try:
        migrate(engine)
        report = run_maintenance(engine)
    finally:
        engine.dispose()
    count = len(report.closed_ids)
    print(f"Closed {count:,} ticket{'s' if count != 1 else ''} resolved before "
          f"{report.cutoff:%Y-%m-%d %H:%M} UTC (auto-close after {report.auto_close_days} days).")
    if report.closed_ids:
        shown = ", ".join(format_reference(i) for i in report.closed_ids[:SHOW_AT_MOST])
        more = f" and {count - SHOW_AT_MOST:,} more" if count > SHOW_AT_MOST else ""
        print(f"Closed: {shown}{more}.")
    print(f"Queued SLA alerts for {report.sla_alerts:,} ticket{'s' if report.sla_alerts != 1 else ''}.")
    return 0
