"""SMTP settings from the environment (HELPDESK_SMTP_*), then `.streamlit/secrets.toml` [smtp].

No host means mail is not configured: the app works normally and mails stay queued."""
from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk.core.server_settings import server_section

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}  # also the TLS modes, in the order a message lists them
SECURITY_CHOICES = tuple(DEFAULT_PORTS)
DEFAULT_TIMEOUT_SECONDS = 20.0


class SmtpConfigError(ValueError):
    """The [smtp] settings are present but unusable; the message says what to fix."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    from_address: str
    user: str | None = None
    # Kept out of repr() so a logged or printed settings object never shows it.
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def logs_in(self) -> bool:
        """Authenticate only with both a user and a password: yagmail would otherwise go
        looking for the password in a keyring or ask for it on the terminal."""
        return bool(self.user and self.password)

    def describe(self) -> str:
        """For admins and logs: where mail goes, never the password."""
        who = f" as {self.user}" if self.logs_in else " without login"
        return f"{self.host}:{self.port} ({self.security}){who}, from {self.from_address}"


def smtp_settings() -> SmtpSettings | None:
    """The configured SMTP server, or None when no host is set. Raises SmtpConfigError for
    settings that are present but wrong (an unknown security mode, a port that isn't a number)."""
    section = server_section("smtp")
    host = section.setting("host")
    if not host:
        return None
    security, port = section.security_and_port(default="starttls", ports=DEFAULT_PORTS, error=SmtpConfigError)
    user = section.setting("user")
    password = section.password()
    from_address = section.setting("from") or user
    if not from_address:
        raise SmtpConfigError("Set the SMTP from address (or a user, which is used as the from address).")
    raw_timeout = section.setting("timeout")
    timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_SECONDS
    return SmtpSettings(host=host, port=port, security=security, from_address=from_address,
                        user=user, password=str(password) if password else None, timeout=timeout)


def mail_configured() -> bool:
    """Whether mail is meant to go out: a host is set, even if another setting still needs
    fixing (the mail then waits in the outbox until it is fixed, as every other mail does)."""
    try:
        return smtp_settings() is not None
    except SmtpConfigError:
        return True
