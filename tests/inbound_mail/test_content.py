"""What a mailed reply becomes: its new text only (quotes stripped, HTML turned into text), its
files checked like uploads, the original attached; and mail no person wrote never becomes a message."""
from __future__ import annotations

import pytest

from helpdesk.enums import InboundMailStatus
from helpdesk.inbound_mail.reader import read_mailbox
from helpdesk.models import format_reference
from tests.inbound_mail.dovecot import SEEN
from tests.inbound_mail.mails import PNG, QUOTE, mail
from tests.inbound_mail.world import inbound, thread

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def _tag(ticket_id: int) -> str:
    return f"Re: [{format_reference(ticket_id)}] Charged twice - new reply"


def test_files_pass_the_upload_checks_and_a_refused_one_is_named_not_stored(desk, imap):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), text="Screenshot attached." + QUOTE,
                      files=[("screen.png", "image/png", PNG),
                             ("setup.exe", "application/octet-stream", b"MZ\x90\x00 not for you"),
                             ("fake.pdf", "application/pdf", b"<html>not a pdf</html>")]))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}

    (reply,) = thread(desk.engine, ticket_id)
    assert set(reply.files) == {"screen.png", "original.eml"}
    assert reply.files["screen.png"] == PNG
    assert reply.body.startswith("Screenshot attached.")
    assert "“setup.exe” is not an allowed type" in reply.body
    assert "“fake.pdf” doesn't look like a .pdf file" in reply.body
    assert "QUOTED-HISTORY-MARKER" not in reply.body


def test_an_html_only_mail_becomes_text(desk, imap):
    ticket_id = desk.raise_ticket()
    html = ("<html><body><p>Hello <b>team</b>,</p><p>the <a href='https://example.com/x'>link</a> works."
            "<img src='https://tracker.example/pixel.png'></p>"
            "<div class='gmail_quote'>On Wed, 3 Dec 2026 at 09:00, Customer Care &lt;helpdesk@example.com&gt; wrote:"
            "<blockquote>QUOTED-HISTORY-MARKER</blockquote></div></body></html>")
    imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), text=None, html=html))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}

    (reply,) = thread(desk.engine, ticket_id)
    assert "<" not in reply.body and "Hello team," in reply.body
    assert "[link](https://example.com/x) works." in reply.body
    assert "tracker.example" not in reply.body  # an image is never shown (a tracking pixel)
    assert "QUOTED-HISTORY-MARKER" not in reply.body


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},
    {"Precedence": "auto_reply"},
    {"List-Id": "<announce.lists.example>"},
    {"X-Auto-Response-Suppress": "All"},
], ids=lambda headers: "-".join(f"{k}:{v}" for k, v in headers.items()))
def test_auto_replies_and_bulk_mail_never_become_messages(desk, imap, headers):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=f"Out of office: {_tag(ticket_id)}",
                      text="I am away until Monday.", headers=headers))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"ignored": 1}

    assert thread(desk.engine, ticket_id) == []
    (record,) = inbound(desk.engine)
    assert record.status == InboundMailStatus.IGNORED and record.raw is None
    assert imap.flags() == [(SEEN,)]  # done with: not read again


def test_auto_submitted_no_is_a_person(desk, imap):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), headers={"Auto-Submitted": "no"}))
    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 1}


def test_our_own_notification_coming_back_is_ignored(desk, imap):
    imap.deliver(mail(sender="Support <support@support.example.com>", subject="[CCR-000001] x - new reply"))
    assert read_mailbox(desk.engine, imap.settings()).counts == {"ignored": 1}


def test_a_mail_read_twice_is_stored_once_even_without_a_message_id(desk, imap):
    ticket_id = desk.raise_ticket()
    raw = mail(sender="carla@example.com", subject=_tag(ticket_id), text="No id on me", message_id=None)
    imap.deliver(raw)
    imap.deliver(raw)  # the same mail delivered twice (a retried delivery, a copied folder)

    report = read_mailbox(desk.engine, imap.settings())

    assert report.counts == {"stored": 1, "duplicate": 1}
    assert [m.body for m in thread(desk.engine, ticket_id)] == ["No id on me"]
    assert inbound(desk.engine)[0].message_key.startswith("sha256:")
    assert imap.flags() == [(SEEN,), (SEEN,)]


def test_a_mail_only_with_files_and_an_overlong_one_still_arrive(desk, imap):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), text="",
                      files=[("log.txt", "text/plain", b"line 1\nline 2\n")]))
    imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), text="word " * 6000))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 2}

    files_only, long_one = thread(desk.engine, ticket_id)
    assert files_only.body == "(No text: the mail's files are attached.)"
    assert files_only.files["log.txt"] == b"line 1\nline 2\n"
    assert len(long_one.body) <= 20_000 and long_one.body.endswith("attached as original.eml.]")


def test_a_moved_folder_instead_of_the_seen_flag(desk, imap):
    ticket_id = desk.raise_ticket()
    with imap.mailbox() as box:
        if not box.folder.exists("Processed"):
            box.folder.create("Processed")
    imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), text="Move me"))

    assert read_mailbox(desk.engine, imap.settings(processed_folder="Processed")).counts == {"stored": 1}

    assert imap.flags() == []  # gone from the INBOX ...
    with imap.mailbox() as box:
        box.folder.set("Processed")
        assert len(box.uids("ALL")) >= 1  # ... into the processed folder


def test_a_flood_from_one_address_is_held_past_the_limit(desk, imap, monkeypatch):
    from helpdesk.inbound_mail import store
    monkeypatch.setattr(store, "LOOP_LIMIT", 3)
    ticket_id = desk.raise_ticket()
    for number in range(4):  # an auto-responder that sends none of the usual headers
        imap.deliver(mail(sender="carla@example.com", subject=_tag(ticket_id), text=f"Auto answer {number}"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 3, "held": 1}
    assert "mail loop" in inbound(desk.engine)[-1].reason


def test_a_deactivated_customers_mail_is_held(desk, imap):
    from tests.factories import add_user
    former = add_user(desk.engine, email="gone@example.com", active=False)
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender=former.email, subject=_tag(ticket_id), text="Let me back in"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 1}
    assert "gone@example.com's account is deactivated." == inbound(desk.engine)[0].reason
