"""Ticket lives for the demo data: when tickets arrive (weekdays and office hours busier, volume
growing towards today) and what happens to each (created -> assigned -> first response -> maybe
waiting on the customer -> resolved -> rated -> maybe reopened and resolved again -> closed), cut
off at "now", so its status, timestamps, SLA due dates, stored durations, messages, events and
satisfaction ratings always agree, as the services would have written them.

How long things take is drawn per priority as a share of its SLA targets: most first responses
and resolutions well within them, nights and weekends slower, a long tail of tickets that take
days or weeks (never months: each is resolved within MAX_LIFE, and a reopened one again within
about a week). Two trouble spots
give the analytics something to find: an incident in one category over the last INCIDENT_DAYS
days (more tickets, slower resolutions, a growing backlog that breaches) and one agent who falls
behind over the last OVERLOAD_DAYS days. About a third of resolutions get a rating, mostly 4-5,
lower when the first response or the resolution was slow or the ticket had to be reopened.

Times are whole epoch seconds, so the stored durations are exactly what
helpdesk.tickets.metrics.rebuild computes from the events and messages written here. A `Plan`
holds everything a process needs (it is pickled to the worker processes); `Simulator.simulate`
turns a run of creation times into a `Chunk` of row tuples in the *_COLUMNS orders, with the
timestamps as the text the backend's bulk path takes."""
from __future__ import annotations

import math
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from helpdesk.demo.corpus import (ACKNOWLEDGEMENTS, ASK_FOR_DETAILS, BROWSERS, CARRIERS, CATEGORIES, DEVICES,
                                  HIGH_SCORE_COMMENTS, INTERNAL_NOTES, LOW_SCORE_COMMENTS, NO_REPLY_RESOLUTIONS,
                                  PLANS, PRODUCTS, REOPEN_MESSAGES, REOPEN_SOLUTIONS, SCENARIOS, SIGN_OFFS,
                                  WEEKDAYS, Person)
from helpdesk.demo.worktime import WorkingCalendar
from helpdesk.enums import EventKind, Priority, SatisfactionReason, TicketStatus
from helpdesk.settings import BusinessHours

HOUR = 3600
DAY = 24 * HOUR
AUTO_CLOSE_AFTER = 7 * DAY  # resolved tickets nobody touches are closed by the system
MAX_LIFE = 24 * DAY  # the longest a ticket stays unresolved: the backlog holds no forgotten tickets
PRIORITY_SHARES = {Priority.LOW: 15, Priority.NORMAL: 58, Priority.HIGH: 21, Priority.URGENT: 6}

# Mean minutes until someone picks the ticket up (it is answered later, see FIRST_RESPONSE_SHARE).
ASSIGN_MEAN_MINUTES = {Priority.URGENT: 4, Priority.HIGH: 12, Priority.NORMAL: 25, Priority.LOW: 60}
# Median first response and median work after it, as shares of the priority's SLA targets. Urgent
# and high tickets have tight targets and miss them more often; normal and low rarely do.
FIRST_RESPONSE_SHARE = {Priority.URGENT: 0.2, Priority.HIGH: 0.11, Priority.NORMAL: 0.05, Priority.LOW: 0.03}
WORK_SHARE = {Priority.URGENT: 0.1, Priority.HIGH: 0.05, Priority.NORMAL: 0.014, Priority.LOW: 0.011}
FIRST_RESPONSE_SIGMA = 0.9
WORK_SIGMA = 1.0
# The path a ticket takes: solved in the first reply, acknowledged and worked on, or the agent
# needs details from the customer first (who answers after CUSTOMER_ANSWER_MEDIAN, or never).
ONE_TOUCH_SHARE = 0.4
WORKED_SHARE = 0.36
NEVER_ANSWERS_SHARE = 0.03
NEVER_ANSWERS_GIVE_UP = 36 * HOUR  # ... after which the agent resolves it (and up to a day more)
CUSTOMER_ANSWER_MEDIAN = 1.5 * HOUR
STUCK_SHARE = 0.005  # the long tail: waiting on a supplier, an engineer, a refund run
STUCK_DAYS = (2, 14)
REOPEN_SHARE = 0.04  # the customer writes back after the resolution: not solved after all
CUSTOMER_CLOSES_SHARE = 0.35  # else the system closes it AUTO_CLOSE_AFTER the resolution

