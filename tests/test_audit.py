"""The audit log (issue 10): every administrator action leaves one entry (who, what, old -> new,
when) written in the same transaction as the change; nothing is written when nothing changed,
when the change is refused, or when it is rolled back; only managers and administrators read
it, filtered by who, what and when, a page at a time. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from helpdesk import audit
from helpdesk.accounts.users import create_user, set_user_active, set_user_role
from helpdesk.audit import SERVER, list_audit_actors, list_audit_entries, record
from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, PermissionDenied, ValidationError
from helpdesk.enums import AuditAction, OutboxStatus, Priority, Role
from helpdesk.first_run import set_up_helpdesk
from helpdesk.models import AuditEntry, OutboxMessage, User
from helpdesk.notifications.outbox_admin import enqueue_test_mail, retry_all_failed, retry_failed
from helpdesk.settings import BusinessHours, set_auto_assign, set_auto_close_days, set_business_hours
from helpdesk.sla.policies import reset_policy, update_policy
from helpdesk.tickets.assignment import set_agent_skills
from helpdesk.tickets.canned_replies import create_canned_reply, delete_canned_reply, update_canned_reply
from helpdesk.tickets.categories import create_category, update_category
from tests.factories import GOOD_PASSWORD, TEST_PASSWORD, TEST_PASSWORD_HASH, add_category, add_user, new_account

A = AuditAction
AMSTERDAM_OFFICE = BusinessHours(start=time(9), end=time(17), weekdays=frozenset(range(5)),
                                 timezone="Europe/Amsterdam")


def entries(engine) -> list[tuple]:
    """Every entry, oldest first: (actor id, action, target, old, new)."""
    with session_scope(engine) as session:
        return [(e.actor_id, e.action, e.target, e.old_value, e.new_value)
                for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def new_entries(engine, before: list[tuple]) -> list[tuple]:
    now = entries(engine)
    assert now[:len(before)] == before
    return now[len(before):]


@pytest.fixture
def manager(desk) -> User:
    return add_user(desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")


# --- users ----------------------------------------------------------------------------------

def test_a_staff_account_made_by_an_admin_or_the_server_cli_is_recorded_without_its_password(desk):
    alan = desk.act(desk.admin, create_user, data=new_account("Alan Agent", "alan@example.com"), role=Role.AGENT)
    with session_scope(desk.engine) as session:
        create_user(session=session, actor=None, data=new_account("Mo Manager", "mo@example.com"), role=Role.MANAGER)

    assert entries(desk.engine) == [
        (desk.admin.id, A.USER_CREATED, "Alan Agent <alan@example.com>", None, "Agent"),
        (None, A.USER_CREATED, "Mo Manager <mo@example.com>", None, "Manager"),
    ]
    with session_scope(desk.engine) as session:
        password_hash = session.get(User, alan.id).password_hash
    written = repr(entries(desk.engine))
    assert GOOD_PASSWORD not in written and password_hash not in written and "argon2" not in written


def test_a_refused_account_leaves_no_entry(desk):
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, create_user, data=new_account("Sneaky", "sneaky@example.com"), role=Role.ADMIN)
    with pytest.raises(ValidationError):  # the address is taken
        desk.act(desk.admin, create_user, data=new_account("Again", desk.agent.email), role=Role.AGENT)
    assert entries(desk.engine) == []


def test_the_first_administrator_is_recorded_as_making_their_own_account_and_the_starter_categories(engine):
    with session_scope(engine) as session:
        ada = set_up_helpdesk(session=session, admin=new_account("Ada Admin", "ada@example.com"),
                              categories=["Billing", "Account"])
        ada_id = ada.id
    assert entries(engine) == [
        (ada_id, A.USER_CREATED, "Ada Admin <ada@example.com>", None, "Admin (first-run setup)"),
        (ada_id, A.CATEGORY_CREATED, "Billing", None, None),
        (ada_id, A.CATEGORY_CREATED, "Account", None, None),
    ]


def test_a_failed_first_run_setup_leaves_no_entry(engine):
    with pytest.raises(ValidationError):
        with session_scope(engine) as session:
            set_up_helpdesk(session=session, admin=new_account("Ada Admin", "ada@example.com"),
                            categories=["Billing", "x" * 81])
    assert entries(engine) == []


def test_deactivating_and_activating_an_account_is_recorded_once_per_change(desk):
    carla = desk.customer
    desk.act(desk.admin, set_user_active, user_id=carla.id, active=False)
    desk.act(desk.admin, set_user_active, user_id=carla.id, active=False)  # already inactive
    desk.act(desk.admin, set_user_active, user_id=carla.id, active=True)
    desk.act(desk.admin, set_user_active, user_id=carla.id, active=True)  # already active
    target = "Carla Customer <carla@example.com>"
    assert entries(desk.engine) == [
        (desk.admin.id, A.USER_DEACTIVATED, target, "Active", "Inactive"),
        (desk.admin.id, A.USER_ACTIVATED, target, "Inactive", "Active"),
    ]

    with pytest.raises(ValidationError):
        desk.act(desk.admin, set_user_active, user_id=desk.admin.id, active=False)
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, set_user_active, user_id=carla.id, active=False)
    assert len(entries(desk.engine)) == 2


def test_a_role_change_is_recorded_from_the_old_role_to_the_new_one(desk):
    desk.act(desk.admin, set_user_role, user_id=desk.agent.id, role=Role.MANAGER)
    desk.act(desk.admin, set_user_role, user_id=desk.agent.id, role=Role.MANAGER)  # nothing changes
    assert entries(desk.engine) == [
        (desk.admin.id, A.USER_ROLE_CHANGED, "Alex Agent <alex@support.example.com>", "Agent", "Manager")]

    before = entries(desk.engine)
    with pytest.raises(ValidationError):  # one's own role
        desk.act(desk.admin, set_user_role, user_id=desk.admin.id, role=Role.AGENT)
    desk.raise_ticket(assignee_id=desk.agent2.id)
    with pytest.raises(ValidationError):  # Bo still holds an open ticket
        desk.act(desk.admin, set_user_role, user_id=desk.agent2.id, role=Role.CUSTOMER)
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, set_user_role, user_id=desk.agent2.id, role=Role.ADMIN)
    assert entries(desk.engine) == before


def test_a_change_rolled_back_with_its_transaction_leaves_no_entry(desk):
    class PageFailed(Exception):
        pass

    with pytest.raises(PageFailed):
        with session_scope(desk.engine) as session:
            set_user_role(session=session, actor=session.get(User, desk.admin.id), user_id=desk.agent.id,
                          role=Role.MANAGER)
            raise PageFailed  # anything failing later in the same user action
    assert entries(desk.engine) == []
    with session_scope(desk.engine) as session:
        assert session.get(User, desk.agent.id).role == Role.AGENT


# --- categories, skills -------------------------------------------------------------------

def test_category_changes_are_recorded_field_by_field_under_the_current_name(desk):
    shipping = desk.act(desk.admin, create_category, name="Shipping", description="Parcels")
    desk.act(desk.admin, update_category, category_id=shipping.id, name="Shipping", description="Parcels",
             is_active=True)  # saved unchanged
    desk.act(desk.admin, update_category, category_id=shipping.id, name="Delivery", description="Parcels and post",
             is_active=False)
    desk.act(desk.admin, update_category, category_id=shipping.id, name="Delivery", description="",
             is_active=True)
    ada = desk.admin.id
    assert entries(desk.engine) == [
        (ada, A.CATEGORY_CREATED, "Shipping", None, "Parcels"),
        (ada, A.CATEGORY_RENAMED, "Delivery", "Shipping", "Delivery"),
        (ada, A.CATEGORY_DESCRIPTION_CHANGED, "Delivery", "Parcels", "Parcels and post"),
        (ada, A.CATEGORY_DEACTIVATED, "Delivery", "Active", "Inactive"),
        (ada, A.CATEGORY_DESCRIPTION_CHANGED, "Delivery", "Parcels and post", None),
        (ada, A.CATEGORY_ACTIVATED, "Delivery", "Inactive", "Active"),
    ]

    before = entries(desk.engine)
    with pytest.raises(ValidationError):  # the name is taken
        desk.act(desk.admin, update_category, category_id=shipping.id, name="billing", description="",
                 is_active=False)
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, create_category, name="Returns")
    with pytest.raises(NotFound):
        desk.act(desk.admin, update_category, category_id=10**6, name="Gone", description="", is_active=True)
    assert entries(desk.engine) == before


def test_agent_skills_are_recorded_as_sorted_category_names(desk):
    zebra = add_category(desk.engine, "Zebra care")
    account = add_category(desk.engine, "account questions")  # sorted ignoring case
    desk.act(desk.admin, set_agent_skills, agent_id=desk.agent.id,
             category_ids=[zebra.id, desk.category.id, account.id])
    desk.act(desk.admin, set_agent_skills, agent_id=desk.agent.id,
             category_ids=[account.id, zebra.id, desk.category.id])  # the same skills
    desk.act(desk.admin, set_agent_skills, agent_id=desk.agent.id, category_ids=[zebra.id])
    desk.act(desk.admin, set_agent_skills, agent_id=desk.agent.id, category_ids=[])
    alex = "Alex Agent <alex@support.example.com>"
    assert entries(desk.engine) == [
        (desk.admin.id, A.AGENT_SKILLS_CHANGED, alex, "None", "account questions, Billing, Zebra care"),
        (desk.admin.id, A.AGENT_SKILLS_CHANGED, alex, "account questions, Billing, Zebra care", "Zebra care"),
        (desk.admin.id, A.AGENT_SKILLS_CHANGED, alex, "Zebra care", "None"),
    ]

    with pytest.raises(ValidationError):
        desk.act(desk.admin, set_agent_skills, agent_id=desk.agent.id, category_ids=[10**6])
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, set_agent_skills, agent_id=desk.agent.id, category_ids=[zebra.id])
    assert len(entries(desk.engine)) == 3


# --- SLA targets, business hours, settings --------------------------------------------------

def test_sla_targets_are_recorded_in_hours_and_say_when_they_are_the_default(desk):
    desk.act(desk.admin, update_policy, priority=Priority.URGENT, first_response_hours=2, resolution_hours=8)
    desk.act(desk.admin, update_policy, priority=Priority.URGENT, first_response_hours=2, resolution_hours=8)
    desk.act(desk.admin, update_policy, priority=Priority.LOW, first_response_hours=24, resolution_hours=120)
    desk.act(desk.admin, reset_policy, priority=Priority.URGENT)
    desk.act(desk.admin, reset_policy, priority=Priority.URGENT)  # nothing left to reset
    desk.act(desk.admin, reset_policy, priority=Priority.LOW)  # stored, but equal to the default
    assert entries(desk.engine) == [
        (desk.admin.id, A.SLA_TARGETS_CHANGED, "Urgent priority", "first response 1 h, resolution 8 h (default)",
         "first response 2 h, resolution 8 h"),
        (desk.admin.id, A.SLA_TARGETS_CHANGED, "Urgent priority", "first response 2 h, resolution 8 h",
         "first response 1 h, resolution 8 h (default)"),
    ]

    with pytest.raises(ValidationError):
        desk.act(desk.admin, update_policy, priority=Priority.HIGH, first_response_hours=10, resolution_hours=5)
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, update_policy, priority=Priority.HIGH, first_response_hours=1, resolution_hours=5)
    assert len(entries(desk.engine)) == 2


def test_saving_several_targets_where_one_is_refused_records_none_of_them(desk):
    """The SLA page saves every priority in one transaction: a refusal rolls back them all."""
    with pytest.raises(ValidationError):
        with session_scope(desk.engine) as session:
            admin = session.get(User, desk.admin.id)
            update_policy(session=session, actor=admin, priority=Priority.URGENT, first_response_hours=2,
                          resolution_hours=8)
            update_policy(session=session, actor=admin, priority=Priority.HIGH, first_response_hours=0,
                          resolution_hours=8)
    assert entries(desk.engine) == []


def test_business_hours_are_recorded_in_words(desk):
    desk.act(desk.admin, set_business_hours, hours=AMSTERDAM_OFFICE)
    desk.act(desk.admin, set_business_hours, hours=AMSTERDAM_OFFICE)
    split_week = BusinessHours(start=time(8, 30), end=time(16), weekdays=frozenset({0, 2, 3, 4, 6}), timezone="UTC")
    desk.act(desk.admin, set_business_hours, hours=split_week)
    desk.act(desk.admin, set_business_hours, hours=None)
    desk.act(desk.admin, set_business_hours, hours=None)
    assert entries(desk.engine) == [
        (desk.admin.id, A.BUSINESS_HOURS_CHANGED, "Business hours", "Off (around the clock)",
         "Mon-Fri 09:00-17:00 Europe/Amsterdam"),
        (desk.admin.id, A.BUSINESS_HOURS_CHANGED, "Business hours", "Mon-Fri 09:00-17:00 Europe/Amsterdam",
         "Mon, Wed-Fri, Sun 08:30-16:00 UTC"),
        (desk.admin.id, A.BUSINESS_HOURS_CHANGED, "Business hours", "Mon, Wed-Fri, Sun 08:30-16:00 UTC",
         "Off (around the clock)"),
    ]

    with pytest.raises(ValidationError):
        desk.act(desk.admin, set_business_hours, hours=BusinessHours(start=time(17), end=time(9)))
    assert len(entries(desk.engine)) == 3


def test_settings_are_recorded_only_when_their_value_changes(desk):
    # The settings page saves both settings on every save.
    for enabled, days in [(True, 7), (False, 7), (False, 14), (False, 14), (True, 1)]:
        with session_scope(desk.engine) as session:
            admin = session.get(User, desk.admin.id)
            set_auto_assign(session=session, actor=admin, enabled=enabled)
            set_auto_close_days(session=session, actor=admin, days=days)
    ada = desk.admin.id
    assert entries(desk.engine) == [
        (ada, A.SETTING_CHANGED, "Automatic assignment", "On", "Off"),
        (ada, A.SETTING_CHANGED, "Close resolved tickets after", "7 days", "14 days"),
        (ada, A.SETTING_CHANGED, "Automatic assignment", "Off", "On"),
        (ada, A.SETTING_CHANGED, "Close resolved tickets after", "14 days", "1 day"),
    ]

    with pytest.raises(ValidationError):
        desk.act(desk.admin, set_auto_close_days, days=0)
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, set_auto_assign, enabled=False)
    assert len(entries(desk.engine)) == 4


# --- canned replies, mail -------------------------------------------------------------------

def test_canned_reply_changes_are_recorded_with_the_text_before_and_after(desk):
    reply = desk.act(desk.admin, create_canned_reply, title="Refund", body="Hello {customer_name}, refunded.")
    desk.act(desk.admin, update_canned_reply, reply_id=reply.id, title="Refund",
             body="Hello {customer_name}, refunded.")  # saved unchanged
    desk.act(desk.admin, update_canned_reply, reply_id=reply.id, title="Refund sent",
             body="Hi {customer_name}, the refund is on its way.")
    desk.act(desk.admin, delete_canned_reply, reply_id=reply.id)
    ada = desk.admin.id
    assert entries(desk.engine) == [
        (ada, A.CANNED_REPLY_CREATED, "Refund", None, "Hello {customer_name}, refunded."),
        (ada, A.CANNED_REPLY_RENAMED, "Refund sent", "Refund", "Refund sent"),
        (ada, A.CANNED_REPLY_EDITED, "Refund sent", "Hello {customer_name}, refunded.",
         "Hi {customer_name}, the refund is on its way."),
        (ada, A.CANNED_REPLY_DELETED, "Refund sent", "Hi {customer_name}, the refund is on its way.", None),
    ]

    with pytest.raises(ValidationError):
        desk.act(desk.admin, create_canned_reply, title="Bad", body="Hello {nobody}")
    with pytest.raises(NotFound):
        desk.act(desk.admin, delete_canned_reply, reply_id=reply.id)
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, create_canned_reply, title="Mine", body="Hi")
    assert len(entries(desk.engine)) == 4


def failed_mail(desk, to: str) -> int:
    """A mail that gave up after 8 attempts (written onto the row: a whole retry life to reach)."""
    row_id = desk.act(desk.admin, enqueue_test_mail, to_email=to).id
    with session_scope(desk.engine) as session:
        row = session.get(OutboxMessage, row_id)
        row.status, row.attempts, row.last_error = OutboxStatus.FAILED, 8, "SMTPAuthenticationError"
    return row_id


def test_mail_retries_and_test_mails_are_recorded(desk):
    first = failed_mail(desk, "one@example.com")
    failed_mail(desk, "two@example.com")
    failed_mail(desk, "three@example.com")
    assert [e[1:3] for e in entries(desk.engine)] == [(A.TEST_MAIL_QUEUED, "Test mail to one@example.com"),
                                                      (A.TEST_MAIL_QUEUED, "Test mail to two@example.com"),
                                                      (A.TEST_MAIL_QUEUED, "Test mail to three@example.com")]
    before = entries(desk.engine)
    with session_scope(desk.engine) as session:
        subject = session.get(OutboxMessage, first).subject

    desk.act(desk.admin, retry_failed, message_id=first)
    with pytest.raises(ValidationError):  # queued again already: not failed
        desk.act(desk.admin, retry_failed, message_id=first)
    assert desk.act(desk.admin, retry_all_failed) == 2
    assert desk.act(desk.admin, retry_all_failed) == 0  # nothing failed: nothing done, nothing recorded
    with pytest.raises(PermissionDenied):
        desk.act(desk.agent, retry_all_failed)
    assert new_entries(desk.engine, before) == [
        (desk.admin.id, A.MAIL_RETRIED, f"Mail #{first} to one@example.com: {subject}", "Failed after 8 attempts",
         "Queued again"),
        (desk.admin.id, A.MAIL_RETRIED, "Every failed mail (2)", "Failed", "Queued again"),
    ]


# --- reading the log ------------------------------------------------------------------------

def test_customers_agents_and_the_signed_out_may_not_read_the_log(desk, manager):
    desk.act(desk.admin, set_auto_assign, enabled=False)
    for person in (desk.customer, desk.agent):
        with pytest.raises(PermissionDenied, match="Only managers and administrators"):
            desk.act(person, list_audit_entries)
        with pytest.raises(PermissionDenied):
            desk.act(person, list_audit_actors)
    with session_scope(desk.engine) as session:
        with pytest.raises(PermissionDenied):
            list_audit_entries(session=session, actor=None)
    for person in (manager, desk.admin):
        rows, total = desk.act(person, list_audit_entries)
        assert total == 1 and [r.target for r in rows] == ["Automatic assignment"]
    desk.act(desk.admin, set_user_active, user_id=manager.id, active=False)
    with pytest.raises(PermissionDenied):  # a deactivated manager reads nothing
        desk.act(manager, list_audit_entries)


def seed_log(desk, clock) -> dict[str, int]:
    """Nine entries an hour apart from 09:00: Ada (five), Bea, a second admin (two), the CLI (two)."""
    bea = add_user(desk.engine, email="bea@support.example.com", role=Role.ADMIN, name="Bea Admin")
    plan = [(desk.admin, A.SETTING_CHANGED), (bea, A.USER_ROLE_CHANGED), (None, A.USER_CREATED),
            (desk.admin, A.CATEGORY_CREATED), (desk.admin, A.SETTING_CHANGED), (bea, A.SETTING_CHANGED),
            (None, A.USER_CREATED), (desk.admin, A.CATEGORY_RENAMED), (desk.admin, A.USER_ROLE_CHANGED)]
    for number, (who, action) in enumerate(plan, start=1):
        with session_scope(desk.engine) as session:
            record(session, actor=who, action=action, target=f"thing {number}")
        clock.advance(hours=1)
    return {"bea": bea.id}


def targets(rows) -> list[str]:
    return [r.target for r in rows]


def test_the_log_is_newest_first_and_filters_by_who_what_and_when(desk, clock, manager):
    ids = seed_log(desk, clock)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's start: entry 1

    def read(**filters):
        rows, total = desk.act(manager, list_audit_entries, **filters)
        return targets(rows), total

    assert read() == ([f"thing {n}" for n in range(9, 0, -1)], 9)
    assert read(actor_id=desk.admin.id) == (["thing 9", "thing 8", "thing 5", "thing 4", "thing 1"], 5)
    assert read(actor_id=ids["bea"]) == (["thing 6", "thing 2"], 2)
    assert read(actor_id=SERVER) == (["thing 7", "thing 3"], 2)
    assert read(actor_id=manager.id) == ([], 0)
    assert read(actor_id=-1) == ([], 0) and read(actor_id=2**63) == ([], 0)  # no such person, no overflow
    assert read(actions=[A.SETTING_CHANGED]) == (["thing 6", "thing 5", "thing 1"], 3)
    assert read(actions=["user_created", A.USER_ROLE_CHANGED]) == (["thing 9", "thing 7", "thing 3", "thing 2"], 4)
    assert read(actions=[]) == read()  # nothing chosen: every action
    assert read(actions=["no_such_action"]) == ([], 0)
    # since is included, until is not: entries 3, 4 and 5 are at 11:00, 12:00 and 13:00.
    assert read(since=start + timedelta(hours=2), until=start + timedelta(hours=5)) == (
        ["thing 5", "thing 4", "thing 3"], 3)
    # The same instants written in another time zone select the same entries.
    amsterdam = start.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert read(since=amsterdam + timedelta(hours=2), until=amsterdam + timedelta(hours=5))[1] == 3
    assert read(actor_id=desk.admin.id, actions=[A.SETTING_CHANGED], since=start + timedelta(minutes=1)) == (
        ["thing 5"], 1)


def test_the_log_pages_through_with_the_total_of_every_page(desk, clock, manager):
    seed_log(desk, clock)
    pages = [desk.act(manager, list_audit_entries, limit=4, offset=offset) for offset in (0, 4, 8, 12)]
    assert [targets(rows) for rows, _ in pages] == [["thing 9", "thing 8", "thing 7", "thing 6"],
                                                    ["thing 5", "thing 4", "thing 3", "thing 2"], ["thing 1"], []]
    assert {total for _, total in pages} == {9}
    # Several actions are merged from each one's own newest entries: the pages still follow on.
    two = [A.SETTING_CHANGED, A.USER_CREATED]
    pages = [desk.act(manager, list_audit_entries, actions=two, limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [targets(rows) for rows, _ in pages] == [["thing 7", "thing 6"], ["thing 5", "thing 3"], ["thing 1"]]
    assert {total for _, total in pages} == {5}
    # Entries made in the same instant keep one order across pages (newest id first).
    with session_scope(desk.engine) as session:
        for number in range(3):
            record(session, actor=None, action=A.USER_CREATED, target=f"same moment {number}")
    first, _ = desk.act(manager, list_audit_entries, limit=2)
    second, _ = desk.act(manager, list_audit_entries, limit=2, offset=2)
    assert targets(first) + targets(second) == ["same moment 2", "same moment 1", "same moment 0", "thing 9"]
    for bad in (dict(limit=0), dict(offset=-1), dict(limit="5")):
        with pytest.raises(ValidationError):
            desk.act(manager, list_audit_entries, **bad)


def test_the_count_stops_past_its_limit_so_a_huge_log_stays_fast(desk, clock, manager, monkeypatch):
    seed_log(desk, clock)
    monkeypatch.setattr(audit, "COUNT_LIMIT", 5)
    rows, total = desk.act(manager, list_audit_entries, limit=3)
    assert total == 6 and total > audit.COUNT_LIMIT  # "more than 5"
    assert targets(rows) == ["thing 9", "thing 8", "thing 7"]
    assert desk.act(manager, list_audit_entries, actor_id=SERVER)[1] == 2  # under the limit: exact


def test_who_lists_the_people_in_the_log_by_name_and_nobody_else(desk, clock, manager):
    assert desk.act(manager, list_audit_actors) == []
    ids = seed_log(desk, clock)
    people = desk.act(manager, list_audit_actors)
    assert [(p.id, p.name) for p in people] == [(desk.admin.id, "Ada Admin"), (ids["bea"], "Bea Admin")]


def test_an_entry_reads_its_actor_and_time(desk, clock):
    desk.act(desk.admin, set_auto_assign, enabled=False)
    [row], _ = desk.act(desk.admin, list_audit_entries)
    assert (row.actor.name, row.action.label, row.created_at) == ("Ada Admin", "Setting changed", clock.now)


def test_a_very_long_target_is_shortened_to_fit_its_column(desk):
    long_name = "N" * 120
    desk.act(desk.admin, create_user, data=new_account(long_name, f"{'e' * 64}@{'d' * 63}.{'c' * 63}.com"),
             role=Role.AGENT)
    [(_, _, target, _, _)] = entries(desk.engine)
    assert len(target) == 255 and target.startswith(long_name + " <eeee") and target.endswith("…")


def test_labels_read_as_words_and_values_fit_the_column():
    assert all(len(action.value) <= 32 for action in AuditAction)
    assert A.SLA_TARGETS_CHANGED.label == "SLA targets changed"
    assert A.USER_ROLE_CHANGED.label == "Role changed"
    assert len({action.label for action in AuditAction}) == len(AuditAction)


def test_no_entry_ever_holds_a_password_or_its_hash(desk):
    """Accounts made by every path: no entry field carries what was typed as the password or its hash."""
    desk.act(desk.admin, create_user, data=new_account("Pat Agent", "pat@example.com", password=TEST_PASSWORD),
             role=Role.AGENT)
    desk.act(desk.admin, set_user_role, user_id=desk.agent.id, role=Role.MANAGER)
    desk.act(desk.admin, set_user_active, user_id=desk.customer.id, active=False)
    written = repr(entries(desk.engine))
    assert len(entries(desk.engine)) == 3
    assert TEST_PASSWORD not in written and TEST_PASSWORD_HASH not in written and "$argon2" not in written
