"""The audit-log page (issue 10): managers and administrators read who changed what, from what to
what and when, filter it by who, what and the days of their own calendar, and page through it;
agents and customers never see it, whatever address they type."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from helpdesk import audit
from helpdesk.accounts.users import create_user, set_user_role
from helpdesk.core.db import session_scope
from helpdesk.enums import AuditAction, Role
from helpdesk.models import AuditEntry
from helpdesk.settings import set_auto_assign
from streamlit.testing.v1 import AppTest
from tests.factories import add_user, new_account
from tests.page_helpers import APP, RUN_TIMEOUT, messages, open_app, page_text, rerun, type_address

PAGE = "pages/manager/audit_log.py"
COLUMNS = ["When", "Who", "What", "Target", "From", "To"]
# When each seeded entry happened (UTC). The last is 23:30 on 3 March in UTC, but 00:30 on
# 4 March in Amsterdam: which day it belongs to depends on whose calendar it is.
TIMES = [datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 3, 9, 15, tzinfo=UTC),
         datetime(2026, 3, 3, 14, 0, tzinfo=UTC), datetime(2026, 3, 3, 23, 30, tzinfo=UTC)]


@pytest.fixture
def manager(app_desk):
    return add_user(app_desk.engine, email="mia@support.example.com", role=Role.MANAGER, name="Mia Manager")


@pytest.fixture
def logged(app_desk, manager):
    """Four admin actions made through the services, then dated TIMES (oldest first): Ada creates
    Alan's account, the CLI creates Mo's, Ada switches automatic assignment off, Ada makes Alex a
    manager."""
    desk = app_desk
    desk.act(desk.admin, create_user, data=new_account("Alan Agent", "alan@example.com"), role=Role.AGENT)
    with session_scope(desk.engine) as session:
        create_user(session=session, actor=None, data=new_account("Mo Manager", "mo@example.com"), role=Role.MANAGER)
    desk.act(desk.admin, set_auto_assign, enabled=False)
    desk.act(desk.admin, set_user_role, user_id=desk.agent.id, role=Role.MANAGER)
    with session_scope(desk.engine) as session:
        for entry, moment in zip(session.scalars(select(AuditEntry).order_by(AuditEntry.id)), TIMES, strict=True):
            entry.created_at = moment
    return desk


def open_log(person, *, timezone: str | None = None) -> AppTest:
    at = open_app(person, page=PAGE)
    if timezone is not None:  # what the person's browser reports
        at.context["timezone"] = timezone
        rerun(at)
    return at


def table(at: AppTest) -> list[dict]:
    [frame] = at.dataframe
    assert list(frame.value.columns) == COLUMNS
    return frame.value.to_dict("records")


def targets(at: AppTest) -> list[str]:
    return [row["Target"] for row in table(at)] if at.dataframe else []


def test_a_manager_reads_every_entry_newest_first_in_words(logged, manager):
    at = open_log(manager, timezone="UTC")
    assert at.title[0].value == "Audit log"
    assert table(at) == [
        {"When": "2026-03-03 23:30 UTC", "Who": "Ada Admin", "What": "Role changed",
         "Target": "Alex Agent <alex@support.example.com>", "From": "Agent", "To": "Manager"},
        {"When": "2026-03-03 14:00 UTC", "Who": "Ada Admin", "What": "Setting changed",
         "Target": "Automatic assignment", "From": "On", "To": "Off"},
        {"When": "2026-03-03 09:15 UTC", "Who": "The server (CLI)", "What": "Account created",
         "Target": "Mo Manager <mo@example.com>", "From": "", "To": "Manager"},
        {"When": "2026-03-02 10:00 UTC", "Who": "Ada Admin", "What": "Account created",
         "Target": "Alan Agent <alan@example.com>", "From": "", "To": "Agent"},
    ]
    assert "4 entries, newest first" in page_text(at)
    # Times read in the viewer's own zone.
    assert table(open_log(manager, timezone="Europe/Amsterdam"))[0]["When"] == "2026-03-04 00:30 CET"


def test_an_administrator_reads_it_too_from_the_menu(logged):
    at = open_app(logged.admin)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Audit log" and len(table(at)) == 4


def test_who_offers_the_people_in_the_log_and_the_server_and_filters_by_them(logged, manager):
    at = open_log(manager)
    who = at.selectbox(key="audit_who")
    assert who.options == ["Everyone", "The server (CLI)", "Ada Admin (ada@support.example.com)"]
    who.select_index(2)
    rerun(at)
    assert {row["Who"] for row in table(at)} == {"Ada Admin"} and len(table(at)) == 3
    assert "3 entries match, newest first" in page_text(at)

    at.selectbox(key="audit_who").select_index(1)
    rerun(at)
    assert targets(at) == ["Mo Manager <mo@example.com>"]
    assert "1 entry matches, newest first" in page_text(at)


def test_what_filters_by_the_actions_chosen(logged, manager):
    at = open_log(manager)
    what = at.multiselect(key="audit_what")
    assert "SLA targets changed" in what.options and "Failed mail retried" in what.options
    what.select(AuditAction.USER_ROLE_CHANGED).select(AuditAction.SETTING_CHANGED)
    rerun(at)
    assert [row["What"] for row in table(at)] == ["Role changed", "Setting changed"]

    at.multiselect(key="audit_what").set_value([AuditAction.CANNED_REPLY_DELETED])
    rerun(at)
    assert not at.dataframe
    assert messages(at, "info") == ["No entries match these filters."]


def test_when_takes_the_days_of_the_viewers_own_calendar(logged, manager):
    """4 March in Amsterdam starts at 23:00 UTC on 3 March: the role change at 23:30 UTC is on it."""
    at = open_log(manager, timezone="Europe/Amsterdam")
    at.date_input(key="audit_when").set_value((date(2026, 3, 4), date(2026, 3, 4)))
    rerun(at)
    assert targets(at) == ["Alex Agent <alex@support.example.com>"]

    at = open_log(manager, timezone="UTC")
    at.date_input(key="audit_when").set_value((date(2026, 3, 3), date(2026, 3, 3)))
    rerun(at)
    assert targets(at) == ["Alex Agent <alex@support.example.com>", "Automatic assignment",
                           "Mo Manager <mo@example.com>"]
    at.date_input(key="audit_when").set_value((date(2026, 3, 2), date(2026, 3, 3)))
    rerun(at)
    assert len(table(at)) == 4
    at.date_input(key="audit_when").set_value((date(2025, 1, 1), date(2025, 12, 31)))
    rerun(at)
    assert messages(at, "info") == ["No entries match these filters."]


def test_an_empty_log_says_so_in_words(app_desk, manager):
    at = open_log(manager)
    assert not at.dataframe
    assert messages(at, "info") == [
        "Nothing has been recorded yet: changes administrators make appear here, with who made them and when."]
    assert at.selectbox(key="audit_who").options == ["Everyone", "The server (CLI)"]


def seed_many(engine, count: int) -> None:
    """`count` entries by the CLI, one a minute, numbered oldest first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        for number in range(1, count + 1):
            entry = audit.record(session, actor=None, action=AuditAction.USER_CREATED, target=f"entry {number}")
            entry.created_at = start + timedelta(minutes=number)


