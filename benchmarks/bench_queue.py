"""How fast is the agent queue on a million tickets? Median time of each view and the common
filters, through the real service (count + one page with customer, assignee, category).

    python benchmarks/bench_queue.py                      # SQLite, builds or reuses /tmp/seed1m.db
    python benchmarks/bench_queue.py --postgres-url postgresql+psycopg://user:pw@host/db
    python benchmarks/bench_queue.py --explain            # also print each query plan

A missing or smaller database is filled with `python -m helpdesk seed-demo --tickets N`
(about 6 minutes per million tickets on SQLite). Target: every case under 100 ms median.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from harness import Measurement, benchmark_main, measure_all, prepare_statistics, print_header
from helpdesk.core.clock import utcnow
from helpdesk.core.db import make_engine, session_scope
from helpdesk.enums import OPEN_STATUSES, Priority, Role, TicketStatus
from helpdesk.models import Category, Ticket, User
from helpdesk.tickets.queue import QueueFilters, QueueSort, QueueView, list_queue


@dataclass(frozen=True)
class Case:
    name: str
    view: QueueView
    filters: QueueFilters = QueueFilters()
    sort: QueueSort | None = None
    page: int = 1


def build_cases(session) -> tuple[User, list[Case]]:
    # The busiest agent makes "My open" as heavy as it gets.
    busiest = session.execute(
        select(Ticket.assignee_id, func.count()).where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id).order_by(func.count().desc()).limit(1)).first()
    agent = session.get(User, busiest[0]) if busiest else session.scalar(select(User).where(User.role == Role.AGENT))
    category_id = session.scalar(select(Category.id).order_by(Category.id))
    customer_name, customer_email = session.execute(
        select(User.name, User.email).where(User.role == Role.CUSTOMER).order_by(User.id).limit(1)).one()
    first_name = customer_name.split()[0].lower()  # shared by many customers: many tickets match
    email_part = customer_email.split("@")[0]  # e.g. chloe.kelly.1, no @
    domain = customer_email.split("@")[1]  # e.g. example.com: a third of all customers
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
        Case("search customer name", QueueView.ALL_OPEN, QueueFilters(text=customer_name)),
        Case(f"search first name '{first_name}'", QueueView.ALL_OPEN, QueueFilters(text=first_name)),
        Case("search part of an e-mail", QueueView.ALL_OPEN, QueueFilters(text=email_part)),
        Case(f"search e-mail domain '{domain}'", QueueView.ALL_OPEN, QueueFilters(text=domain)),
        Case("resolved, search customer name", QueueView.RECENTLY_RESOLVED, QueueFilters(text=customer_name)),
        Case("search reference", QueueView.ALL_OPEN, QueueFilters(text=f"CCR-{last_id:06d}")),
        Case(f"resolved, search '{some_subject_word}'", QueueView.RECENTLY_RESOLVED,
             QueueFilters(text=some_subject_word)),
    ]
    return agent, cases


def run_backend(label: str, url: str, runs: int, show_plans: bool) -> list[Measurement]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        agent, cases = build_cases(session)
    prepare_statistics(engine)
    print_header(label, engine, f"  (agent for 'My open': {agent.email})")
    def call(case: Case):
        return lambda session: list_queue(session=session, actor=agent, view=case.view, filters=case.filters,
                                          sort=case.sort, page=case.page).total

    results = measure_all(engine, [(case.name, call(case)) for case in cases], runs, show_plans)
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    return benchmark_main(__doc__, run_backend, argv)


if __name__ == "__main__":
    sys.exit(main())
