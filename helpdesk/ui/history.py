"""A ticket event (the audit trail) as one line an agent reads, after the name of who did it:
worded for that person (a customer's reply is not "replied to the customer")."""
from __future__ import annotations

from helpdesk.enums import EventKind, Priority, TicketStatus


def _label(enum_cls, value: str | None) -> str:
    try:
        return enum_cls(value).label
    except ValueError:
        return value or "—"


def event_text(event, *, customer_id: int) -> str:
    """`customer_id`: the ticket's customer, so their own actions read as theirs."""
    old, new = event.old_value, event.new_value
    kind = event.kind
    by_customer = event.actor_id is not None and event.actor_id == customer_id
    if kind == EventKind.CREATED:
        return "raised the ticket"
    if kind == EventKind.STATUS_CHANGED:
        return f"changed the status: {_label(TicketStatus, old)} → {_label(TicketStatus, new)}"
    if kind == EventKind.PRIORITY_CHANGED:
        return f"changed the priority: {_label(Priority, old)} → {_label(Priority, new)}"
    if kind == EventKind.CATEGORY_CHANGED:
        return f"changed the category: {old or '—'} → {new or '—'}"
    if kind == EventKind.ASSIGNED:
        if new is None:
            return f"unassigned it (was {old})" if old else "unassigned it"
        if event.actor is not None and event.actor.name == new and not old:
            return "took the ticket"
        return f"assigned it to {new}" + (f" (was {old})" if old else "")
    if kind == EventKind.PUBLIC_REPLY:
        return "replied" if by_customer else "replied to the customer"
    if kind == EventKind.INTERNAL_NOTE:
        return "added an internal note"
    if kind == EventKind.ATTACHMENT_ADDED:
        return f"attached {new}" if new else "attached a file"
    return str(kind)
