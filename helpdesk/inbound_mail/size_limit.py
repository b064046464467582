"""The largest mail the reader takes in whole: what the upload limits allow (max files x max
size), plus base64's third and a margin for the text and headers. A larger mail could never
become a message with all its files, and would sit in memory and in the database whole."""
from __future__ import annotations

from helpdesk.core.config import upload_policy

MARGIN_BYTES = 1024 * 1024


def max_mail_bytes() -> int:
    policy = upload_policy()
    return policy.max_files * policy.max_bytes * 4 // 3 + MARGIN_BYTES


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
