"""The numbers the README promises, written here as literals and checked through what the
services do, so changing any of them in the code fails a test (issue 7).

Never read back from the constants they check: `throttle.ADDRESS`, `RetryPolicy()` and
friends appear nowhere below. Already pinned elsewhere, and so not repeated here: the SLA
targets a fresh database starts with (tests/sla/test_sla.py::test_default_targets_per_priority:
the rows migration 0001 seeds) and the 5-file and 10 MB attachment limits
(tests/tickets/test_attachments.py). SQLite and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk.accounts import users as accounts_users
from helpdesk.core.clock import utcnow
from helpdesk.core.config import PROJECT_ROOT
from helpdesk.core.db import make_engine, session_scope
from helpdesk.core.errors import AuthenticationFailed, Throttled
from helpdesk.enums import OutboxStatus, Priority, Role, TicketStatus
from helpdesk.jobs.maintenance import run_maintenance
from helpdesk.models import Category, OutboxMessage, Ticket, User
from helpdesk.notifications import compose, outbox, sender
from helpdesk.sla import policies
from helpdesk.tickets import queue, staff
from helpdesk.tickets.attachments import UploadedFile, upload_problems
from helpdesk.tickets.queue import QueueView
from tests.factories import TEST_PASSWORD, add_user
from tests.smtp_server import SmtpTestServer, smtp_server  # noqa: F401  (fixture)

WRONG_PASSWORD = "Not-the-password-9"

pytestmark = pytest.mark.usefixtures("no_local_configuration")


# --- sign-in throttle: per address 3 free failures, then a wait from 2 s doubling to at most
# 15 minutes; per client (IP address) 20 free; forgotten a day after the last failure ------------

def attempt(engine, email, password, client=None):
    """One sign-in the way the page makes it: its own session_scope, rolled back on a refusal."""
    with session_scope(engine) as session:
        return accounts_users.authenticate(session=session, email=email, password=password, client=client)


def fail(engine, email, times: int, client=None) -> None:
    for n in range(times):
        with pytest.raises(AuthenticationFailed):  # never Throttled on the way there
            attempt(engine, email, WRONG_PASSWORD, client)


def wait_said(engine, email, client=None) -> str | None:
    """How long the right password is told to wait, in words; None if it signs in (which
    forgets the address's failures)."""
    try:
        attempt(engine, email, TEST_PASSWORD, client)
    except Throttled as exc:
        said = str(exc)
        assert said.startswith("Too many failed sign-ins. Try again in ") and said.endswith(".")
        return said.removeprefix("Too many failed sign-ins. Try again in ").removesuffix(".")
    return None


def test_three_failures_are_free_and_the_fourth_makes_the_address_wait_2_seconds(engine, clock):
    add_user(engine, email="three@example.com")
    fail(engine, "three@example.com", 3)
    assert wait_said(engine, "three@example.com") is None

    add_user(engine, email="four@example.com")
    fail(engine, "four@example.com", 4)
    assert wait_said(engine, "four@example.com") == "2 seconds"  # even the right password waits
    clock.advance(seconds=2)
    assert wait_said(engine, "four@example.com") is None


def test_the_wait_doubles_with_each_failure_and_stops_at_15_minutes(engine, clock):
    add_user(engine, email="slow@example.com")
    fail(engine, "slow@example.com", 3)
    said = []
    for seconds in (2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900):
        fail(engine, "slow@example.com", 1)
        said.append(wait_said(engine, "slow@example.com"))
        clock.advance(seconds=seconds - 1)
        assert wait_said(engine, "slow@example.com") == "1 second"
        clock.advance(seconds=1)
    assert said == ["2 seconds", "4 seconds", "8 seconds", "16 seconds", "32 seconds", "2 minutes", "3 minutes",
                    "5 minutes", "9 minutes", "15 minutes", "15 minutes"]


def test_a_client_has_20_free_failures_across_addresses(engine, clock):
    add_user(engine, email="office@example.com")
    for n in range(20):
        fail(engine, f"guess{n}@example.com", 1, client="203.0.113.7")
    assert wait_said(engine, "office@example.com", client="203.0.113.7") is None
    fail(engine, "guess20@example.com", 1, client="203.0.113.7")
    assert wait_said(engine, "office@example.com", client="203.0.113.7") == "2 seconds"


def test_failures_are_forgotten_24_hours_after_the_last_one(engine, clock):
    add_user(engine, email="steady@example.com")
    fail(engine, "steady@example.com", 3)
    clock.advance(hours=23, minutes=59, seconds=59)
    fail(engine, "steady@example.com", 1)  # the fourth: still counted
    assert wait_said(engine, "steady@example.com") == "2 seconds"
    clock.advance(hours=24)
    fail(engine, "steady@example.com", 3)  # a quiet day later: three free failures again
    assert wait_said(engine, "steady@example.com") is None


# --- attachments: the default allow-list ------------------------------------------------

README_TYPES = ["png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "log", "csv",
                "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp"]
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24  # .doc / .xls / .ppt
ZIP = b"PK\x03\x04\x14\x00\x06\x00" + b"content.xml"  # the Office Open XML and OpenDocument formats
SAMPLES = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF", "gif": b"GIF89a\x01\x00\x01\x00", "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "pdf": b"%PDF-1.7\n", "txt": b"hello\n", "log": b"ERROR boom\n", "csv": b"a,b\n1,2\n",
    "doc": OLE, "xls": OLE, "ppt": OLE, "docx": ZIP, "xlsx": ZIP, "pptx": ZIP, "odt": ZIP, "ods": ZIP, "odp": ZIP,
}


