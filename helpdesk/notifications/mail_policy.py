"""How the helpdesk writes mail headers so that nothing a person typed can add or end one.

Two layers, because either alone has failed in the wild:
- `header_text` (used by compose.one_line) takes line breaks out of user text and breaks up
  RFC 2047 encoded-word syntax (`=?charset?q?...?=`): the standard library's header folding
  decodes encoded words it finds in a value and, on Pythons before 3.11.10 / 3.12.5
  (CPython gh-121650), writes their decoded CR/LF out raw.
- `build_policy()` is the message policy every notification is generated with: it checks each
  folded header before it is written (what `verify_generated_headers` does on 3.13+, backported
  to 3.11.10 / 3.12.5, done here by hand so it holds on every Python the README allows) and
  raises `UnsafeHeader` instead of writing a header that carries a line break of its own.
"""
from __future__ import annotations

import re
from email.policy import SMTP, EmailPolicy

# A line break followed by anything but folding whitespace starts a new header (or the body);
# the same pattern as the standard library's own check on 3.13 (email._policybase).
_UNFOLDED_BREAK = re.compile(r"\r\n[^ \t]|\r[^ \n\t]|\n[^ \t]")
_ENCODED_WORD_START = "=?"


class UnsafeHeader(ValueError):
    """A generated header would have carried a line break: the mail is not sent."""


def header_text(text: str) -> str:
    """User text made safe for a header: one line, whitespace collapsed, no encoded-word syntax
    (`=?` becomes `= ?`, which reads the same to a person and decodes to nothing)."""
    flat = " ".join(str(text).split())
    while _ENCODED_WORD_START in flat:  # "==??" would leave a new "=?" after one pass
        flat = flat.replace(_ENCODED_WORD_START, "= ?")
    return flat


def _verified(name: str, folded: str) -> str:
    # The folded header ends with one line break; every other one must be a fold.
    if _UNFOLDED_BREAK.search(folded.removesuffix("\r\n")):
        raise UnsafeHeader(f"The {name} header would contain a line break.")
    return folded


class VerifyingPolicy(EmailPolicy):
    """EmailPolicy that refuses to generate a header with an unfolded line break."""

    def fold(self, name, value):
        return _verified(name, super().fold(name, value))

    def fold_binary(self, name, value):
        folded = super().fold_binary(name, value)
        _verified(name, folded.decode("ascii", "surrogateescape"))
        return folded


def build_policy() -> VerifyingPolicy:
    """SMTP's policy (CRLF line ends), with every generated header verified."""
    return VerifyingPolicy(**{name: getattr(SMTP, name) for name in ("linesep", "max_line_length", "utf8")})
