"""Subject search through its index (FTS5 trigram table on SQLite, pg_trgm GIN on PostgreSQL)
finds exactly what a case-insensitive substring match finds, in My tickets and in the agent
queue (which also matches the customer's name and e-mail), and the index follows inserts,
edits, deletes and bulk seeding. Both backends."""
from __future__ import annotations

import pytest
from sqlalchemy import func, or_, select, text

from helpdesk.core.db import session_scope
from helpdesk.demo.load import seed_demo
from helpdesk.models import Ticket, User
from helpdesk.search import text_index
from helpdesk.search.text_index import escape_like
from helpdesk.tickets import customer as tickets_customer, queue
from helpdesk.tickets.queue import QueueFilters, QueueView
from tests.factories import add_category, add_user, as_user, raise_ticket

SUBJECTS = [
    "Refund not received",
    "Second REFUND request for order 874719",
    "Refunded twice by mistake",
    "Herr Müller cannot log in",
    "Café crème machine leaks",
    "cafe without accent",
    'He said "urgent" twice',
    "Search for * wildcard and NEAR( brackets",
    "Discount -10% not applied",
    "under_score in my user name",
    "AND OR NOT are just words",
    "Printer is jammed",
    "ab",
]

SEARCHES = [
    "efun", "REFUND", "refund", "und ", "874719", "Müller", "müller", "café", "Café", "cafe",
    '"', '"urgent"', 'said "ur', "*", "* wild", "NEAR(", "near( b", "-10%", "10%", "%", "_", "r_s", "under_",
    "AND", "and or", "OR NOT", "a", "ab", "e ", "zz", "zzz", "^", "subject:refund", "refund*", "'", "''",
]


@pytest.fixture
def olli(desk):
    """A second customer with tickets of the same subjects, which Carla's My tickets must not show."""
    return add_user(desk.engine, email="olli@example.com")


@pytest.fixture
def ticket_ids(desk, olli) -> dict[tuple[str, int], int]:
    """Every subject raised by Carla and by Olli: (subject, customer id) -> ticket id."""
    return {(subject, owner.id): desk.raise_ticket(customer=owner, subject=subject, description="d")
            for subject in SUBJECTS for owner in (desk.customer, olli)}


def my_tickets(engine, customer, search: str) -> set[int]:
    page = as_user(engine, customer, tickets_customer.list_customer_tickets, search=search, limit=100)
    assert page.total == len(page.rows)
    return {t.id for t in page.rows}


def queue_search(engine, agent, search: str) -> set[int]:
    page = as_user(engine, agent, queue.list_queue, view=QueueView.ALL_OPEN, filters=QueueFilters(text=search),
                   page_size=100)
    assert page.total == len(page.rows)
    return {row.id for row in page.rows}


def like_reference(engine, search: str, customer_id: int | None = None) -> set[int]:
    """What a plain case-insensitive LIKE finds, without any index: the meaning search keeps."""
    needle = search.strip().lower()
    query = select(Ticket.id).where(func.lower(Ticket.subject).like(f"%{escape_like(needle)}%", escape="\\"))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    with session_scope(engine) as session:
        return set(session.scalars(query))


def queue_reference(engine, search: str) -> set[int]:
    """What the agent queue's search means (issue 9, item 17): the subject, or the customer's
    name or e-mail address, contains the text, by the same plain LIKE."""
    needle = f"%{escape_like(search.strip().lower())}%"
    query = (select(Ticket.id).join(User, User.id == Ticket.customer_id)
             .where(or_(func.lower(Ticket.subject).like(needle, escape="\\"),
                        func.lower(User.name).like(needle, escape="\\"),
                        func.lower(User.email).like(needle, escape="\\"))))
    with session_scope(engine) as session:
        return set(session.scalars(query))


def subjects_of(engine, ids: set[int]) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(Ticket.subject).where(Ticket.id.in_(ids))))


