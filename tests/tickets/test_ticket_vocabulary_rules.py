"""Rules the issue-8 reshaping gave a home of their own, pinned so a weaker version can't pass
(they survived the mutation run): which categories nobody handles, and the words for a status
or priority that isn't one. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.models import AgentSkill, Category, User
from helpdesk.tickets import assignment, bulk, staff
from tests.factories import add_category, give_skills


def test_uncovered_categories_are_the_active_ones_no_active_staff_member_handles_by_name(desk):
    # Made out of name order, so an order by id would show.
    warranty, accounts, shipping, returns = (add_category(desk.engine, name)
                                             for name in ("Warranty", "Accounts", "Shipping", "Returns"))
    give_skills(desk.engine, desk.agent, shipping)  # Alex, active: Shipping is covered
    give_skills(desk.engine, desk.agent2, warranty)  # Bo leaves: Warranty is not
    give_skills(desk.engine, desk.admin, desk.category)  # an admin with a skill covers Billing
    with session_scope(desk.engine) as session:
        session.execute(update(User).where(User.id == desk.agent2.id).values(is_active=False))
        # A skill row left on a customer's account (a demoted agent) covers nothing.
        session.add(AgentSkill(agent_id=desk.customer.id, category_id=accounts.id))
        session.execute(update(Category).where(Category.id == returns.id).values(is_active=False))
    uncovered = desk.act(desk.admin, assignment.uncovered_categories)
    assert [c.name for c in uncovered] == ["Accounts", "Warranty"]  # Returns is retired: not listed


@pytest.mark.parametrize("field,value,message", [("status", "bogus", "Choose a status."),
                                                 ("priority", "bogus", "Choose a priority.")])
def test_a_status_or_priority_that_is_not_one_is_refused_in_words_at_its_field(desk, field, value, message):
    ticket_id = desk.raise_ticket()
    with pytest.raises(ValidationError) as single:
        desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, **{field: value})
    assert single.value.field_errors == {field: message}
    with pytest.raises(ValidationError) as in_bulk:
        desk.act(desk.agent, bulk.bulk_update, ticket_ids=[ticket_id], **{field: value})
    assert in_bulk.value.field_errors == {field: message}


# --- bulk closing (issue 9, item 13) -------------------------------------------------------------

NEVER_ANSWERED = "Never answered: a ticket nobody replied to can't be closed in bulk; reply to it first."


def test_bulk_close_refuses_tickets_that_never_had_a_public_reply_and_closes_the_answered(desk):
    answered, unanswered, noted = desk.raise_ticket(subject="Answered"), desk.raise_ticket(), desk.raise_ticket()
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=answered, body="Fixed on our side.")
    desk.act(desk.agent, staff.add_internal_note, ticket_id=noted, body="Looked at it.")  # not an answer
    result = desk.act(desk.agent, bulk.bulk_update, ticket_ids=[answered, unanswered, noted], status="closed")
    assert result.updated == [answered]
    assert result.skipped == {unanswered: NEVER_ANSWERED, noted: NEVER_ANSWERED}
    assert desk.ticket(unanswered).status == "new" and desk.ticket(noted).status == "new"
    assert desk.ticket(answered).status == "closed"


def test_one_unanswered_ticket_can_still_be_closed_from_its_own_page(desk):
    """The refusal is for bulk work only: an agent closing one ticket on purpose may."""
    ticket_id = desk.raise_ticket()
    desk.act(desk.agent, staff.update_ticket, ticket_id=ticket_id, status="closed")
    assert desk.ticket(ticket_id).status == "closed"