# Mon..Sun and 00..23 UTC: the shape of a week in a consumer support team.
WEEKDAY_WEIGHT = (1.2, 1.12, 1.05, 1.0, 0.92, 0.45, 0.38)
HOUR_WEIGHT = (1, 1, 1, 1, 1, 2, 4, 7, 11, 14, 15, 14, 11, 12, 14, 14, 12, 10, 8, 7, 6, 4, 3, 2)
# Fewer people on shift: first responses take longer at night and at weekends.
NIGHT_SLOWDOWN = (2.2, 2.4, 2.4, 2.2, 2.0, 1.6, 1.2, 1.0, 1.0, 1.0, 1.0, 1.0,
                  1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.4, 1.7, 2.0)
WEEKEND_SLOWDOWN = 1.5

# The trouble spots.
INCIDENT_CATEGORY = "Technical problem"
INCIDENT_SCENARIO = 0  # "App crashes on start"
INCIDENT_DAYS = 9
INCIDENT_SHARE_FACTOR = 1.8  # the category's share of new tickets during the incident
OVERLOAD_DAYS = 21

# Satisfaction: the share of resolutions rated, and scores from a good and a bad experience
# (probabilities of 1..5), mixed by how slow and bumpy the ticket's life was.
RATED_SHARE = 0.34
RATED_SHARE_UNHAPPY_EXTRA = 0.12  # unhappy customers answer a little more often
GOOD_SCORES = (0.015, 0.02, 0.05, 0.215, 0.70)
BAD_SCORES = (0.30, 0.26, 0.22, 0.14, 0.08)
RATING_DELAY_MEDIAN = 3 * HOUR

# Columns in the order the rows are built. Messages, events and ratings get their ids from the
# database (nothing refers to them); tickets are numbered here, after the existing ones.
TICKET_COLUMNS = ("id", "subject", "description", "category_id", "priority", "status", "customer_id",
                  "assignee_id", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
                  "first_response_due_at", "resolution_due_at", "waiting_since", "submission_key", "version",
                  "first_response_seconds", "first_response_business_seconds", "resolution_seconds",
                  "resolution_business_seconds", "waiting_seconds", "waiting_business_seconds", "reopen_count",
                  "staff_reply_count")
MESSAGE_COLUMNS = ("ticket_id", "author_id", "body", "is_public", "created_at")
EVENT_COLUMNS = ("ticket_id", "actor_id", "kind", "old_value", "new_value", "created_at")
RATING_COLUMNS = ("ticket_id", "customer_id", "agent_id", "requested_at", "score", "comment", "reasons",
                  "rated_at", "lapsed_at")

NEW, OPEN, IN_PROGRESS, WAITING, RESOLVED, CLOSED = (s.value for s in (
    TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER,
    TicketStatus.RESOLVED, TicketStatus.CLOSED))
CREATED, STATUS_CHANGED, ASSIGNED, PUBLIC_REPLY, INTERNAL_NOTE = (k.value for k in (
    EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.ASSIGNED, EventKind.PUBLIC_REPLY,
    EventKind.INTERNAL_NOTE))
REASON_ORDER = [reason.value for reason in SatisfactionReason]  # stored in this order, as the service does


@dataclass(frozen=True)
class Plan:
    """Everything the simulation of one run needs; the same in every process."""

    now: int
    first_created: int  # the earliest creation time of the run
    seed: int
    backend: str  # "sqlite" or "postgresql": how timestamps are written
    categories: dict[str, int]  # name -> id
    agents_by_category: dict[int, list[Person]]
    agents: list[Person]
    customers: list[Person]
    targets: dict[Priority, tuple[int, int]]  # hours: first response, resolution
    hours: BusinessHours | None  # the SLA business hours (None: around the clock)


