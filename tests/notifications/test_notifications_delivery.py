"""Delivery through the outbox: the mail server going away and coming back, retries with
backoff, giving up, admin retry, crashed senders, two senders at once, the CLI worker with
stdin closed, the background thread, and the SMTP password never showing up anywhere.
A real aiosmtpd server on 127.0.0.1; SQLite and PostgreSQL."""
from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from helpdesk.core.clock import utcnow
from helpdesk.core.config import PROJECT_ROOT
from helpdesk.core.db import make_engine, session_scope
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.enums import OutboxStatus
from helpdesk.models import OutboxMessage, User
from helpdesk.notifications import background, compose, outbox, sender
from helpdesk.notifications import outbox_admin as mail_admin
from helpdesk.notifications.sender import RetryPolicy
from tests.smtp_server import SmtpTestServer, smtp_server  # noqa: F401  (fixture)

# The test server takes AUTH over plain TCP on 127.0.0.1, which aiosmtpd warns about.
pytestmark = [pytest.mark.usefixtures("no_local_configuration"),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")]

SMTP_USER = "mailer@example.com"
SMTP_PASSWORD = "S3cret-Smtp-Pa55word"


@pytest.fixture
def auth_smtp_server():
    server = SmtpTestServer(user=SMTP_USER, password=SMTP_PASSWORD).start()
    yield server
    server.stop()


def queue_mails(engine, count: int, prefix: str = "person") -> list[str]:
    """`count` pending mails to distinct addresses; returns the addresses."""
    addresses = [f"{prefix}{n}@example.com" for n in range(count)]
    with session_scope(engine) as session:
        requester = User(name="Ada", email="x@example.com")
        for address in addresses:
            outbox.enqueue(session, event="test", recipient=None, recipient_email=address,
                           mail=compose.admin_test_mail(address, requester))
    return addresses


def rows(engine) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def delivered_ids(server) -> list[str]:
    return [m.message["Message-ID"] for m in server.messages]


# --- mail server down, then back --------------------------------------------------------

def test_while_mail_is_down_rows_wait_with_backoff_and_each_is_delivered_once_when_it_returns(engine, smtp_server):
    addresses = queue_mails(engine, 3)
    settings = smtp_server.settings()
    smtp_server.stop()
    t0 = utcnow()

    report = sender.send_due(engine, settings, now=t0)
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    for row in rows(engine):
        assert row.status == OutboxStatus.PENDING and row.attempts == 1
        assert row.next_attempt_at == t0 + timedelta(minutes=1)
        assert "ConnectionRefused" in row.last_error

    assert sender.send_due(engine, settings, now=t0 + timedelta(seconds=59)).claimed == 0  # backing off

    sender.send_due(engine, settings, now=t0 + timedelta(minutes=1))  # still down: the wait doubles
    assert {(r.attempts, r.next_attempt_at) for r in rows(engine)} == {(2, t0 + timedelta(minutes=3))}

    smtp_server.start()  # back, on the same port
    assert sender.send_due(engine, settings, now=t0 + timedelta(minutes=2)).claimed == 0
    report = sender.send_due(engine, settings, now=t0 + timedelta(minutes=3))
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    for _ in range(3):  # later passes find nothing to send again
        assert sender.send_due(engine, settings, now=t0 + timedelta(days=1)).claimed == 0

    assert sorted(m.to for m in smtp_server.messages) == sorted(addresses)
    assert len(set(delivered_ids(smtp_server))) == 3
    for row in rows(engine):
        assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.last_error is None


def test_without_mail_settings_nothing_is_claimed_and_mail_stays_queued(engine):
    queue_mails(engine, 2)
    assert sender.send_due(engine, None).claimed == 0
    assert {(r.status, r.attempts) for r in rows(engine)} == {(OutboxStatus.PENDING, 0)}


def test_a_mail_that_cannot_be_built_fails_at_once_without_blocking_the_others(engine, smtp_server):
    """An address no mail can carry (from before addresses were validated, or typed into the
    database) fails the same way every time: failed on the first attempt with the reason, never
    retried eight times, and the mails around it still go out. (A recipient the server refuses
    is retried: test_mail_delivery_rules.)"""
    queue_mails(engine, 1, prefix="good")
    with session_scope(engine) as session:
        bad = OutboxMessage(event="test", recipient_email="bad address@", subject="s", text_body="t",
                            html_body="<p>h</p>")
        session.add(bad)
        session.flush()
        bad_id = bad.id
    queue_mails(engine, 1, prefix="later")
    report = sender.send_due(engine, smtp_server.settings())
    assert (report.sent, report.failed, report.retried) == (2, 1, 0)
    assert sorted(m.to for m in smtp_server.messages) == ["good0@example.com", "later0@example.com"]
    with session_scope(engine) as session:
        bad = session.get(OutboxMessage, bad_id)
        assert (bad.status, bad.attempts) == (OutboxStatus.FAILED, 1)
        assert bad.last_error.startswith("This mail could not be built")


def test_a_recipient_with_a_line_break_fails_at_once_saying_why_and_reaches_nobody(engine, smtp_server):
    """An address typed into the database with a header after it ("...\r\nBcc: ...") is never
    sent, to anyone; the admin's outbox says exactly why."""
    with session_scope(engine) as session:
        bad = OutboxMessage(event="test", recipient_email="carla@example.com\r\nBcc: spy@evil.example",
                            subject="s", text_body="t", html_body="<p>h</p>")
        session.add(bad)
        session.flush()
        bad_id = bad.id
    report = sender.send_due(engine, smtp_server.settings())
    assert (report.sent, report.failed) == (0, 1)
    assert smtp_server.messages == []
    with session_scope(engine) as session:
        assert session.get(OutboxMessage, bad_id).last_error == (
            "This mail could not be built: ValueError: Header values may not contain linefeed or carriage return "
            "characters")


def test_a_from_address_without_a_domain_still_gives_each_mail_its_stable_message_id(engine, smtp_server):
    """A server account such as "apikey" used as the sender: replies and duplicates still thread."""
    [address] = queue_mails(engine, 1)
    [row] = rows(engine)
    sender.send_due(engine, smtp_server.settings(from_address="helpdesk"))
    assert [m.to for m in smtp_server.messages] == [address]
    [row] = rows(engine)
    assert delivered_ids(smtp_server) == [f"<ccr-outbox-{row.id}.{row.message_token}@helpdesk.invalid>"]


# --- giving up, and the admin's retry ---------------------------------------------------

def test_after_the_last_attempt_a_mail_is_failed_with_its_error_and_an_admin_can_retry_it(desk, smtp_server):
    engine = desk.engine
    queue_mails(engine, 1)
    settings = smtp_server.settings()
    policy = RetryPolicy(max_attempts=2)
    smtp_server.stop()
    t0 = utcnow()
    sender.send_due(engine, settings, now=t0, policy=policy)
    report = sender.send_due(engine, settings, now=t0 + timedelta(minutes=1), policy=policy)
    assert report.failed == 1
    [row] = rows(engine)
    assert row.status == OutboxStatus.FAILED and row.attempts == 2 and "ConnectionRefused" in row.last_error
    assert sender.send_due(engine, settings, now=t0 + timedelta(days=1), policy=policy).claimed == 0

    with session_scope(engine) as session:
        page = mail_admin.list_outbox(session=session, actor=session.get(User, desk.admin.id),
                                      status=OutboxStatus.FAILED)
        assert [r.id for r in page.rows] == [row.id] and page.total == 1
        assert page.counts[OutboxStatus.FAILED] == 1 and page.counts[OutboxStatus.PENDING] == 0
        with pytest.raises(PermissionDenied):
            mail_admin.retry_failed(session=session, actor=session.get(User, desk.customer.id), message_id=row.id)
        mail_admin.retry_failed(session=session, actor=session.get(User, desk.admin.id), message_id=row.id)
    [row] = rows(engine)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)

    smtp_server.start()
    assert sender.send_due(engine, settings, policy=policy).sent == 1
    assert len(smtp_server.messages) == 1
    with pytest.raises(ValidationError):
        desk.act(desk.admin, mail_admin.retry_failed, message_id=row.id)


