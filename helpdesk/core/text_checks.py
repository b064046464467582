"""Checks every piece of text a person types goes through before it is stored: no invisible
control characters (NUL, escape codes, bidirectional overrides that make "gpj.exe" read as
"exe.jpg"), and e-mail addresses checked by a maintained library (email-validator), not a
hand-written pattern. Used by accounts, tickets and the mail admin alike."""
from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

# Bidirectional controls (Unicode's "Bidi_Control" property): they reorder what is shown.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CHARACTERS = frozenset("\n\r\t")


def invisible_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character that must not be in typed text, as "U+202E", or None.
    `multiline` text (descriptions, messages) may have line breaks and tabs."""
    for ch in value:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and not (multiline and ch in LINE_CHARACTERS)):
            return f"U+{ord(ch):04X}"
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """A message for the field, or None when the text is fine."""
    found = invisible_character(value, multiline=multiline)
    if found is None:
        return None
    return f"Remove the invisible control character ({found}); it may have come in with pasted text."


EMAIL_EXAMPLE = "Enter a valid e-mail address, like name@example.com."


def checked_email(address: str) -> tuple[str, str | None]:
    """(the address as stored: trimmed, lowercased, domain normalised; the problem or None)."""
    address = (address or "").strip()
    if not address:
        return "", "Enter an e-mail address."
    if invisible_character(address) is not None:
        return address.lower(), text_problem(address)
    try:
        valid = validate_email(address, check_deliverability=False)  # no DNS lookups while typing
    except EmailNotValidError as exc:
        return address.lower(), f"{EMAIL_EXAMPLE} {exc}"
    return valid.normalized.lower(), None
