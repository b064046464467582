"""Satisfaction (CSAT): the customer rates the help they got, 1 to 5, once per resolution.

- Asked when a ticket is resolved (lifecycle.transition calls `on_resolved`): one request row,
  crediting the agent assigned at that moment, and a signed link for the resolved mail that
  works without signing in (helpdesk.core.signing; 30 days).
- Answered on the ticket page or through the link: a score, an optional comment and, for a
  score of 3 or less, reasons from a short list. Changeable while the ticket stays resolved.
- Closing freezes it. Reopening (`on_reopened`) lapses a request nobody answered; a rating
  already given stays the rating of that resolution, and the next resolution asks again.
- A ticket closed straight from an open status is not asked about: a closed ticket can't be
  rated, so such a request could never be answered and would only pull the response rate down.
- Staff never rate; they read the ratings of any ticket, and their own (`list_agent_ratings`).

Answering doesn't touch the ticket row (no version step), so a rating never makes an agent's
open form stale."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.orm import Session

from helpdesk.access import ensure_active, ensure_can_view_ticket, ensure_staff, get_by_id
from helpdesk.core import signing
from helpdesk.core.clock import utcnow
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.core.text_checks import text_problem
from helpdesk.enums import SatisfactionReason, TicketStatus
from helpdesk.models import SatisfactionRating, Ticket, User, format_reference
from helpdesk.settings import server_secret
from helpdesk.tickets import report_cells

LINK_PURPOSE = "csat-rating"
LINK_LIFETIME = timedelta(days=30)
SCORES = (1, 2, 3, 4, 5)
LOW_SCORE = 3  # reasons are asked for at this score or below
COMMENT_MAX = 2000

STAFF_CANNOT_RATE = "Agents can't rate tickets: ratings come from the customer who raised the ticket."
NOT_RESOLVED = "A ticket can be rated once it is resolved."
CLOSED = "This ticket is closed, so its rating can't be given or changed any more."
REOPENED = ("This ticket was reopened after you were asked, so that request no longer applies. "
            "You'll be asked again when it is resolved.")
LINK_INVALID = ("This rating link isn't valid: it may have been cut short or changed. Open it from the mail "
                "again, or sign in and rate the ticket on its page.")
LINK_EXPIRED = (f"This rating link has expired (links work for {LINK_LIFETIME.days} days). If the ticket is "
                "still resolved, sign in and rate it on its page.")
LINK_SUPERSEDED = "This ticket was resolved again after this link was sent: use the link in the latest mail."
SCORE_MISSING = "Choose a score: 1 star (poor) to 5 stars (great)."


@dataclass(frozen=True)
class Rating:
    """One request for a rating and its answer, as the pages show it."""

    id: int
    ticket_id: int
    reference: str
    ticket_subject: str
    customer_id: int
    agent_id: int | None
    agent_name: str | None  # the agent credited: the assignee when the rating was asked for
    requested_at: datetime
    score: int | None  # None: asked, no answer (yet)
    comment: str
    reasons: tuple[SatisfactionReason, ...]
    rated_at: datetime | None
    lapsed_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class TicketSatisfaction:
    """A ticket's rating requests, newest first, and the one its current resolution asks."""

    requests: list[Rating]
    current: Rating | None  # the open request of a resolved ticket, answered or not
    can_rate: bool  # the actor may give or change `current` now

    @property
    def answered(self) -> list[Rating]:
        return [r for r in self.requests if r.answered]


@dataclass(frozen=True)
class AgentRatings:
    """The ratings credited to one agent: a summary of all of them and the latest rows."""

    agent_id: int
    count: int
    average: float | None
    satisfied: int  # rated 4 or 5
    latest: list[Rating]


# --- asked and lapsed, from lifecycle.transition -------------------------------------------

def _lapse_open_requests(session: Session, ticket: Ticket, now: datetime) -> None:
    """The ticket's unanswered requests lapse (the report cells are told: no flush sees this). The
    rows the UPDATE really changed say what lapsed: an answer that got in first stays counted."""
    table = SatisfactionRating.__table__
    lapsed = [report_cells.RatingFacts(*row) for row in session.connection().execute(
        table.update().where(table.c.ticket_id == ticket.id, table.c.score.is_(None), table.c.lapsed_at.is_(None))
        .values(lapsed_at=now).returning(*(table.c[name] for name in report_cells.RATING_FIELDS)))]
    if lapsed:
        report_cells.ratings_written(session, ticket.id, before=[r._replace(lapsed_at=None) for r in lapsed],
                                     after=lapsed)


def on_resolved(session: Session, ticket: Ticket, now: datetime) -> str:
    """Ask for a rating of this resolution, crediting the current assignee; returns the signed
    token for the resolved mail's link.

    Written on the session's connection: transition is halfway through changing the ticket, and
    a flush now would write it early (a second version step in one save)."""
    table = SatisfactionRating.__table__
    # A request still open from before makes way (a reopen normally lapsed it already).
    _lapse_open_requests(session, ticket, now)
    rating_id = session.connection().scalar(table.insert().values(
        ticket_id=ticket.id, customer_id=ticket.customer_id, agent_id=ticket.assignee_id, requested_at=now,
        comment="", reasons="").returning(table.c.id))
    report_cells.ratings_written(session, ticket.id, before=[], after=[
        report_cells.RatingFacts(ticket.id, now, ticket.assignee_id, None, None)])
    return rating_link_token(session, rating_id, now + LINK_LIFETIME)


