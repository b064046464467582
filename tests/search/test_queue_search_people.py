"""The agent queue's search box finds a ticket by its customer: any part of the customer's
name or e-mail address, ignoring case (non-ASCII too), with or without an "@", beside the
subject words and references it already found. The view and the other filters still apply,
and % and _ are plain characters (issue 9, item 17). Both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.core.clock import utcnow
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import format_reference
from helpdesk.search import text_index
from helpdesk.tickets.queue import QueueFilters, QueueView, list_queue
from tests.factories import add_user


@pytest.fixture
def world(desk):
    """Carla Customer (carla@example.com) and three more customers, each with a ticket whose
    subject names nobody, so only the customer's name or address can find it."""
    bob = add_user(desk.engine, email="bob.builder@example.net", name="Bob Builder")
    emile = add_user(desk.engine, email="ez@example.fr", name="Émile Zola")  # the accent only in the name
    dora = add_user(desk.engine, email="d_ora@example.org", name="100% Dora")
    now = utcnow()
    return {
        "carla": desk.raise_ticket(subject="Printer jammed"),
        "carla urgent": desk.raise_ticket(subject="Cannot log in", priority=Priority.URGENT,
                                          assignee_id=desk.agent.id),
        "carla closed": desk.raise_ticket(subject="Old invoice", status=TicketStatus.CLOSED,
                                          resolved_at=now - timedelta(days=2), closed_at=now - timedelta(days=1)),
        "bob": desk.raise_ticket(customer=bob, subject="Parcel lost"),
        "emile": desk.raise_ticket(customer=emile, subject="Refund please"),
        "dora": desk.raise_ticket(customer=dora, subject="Wrong size"),
    }


def found(desk, world, text: str, view: QueueView = QueueView.ALL_OPEN, **filters) -> set[str]:
    """The world's tickets the agent's search shows (every one of them: the total agrees)."""
    page = desk.act(desk.agent, list_queue, view=view, filters=QueueFilters(text=text, **filters), page_size=100)
    assert page.total == len(page.rows)
    names = {ticket_id: name for name, ticket_id in world.items()}
    return {names[row.id] for row in page.rows}


CARLAS_OPEN = {"carla", "carla urgent"}


@pytest.mark.parametrize("typed", ["carla", "Carla", "CARLA", "carla cust", "Customer", "  carla  ", "arla c"])
def test_a_customers_name_finds_their_tickets_and_no_one_elses(desk, world, typed):
    assert found(desk, world, typed) == CARLAS_OPEN


@pytest.mark.parametrize("typed, expected", [
    ("carla.c", set()),  # not in any address: Carla's is carla@example.com
    ("carla@", CARLAS_OPEN),
    ("bob.b", {"bob"}),
    ("example.net", {"bob"}),
    ("EXAMPLE.NET", {"bob"}),
    ("ez@", {"emile"}),
    (".fr", {"emile"}),
    ("example", CARLAS_OPEN | {"bob", "emile", "dora"}),
    ("@example.org", {"dora"}),
    ("carla@example.com", CARLAS_OPEN),  # a whole address, as before
])
def test_part_of_an_e_mail_address_finds_that_customers_tickets(desk, world, typed, expected):
    assert found(desk, world, typed) == expected


@pytest.mark.parametrize("typed", ["émile", "Émile", "ÉMILE", "émile z", "zola", "ZOLA"])
def test_a_non_ascii_name_is_found_in_any_case(desk, world, typed):
    assert found(desk, world, typed) == {"emile"}


def test_accents_still_count_as_in_subjects(desk, world):
    assert found(desk, world, "emile") == set()  # the name has É, the address ez@: no match


def test_the_subject_and_the_customer_are_both_searched(desk, world):
    zola_subject = desk.raise_ticket(subject="Zola's books arrived torn")  # Carla's, "zola" in the subject
    world = {**world, "carla zola subject": zola_subject}
    assert found(desk, world, "zola") == {"emile", "carla zola subject"}
    assert found(desk, world, "parcel") == {"bob"}  # subject words as before


def test_the_assignees_name_is_not_the_customers(desk, world):
    assert found(desk, world, "alex") == set()  # Alex is assigned to Carla's urgent ticket, not its customer


def test_the_view_and_the_other_filters_still_apply(desk, world):
    assert found(desk, world, "carla") == CARLAS_OPEN  # the closed one is not open
    assert found(desk, world, "carla", QueueView.RECENTLY_RESOLVED) == {"carla closed"}
    assert found(desk, world, "carla", QueueView.MY_OPEN) == {"carla urgent"}
    assert found(desk, world, "carla", QueueView.UNASSIGNED) == {"carla"}
    assert found(desk, world, "carla", priorities=(Priority.URGENT,)) == {"carla urgent"}
    assert found(desk, world, "carla", statuses=(TicketStatus.IN_PROGRESS,)) == set()
    assert found(desk, world, "bob", priorities=(Priority.URGENT,)) == set()
    assert found(desk, world, "example", assignee_id=desk.agent.id) == {"carla urgent"}


@pytest.mark.parametrize("typed, expected", [
    ("%", {"dora"}),  # only Dora's name has a %; as a wildcard it would match everyone
    ("100%", {"dora"}),
    ("0% d", {"dora"}),
    ("_", {"dora"}),  # only d_ora@ has an underscore
    ("d_o", {"dora"}),
    ("b_b", set()),  # as a wildcard it would match bob.builder
    ("c%a", set()),  # as a wildcard it would match Carla
])
def test_percent_and_underscore_are_plain_characters(desk, world, typed, expected):
    assert found(desk, world, typed) == expected


def test_references_find_one_ticket_as_before(desk, world):
    bob = world["bob"]
    assert found(desk, world, format_reference(bob)) == {"bob"}
    assert found(desk, world, f"#{bob}") == {"bob"}
    assert found(desk, world, format_reference(world["carla closed"])) == set()  # closed: not in All open


def test_a_search_matching_more_customers_than_are_listed_finds_the_same(desk, world, monkeypatch):
    """Past LISTED_CUSTOMERS_MAX matching customers (a whole domain) the ticket queries look the
    customers up themselves instead of taking a list of ids: the answers do not change."""
    monkeypatch.setattr(text_index, "LISTED_CUSTOMERS_MAX", 0)  # every search past it
    ida = add_user(desk.engine, email="ida@mail.test", name="Ida")
    world = {**world, "ida zola subject": desk.raise_ticket(customer=ida, subject="Books by Zola arrived torn")}
    assert found(desk, world, "zola") == {"emile", "ida zola subject"}  # the customer and the subject
    assert found(desk, world, "example") == CARLAS_OPEN | {"bob", "emile", "dora"}
    assert found(desk, world, "example", QueueView.RECENTLY_RESOLVED) == {"carla closed"}
    assert found(desk, world, "example", priorities=(Priority.URGENT,)) == {"carla urgent"}
    assert found(desk, world, "o") == CARLAS_OPEN | {"bob", "emile", "dora", "ida zola subject"}
    assert found(desk, world, "ÉMILE") == {"emile"}
    assert found(desk, world, "_") == {"dora"}