@dataclass
class Chunk:
    """The rows of a run of tickets, in the *_COLUMNS orders."""

    tickets: list[tuple] = field(default_factory=list)
    messages: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    ratings: list[tuple] = field(default_factory=list)
    last_assigned: dict[int, int] = field(default_factory=dict)  # agent id -> latest assignment


# --- timestamps as text ---------------------------------------------------------------------

class _Days(dict):
    """Day number since the epoch -> its date formatted with `pattern`, made on first use."""

    def __init__(self, pattern: str):
        super().__init__()
        self.pattern = pattern

    def __missing__(self, day: int) -> str:
        text = datetime.fromtimestamp(day * DAY, UTC).strftime(self.pattern)
        self[day] = text
        return text


@dataclass(frozen=True)
class Spelling:
    """How values are written for a backend's bulk path: SQLite's driver takes None and text as
    they are; PostgreSQL's COPY text format spells NULL \\N and a newline \\n (the demo's words
    have no tabs or backslashes, tests/demo checks)."""

    null: str | None
    newline: str
    stamp_suffix: str

    @classmethod
    def of(cls, backend: str) -> Spelling:
        if backend == "postgresql":
            return cls(null="\\N", newline="\\n", stamp_suffix="+00")
        return cls(null=None, newline="\n", stamp_suffix=".000000")