def on_reopened(session: Session, ticket: Ticket, now: datetime) -> None:
    """A reopened ticket's unanswered request lapses (its link says so); an answer stays."""
    _lapse_open_requests(session, ticket, now)


# --- reading --------------------------------------------------------------------------------

def _reasons(stored: str) -> tuple[SatisfactionReason, ...]:
    known = {r.value: r for r in SatisfactionReason}
    return tuple(known[value] for value in stored.split(",") if value in known)


def _view(row: SatisfactionRating, ticket: Ticket, agent_name: str | None) -> Rating:
    return Rating(id=row.id, ticket_id=row.ticket_id, reference=format_reference(row.ticket_id),
                  ticket_subject=ticket.subject, customer_id=row.customer_id, agent_id=row.agent_id,
                  agent_name=agent_name, requested_at=row.requested_at, score=row.score, comment=row.comment or "",
                  reasons=_reasons(row.reasons or ""), rated_at=row.rated_at, lapsed_at=row.lapsed_at)


def _requests(session: Session, ticket: Ticket) -> list[SatisfactionRating]:
    return list(session.scalars(select(SatisfactionRating).where(SatisfactionRating.ticket_id == ticket.id)
                                .order_by(SatisfactionRating.requested_at.desc(), SatisfactionRating.id.desc())))


