"""Admins edit the SLA targets of each priority. New targets apply to tickets raised (or
re-prioritised) afterwards; due dates already promised to customers stay as they were."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from helpdesk.access import ensure_admin, ensure_staff
from helpdesk.audit import record
from helpdesk.core.errors import ValidationError
from helpdesk.enums import AuditAction, Priority
from helpdesk.models import SlaPolicy, User
from helpdesk.sla.clock import DEFAULT_TARGETS_HOURS, targets_for

MAX_HOURS = 24 * 366


@dataclass(frozen=True)
class SlaTargets:
    priority: Priority
    first_response_hours: int
    resolution_hours: int
    is_default: bool  # the built-in default targets


def list_policies(*, session: Session, actor: User) -> list[SlaTargets]:
    """One entry per priority, most urgent first."""
    ensure_staff(actor)
    result = []
    for priority in sorted(Priority, key=lambda p: p.rank, reverse=True):
        first, resolution = targets_for(session, priority)
        result.append(SlaTargets(priority, first, resolution, (first, resolution) == DEFAULT_TARGETS_HOURS[priority]))
    return result


def _targets_text(priority: Priority, targets: tuple[int, int]) -> str:
    """As the audit log shows a priority's targets: "first response 4 h, resolution 24 h (default)"."""
    first, resolution = targets
    default = " (default)" if targets == DEFAULT_TARGETS_HOURS[priority] else ""
    return f"first response {first} h, resolution {resolution} h{default}"


def _record_change(session: Session, actor: User, priority: Priority, old: tuple[int, int],
                   new: tuple[int, int]) -> None:
    if old != new:
        record(session, actor=actor, action=AuditAction.SLA_TARGETS_CHANGED, target=f"{priority.label} priority",
               old=_targets_text(priority, old), new=_targets_text(priority, new))


def _hours_problem(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "Enter a whole number of hours."
    if not 1 <= value <= MAX_HOURS:
        return f"Enter between 1 and {MAX_HOURS} hours."
    return None


def update_policy(*, session: Session, actor: User, priority: Priority | str, first_response_hours: int,
                  resolution_hours: int) -> SlaTargets:
    ensure_admin(actor)
    errors = {}
    try:
        priority = Priority(priority)
    except ValueError:
        errors["priority"] = "Choose a priority."
    for field, value in (("first_response_hours", first_response_hours), ("resolution_hours", resolution_hours)):
        problem = _hours_problem(value)
        if problem:
            errors[field] = problem
    if not errors and resolution_hours < first_response_hours:
        errors["resolution_hours"] = "Resolution can't be due before the first response; use at least as many hours."
    if errors:
        raise ValidationError(errors)
    _record_change(session, actor, priority, targets_for(session, priority), (first_response_hours, resolution_hours))
    policy = session.get(SlaPolicy, priority)
    if policy is None:
        policy = SlaPolicy(priority=priority)
        session.add(policy)
    policy.first_response_hours = first_response_hours
    policy.resolution_hours = resolution_hours
    session.flush()
    return SlaTargets(priority, first_response_hours, resolution_hours,
                      (first_response_hours, resolution_hours) == DEFAULT_TARGETS_HOURS[priority])


def reset_policy(*, session: Session, actor: User, priority: Priority) -> SlaTargets:
    """Back to the built-in default for this priority."""
    ensure_admin(actor)
    priority = Priority(priority)
    policy = session.get(SlaPolicy, priority)
    if policy is not None:
        _record_change(session, actor, priority, targets_for(session, priority), DEFAULT_TARGETS_HOURS[priority])
        session.delete(policy)
        session.flush()
    first, resolution = DEFAULT_TARGETS_HOURS[priority]
    return SlaTargets(priority, first, resolution, True)
