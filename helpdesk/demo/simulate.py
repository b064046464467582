"""Ticket lives for the demo data: when tickets arrive (weekdays and office hours busier, volume
growing towards today) and what happens to each (created -> assigned -> first response -> maybe
waiting on the customer -> resolved -> closed), cut off at "now", so its status, timestamps, SLA
due dates, messages and events always agree. Times are epoch seconds; rows are plain dicts."""
from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from helpdesk.demo.corpus import (ACKNOWLEDGEMENTS, ASK_FOR_DETAILS, BROWSERS, CARRIERS, CATEGORIES, DEVICES,
                                  INTERNAL_NOTES, PLANS, PRODUCTS, SCENARIOS, SIGN_OFFS, WEEKDAYS, Person)
from helpdesk.enums import EventKind, Priority, TicketStatus

HOUR = 3600.0
DAY = 24 * HOUR
AUTO_CLOSE_AFTER = 7 * DAY  # resolved tickets nobody touches are closed by the system
PRIORITY_SHARES = {Priority.LOW: 15, Priority.NORMAL: 58, Priority.HIGH: 21, Priority.URGENT: 6}

# Mean minutes until someone picks the ticket up.
ASSIGN_MEAN_MINUTES = {Priority.URGENT: 6, Priority.HIGH: 20, Priority.NORMAL: 50, Priority.LOW: 120}

# Mon..Sun and 00..23 UTC: the shape of a week in a consumer support team.
WEEKDAY_WEIGHT = (1.2, 1.12, 1.05, 1.0, 0.92, 0.45, 0.38)

HOUR_WEIGHT = (1, 1, 1, 1, 1, 2, 4, 7, 11, 14, 15, 14, 11, 12, 14, 14, 12, 10, 8, 7, 6, 4, 3, 2)


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


