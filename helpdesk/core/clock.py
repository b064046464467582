"""One clock for the whole package: timezone-aware UTC."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
