"""The resolved tickets an agent is shown beside a ticket (related.similar_resolved_tickets), on
SQLite and PostgreSQL: the closest first, only finished tickets of the same category, nothing that
merely shares the category, and staff only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.core.clock import utcnow
from helpdesk.core.errors import NotFound, PermissionDenied
from helpdesk.enums import TicketStatus
from helpdesk.knowledge.related import SIMILAR_TICKETS_MAX, similar_resolved_tickets
from helpdesk.models import format_reference
from tests.factories import add_category

PASSWORD_TICKETS = ("Password reset e-mail never arrives", "Reset link for my password does not arrive",
                    "Forgot password, no reset link", "Reset password link expired", "Cannot reset my password",
                    "Where is my password reset email")
UNRELATED_TICKETS = ("Charged twice for my plan", "Invoice address is wrong", "Refund for a cancelled order")


def resolved(desk, subject: str, *, category=None, status=TicketStatus.RESOLVED, days_ago: int = 1) -> int:
    return desk.raise_ticket(subject=subject, category=category, status=status,
                             resolved_at=utcnow() - timedelta(days=days_ago))


def test_the_closest_finished_tickets_of_the_category_come_first(desk):
    ids = {subject: resolved(desk, subject) for subject in PASSWORD_TICKETS + UNRELATED_TICKETS}
    closed = resolved(desk, "Password reset mail did not arrive", status=TicketStatus.CLOSED, days_ago=9)
    still_open = desk.raise_ticket(subject="Password reset link never arrives")  # not finished: no answer in it
    elsewhere = resolved(desk, "Password reset link never arrives", category=add_category(desk.engine, "Shipping"))
    ticket = desk.raise_ticket(subject="Password reset link never arrives",
                               description="I asked three times for a reset link and nothing came.")

    found = desk.act(desk.agent, similar_resolved_tickets, ticket_id=ticket)

    assert len(found) == SIMILAR_TICKETS_MAX
    assert [t.similarity for t in found] == sorted((t.similarity for t in found), reverse=True)
    assert found[0].subject in ("Password reset e-mail never arrives", "Password reset mail did not arrive")
    assert {t.id for t in found} <= {*(ids[s] for s in PASSWORD_TICKETS), closed}
    assert not {t.id for t in found} & {ticket, still_open, elsewhere, *(ids[s] for s in UNRELATED_TICKETS)}
    first = found[0]
    assert first.reference == format_reference(first.id)
    assert first.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and first.resolved_at is not None


def test_tickets_that_only_share_the_category_are_not_offered(desk):
    for subject in UNRELATED_TICKETS:
        resolved(desk, subject)
    ticket = desk.raise_ticket(subject="Password reset link never arrives")
    assert desk.act(desk.agent, similar_resolved_tickets, ticket_id=ticket) == []


def test_a_category_without_finished_tickets_offers_none(desk):
    ticket = desk.raise_ticket(subject="Password reset link never arrives")
    desk.raise_ticket(subject="Password reset link never arrives either")
    assert desk.act(desk.agent, similar_resolved_tickets, ticket_id=ticket) == []


def test_only_staff_see_similar_tickets_and_a_missing_ticket_is_not_found(desk):
    resolved(desk, "Password reset e-mail never arrives")
    ticket = desk.raise_ticket(subject="Password reset link never arrives")
    with pytest.raises(PermissionDenied):
        desk.act(desk.customer, similar_resolved_tickets, ticket_id=ticket)
    with pytest.raises(NotFound):
        desk.act(desk.agent, similar_resolved_tickets, ticket_id=ticket + 1000)
    assert [t.subject for t in desk.act(desk.admin, similar_resolved_tickets, ticket_id=ticket)] == [
        "Password reset e-mail never arrives"]
