"""Field changes to a ticket (status, priority, category, assignee): parsed, checked and applied
in one order. The ticket page's save (staff.update_ticket) and the queue's bulk actions
(bulk.bulk_update) both go through `apply_changes`, so the order is a rule that lives once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from helpdesk.access import get_by_id
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import EventKind, Priority, TicketStatus
from helpdesk.models import Category, Ticket, User
from helpdesk.sla import clock
from helpdesk.tickets.assignment import apply_assignment
from helpdesk.tickets.lifecycle import record_event, transition
from helpdesk.tickets.workflow import transition_refusal


class Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# "Leave the assignee as it is" (None already means "unassign").
UNCHANGED: Final = Unchanged()


def parse_status(value) -> TicketStatus:
    try:
        return TicketStatus(value)
    except ValueError:
        raise ValidationError({"status": "Choose a status."}) from None


def parse_priority(value) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        raise ValidationError({"priority": "Choose a priority."}) from None


def active_category(session: Session, category_id: int) -> Category:
    category = get_by_id(session, Category, category_id)
    if category is None or not category.is_active:
        raise ValidationError({"category": "Choose an active category."})
    return category


def ensure_transition(ticket: Ticket, new_status: TicketStatus) -> None:
    """Refuse, before anything changes, a status the workflow table doesn't allow from here."""
    refusal = transition_refusal(ticket.status, new_status)
    if refusal:
        raise ValidationError({"status": refusal})


@dataclass(frozen=True)
class FieldChanges:
    """Already parsed and checked values; None (UNCHANGED for the assignee) leaves a field alone."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    category: Category | None = None
    assignee: User | None | Unchanged = UNCHANGED


def apply_changes(session: Session, ticket: Ticket, actor: User | None, changes: FieldChanges) -> None:
    """Priority first (it moves the SLA targets), then category, then assignee, and the status
    last, through the workflow's one transition. Each change is its own audited event."""
    if changes.priority is not None:
        _apply_priority(session, ticket, actor, changes.priority)
    if changes.category is not None:
        _apply_category(session, ticket, actor, changes.category)
    if changes.assignee is not UNCHANGED:
        apply_assignment(session, ticket, actor, changes.assignee)
    if changes.status is not None:
        transition(session, ticket, actor, changes.status)


def _apply_priority(session: Session, ticket: Ticket, actor: User | None, priority: Priority) -> None:
    if priority == ticket.priority:
        return
    old = ticket.priority
    with session.no_autoflush:  # one UPDATE (one version step) per save, not one per lookup
        ticket.priority = priority
        clock.reapply_targets(session, ticket, old)  # keeps waiting time already credited
    ticket.updated_at = utcnow()
    record_event(session, ticket, actor, EventKind.PRIORITY_CHANGED, old.value, priority.value)


def _apply_category(session: Session, ticket: Ticket, actor: User | None, category: Category) -> None:
    if category.id == ticket.category_id:
        return
    old_name = ticket.category.name
    ticket.category = category
    ticket.category_id = category.id
    ticket.updated_at = utcnow()
    record_event(session, ticket, actor, EventKind.CATEGORY_CHANGED, old_name, category.name)
