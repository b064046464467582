"""Which ticket a mailed reply lands on, read from a real IMAP server (dovecot): by the
Message-ID the outbox really sent, by the signed reply address, by the subject tag from the
right sender only; a stranger never writes on someone else's ticket."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.enums import InboundMailStatus, Role, TicketStatus
from helpdesk.inbound_mail.reader import read_mailbox
from helpdesk.inbound_mail.reply_address import reply_address
from helpdesk.models import OutboxMessage, format_reference
from helpdesk.notifications.sender import send_due
from helpdesk.settings import server_secret
from tests.factories import add_user
from tests.inbound_mail.dovecot import SEEN
from tests.inbound_mail.mails import QUOTE, mail
from tests.inbound_mail.world import all_text, inbound, thread, tickets_of
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def _sent_message_id(engine, smtp_server, to: str) -> str:  # noqa: F811
    """Send the queued notifications through the real SMTP server; the Message-ID the mail to `to` had."""
    report = send_due(engine, smtp_server.settings())
    assert report.sent >= 1
    (received,) = smtp_server.to(to)
    assert received.message["Auto-Submitted"] == "auto-generated"  # no auto-reply loop from the other side
    return received.message["Message-ID"]


def test_a_reply_to_a_sent_notification_threads_by_in_reply_to(desk, imap, smtp_server):  # noqa: F811
    ticket_id = desk.raise_ticket(status=TicketStatus.WAITING_ON_CUSTOMER)
    sent_id = _sent_message_id(desk.engine, smtp_server, desk.customer.email)
    with session_scope(desk.engine) as session:  # the outbox kept the Message-ID it sent
        assert session.scalar(select(OutboxMessage.ticket_id).where(OutboxMessage.message_id == sent_id)) == ticket_id
    # No subject tag: only the header can find the ticket.
    raw = mail(sender="Carla Customer <carla@example.com>", subject="Re: your mail",
               text="The second invoice is gone now." + QUOTE, in_reply_to=sent_id, references=sent_id)
    imap.deliver(raw)

    report = read_mailbox(desk.engine, imap.settings())

    assert report.counts == {"stored": 1}
    (reply,) = thread(desk.engine, ticket_id)
    assert reply.author_email == "carla@example.com" and reply.is_public
    assert reply.body == "The second invoice is gone now."  # the quoted history is stripped ...
    assert "QUOTED-HISTORY-MARKER" in reply.files["original.eml"].decode()  # ... and kept in the original
    assert reply.files["original.eml"].replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    # The same rules as a reply on the page: waiting on the customer goes back to open.
    assert desk.ticket(ticket_id).status == TicketStatus.OPEN
    assert imap.flags() == [(SEEN,)]
    (record,) = inbound(desk.engine)
    assert (record.status, record.ticket_id, record.reason) == (InboundMailStatus.STORED, ticket_id,
                                                                  "In-Reply-To / References")


def test_a_header_match_from_a_stranger_is_held_not_added(desk, imap, smtp_server):  # noqa: F811
    ticket_id = desk.raise_ticket()
    sent_id = _sent_message_id(desk.engine, smtp_server, desk.customer.email)
    imap.deliver(mail(sender="mallory@elsewhere.example", in_reply_to=sent_id, text="STRANGER-TEXT please refund me"))

    report = read_mailbox(desk.engine, imap.settings())

    assert report.counts == {"held": 1}
    assert not any("STRANGER-TEXT" in text for text in all_text(desk.engine).values())
    (record,) = inbound(desk.engine)
    assert record.status == InboundMailStatus.HELD and record.ticket_id == ticket_id
    assert "neither that ticket's customer nor staff" in record.reason
    assert imap.flags() == [(SEEN,)]


def test_the_subject_tag_from_the_tickets_customer_threads(desk, imap):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] Charged twice - new reply",
                      text="Tagged reply"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}
    assert [m.body for m in thread(desk.engine, ticket_id)] == ["Tagged reply"]


@pytest.mark.parametrize("unknown_senders", ["hold", "open"])
def test_the_subject_tag_from_a_stranger_never_reaches_that_ticket(desk, imap, unknown_senders):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="Mallory <mallory@elsewhere.example>",
                      subject=f"Re: [{format_reference(ticket_id)}] Charged twice", text="STRANGER-TEXT send it to me"))

    report = read_mailbox(desk.engine, imap.settings(unknown_senders=unknown_senders))

    assert thread(desk.engine, ticket_id) == []
    assert "STRANGER-TEXT" not in all_text(desk.engine)[ticket_id]
    if unknown_senders == "hold":
        assert report.counts == {"held": 1}
    else:  # treated as a mail with no tag: a new ticket of the stranger's own
        assert report.counts == {"opened": 1}
        (own,) = tickets_of(desk.engine, "mallory@elsewhere.example")
        assert own.id != ticket_id and "STRANGER-TEXT" in own.description


def test_the_subject_tag_from_another_customer_opens_their_own_ticket(desk, imap):
    ticket_id = desk.raise_ticket()
    add_user(desk.engine, email="dan@example.com", name="Dan")
    imap.deliver(mail(sender="dan@example.com", subject=f"[{format_reference(ticket_id)}] hello", text="DAN-TEXT"))

    assert read_mailbox(desk.engine, imap.settings(unknown_senders="hold")).counts == {"opened": 1}
    assert "DAN-TEXT" not in all_text(desk.engine)[ticket_id]
    (own,) = tickets_of(desk.engine, "dan@example.com")
    assert own.subject == f"[{format_reference(ticket_id)}] hello"


def test_the_signed_reply_address_threads_and_a_forged_one_does_not(desk, imap):
    ticket_id = desk.raise_ticket()
    other_id = desk.raise_ticket(subject="Another")
    with session_scope(desk.engine) as session:
        secret = server_secret(session)
    address = reply_address(secret, "support@support.example.com", ticket_id)
    forged = address.replace(f"+t{ticket_id}.", f"+t{other_id}.")  # the signature of the other ticket
    imap.deliver(mail(sender="carla@example.com", to=address, subject="no tag", text="By address"))
    imap.deliver(mail(sender="carla@example.com", to=forged, subject="no tag either", text="Forged address"))

    report = read_mailbox(desk.engine, imap.settings())

    assert report.counts == {"stored": 1, "opened": 1}
    assert [m.body for m in thread(desk.engine, ticket_id)] == ["By address"]
    assert thread(desk.engine, other_id) == []  # the forged address found nothing: a new ticket instead
    assert [r.reason for r in inbound(desk.engine)][0] == "signed reply address"


def test_a_faked_staff_sender_with_the_subject_tag_is_held_and_nothing_reaches_the_customer(desk, imap):
    """Anyone can write From: alex@... and type the tag: a staff reply goes to the customer, so
    staff mail needs proof it is theirs (test_staff_proof has the genuine ways)."""
    ticket_id = desk.raise_ticket()
    with session_scope(desk.engine) as session:
        queued_before = len(session.scalars(select(OutboxMessage)).all())
    tag = f"Re: [{format_reference(ticket_id)}] Charged twice"
    imap.deliver(mail(sender="Alex Agent <alex@support.example.com>", subject=tag,
                      text="PHISH-TEXT Please re-enter your card at http://evil.example"))
    imap.deliver(mail(sender="bo@support.example.com", subject=tag, to="notes@support.example.com",
                      text="PHISH-NOTE"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 2}

    assert thread(desk.engine, ticket_id) == []
    assert "PHISH" not in all_text(desk.engine)[ticket_id]
    with session_scope(desk.engine) as session:  # no mail to Carla (or anyone) was queued
        assert len(session.scalars(select(OutboxMessage)).all()) == queued_before
    assert all("answers no mail that was sent to them" in r.reason for r in inbound(desk.engine))


def test_a_customer_reply_to_a_closed_ticket_opens_a_follow_up(desk, imap):
    ticket_id = desk.raise_ticket(status=TicketStatus.CLOSED)
    imap.deliver(mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] x", text="It is back"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"opened": 1}
    assert thread(desk.engine, ticket_id) == []
    follow_up = tickets_of(desk.engine, "carla@example.com")[-1]
    assert follow_up.id != ticket_id and f"Follow-up to {format_reference(ticket_id)}" in follow_up.description


@pytest.mark.parametrize("unknown_senders, expected", [("hold", "held"), ("open", "opened"), ("sign_up", "opened")])
def test_an_unknown_sender_is_held_or_gets_a_ticket_as_configured(desk, imap, unknown_senders, expected):
    imap.deliver(mail(sender="New Person <new.person@example.org>", subject="My printer is on fire",
                      text="Please help"))

    report = read_mailbox(desk.engine, imap.settings(unknown_senders=unknown_senders))

    assert report.counts == {expected: 1}
    tickets = tickets_of(desk.engine, "new.person@example.org")
    if expected == "held":
        assert tickets == []
        assert inbound(desk.engine)[0].raw is not None  # kept whole for the administrator
    else:
        (ticket,) = tickets
        assert (ticket.subject, ticket.description) == ("My printer is on fire", "Please help")
        assert (ticket.customer.name, ticket.customer.role) == ("New Person", Role.CUSTOMER)


def test_staff_mail_that_answers_no_ticket_is_held(desk, imap):
    imap.deliver(mail(sender="alex@support.example.com", subject="lunch?", text="Pizza?"))
    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 1}


def test_notifications_name_the_signed_reply_address_and_an_answer_to_it_threads(desk, imap, smtp_server,  # noqa: F811
                                                                                  monkeypatch):
    from helpdesk.inbound_mail.outgoing import reply_to_for
    for name, value in imap.env().items():
        monkeypatch.setenv(name, value)
    ticket_id = desk.raise_ticket()

    send_due(desk.engine, smtp_server.settings(), reply_to=reply_to_for(desk.engine))

    (received,) = smtp_server.to(desk.customer.email)
    signed = received.message["Reply-To"]
    assert signed.startswith(f"support+t{ticket_id}.") and signed.endswith("@support.example.com")
    # A mail client that drops In-Reply-To and the subject tag: the address alone finds the ticket.
    imap.deliver(mail(sender="carla@example.com", to=signed, subject="hello", text="Via Reply-To"))
    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}
    assert [m.body for m in thread(desk.engine, ticket_id)] == ["Via Reply-To"]


def test_without_a_reply_address_notifications_have_no_reply_to(desk, smtp_server, monkeypatch):  # noqa: F811
    from helpdesk.inbound_mail.outgoing import reply_to_for
    desk.raise_ticket()
    assert reply_to_for(desk.engine) is None  # no [imap] settings at all
    send_due(desk.engine, smtp_server.settings(), reply_to=reply_to_for(desk.engine))
    assert smtp_server.to(desk.customer.email)[0].message["Reply-To"] is None
