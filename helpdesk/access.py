"""Who may see and do what with a ticket. Every service asks here first."""
from __future__ import annotations

from helpdesk.core.errors import NotFound, PermissionDenied
from helpdesk.enums import Role
from helpdesk.models import Ticket, User


def ensure_active(actor: User | None) -> User:
    if actor is None or not actor.is_active:
        raise PermissionDenied("Sign in first.")
    return actor


# Ids are INTEGER columns: anything outside 1..2**31-1 can't name a row, and PostgreSQL
# would answer it with "integer out of range" (SQLite with an overflow) instead of NotFound.
_MAX_ID = 2**31 - 1


def is_plausible_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_ID


def plausible_ids(values) -> list[int]:
    """The ids in `values` that a row could have, in order (for `IN (...)` lookups)."""
    return [value for value in values if is_plausible_id(value)]


def get_by_id(session, model, row_id):
    """`session.get` for an id that came from outside (URL, form): None for anything no row can have."""
    return session.get(model, row_id) if is_plausible_id(row_id) else None


def can_view_ticket(actor: User, ticket: Ticket | None) -> bool:
    return ticket is not None and (actor.is_staff or ticket.customer_id == actor.id)


def ensure_can_view_ticket(actor: User | None, ticket: Ticket | None) -> Ticket:
    """A customer asking for someone else's ticket gets the same answer as for a missing one,
    so ticket ids can't be probed."""
    actor = ensure_active(actor)
    if ticket is None or not can_view_ticket(actor, ticket):
        raise NotFound("No such ticket.")
    return ticket


def ensure_staff(actor: User | None) -> User:
    actor = ensure_active(actor)
    if not actor.is_staff:
        raise PermissionDenied("Only agents and administrators can do that.")
    return actor


def ensure_reports_reader(actor: User | None) -> User:
    """Analytics and the audit log: managers and administrators."""
    actor = ensure_active(actor)
    if not actor.role.reads_reports:
        raise PermissionDenied("Only managers and administrators can do that.")
    return actor


def ensure_admin(actor: User | None) -> User:
    actor = ensure_active(actor)
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only administrators can do that.")
    return actor


def ensure_customer_owner(actor: User | None, ticket: Ticket) -> None:
    actor = ensure_active(actor)
    if ticket.customer_id != actor.id:
        raise PermissionDenied("Only the customer who raised this ticket can do that.")