@pytest.mark.parametrize("extension", README_TYPES)
def test_every_type_the_readme_lists_is_accepted_by_default(extension):
    assert upload_problems([UploadedFile(f"file.{extension}", SAMPLES[extension])]) is None


@pytest.mark.parametrize("filename", ["setup.exe", "page.html", "drawing.svg", "app.js", "archive.zip", "run.sh"])
def test_other_types_are_refused_by_default_and_the_message_lists_what_is_allowed(filename):
    assert upload_problems([UploadedFile(filename, b"anything")]) == (
        f"“{filename}” is not an allowed type. Allowed: png, jpg, jpeg, gif, webp, pdf, txt, log, csv, "
        "doc, docx, xls, xlsx, ppt, pptx, odt, ods, odp.")


# --- mail: retries after 1, 2, 4 ... minutes (at most an hour apart), failed after 8 attempts --

def queue_mail(engine, address="carla@example.com") -> None:
    with session_scope(engine) as session:
        outbox.enqueue(session, event="test", recipient=None, recipient_email=address,
                       mail=compose.admin_test_mail(address, User(name="Ada", email="ada@example.com")))


def the_row(engine) -> OutboxMessage:
    with session_scope(engine) as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        return row


def test_a_failing_mail_is_retried_after_1_2_4_8_16_32_60_minutes_and_failed_after_the_8th_attempt(engine):
    queue_mail(engine)
    down = SmtpTestServer().settings()  # never started: its port on 127.0.0.1 refuses connections
    now = utcnow()
    for attempts, wait in enumerate([1, 2, 4, 8, 16, 32, 60], start=1):
        report = sender.send_due(engine, down, now=now)
        row = the_row(engine)
        assert (report.retried, report.failed) == (1, 0)
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, attempts)
        assert row.next_attempt_at - now == timedelta(minutes=wait)
        assert "ConnectionRefused" in row.last_error
        assert sender.send_due(engine, down, now=now + timedelta(minutes=wait, seconds=-1)).claimed == 0
        now += timedelta(minutes=wait)

    report = sender.send_due(engine, down, now=now)  # the 8th attempt
    row = the_row(engine)
    assert (report.retried, report.failed) == (0, 1)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 8)
    assert "ConnectionRefused" in row.last_error
    assert sender.send_due(engine, down, now=now + timedelta(days=30)).claimed == 0


def test_a_row_claimed_and_never_marked_is_taken_again_after_its_15_minute_lease(engine, smtp_server):
    queue_mail(engine)
    t0 = utcnow()
    assert len(sender.claim_due(engine, now=t0)) == 1  # its sender died before sending
    settings = smtp_server.settings()
    assert sender.send_due(engine, settings, now=t0 + timedelta(minutes=14, seconds=59)).claimed == 0
    assert smtp_server.messages == []
    report = sender.send_due(engine, settings, now=t0 + timedelta(minutes=15, seconds=1))
    assert (report.claimed, report.sent) == (1, 1)
    assert [m.to for m in smtp_server.messages] == ["carla@example.com"]


# --- auto-close after 7 days; "Breaching soon" within 2 hours; "Recently resolved" 7 days ------

