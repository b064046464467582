"""One raw mail as plain data: who sent it, to which addresses, which mails it answers, what it
says and which files it carries. imap-tools does the MIME decoding."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from email.utils import getaddresses

from imap_tools import MailMessage

from helpdesk.inbound_mail.automatic import automatic_reason
from helpdesk.inbound_mail.reply_text import new_text

MESSAGE_KEY_MAX = 255
_MESSAGE_ID = re.compile(r"<([^<>\s\x00-\x1f\x7f]{1,250})>")
# Headers that name the address a mail was delivered to, beside To and Cc (a Bcc, an alias).
DELIVERY_HEADERS = ("delivered-to", "x-original-to", "envelope-to")


@dataclass(frozen=True)
class MailFile:
    filename: str
    content: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_key: str
    sender_email: str
    sender_name: str
    subject: str
    recipients: tuple[str, ...]
    # The mails it answers, the nearest first: In-Reply-To, then References from the newest.
    thread_ids: tuple[str, ...]
    text: str  # the new text only, quotes stripped
    files: tuple[MailFile, ...]
    automatic: str | None  # why no person wrote it, or None
    raw: bytes = field(repr=False)


def message_key(raw: bytes, message_id_header: str | None) -> str:
    """The mail's Message-ID; without a usable one, a hash of the whole mail, which is the same
    every time the same mail is read again."""
    found = _MESSAGE_ID.search(message_id_header or "")
    if found:
        return f"<{found.group(1)}>"
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def thread_ids(in_reply_to: str, references: str) -> tuple[str, ...]:
    ids = [f"<{m}>" for m in _MESSAGE_ID.findall(in_reply_to or "")]
    ids += [f"<{m}>" for m in reversed(_MESSAGE_ID.findall(references or ""))]
    return tuple(dict.fromkeys(ids))[:50]  # a forged References of thousands of ids stays cheap


def _header(mail: MailMessage, name: str) -> str:
    return " ".join(mail.headers.get(name, ()))


def one_line(text: str) -> str:
    """A header value as one line of printable text: an encoded-word can carry any byte (a NUL,
    which PostgreSQL refuses in text, or a line break), so control characters are dropped."""
    return " ".join("".join(ch for ch in text if not unicodedata.category(ch) == "Cc" or ch.isspace()).split())


def decoded(payload: bytes | None, charset: str | None) -> str:
    """A text part as text, losing nothing silently: a bad byte becomes U+FFFD, and a charset
    Python doesn't know is read as UTF-8 when it is valid UTF-8, else as Latin-1 (every byte
    is a character there, so `caf\\xe9` stays `café`)."""
    payload = payload or b""
    try:
        return payload.decode(charset or "utf-8", "replace")
    except LookupError:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("latin-1")


def _body(mail: MailMessage, content_type: str) -> str:
    # As imap-tools' .text / .html, but decoded by `decoded` (imap-tools drops undecodable bytes).
    return "".join(decoded(part.get_payload(decode=True), part.get_content_charset())
                   for part in mail.obj.walk()
                   if part.get_content_maintype() != "multipart" and not part.get_filename()
                   and part.get_content_type() == content_type)


def parse_mail(raw: bytes, *, own_addresses: tuple[str, ...] = ()) -> ParsedMail:
    mail = MailMessage.from_bytes(raw)
    sender = mail.from_values
    recipients = [a.email.lower() for a in (*mail.to_values, *mail.cc_values) if a.email]
    for header in DELIVERY_HEADERS:
        recipients += [address.lower() for _, address in getaddresses(list(mail.headers.get(header, ()))) if address]
    files = tuple(MailFile(filename=one_line(f.filename or "")[:255] or "attachment", content=f.payload)
                  for f in mail.attachments if f.filename or f.content_disposition == "attachment")
    return ParsedMail(
        message_key=message_key(raw, _header(mail, "message-id")),
        sender_email=one_line(sender.email if sender else "").lower(),
        sender_name=one_line(sender.name if sender else ""),
        subject=one_line(mail.subject or ""),
        recipients=tuple(dict.fromkeys(recipients)),
        thread_ids=thread_ids(_header(mail, "in-reply-to"), _header(mail, "references")),
        text=new_text(text=_body(mail, "text/plain"), html=_body(mail, "text/html")),
        files=files,
        automatic=automatic_reason(mail.obj, own_addresses=own_addresses),
        raw=raw,
    )
