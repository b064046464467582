"""The durations analytics reads, kept on the ticket as it changes, and rebuilt from its history.

Every change goes through lifecycle.transition or the first public staff reply, which call the
`on_*` functions here; `rebuild` replays a ticket's events and messages to the same figures
(after an upgrade, or after the business hours changed). Business time uses the business hours
set when the figure is stored; with none set it equals calendar time."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session

from helpdesk.enums import EventKind, TicketStatus
from helpdesk.models import Ticket, TicketEvent, TicketMessage
from helpdesk.settings import BusinessHours, business_hours, clear_metrics_pending
from helpdesk.sla.clock import working_time_between
from helpdesk.tickets import report_cells


def _calendar(ticket: Ticket) -> BusinessHours | None:
    session = object_session(ticket)
    return business_hours(session) if session is not None else None  # read without an autoflush


def _seconds(span: timedelta) -> int:
    return max(0, round(span.total_seconds()))


def on_first_response(ticket: Ticket, at: datetime) -> None:
    hours = _calendar(ticket)
    ticket.first_response_seconds = _seconds(at - ticket.created_at)
    ticket.first_response_business_seconds = _seconds(working_time_between(ticket.created_at, at, hours))


def on_staff_public_reply(ticket: Ticket) -> None:
    """Replies that worked the ticket: one written after it was resolved (a thank-you, a note on
    a closed matter) does not undo a one-touch resolution."""
    if ticket.resolved_at is None:
        ticket.staff_reply_count = (ticket.staff_reply_count or 0) + 1


def on_wait_ended(ticket: Ticket, waiting_since: datetime, now: datetime) -> None:
    """Called before the SLA clock resumes (while waiting_since still says when the wait began)."""
    hours = _calendar(ticket)
    ticket.waiting_seconds = (ticket.waiting_seconds or 0) + _seconds(now - waiting_since)
    ticket.waiting_business_seconds = (ticket.waiting_business_seconds or 0) + _seconds(
        working_time_between(waiting_since, now, hours))


def on_resolved(ticket: Ticket, at: datetime) -> None:
    hours = _calendar(ticket)
    ticket.resolution_seconds = max(0, _seconds(at - ticket.created_at) - (ticket.waiting_seconds or 0))
    ticket.resolution_business_seconds = max(0, _seconds(working_time_between(ticket.created_at, at, hours))
                                             - (ticket.waiting_business_seconds or 0))


def on_reopened(ticket: Ticket) -> None:
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    ticket.resolution_seconds = None
    ticket.resolution_business_seconds = None


# --- rebuilding from history ------------------------------------------------------------

@dataclass(frozen=True)
class StatusChange:
    at: datetime
    old: TicketStatus
    new: TicketStatus


FIGURES = ("first_response_seconds", "first_response_business_seconds", "resolution_seconds",
           "resolution_business_seconds", "waiting_seconds", "waiting_business_seconds", "reopen_count",
           "staff_reply_count")


def _while_unresolved(replies: Sequence[datetime], changes: Sequence[StatusChange]) -> int:
    """How many of the staff replies were written while the ticket was not resolved (a reply in
    the same moment as the resolution belongs to the save that resolved it)."""
    resolved_spans: list[tuple[datetime, datetime | None]] = []
    for change in changes:
        if change.new in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and (
                not resolved_spans or resolved_spans[-1][1] is not None):
            resolved_spans.append((change.at, None))
        elif change.old == TicketStatus.RESOLVED and change.new != TicketStatus.CLOSED and resolved_spans:
            resolved_spans[-1] = (resolved_spans[-1][0], change.at)
    return sum(1 for at in replies
               if not any(start < at and (end is None or at < end) for start, end in resolved_spans))


def replay(*, created_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None,
           changes: Sequence[StatusChange], staff_replies: Sequence[datetime],
           hours: BusinessHours | None) -> dict[str, int | None]:
    """A ticket's figures (FIGURES) from its status history and the times of its public staff
    replies, as the on_* calls would have stored them."""
    figures: dict[str, int | None] = dict.fromkeys(FIGURES)
    figures["staff_reply_count"] = _while_unresolved(staff_replies, changes)
    if first_response_at is not None:
        figures["first_response_seconds"] = _seconds(first_response_at - created_at)
        figures["first_response_business_seconds"] = _seconds(
            working_time_between(created_at, first_response_at, hours))
    waiting_since: datetime | None = None
    waited = waited_business = reopened = 0
    for change in changes:
        if change.old == TicketStatus.WAITING_ON_CUSTOMER and waiting_since is not None:
            waited += _seconds(change.at - waiting_since)
            waited_business += _seconds(working_time_between(waiting_since, change.at, hours))
            waiting_since = None
        if change.new == TicketStatus.WAITING_ON_CUSTOMER:
            waiting_since = change.at
        if change.old == TicketStatus.RESOLVED and change.new != TicketStatus.CLOSED:
            reopened += 1
    figures.update(waiting_seconds=waited, waiting_business_seconds=waited_business, reopen_count=reopened)
    if resolved_at is not None:
        figures["resolution_seconds"] = max(0, _seconds(resolved_at - created_at) - waited)
        figures["resolution_business_seconds"] = max(
            0, _seconds(working_time_between(created_at, resolved_at, hours)) - waited_business)
    return figures


def rebuild(session: Session, ticket_ids: Iterable[int]) -> int:
    """Recompute the stored figures of these tickets from their events and messages. A plain
    UPDATE: the tickets' versions stay, so nobody's open form turns stale over a rebuild."""
    ids = list(ticket_ids)
    if not ids:
        return 0
    hours = business_hours(session)
    tickets = session.execute(select(Ticket.id, Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at)
                              .where(Ticket.id.in_(ids))).all()
    changes: dict[int, list[StatusChange]] = {}
    for event in session.execute(
            select(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.old_value, TicketEvent.new_value)
            .where(TicketEvent.ticket_id.in_(ids), TicketEvent.kind == EventKind.STATUS_CHANGED)
            .order_by(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.id)):
        changes.setdefault(event.ticket_id, []).append(
            StatusChange(event.created_at, TicketStatus(event.old_value), TicketStatus(event.new_value)))
    staff_replies: dict[int, list[datetime]] = {}
    for message in session.execute(
            select(TicketMessage.ticket_id, TicketMessage.created_at).join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(TicketMessage.ticket_id.in_(ids), TicketMessage.is_public,
                   TicketMessage.author_id != Ticket.customer_id)):
        staff_replies.setdefault(message.ticket_id, []).append(message.created_at)
    rows = [{"ticket_id": t.id, **replay(created_at=t.created_at, first_response_at=t.first_response_at,
                                         resolved_at=t.resolved_at, changes=changes.get(t.id, []),
                                         staff_replies=staff_replies.get(t.id, []), hours=hours)}
            for t in tickets]
    table = Ticket.__table__
    session.execute(table.update().where(table.c.id == bindparam("ticket_id"))
                    .values({name: bindparam(name) for name in FIGURES}), rows)
    return len(rows)


REBUILD_BATCH = 2000


def rebuild_all(*, session: Session, batch: int = REBUILD_BATCH) -> int:
    """Every ticket, a batch of ids at a time, then the report cells from them, in the caller's
    transaction; afterwards analytics stops warning that older tickets have no figures."""
    done, after = 0, 0
    while True:
        ids = list(session.scalars(select(Ticket.id).where(Ticket.id > after).order_by(Ticket.id).limit(batch)))
        if not ids:
            report_cells.rebuild(session)
            clear_metrics_pending(session)
            return done
        done += rebuild(session, ids)
        after = ids[-1]