class TicketFactory:
    """Simulates one ticket's life and returns the rows for it. Times are epoch seconds."""

    def __init__(self, *, rng: random.Random, now: float, categories: dict[str, int],
                 agents_by_category: dict[int, list[Person]], all_agents: list[Person],
                 customers: list[Person], targets: dict[Priority, tuple[int, int]],
                 stamp: Callable[[float | None], object]):
        self.rng, self.now, self.stamp = rng, now, stamp
        self.category_names = [name for name, _, _ in CATEGORIES]
        self.category_cum = list(accumulate(share for _, _, share in CATEGORIES))
        self.category_ids = categories
        self.priorities = list(PRIORITY_SHARES)
        self.priority_cum = list(accumulate(PRIORITY_SHARES.values()))
        self.agents_by_category = agents_by_category
        self.all_agents = all_agents
        # A few agents carry more of the load, a few customers write much more often.
        self.agent_weight = {a.id: 0.5 + rng.random() for a in all_agents}
        self.agent_cum = {cid: list(accumulate(self.agent_weight[a.id] for a in people))
                          for cid, people in agents_by_category.items()}
        self.customers = customers
        self.customer_cum = list(accumulate(rng.paretovariate(1.6) for _ in customers))
        self.targets = {p: (h1 * HOUR, h2 * HOUR) for p, (h1, h2) in targets.items()}
        self.last_assigned: dict[int, float] = {}
        self.detail_pool = [self._details(rng) for _ in range(4096)]

    def _pick(self, items, cum):
        return items[bisect_left(cum, self.rng.random() * cum[-1])]

    def _slots(self, created: float, customer: Person, agent: Person) -> dict[str, str]:
        rng = self.rng
        moment = datetime.fromtimestamp(created - rng.random() * 3 * DAY, UTC)
        # Details drawn from a pool: a dozen random draws per ticket add up at a million tickets.
        slots = dict(self.detail_pool[int(rng.random() * len(self.detail_pool))])
        slots.update(order=f"#{rng.randrange(100000, 999999)}", weekday=WEEKDAYS[moment.weekday()],
                     month=moment.strftime("%B"), customer=customer.first_name,
                     agent=agent.first_name)
        return slots

    @staticmethod
    def _details(rng: random.Random) -> dict[str, str]:
        return {
            "amount": f"€{rng.randrange(5, 400)}.{rng.randrange(0, 100):02d}",
            "product": rng.choice(PRODUCTS),
            "carrier": rng.choice(CARRIERS),
            "carrier_code": rng.choice(("JD", "1Z", "CP", "LX")),
            "device": rng.choice(DEVICES),
            "browser": rng.choice(BROWSERS),
            "plan": rng.choice(PLANS),
            "error": f"E{rng.randrange(100, 999)}",
            "days": str(rng.randrange(2, 12)),
            "months": str(rng.randrange(3, 22)),
            "digits": f"{rng.randrange(1000, 9999)}",
        }

    def _agent_text(self, body: str, slots: dict[str, str]) -> str:
        return (f"Hi {slots['customer']},\n\n{body.format(**slots)}\n\n"
                f"{self.rng.choice(SIGN_OFFS)}\n{slots['agent']}, Customer Care")

    def build(self, ticket_id: int, created: float, message_id: int, event_id: int):
        """(ticket row, message rows, event rows) for one ticket created at `created`."""
        rng, now, stamp = self.rng, self.now, self.stamp
        category_name = self._pick(self.category_names, self.category_cum)
        category_id = self.category_ids[category_name]
        priority = self._pick(self.priorities, self.priority_cum)
        customer = self._pick(self.customers, self.customer_cum)
        skilled = self.agents_by_category.get(category_id)
        # A category nobody has as a skill (too few agents) goes to anyone.
        agent = self._pick(skilled, self.agent_cum[category_id]) if skilled else rng.choice(self.all_agents)
        subject, description, solution = rng.choice(SCENARIOS[category_name])
        ask, answer = rng.choice(ASK_FOR_DETAILS[category_name])
        slots = self._slots(created, customer, agent)
        first_target, resolution_target = self.targets[priority]

        # The planned life of the ticket, in time order; everything after `now` is cut off below.
        t_assign = created + rng.expovariate(1.0 / (ASSIGN_MEAN_MINUTES[priority] * 60.0))
        t_first = t_assign + _lognormal(rng, 0.35 * first_target, 0.9)
        path = rng.random()
        stuck = rng.random() < 0.04  # the long tail every helpdesk has: weeks, not days
        steps: list[tuple[float, str, object]] = []  # (time, kind, payload)
        steps.append((t_assign, "assign", None))
        if path < 0.35:  # answered and solved in one reply
            steps.append((t_first, "reply", self._agent_text(solution, slots)))
            steps.append((t_first, "status", TicketStatus.RESOLVED))
            t_resolved = t_first
        elif path < 0.75:  # acknowledged, worked on, solved
            steps.append((t_first, "reply", self._agent_text(rng.choice(ACKNOWLEDGEMENTS), slots)))
            steps.append((t_first, "status", TicketStatus.IN_PROGRESS))
            t_resolved = t_first + _lognormal(rng, 0.3 * resolution_target, 0.9) * (20 if stuck else 1)
            if rng.random() < 0.25:
                steps.append((t_first + (t_resolved - t_first) * rng.random() * 0.6, "note", rng.choice(INTERNAL_NOTES)))
            steps.append((t_resolved, "reply", self._agent_text(solution, slots)))
            steps.append((t_resolved, "status", TicketStatus.RESOLVED))
        else:  # the agent needs details from the customer first
            steps.append((t_first, "reply", self._agent_text(ask, slots)))
            steps.append((t_first, "status", TicketStatus.WAITING_ON_CUSTOMER))
            t_answer = t_first + _lognormal(rng, 8 * HOUR, 1.3)
            steps.append((t_answer, "customer", answer.format(**slots)))
            steps.append((t_answer, "status", TicketStatus.OPEN))
            t_resolved = t_answer + _lognormal(rng, 0.25 * resolution_target, 0.9) * (20 if stuck else 1)
            if rng.random() < 0.15:
                steps.append((t_answer + (t_resolved - t_answer) * rng.random() * 0.6, "note", rng.choice(INTERNAL_NOTES)))
            steps.append((t_resolved, "reply", self._agent_text(solution, slots)))
            steps.append((t_resolved, "status", TicketStatus.RESOLVED))
        if rng.random() < 0.35:  # the customer closes it; otherwise the system does after a week
            steps.append((t_resolved + min(_lognormal(rng, 6 * HOUR, 1.0), AUTO_CLOSE_AFTER), "close", customer.id))
        else:
            steps.append((t_resolved + AUTO_CLOSE_AFTER, "close", None))

        status = TicketStatus.NEW
        assignee_id = first_response_at = resolved_at = closed_at = waiting_since = None
        updated = created
        paused = 0.0
        staff_replies = 0
        messages, events = [], []
        events.append(_event(stamp, event_id, ticket_id, customer.id, EventKind.CREATED, None, "new", created))
        event_id += 1
        for at, kind, payload in steps:
            if at > now:
                break
            updated = at
            if kind == "assign":
                assignee_id = agent.id
                self.last_assigned[agent.id] = max(at, self.last_assigned.get(agent.id, 0.0))
                # Half are claimed by the agent, half come from automatic assignment (the system).
                actor = agent.id if rng.random() < 0.5 else None
                events.append(_event(stamp, event_id, ticket_id, actor, EventKind.ASSIGNED, None,
                                     agent.name, at))
                event_id += 1
            elif kind in ("reply", "customer", "note"):
                author = customer.id if kind == "customer" else agent.id
                messages.append({"id": message_id, "ticket_id": ticket_id, "author_id": author, "body": payload,
                                 "is_public": kind != "note", "created_at": stamp(at)})
                message_id += 1
                if kind == "reply":
                    staff_replies += 1
                    if first_response_at is None:
                        first_response_at = at
            elif kind in ("status", "close"):
                new_status = payload if kind == "status" else TicketStatus.CLOSED
                actor = agent.id if kind == "status" else payload
                if kind == "status" and new_status == TicketStatus.OPEN:
                    actor = customer.id  # the customer's reply reopens a waiting ticket
                events.append(_event(stamp, event_id, ticket_id, actor, EventKind.STATUS_CHANGED, status.value,
                                     new_status.value, at))
                event_id += 1
                if status == TicketStatus.WAITING_ON_CUSTOMER:
                    paused += at - waiting_since
                    waiting_since = None
                if new_status == TicketStatus.WAITING_ON_CUSTOMER:
                    waiting_since = at
                elif new_status == TicketStatus.RESOLVED:
                    resolved_at = at
                elif new_status == TicketStatus.CLOSED:
                    closed_at = at
                status = new_status

        ticket = {
            "id": ticket_id,
            "subject": subject.format(**slots),
            "description": description.format(**slots),
            "category_id": category_id,
            "priority": priority.value,
            "status": status.value,
            "customer_id": customer.id,
            "assignee_id": assignee_id,
            "created_at": stamp(created),
            "updated_at": stamp(updated),
            "first_response_at": stamp(first_response_at),
            "resolved_at": stamp(resolved_at),
            "closed_at": stamp(closed_at),
            "first_response_due_at": stamp(created + first_target),
            # Time spent waiting on the customer does not count against resolution.
            "resolution_due_at": stamp(created + resolution_target + paused),
            "waiting_since": stamp(waiting_since),
            "submission_key": None,
            "version": len(events),  # one per recorded change, as the services would count
            # The demo's clocks run around the clock: business time is calendar time.
            "first_response_seconds": _seconds(first_response_at, created),
            "first_response_business_seconds": _seconds(first_response_at, created),
            "resolution_seconds": _seconds(resolved_at, created + paused),
            "resolution_business_seconds": _seconds(resolved_at, created + paused),
            "waiting_seconds": round(paused),
            "waiting_business_seconds": round(paused),
            "reopen_count": 0,
            "staff_reply_count": staff_replies,
        }
        return ticket, messages, events


