"""The report cells (analytics rollup) kept by the flush listener as tickets change equal the cells
rebuilt from scratch: after a whole fixed helpdesk's life, after a ticket changes category and
priority once rated, after a rating is answered and withdrawn, and when the report zone moves."""
from __future__ import annotations

from datetime import time

import numpy as np
from sqlalchemy import func, select

from helpdesk import settings
from helpdesk.core.db import session_scope
from helpdesk.enums import Priority, TicketStatus
from helpdesk.models import AppSetting, Ticket, User, rating_cells, report_cells
from helpdesk.tickets import customer, metrics, report_cells as cells, satisfaction, staff
from tests.analytics.world import build_world
from tests.factories import add_category


def _snapshot(engine) -> dict:
    """Every cell, its durations as sorted lists (their order inside a cell means nothing)."""
    out = {}
    with session_scope(engine) as session:
        for table in (report_cells, rating_cells):
            for row in session.execute(select(table)).mappings():
                key = (table.name, *(row[c] for c in list(row.keys())[:4]))
                out[key] = {name: (sorted(np.frombuffer(value, dtype=cells.VALUE_DTYPE).tolist())
                                   if isinstance(value, bytes | memoryview) else value)
                            for name, value in row.items()}
    return out


def _rebuilt(engine) -> dict:
    with session_scope(engine) as session:
        cells.rebuild(session)
    return _snapshot(engine)


def _assert_kept_equals_rebuilt(engine) -> dict:
    kept = _snapshot(engine)
    rebuilt = _rebuilt(engine)
    assert kept.keys() == rebuilt.keys()
    for key in kept:
        assert kept[key] == rebuilt[key], key
    return kept


def test_cells_kept_through_a_helpdesks_life_equal_the_rebuilt_ones(desk, clock):
    build_world(desk, clock)
    kept = _assert_kept_equals_rebuilt(desk.engine)
    with session_scope(desk.engine) as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        resolved = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.resolved_at.is_not(None)))
    report = [v for k, v in kept.items() if k[0] == "report_cells"]
    assert sum(c["created"] for c in report) == tickets > 50
    assert sum(c["resolved"] for c in report) == resolved > 30
    assert sum(c["reopened"] for c in report) > 0
    assert sum(len(c["resolution_values"]) for c in report) == resolved
    assert sum(c["rated"] for k, c in kept.items() if k[0] == "rating_cells") > 10


def test_a_rated_ticket_moving_category_and_priority_moves_its_rating(desk, clock):
    build_world(desk, clock)
    other = add_category(desk.engine, "Returns")
    with session_scope(desk.engine) as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.status == TicketStatus.RESOLVED).order_by(Ticket.id))
    desk.act(desk.admin, staff.change_category, ticket_id=ticket_id, category_id=other.id)
    desk.act(desk.admin, staff.change_priority, ticket_id=ticket_id, priority=Priority.URGENT)
    kept = _assert_kept_equals_rebuilt(desk.engine)
    assert any(k[0] == "rating_cells" and k[2] == other.id and k[3] == "urgent" for k in kept)


def _rating_cells(kept: dict) -> list[tuple[int, int, int, int]]:
    return [(c["requests"], c["rated"], c["score_sum"], c["happy"]) for k, c in kept.items() if k[0] == "rating_cells"]


def test_asking_withdrawing_and_answering_ratings_follow_into_the_cells(desk, clock):
    ticket_id = desk.raise_ticket(subject="Parcel lost")
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Found it.")
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert _rating_cells(_assert_kept_equals_rebuilt(desk.engine)) == [(1, 0, 0, 0)]  # asked
    desk.act(desk.customer, customer.add_customer_reply, ticket_id=ticket_id, body="Still broken.")  # reopens
    kept = _assert_kept_equals_rebuilt(desk.engine)
    assert _rating_cells(kept) == []  # the unanswered request lapsed with the reopen
    (cell,) = [v for k, v in kept.items() if k[0] == "report_cells"]
    assert (cell["created"], cell["resolved"], cell["reopened"]) == (1, 0, 1)
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    desk.act(desk.customer, satisfaction.rate_ticket, ticket_id=ticket_id, score=2, comment="Slow")
    assert _rating_cells(_assert_kept_equals_rebuilt(desk.engine)) == [(1, 1, 2, 0)]
    desk.act(desk.customer, satisfaction.rate_ticket, ticket_id=ticket_id, score=5)  # changed their mind
    assert _rating_cells(_assert_kept_equals_rebuilt(desk.engine)) == [(1, 1, 5, 1)]


def test_moving_the_report_zone_recounts_the_days(desk, clock):
    build_world(desk, clock)
    before = _snapshot(desk.engine)
    desk.act(desk.admin, settings.set_business_hours, hours=settings.BusinessHours(
        start=time(9), end=time(17), timezone="Pacific/Auckland"))
    after = _assert_kept_equals_rebuilt(desk.engine)
    assert after.keys() != before.keys()  # tickets moved to other local days
    created = lambda cells_: sum(c["created"] for k, c in cells_.items() if k[0] == "report_cells")  # noqa: E731
    assert created(after) == created(before)


