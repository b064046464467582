"""The sender's rules as the people around it see them: the counts `notify` reports, the log
lines an operator reads, the error an admin reads on a failed row of the Mail page, the
headers a mail client acts on, the lease boundary to the second, the batch size and order,
that a secure setting never falls back to plain text, and that a silent server cannot hang
the sender (issue 7, mutation survivors of helpdesk/notifications/sender.py).

A real aiosmtpd server on 127.0.0.1 (tests/smtp_server.py); SQLite and PostgreSQL."""
from __future__ import annotations

import logging
import smtplib
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, update

from helpdesk.core.clock import utcnow
from helpdesk.core.db import make_engine, session_scope
from helpdesk.enums import OutboxStatus
from helpdesk.models import OutboxMessage, User
from helpdesk.notifications import compose, outbox, sender
from helpdesk.notifications.sender import ClaimedMail, RetryPolicy
from tests.smtp_server import HOST, SmtpTestServer, _Collector, smtp_server  # noqa: F401  (fixture)

REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"
GONE = "gone@example.com"  # a mailbox the server below does not have

pytestmark = pytest.mark.usefixtures("no_local_configuration")


class _RefusesGone(_Collector):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == GONE:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class PickyServer(SmtpTestServer):
    """The real aiosmtpd server of tests/smtp_server.py, answering 550 for one mailbox."""

    def start(self) -> PickyServer:
        self._controller = Controller(_RefusesGone(self), hostname=HOST, port=self.port)
        self._controller.start()
        return self


@pytest.fixture
def picky_server():
    server = PickyServer().start()
    yield server
    server.stop()


def queue_mail(engine, address: str) -> int:
    with session_scope(engine) as session:
        row = outbox.enqueue(session, event="test", recipient=None, recipient_email=address,
                             mail=compose.admin_test_mail(address, User(name="Ada", email="ada@example.com")))
        session.flush()
        return row.id


def set_row(engine, row_id: int, **values) -> None:
    with session_scope(engine) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


def row(engine, row_id: int) -> OutboxMessage:
    with session_scope(engine) as session:
        return session.get(OutboxMessage, row_id)


def down_settings():
    """A port on 127.0.0.1 nobody listens on: every connection is refused."""
    return SmtpTestServer().settings()


def ours(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "helpdesk.notifications.sender" and r.levelno == level]


# --- what `notify` reports and what the operator reads in the log ----------------------------

def test_two_rows_given_up_in_one_pass_are_both_counted_as_failed(engine):
    a, b = queue_mail(engine, "a@example.com"), queue_mail(engine, "b@example.com")
    for row_id in (a, b):
        set_row(engine, row_id, attempts=7)  # the 8th attempt is the last
    report = sender.send_due(engine, down_settings(), now=utcnow())
    assert (report.claimed, report.sent, report.retried, report.failed) == (2, 0, 0, 2)
    assert str(report) == "0 sent, 0 to retry, 2 failed"
    assert {row(engine, a).status, row(engine, b).status} == {OutboxStatus.FAILED}


def test_the_operator_log_names_the_server_the_row_the_attempt_and_the_error(engine, caplog):
    fresh = queue_mail(engine, "fresh@example.com")
    last = queue_mail(engine, "last@example.com")
    set_row(engine, last, attempts=7)
    settings = down_settings()
    caplog.set_level(logging.INFO, logger="helpdesk")
    report = sender.send_due(engine, settings, now=utcnow())

    assert ours(caplog, logging.WARNING) == [
        f"Mail server 127.0.0.1:{settings.port} unreachable: {REFUSED}",
        f"Outbox row {fresh} attempt 1 failed, will retry: {REFUSED}",
    ]
    assert ours(caplog, logging.ERROR) == [f"Outbox row {last} failed after 8 attempts: {REFUSED}"]
    assert ours(caplog, logging.INFO) == ["Outbox: 0 sent, 1 to retry, 1 failed"]
    assert report.errors == [REFUSED, REFUSED]
    assert row(engine, fresh).last_error == REFUSED and row(engine, last).last_error == REFUSED


def test_a_delivered_batch_is_summed_up_in_one_log_line(engine, smtp_server, caplog):
    queue_mail(engine, "a@example.com")
    queue_mail(engine, "b@example.com")
    caplog.set_level(logging.INFO, logger="helpdesk")
    sender.send_due(engine, smtp_server.settings())
    assert ours(caplog, logging.INFO) == ["Outbox: 2 sent, 0 to retry, 0 failed"]
    assert sender.send_due(engine, smtp_server.settings()).claimed == 0
    assert ours(caplog, logging.INFO) == ["Outbox: 2 sent, 0 to retry, 0 failed"]  # an empty pass says nothing