# --- crashed sender ---------------------------------------------------------------------

def test_a_row_orphaned_by_a_crashed_sender_is_sent_after_the_lease_and_only_then(engine, smtp_server):
    queue_mails(engine, 1)
    t0 = utcnow()
    [claimed] = sender.claim_due(engine, now=t0)  # a sender claimed it, then died before sending
    assert rows(engine)[0].status == OutboxStatus.SENDING

    settings = smtp_server.settings()
    assert sender.send_due(engine, settings, now=t0 + timedelta(minutes=5)).claimed == 0
    report = sender.send_due(engine, settings, now=t0 + RetryPolicy().lease + timedelta(seconds=1))
    assert report.sent == 1 and len(smtp_server.messages) == 1
    [row] = rows(engine)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    # The Message-ID is the row's, so a duplicate from a crash after sending can be recognised.
    assert smtp_server.messages[0].message["Message-ID"] == f"<ccr-outbox-{claimed.id}.{claimed.message_token}@example.com>"


# --- two senders at once ----------------------------------------------------------------

def test_two_concurrent_senders_deliver_every_mail_exactly_once(engine, smtp_server):
    """Two workers, each with its own engine and connections, racing over the same queue."""
    addresses = queue_mails(engine, 40)
    settings = smtp_server.settings()
    url = engine.url.render_as_string(hide_password=False)
    start = threading.Barrier(2)
    sent_by = [0, 0]
    problems = []

    def worker(index: int) -> None:
        own_engine = make_engine(url)
        try:
            start.wait()
            while True:
                report = sender.send_due(own_engine, settings, limit=3)
                sent_by[index] += report.sent
                problems.extend(report.errors)
                if report.claimed == 0:
                    return
        except Exception as exc:  # surfaced by the assertion below
            problems.append(repr(exc))
        finally:
            own_engine.dispose()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert problems == []
    assert sum(sent_by) == 40
    assert sorted(m.to for m in smtp_server.messages) == sorted(addresses)
    assert len(set(delivered_ids(smtp_server))) == 40
    assert {(r.status, r.attempts) for r in rows(engine)} == {(OutboxStatus.SENT, 1)}


