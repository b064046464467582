"""The [imap] settings (read like the SMTP ones), the `fetch-mail` command once and as a
`--loop` worker that stops on SIGTERM, and the app's optional background reader (off unless
switched on)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from helpdesk.core.config import PROJECT_ROOT
from helpdesk.inbound_mail import background
from helpdesk.inbound_mail.imap_settings import ImapConfigError, background_reader_enabled, imap_settings
from helpdesk.models import format_reference
from tests.inbound_mail.mails import mail
from tests.inbound_mail.world import thread
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("no_local_configuration")


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(path))
    for name in list(os.environ):
        if name.startswith("HELPDESK_IMAP_"):
            monkeypatch.delenv(name)
    return path


def test_no_host_means_replies_by_mail_are_off(secrets_file):
    assert imap_settings() is None
    assert not background_reader_enabled()


def test_settings_come_from_secrets_toml_and_the_environment_wins(secrets_file, monkeypatch):
    secrets_file.write_text('[imap]\nhost = "imap.example.com"\nuser = "support@example.com"\npassword = "pw-secret-1"\n'
                            'security = "starttls"\nnotes_address = "Notes@Example.com"\nunknown_senders = "hold"\n')
    settings = imap_settings()
    assert (settings.host, settings.port, settings.security, settings.folder) == ("imap.example.com", 143,
                                                                                 "starttls", "INBOX")
    assert (settings.notes_address, settings.unknown_senders) == ("notes@example.com", "hold")
    assert "pw-secret-1" not in repr(settings) and "pw-secret-1" not in settings.describe()
    monkeypatch.setenv("HELPDESK_IMAP_PORT", "1143")
    monkeypatch.setenv("HELPDESK_IMAP_PASSWORD", "pw-from-env")
    monkeypatch.setenv("HELPDESK_IMAP_FOLDER", "Support")
    settings = imap_settings()
    assert (settings.port, settings.password, settings.folder) == (1143, "pw-from-env", "Support")


@pytest.mark.parametrize("section, problem", [
    ('host = "h"\nuser = "u"\npassword = "p"\nsecurity = "tls"', "security must be one of ssl, starttls, none"),
    ('host = "h"\nuser = "u"\npassword = "p"\nport = "abc"', "port must be a number"),
    ('host = "h"\nuser = "u"', "Set both the IMAP user and the IMAP password"),
    ('host = "h"\nuser = "u"\npassword = "p"\nunknown_senders = "maybe"', "unknown_senders must be one of"),
])
def test_unusable_settings_say_what_to_fix(secrets_file, section, problem):
    secrets_file.write_text(f"[imap]\n{section}\n")
    with pytest.raises(ImapConfigError, match=problem):
        imap_settings()


def _cli(engine, *args, env=None, **popen):
    command = [sys.executable, "-m", "helpdesk", "--database-url", engine.url.render_as_string(hide_password=False),
               "fetch-mail", *args]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def test_fetch_mail_without_settings_says_so_and_fails(sqlite_engine, secrets_file):
    process = _cli(sqlite_engine)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "Replies by e-mail are off: no [imap] host is set." in err


def test_fetch_mail_loop_reads_until_sigterm(desk, imap):
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] x", text="Looped in"))
    process = _cli(desk.engine, "--loop", "--interval", "0.2", env=imap.env())
    try:
        deadline = time.monotonic() + 60
        while not thread(desk.engine, ticket_id) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)  # waiting for the state: the reply stored
        assert [m.body for m in thread(desk.engine, ticket_id)] == ["Looped in"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Mail reader stopped." in err
    assert imap.settings().password not in out + err


def test_the_background_reader_is_off_unless_switched_on_then_reads(desk, imap, monkeypatch):
    for name, value in imap.env().items():
        monkeypatch.setenv(name, value)
    assert background.start_background_reader(desk.engine) is None  # configured, but not switched on
    ticket_id = desk.raise_ticket()
    imap.deliver(mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] x", text="In the app"))
    monkeypatch.setenv("HELPDESK_IMAP_BACKGROUND", "1")
    monkeypatch.setenv("HELPDESK_IMAP_INTERVAL_SECONDS", "0.2")
    reader = background.start_background_reader(desk.engine)
    try:
        assert reader is not None and background.start_background_reader(desk.engine) is reader  # one per process
        deadline = time.monotonic() + 60
        while reader.last_report is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m.body for m in thread(desk.engine, ticket_id)] == ["In the app"]
    finally:
        background.stop_background_reader()
    assert not reader.is_alive()


def test_the_notify_command_sends_the_signed_reply_address(desk, imap, smtp_server):  # noqa: F811
    ticket_id = desk.raise_ticket()
    command = [sys.executable, "-m", "helpdesk", "--database-url", desk.engine.url.render_as_string(hide_password=False),
               "notify"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, **imap.env(), **smtp_server.env()},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (received,) = smtp_server.to(desk.customer.email)
    assert received.message["Reply-To"].startswith(f"support+t{ticket_id}.")
