"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, collecting what it receives.

`smtp_server` is a pytest fixture (import it into a test module). The server can be stopped
and started again on the same port, to test what the sender does while mail is down."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from helpdesk.notifications.smtp_settings import SmtpSettings

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes = b""  # as it came over the wire

    @property
    def header_names(self) -> list[str]:
        """Every header of the mail as received, in order (the top level, not the MIME parts)."""
        return [name for name, _ in self.message.items()]

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return body.get_content().replace("\r\n", "\n")  # as the reader sees it, not the wire

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    @property
    def attachments(self) -> list:
        return list(self.message.iter_attachments()) if self.message.is_multipart() else []


class _Collector:
    def __init__(self, server: SmtpTestServer):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.server._received(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"


class SmtpTestServer:
    """Start/stop an aiosmtpd server; `messages` holds every mail it accepted, in order."""

    def __init__(self, *, user: str | None = None, password: str | None = None):
        self.port = _free_port()
        self.user, self.password = user, password
        self.messages: list[ReceivedMail] = []
        self.logins: list[str] = []
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> SmtpTestServer:
        kwargs = {}
        if self.password is not None:
            kwargs = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self._controller = Controller(_Collector(self), hostname=HOST, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, **overrides) -> SmtpSettings:
        values = {"host": HOST, "port": self.port, "security": "none", "from_address": "Helpdesk <helpdesk@example.com>",
                  "user": self.user, "password": self.password, "timeout": 5.0}
        values.update(overrides)
        return SmtpSettings(**values)

    def env(self) -> dict[str, str]:
        """The same settings as HELPDESK_SMTP_* environment variables (for a subprocess)."""
        env = {"HELPDESK_SMTP_HOST": HOST, "HELPDESK_SMTP_PORT": str(self.port), "HELPDESK_SMTP_SECURITY": "none",
               "HELPDESK_SMTP_FROM": "Helpdesk <helpdesk@example.com>"}
        if self.user:
            env["HELPDESK_SMTP_USER"] = self.user
        if self.password:
            env["HELPDESK_SMTP_PASSWORD"] = self.password
        return env

    def to(self, address: str) -> list[ReceivedMail]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedMail]:
        """Block until `count` mails have arrived (for the background thread); no polling sleep."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)

    def _received(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.messages.append(mail)
            self._arrived.notify_all()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            ok = auth_data.login.decode() == self.user and auth_data.password.decode() == self.password
            if ok:
                self.logins.append(self.user)
            return AuthResult(success=ok, handled=False)  # on failure aiosmtpd answers 535
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SmtpTestServer().start()
    yield server
    server.stop()
