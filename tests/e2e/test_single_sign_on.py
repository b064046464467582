"""Single sign-on in the real app and a real browser, against a real OpenID Connect provider on
127.0.0.1 (oidc-provider-mock: its authorization form asks who to sign in as). Someone new
comes back signed in as a customer, by the app's own cookie, and Streamlit's identity cookie is
gone, so signing out stays signed out; a deactivated account is refused with the reason."""
from __future__ import annotations

import json
import secrets
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from helpdesk.accounts.single_sign_on import DEACTIVATED
from helpdesk.core.db import session_scope
from helpdesk.enums import Role
from helpdesk.models import SignOnIdentity, User
from helpdesk.ui.session_routes import SESSION_COOKIE, START_PATH
from tests.e2e.conftest import app_database, app_server, browser_tab, seeded_database
from tests.e2e.steps import keyed, settle

pytestmark = pytest.mark.browser

oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason="pip install -r requirements-dev.txt")
werkzeug_serving = pytest.importorskip("werkzeug.serving")

IDENTITY_COOKIE = "_streamlit_user"  # Streamlit's (web/server/starlette/starlette_server_config.py)


@contextmanager
def oidc_provider() -> Iterator[str]:
    """The provider on 127.0.0.1 on a free port, in a thread; yields its issuer URL."""
    server = werkzeug_serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def tell_provider(issuer: str, subject: str, **claims) -> None:
    """The claims the provider will vouch for when someone signs in as `subject`."""
    request = urllib.request.Request(f"{issuer}/users/{quote(subject, safe='')}", method="PUT",
                                     data=json.dumps(claims).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def write_auth_secrets(workdir: Path, issuer: str) -> Path:
    """Streamlit's [auth] section for the provider, in the test's own folder (never the project's)."""
    path = workdir / ".streamlit" / "secrets.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(32)}"

[auth.localid]
display_name = "Local ID"
client_id = "helpdesk"
client_secret = "{secrets.token_urlsafe(16)}"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
""")
    return path


@pytest.fixture
def sso_app(tmp_path):
    """(base URL, database URL, issuer) of the app with single sign-on through the local provider."""
    url = seeded_database(tmp_path)
    with oidc_provider() as issuer:
        secrets_file = write_auth_secrets(tmp_path, issuer)
        with app_server(url, tmp_path, extra_env={"STREAMLIT_SECRETS_FILES": str(secrets_file)}) as base_url:
            yield base_url, url, issuer


def sign_in_at_provider(page, subject: str) -> None:
    """From the sign-in page: "Sign in with Local ID", then the provider's form, as `subject`."""
    keyed(page, "sign_in_with_localid").locator("button").click()
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()


def cookie_names(page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def test_someone_new_signs_in_through_the_provider_as_a_customer(sso_app, browser, screenshots):
    base_url, database_url, issuer = sso_app
    tell_provider(issuer, "carla-7", email="Carla@Example.com", email_verified=True, name="Carla Customer")
    with browser_tab(browser) as page:
        page.goto(base_url)
        settle(page)
        expect(keyed(page, "sign_in_with_localid").get_by_role("button", name="Sign in with Local ID")).to_be_visible()
        page.screenshot(path=screenshots / "sign_in_with_provider_desktop.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=screenshots / "sign_in_with_provider_phone.png", full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})

        with page.expect_response(lambda r: r.url.endswith(START_PATH)) as handed, \
                page.expect_response(lambda r: r.url.endswith("/auth/logout")) as forgotten:
            sign_in_at_provider(page, "carla-7")
        assert handed.value.status == 204
        assert forgotten.value.status == 302  # not followed: the provider's end-session page never opens
        expect(keyed(page, "sign_out")).to_be_visible()
        settle(page)
        expect(page.get_by_text("Signed in as Carla Customer (customer)")).to_be_visible()
        assert SESSION_COOKIE in cookie_names(page) and IDENTITY_COOKIE not in cookie_names(page)
        assert not page.url.startswith(issuer)

        with app_database(database_url) as engine, session_scope(engine) as session:
            carla = session.query(User).filter_by(email="carla@example.com").one()
            assert (carla.name, carla.role, carla.is_active) == ("Carla Customer", Role.CUSTOMER, True)
            identity = session.query(SignOnIdentity).one()
            assert (identity.issuer, identity.subject, identity.user_id) == (issuer, "carla-7", carla.id)

        page.reload()
        settle(page)
        expect(keyed(page, "sign_out")).to_be_visible()
        # Signed out, she stays out: nothing of the provider's login is left to sign her in again.
        keyed(page, "sign_out").locator("button").click()
        expect(keyed(page, "sign_in_email")).to_be_visible()
        settle(page)
        page.reload()
        settle(page)
        expect(keyed(page, "sign_in_email")).to_be_visible()
        expect(keyed(page, "sign_out")).to_have_count(0)


def test_a_deactivated_account_cannot_sign_in_through_the_provider(sso_app, browser):
    base_url, database_url, issuer = sso_app
    with app_database(database_url) as engine, session_scope(engine) as session:
        dora = User(email="dora@example.com", name="Dora Former", role=Role.AGENT, is_active=False,
                    password_hash="not-a-hash")
        session.add(dora)
        session.flush()
        session.add(SignOnIdentity(issuer=issuer, subject="dora-1", user_id=dora.id))
    tell_provider(issuer, "dora-1", email="dora@example.com", email_verified=True, name="Dora Former")
    with browser_tab(browser) as page:
        page.goto(base_url)
        settle(page)
        with page.expect_response(lambda r: r.url.endswith("/auth/logout")):
            sign_in_at_provider(page, "dora-1")
        expect(page.get_by_text(DEACTIVATED)).to_be_visible()
        settle(page)
        expect(keyed(page, "sign_out")).to_have_count(0)
        assert SESSION_COOKIE not in cookie_names(page) and IDENTITY_COOKIE not in cookie_names(page)
        page.reload()  # and no second try on its own
        settle(page)
        expect(keyed(page, "sign_in_email")).to_be_visible()
        expect(page.get_by_text(DEACTIVATED)).to_have_count(0)


def test_an_address_opened_signed_out_opens_after_signing_in_through_the_provider(sso_app, browser):
    """A mailed link or a bookmark: the provider's pages start a new connection, and the address
    still opens once the person is back, signed in (an Entra-style xms_edov vouches for the e-mail)."""
    base_url, _, issuer = sso_app
    tell_provider(issuer, "erin-3", email="erin@example.com", xms_edov=True, name="Erin Entra")
    with browser_tab(browser) as page:
        page.goto(f"{base_url}/my_tickets")
        settle(page)
        expect(keyed(page, "sign_in_email")).to_be_visible()
        with page.expect_response(lambda r: r.url.endswith(START_PATH)):
            sign_in_at_provider(page, "erin-3")
        expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
        settle(page)
        expect(page.get_by_text("Signed in as Erin Entra (customer)")).to_be_visible()
        assert page.url == f"{base_url}/my_tickets"
        assert "ccr_going" not in cookie_names(page)