def resolve(desk, ticket_id, resolved_at) -> None:
    """Alex resolves the ticket; the record then says it happened at `resolved_at`."""
    desk.act(desk.agent, staff.change_status, ticket_id=ticket_id, status=TicketStatus.RESOLVED)
    with session_scope(desk.engine) as session:
        session.get(Ticket, ticket_id).resolved_at = resolved_at


def status_of(desk, ticket_id) -> TicketStatus:
    return desk.ticket(ticket_id).status


def test_resolved_tickets_are_auto_closed_after_7_days_by_default(desk):
    now = utcnow()
    almost = desk.raise_ticket(subject="Resolved 6 days 23 hours ago")
    resolve(desk, almost, now - timedelta(days=6, hours=23))
    due = desk.raise_ticket(subject="Resolved 7 days and a minute ago")
    resolve(desk, due, now - timedelta(days=7, minutes=1))

    report = run_maintenance(desk.engine, now=now)
    assert report.closed_ids == [due]
    assert (status_of(desk, almost), status_of(desk, due)) == (TicketStatus.RESOLVED, TicketStatus.CLOSED)


# --- SLA targets: urgent 1 h / 8 h, high 4 h / 24 h, normal 8 h / 72 h, low 24 h / 120 h -------

README_SLA_HOURS = [(Priority.URGENT, 1, 8), (Priority.HIGH, 4, 24), (Priority.NORMAL, 8, 72), (Priority.LOW, 24, 120)]


@pytest.mark.parametrize(("priority", "first", "resolution"), README_SLA_HOURS)
def test_resetting_sla_targets_brings_back_the_readme_defaults(desk, priority, first, resolution):
    """A fresh database starts from the rows the migration seeds (pinned in test_sla.py); "reset"
    deletes the row and falls back to the built-in defaults, which must be the same numbers."""
    desk.act(desk.admin, policies.update_policy, priority=priority, first_response_hours=3, resolution_hours=30)
    desk.act(desk.admin, policies.reset_policy, priority=priority)
    ticket = desk.ticket(desk.raise_ticket(priority=priority))
    assert ticket.first_response_due_at - ticket.created_at == timedelta(hours=first)
    assert ticket.resolution_due_at - ticket.created_at == timedelta(hours=resolution)


def subjects(desk, view, now) -> list[str]:
    with session_scope(desk.engine) as session:
        page = queue.list_queue(session=session, actor=desk.agent, view=view, now=now, page_size=100)
        return sorted(row.subject for row in page.rows)


def test_breaching_soon_shows_targets_due_within_2_hours(desk):
    now = utcnow()
    desk.raise_ticket(subject="first reply due in 1:59", first_response_due_at=now + timedelta(hours=1, minutes=59))
    desk.raise_ticket(subject="first reply due in 2:01", first_response_due_at=now + timedelta(hours=2, minutes=1))
    desk.raise_ticket(subject="answered, resolution due in 1:59", first_response_at=now,
                      resolution_due_at=now + timedelta(hours=1, minutes=59))
    desk.raise_ticket(subject="answered, resolution due in 2:01", first_response_at=now,
                      resolution_due_at=now + timedelta(hours=2, minutes=1))
    assert subjects(desk, QueueView.BREACHING_SOON, now) == ["answered, resolution due in 1:59",
                                                            "first reply due in 1:59"]


def test_recently_resolved_shows_the_last_7_days(desk):
    now = utcnow()
    resolve(desk, desk.raise_ticket(subject="resolved 6 days 23 hours ago"), now - timedelta(days=6, hours=23))
    resolve(desk, desk.raise_ticket(subject="resolved 7 days and a minute ago"), now - timedelta(days=7, minutes=1))
    assert subjects(desk, QueueView.RECENTLY_RESOLVED, now) == ["resolved 6 days 23 hours ago"]


# --- seed-demo: 8 categories, 20 agents, 500 customers, 5,000 tickets ---------------------

def test_seed_demo_without_options_makes_what_the_readme_says(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {k: v for k, v in os.environ.items() if k != "HELPDESK_DATABASE_URL"}
    result = subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", url, "seed-demo"],
                            capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=300,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            def users(role):
                return session.scalar(select(func.count()).select_from(User).where(User.role == role))
            assert session.scalar(select(func.count()).select_from(Category)) == 8
            assert users(Role.AGENT) == 20
            assert users(Role.CUSTOMER) == 500
            assert session.scalar(select(func.count()).select_from(Ticket)) == 5000
    finally:
        engine.dispose()
