"""The agent queue: views, filters, sorting and one page of rows plus the total.

Each call runs two indexed queries (the page, with customer, assignee and category joined
in; and a count), whatever the table size, and a search text first looks up the customers
whose name or e-mail has it (one pass over users, not tickets). See benchmarks/bench_queue.py
for the timings."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from helpdesk.access import ensure_staff, get_by_id, is_plausible_id, plausible_ids
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import OPEN_STATUSES, PRIORITY_RANK, RUNNING_CLOCK_STATUSES, Priority, TicketStatus
from helpdesk.models import FIRST_RESPONSE_BAND_HOURS, Category, Ticket, User, format_reference, parse_reference
from helpdesk.search import text_index
from helpdesk.settings import report_zone
from helpdesk.sla import clock
from helpdesk.tickets.figures import TicketFigure, figure_conditions, first_response_band_condition

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
RECENTLY_RESOLVED_DAYS = 7
TEXT_MAX = 100


class QueueView(StrEnum):
    MY_OPEN = "my_open"
    UNASSIGNED = "unassigned"
    ALL_OPEN = "all_open"
    BREACHING_SOON = "breaching_soon"
    RECENTLY_RESOLVED = "recently_resolved"
    # Every ticket, whatever its status: where an analytics figure's tickets are listed.
    ALL_TICKETS = "all"

    @property
    def label(self) -> str:
        return {"my_open": "My open tickets", "unassigned": "Unassigned", "all_open": "All open",
                "breaching_soon": "Breaching soon", "recently_resolved": "Recently resolved",
                "all": "All tickets"}[self.value]


class QueueSort(StrEnum):
    SLA_DUE = "sla_due"  # the target that matters now, soonest first
    PRIORITY = "priority"  # urgent first, then by SLA due
    CREATED = "created"  # newest first
    UPDATED = "updated"  # most recently changed first
    RESOLVED = "resolved"  # most recently resolved first

    @property
    def label(self) -> str:
        return {"sla_due": "SLA due", "priority": "Priority", "created": "Created", "updated": "Updated",
                "resolved": "Resolved"}[self.value]


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[TicketStatus, ...] = ()
    priorities: tuple[Priority, ...] = ()
    category_ids: tuple[int, ...] = ()
    assignee_id: int | None = None
    created_from: date | None = None  # inclusive, UTC days
    created_to: date | None = None  # inclusive
    # A reference (CCR-000042, #42, 42), or text found in the subject or the customer's name or e-mail.
    text: str = ""
    # The tickets an analytics figure counts, its date (created or resolved) in [since, until).
    figure: TicketFigure | None = None
    since: datetime | None = None
    until: datetime | None = None
    # One cell of the arrivals heatmap: that weekday (0 = Monday) and hour in the report zone.
    weekday: int | None = None
    hour: int | None = None
    # One bar of "satisfaction by first response": that band of the first response (0 = fastest).
    response_band: int | None = None
    business_time: bool = False  # the band in business hours, not calendar time


@dataclass(frozen=True)
class QueueRow:
    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    category_name: str
    customer_id: int
    customer_name: str
    customer_email: str
    assignee_id: int | None
    assignee_name: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    waiting_since: datetime | None
    version: int
    sla: clock.SlaClock = field(compare=False)

    @property
    def reference(self) -> str:
        return format_reference(self.id)

    def age(self, now: datetime) -> timedelta:
        return now - self.created_at


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _sla_due_expr():
    # The due date of the clock that matters now (sla.current_clock's rule for open tickets),
    # from columns ix_tickets_status_sla holds, so the order is found without reading rows.
    return case((Ticket.first_response_at.is_(None), Ticket.first_response_due_at), else_=Ticket.resolution_due_at)


def _priority_rank_expr():
    return case({p: rank for p, rank in PRIORITY_RANK.items()}, value=Ticket.priority, else_=0)


def _view_conditions(view: QueueView, actor: User, now: datetime) -> list:
    if view == QueueView.MY_OPEN:
        return [Ticket.assignee_id == actor.id, Ticket.status.in_(OPEN_STATUSES)]
    if view == QueueView.UNASSIGNED:
        return [Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES)]
    if view == QueueView.ALL_OPEN:
        return [Ticket.status.in_(OPEN_STATUSES)]
    if view == QueueView.BREACHING_SOON:
        horizon = now + clock.AT_RISK_WINDOW
        return [
            Ticket.status.in_(RUNNING_CLOCK_STATUSES),  # breaching soon watches the running clocks
            or_(
                and_(Ticket.first_response_at.is_(None), Ticket.first_response_due_at <= horizon),
                and_(Ticket.first_response_at.is_not(None), Ticket.resolution_due_at <= horizon),
            ),
        ]
    if view == QueueView.RECENTLY_RESOLVED:
        # Only resolved (and later closed) tickets carry resolved_at; reopening clears it.
        return [Ticket.resolved_at >= now - timedelta(days=RECENTLY_RESOLVED_DAYS)]
    if view == QueueView.ALL_TICKETS:
        return []
    raise ValidationError({"view": "Choose a queue view."})


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _text_condition(session: Session, text: str):
    ticket_id = parse_reference(text)
    if ticket_id is not None:
        if text.isdigit():  # "404" may be a reference or words in a subject
            return or_(Ticket.id == ticket_id, text_index.subject_contains(session, text))
        return Ticket.id == ticket_id  # CCR-000042 / #42: a primary-key lookup
    return text_index.subject_or_customer_contains(session, text)


def _filter_conditions(session: Session, filters: QueueFilters, now: datetime) -> list:
    errors = {}
    conditions = []
    if filters.figure is not None:
        if filters.weekday is not None and not 0 <= filters.weekday <= 6:
            errors["weekday"] = "Choose a weekday from 0 (Monday) to 6 (Sunday)."
        if filters.hour is not None and not 0 <= filters.hour <= 23:
            errors["hour"] = "Choose an hour from 0 to 23."
        if (filters.weekday is None) != (filters.hour is None) or (
                filters.weekday is not None and (filters.since is None or filters.until is None)):
            errors["weekday"] = "A weekday and an hour go together, within a date range (since and until)."
        if filters.response_band is not None:
            if not 0 <= filters.response_band <= len(FIRST_RESPONSE_BAND_HOURS):
                errors["response_band"] = f"Choose a first-response band from 0 to {len(FIRST_RESPONSE_BAND_HOURS)}."
            else:
                conditions.append(first_response_band_condition(filters.response_band, filters.business_time))
        if not errors:
            conditions += figure_conditions(TicketFigure(filters.figure), filters.since, filters.until, now,
                                            weekday=filters.weekday, hour=filters.hour, zone=report_zone(session))
    if filters.statuses:
        conditions.append(Ticket.status.in_([TicketStatus(s) for s in filters.statuses]))
    if filters.priorities:
        conditions.append(Ticket.priority.in_([Priority(p) for p in filters.priorities]))
    if filters.category_ids:
        conditions.append(Ticket.category_id.in_(plausible_ids(filters.category_ids)))
    if filters.assignee_id is not None:
        conditions.append(Ticket.assignee_id == filters.assignee_id if is_plausible_id(filters.assignee_id)
                          else false())
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        errors["created_to"] = "The end date is before the start date."
    if filters.created_from:
        conditions.append(Ticket.created_at >= _day_start(filters.created_from))
    if filters.created_to:
        conditions.append(Ticket.created_at < _day_start(filters.created_to + timedelta(days=1)))
    text = text_index.searchable(filters.text or "")
    if len(text) > TEXT_MAX:
        errors["text"] = f"Search with at most {TEXT_MAX} characters."
    elif text:
        conditions.append(_text_condition(session, text))
    if errors:
        raise ValidationError(errors)
    return conditions


def _order_by(sort: QueueSort) -> list:
    if sort == QueueSort.SLA_DUE:
        return [_sla_due_expr(), Ticket.id]
    if sort == QueueSort.PRIORITY:
        return [_priority_rank_expr().desc(), _sla_due_expr(), Ticket.id]
    if sort == QueueSort.CREATED:
        return [Ticket.created_at.desc(), Ticket.id.desc()]
    if sort == QueueSort.UPDATED:
        return [Ticket.updated_at.desc(), Ticket.id.desc()]
    return [Ticket.resolved_at.desc(), Ticket.id.desc()]


def default_sort(view: QueueView) -> QueueSort:
    if view == QueueView.RECENTLY_RESOLVED:
        return QueueSort.RESOLVED
    return QueueSort.CREATED if view == QueueView.ALL_TICKETS else QueueSort.SLA_DUE


def _conditions(session: Session, actor: User, view: QueueView, filters: QueueFilters, now: datetime) -> list:
    return _view_conditions(QueueView(view), actor, now) + _filter_conditions(session, filters, now)


def build_queue_queries(*, session: Session, actor: User, view: QueueView, filters: QueueFilters,
                        sort: QueueSort, now: datetime, limit: int, offset: int):
    """(page query, count query): separate so the benchmark can EXPLAIN them."""
    return _queries(_conditions(session, actor, view, filters, now), sort, limit, offset)


def _queries(conditions: list, sort: QueueSort, limit: int, offset: int):
    """The page is found on the tickets table alone (ids in order, LIMIT/OFFSET), and only
    those rows are joined to customer, assignee and category: sorting a few thousand open
    tickets then carries ids, not whole joined rows."""
    order = _order_by(QueueSort(sort))
    page_ids = select(Ticket.id).where(*conditions).order_by(*order).limit(limit).offset(offset).subquery("page")
    customer = aliased(User, name="customer")
    assignee = aliased(User, name="assignee")
    rows = (
        select(
            Ticket.id, Ticket.subject, Ticket.status, Ticket.priority, Category.name.label("category_name"),
            Ticket.customer_id, customer.name.label("customer_name"), customer.email.label("customer_email"),
            Ticket.assignee_id, assignee.name.label("assignee_name"),
            Ticket.created_at, Ticket.updated_at, Ticket.first_response_at, Ticket.first_response_due_at,
            Ticket.resolution_due_at, Ticket.resolved_at, Ticket.waiting_since, Ticket.version,
        )
        .join(page_ids, page_ids.c.id == Ticket.id)
        .join(customer, customer.id == Ticket.customer_id)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .order_by(*order)
    )
    count = select(func.count()).select_from(Ticket).where(*conditions)
    return rows, count


def list_queue(*, session: Session, actor: User, view: QueueView = QueueView.ALL_OPEN,
               filters: QueueFilters | None = None, sort: QueueSort | None = None,
               page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, now: datetime | None = None) -> QueuePage:
    """One page of the queue and the number of tickets in it. A page past the end gives the last page."""
    ensure_staff(actor)
    now = now or utcnow()
    view = QueueView(view)
    sort = QueueSort(sort) if sort else default_sort(view)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    filters = filters or QueueFilters()
    conditions = _conditions(session, actor, view, filters, now)
    _, count_query = _queries(conditions, sort, page_size, 0)
    total = session.scalar(count_query) or 0
    page = min(max(1, page), max(1, -(-total // page_size)))
    rows_query, _ = _queries(conditions, sort, page_size, (page - 1) * page_size)
    result = session.execute(rows_query)
    rows = []
    for row in result:
        data = row._asdict()
        rows.append(QueueRow(**data, sla=clock.current_clock(_SlaFields(data), now)))
    return QueuePage(rows=rows, total=total, page=page, page_size=page_size)


class _SlaFields:
    """Lets sla.current_clock read a row mapping like a ticket."""

    def __init__(self, data: dict):
        self.__dict__.update(data)


def find_by_reference(*, session: Session, actor: User, text: str) -> Ticket | None:
    """Jump straight to a ticket from 'CCR-000042' (or '#42', '42') typed into the search box."""
    ensure_staff(actor)
    ticket_id = parse_reference(text or "")
    return get_by_id(session, Ticket, ticket_id)