def stamp_function(backend: str):
    """Whole epoch seconds -> the timestamp text the bulk path writes: on SQLite exactly what the
    UTCDateTime column stores (naive UTC with microseconds), on PostgreSQL timestamptz input."""
    spelling = Spelling.of(backend)
    null, suffix = spelling.null, spelling.stamp_suffix
    clock_times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(DAY)]
    days = _Days("%Y-%m-%d ")

    def stamp(seconds: int | None) -> str | None:
        if seconds is None:
            return null
        return days[seconds // DAY] + clock_times[seconds % DAY]

    return stamp


# --- the simulation -------------------------------------------------------------------------

def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _spoken(seconds: int) -> str:
    """A wait as a customer would write it: "40 minutes", "5 hours", "3 days"."""
    if seconds < 90 * 60:
        return f"{max(1, round(seconds / 60))} minutes"
    if seconds < 36 * HOUR:
        return f"{round(seconds / HOUR)} hours"
    return f"{round(seconds / DAY)} days"


class Simulator:
    """Simulates ticket lives for one Plan. The team's habits (who carries more of the load,
    which customers write often) come from the plan's seed, so every process agrees on them;
    the tickets themselves from the random generator given to `simulate`."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.now = plan.now
        self.stamp = stamp_function(plan.backend)
        spelling = Spelling.of(plan.backend)
        self.null, self.newline = spelling.null, spelling.newline
        self.months = _Days("%B")
        team = random.Random(f"demo-team-{plan.seed}")
        names = [name for name, _, _ in CATEGORIES if name in plan.categories]
        self.category_names = names
        self.category_ids = [plan.categories[name] for name in names]
        shares = {name: share for name, _, share in CATEGORIES}
        self.category_cum = list(accumulate(shares[name] for name in names))
        self.category_cum_incident = list(accumulate(
            shares[name] * (INCIDENT_SHARE_FACTOR if name == INCIDENT_CATEGORY else 1) for name in names))
        self.priorities = list(PRIORITY_SHARES)
        self.priority_cum = list(accumulate(PRIORITY_SHARES.values()))
        self.agents = plan.agents
        # A few agents carry more of the load, a few customers write much more often.
        weight = {a.id: 0.5 + team.random() for a in plan.agents}
        self.skilled = {cid: (people, list(accumulate(weight[a.id] for a in people)))
                        for cid, people in plan.agents_by_category.items() if people}
        self.customers = plan.customers
        self.customer_cum = list(accumulate(team.paretovariate(1.6) for _ in plan.customers))
        # Some agents' customers are a little happier than others' (and the numbers show it).
        self.agent_mood = {a.id: team.uniform(-0.06, 0.06) for a in plan.agents}
        self.targets = {p: (h1 * HOUR, h2 * HOUR) for p, (h1, h2) in plan.targets.items()}
        self.detail_pool = [self._details(team) for _ in range(4096)]
        span = max(plan.now - plan.first_created, DAY)
        self.incident_start = plan.now - min(INCIDENT_DAYS * DAY, span // 3)
        self.overload_start = plan.now - min(OVERLOAD_DAYS * DAY, span // 2)
        # The agent who falls behind: the busiest of the biggest category (a team of three or more).
        self.overloaded = None
        if len(plan.agents) >= 3 and self.skilled:
            busiest_category = max(self.skilled, key=lambda cid: self.skilled[cid][1][-1])
            self.overloaded = max(self.skilled[busiest_category][0], key=lambda a: weight[a.id]).id
        # Due dates can lie months ahead with business hours; list the windows well past now.
        self.calendar = WorkingCalendar(plan.hours, plan.first_created - DAY, plan.now + 400 * DAY)

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

    def simulate(self, first_ticket_id: int, times, rng: random.Random) -> Chunk:
        """The rows of tickets numbered from first_ticket_id, created at `times` (sorted)."""
        chunk = Chunk()
        for offset, created in enumerate(times):
            self._ticket(first_ticket_id + offset, int(created), rng, chunk)
        return chunk

    def _ticket(self, ticket_id: int, created: int, rng: random.Random, chunk: Chunk) -> None:
        r = rng.random
        now = self.now
        incident = created >= self.incident_start
        cum = self.category_cum_incident if incident else self.category_cum
        which = bisect_left(cum, r() * cum[-1])
        category_name, category_id = self.category_names[which], self.category_ids[which]
        priority = self.priorities[bisect_left(self.priority_cum, r() * self.priority_cum[-1])]
        customer = self.customers[bisect_left(self.customer_cum, r() * self.customer_cum[-1])]
        skilled = self.skilled.get(category_id)
        # A category nobody has as a skill (too few agents) goes to anyone.
        agent = (skilled[0][bisect_left(skilled[1], r() * skilled[1][-1])] if skilled
                 else self.agents[int(r() * len(self.agents))])
        scenarios = SCENARIOS[category_name]
        in_incident = incident and category_name == INCIDENT_CATEGORY
        scenario = scenarios[INCIDENT_SCENARIO if in_incident and r() < 0.6 else int(r() * len(scenarios))]
        subject, description, solution = scenario
        asks = ASK_FOR_DETAILS[category_name]
        ask, answer = asks[int(r() * len(asks))]
        happened = (created - int(r() * 3 * DAY)) // DAY  # the day the customer's trouble began
        slots = dict(self.detail_pool[int(r() * 4096)])
        slots.update(order=f"#{int(r() * 900000) + 100000}", weekday=WEEKDAYS[(happened + 3) % 7],
                     month=self.months[happened], customer=customer.first_name, agent=agent.first_name)
        first_target, resolution_target = self.targets[priority]

        # How slow the team is for this ticket: nights, weekends and the trouble spots.
        first_slow = NIGHT_SLOWDOWN[created // HOUR % 24]
        if (created // DAY + 3) % 7 >= 5:  # the epoch began on a Thursday
            first_slow *= WEEKEND_SLOWDOWN
        work_slow = 1.0
        if in_incident:
            ramp = (created - self.incident_start) / max(now - self.incident_start, 1)
            first_slow *= 1 + 1.2 * ramp
            work_slow *= 1.5 + 3.5 * ramp
        if agent.id == self.overloaded and created >= self.overload_start:
            ramp = (created - self.overload_start) / max(now - self.overload_start, 1)
            first_slow *= 1 + 6 * ramp
            work_slow *= 1 + 6 * ramp

        # The planned life, in time order: (at, kind, ...). Everything after now is cut off below.
        first_wait = min(max(60, int(_lognormal(rng, FIRST_RESPONSE_SHARE[priority] * first_target,
                                                FIRST_RESPONSE_SIGMA) * first_slow)), MAX_LIFE // 3)
        t_first = created + first_wait
        t_assign = created + max(1, min(int(rng.expovariate(1.0 / (ASSIGN_MEAN_MINUTES[priority] * 60))),
                                        int(first_wait * 0.8)))
        work_median = WORK_SHARE[priority] * resolution_target * work_slow
        stuck = int(math.exp(rng.uniform(math.log(STUCK_DAYS[0] * DAY), math.log(STUCK_DAYS[1] * DAY)))) \
            if r() < STUCK_SHARE else 0
        agent_id, customer_id = agent.id, customer.id
        steps: list[tuple] = [(t_assign, "assign")]
        path = r()
        waited_for_customer = False
        if path < ONE_TOUCH_SHARE:  # answered and solved in one reply
            t_resolved = t_first
            steps.append((t_first, "reply", self._agent_text(solution, slots, r), RESOLVED))
        elif path < ONE_TOUCH_SHARE + WORKED_SHARE:  # acknowledged, worked on, solved
            t_resolved = t_first + int(_lognormal(rng, work_median, WORK_SIGMA)) + stuck
            steps.append((t_first, "reply", self._agent_text(ACKNOWLEDGEMENTS[int(r() * 3)], slots, r), IN_PROGRESS))
            if r() < 0.25:
                steps.append((t_first + int((t_resolved - t_first) * r() * 0.6), "note",
                              INTERNAL_NOTES[int(r() * len(INTERNAL_NOTES))]))
            steps.append((t_resolved, "reply", self._agent_text(solution, slots, r), RESOLVED))
        else:  # the agent needs details from the customer first
            waited_for_customer = True
            steps.append((t_first, "reply", self._agent_text(ask, slots, r), WAITING))
            if r() < NEVER_ANSWERS_SHARE:  # never answers
                t_resolved = t_first + NEVER_ANSWERS_GIVE_UP + int(r() * DAY)
                steps.append((t_resolved, "reply",
                              self._agent_text(NO_REPLY_RESOLUTIONS[int(r() * 2)], slots, r), RESOLVED))
            else:
                t_answer = t_first + int(_lognormal(rng, CUSTOMER_ANSWER_MEDIAN, 1.0))
                steps.append((t_answer, "customer", answer.format_map(slots), OPEN))
                t_resolved = t_answer + int(_lognormal(rng, 0.7 * work_median, WORK_SIGMA)) + stuck
                if r() < 0.15:
                    steps.append((t_answer + int((t_resolved - t_answer) * r() * 0.6), "note",
                                  INTERNAL_NOTES[int(r() * len(INTERNAL_NOTES))]))
                steps.append((t_resolved, "reply", self._agent_text(solution, slots, r), RESOLVED))
        if t_resolved - created > MAX_LIFE:  # no forgotten tickets: the tail is weeks, not months
            t_resolved = created + MAX_LIFE - int(r() * 2 * DAY)
            last = steps[-1]
            steps = [step for step in steps if step[0] < t_resolved]
            steps.append((t_resolved, *last[1:]))
        reopened = r() < REOPEN_SHARE
        if reopened:  # the customer writes back: not solved after all; the second answer solves it
            t_reopen = t_resolved + min(int(_lognormal(rng, 20 * HOUR, 0.9)), AUTO_CLOSE_AFTER - HOUR)
            steps.append((t_reopen, "customer", REOPEN_MESSAGES[int(r() * 5)].format_map(slots), OPEN))
            t_resolved = t_reopen + max(600, int(_lognormal(rng, 0.5 * work_median, WORK_SIGMA)))
            steps.append((t_resolved, "reply",
                          self._agent_text(REOPEN_SOLUTIONS[int(r() * 3)], slots, r), RESOLVED))
        if r() < CUSTOMER_CLOSES_SHARE:  # the customer closes it; otherwise the system does after a week
            t_close = t_resolved + min(int(_lognormal(rng, 6 * HOUR, 1.0)), AUTO_CLOSE_AFTER)
            steps.append((t_close, "close", customer_id))
        else:
            t_close = t_resolved + AUTO_CLOSE_AFTER
            steps.append((t_close, "close", None))
        # What ends each resolution's chance to be rated: the reopen, then the close.
        rating_ends = (t_reopen, t_close) if reopened else (t_close,)

        # Play it until now, keeping what the services would have stored.
        stamp, calendar, null = self.stamp, self.calendar, self.null
        messages, events = chunk.messages, chunk.events
        status = NEW
        assignee_id = first_response_at = resolved_at = closed_at = waiting_since = None
        updated = created
        waited = waited_business = reopens = staff_replies = 0
        version = 1  # the services' optimistic lock: one step per save (a reply and its status change are one)
        events.append((ticket_id, customer_id, CREATED, null, NEW, stamp(created)))
        for step in steps:
            at, kind = step[0], step[1]
            if at > now:
                break
            updated = at
            version += 1
            if kind == "assign":
                assignee_id = agent_id
                if at > chunk.last_assigned.get(agent_id, 0):
                    chunk.last_assigned[agent_id] = at
                # Half are claimed by the agent, half come from automatic assignment (the system).
                events.append((ticket_id, agent_id if r() < 0.5 else null, ASSIGNED, null, agent.name, stamp(at)))
                continue
            if kind == "close":
                new_status, actor = CLOSED, step[2]
            else:
                author = customer_id if kind == "customer" else agent_id
                is_public = kind != "note"
                messages.append((ticket_id, author, step[2], is_public, stamp(at)))
                events.append((ticket_id, author, PUBLIC_REPLY if is_public else INTERNAL_NOTE, null, null,
                               stamp(at)))
                if kind == "note":
                    continue
                if kind == "reply":
                    staff_replies += 1
                    if first_response_at is None:
                        first_response_at = at
                new_status, actor = step[3], author
            # The status change, as lifecycle.transition makes it.
            if status == WAITING:
                waited += at - waiting_since
                waited_business += calendar.between(waiting_since, at)
                waiting_since = None
            if new_status == WAITING:
                waiting_since = at
            elif new_status == RESOLVED:
                resolved_at = at
                # One rating request per resolution, crediting the assignee (see tickets.satisfaction).
                chunk.ratings.append(self._rating(
                    rng, ticket_id, customer_id, agent, requested=at, ends=rating_ends[reopens],
                    lapses=reopens < len(rating_ends) - 1, first_wait=first_wait,
                    first_ratio=first_wait / first_target, resolution=at - created - waited,
                    resolution_ratio=(at - created - waited) / resolution_target,
                    reopened=reopened, waited=waited_for_customer))
            elif new_status == CLOSED:
                closed_at = at
            elif status == RESOLVED:  # reopened: it is not resolved any more
                resolved_at = None
                reopens += 1
            events.append((ticket_id, null if actor is None else actor, STATUS_CHANGED, status, new_status,
                           stamp(at)))
            status = new_status

        resolution_seconds = resolution_business = null
        if resolved_at is not None:
            resolution_seconds = max(0, resolved_at - created - waited)
            resolution_business = max(0, calendar.between(created, resolved_at) - waited_business)
        chunk.tickets.append((
            ticket_id, subject.format_map(slots), description.format_map(slots), category_id, priority.value, status,
            customer_id, null if assignee_id is None else assignee_id, stamp(created), stamp(updated),
            stamp(first_response_at), stamp(resolved_at), stamp(closed_at), stamp(calendar.add(created, first_target)),
            # Time spent waiting on the customer does not count against resolution.
            stamp(calendar.add(created, resolution_target + waited_business)), stamp(waiting_since), null,
            version,
            null if first_response_at is None else first_response_at - created,
            null if first_response_at is None else calendar.between(created, first_response_at),
            resolution_seconds, resolution_business, waited, waited_business, reopens, staff_replies,
        ))

    def _agent_text(self, body: str, slots: dict[str, str], r) -> str:
        nl = self.newline
        return (f"Hi {slots['customer']},{nl}{nl}{body.format_map(slots)}{nl}{nl}"
                f"{SIGN_OFFS[int(r() * len(SIGN_OFFS))]}{nl}{slots['agent']}, Customer Care")

    def _rating(self, rng: random.Random, ticket_id: int, customer_id: int, agent: Person, *, requested: int,
                ends: int, lapses: bool, first_wait: int, first_ratio: float, resolution: int,
                resolution_ratio: float, reopened: bool, waited: bool) -> tuple:
        """The rating request of one resolution, answered if the customer did so before `ends`
        (the reopen or the close) and before now; an unanswered one lapses at a reopen."""
        r = rng.random
        # How bad it felt: a missed first response, a slow resolution, a ticket that came back.
        bad = 0.0
        if first_ratio > 1:
            bad += 0.35 + 0.1 * min(math.log2(first_ratio), 3)
        elif first_ratio > 0.5:
            bad += 0.08
        if resolution_ratio > 1:
            bad += 0.4 + 0.1 * min(math.log2(resolution_ratio), 3)
        elif resolution_ratio > 0.5:
            bad += 0.1
        if reopened:
            bad += 0.35
        if waited:
            bad += 0.04
        bad = min(1.0, max(0.0, bad + self.agent_mood[agent.id]))
        score = rated_at = None
        comment = reasons = ""
        if r() < RATED_SHARE + RATED_SHARE_UNHAPPY_EXTRA * bad:
            rated_at = requested + 60 + int(_lognormal(rng, RATING_DELAY_MEDIAN, 1.3))
            if rated_at >= ends or rated_at > self.now:
                rated_at = None  # would have come too late: the request stays unanswered
        if rated_at is not None:
            pick, score = r(), 5
            for candidate in range(5):
                chance = (1 - bad) * GOOD_SCORES[candidate] + bad * BAD_SCORES[candidate]
                if pick < chance:
                    score = candidate + 1
                    break
                pick -= chance
            if score <= 3:
                chosen = set()
                if first_ratio > 1 or resolution_ratio > 1:
                    chosen.add("too_slow")
                if reopened or (score <= 2 and r() < 0.4):
                    chosen.add("not_solved")
                if waited and r() < 0.4:
                    chosen.add("asked_twice")
                if r() < 0.15:
                    chosen.add("hard_to_understand")
                if r() < 0.07:
                    chosen.add("unfriendly")
                if not chosen:
                    chosen.add("not_solved" if r() < 0.5 else "hard_to_understand")
                ordered = [reason for reason in REASON_ORDER if reason in chosen]
                reasons = ",".join(ordered)
                if r() < 0.8:
                    pool = LOW_SCORE_COMMENTS[ordered[int(r() * len(ordered))]]
                    wait = _spoken(first_wait if first_ratio > 1 else resolution)
                    comment = pool[int(r() * len(pool))].format(wait=wait, agent=agent.first_name)
                    comment = comment[0].upper() + comment[1:]
            elif r() < 0.2:
                comment = HIGH_SCORE_COMMENTS[int(r() * len(HIGH_SCORE_COMMENTS))].format(agent=agent.first_name)
        lapsed_at = ends if lapses and score is None and ends <= self.now else None
        stamp = self.stamp
        return (ticket_id, customer_id, agent.id, stamp(requested), self.null if score is None else score, comment,
                reasons, stamp(rated_at), stamp(lapsed_at))


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