def _agent_names(session: Session, rows: Iterable[SatisfactionRating]) -> dict[int, str]:
    ids = {row.agent_id for row in rows if row.agent_id is not None}
    if not ids:
        return {}
    return {user_id: name for user_id, name in session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


def _is_current(ticket: Ticket, latest: SatisfactionRating | None) -> bool:
    """Whether the latest request is the one of the ticket's current resolution (it is resolved)."""
    return ticket.status == TicketStatus.RESOLVED and latest is not None and latest.lapsed_at is None


def get_ticket_satisfaction(*, session: Session, actor: User, ticket_id: int) -> TicketSatisfaction:
    """A ticket's ratings, for its customer and for staff (others: NotFound, as for every ticket)."""
    actor = ensure_active(actor)
    ticket = ensure_can_view_ticket(actor, get_by_id(session, Ticket, ticket_id))
    rows = _requests(session, ticket)
    names = _agent_names(session, rows)
    views = [_view(row, ticket, names.get(row.agent_id)) for row in rows]
    current = views[0] if _is_current(ticket, rows[0] if rows else None) else None
    return TicketSatisfaction(requests=views, current=current,
                              can_rate=current is not None and ticket.customer_id == actor.id and not actor.is_staff)


def list_agent_ratings(*, session: Session, actor: User, agent_id: int | None = None,
                       limit: int = 20) -> AgentRatings:
    """The answered ratings credited to an agent, newest first: agents see their own; managers and
    administrators anyone's."""
    actor = ensure_staff(actor)
    agent_id = actor.id if agent_id is None else agent_id
    if agent_id != actor.id and not actor.role.reads_reports:
        raise PermissionDenied("You can see the ratings of your own tickets.")
    answered = (SatisfactionRating.agent_id == agent_id, SatisfactionRating.score.is_not(None))
    count, average, satisfied = session.execute(
        select(func.count(), func.avg(SatisfactionRating.score),
               func.coalesce(func.sum(case((SatisfactionRating.score >= 4, 1), else_=0)), 0))
        .where(*answered)).one()
    rows = session.execute(
        select(SatisfactionRating, Ticket).join(Ticket, Ticket.id == SatisfactionRating.ticket_id).where(*answered)
        .order_by(SatisfactionRating.requested_at.desc(), SatisfactionRating.id.desc()).limit(limit)).all()
    agent = session.get(User, agent_id)
    name = agent.name if agent is not None else None
    return AgentRatings(agent_id=agent_id, count=count or 0, average=float(average) if average is not None else None,
                        satisfied=int(satisfied or 0), latest=[_view(row, ticket, name) for row, ticket in rows])


# --- answering ------------------------------------------------------------------------------

def _checked(score: object, comment: object, reasons: Iterable[object] | None) -> tuple[int, str, str]:
    """(score, comment, reasons as stored), or ValidationError naming each field. Reasons only
    explain a low score: with 4 or 5 any chosen are dropped."""
    errors: dict[str, str] = {}
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        errors["score"] = SCORE_MISSING
    if comment is not None and not isinstance(comment, str):
        comment = str(comment)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"Use at most {COMMENT_MAX:,} characters (now {len(comment):,})."
    elif problem := text_problem(comment, multiline=True):
        errors["comment"] = problem
    chosen: set[SatisfactionReason] = set()
    for reason in reasons or ():
        try:
            chosen.add(SatisfactionReason(reason))
        except ValueError:
            errors["reasons"] = "Choose the reasons from the list."
    if errors:
        raise ValidationError(errors)
    stored = ",".join(r.value for r in SatisfactionReason if r in chosen) if score <= LOW_SCORE else ""
    return score, comment, stored


def _answer(session: Session, row: SatisfactionRating, ticket: Ticket, score: object, comment: object,
            reasons: Iterable[object] | None) -> Rating:
    score, comment, stored = _checked(score, comment, reasons)
    # Only while the request is open and the ticket resolved: a reopen that lapsed it, or a close,
    # that got in first (at the same moment) wins.
    still_resolved = exists().where(Ticket.id == SatisfactionRating.ticket_id, Ticket.status == TicketStatus.RESOLVED)
    # Locked first: of two answers at once (a double click, the page and the mailed link), the
    # second waits here and then counts as a change of the first, not as a second answer.
    before = report_cells.rating_facts_of(session, row.id, lock=True)
    result = session.execute(
        update(SatisfactionRating)
        .where(SatisfactionRating.id == row.id, SatisfactionRating.lapsed_at.is_(None), still_resolved)
        .values(score=score, comment=comment, reasons=stored, rated_at=utcnow())
        .execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        raise ValidationError({"__all__": REOPENED})
    # A conditional UPDATE statement, which no flush sees: the report cells are told here.
    report_cells.ratings_written(session, ticket.id, before=[before],
                                 after=[report_cells.rating_facts_of(session, row.id)])
    session.flush()
    names = _agent_names(session, [row])
    return _view(row, ticket, names.get(row.agent_id))


def _refusal(ticket: Ticket, row: SatisfactionRating, latest: SatisfactionRating) -> str | None:
    """Why this request can't be answered now, or None."""
    if row.lapsed_at is not None:
        return REOPENED
    if row.id != latest.id:
        return LINK_SUPERSEDED
    if ticket.status == TicketStatus.CLOSED:
        return CLOSED
    if ticket.status != TicketStatus.RESOLVED:
        return REOPENED  # reopened after it was answered: the next resolution asks again
    return None


def rate_ticket(*, session: Session, actor: User, ticket_id: int, score: int, comment: str = "",
                reasons: Iterable[SatisfactionReason | str] = ()) -> Rating:
    """The customer rates (or re-rates) the current resolution of their own ticket."""
    actor = ensure_active(actor)
    if actor.is_staff:
        raise PermissionDenied(STAFF_CANNOT_RATE)
    ticket = ensure_can_view_ticket(actor, get_by_id(session, Ticket, ticket_id))  # someone else's: NotFound
    rows = _requests(session, ticket)
    if not rows:
        raise ValidationError({"__all__": CLOSED if ticket.status == TicketStatus.CLOSED else NOT_RESOLVED})
    refusal = _refusal(ticket, rows[0], rows[0])
    if refusal is not None:
        raise ValidationError({"__all__": NOT_RESOLVED if refusal == REOPENED else refusal})
    return _answer(session, rows[0], ticket, score, comment, reasons)


def _by_token(session: Session, token: object) -> tuple[SatisfactionRating, Ticket, SatisfactionRating]:
    secret = server_secret(session, create=False)
    try:
        if secret is None:
            raise signing.InvalidToken("no secret yet: no link was ever made")
        contents = signing.read_token(secret, LINK_PURPOSE, token, now=utcnow())
    except signing.ExpiredToken:
        raise ValidationError({"token": LINK_EXPIRED}) from None
    except signing.InvalidToken:
        raise ValidationError({"token": LINK_INVALID}) from None
    row = get_by_id(session, SatisfactionRating, contents.item_id)
    ticket = get_by_id(session, Ticket, row.ticket_id) if row is not None else None
    if row is None or ticket is None:
        raise ValidationError({"token": LINK_INVALID})
    latest = _requests(session, ticket)[0]
    return row, ticket, latest


def rating_for_link(*, session: Session, token: str) -> Rating:
    """What a mailed rating link asks about, if it can be answered now; otherwise
    ValidationError({"token": why}). Needs no sign-in: the signed token is the permission."""
    row, ticket, latest = _by_token(session, token)
    refusal = _refusal(ticket, row, latest)
    if refusal is not None:
        raise ValidationError({"token": refusal})
    return _view(row, ticket, _agent_names(session, [row]).get(row.agent_id))


def rate_by_token(*, session: Session, token: str, score: int, comment: str = "",
                  reasons: Iterable[SatisfactionReason | str] = (), actor: User | None = None) -> Rating:
    """Answer (or change) the request a mailed link names, signed in or not. Someone signed in as
    staff is refused: the link is the customer's."""
    if actor is not None and actor.is_staff:
        raise PermissionDenied(STAFF_CANNOT_RATE)
    row, ticket, latest = _by_token(session, token)
    refusal = _refusal(ticket, row, latest)
    if refusal is not None:
        raise ValidationError({"token": refusal})
    return _answer(session, row, ticket, score, comment, reasons)


def rating_link_token(session: Session, rating_id: int, expires_at: datetime) -> str:
    """A signed token for one request (what on_resolved mails; tests make expired ones with it)."""
    return signing.make_token(server_secret(session), LINK_PURPOSE, rating_id, expires_at)
