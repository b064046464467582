"""The queue's bulk actions: one change applied to many tickets, each audited on its own ticket.

Tickets the change can't apply to (a refused transition, changed since the queue was shown)
are skipped with a reason; the others change."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.access import ensure_staff, plausible_ids
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import Ticket, User
from helpdesk.tickets.assignment import eligible_assignee
from helpdesk.tickets.changes import UNCHANGED, FieldChanges, Unchanged, apply_changes, parse_priority, parse_status
from helpdesk.tickets.lifecycle import flush_or_conflict
from helpdesk.tickets.workflow import transition_refusal

MAX_BULK = 200


@dataclass(frozen=True)
class BulkResult:
    updated: list[int] = field(default_factory=list)
    # Ticket id -> why it was left alone (refused transition, changed since the queue was shown).
    skipped: dict[int, str] = field(default_factory=dict)


# The single-ticket CONFLICT message points at a fresh copy shown below; a bulk result has none.
BULK_CONFLICT = "Someone changed it since the queue was shown; refresh the queue to see it now."
NEVER_ANSWERED = "Never answered: a ticket nobody replied to can't be closed in bulk; reply to it first."


def bulk_update(*, session: Session, actor: User, ticket_ids: list[int],
                status: TicketStatus | str | None = None, priority: Priority | str | None = None,
                assignee_id: int | None | Unchanged = UNCHANGED,
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
    new_status = parse_status(status) if status is not None else None
    new_priority = parse_priority(priority) if priority is not None else None
    assignee = eligible_assignee(session, assignee_id) if isinstance(assignee_id, int) else None
    expected_versions = expected_versions or {}

    found = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(plausible_ids(ids))))}
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
        refusal = transition_refusal(ticket.status, new_status) if new_status is not None else None
        if refusal is None and new_status == TicketStatus.CLOSED and ticket.first_response_at is None:
            refusal = NEVER_ANSWERED  # closing is final and mails the customer: never by the batch, unread
        if refusal:
            result.skipped[ticket_id] = refusal
            continue
        apply_changes(session, ticket, actor, FieldChanges(
            status=new_status, priority=new_priority,
            assignee=UNCHANGED if assignee_id is UNCHANGED else assignee))
        result.updated.append(ticket_id)
    flush_or_conflict(session)
    return result
