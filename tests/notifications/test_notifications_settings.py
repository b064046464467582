"""SMTP settings from .streamlit/secrets.toml [smtp] and HELPDESK_SMTP_* (the environment wins),
and how they become a yagmail connection that never prompts."""
from __future__ import annotations

import os

import pytest

from helpdesk.notifications.sender import RetryPolicy, open_connection
from helpdesk.notifications.smtp_settings import SmtpConfigError, smtp_settings
from tests.smtp_server import SmtpTestServer, smtp_server  # noqa: F401  (fixture)


@pytest.fixture
def secrets(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("HELPDESK_SMTP_"):
            monkeypatch.delenv(name)
    path = tmp_path / "secrets.toml"
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(path))

    def write(toml: str):
        path.write_text(toml)
        return path

    return write


def test_no_host_means_mail_is_not_configured(secrets):
    assert smtp_settings() is None
    secrets('database_url = "sqlite:///x.db"\n[smtp]\nuser = "a@example.com"\n')
    assert smtp_settings() is None


def test_settings_come_from_the_secrets_file(secrets):
    secrets('[smtp]\nhost = "smtp.example.com"\nport = 2525\nuser = "helpdesk@example.com"\n'
            'password = "file-secret"\nsecurity = "ssl"\nfrom = "Customer Care <care@example.com>"\n')
    settings = smtp_settings()
    assert (settings.host, settings.port, settings.security) == ("smtp.example.com", 2525, "ssl")
    assert (settings.user, settings.password, settings.logs_in) == ("helpdesk@example.com", "file-secret", True)
    assert settings.from_address == "Customer Care <care@example.com>"
    assert "file-secret" not in repr(settings)


def test_the_environment_wins_over_the_file(secrets, monkeypatch):
    secrets('[smtp]\nhost = "file.example.com"\npassword = "file-secret"\nuser = "u@example.com"\n')
    monkeypatch.setenv("HELPDESK_SMTP_HOST", "env.example.com")
    monkeypatch.setenv("HELPDESK_SMTP_PASSWORD", "env-secret")
    monkeypatch.setenv("HELPDESK_SMTP_SECURITY", "NONE")
    settings = smtp_settings()
    assert (settings.host, settings.password, settings.security, settings.port) == (
        "env.example.com", "env-secret", "none", 25)
    assert settings.from_address == "u@example.com"  # the user, when no from address is given


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_default_port_follows_the_security_mode(secrets, monkeypatch, security, port):
    monkeypatch.setenv("HELPDESK_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("HELPDESK_SMTP_FROM", "care@example.com")
    monkeypatch.setenv("HELPDESK_SMTP_SECURITY", security)
    assert smtp_settings().port == port


@pytest.mark.parametrize(("env", "message"), [
    ({"HELPDESK_SMTP_SECURITY": "tls"}, "security must be one of starttls, ssl, none"),
    ({"HELPDESK_SMTP_PORT": "twenty-five"}, "port must be a number"),
    ({"HELPDESK_SMTP_FROM": ""}, "from address"),
])
def test_wrong_settings_say_what_to_fix(secrets, monkeypatch, env, message):
    monkeypatch.setenv("HELPDESK_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("HELPDESK_SMTP_FROM", "care@example.com")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SmtpConfigError, match=message):
        smtp_settings()


def test_connection_to_a_plain_local_server_skips_starttls_and_login(smtp_server):
    """security = none talks plain SMTP (no STARTTLS, which the server doesn't offer), and
    without a password yagmail is told to skip the login instead of looking for one."""
    client = open_connection(smtp_server.settings(user="someone", password=None))
    try:
        assert client.smtp_skip_login and not client.starttls and not client.ssl
        assert client.smtp.noop()[0] == 250
    finally:
        client.close()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_login_name_without_an_at_sign_is_used_as_given():
    """Many relays use names like "apikey"; yagmail would make that "apikey@gmail.com"."""
    server = SmtpTestServer(user="apikey", password="Relay-Secret-1").start()
    try:
        client = open_connection(server.settings())
        client.close()
    finally:
        server.stop()
    assert server.logins == ["apikey"]


def test_backoff_doubles_up_to_a_cap():
    policy = RetryPolicy()
    assert [policy.delay_after(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