def test_the_servers_refusal_of_a_recipient_is_the_error_on_its_row(engine, picky_server):
    gone = queue_mail(engine, GONE)
    kept = queue_mail(engine, "carla@example.com")
    report = sender.send_due(engine, picky_server.settings())
    assert (report.sent, report.retried) == (1, 1)
    refused = row(engine, gone)
    assert refused.status == OutboxStatus.PENDING
    assert refused.last_error == "SMTPRecipientsRefused: {'gone@example.com': (550, b'5.1.1 Mailbox unavailable')}"
    assert report.errors == [refused.last_error]
    assert row(engine, kept).status == OutboxStatus.SENT


def test_the_password_in_an_error_is_shown_as_hidden():
    settings = SmtpTestServer().settings(user="mailer@example.com", password="S3cret-Smtp-Pa55word")
    error = smtplib.SMTPAuthenticationError(535, b"5.7.8 S3cret-Smtp-Pa55word rejected")
    assert sender.safe_error(error, settings) == "SMTPAuthenticationError: (535, b'5.7.8 [hidden] rejected')"


# --- the lease, to the second ----------------------------------------------------------------

def test_a_claim_exactly_15_minutes_old_is_still_held_and_a_moment_later_it_is_taken(engine, smtp_server):
    queue_mail(engine, "carla@example.com")
    t0 = utcnow()
    assert len(sender.claim_due(engine, now=t0)) == 1  # its sender died before sending
    settings = smtp_server.settings()
    assert sender.send_due(engine, settings, now=t0 + timedelta(minutes=15)).claimed == 0
    assert smtp_server.messages == []
    report = sender.send_due(engine, settings, now=t0 + timedelta(minutes=15, microseconds=1))
    assert (report.claimed, report.sent) == (1, 1)


def test_a_shorter_lease_in_the_policy_is_the_one_the_claim_uses(engine, smtp_server):
    queue_mail(engine, "carla@example.com")
    t0 = utcnow()
    sender.claim_due(engine, now=t0)
    policy = RetryPolicy(lease=timedelta(minutes=5))
    assert sender.send_due(engine, smtp_server.settings(), now=t0 + timedelta(minutes=4, seconds=59),
                           policy=policy).claimed == 0
    report = sender.send_due(engine, smtp_server.settings(), now=t0 + timedelta(minutes=5, seconds=1), policy=policy)
    assert report.sent == 1 and [m.to for m in smtp_server.messages] == ["carla@example.com"]


# --- batch size and order --------------------------------------------------------------------

def test_a_pass_claims_at_most_its_batch_and_leaves_the_rest_queued(engine, smtp_server):
    # On PostgreSQL the claim used to take every due row (the LIMIT ... SKIP LOCKED subquery
    # was rescanned per row), so a batch could outlast the 15-minute lease and be sent twice.
    ids = [queue_mail(engine, f"p{n}@example.com") for n in range(3)]
    report = sender.send_due(engine, smtp_server.settings(), limit=2)
    assert (report.claimed, report.sent) == (2, 2)
    assert sorted(m.to for m in smtp_server.messages) == ["p0@example.com", "p1@example.com"]
    assert row(engine, ids[2]).status == OutboxStatus.PENDING and row(engine, ids[2]).attempts == 0


def test_the_mail_due_longest_goes_out_first(engine, smtp_server):
    first, second, overdue = (queue_mail(engine, f"{name}@example.com") for name in ("first", "second", "overdue"))
    set_row(engine, overdue, next_attempt_at=utcnow() - timedelta(hours=1))  # a retry due an hour ago
    settings = smtp_server.settings()
    assert sender.send_due(engine, settings, limit=1).sent == 1
    assert [m.to for m in smtp_server.messages] == ["overdue@example.com"]

    set_row(engine, overdue, status=OutboxStatus.PENDING, next_attempt_at=utcnow() - timedelta(hours=1))
    assert sender.send_due(engine, settings).sent == 3  # one batch: sent in the same order
    assert [m.to for m in smtp_server.messages[1:]] == ["overdue@example.com", "first@example.com",
                                                        "second@example.com"]
    assert {row(engine, first).status, row(engine, second).status} == {OutboxStatus.SENT}


def test_a_row_given_up_after_dying_senders_does_not_hold_back_the_rest_of_its_batch(engine, smtp_server):
    t0 = utcnow()
    orphan = queue_mail(engine, "orphan@example.com")
    set_row(engine, orphan, status=OutboxStatus.SENDING, attempts=8, claimed_at=t0 - timedelta(minutes=16),
            next_attempt_at=t0 - timedelta(hours=3))
    fresh = queue_mail(engine, "fresh@example.com")
    report = sender.send_due(engine, smtp_server.settings(), now=t0 + timedelta(seconds=1))
    assert (report.claimed, report.sent, report.failed) == (2, 1, 1)
    assert [m.to for m in smtp_server.messages] == ["fresh@example.com"]
    assert row(engine, orphan).status == OutboxStatus.FAILED
    assert row(engine, orphan).last_error == "Sender stopped while sending; gave up after the last attempt."
    assert row(engine, fresh).status == OutboxStatus.SENT


# --- a failure is recorded on its own row, and only while the claim holds --------------------

