"""Two PostgreSQL transactions at once, and the report cells still equal a rebuild: two answers to
one rating request, a reopen racing an answer, and two agents resolving different tickets of the
same cells in opposite orders (which must not deadlock). Each waits for the other's row lock as
PostgreSQL reports it (pg_stat_activity), not for a fixed time."""
from __future__ import annotations

import threading
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from helpdesk.enums import Priority, TicketStatus
from helpdesk.tickets import bulk, customer, satisfaction, staff
from tests.analytics.test_report_cells import _assert_kept_equals_rebuilt
from tests.factories import Desk


def _resolved_ticket(desk: Desk, subject: str = "Parcel lost") -> int:
    ticket_id = desk.raise_ticket(subject=subject)
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Found it.")
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    return ticket_id


def _in_thread(work) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def run():
        try:
            out["value"] = work()
        except Exception as exc:  # reported by the test
            out["error"] = exc
    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _wait_until_one_waits_on_a_lock(engine, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 20
    with engine.connect() as watcher:
        while watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()")).scalar() == 0:
            assert thread.is_alive() and time.monotonic() < deadline, "the second transaction never waited"
            watcher.rollback()


def _second_while_first_is_open(engine, first, second) -> dict:
    """`first(session)` runs and stays uncommitted while `second(session)` starts in another
    thread and waits on its lock; then first commits, and second finishes and commits."""
    holder = Session(bind=engine, expire_on_commit=False)
    try:
        first(holder)

        def later():
            with Session(bind=engine, expire_on_commit=False) as session:
                second(session)
                session.commit()
        thread, out = _in_thread(later)
        _wait_until_one_waits_on_a_lock(engine, thread)
        holder.commit()
        thread.join(20)
        assert not thread.is_alive()
        return out
    finally:
        holder.close()


def test_two_answers_at_once_count_as_one_changed_answer(postgres_engine):
    desk = Desk.build(postgres_engine)
    ticket_id = _resolved_ticket(desk)
    out = _second_while_first_is_open(
        postgres_engine,
        lambda s: satisfaction.rate_ticket(session=s, actor=desk.customer, ticket_id=ticket_id, score=5),
        lambda s: satisfaction.rate_ticket(session=s, actor=desk.customer, ticket_id=ticket_id, score=4))
    assert "error" not in out, out
    kept = _assert_kept_equals_rebuilt(postgres_engine)
    assert [(c["rated"], c["score_sum"]) for k, c in kept.items() if k[0] == "rating_cells"] == [(1, 4)]


def test_a_reopen_racing_an_answer_leaves_the_answer_counted(postgres_engine):
    desk = Desk.build(postgres_engine)
    ticket_id = _resolved_ticket(desk)
    out = _second_while_first_is_open(
        postgres_engine,
        lambda s: satisfaction.rate_ticket(session=s, actor=desk.customer, ticket_id=ticket_id, score=5),
        lambda s: customer.add_customer_reply(session=s, actor=desk.customer, ticket_id=ticket_id,
                                              body="Still broken."))
    assert "error" not in out, out
    kept = _assert_kept_equals_rebuilt(postgres_engine)
    assert [(c["requests"], c["rated"]) for k, c in kept.items() if k[0] == "rating_cells"] == [(1, 1)]


def test_two_agents_resolving_different_tickets_of_the_same_cells_do_not_deadlock(postgres_engine):
    """Each batch locks the cells of both its tickets; in opposite orders they used to wait on each
    other in a circle. Cells are now written at the commit, in key order."""
    desk = Desk.build(postgres_engine)
    _resolved_ticket(desk, "First")  # the server secret for rating links exists from here on
    ids = {}
    for name, priority in (("x1", Priority.NORMAL), ("x2", Priority.NORMAL), ("y1", Priority.HIGH),
                           ("y2", Priority.HIGH)):
        ids[name] = desk.raise_ticket(subject=name, priority=priority)
        desk.act(desk.agent, staff.add_agent_reply, ticket_id=ids[name], body="On it.")

    def resolve(session, actor, names):
        for name in names:
            bulk.bulk_update(session=session, actor=actor, ticket_ids=[ids[name]], status=TicketStatus.RESOLVED)

    with Session(bind=postgres_engine, expire_on_commit=False) as one, \
            Session(bind=postgres_engine, expire_on_commit=False) as two:
        resolve(one, desk.agent, ["x1"])
        resolve(two, desk.agent2, ["y2"])
        first, out1 = _in_thread(lambda: (resolve(one, desk.agent, ["y1"]), one.commit()))
        second, out2 = _in_thread(lambda: (resolve(two, desk.agent2, ["x2"]), two.commit()))
        first.join(30)
        second.join(30)
    assert not first.is_alive() and not second.is_alive()
    assert "error" not in out1 and "error" not in out2, (out1.get("error"), out2.get("error"))
    kept = _assert_kept_equals_rebuilt(postgres_engine)
    assert sum(c["resolved"] for k, c in kept.items() if k[0] == "report_cells") == 5


def test_a_save_committing_after_a_zone_change_counts_in_the_new_zone(postgres_engine, clock):
    """A ticket change flushed while the business hours move to Auckland (and the cells are
    rebuilt there) commits after: its change goes into the Auckland cells."""
    from datetime import time as clock_time

    from helpdesk import settings
    from helpdesk.models import User
    from tests.factories import add_category
    desk = Desk.build(postgres_engine)
    clock.advance(hours=13)  # late on a Monday in UTC: already Tuesday in Auckland
    ticket_id = desk.raise_ticket(subject="Parcel lost")
    returns = add_category(postgres_engine, "Returns")
    with Session(bind=postgres_engine, expire_on_commit=False) as saving:
        staff.change_category(session=saving, actor=saving.get(User, desk.admin.id), ticket_id=ticket_id,
                              category_id=returns.id)
        saving.flush()
        desk.act(desk.admin, settings.set_business_hours, hours=settings.BusinessHours(
            start=clock_time(9), end=clock_time(17), timezone="Pacific/Auckland"))
        saving.commit()
    kept = _assert_kept_equals_rebuilt(postgres_engine)
    assert [k[2] for k in kept if k[0] == "report_cells"] == [returns.id]
