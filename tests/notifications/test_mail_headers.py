"""What a customer types never becomes a mail header (issue 9, item 1).

RFC 2047 encoded words in a subject (`=?utf-8?q?=0D=0A...?=`) survived the one-line cleaning,
and this Python's header folding (3.11.7, CPython bug fixed in 3.11.10 / 3.12.5) decoded them
back into raw CR/LF: an extra `Reply-To:` header, or the headers ended early and the attacker's
text became the body. Checked on the wire, through a real SMTP server on 127.0.0.1."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.models import OutboxMessage
from helpdesk.notifications import compose, sender
from helpdesk.notifications.mail_policy import UnsafeHeader, build_policy
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

REPLY_TO_INJECTION = "Invoice question =?utf-8?q?=0D=0AReply-To:_attacker@evil.example?="
BODY_INJECTION = "Hello =?utf-8?q?=0D=0A=0D=0APlease_reset_your_password_at_http://evil.example/login?="
# The headers the helpdesk itself writes on a notification: nothing else may appear.
OUR_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type"}


pytestmark = pytest.mark.usefixtures("no_local_configuration")

def queued_mails(engine) -> dict[str, OutboxMessage]:
    with session_scope(engine) as session:
        return {row.recipient_email: row for row in session.scalars(select(OutboxMessage))}


@pytest.mark.parametrize("subject", [REPLY_TO_INJECTION, BODY_INJECTION], ids=["reply-to", "early-body"])
def test_encoded_words_in_a_subject_add_no_header_and_leave_the_body_as_composed(desk, smtp_server, subject):
    desk.raise_ticket(subject=subject, description="The real question.")
    composed = queued_mails(desk.engine)
    assert {desk.customer.email, desk.agent.email} <= composed.keys()  # the customer and the agents hear

    report = sender.send_due(desk.engine, smtp_server.settings(), limit=100)
    assert report.sent == len(composed) and report.failed == report.retried == 0, report.errors

    for mail in smtp_server.messages:
        assert set(mail.header_names) <= OUR_HEADERS, (mail.to, mail.header_names)
        assert mail.message["Reply-To"] is None
        row = composed[mail.to]
        assert mail.text == row.text_body.replace("\r\n", "\n")  # the body exactly as composed
        assert "Please reset your password" not in mail.text
        # The customer's words are still there to read, shown as the text they typed.
        assert "evil.example" in mail.subject and "\n" not in mail.subject and "\r" not in mail.subject


def test_one_line_breaks_up_encoded_word_syntax_and_line_breaks():
    cleaned = compose.one_line("a =?utf-8?q?=0D=0AX:_y?= \r\n b")
    assert "=?" not in cleaned and "\n" not in cleaned and "\r" not in cleaned
    assert cleaned == "a = ?utf-8?q?=0D=0AX:_y?= b"


def test_the_mail_policy_refuses_a_header_that_would_carry_a_line_break():
    """The backstop, on every Python: whatever produced it, a folded header with a line break
    that is not a fold is refused, while ordinary long headers still fold."""
    policy = build_policy()
    with pytest.raises(UnsafeHeader):
        policy.fold("Subject", "Hello\r\nReply-To: attacker@evil.example")
    with pytest.raises(UnsafeHeader):
        policy.fold("Subject", "Hello\n\nPlease reset your password")
    long_subject = "[#000042] " + "word " * 40
    folded = policy.fold("Subject", long_subject)
    assert folded.count("\r\n ") >= 1 and folded.endswith("\r\n")  # folded, and accepted


def test_a_subject_written_straight_into_the_outbox_is_cleaned_by_the_sender_too(desk, smtp_server):
    """The sender cleans every subject again: rows queued by older code or by hand are safe too."""
    desk.raise_ticket()
    with session_scope(desk.engine) as session:
        for row in session.scalars(select(OutboxMessage)):
            row.subject = REPLY_TO_INJECTION
    report = sender.send_due(desk.engine, smtp_server.settings(), limit=100)
    assert report.sent == len(smtp_server.messages) > 0
    for mail in smtp_server.messages:
        assert set(mail.header_names) <= OUR_HEADERS and mail.message["Reply-To"] is None