def test_a_failure_never_touches_another_senders_row_claimed_at_the_same_instant(engine, picky_server):
    theirs = queue_mail(engine, "theirs@example.com")
    gone = queue_mail(engine, GONE)
    t0 = utcnow()
    [claimed] = sender.claim_due(engine, now=t0, limit=1)  # another sender is busy with this one
    assert claimed.id == theirs
    report = sender.send_due(engine, picky_server.settings(), now=t0)
    assert (report.claimed, report.retried) == (1, 1)
    assert row(engine, gone).last_error.startswith("SMTPRecipientsRefused: ")
    held = row(engine, theirs)
    assert (held.status, held.attempts, held.last_error) == (OutboxStatus.SENDING, 1, None)
    assert sender.send_due(engine, picky_server.settings(), now=t0 + timedelta(minutes=2)).sent == 0
    assert picky_server.messages == []


def test_a_failure_is_not_recorded_over_a_claim_another_sender_took_meanwhile(engine, picky_server):
    """Sender A is so slow that its lease runs out and sender B takes the row; when A's send
    then fails, A must leave B's claim alone."""
    bad_id = queue_mail(engine, GONE)
    t0 = utcnow()
    url = engine.url.render_as_string(hide_password=False)
    slow = make_engine(url)
    other = make_engine(url)
    taken = []

    @event.listens_for(slow, "before_cursor_execute")
    def _b_takes_over_before_a_records(conn, cursor, statement, parameters, context, executemany):
        if not taken and statement.lstrip().upper().startswith("UPDATE") and "last_error" in statement:
            taken.extend(sender.claim_due(other, now=t0 + timedelta(minutes=16)))

    try:
        report = sender.send_due(slow, picky_server.settings(), now=t0)
    finally:
        slow.dispose()
        other.dispose()
    assert [mail.id for mail in taken] == [bad_id]
    assert report.retried == 1  # A counts its own failed attempt
    held = row(engine, bad_id)
    assert (held.status, held.attempts, held.last_error) == (OutboxStatus.SENDING, 2, None)
    assert held.claimed_at == t0 + timedelta(minutes=16)


# --- headers a mail client acts on -----------------------------------------------------------

def test_a_delivered_mail_is_dated_and_marked_auto_generated(engine, smtp_server):
    queue_mail(engine, "carla@example.com")
    before = utcnow().replace(microsecond=0)
    sender.send_due(engine, smtp_server.settings())
    after = utcnow()
    [mail] = smtp_server.messages
    assert mail.message["Date"].datetime.utcoffset() == timedelta(0)  # a definite zone, not "-0000" (unknown)
    assert before <= mail.message["Date"].datetime <= after
    assert mail.message["Auto-Submitted"] == "auto-generated"  # RFC 3834: vacation replies stay away
    assert mail.message["From"] == "Helpdesk <helpdesk@example.com>" and mail.message["To"] == "carla@example.com"


def _claimed(row_id: int) -> ClaimedMail:
    return ClaimedMail(id=row_id, recipient_email="carla@example.com", subject="Hello", text_body="t",
                       html_body="<p>h</p>", attempts=1, claimed_at=utcnow(), message_token="0f1e2d3c4b5a69788796")


def test_the_message_id_takes_the_domain_after_the_last_at_sign_of_the_sender():
    settings = SmtpTestServer().settings(from_address='Helpdesk <"help@desk"@example.com>')
    assert sender.build_message(_claimed(42), settings)["Message-ID"] == "<ccr-outbox-42.0f1e2d3c4b5a69788796@example.com>"


# --- connection security and timeouts --------------------------------------------------------

def test_ssl_to_a_server_without_tls_sends_nothing_in_plain_text(engine, smtp_server):
    row_id = queue_mail(engine, "carla@example.com")
    report = sender.send_due(engine, smtp_server.settings(security="ssl"))
    assert (report.sent, report.retried) == (0, 1)
    assert smtp_server.messages == []
    assert row(engine, row_id).last_error.startswith("SSLError: ")


def test_starttls_to_a_server_that_does_not_offer_it_sends_nothing_in_plain_text(engine, smtp_server):
    row_id = queue_mail(engine, "carla@example.com")
    report = sender.send_due(engine, smtp_server.settings(security="starttls"))
    assert (report.sent, report.retried) == (0, 1)
    assert smtp_server.messages == []
    assert row(engine, row_id).last_error == "SMTPNotSupportedError: STARTTLS extension not supported by server."


def test_a_server_that_never_answers_costs_the_configured_timeout_not_a_hung_sender(engine):
    row_id = queue_mail(engine, "carla@example.com")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:  # accepts TCP, never greets
        silent.bind((HOST, 0))
        silent.listen(1)
        settings = SmtpTestServer().settings(port=silent.getsockname()[1], timeout=1.0)
        reports = []
        worker = threading.Thread(target=lambda: reports.append(sender.send_due(engine, settings)), daemon=True)
        worker.start()
        worker.join(20)
        assert not worker.is_alive(), "the sender hung on a silent server"
    assert [(r.sent, r.retried) for r in reports] == [(0, 1)]
    assert "timed out" in row(engine, row_id).last_error
