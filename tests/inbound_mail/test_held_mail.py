"""Mail kept for an administrator: only administrators see it; opening a ticket from one gives
its sender a ticket with the mail's text and the original attached; discarding drops the content
but keeps the record, so the mail is never read in again. And the admin page that does both."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from helpdesk.core.db import session_scope
from helpdesk.core.errors import NotFound, PermissionDenied, ValidationError
from helpdesk.enums import InboundMailStatus, Role
from helpdesk.inbound_mail.held import discard_held, list_held_mails, open_ticket_from_held
from helpdesk.inbound_mail.reader import read_mailbox
from helpdesk.models import Attachment, InboundMail
from tests.inbound_mail.mails import mail
from tests.inbound_mail.world import inbound, tickets_of
from tests.page_helpers import open_app, page_text, rerun, type_address

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def _hold_one(desk, imap, **details) -> int:
    imap.deliver(mail(**{"sender": "Nina New <nina@example.org>", "subject": "Broken login",
                         "text": "I cannot sign in. NINA-TEXT", **details}))
    assert read_mailbox(desk.engine, imap.settings(unknown_senders="hold")).counts == {"held": 1}
    return inbound(desk.engine)[-1].id


def test_only_administrators_see_and_settle_held_mail(desk, imap):
    mail_id = _hold_one(desk, imap)
    for person in (desk.agent, desk.customer):
        for service in (list_held_mails, open_ticket_from_held, discard_held):
            arguments = {} if service is list_held_mails else {"mail_id": mail_id}
            with pytest.raises(PermissionDenied):
                desk.act(person, service, **arguments)
    (held,) = desk.act(desk.admin, list_held_mails)
    assert (held.from_address, held.subject, held.text) == ("nina@example.org", "Broken login",
                                                            "I cannot sign in. NINA-TEXT")
    assert "new tickets from unknown senders are off" in held.reason


def test_opening_a_ticket_from_a_held_mail(desk, imap):
    mail_id = _hold_one(desk, imap)

    ticket = desk.act(desk.admin, open_ticket_from_held, mail_id=mail_id)

    (opened,) = tickets_of(desk.engine, "nina@example.org")
    assert opened.id == ticket.id and opened.description == "I cannot sign in. NINA-TEXT"
    assert opened.customer.role == Role.CUSTOMER and opened.customer.name == "Nina New"
    with session_scope(desk.engine) as session:
        files = session.scalars(select(Attachment.filename).where(Attachment.ticket_id == ticket.id)).all()
        row = session.scalar(select(InboundMail).options(undefer(InboundMail.raw)).where(InboundMail.id == mail_id))
    assert files == ["original.eml"]
    assert (row.status, row.ticket_id, row.handled_by_id, row.raw) == (InboundMailStatus.OPENED, ticket.id,
                                                                       desk.admin.id, None)
    with pytest.raises(NotFound):  # settled once: a second click (another admin) finds nothing waiting
        desk.act(desk.admin, open_ticket_from_held, mail_id=mail_id)


def test_a_held_mail_from_staff_cannot_become_a_ticket(desk, imap):
    imap.deliver(mail(sender="alex@support.example.com", subject="lunch?", text="Pizza?"))
    read_mailbox(desk.engine, imap.settings())
    mail_id = inbound(desk.engine)[-1].id
    with pytest.raises(ValidationError, match="staff account"):
        desk.act(desk.admin, open_ticket_from_held, mail_id=mail_id)


def test_discarding_keeps_the_record_so_the_mail_is_not_read_again(desk, imap):
    mail_id = _hold_one(desk, imap)

    desk.act(desk.admin, discard_held, mail_id=mail_id)

    (row,) = inbound(desk.engine)
    assert (row.status, row.raw) == (InboundMailStatus.DISCARDED, None)
    assert desk.act(desk.admin, list_held_mails) == []
    with imap.mailbox() as box:  # delivered again (unseen): recognised, not held a second time
        box.flag(box.uids("ALL"), "\\Seen", False)
    assert read_mailbox(desk.engine, imap.settings(unknown_senders="hold")).counts == {"duplicate": 1}


@pytest.fixture
def page_desk(app_db):
    """The held mail on the app's own database (the page test runs the app in this process)."""
    from tests.factories import Desk
    return Desk.build(app_db)


def test_the_admin_page_lists_held_mail_and_opens_a_ticket_from_it(page_desk, imap):
    desk = page_desk
    mail_id = _hold_one(desk, imap, text="Help me. **not bold** ![pixel](https://tracker.example/p.png)")

    at = open_app(desk.admin, page="pages/admin/received_mail.py")

    text = page_text(at)
    assert "Mail received" in text and "Broken login" in text and "From nina@example.org" in text
    assert "Help me. **not bold** ![pixel](https://tracker.example/p.png)" in [t.value for t in at.text]  # as typed
    at.button(key=f"held_open_{mail_id}").click()
    rerun(at)
    (opened,) = tickets_of(desk.engine, "nina@example.org")
    assert f"Ticket {opened.reference} opened from the mail." in page_text(at)
    assert "No mail is waiting." in page_text(at)


def test_the_admin_page_discards_and_refuses_others(page_desk, imap):
    desk = page_desk
    mail_id = _hold_one(desk, imap)
    at = open_app(desk.admin, page="pages/admin/received_mail.py")
    at.button(key=f"held_discard_{mail_id}").click()
    rerun(at)
    assert "The mail was discarded." in page_text(at)
    assert inbound(desk.engine)[0].status == InboundMailStatus.DISCARDED

    _hold_one(desk, imap, message_id="<second@client.example>")
    agent_view = type_address(open_app(desk.agent), "admin_received_mail")  # typed into the address bar
    assert "Broken login" not in page_text(agent_view)
    assert "Queue" in page_text(agent_view)  # sent to their own home page instead
