"""Random tokens handed to a browser or mailed, and the hash the database keeps instead.

A token has 256 random bits, so a fast unsalted SHA-256 is enough: nobody can guess one to
look up, and a copy of the database holds nothing that opens a session or follows a link."""
from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
