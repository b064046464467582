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
