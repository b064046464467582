"""The audit log: every administrator action (who, what, old -> new, when), written by the
service that made the change, in its transaction, so the entry and the change are saved
together or not at all; read back by managers and administrators, newest first.

Values are recorded as a person reads them ("Agent" -> "Manager", "Mon-Fri 09:00-17:00
Europe/Amsterdam"), never as ids or JSON, and never a password or a password hash."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import false, func, select, union_all
from sqlalchemy.orm import Session, joinedload

from helpdesk.access import ensure_reports_reader, is_plausible_id
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import ValidationError
from helpdesk.enums import AuditAction
from helpdesk.models import AuditEntry, User

# The "who" filter's value for entries made by the server's CLI (stored as no actor).
SERVER = "server"
# Counting every match of a million entries costs more than the page of rows it goes with:
# the count stops here, and the page says "more than" and asks for narrower filters.
COUNT_LIMIT = 10_000
MAX_PAGE_SIZE = 200
_TARGET_MAX = 255  # AuditEntry.target's column size


def person(user: User) -> str:
    """A person as an entry names them: names repeat, addresses don't."""
    return f"{user.name} <{user.email}>"


def record(session: Session, *, actor: User | None, action: AuditAction, target: str, old: str | None = None,
           new: str | None = None) -> AuditEntry:
    """Add one entry to the caller's transaction. `actor=None`: the server's CLI.

    Only the actor's id is used: pages pass the user they loaded in an earlier session."""
    if len(target) > _TARGET_MAX:
        target = target[:_TARGET_MAX - 1] + "…"
    # The time is set here, not left to the column default, so it is the clock the change read.
    entry = AuditEntry(actor_id=actor.id if actor is not None else None, action=AuditAction(action), target=target,
                       old_value=old, new_value=new, created_at=utcnow())
    session.add(entry)
    return entry


def _chosen_actions(actions) -> list[AuditAction] | None:
    """The actions asked for, each once; None: every action. Unknown names are left out, so
    asking only for those gives [] (nothing matches)."""
    actions = list(actions) if actions is not None else []
    if not actions:
        return None
    known = {a.value for a in AuditAction}
    return sorted({AuditAction(str(a)) for a in actions if str(a) in known})


def _conditions(actor_id, since, until) -> list:
    conditions = []
    if actor_id == SERVER:
        conditions.append(AuditEntry.actor_id.is_(None))
    elif actor_id is not None:
        # An id no row can have matches nothing (rather than an integer overflow on PostgreSQL).
        conditions.append(AuditEntry.actor_id == actor_id if is_plausible_id(actor_id) else false())
    if since is not None:
        conditions.append(AuditEntry.created_at >= since)
    if until is not None:
        conditions.append(AuditEntry.created_at < until)
    return conditions


def list_audit_entries(*, session: Session, actor: User, actor_id: int | str | None = None,
                       actions: Iterable[AuditAction | str] | None = None, since: datetime | None = None,
                       until: datetime | None = None, limit: int = 50,
                       offset: int = 0) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, and how many match (counted up to COUNT_LIMIT + 1:
    a total above COUNT_LIMIT means "more than that").

    `actor_id`: a person's id, SERVER for the CLI, None for everyone. `actions`: any of these
    (None or empty: every action). `since` / `until`: aware datetimes, since included, until not.
    Each filter has its index ((actor_id, created_at), (action, created_at), (created_at)), so
    a page reads about `offset + limit` index entries per action whatever the size of the log."""
    ensure_reports_reader(actor)
    for name, value, low in (("limit", limit, 1), ("offset", offset, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValidationError({name: f"Use a whole number from {low}."})
    limit = min(limit, MAX_PAGE_SIZE)
    chosen = _chosen_actions(actions)
    conditions = _conditions(actor_id, since, until)
    newest_first = (AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if chosen is not None and len(chosen) > 1:
        # Several actions: each one's newest `offset + limit` come from its own index range and
        # the page from their merge. One `action IN (...)` would sort every match first: hundreds
        # of thousands of rows at a million entries.
        branches = [select(AuditEntry.id, AuditEntry.created_at).where(AuditEntry.action == action, *conditions)
                    .order_by(*newest_first).limit(offset + limit).subquery() for action in chosen]
        merged = union_all(*(select(branch.c.id, branch.c.created_at) for branch in branches)).subquery()
        page = (select(merged.c.id).order_by(merged.c.created_at.desc(), merged.c.id.desc())
                .limit(limit).offset(offset))
        conditions.append(AuditEntry.action.in_(chosen))
        rows = select(AuditEntry).where(AuditEntry.id.in_(page))
    else:
        if chosen is not None:
            conditions.append(AuditEntry.action == chosen[0] if chosen else false())
        rows = select(AuditEntry).where(*conditions).limit(limit).offset(offset)
    matching = select(AuditEntry.id).where(*conditions).limit(COUNT_LIMIT + 1).subquery()
    total = session.scalar(select(func.count()).select_from(matching)) or 0
    # The actor's name is all a row shows: not their skills (a second query per page otherwise).
    rows = rows.order_by(*newest_first).options(joinedload(AuditEntry.actor).lazyload(User.skills))
    return list(session.scalars(rows)), total


def list_audit_actors(*, session: Session, actor: User) -> list[User]:
    """The people who appear in the log as "who", by name (the page's filter).

    A loose index scan: each step asks the (actor_id, created_at) index for the next actor id,
    so a million entries by twenty people cost twenty index probes, not a million-row DISTINCT."""
    ensure_reports_reader(actor)
    first = select(func.min(AuditEntry.actor_id).label("actor_id")).cte("audit_actors", recursive=True)
    following = (select(select(func.min(AuditEntry.actor_id)).where(AuditEntry.actor_id > first.c.actor_id)
                        .scalar_subquery())
                 .where(first.c.actor_id.is_not(None)))
    actors = first.union_all(following)
    ids = select(actors.c.actor_id).where(actors.c.actor_id.is_not(None))
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name, User.id)))