def _seconds(end: float | None, start: float) -> int | None:
    return None if end is None else max(0, round(end - start))


def _event(stamp, event_id, ticket_id, actor_id, kind: EventKind, old, new, at: float) -> dict:
    return {"id": event_id, "ticket_id": ticket_id, "actor_id": actor_id, "kind": kind.value,
            "old_value": old, "new_value": new, "created_at": stamp(at)}


def creation_times(rng: random.Random, count: int, days: int, now: datetime) -> list[float]:
    """`count` sorted creation times over the last `days` days: weekdays and office hours
    busier, and volume growing towards today."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed_today = (now - today).total_seconds()
    day_starts, weights = [], []
    for back in range(days):
        start = today - timedelta(days=back)
        trend = 1.0 - 0.45 * back / max(days, 1)
        weight = trend * WEEKDAY_WEIGHT[start.weekday()]
        if back == 0:
            weight *= elapsed_today / DAY
        day_starts.append(start.timestamp())
        weights.append(weight)
    day_cum = list(accumulate(weights))
    hour_cum = list(accumulate(HOUR_WEIGHT))
    now_ts, today_ts = now.timestamp(), today.timestamp()
    times = []
    for day in rng.choices(day_starts, cum_weights=day_cum, k=count):
        at = day + bisect_left(hour_cum, rng.random() * hour_cum[-1]) * HOUR + rng.random() * HOUR
        if at >= now_ts:  # today's hours that haven't happened yet
            at = today_ts + rng.random() * max(elapsed_today, 1.0)
        times.append(at)
    times.sort()
    return times
