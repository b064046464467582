"""One raw mail as plain data: who sent it, to which addresses, which mails it answers, what it
says and which files it carries. imap-tools does the MIME decoding."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.utils import getaddresses

from imap_tools import MailMessage

from helpdesk.inbound_mail.automatic import automatic_reason
from helpdesk.inbound_mail.reply_text import new_text

MESSAGE_KEY_MAX = 255
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
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


def parse_mail(raw: bytes, *, own_addresses: tuple[str, ...] = ()) -> ParsedMail:
    mail = MailMessage.from_bytes(raw)
    sender = mail.from_values
    recipients = [a.email.lower() for a in (*mail.to_values, *mail.cc_values) if a.email]
    for header in DELIVERY_HEADERS:
        recipients += [address.lower() for _, address in getaddresses(list(mail.headers.get(header, ()))) if address]
    files = tuple(MailFile(filename=f.filename or "attachment", content=f.payload)
                  for f in mail.attachments if f.filename or f.content_disposition == "attachment")
    return ParsedMail(
        message_key=message_key(raw, _header(mail, "message-id")),
        sender_email=(sender.email if sender else "").strip().lower(),
        sender_name=(sender.name if sender else "").strip(),
        subject=" ".join((mail.subject or "").split()),
        recipients=tuple(dict.fromkeys(recipients)),
        thread_ids=thread_ids(_header(mail, "in-reply-to"), _header(mail, "references")),
        text=new_text(text=mail.text or "", html=mail.html or ""),
        files=files,
        automatic=automatic_reason(mail.obj, own_addresses=own_addresses),
        raw=raw,
    )
