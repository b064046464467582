"""What the last mutation survivors (issue 7) changed, checked as a person would see it: which
ticket an outbox row is filed under, which agents hear of a new ticket, who automatic
assignment picks, SLA states at the exact due moment, and the sign-in throttle's quiet day and
wait at their exact edges; on PostgreSQL also the row locks (a sender skips mail another sender
holds, and two failed sign-ins at once both count).

SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from helpdesk import settings
from helpdesk.accounts import throttle as login_throttle
from helpdesk.core.clock import utcnow
from helpdesk.core.db import session_scope
from helpdesk.core.errors import Throttled
from helpdesk.enums import OutboxEvent, Role, TicketStatus
from helpdesk.models import Category, LoginThrottle, OutboxMessage, User
from helpdesk.notifications import outbox, sender
from helpdesk.notifications.compose import ComposedMail
from helpdesk.sla import clock as sla
from helpdesk.tickets import assignment, categories, staff
from tests.factories import Desk, add_category, add_user, give_skills


def switch_off(desk: Desk, *people: User) -> None:
    """Switch people off, so lists of every active agent are the test's own."""
    with session_scope(desk.engine) as session:
        for person in people:
            session.get(User, person.id).is_active = False


def rows(engine, event: str) -> list[tuple[int | None, str, str]]:
    with session_scope(engine) as session:
        return [(r.ticket_id, r.recipient_email, r.subject) for r in session.scalars(
            select(OutboxMessage).where(OutboxMessage.event == event).order_by(OutboxMessage.id))]


# --- outbox rows are filed under their ticket (the Mail page's ticket filter) -------------

def test_assignment_mails_to_agent_and_customer_are_filed_under_the_ticket(desk):
    ticket_id = desk.raise_ticket(subject="Invoice twice")
    desk.act(desk.admin, assignment.assign_ticket, ticket_id=ticket_id, assignee_id=desk.agent.id)
    assert [r[:2] for r in rows(desk.engine, "assigned")] == [(ticket_id, "alex@support.example.com")]
    assert [r[:2] for r in rows(desk.engine, "assigned_customer")] == [(ticket_id, "carla@example.com")]


def test_agent_reply_and_status_mails_are_filed_under_the_ticket(desk):
    ticket_id = desk.raise_ticket(subject="Refund please")
    desk.act(desk.agent, staff.add_agent_reply, ticket_id=ticket_id, body="Refunded.")
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    assert [r[:2] for r in rows(desk.engine, "public_reply")] == [(ticket_id, "carla@example.com")]
    [status_row] = rows(desk.engine, "status_changed")
    assert status_row[:2] == (ticket_id, "carla@example.com")
    assert status_row[2].endswith("Refund please - resolved")


# --- who hears of a new ticket ------------------------------------------------------------

def test_only_agents_with_the_category_hear_of_a_new_ticket_in_id_order(desk):
    """Alex and Bo, with no skills, hear nothing either: Billing has agents of its own."""
    engine, billing = desk.engine, desk.category
    shipping = add_category(engine, "Shipping")
    first = add_user(engine, email="first@support.example.com", role=Role.AGENT)
    second = add_user(engine, email="second@support.example.com", role=Role.AGENT)
    other = add_user(engine, email="other@support.example.com", role=Role.AGENT)
    give_skills(engine, other, shipping)
    give_skills(engine, second, billing)  # the later agent's skill first: the mails still go in agent order
    give_skills(engine, first, billing)
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    ticket_id = desk.raise_ticket(subject="Charged twice")
    assert [r[:2] for r in rows(engine, "new_ticket")] == [
        (ticket_id, "first@support.example.com"), (ticket_id, "second@support.example.com")]


def test_a_category_whose_only_skilled_agent_left_is_heard_of_by_every_active_agent(desk):
    engine = desk.engine
    switch_off(desk, desk.agent, desk.agent2)  # every active agent: the two this test adds
    gone = add_user(engine, email="gone@support.example.com", role=Role.AGENT, active=False)
    give_skills(engine, gone, desk.category)
    later = add_user(engine, email="temp@support.example.com", role=Role.AGENT)
    zed_id = add_user(engine, email="zed@support.example.com", role=Role.AGENT).id
    with session_scope(engine) as session:  # a new address moves its row behind zed's on PostgreSQL
        session.get(User, later.id).email = "later@support.example.com"
    assert zed_id > later.id
    desk.act(desk.admin, settings.set_auto_assign, enabled=False)
    desk.raise_ticket(subject="Charged twice")
    assert [r[1] for r in rows(engine, "new_ticket")] == [
        "later@support.example.com", "zed@support.example.com"]


# --- who automatic assignment picks --------------------------------------------------------

