"""Uploads: refused with a clear message (and nothing written) when there are too many, too big,
of a type not on the allow-list, disguised, or empty; stored with size and sha256; downloadable
by the ticket's owner. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from helpdesk.core.db import session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.models import Attachment, Ticket, TicketEvent, TicketMessage
from helpdesk.tickets import customer as tickets_customer
from helpdesk.tickets.attachments import UploadedFile, clean_filename, get_attachment, upload_problems

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
DOCX = b"PK\x03\x04" + b"\x14\x00\x06\x00" + b"word/document.xml"
MB = 1024 * 1024


def counts(engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(m))
                     for m in (Ticket, TicketMessage, Attachment, TicketEvent))


def refused(desk, files) -> str:
    """The attachments-field message for a ticket raised with these files; asserts nothing was written."""
    before = counts(desk.engine)
    with pytest.raises(ValidationError) as excinfo:
        desk.raise_ticket(attachments=files)
    assert set(excinfo.value.field_errors) == {"attachments"}
    assert counts(desk.engine) == before
    return excinfo.value.field_errors["attachments"]


def test_more_than_five_files_are_refused(desk):
    files = [UploadedFile(f"photo{i}.png", PNG) for i in range(6)]
    message = refused(desk, files)
    assert "at most 5 files" in message and "6" in message
    desk.raise_ticket(attachments=files[:5])
    assert counts(desk.engine)[2] == 5


def test_file_over_ten_megabytes_is_refused(desk):
    big = UploadedFile("server.log", b"a" * (10 * MB + 1))
    message = refused(desk, [UploadedFile("ok.txt", b"fine"), big])
    assert "server.log" in message and "10 MB" in message


def test_file_of_exactly_ten_megabytes_is_accepted():
    assert upload_problems([UploadedFile("server.log", b"a" * (10 * MB))]) is None


@pytest.mark.parametrize("filename", ["setup.exe", "page.html", "page.htm", "image.svg", "script.js",
                                      "photo.png.exe", "README", "archive.zip"])
def test_types_not_on_the_allow_list_are_refused(desk, filename):
    message = refused(desk, [UploadedFile(filename, b"MZ\x90\x00 or <html>")])
    assert "not an allowed type" in message
    assert "png" in message and "pdf" in message  # tells the person what would work


@pytest.mark.parametrize(("filename", "content"), [
    ("holiday.png", b"<html><script>alert(1)</script></html>"),
    ("invoice.pdf", b"<!DOCTYPE html><html></html>"),
    ("photo.jpg", PNG),
    ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),
    ("report.docx", b"<html></html>"),
])
def test_content_that_does_not_match_its_extension_is_refused(desk, filename, content):
    message = refused(desk, [UploadedFile(filename, content)])
    assert filename in message and "doesn't look like" in message


def test_empty_file_is_refused(desk):
    message = refused(desk, [UploadedFile("empty.txt", b"")])
    assert "empty.txt" in message and "empty" in message.replace("empty.txt", "")


def test_allowed_types_with_matching_content_are_stored_with_size_and_sha256(desk):
    files = [UploadedFile("Screenshot.PNG", PNG), UploadedFile("invoice.pdf", PDF),
             UploadedFile("error.log", "naïve café — 42\n".encode()), UploadedFile("spec.docx", DOCX)]
    ticket_id = desk.raise_ticket(attachments=files)
    stored = desk.act(desk.customer, tickets_customer.get_ticket_attachments, ticket_id=ticket_id)
    assert [a.filename for a in stored] == ["Screenshot.PNG", "invoice.pdf", "error.log", "spec.docx"]
    for attachment, upload in zip(stored, files):
        assert attachment.size == len(upload.content)
        assert attachment.sha256 == hashlib.sha256(upload.content).hexdigest()
        assert attachment.uploaded_by_id == desk.customer.id
    assert [a.content_type for a in stored[:3]] == ["image/png", "application/pdf", "text/plain"]


@pytest.mark.parametrize(("given", "stored"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\cara\\Desktop\\report.pdf", "report.pdf"),
    ("/tmp/upload/photo.png", "photo.png"),
])
def test_path_components_are_stripped_from_file_names(desk, given, stored):
    content = PDF if stored.endswith(".pdf") else PNG if stored.endswith(".png") else b"hello"
    ticket_id = desk.raise_ticket(attachments=[UploadedFile(given, content)])
    [attachment] = desk.act(desk.customer, tickets_customer.get_ticket_attachments, ticket_id=ticket_id)
    assert attachment.filename == stored
    assert clean_filename(given) == stored


def test_a_stored_name_never_carries_control_characters():
    """Uploads with them are refused (test_input_checks); names from before are cleaned for download."""
    assert clean_filename("bad\x00name\x1f.txt") == "badname.txt"


def test_owner_downloads_the_exact_content(desk):
    ticket_id = desk.raise_ticket(attachments=[UploadedFile("photo.png", PNG)])
    [listed] = desk.act(desk.customer, tickets_customer.get_ticket_attachments, ticket_id=ticket_id)
    downloaded = desk.act(desk.customer, get_attachment, attachment_id=listed.id)
    # Read after the session closed, as a page's download button would.
    assert downloaded.content == PNG
    assert downloaded.filename == "photo.png" and downloaded.content_type == "image/png"


def test_reply_attachments_are_checked_and_downloadable(desk):
    ticket_id = desk.raise_ticket()
    before = counts(desk.engine)
    with pytest.raises(ValidationError) as excinfo:
        desk.act(desk.customer, tickets_customer.add_customer_reply, ticket_id=ticket_id, body="See attached",
                 attachments=[UploadedFile("trojan.png", b"<html></html>")])
    assert "attachments" in excinfo.value.field_errors
    assert counts(desk.engine) == before

    message = desk.act(desk.customer, tickets_customer.add_customer_reply, ticket_id=ticket_id,
                       body="See attached", attachments=[UploadedFile("trace.log", b"boom\n")])
    with session_scope(desk.engine) as session:
        thread = tickets_customer.get_conversation(session=session, actor=desk.customer, ticket_id=ticket_id)
        [attachment] = thread[0].attachments
        assert attachment.message_id == message.id
        assert get_attachment(session=session, actor=desk.customer, attachment_id=attachment.id).content == b"boom\n"
    # Reply files belong to their message, not to the ticket's own list.
    assert desk.act(desk.customer, tickets_customer.get_ticket_attachments, ticket_id=ticket_id) == []


def test_allow_list_and_limits_are_configurable(desk, monkeypatch):
    monkeypatch.setenv("HELPDESK_UPLOAD_TYPES", "txt, .PDF")
    monkeypatch.setenv("HELPDESK_UPLOAD_MAX_FILES", "2")
    monkeypatch.setenv("HELPDESK_UPLOAD_MAX_MB", "0.001")
    assert "not an allowed type" in refused(desk, [UploadedFile("a.png", PNG)])
    assert "at most 2 files" in refused(desk, [UploadedFile(f"{i}.txt", b"x") for i in range(3)])
    assert "larger than" in refused(desk, [UploadedFile("big.txt", b"x" * 2000)])
    desk.raise_ticket(attachments=[UploadedFile("a.pdf", PDF), UploadedFile("b.txt", b"x" * 1000)])