def fts_integrity_check(engine) -> None:
    """On SQLite, FTS5 compares its index with the tickets table and raises if they differ."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql(f"INSERT INTO {text_index.FTS_TABLE}({text_index.FTS_TABLE}, rank) "
                                       "VALUES ('integrity-check', 1)")


@pytest.mark.parametrize("search", SEARCHES)
def test_search_finds_exactly_what_a_substring_match_finds(desk, ticket_ids, search):
    assert my_tickets(desk.engine, desk.customer, search) == like_reference(desk.engine, search, desk.customer.id)
    assert queue_search(desk.engine, desk.agent, search) == queue_reference(desk.engine, search)


def test_what_a_person_searching_sees(desk, ticket_ids):
    engine, customer, agent = desk.engine, desk.customer, desk.agent
    refunds = {"Refund not received", "Second REFUND request for order 874719", "Refunded twice by mistake"}
    assert subjects_of(engine, my_tickets(engine, customer, "efun")) == refunds  # middle of a word
    assert subjects_of(engine, my_tickets(engine, customer, "rEfUnD")) == refunds  # any case
    assert subjects_of(engine, my_tickets(engine, customer, "MÜLLER")) == {"Herr Müller cannot log in"}
    assert subjects_of(engine, my_tickets(engine, customer, "café")) == {"Café crème machine leaks"}
    assert subjects_of(engine, my_tickets(engine, customer, "cafe")) == {"cafe without accent"}  # accents count
    assert subjects_of(engine, my_tickets(engine, customer, '"urgent"')) == {'He said "urgent" twice'}
    assert subjects_of(engine, my_tickets(engine, customer, "NEAR(")) == {"Search for * wildcard and NEAR( brackets"}
    assert subjects_of(engine, my_tickets(engine, customer, "* wild")) == {"Search for * wildcard and NEAR( brackets"}
    assert subjects_of(engine, my_tickets(engine, customer, "-10%")) == {"Discount -10% not applied"}
    assert subjects_of(engine, my_tickets(engine, customer, "r_s")) == {"under_score in my user name"}
    assert subjects_of(engine, my_tickets(engine, customer, "AND OR")) == {"AND OR NOT are just words"}
    assert subjects_of(engine, my_tickets(engine, customer, "ab")) == {"ab"}  # shorter than a trigram
    assert my_tickets(engine, customer, "refund*") == set()  # * is a character here, not a prefix search
    assert subjects_of(engine, queue_search(engine, agent, "874719")) == {"Second REFUND request for order 874719"}


def test_an_edited_subject_is_found_by_its_new_words_only(desk, ticket_ids):
    engine, customer, agent = desk.engine, desk.customer, desk.agent
    ticket_id = ticket_ids[("Printer is jammed", customer.id)]
    with session_scope(engine) as session:
        session.get(Ticket, ticket_id).subject = "Scanner feeds crooked pages"
    assert my_tickets(engine, customer, "crooked") == {ticket_id}
    assert ticket_id not in my_tickets(engine, customer, "printer")
    assert ticket_id in queue_search(engine, agent, "SCANNER")
    fts_integrity_check(engine)


def test_deleted_tickets_vanish_from_search(desk, olli, ticket_ids):
    engine, customer, agent = desk.engine, desk.customer, desk.agent
    gone = ticket_ids[("Printer is jammed", olli.id)]
    with session_scope(engine) as session:
        session.delete(session.get(Ticket, gone))
    assert queue_search(engine, agent, "jammed") == {ticket_ids[("Printer is jammed", customer.id)]}
    fts_integrity_check(engine)


def test_new_tickets_are_found_at_once(desk, ticket_ids):
    ticket_id = desk.raise_ticket(subject="Übergröße parcel stuck", description="Where is it?")
    assert my_tickets(desk.engine, desk.customer, "größe") == {ticket_id}
    fts_integrity_check(desk.engine)


def test_the_search_index_exists_after_migrating(engine):
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"))
                        .scalars())
            fts = text_index.FTS_TABLE
            assert {fts, f"{fts}_after_insert", f"{fts}_after_update", f"{fts}_after_delete"} <= names
        else:
            definition = connection.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name "
                                                 "AND schemaname = current_schema()"),
                                            {"name": text_index.PG_TRIGRAM_INDEX}).scalar()
            assert definition is not None
            assert "gin" in definition and "lower((subject)::text)" in definition and "gin_trgm_ops" in definition


def test_sqlite_searches_of_three_characters_or_more_go_through_the_index(sqlite_engine):
    with session_scope(sqlite_engine) as session:
        def sql(search):
            return str(select(Ticket.id).where(text_index.subject_contains(session, search)))
        assert "MATCH" in sql("refund")
        assert "MATCH" not in sql("re")  # too short for a trigram: LIKE alone


def test_bulk_seeded_tickets_are_indexed(engine):
    seed_demo(engine, tickets=300, customers=20, agents=3, days=30)
    fts_integrity_check(engine)
    with session_scope(engine) as session:
        subjects = session.scalars(select(Ticket.subject).distinct().limit(5)).all()
        for search in [subject.split()[-1][:5] for subject in subjects] + ["the", "ing"]:
            found = set(session.scalars(select(Ticket.id).where(text_index.subject_contains(session, search))))
            assert found == like_reference(engine, search), search
            assert found or search in ("the", "ing")


def test_an_interrupted_seed_leaves_search_indexed_and_the_triggers_in_place(sqlite_engine):
    engine = sqlite_engine  # the seeder pauses the SQLite triggers; PostgreSQL has none to pause
    def stop_after_first_chunk(_count):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed_demo(engine, tickets=200, customers=5, agents=2, days=10, chunk_size=50, progress=stop_after_first_chunk)
    fts_integrity_check(engine)
    test_the_search_index_exists_after_migrating(engine)
    customer = add_user(engine, email="late@example.com")
    ticket_id = raise_ticket(engine, customer=customer, category=add_category(engine, "Late"),
                             subject="Written after the seed", description="d")
    assert my_tickets(engine, customer, "after the") == {ticket_id}
    fts_integrity_check(engine)
