"""The queue's bulk actions: one change applied to many tickets, each audited on its own ticket.

Tickets the change can't apply to (a refused transition, changed since the queue was shown)
are skipped with a reason; the others change."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_staff
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import Ticket, User
from helpdesk.tickets.assignment import apply_assignment, eligible_assignee
from helpdesk.tickets.lifecycle import flush_or_conflict, transition
from helpdesk.tickets.staff import UNCHANGED, _apply_priority, _parse_priority, _Unchanged
from helpdesk.tickets.workflow import can_transition

MAX_BULK = 200


@dataclass(frozen=True)
class BulkResult:
    updated: list[int] = field(default_factory=list)
    # Ticket id -> why it was left alone (refused transition, changed since the queue was shown).
    skipped: dict[int, str] = field(default_factory=dict)


# The single-ticket CONFLICT message points at a fresh copy shown below; a bulk result has none.
BULK_CONFLICT = "Someone changed it since the queue was shown; refresh the queue to see it now."


def bulk_update(*, session: Session, actor: User, ticket_ids: list[int],
                status: TicketStatus | str | None = None, priority: Priority | str | None = None,
                assignee_id: int | None | _Unchanged = UNCHANGED,
                expected_versions: dict[int, int] | None = None) -> BulkResult:
    """The queue's bulk actions. Tickets a change can't apply to are skipped with a reason;
    the others change, each change audited on its own ticket."""
    ensure_staff(actor)
    ids = list(dict.fromkeys(ticket_ids))
    if not ids:
        raise ValidationError({"tickets": "Select at least one ticket."})
    if len(ids) > MAX_BULK:
        raise ValidationError({"tickets": f"Select at most {MAX_BULK} tickets at a time."})
    if status is None and priority is None and assignee_id is UNCHANGED:
        raise ValidationError({"__all__": "Choose a change to apply."})
    new_status = None
    if status is not None:
        try:
            new_status = TicketStatus(status)
        except ValueError:
            raise ValidationError({"status": "Choose a status."}) from None
    new_priority = _parse_priority(priority) if priority is not None else None
    assignee = eligible_assignee(session, assignee_id) if isinstance(assignee_id, int) else None
    expected_versions = expected_versions or {}

    found = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    result = BulkResult()
    for ticket_id in ids:
        ticket = found.get(ticket_id)
        if ticket is None:
            result.skipped[ticket_id] = "No such ticket."
            continue
        expected = expected_versions.get(ticket_id)
        if expected is not None and expected != ticket.version:
            result.skipped[ticket_id] = BULK_CONFLICT
            continue
        if new_status is not None and new_status != ticket.status and not can_transition(ticket.status, new_status):
            result.skipped[ticket_id] = f"A ticket can't go from {ticket.status.label} to {new_status.label}."
            continue
        if new_priority is not None:
            _apply_priority(session, ticket, actor, new_priority)
        if assignee_id is not UNCHANGED:
            apply_assignment(session, ticket, actor, assignee)
        if new_status is not None:
            transition(session, ticket, actor, new_status)
        result.updated.append(ticket_id)
    flush_or_conflict(session)
    return result
