"""Staff mail lands on a ticket only with proof bound to that person (a Message-ID or a signed
reply address of a mail sent TO them), and becomes a public reply only when it answers the
"customer replied" mail; an answer to an internal mail (an SLA alert) is an internal note.
Against the real IMAP (dovecot) and SMTP (aiosmtpd) servers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.enums import InboundMailStatus, OutboxEvent, OutboxStatus
from helpdesk.inbound_mail.outgoing import reply_to_for
from helpdesk.inbound_mail.reader import read_mailbox
from helpdesk.models import OutboxMessage, Ticket, User
from helpdesk.notifications.outbox import notify_sla_risk
from helpdesk.notifications.sender import send_due
from helpdesk.tickets.customer import add_customer_reply
from tests.inbound_mail.mails import QUOTE, mail
from tests.inbound_mail.world import inbound, thread
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def _customer_writes(desk, ticket_id: int, body: str) -> None:
    with session_scope(desk.engine) as session:
        add_customer_reply(session=session, actor=session.get(User, desk.customer.id), ticket_id=ticket_id, body=body)


def _send(desk, smtp_server, monkeypatch, imap):  # noqa: F811
    for name, value in imap.env().items():
        monkeypatch.setenv(name, value)
    send_due(desk.engine, smtp_server.settings(), reply_to=reply_to_for(desk.engine))


def _mail_to(desk, smtp_server, email: str, event: OutboxEvent):  # noqa: F811
    """The mail the server received for `email` from the outbox row of `event`."""
    with session_scope(desk.engine) as session:
        ids = set(session.scalars(select(OutboxMessage.message_id).where(
            OutboxMessage.recipient_email == email, OutboxMessage.event == event.value)))
    (found,) = [m for m in smtp_server.to(email) if m.message["Message-ID"] in ids]
    return found


def _queued_to_customer(desk) -> int:
    with session_scope(desk.engine) as session:
        return len(session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient_email == desk.customer.email, OutboxMessage.status == OutboxStatus.PENDING)).all())


def test_a_genuine_staff_reply_to_their_own_customer_replied_mail_is_public(desk, imap, smtp_server,  # noqa: F811
                                                                            monkeypatch):
    ticket_id = desk.raise_ticket(assignee_id=desk.agent.id)
    _customer_writes(desk, ticket_id, "Still charged twice.")
    _send(desk, smtp_server, monkeypatch, imap)
    to_alex = _mail_to(desk, smtp_server, desk.agent.email, OutboxEvent.CUSTOMER_REPLY)
    sent_id = to_alex.message["Message-ID"]
    assert sent_id.startswith("<ccr-outbox-") and "." in sent_id.split("@")[0]  # the random token
    imap.deliver(mail(sender="Alex Agent <alex@support.example.com>", subject="Re: new reply",
                      text="We refunded the second charge." + QUOTE, in_reply_to=sent_id, references=sent_id))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}

    _, reply = thread(desk.engine, ticket_id)
    assert (reply.author_email, reply.is_public, reply.body) == (desk.agent.email, True,
                                                                  "We refunded the second charge.")
    # Not on the public reply (the customer would see the quoted mail); on the reader's record.
    assert "original.eml" not in reply.files
    (record,) = inbound(desk.engine)
    assert record.status == InboundMailStatus.STORED and b"QUOTED-HISTORY-MARKER" in record.raw
    assert _queued_to_customer(desk) == 1  # the public reply is mailed to Carla, as from the page


def test_a_staff_answer_via_the_signed_reply_address_of_their_own_mail_threads(desk, imap, smtp_server,  # noqa: F811
                                                                               monkeypatch):
    ticket_id = desk.raise_ticket(assignee_id=desk.agent.id)
    _customer_writes(desk, ticket_id, "Still charged twice.")
    _send(desk, smtp_server, monkeypatch, imap)
    to_alex = _mail_to(desk, smtp_server, desk.agent.email, OutboxEvent.CUSTOMER_REPLY)
    signed = to_alex.message["Reply-To"]
    assert f"+t{ticket_id}.m" in signed
    # A client that drops In-Reply-To: the address (bound to Alex's mail) is the proof.
    imap.deliver(mail(sender="alex@support.example.com", to=signed, subject="x", text="By address"))
    # Bo uses Alex's address: a proof for someone else's mail.
    imap.deliver(mail(sender="bo@support.example.com", to=signed, subject="x", text="BO-TEXT"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1, "held": 1}
    assert [(m.author_email, m.is_public) for m in thread(desk.engine, ticket_id)][1:] == [(desk.agent.email, True)]
    assert "answers no mail that was sent to them" in inbound(desk.engine)[1].reason


def test_a_staff_reply_with_someone_elses_message_id_is_held(desk, imap, smtp_server, monkeypatch):  # noqa: F811
    ticket_id = desk.raise_ticket(assignee_id=desk.agent.id)
    _customer_writes(desk, ticket_id, "Still charged twice.")
    _send(desk, smtp_server, monkeypatch, imap)
    to_alex = _mail_to(desk, smtp_server, desk.agent.email, OutboxEvent.CUSTOMER_REPLY)
    imap.deliver(mail(sender="bo@support.example.com", in_reply_to=to_alex.message["Message-ID"], text="BO-TEXT"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 1}
    assert len(thread(desk.engine, ticket_id)) == 1  # only Carla's reply


def test_a_forged_in_reply_to_with_a_guessed_old_style_id_matches_nothing(desk, imap, smtp_server,  # noqa: F811
                                                                          monkeypatch):
    ticket_id = desk.raise_ticket(assignee_id=desk.agent.id)
    _customer_writes(desk, ticket_id, "Still charged twice.")
    _send(desk, smtp_server, monkeypatch, imap)
    with session_scope(desk.engine) as session:
        row_ids = session.scalars(select(OutboxMessage.id).where(OutboxMessage.ticket_id == ticket_id)).all()
    guessed = " ".join(f"<ccr-outbox-{row_id}@example.com>" for row_id in row_ids)
    imap.deliver(mail(sender="alex@support.example.com", subject="Re: hello", in_reply_to=guessed,
                      references=guessed, text="FORGED"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 1}
    (record,) = inbound(desk.engine)
    assert record.ticket_id is None and record.reason == "Mail from staff that answers no ticket."
    assert len(thread(desk.engine, ticket_id)) == 1


def test_a_manager_answering_an_sla_alert_writes_an_internal_note_and_nothing_goes_to_the_customer(
        desk, imap, smtp_server, monkeypatch):  # noqa: F811
    ticket_id = desk.raise_ticket()
    _send(desk, smtp_server, monkeypatch, imap)  # the ticket-created mail to Carla, out of the way
    with session_scope(desk.engine) as session:
        notify_sla_risk(session=session, ticket=session.get(Ticket, ticket_id), missed=True)
    _send(desk, smtp_server, monkeypatch, imap)
    alert = _mail_to(desk, smtp_server, desk.admin.email, OutboxEvent.SLA_MISSED_RESOLUTION)
    with session_scope(desk.engine) as session:
        event = session.scalar(select(OutboxMessage.event).where(
            OutboxMessage.message_id == alert.message["Message-ID"]))
    assert event == OutboxEvent.SLA_MISSED_RESOLUTION
    imap.deliver(mail(sender="ada@support.example.com", subject="Re: SLA", in_reply_to=alert.message["Message-ID"],
                      text="Bo, please take this one." + QUOTE))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}

    (note,) = thread(desk.engine, ticket_id)
    assert (note.author_email, note.is_public, note.body) == (desk.admin.email, False, "Bo, please take this one.")
    assert "original.eml" in note.files  # a note's files are staff-only, so the original can stay with it
    assert _queued_to_customer(desk) == 0