def test_an_agent_never_assigned_is_picked_before_one_assigned_earlier(desk):
    engine, billing = desk.engine, desk.category
    veteran = add_user(engine, email="veteran@support.example.com", role=Role.AGENT)
    newcomer = add_user(engine, email="newcomer@support.example.com", role=Role.AGENT)
    give_skills(engine, veteran, billing)
    give_skills(engine, newcomer, billing)
    with session_scope(engine) as session:
        session.get(User, veteran.id).last_assigned_at = utcnow() - timedelta(days=30)
    with session_scope(engine) as session:
        assert assignment.pick_agent(session, billing.id).email == "newcomer@support.example.com"


def test_among_agents_never_assigned_the_earliest_account_is_picked(desk):
    engine, billing = desk.engine, desk.category
    first = add_user(engine, email="first@support.example.com", role=Role.AGENT)
    second = add_user(engine, email="second@support.example.com", role=Role.AGENT)
    give_skills(engine, second, billing)
    give_skills(engine, first, billing)
    with session_scope(engine) as session:
        session.get(User, first.id).name = "First Agent"  # moves its row on PostgreSQL
    with session_scope(engine) as session:
        assert assignment.pick_agent(session, billing.id).email == "first@support.example.com"


def test_assignable_agents_with_the_same_name_are_listed_oldest_account_first(desk):
    engine = desk.engine
    switch_off(desk, desk.agent, desk.agent2)  # the list is Ada and the two Sams
    one = add_user(engine, email="sam1@support.example.com", name="Sam", role=Role.AGENT)
    add_user(engine, email="sam2@support.example.com", name="Sam", role=Role.AGENT)
    with session_scope(engine) as session:
        session.get(User, one.id).last_assigned_at = utcnow()  # moves its row on PostgreSQL
    with session_scope(engine) as session:
        agents = assignment.list_assignable_agents(session=session, actor=session.get(User, desk.admin.id))
        assert [a.email for a in agents] == [
            "ada@support.example.com", "sam1@support.example.com", "sam2@support.example.com"]


# --- SLA states at the edges -----------------------------------------------------------------

def test_first_response_due_this_very_moment_is_at_risk_not_breached(desk):
    ticket = desk.ticket(desk.raise_ticket(subject="Login broken"))
    due = ticket.first_response_due_at
    assert sla.first_response_clock(ticket, due).state == "at_risk"
    assert sla.first_response_clock(ticket, due + timedelta(microseconds=1)).state == "breached"


def test_resolved_without_a_reply_stops_the_first_response_clock(desk):
    late_id = desk.raise_ticket(subject="Late one",
                                first_response_due_at=utcnow() - timedelta(hours=1))  # overdue when resolved
    quick_id = desk.raise_ticket(subject="Quick one")
    for ticket_id in (late_id, quick_id):
        desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    later = utcnow() + timedelta(days=30)
    assert sla.first_response_clock(desk.ticket(late_id), later).state == "breached"
    assert sla.first_response_clock(desk.ticket(quick_id), later).state == "met"


# --- the sign-in throttle at its edges ---------------------------------------------------------

def throttle_row(engine, email: str) -> tuple[int, timedelta | None]:
    """The address's count, and its wait after the row's last failure (None: no wait)."""
    with session_scope(engine) as session:
        row = session.get(LoginThrottle, f"address:{email}")
        return row.failures, None if row.next_attempt_at is None else row.next_attempt_at - row.last_failure_at


def count_failure(engine, email: str, now) -> None:
    """One failed sign-in at `now`, as authenticate counts it: the attempt, then its failure."""
    with session_scope(engine) as session:
        login_throttle.reserve_attempt(session, email=email, client=None, now=now)
        login_throttle.record_failure(session, email=email, client=None, now=now)


def test_a_failure_a_microsecond_inside_the_quiet_day_still_counts(engine):
    email = "carla@example.com"
    start = utcnow() - timedelta(days=3)
    for _ in range(4):
        count_failure(engine, email, start)
    count_failure(engine, email, start + timedelta(hours=24, microseconds=-1))
    assert throttle_row(engine, email) == (5, timedelta(seconds=4))  # the fifth failure: 4 s


def test_a_failure_exactly_a_quiet_day_after_the_last_starts_a_new_count(engine):
    email = "carla@example.com"
    start = utcnow() - timedelta(days=3)
    for _ in range(4):
        count_failure(engine, email, start)
    count_failure(engine, email, start + timedelta(hours=24))
    assert throttle_row(engine, email) == (1, None)


def test_the_wait_ends_at_its_moment_and_the_next_failure_doubles_it(engine):
    email = "carla@example.com"
    start = utcnow()
    for _ in range(4):
        count_failure(engine, email, start)
    with pytest.raises(Throttled, match="Try again in 1 second[.]"), session_scope(engine) as session:
        login_throttle.reserve_attempt(session, email=email, client=None, now=start + timedelta(seconds=2, microseconds=-1))
    count_failure(engine, email, start + timedelta(seconds=2))
    assert throttle_row(engine, email) == (5, timedelta(seconds=4))


