"""Mails as a person's mail client would send them, as raw bytes (CRLF, as on the wire)."""
from __future__ import annotations

import email.policy
import itertools
from email.message import EmailMessage
from email.utils import formatdate

_numbers = itertools.count(1)
QUOTE = "\r\nOn Wed, 3 Dec 2026 at 09:00, Customer Care <helpdesk@example.com> wrote:\r\n> Earlier text from the helpdesk\r\n> QUOTED-HISTORY-MARKER\r\n"


def mail(*, sender: str, subject: str = "Re: your ticket", text: str | None = "Thanks, it works now.",
         html: str | None = None, to: str = "support@support.example.com", cc: str | None = None,
         in_reply_to: str | None = None, references: str | None = None, message_id: str | None | bool = True,
         headers: dict[str, str] | None = None, files: list[tuple[str, str, bytes]] = ()) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    if message_id is True:
        message["Message-ID"] = f"<reply-{next(_numbers)}-{id(message)}@client.example>"
    elif message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for filename, content_type, content in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
