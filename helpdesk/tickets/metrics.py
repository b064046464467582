"""The durations analytics reads, kept on the ticket as it changes, and rebuilt from its history.

Every change goes through lifecycle.transition or the first public staff reply, which call the
`on_*` functions here; `rebuild` replays a ticket's events and messages to the same figures
(after an upgrade, or after the business hours changed). Business time uses the business hours
set when the figure is stored; with none set it equals calendar time."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, object_session

from helpdesk.enums import EventKind, TicketStatus
from helpdesk.models import Ticket, TicketEvent, TicketMessage
from helpdesk.settings import BusinessHours, business_hours
from helpdesk.sla.clock import working_time_between


def _calendar(ticket: Ticket) -> BusinessHours | None:
    session = object_session(ticket)
    if session is None:
        return None
    # Reading the setting must not flush the half-changed ticket: that would be a second UPDATE
    # (and a second version step) in one save.
    with session.no_autoflush:
        return business_hours(session)


def _seconds(span: timedelta) -> int:
    return max(0, round(span.total_seconds()))


def on_first_response(ticket: Ticket, at: datetime) -> None:
    hours = _calendar(ticket)
    ticket.first_response_seconds = _seconds(at - ticket.created_at)
    ticket.first_response_business_seconds = _seconds(working_time_between(ticket.created_at, at, hours))


def on_staff_public_reply(ticket: Ticket) -> None:
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


def replay(*, created_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None,
           changes: Sequence[StatusChange], staff_replies: int, hours: BusinessHours | None) -> dict[str, int | None]:
    """A ticket's figures (FIGURES) from its status history, as the on_* calls would have stored them."""
    figures: dict[str, int | None] = dict.fromkeys(FIGURES)
    figures["staff_reply_count"] = staff_replies
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
    staff_replies = dict(session.execute(
        select(TicketMessage.ticket_id, func.count()).join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(TicketMessage.ticket_id.in_(ids), TicketMessage.is_public,
               TicketMessage.author_id != Ticket.customer_id)
        .group_by(TicketMessage.ticket_id)).all())
    rows = [{"ticket_id": t.id, **replay(created_at=t.created_at, first_response_at=t.first_response_at,
                                         resolved_at=t.resolved_at, changes=changes.get(t.id, []),
                                         staff_replies=staff_replies.get(t.id, 0), hours=hours)}
            for t in tickets]
    table = Ticket.__table__
    session.execute(table.update().where(table.c.id == bindparam("ticket_id"))
                    .values({name: bindparam(name) for name in FIGURES}), rows)
    return len(rows)


REBUILD_BATCH = 2000


def rebuild_all(*, session: Session, batch: int = REBUILD_BATCH) -> int:
    """Every ticket, a batch of ids at a time, in the caller's transaction."""
    done, after = 0, 0
    while True:
        ids = list(session.scalars(select(Ticket.id).where(Ticket.id > after).order_by(Ticket.id).limit(batch)))
        if not ids:
            return done
        done += rebuild(session, ids)
        after = ids[-1]