def test_a_long_log_pages_fifty_at_a_time(app_desk, manager):
    seed_many(app_desk.engine, 120)
    at = open_log(manager)
    assert targets(at)[:2] == ["entry 120", "entry 119"] and len(table(at)) == 50
    assert "120 entries, newest first" in page_text(at)
    page = at.number_input(key="audit_page")
    assert page.label == "Page (of 3)"
    page.set_value(3)
    rerun(at)
    assert targets(at) == [f"entry {n}" for n in range(20, 0, -1)]


def test_past_the_count_limit_the_page_says_more_than_and_points_to_the_dates(app_desk, manager, monkeypatch):
    monkeypatch.setattr(audit, "COUNT_LIMIT", 100)  # the page reads it from the service's module
    seed_many(app_desk.engine, 120)
    at = open_log(manager)
    assert ("More than 100 entries; the newest 100 are shown here, newest first. Choose dates under When to reach "
            "older ones.") in page_text(at)
    assert at.number_input(key="audit_page").label == "Page (of 2)"


# Bo: Alex is a manager by the end of the seeded log.
@pytest.mark.parametrize("who, home", [("agent2", "Queue"), ("customer", "Submit a ticket")])
def test_an_agent_or_customer_typing_the_address_is_sent_to_their_start_page(logged, who, home):
    person = getattr(logged, who)
    at = open_app(person)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    type_address(at, "audit_log")
    assert at.title[0].value == home
    assert "That page is for managers and administrators. Here is your start page." in messages(at, "info")
    assert "Alan Agent" not in page_text(at) and not any("Automatic assignment" in str(f.value) for f in at.dataframe)


@pytest.mark.parametrize("who", ["agent2", "customer"])
def test_the_page_refuses_agents_and_customers_even_when_run_directly(logged, who):
    at = AppTest.from_file(str(APP.parent / PAGE), default_timeout=RUN_TIMEOUT)
    at.session_state["user_id"] = getattr(logged, who).id
    at.run()
    assert not at.exception
    assert messages(at) == ["Only managers and administrators can read the audit log."]
    assert not (at.dataframe or at.selectbox or at.multiselect or at.date_input)