def test_switching_business_hours_off_recounts_the_days_in_utc(desk, clock):
    desk.act(desk.admin, settings.set_business_hours, hours=settings.BusinessHours(
        start=time(9), end=time(17), timezone="Pacific/Auckland"))
    for _ in range(3):
        desk.raise_ticket(subject="Late parcel")
        clock.advance(hours=5)
    auckland = _snapshot(desk.engine)
    desk.act(desk.admin, settings.set_business_hours, hours=None)  # Auckland -> UTC
    assert _assert_kept_equals_rebuilt(desk.engine).keys() != auckland.keys()


def test_a_ticket_loaded_before_rebuild_metrics_and_saved_after_keeps_the_cells_right(desk, clock):
    """rebuild-metrics rewrites durations by statement (versions stay); a form opened before it and
    saved after must not take its older in-memory figures out of the cells."""
    from sqlalchemy.orm import Session
    ticket_id = desk.raise_ticket(subject="Parcel lost")
    clock.advance(hours=2)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Found it.")
    with session_scope(desk.engine) as session:  # an older figure, e.g. from before a fix
        session.get(Ticket, ticket_id).first_response_business_seconds = 1
    with Session(bind=desk.engine, expire_on_commit=False) as open_form:
        ticket = open_form.get(Ticket, ticket_id)
        with session_scope(desk.engine) as session:
            metrics.rebuild_all(session=session)
        ticket.priority = Priority.HIGH
        open_form.commit()
    kept = _assert_kept_equals_rebuilt(desk.engine)
    assert [c["first_response_business_values"] for k, c in kept.items() if k[0] == "report_cells"] == [[7200.0]]


def test_an_upgraded_install_keeps_no_half_counted_cells_until_the_rebuild(desk, clock):
    ticket_id = desk.raise_ticket(subject="From the old version")
    with session_scope(desk.engine) as session:  # as migration 0005 leaves it: no cells, pending
        session.execute(report_cells.delete())
        session.execute(rating_cells.delete())
        session.add(AppSetting(key="report_cells_pending", value="yes"))
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Looking.")
    assert _snapshot(desk.engine) == {}  # not a cell with -1 in it
    with session_scope(desk.engine) as session:
        metrics.rebuild_all(session=session)
    _assert_kept_equals_rebuilt(desk.engine)
    assert sum(c["created"] for k, c in _snapshot(desk.engine).items() if k[0] == "report_cells") == 1


def test_an_answer_that_got_in_first_is_changed_not_counted_again(desk, clock, monkeypatch):
    """The page and the mailed link answer at once: the second reads the request locked, after the
    first committed, and counts as a change of that answer (on SQLite too, which has no row locks)."""
    ticket_id = desk.raise_ticket(subject="Parcel lost")
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Found it.")
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    real = cells.rating_facts_of
    first = []

    def first_answer_gets_in(session, rating_id, *, lock=False):
        if lock and not first:
            first.append(rating_id)
            with session_scope(desk.engine) as other:
                satisfaction.rate_ticket(session=other, actor=other.get(User, desk.customer.id), ticket_id=ticket_id,
                                         score=5)
        return real(session, rating_id, lock=lock)
    monkeypatch.setattr(cells, "rating_facts_of", first_answer_gets_in)
    desk.act(desk.customer, satisfaction.rate_ticket, ticket_id=ticket_id, score=4)
    assert first
    assert _rating_cells(_assert_kept_equals_rebuilt(desk.engine)) == [(1, 1, 4, 1)]


def test_a_savepoint_rolled_back_keeps_the_transactions_other_changes(desk):
    ticket_id = desk.raise_ticket(subject="Parcel lost")
    with session_scope(desk.engine) as session:
        admin = session.get(User, desk.admin.id)
        staff.change_priority(session=session, actor=admin, ticket_id=ticket_id, priority=Priority.URGENT)
        session.flush()
        savepoint = session.begin_nested()
        staff.change_priority(session=session, actor=admin, ticket_id=ticket_id, priority=Priority.LOW)
        session.flush()
        savepoint.rollback()
    kept = _assert_kept_equals_rebuilt(desk.engine)
    assert [k[3] for k in kept if k[0] == "report_cells"] == ["urgent"]


def test_a_session_closed_without_commit_forgets_its_changes(desk):
    from sqlalchemy.orm import Session
    ticket_id = desk.raise_ticket(subject="Parcel lost")
    session = Session(bind=desk.engine, expire_on_commit=False)
    staff.change_priority(session=session, actor=session.get(User, desk.admin.id), ticket_id=ticket_id,
                          priority=Priority.URGENT)
    session.flush()
    session.close()  # the change is gone; so must be what it would have added to the cells
    session.get(User, desk.admin.id).name = "Ada Admin"
    session.commit()
    session.close()
    kept = _assert_kept_equals_rebuilt(desk.engine)
    assert [k[3] for k in kept if k[0] == "report_cells"] == ["normal"]
