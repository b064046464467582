"""Settings from the environment, then `.streamlit/secrets.toml`, then defaults.

Read with tomllib rather than `st.secrets` so the CLI, the worker and the tests
see exactly what the app sees, without importing Streamlit.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "sqlite:///data/helpdesk.db"

# Images, PDF, plain text and logs, office documents.
DEFAULT_ALLOWED_EXTENSIONS = (
    "png", "jpg", "jpeg", "gif", "webp",
    "pdf",
    "txt", "log", "csv",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
)


def secrets_path() -> Path:
    return Path(os.environ.get("HELPDESK_SECRETS_FILE", Path.cwd() / ".streamlit" / "secrets.toml"))


@lru_cache(maxsize=4)
def _load_secrets(path: str, mtime: float) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def load_secrets() -> dict:
    path = secrets_path()
    if not path.is_file():
        return {}
    return _load_secrets(str(path), path.stat().st_mtime)


def database_url() -> str:
    return os.environ.get("HELPDESK_DATABASE_URL") or load_secrets().get("database_url") or DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class UploadPolicy:
    max_files: int = 5
    max_bytes: int = 10 * 1024 * 1024
    allowed_extensions: tuple[str, ...] = field(default=DEFAULT_ALLOWED_EXTENSIONS)


def upload_policy() -> UploadPolicy:
    section = load_secrets().get("uploads", {})
    max_files = int(os.environ.get("HELPDESK_UPLOAD_MAX_FILES", section.get("max_files", 5)))
    max_mb = float(os.environ.get("HELPDESK_UPLOAD_MAX_MB", section.get("max_mb", 10)))
    raw_types = os.environ.get("HELPDESK_UPLOAD_TYPES")
    if raw_types:
        types = tuple(t.strip().lower().lstrip(".") for t in raw_types.split(",") if t.strip())
    else:
        types = tuple(t.lower().lstrip(".") for t in section.get("allowed_extensions", DEFAULT_ALLOWED_EXTENSIONS))
    return UploadPolicy(max_files=max_files, max_bytes=int(max_mb * 1024 * 1024), allowed_extensions=types)


def base_url() -> str:
    """Where the app is reachable, for links in e-mails."""
    return (os.environ.get("HELPDESK_BASE_URL") or load_secrets().get("base_url") or "http://localhost:8501").rstrip("/")


# The help center's "no good match" line on its 0-1 score (helpdesk.knowledge.ranking), as
# calibrated by benchmarks/eval_help_center.py --calibrate.
DEFAULT_HELP_MATCH_THRESHOLD = 0.18


def help_match_threshold() -> float:
    """Below this score no article is offered: the assistant says none covers the question."""
    raw = os.environ.get("HELPDESK_HELP_MATCH_THRESHOLD") or load_secrets().get("help_center", {}).get(
        "match_threshold", DEFAULT_HELP_MATCH_THRESHOLD)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"help_center.match_threshold must be a number from 0 to 1, not {raw!r}") from None
    if not 0 <= value <= 1:
        raise ValueError(f"help_center.match_threshold must be from 0 to 1, not {value}")
    return value


@dataclass(frozen=True)
class SessionLifetime:
    idle: timedelta  # signed out after this long without a click
    absolute: timedelta  # and after this long whatever happens


DEFAULT_SESSION_IDLE_DAYS = 14
DEFAULT_SESSION_ABSOLUTE_DAYS = 30


def session_lifetime() -> SessionLifetime:
    """How long a browser stays signed in: HELPDESK_SESSION_IDLE_DAYS / _ABSOLUTE_DAYS, or
    [sessions] idle_days / absolute_days in secrets.toml."""
    section = load_secrets().get("sessions", {})
    values = {}
    for name, default in (("idle_days", DEFAULT_SESSION_IDLE_DAYS), ("absolute_days", DEFAULT_SESSION_ABSOLUTE_DAYS)):
        raw = os.environ.get(f"HELPDESK_SESSION_{name.upper()}") or section.get(name, default)
        try:
            values[name] = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"sessions.{name} must be a number of days, not {raw!r}") from None
        if not 0 < values[name] <= 3650:
            raise ValueError(f"sessions.{name} must be more than 0 and at most 3650 days, not {values[name]}")
    return SessionLifetime(idle=timedelta(days=values["idle_days"]),
                           absolute=timedelta(days=max(values["absolute_days"], values["idle_days"])))