def test_the_fifth_attempt_waits_while_four_are_still_running(engine):
    """Four attempts still running (none failed yet): the fifth is refused before its password
    is checked, and is not counted."""
    email = "carla@example.com"
    now = utcnow()
    with session_scope(engine) as session:
        for _ in range(4):
            login_throttle.reserve_attempt(session, email=email, client=None, now=now)
    with pytest.raises(Throttled, match="Try again in 2 seconds[.]"), session_scope(engine) as session:
        login_throttle.reserve_attempt(session, email=email, client=None, now=now)
    assert throttle_row(engine, email) == (4, timedelta(seconds=2))


# --- PostgreSQL row locks: two senders, two sign-in attempts at once ---------------------------

def queue_mail(engine, *addresses: str) -> None:
    with session_scope(engine) as session:
        for address in addresses:
            outbox.enqueue(session, event=OutboxEvent.TEST_MAIL, recipient=None, recipient_email=address,
                           mail=ComposedMail(subject=f"Test mail to {address}", text_body="Hello", html_body="<p>Hello</p>"))


def test_a_sender_skips_mail_another_sender_has_locked_instead_of_waiting(postgres_engine):
    queue_mail(postgres_engine, "one@example.com", "two@example.com")

    @event.listens_for(postgres_engine, "connect")
    def _no_waiting(dbapi_connection, _record):  # waiting for a lock fails the claim at once
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")

    postgres_engine.dispose()
    with postgres_engine.connect() as other_sender:
        other_sender.execute(text("SELECT id FROM notification_outbox WHERE recipient_email = 'one@example.com' "
                                  "FOR UPDATE"))
        claimed = sender.claim_due(postgres_engine, now=utcnow() + timedelta(seconds=1))
        assert [mail.recipient_email for mail in claimed] == ["two@example.com"]
        other_sender.rollback()


def test_two_failed_sign_ins_at_once_both_count(postgres_engine):
    email = "carla@example.com"
    now = utcnow()
    for _ in range(2):
        count_failure(postgres_engine, email, now)
    with postgres_engine.connect() as first_attempt:
        first_attempt.execute(text("SELECT failures FROM login_throttles WHERE key = :k FOR UPDATE"), {"k": f"address:{email}"})
        first_attempt.execute(text("UPDATE login_throttles SET failures = 3 WHERE key = :k"), {"k": f"address:{email}"})
        errors = []

        def second_attempt():
            try:
                count_failure(postgres_engine, email, now)
            except Exception as exc:  # reported below
                errors.append(exc)

        worker = threading.Thread(target=second_attempt)
        worker.start()
        deadline = time.monotonic() + 10
        with postgres_engine.connect() as watcher:  # wait until the second attempt waits on the row lock
            while watcher.execute(text("SELECT count(*) FROM pg_stat_activity "
                                       "WHERE wait_event_type = 'Lock' AND datname = current_database()")).scalar() == 0:
                assert worker.is_alive() and time.monotonic() < deadline
                watcher.rollback()
        first_attempt.commit()
        worker.join(10)
    assert errors == []
    assert throttle_row(postgres_engine, email) == (4, timedelta(seconds=2))  # counted from 3: the fourth


# --- the category picker -----------------------------------------------------------------------

def test_categories_are_offered_by_name_and_retired_ones_come_last_for_staff(desk):
    engine = desk.engine
    # Billing (the Desk's) is the oldest; the rest are made out of name order too, so an id
    # order would not give the name order.
    for name in ("Warranty", "Accounts", "Shipping"):
        add_category(engine, name)
    with session_scope(engine) as session:
        session.scalar(select(Category).where(Category.name == "Accounts")).is_active = False
    with session_scope(engine) as session:
        assert [c.name for c in categories.list_categories(session=session)] == ["Billing", "Shipping", "Warranty"]
        assert [c.name for c in categories.list_categories(
            session=session, actor=session.get(User, desk.admin.id), include_inactive=True)] == [
            "Billing", "Shipping", "Warranty", "Accounts"]


def test_mails_due_at_the_same_moment_are_sent_in_the_order_they_were_queued(engine):
    queue_mail(engine, "one@example.com", "two@example.com", "three@example.com")
    same_moment = utcnow()
    with session_scope(engine) as session:
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())):
            row.next_attempt_at = same_moment
            session.flush()  # the first-queued row is rewritten last (on PostgreSQL it moves to the end)
    claimed = sender.claim_due(engine, now=same_moment + timedelta(seconds=1))
    assert [mail.recipient_email for mail in claimed] == ["one@example.com", "two@example.com", "three@example.com"]
