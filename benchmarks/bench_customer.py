"""How fast are the customer's pages on a million tickets? My tickets (one page + count, with
filters and search) and everything the ticket page loads, through the real services, for a
typical (median) customer and for the customer with the most tickets.

    python benchmarks/bench_customer.py                   # SQLite, builds or reuses /tmp/seed1m.db
    python benchmarks/bench_customer.py --postgres-url postgresql+psycopg://user:pw@host/db

Target: every case under 100 ms median.
"""
from __future__ import annotations

import sys

from sqlalchemy import func, select

from harness import benchmark_main, measure_all, prepare_statistics, print_header
from helpdesk.core.db import make_engine, session_scope
from helpdesk.enums import TicketStatus
from helpdesk.models import Ticket, User
from helpdesk.tickets import customer as tickets_customer, staff


def pick_customer(session, which: str) -> tuple[User, int]:
    """The customer with the most tickets, or the one in the middle of the ranking."""
    per_customer = (select(Ticket.customer_id, func.count().label("n")).group_by(Ticket.customer_id)
                    .order_by(func.count().desc()))
    if which == "median":
        customers = session.scalar(select(func.count(func.distinct(Ticket.customer_id))))
        per_customer = per_customer.offset(customers // 2)
    customer_id, _ = session.execute(per_customer.limit(1)).one()
    newest = session.scalar(select(func.max(Ticket.id)).where(Ticket.customer_id == customer_id))
    return session.get(User, customer_id), newest


def run_backend(label: str, url: str, runs: int, show_plans: bool):
    return [result for which in ("median", "busiest")
            for result in run_customer(label, url, runs, show_plans, which)]


def run_customer(label: str, url: str, runs: int, show_plans: bool, which: str):
    engine = make_engine(url)
    with session_scope(engine) as session:
        customer, ticket_id = pick_customer(session, which)
        owned = session.scalar(select(func.count()).where(Ticket.customer_id == customer.id))
        agent = session.scalar(select(User).where(User.role == "agent").limit(1))
    prepare_statistics(engine)
    print_header(label, engine, f"  ({which} customer: {owned:,} tickets)")

    def my_tickets(**kwargs):
        return lambda session: tickets_customer.list_customer_tickets(session=session, actor=customer, **kwargs).total

    def ticket_page(session) -> int:
        details = tickets_customer.get_ticket_details(session=session, actor=customer, ticket_id=ticket_id)
        return len(details.conversation) + len(details.ticket_files) + len(details.history)

    cases = [
        ("my tickets, page 1", my_tickets()),
        ("my tickets, page 40", my_tickets(offset=39 * 25, limit=25)),
        ("my tickets, status closed", my_tickets(status=TicketStatus.CLOSED)),
        ("my tickets, status open", my_tickets(status=TicketStatus.OPEN)),
        ("my tickets, search 'refund'", my_tickets(search="refund")),
        ("my tickets, search reference", my_tickets(search=f"CCR-{ticket_id:06d}")),
        ("ticket page (ticket, thread, files, history)", ticket_page),
        ("agent: customer's other tickets",
         lambda session: len(staff.customer_ticket_history(session=session, actor=agent, ticket_id=ticket_id))),
    ]
    results = measure_all(engine, cases, runs, show_plans)
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    return benchmark_main(__doc__, run_backend, argv)


if __name__ == "__main__":
    sys.exit(main())
