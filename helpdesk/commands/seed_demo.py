"""`seed-demo`: fill the database with realistic demo data (see helpdesk/demo/load.py)."""
from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from helpdesk.core.db import make_engine, migrate


def _count(minimum: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return number
    return parse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "seed-demo",
        help="add realistic demo data (categories, staff, customers, tickets, satisfaction ratings)",
        description="Add realistic demo data: 8 categories, an administrator and a manager, agents with "
                    "category skills, customers, and tickets over the last DAYS days with conversations, "
                    "assignments, SLA due dates, status history (some reopened) and satisfaction ratings. "
                    "Running it again ADDS more tickets: the demo accounts and categories are created once and "
                    "reused, and existing demo accounts keep the password printed when they were created. "
                    "One random password is printed for the accounts created by this "
                    "run; it is stored nowhere else. Don't run it while people are using the app: it assigns "
                    "ticket ids after the current highest one.",
    )
    parser.add_argument("--tickets", type=_count(0), default=5000, help="tickets to add (default 5000)")
    parser.add_argument("--customers", type=_count(1), default=500, help="demo customers (default 500)")
    parser.add_argument("--agents", type=_count(1), default=20, help="demo agents (default 20)")
    parser.add_argument("--days", type=_count(1), default=180, help="spread tickets over this many days (default 180)")
    parser.add_argument("--seed", type=int, default=42, help="random seed, for repeatable data (default 42)")
    parser.set_defaults(run=run)


def run(args) -> int:
    # Imported here, not at the top: the CLI loads every command's module, and the demo's
    # (pandas, the help center's model) would slow every other command's start.
    from helpdesk.demo.load import seed_demo

    engine = make_engine(args.database_url)
    try:
        migrate(engine)
        with tqdm(total=args.tickets, unit="ticket", unit_scale=True, file=sys.stderr,
                  desc="Seeding tickets", dynamic_ncols=True) as bar:
            try:
                summary = seed_demo(engine, tickets=args.tickets, customers=args.customers, agents=args.agents,
                                    days=args.days, seed=args.seed, progress=bar.update,
                                    stage=lambda words: bar.set_description(words, refresh=True))
            except KeyboardInterrupt:
                bar.close()
                print(f"Stopped. The {bar.n:,} tickets written before are kept; run seed-demo again to add more.",
                      file=sys.stderr)
                return 130
    finally:
        engine.dispose()

    print(f"Added {summary.tickets:,} tickets, {summary.messages:,} messages, {summary.events:,} events and "
          f"{summary.ratings:,} satisfaction ratings in {summary.seconds:.1f} s.")
    if summary.first_ticket_id is not None:
        print(f"Ticket ids {summary.first_ticket_id} to {summary.last_ticket_id}.")
    print(f"New: {summary.categories_created} categories, {summary.agents_created} agents, "
          f"{summary.customers_created} customers, {summary.articles_created} help center articles"
          + (f" ({summary.articles_updated} updated)." if summary.articles_updated else "."))
    print(f"Sign in as the administrator {summary.admin_email}, the manager {summary.manager_email}, "
          f"an agent such as {summary.agent_emails[0]}, or a customer such as {summary.customer_emails[0]}.")
    if summary.password:
        print(f"Password for the demo accounts created now (shown only this once): {summary.password}")
    else:
        print("No new accounts: the demo accounts keep the password printed when they were created.")
    return 0
