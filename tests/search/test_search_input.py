"""Whatever is typed into a search box gets results or a clear message, never a crash, and
non-ASCII text is found on SQLite as on PostgreSQL (issue 9, items 5 and 6)."""
from __future__ import annotations

import pytest

from helpdesk.tickets import customer, queue
from helpdesk.tickets.queue import QueueFilters, QueueView

ODD_INPUT = ["²", "CCR-²", "\x00", "a\x00b", "Émile\x00", "\u202eevil", "٣", "%_\\", '"', "*", "NEAR(a b)"]


def queue_subjects(desk, text: str, **filters) -> list[str]:
    page = desk.act(desk.agent, queue.list_queue, view=QueueView.ALL_OPEN,
                    filters=QueueFilters(text=text, **filters))
    return [row.subject for row in page.rows]


def my_subjects(desk, text: str) -> list[str]:
    return [t.subject for t in desk.act(desk.customer, customer.list_customer_tickets, search=text).rows]


@pytest.mark.parametrize("text", ODD_INPUT, ids=repr)
def test_odd_search_text_finds_nothing_or_something_but_never_crashes(desk, text):
    desk.raise_ticket(subject="Invoice for Émile")
    assert isinstance(queue_subjects(desk, text), list)
    assert isinstance(my_subjects(desk, text), list)


def test_a_nul_inside_a_search_is_ignored_like_any_invisible_character(desk):
    desk.raise_ticket(subject="Invoice for Émile")
    assert queue_subjects(desk, "Invo\x00ice") == ["Invoice for Émile"]
    assert my_subjects(desk, "Invo\x00ice") == ["Invoice for Émile"]


@pytest.mark.parametrize("typed", ["Émile", "émile", "ÉMILE", "mile", "Straße", "STRASSE".lower()[:5]])
def test_non_ascii_subjects_are_found_ignoring_case_on_every_database(desk, typed):
    desk.raise_ticket(subject="Invoice for Émile")
    desk.raise_ticket(subject="Delivery to Straße 5")
    desk.raise_ticket(subject="Nothing to see")
    expected = {"Émile": ["Invoice for Émile"], "émile": ["Invoice for Émile"], "ÉMILE": ["Invoice for Émile"],
                "mile": ["Invoice for Émile"], "Straße": ["Delivery to Straße 5"], "stras": []}[typed]
    assert queue_subjects(desk, typed) == expected
    assert my_subjects(desk, typed) == expected


def test_impossible_filter_ids_match_nothing(desk):
    desk.raise_ticket(subject="Invoice")
    assert queue_subjects(desk, "", category_ids=(2**63,)) == []
    assert queue_subjects(desk, "", assignee_id=2**63) == []
