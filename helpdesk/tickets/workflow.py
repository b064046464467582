"""The ticket workflow as data: the one table of allowed status transitions."""
from __future__ import annotations

from helpdesk.enums import TicketStatus as S

ALLOWED_TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.OPEN, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.OPEN, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.WAITING_ON_CUSTOMER: frozenset({S.OPEN, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}),
    # Reopening goes back to open.
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    # Closed is final: a customer with more to say raises a new ticket.
    S.CLOSED: frozenset(),
}


def can_transition(old: S, new: S) -> bool:
    return new in ALLOWED_TRANSITIONS[old]


def transition_refusal(old: S, new: S) -> str | None:
    """Why a ticket can't go from `old` to `new`, in the one wording every screen shows; None
    when it can (staying where it is counts as allowed)."""
    if new == old or can_transition(old, new):
        return None
    return f"A ticket can't go from {old.label} to {new.label}."


def allowed_targets(old: S) -> list[S]:
    return [s for s in S if s in ALLOWED_TRANSITIONS[old]]
