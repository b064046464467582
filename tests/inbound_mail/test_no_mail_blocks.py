"""No mail blocks the mailbox, and none is too large to handle: a NUL in an encoded-word header
(PostgreSQL refuses NUL in text) is cleaned; a mail that fails to store for any other reason
is held with its raw mail; one that can't even be held is skipped so newer mail comes in, and
given up after a few passes; a mail over the size limit is held as a stub without its body.
Against the real IMAP server (dovecot), on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.enums import InboundMailStatus
from helpdesk.inbound_mail import held, reader, store
from helpdesk.inbound_mail.held import list_held_mails, open_ticket_from_held
from helpdesk.inbound_mail.mailbox import GAVE_UP
from helpdesk.inbound_mail.parsing import parse_mail
from helpdesk.inbound_mail.reader import read_mailbox
from helpdesk.models import Attachment, format_reference
from tests.inbound_mail.dovecot import SEEN
from tests.inbound_mail.mails import mail
from tests.inbound_mail.world import inbound, thread

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def _tagged(ticket_id: int, text: str, subject: str = "x") -> bytes:
    return mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] {subject}", text=text)


def test_a_nul_in_an_encoded_word_subject_and_sender_name_is_cleaned_and_the_next_mail_still_comes_in(desk, imap):
    ticket_id = desk.raise_ticket()
    raw = _tagged(ticket_id, "NUL mail")
    raw = raw.replace(b"From: carla@example.com", b"From: =?utf-8?q?Car=00la?= <carla@example.com>")
    raw = raw.replace(b"Subject: Re:", b"Subject: =?utf-8?q?a=00b?= Re:")
    assert b"=00" in raw
    imap.deliver(raw)
    imap.deliver(_tagged(ticket_id, "Normal reply"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"stored": 2}

    assert [m.body for m in thread(desk.engine, ticket_id)] == ["NUL mail", "Normal reply"]
    assert "\x00" not in inbound(desk.engine)[0].subject and inbound(desk.engine)[0].subject.startswith("ab Re:")
    assert imap.unseen_count() == 0


def test_a_mail_that_fails_to_store_for_an_unexpected_reason_is_held_whole(desk, imap, monkeypatch):
    ticket_id = desk.raise_ticket()
    real_store = store.store_mail

    def failing_store(session, *, parsed, settings):  # a bug for this one mail (fault injection)
        if "BROKEN" in parsed.text:
            raise RuntimeError("a bug")
        return real_store(session, parsed=parsed, settings=settings)

    monkeypatch.setattr(store, "store_mail", failing_store)
    imap.deliver(_tagged(ticket_id, "BROKEN mail"))
    imap.deliver(_tagged(ticket_id, "Normal reply"))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 1, "stored": 1}

    assert [m.body for m in thread(desk.engine, ticket_id)] == ["Normal reply"]
    bad = inbound(desk.engine)[0]
    assert bad.status == InboundMailStatus.HELD and "could not be stored (RuntimeError)" in bad.reason
    assert b"BROKEN mail" in bad.raw
    assert imap.unseen_count() == 0


def test_mails_that_cannot_even_be_held_do_not_stop_newer_mail_and_are_given_up(desk, imap, monkeypatch):
    ticket_id = desk.raise_ticket()
    monkeypatch.setattr(reader, "_failures", {})
    real_store, real_hold = store.store_mail, store.hold_mail

    def failing_store(session, *, parsed, settings):
        if "POISON" in parsed.text:
            raise RuntimeError("a bug")
        return real_store(session, parsed=parsed, settings=settings)

    def failing_hold(session, *, parsed, **details):
        if "POISON" in parsed.text:
            raise RuntimeError("another bug")
        return real_hold(session, parsed=parsed, **details)

    monkeypatch.setattr(store, "store_mail", failing_store)
    monkeypatch.setattr(store, "hold_mail", failing_hold)
    imap.deliver(_tagged(ticket_id, "POISON one"))
    imap.deliver(_tagged(ticket_id, "POISON two"))
    imap.deliver(_tagged(ticket_id, "Good reply"))

    first = read_mailbox(desk.engine, imap.settings(), limit=2)  # the two oldest are the poison ones

    assert (first.counts, first.failed) == ({"stored": 1}, 2)
    assert [m.body for m in thread(desk.engine, ticket_id)] == ["Good reply"]
    assert imap.unseen_count() == 2
    for _ in range(reader.GIVE_UP_AFTER - 1):
        assert read_mailbox(desk.engine, imap.settings(), limit=2).failed == 2
    # Given up: marked in the mailbox (still unseen, for a person), and no longer tried.
    assert [GAVE_UP in flags for flags in imap.flags()] == [True, True, False]
    assert read_mailbox(desk.engine, imap.settings(), limit=2).read == 0


def test_a_mail_over_the_size_limit_is_held_as_a_stub_without_its_body(desk, imap, monkeypatch):
    monkeypatch.setenv("HELPDESK_UPLOAD_MAX_FILES", "1")
    monkeypatch.setenv("HELPDESK_UPLOAD_MAX_MB", "0.1")  # limit: 0.1 MB x 1 x 4/3 + 1 MB margin
    ticket_id = desk.raise_ticket()
    big = bytes(range(256)) * (6 * 1024)  # 1.5 MB: 2.1 MB as base64 lines
    imap.deliver(mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] logs",
                      text="BIG-TEXT", files=[("logs.pdf", "application/pdf", big)]))

    assert read_mailbox(desk.engine, imap.settings()).counts == {"held": 1}

    (record,) = inbound(desk.engine)
    assert record.status == InboundMailStatus.HELD and record.reason.startswith("Too large: 2.1 MB (the limit is 1.1 MB")
    assert record.raw is None and record.from_address == "carla@example.com"
    assert thread(desk.engine, ticket_id) == []
    with session_scope(desk.engine) as session:
        assert session.scalars(select(Attachment.filename)).all() == []  # the ticket's files: none new
    assert [set(flags) for flags in imap.flags()] == [{SEEN, "\\Flagged"}]  # done, and flagged for a person
    (shown,) = desk.act(desk.admin, list_held_mails)
    assert shown.subject.endswith("logs") and shown.text == ""
    with pytest.raises(ValidationError, match="too large"):
        desk.act(desk.admin, open_ticket_from_held, mail_id=record.id)


def test_the_held_list_does_not_parse_the_raw_mail_and_an_unreadable_one_cannot_become_a_ticket(
        desk, imap, monkeypatch):
    imap.deliver(mail(sender="nina@example.org", subject="Broken login", text="NINA-TEXT",
                      files=[("shot.png", "image/png", b"\x89PNG\r\n\x1a\nxx")]))
    assert read_mailbox(desk.engine, imap.settings(unknown_senders="hold")).counts == {"held": 1}

    def unreadable(raw, **_):  # a parser bug on this mail (fault injection)
        raise UnicodeError("bad mail")

    monkeypatch.setattr(held, "parse_mail", unreadable)
    (shown,) = desk.act(desk.admin, list_held_mails)  # from what was kept when it was held
    assert (shown.text, shown.files) == ("NINA-TEXT", ("shot.png",))
    with pytest.raises(ValidationError, match="This mail cannot be read; discard it."):
        desk.act(desk.admin, open_ticket_from_held, mail_id=shown.id)


def test_an_unknown_charset_loses_no_characters():
    raw = (b"From: carla@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9 ok\r\n")
    assert parse_mail(raw).text == "caf\xe9 ok"
    bad_utf8 = raw.replace(b"x-unknown", b"utf-8")
    assert parse_mail(bad_utf8).text == "caf\ufffd ok"  # a wrong byte shows, never silently vanishes
