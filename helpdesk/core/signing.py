"""Signed, expiring tokens for links that work without signing in (the mailed rating link).

A token names one row and when it stops working, and carries an HMAC-SHA256 over both, so
nobody can change the row or the expiry without the server's key:

    <row id>.<expiry, Unix seconds>.<signature, 43 characters of base64url>

Only URL-safe characters, so it goes into a query string as it is. Each use ("purpose") signs
with its own key derived from the one server secret, so a token made for one kind of link is
never accepted by another. The server secret comes from the configuration (environment, then
`.streamlit/secrets.toml`) when it is set there; otherwise helpdesk.settings generates one and
keeps it in the database. It is never logged."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from helpdesk.core import config

SECRET_ENV = "HELPDESK_SECRET_KEY"
SECRET_SETTING = "secret_key"  # the key in secrets.toml
MIN_SECRET_LENGTH = 32

_TOKEN = re.compile(r"(?P<item>[1-9][0-9]{0,9})\.(?P<expires>[1-9][0-9]{0,11})\.(?P<signature>[A-Za-z0-9_-]{43})")


class InvalidToken(Exception):
    """Not a token this server signed for this purpose: mistyped, cut short or tampered with."""


class ExpiredToken(InvalidToken):
    """Signed here, but past its expiry."""


@dataclass(frozen=True)
class TokenContents:
    item_id: int
    expires_at: datetime


def configured_secret() -> bytes | None:
    """The server secret set in the configuration, or None when none is set (then it lives in
    the database). A secret too short to be a key is refused rather than used."""
    value = os.environ.get(SECRET_ENV) or config.load_secrets().get(SECRET_SETTING)
    if not value:
        return None
    value = str(value)
    if len(value) < MIN_SECRET_LENGTH:
        raise RuntimeError(f"{SECRET_ENV} (or secret_key in secrets.toml) is too short: use at least "
                           f"{MIN_SECRET_LENGTH} random characters, e.g. the output of "
                           "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`.")
    return value.encode()


def purpose_key(secret: bytes, purpose: str) -> bytes:
    """The key for one kind of token, derived from the server secret."""
    return hmac.new(secret, f"helpdesk-token-key:{purpose}".encode(), hashlib.sha256).digest()


def _signature(key: bytes, purpose: str, item_id: int, expires: int) -> str:
    digest = hmac.new(key, f"{purpose}:{item_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: bytes, purpose: str, item_id: int, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    return f"{item_id}.{expires}.{_signature(purpose_key(secret, purpose), purpose, item_id, expires)}"


def read_token(secret: bytes, purpose: str, token: object, *, now: datetime) -> TokenContents:
    """What a token names, once its signature is checked, then its expiry. Raises InvalidToken
    (or ExpiredToken) otherwise; the signature is compared in constant time."""
    match = _TOKEN.fullmatch(token.strip()) if isinstance(token, str) else None
    if match is None:
        raise InvalidToken("not a token")
    item_id, expires = int(match["item"]), int(match["expires"])
    expected = _signature(purpose_key(secret, purpose), purpose, item_id, expires)
    if not hmac.compare_digest(expected.encode(), match["signature"].encode()):
        raise InvalidToken("bad signature")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise ExpiredToken("expired")
    return TokenContents(item_id=item_id, expires_at=expires_at)