def test_on_postgresql_a_sender_skips_rows_another_holds_instead_of_waiting(postgres_engine):
    # Row locks with SKIP LOCKED are PostgreSQL's; SQLite serialises the claim statement.
    engine = postgres_engine
    queue_mails(engine, 3)
    first_id = rows(engine)[0].id
    with engine.connect() as holder:
        holder.execute(text("SET lock_timeout = '5s'"))
        holder.execute(select(OutboxMessage.id).where(OutboxMessage.id == first_id).with_for_update())
        other = make_engine(engine.url.render_as_string(hide_password=False))

        @event.listens_for(other, "connect")
        def _fail_instead_of_waiting(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:  # a claim that waited for the lock would error out
                cursor.execute("SET lock_timeout = '2s'")
            dbapi_connection.commit()

        try:
            claimed = sender.claim_due(other, now=utcnow())
        finally:
            other.dispose()
        holder.rollback()
    assert sorted(mail.id for mail in claimed) == [r.id for r in rows(engine)][1:]


# --- secrets ----------------------------------------------------------------------------

def _secret_forms(secret: str) -> list[str]:
    return [secret, base64.b64encode(secret.encode()).decode(),
            base64.b64encode(f"\0{SMTP_USER}\0{secret}".encode()).decode()]


def test_the_smtp_password_never_appears_in_logs_or_outbox_rows(engine, auth_smtp_server, caplog):
    queue_mails(engine, 1)
    caplog.set_level(logging.DEBUG)
    report = sender.send_due(engine, auth_smtp_server.settings())
    assert report.sent == 1 and auth_smtp_server.logins == [SMTP_USER]

    wrong = "Wr0ng-Secret-Typed-In"
    queue_mails(engine, 1, prefix="second")
    report = sender.send_due(engine, auth_smtp_server.settings(password=wrong))
    assert report.retried == 1
    failed = [r for r in rows(engine) if r.status == OutboxStatus.PENDING][0]
    assert "Authentication" in failed.last_error or "535" in failed.last_error

    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # mail.log is the test server
    assert any(r.name.startswith("helpdesk") for r in ours)
    logged = "\n".join(r.getMessage() for r in ours)
    stored = "\n".join(f"{r.last_error} {r.text_body} {r.html_body} {r.subject}" for r in rows(engine))
    for secret in (SMTP_PASSWORD, wrong):
        for form in _secret_forms(secret):
            assert form not in logged and form not in stored
    settings = auth_smtp_server.settings()
    assert SMTP_PASSWORD not in repr(settings) and SMTP_PASSWORD not in settings.describe()


def test_the_admin_mail_status_shows_where_mail_goes_but_never_the_password(desk, monkeypatch):
    with session_scope(desk.engine) as session:
        status = mail_admin.mail_status(actor=session.get(User, desk.admin.id))
    assert not status.configured and "Mail is not configured" in status.summary
    monkeypatch.setenv("HELPDESK_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("HELPDESK_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("HELPDESK_SMTP_PASSWORD", SMTP_PASSWORD)
    with session_scope(desk.engine) as session:
        status = mail_admin.mail_status(actor=session.get(User, desk.admin.id))
    assert status.configured and "smtp.example.com:587 (starttls) as mailer@example.com" in status.summary
    assert SMTP_PASSWORD not in status.summary


# --- the CLI worker ---------------------------------------------------------------------

def run_notify(engine, env: dict[str, str], tmp_path, *args: str) -> subprocess.CompletedProcess:
    """`python -m helpdesk notify` as an operator runs it, with stdin closed: a password prompt
    would fail or hang (and hit the timeout) instead of passing unnoticed."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPDESK_SMTP_", "HELPDESK_MAIL_"))}
    full_env.update(env, HOME=str(tmp_path), HELPDESK_SECRETS_FILE=str(tmp_path / "no-secrets.toml"))
    url = engine.url.render_as_string(hide_password=False)
    return subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", url, "notify", *args],
                          cwd=PROJECT_ROOT, env=full_env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def test_notify_command_sends_queued_mail_with_stdin_closed_and_never_prints_the_password(
        engine, auth_smtp_server, tmp_path):
    queue_mails(engine, 25)  # more than one batch
    result = run_notify(engine, auth_smtp_server.env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "25 mails sent; 0 waiting." in result.stdout
    assert len(auth_smtp_server.messages) == 25
    for form in _secret_forms(SMTP_PASSWORD):
        assert form not in result.stdout + result.stderr


def test_notify_command_with_a_user_but_no_password_never_prompts(engine, auth_smtp_server, tmp_path):
    """yagmail would look for the password in a keyring and then prompt; we skip the login
    instead, the server refuses, and the mail waits for a retry."""
    queue_mails(engine, 1)
    env = auth_smtp_server.env()
    del env["HELPDESK_SMTP_PASSWORD"]
    result = run_notify(engine, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Password for" not in result.stdout + result.stderr
    assert "0 mails sent; 1 waiting." in result.stdout
    [row] = rows(engine)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and row.last_error
    assert auth_smtp_server.messages == []


def test_notify_command_without_mail_settings_leaves_the_queue_alone(engine, tmp_path):
    queue_mails(engine, 2)
    result = run_notify(engine, {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Mail is not configured" in result.stderr and "0 mails sent; 2 waiting." in result.stdout


# --- the background thread --------------------------------------------------------------

def test_background_sender_delivers_queued_mail_off_the_request_path(engine, smtp_server, monkeypatch):
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    queue_mails(engine, 25)  # more than one batch: the first pass sends them all
    running = background.start_background_sender(engine, interval=3600)
    try:
        assert running is not None and running.is_alive()
        assert background.start_background_sender(engine) is running  # one per process
        assert len(smtp_server.wait_for(25)) == 25
        queue_mails(engine, 1, prefix="later")
        running.wake()
        assert len(smtp_server.wait_for(26)) == 26
    finally:
        background.stop_background_sender()
    assert not running.is_alive()
    assert {r.status for r in rows(engine)} == {OutboxStatus.SENT}


def test_background_sender_stays_off_when_mail_is_not_configured_or_switched_off(engine, smtp_server, monkeypatch):
    assert background.start_background_sender(engine) is None
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HELPDESK_MAIL_BACKGROUND", "0")
    assert background.start_background_sender(engine) is None


# --- the admin's test mail --------------------------------------------------------------

def test_admin_test_mail_is_queued_and_delivered(desk, smtp_server):
    with session_scope(desk.engine) as session:
        admin = session.get(User, desk.admin.id)
        with pytest.raises(PermissionDenied):
            mail_admin.enqueue_test_mail(session=session, actor=session.get(User, desk.customer.id))
        with pytest.raises(ValidationError) as bad:
            mail_admin.enqueue_test_mail(session=session, actor=admin, to_email="not an address")
        assert "to_email" in bad.value.field_errors
        mail_admin.enqueue_test_mail(session=session, actor=admin)
        mail_admin.enqueue_test_mail(session=session, actor=admin, to_email="Ops@Example.com")
    sender.send_due(desk.engine, smtp_server.settings())
    assert sorted(m.to for m in smtp_server.messages) == ["ada@support.example.com", "ops@example.com"]
    mail = smtp_server.to("ada@support.example.com")[0]
    assert mail.subject == "Customer Care Registry: test mail"
    assert "requested by Ada Admin" in mail.text and "requested by Ada Admin" in mail.html


def test_admin_outbox_list_filters_and_counts(desk, smtp_server):
    engine = desk.engine
    queue_mails(engine, 3, prefix="sent")
    sender.send_due(engine, smtp_server.settings())
    queue_mails(engine, 2, prefix="waiting")
    with session_scope(engine) as session:
        actor = session.get(User, desk.admin.id)
        everything = mail_admin.list_outbox(session=session, actor=actor, limit=2)
        assert everything.total == 5 and len(everything.rows) == 2
        assert everything.rows[0].recipient_email == "waiting1@example.com"  # newest first
        assert everything.counts[OutboxStatus.SENT] == 3 and everything.counts[OutboxStatus.PENDING] == 2
        pending = mail_admin.list_outbox(session=session, actor=actor, status=OutboxStatus.PENDING)
        assert sorted(r.recipient_email for r in pending.rows) == ["waiting0@example.com", "waiting1@example.com"]
        found = mail_admin.list_outbox(session=session, actor=actor, recipient="SENT1@")
        assert [r.recipient_email for r in found.rows] == ["sent1@example.com"]
        full = mail_admin.get_outbox_message(session=session, actor=actor, message_id=found.rows[0].id)
        assert "test mail" in full.text_body
