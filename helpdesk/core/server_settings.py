"""One mail server's section of settings, as the SMTP and IMAP settings both read it: each key from
the environment (HELPDESK_<NAME>_<KEY>, which wins), then `.streamlit/secrets.toml` [<name>]; and
the TLS mode with the port it implies. One reader, so both say the same thing about the same mistake."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from helpdesk.core import config


@dataclass(frozen=True)
class ServerSection:
    name: str  # "smtp", "imap": the section and the environment prefix
    values: Mapping

    @property
    def label(self) -> str:
        return self.name.upper()

    def setting(self, key: str) -> str | None:
        """A key's text, stripped; None when it is unset or blank."""
        value = os.environ.get(f"HELPDESK_{self.label}_{key.upper()}")
        if value is None:
            value = self.values.get(key)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    def password(self) -> str | None:
        """Not stripped: spaces may belong to a password."""
        value = os.environ.get(f"HELPDESK_{self.label}_PASSWORD")
        if value is None:
            value = self.values.get("password")
        return None if value is None else str(value)

    def security_and_port(self, *, default: str, ports: Mapping[str, int],
                          error: type[ValueError]) -> tuple[str, int]:
        """The TLS mode (one of `ports`' keys) and the port: given, or the mode's usual one."""
        security = (self.setting("security") or default).lower()
        if security not in ports:
            raise error(f"{self.label} security must be one of {', '.join(ports)}, not {security!r}.")
        raw_port = self.setting("port")
        try:
            return security, int(raw_port) if raw_port else ports[security]
        except ValueError:
            raise error(f"{self.label} port must be a number, not {raw_port!r}.") from None


def server_section(name: str) -> ServerSection:
    return ServerSection(name=name, values=config.load_secrets().get(name, {}) or {})
