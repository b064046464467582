"""Who works a ticket: manual assignment, claiming, and automatic assignment on creation.

Automatic: among active agents with the ticket's category as a skill, the one with the
fewest open tickets; ties go to whoever was assigned least recently (round-robin)."""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from helpdesk import settings
from helpdesk.access import ensure_admin, ensure_staff, get_by_id, plausible_ids
from helpdesk.audit import person, record
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import AuditAction, EventKind, OPEN_STATUSES, STAFF_ROLES
from helpdesk.models import AgentSkill, Category, Ticket, User
from helpdesk.notifications import outbox
from helpdesk.tickets.lifecycle import flush_or_conflict, load_ticket_for_staff, record_event


def eligible_assignee(session: Session, assignee_id: int) -> User:
    user = get_by_id(session, User, assignee_id)
    if user is None or not user.is_active or user.role not in STAFF_ROLES:
        raise ValidationError({"assignee": "Choose an active agent."})
    return user


def apply_assignment(session: Session, ticket: Ticket, actor: User | None, assignee: User | None) -> bool:
    """Set the assignee and audit it (actor None: the system). False if nothing changed."""
    if ticket.assignee_id == (assignee.id if assignee else None):
        return False
    old = ticket.assignee
    now = utcnow()
    ticket.assignee = assignee
    ticket.assignee_id = assignee.id if assignee else None
    ticket.updated_at = now
    if assignee is not None:
        assignee.last_assigned_at = now  # round-robin: this agent goes to the back of ties
    record_event(session, ticket, actor, EventKind.ASSIGNED, old.name if old else None,
                 assignee.name if assignee else None)
    outbox.notify_assigned(session=session, ticket=ticket, actor=actor)
    return True


def list_assignable_agents(*, session: Session, actor: User) -> list[User]:
    ensure_staff(actor)
    query = select(User).where(User.is_active, User.role.in_(STAFF_ROLES)).order_by(User.name, User.id)
    return list(session.scalars(query))


def assign_ticket(*, session: Session, actor: User, ticket_id: int, assignee_id: int | None,
                  expected_version: int | None = None) -> Ticket:
    """Agents and admins assign to any active agent, or unassign with `assignee_id=None`."""
    ticket = load_ticket_for_staff(session, actor, ticket_id, expected_version)
    assignee = eligible_assignee(session, assignee_id) if assignee_id is not None else None
    apply_assignment(session, ticket, actor, assignee)
    flush_or_conflict(session)
    return ticket


def can_claim(ticket: Ticket) -> bool:
    """Whether a staff member may take this ticket for themselves: nobody works on it yet and it
    is still being worked (the claim button; claim_ticket says why not otherwise)."""
    return ticket.assignee_id is None and ticket.status in OPEN_STATUSES


def claim_ticket(*, session: Session, actor: User, ticket_id: int, expected_version: int | None = None) -> Ticket:
    """Take an unassigned ticket. Someone else's ticket is not taken silently."""
    ticket = load_ticket_for_staff(session, actor, ticket_id, expected_version)
    if ticket.assignee_id == actor.id:
        return ticket
    if ticket.assignee_id is not None:
        raise ValidationError({"assignee": f"{ticket.assignee.name} already works on this ticket. "
                                           "Ask them, or reassign it explicitly."})
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError({"assignee": f"This ticket is {ticket.status.label.lower()}; there is nothing to claim."})
    # The session's own copy: the signed-in user object may come from another session.
    apply_assignment(session, ticket, actor, eligible_assignee(session, actor.id))
    flush_or_conflict(session)
    return ticket


def pick_agent(session: Session, category_id: int) -> User | None:
    """The active agent with this skill and the fewest open tickets; ties: least recently assigned."""
    open_count = (
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.assignee_id == User.id, Ticket.status.in_(OPEN_STATUSES))
        .correlate(User)
        .scalar_subquery()
    )
    query = (
        select(User)
        .join(AgentSkill, AgentSkill.agent_id == User.id)
        .where(AgentSkill.category_id == category_id, User.is_active, User.role.in_(STAFF_ROLES))
        # Never assigned counts as longest ago; written portably (NULLS FIRST is not everywhere).
        .order_by(open_count, User.last_assigned_at.is_not(None), User.last_assigned_at, User.id)
        .limit(1)
    )
    return session.scalar(query)


def auto_assign(*, session: Session, ticket: Ticket) -> User | None:
    """Called when a ticket is raised. Nobody suitable: it stays in the Unassigned view."""
    if ticket.assignee_id is not None or not settings.auto_assign_enabled(session):
        return None
    agent = pick_agent(session, ticket.category_id)
    if agent is not None:
        apply_assignment(session, ticket, None, agent)
        session.flush()
    return agent


def uncovered_categories(*, session: Session, actor: User) -> list[Category]:
    """Active categories no active agent handles: new tickets there stay in the Unassigned view."""
    ensure_admin(actor)
    covered = (select(AgentSkill.category_id).join(User, User.id == AgentSkill.agent_id)
               .where(User.is_active, User.role.in_(STAFF_ROLES)))
    return list(session.scalars(select(Category).where(Category.is_active, Category.id.not_in(covered))
                                .order_by(Category.name)))


def _skill_names(names) -> str:
    """Skills as the audit log shows them: category names in alphabetical order."""
    return ", ".join(sorted(names, key=str.casefold)) or "None"


def set_agent_skills(*, session: Session, actor: User, agent_id: int, category_ids: list[int]) -> User:
    """Admins choose which categories an agent handles (what automatic assignment looks at)."""
    ensure_admin(actor)
    agent = get_by_id(session, User, agent_id)
    if agent is None or agent.role not in STAFF_ROLES:
        raise ValidationError({"agent": "Choose an agent."})
    wanted = set(category_ids)
    known = dict(session.execute(select(Category.id, Category.name)
                                 .where(Category.id.in_(plausible_ids(wanted)))).all()) if wanted else {}
    if set(known) != wanted:
        raise ValidationError({"categories": "Choose existing categories."})
    had = dict(session.execute(select(Category.id, Category.name)
                               .join(AgentSkill, AgentSkill.category_id == Category.id)
                               .where(AgentSkill.agent_id == agent.id)).all())
    if set(had) == wanted:
        return agent
    record(session, actor=actor, action=AuditAction.AGENT_SKILLS_CHANGED, target=person(agent),
           old=_skill_names(had.values()), new=_skill_names(known.values()))
    session.execute(delete(AgentSkill).where(AgentSkill.agent_id == agent.id))
    session.add_all(AgentSkill(agent_id=agent.id, category_id=c) for c in sorted(wanted))
    session.flush()
    session.expire(agent, ["skills"])
    return agent
