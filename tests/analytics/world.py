"""A small fixed helpdesk for the analytics tests: about 60 tickets made by the real services
under a stopped clock (open, reopened, never answered, waiting, business hours across a weekend,
local days across Amsterdam's clock change on 29 March 2026), and ratings for the resolved ones."""
from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import SatisfactionRating, Ticket
from helpdesk.tickets import assignment, customer, staff
from tests.factories import add_category, add_user

ZONE = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


def build_world(desk, clock) -> None:
    """About 60 tickets over twelve days, their lives interleaved in time order."""
    rng = random.Random(20260329)
    desk.act(desk.admin, settings.set_business_hours, hours=settings.BusinessHours(
        start=time(9), end=time(17), timezone="Europe/Amsterdam"))
    shipping = add_category(desk.engine, "Shipping")
    other = add_user(desk.engine, email="dora@example.com", name="Dora Customer")
    clock.now = START
    plan: list[tuple[datetime, int, str]] = []
    for n in range(60):
        raised = START + timedelta(hours=n * 4.7 + rng.random())
        plan.append((raised, n, "raise"))
        t = raised
        if rng.random() < 0.85:
            t += timedelta(hours=rng.choice([0.5, 2, 5, 20, 50]))
            plan.append((t, n, "reply_wait" if rng.random() < 0.3 else "reply"))
            if plan[-1][2] == "reply_wait":
                t += timedelta(hours=rng.choice([1, 9, 30]))
                plan.append((t, n, "customer_reply"))
        if rng.random() < 0.8:
            t += timedelta(hours=rng.choice([1, 6, 40]))
            plan.append((t, n, "resolve"))
            if rng.random() < 0.2:
                t += timedelta(hours=3)
                plan.append((t, n, "reopen"))
                if rng.random() < 0.6:
                    t += timedelta(hours=4)
                    plan.append((t, n, "resolve"))
    ids: dict[int, int] = {}
    agents = [desk.agent, desk.agent2]
    for at, n, step in sorted(p for p in plan if p[0] < NOW):  # the rest hasn't happened yet
        clock.now = at
        if step == "raise":
            ids[n] = desk.raise_ticket(customer=other if n % 5 == 0 else desk.customer,
                                       category=shipping if n % 3 == 0 else desk.category,
                                       priority=list(Priority)[n % 4], subject=f"Ticket {n}")
            if n % 7 != 0:  # some stay unassigned
                desk.act(desk.admin, assignment.assign_ticket, ticket_id=ids[n], assignee_id=agents[n % 2].id)
        elif step in ("reply", "reply_wait"):
            desk.act(agents[n % 2], staff.add_agent_reply, ticket_id=ids[n], body="Looking.",
                     new_status=TicketStatus.WAITING_ON_CUSTOMER if step == "reply_wait" else None)
        elif step == "customer_reply":
            who = other if n % 5 == 0 else desk.customer
            desk.act(who, customer.add_customer_reply, ticket_id=ids[n], body="Here you are.")
        elif step == "resolve":
            desk.act(agents[n % 2], staff.change_status, ticket_id=ids[n], status=TicketStatus.RESOLVED)
        elif step == "reopen":
            desk.act(agents[n % 2], staff.change_status, ticket_id=ids[n], status=TicketStatus.OPEN)
    clock.now = NOW
    # Satisfaction answers for the resolved ones, written as the rating service would keep them.
    with session_scope(desk.engine) as session:
        resolved = session.scalars(select(Ticket).where(Ticket.resolved_at.is_not(None)).order_by(Ticket.id)).all()
        for k, ticket in enumerate(resolved):
            answered = k % 3 != 2
            session.add(SatisfactionRating(
                ticket_id=ticket.id, customer_id=ticket.customer_id, agent_id=ticket.assignee_id,
                requested_at=ticket.resolved_at, score=(k % 5) + 1 if answered else None,
                rated_at=ticket.resolved_at + timedelta(hours=1) if answered else None,
                lapsed_at=ticket.resolved_at + timedelta(hours=2) if k % 11 == 0 and not answered else None))
