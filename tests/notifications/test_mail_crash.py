"""A sender that dies after the SMTP server accepted a mail but before the row was marked sent
(README, E-mail): the row is sent again once its 15-minute lease has expired, so the crash
costs at most one duplicate, with the same Message-ID; and a row whose senders keep dying is
given up after 8 attempts instead of being mailed again and again.

A real aiosmtpd server on 127.0.0.1; SQLite and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpdesk.core.clock import utcnow
from helpdesk.core.config import PROJECT_ROOT
from helpdesk.core.db import session_scope
from helpdesk.enums import OutboxStatus
from helpdesk.models import OutboxMessage, User
from helpdesk.notifications import compose, outbox, sender
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

KILLED = 86  # the exit status the killed sender below dies with

# A real `send_due` in its own process, killed (os._exit: no cleanup, no rollback, no close)
# the moment it starts the UPDATE that would mark the row sent, i.e. after the server said
# 250 to the mail and before the mark reached the database.
DYING_SENDER = textwrap.dedent("""
    import os, sys
    from datetime import datetime
    from sqlalchemy import event
    from helpdesk.core.db import make_engine
    from helpdesk.notifications import sender
    from helpdesk.notifications.smtp_settings import SmtpSettings

    url, port, now = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    engine = make_engine(url)

    @event.listens_for(engine, "before_cursor_execute")
    def die_before_marking_sent(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE NOTIFICATION_OUTBOX") and "sent_at" in statement:
            os._exit(%d)

    settings = SmtpSettings(host="127.0.0.1", port=port, security="none",
                            from_address="Helpdesk <helpdesk@example.com>", timeout=5.0)
    sender.send_due(engine, settings, now=now)
    sys.exit("the sender was meant to die before marking the row sent")
""" % KILLED)

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def queue_mail(engine, address="carla@example.com") -> int:
    with session_scope(engine) as session:
        row = outbox.enqueue(session, event="test", recipient=None, recipient_email=address,
                             mail=compose.admin_test_mail(address, User(name="Ada", email="ada@example.com")))
        session.flush()
        return row.id


def the_row(engine) -> OutboxMessage:
    with session_scope(engine) as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        return row


def run_dying_sender(engine, server, now) -> None:
    """A sender process that delivers the due mail and is killed before marking it."""
    url = engine.url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if k != "HELPDESK_DATABASE_URL"}
    result = subprocess.run([sys.executable, "-c", DYING_SENDER, url, str(server.port), now.isoformat()],
                            capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == KILLED, result.stderr


def die_after_delivery(engine, server, now) -> None:
    """What a sender killed right after the server accepted leaves behind, reproduced in this
    process: the claim committed, the mail delivered over a real SMTP connection, no mark."""
    [mail] = sender.claim_due(engine, now=now)
    client = sender.open_connection(server.settings())
    try:
        client.smtp.send_message(sender.build_message(mail, server.settings()))
    finally:
        client.close()


def message_ids(server) -> list[str]:
    return [m.message["Message-ID"] for m in server.messages]


def test_a_sender_killed_after_the_server_accepted_causes_one_duplicate_after_the_lease(engine, smtp_server):
    row_id = queue_mail(engine)
    t0 = utcnow()
    run_dying_sender(engine, smtp_server, t0)
    assert len(smtp_server.wait_for(1)) == 1  # the server has it; the row doesn't know
    row = the_row(engine)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.SENDING, 1, None)

    settings = smtp_server.settings()
    for minutes in (1, 10, 14):  # a living sender leaves the leased row alone
        assert sender.send_due(engine, settings, now=t0 + timedelta(minutes=minutes, seconds=59)).claimed == 0
    assert len(smtp_server.messages) == 1

    report = sender.send_due(engine, settings, now=t0 + timedelta(minutes=15, seconds=1))
    assert (report.claimed, report.sent) == (1, 1)
    delivered = smtp_server.wait_for(2)
    assert [m.to for m in delivered] == ["carla@example.com", "carla@example.com"]
    row = the_row(engine)
    # The token was made at the first claim and kept: the resend has the same (unguessable) id.
    assert message_ids(smtp_server) == [f"<ccr-outbox-{row_id}.{row.message_token}@example.com>"] * 2
    assert len(row.message_token) == 20 and row.message_id == message_ids(smtp_server)[0]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)

    for later in (timedelta(minutes=31), timedelta(hours=2), timedelta(days=30)):
        assert sender.send_due(engine, settings, now=t0 + later).claimed == 0
    assert len(smtp_server.messages) == 2  # never a third


def test_a_row_whose_senders_keep_dying_is_failed_after_8_attempts_and_never_mailed_again(engine, smtp_server):
    queue_mail(engine)
    t0 = utcnow()
    lease_gone = timedelta(minutes=15, seconds=1)
    for n in range(8):
        die_after_delivery(engine, smtp_server, t0 + n * lease_gone)
    assert len(smtp_server.messages) == 8
    assert the_row(engine).attempts == 8

    report = sender.send_due(engine, smtp_server.settings(), now=t0 + 8 * lease_gone)
    assert (report.claimed, report.sent, report.failed) == (1, 0, 1)
    row = the_row(engine)
    assert row.status == OutboxStatus.FAILED
    assert row.last_error.startswith("Sender stopped while sending")
    assert len(smtp_server.messages) == 8

    for later in (timedelta(minutes=15, seconds=1), timedelta(hours=2), timedelta(days=30)):
        assert sender.send_due(engine, smtp_server.settings(), now=t0 + 8 * lease_gone + later).claimed == 0
    assert len(smtp_server.messages) == 8


def test_after_7_dying_senders_the_8th_attempt_still_delivers_and_marks_it_sent(engine, smtp_server):
    queue_mail(engine)
    t0 = utcnow()
    lease_gone = timedelta(minutes=15, seconds=1)
    for n in range(7):
        die_after_delivery(engine, smtp_server, t0 + n * lease_gone)

    report = sender.send_due(engine, smtp_server.settings(), now=t0 + 7 * lease_gone)
    assert (report.sent, report.failed) == (1, 0)
    row = the_row(engine)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 8)
    assert len(smtp_server.messages) == 8
    assert len(set(message_ids(smtp_server))) == 1
