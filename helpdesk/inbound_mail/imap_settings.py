"""IMAP settings, read like the SMTP ones: the environment (HELPDESK_IMAP_*), then
`.streamlit/secrets.toml` [imap]. No host means replies by e-mail are off.

    [imap]
    host = "imap.example.com"
    port = 993                      # default from the TLS mode: 993 for ssl, 143 otherwise
    security = "ssl"                # ssl | starttls | none
    user = "support@example.com"
    password = "..."
    folder = "INBOX"
    processed_folder = ""           # empty: mark read mail \\Seen; a name: move it there instead
    notes_address = "notes@example.com"   # staff mail sent here becomes an internal note
    unknown_senders = "sign_up"     # sign_up (follow self-sign-up) | open | hold
    reply_address = "support@example.com" # the signed reply address is support+t42.<sig>@example.com
    category = ""                   # category of tickets opened by mail (default: the first active one)
    background_reader = false       # the app reads the mailbox itself (else: fetch-mail --loop)
    interval_seconds = 60
"""
from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk.core.server_settings import ServerSection, server_section

DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}  # also the TLS modes, in the order a message lists them
SECURITY_CHOICES = tuple(DEFAULT_PORTS)
UNKNOWN_SENDER_CHOICES = ("sign_up", "open", "hold")
DEFAULT_INTERVAL_SECONDS = 60.0
DEFAULT_TIMEOUT_SECONDS = 30.0
_TRUE = ("1", "true", "yes", "on")


class ImapConfigError(ValueError):
    """The [imap] settings are present but unusable; the message says what to fix."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    user: str
    # Kept out of repr() so a logged settings object never shows it.
    password: str = field(repr=False)
    folder: str = "INBOX"
    processed_folder: str | None = None
    notes_address: str | None = None
    unknown_senders: str = "sign_up"
    reply_address: str | None = None
    category: str | None = None
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def describe(self) -> str:
        """For admins and logs: where mail is read, never the password."""
        done = f"moved to {self.processed_folder}" if self.processed_folder else "marked read"
        return f"{self.user} at {self.host}:{self.port} ({self.security}), folder {self.folder}, {done}"


def _section() -> ServerSection:
    return server_section("imap")


def imap_settings() -> ImapSettings | None:
    """The configured mailbox, or None when no host is set. Raises ImapConfigError for settings
    that are present but wrong."""
    section = _section()
    host = section.setting("host")
    if not host:
        return None
    security, port = section.security_and_port(default="ssl", ports=DEFAULT_PORTS, error=ImapConfigError)
    user = section.setting("user")
    password = section.password()
    if not user or not password:
        raise ImapConfigError("Set both the IMAP user and the IMAP password.")
    unknown = (section.setting("unknown_senders") or "sign_up").lower()
    if unknown not in UNKNOWN_SENDER_CHOICES:
        raise ImapConfigError(f"IMAP unknown_senders must be one of {', '.join(UNKNOWN_SENDER_CHOICES)}, "
                              f"not {unknown!r}.")
    raw_timeout = section.setting("timeout")
    try:
        timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        raise ImapConfigError(f"IMAP timeout must be a number of seconds, not {raw_timeout!r}.") from None
    notes = section.setting("notes_address")
    reply = section.setting("reply_address")
    return ImapSettings(host=host, port=port, security=security, user=user, password=str(password),
                        folder=section.setting("folder") or "INBOX",
                        processed_folder=section.setting("processed_folder"),
                        notes_address=notes.lower() if notes else None, unknown_senders=unknown,
                        reply_address=reply.lower() if reply else None,
                        category=section.setting("category"), timeout=timeout)


def background_reader_enabled() -> bool:
    """Off unless asked for: HELPDESK_IMAP_BACKGROUND=1 or `[imap] background_reader = true`."""
    value = _section().setting("background")
    if value is None:
        value = _section().values.get("background_reader", False)
    return str(value).strip().lower() in _TRUE


def read_interval_seconds() -> float:
    value = _section().setting("interval_seconds")
    try:
        return float(value) if value else DEFAULT_INTERVAL_SECONDS
    except ValueError:
        raise ImapConfigError(f"IMAP interval_seconds must be a number, not {value!r}.") from None
