"""The new text of a reply: HTML-only mail turned into text (html2text), then the quoted history
cut off (mail-parser-reply, which knows the "On ... wrote:" lines of many languages and mail
clients). The full original stays attached to the message as an .eml file."""
from __future__ import annotations

import html2text
from mailparser_reply import EmailReplyParser

# The languages whose quote headers are recognised ("On ... wrote:", "Am ... schrieb:", ...).
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "cs", "da"]


def html_as_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # no hard wrapping: the thread view wraps
    converter.ignore_images = True  # an <img> in a mail is a tracking pixel or a logo, never text
    converter.ignore_links = False
    converter.ignore_emphasis = True
    return converter.handle(html).strip()


def new_text(*, text: str, html: str) -> str:
    """What the sender wrote, without the quoted mail they answered."""
    body = text if text.strip() else html_as_text(html)
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    try:
        latest = EmailReplyParser(languages=LANGUAGES).parse_reply(text=body)
    except Exception:  # noqa: BLE001  (a parser failure must not lose the mail: keep the whole text)
        latest = body
    return (latest or "").strip() or _unquoted(body)


def _unquoted(body: str) -> str:
    """When the parser kept nothing (a reply typed below the quote), the lines not quoted with '>'."""
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">")).strip()
