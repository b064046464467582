"""Which "Sign in with ..." buttons an [auth] section in Streamlit's format gives the sign-in page,
and none without one; the administrators' switch for linking by verified e-mail. (Signing in
through a provider: tests/e2e/test_single_sign_on.py.)"""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from helpdesk.core.db import session_scope
from helpdesk.settings import link_sign_on_by_email
from helpdesk.ui.single_sign_on import Provider, local_address, providers_in
from tests.page_helpers import APP, RUN_TIMEOUT, open_app, rerun

SHARED = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32}
KEYS = {"client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}


def test_the_keys_in_auth_itself_are_the_default_provider():
    assert providers_in({**SHARED, **KEYS}) == [Provider("default", "single sign-on")]
    assert providers_in({**SHARED, **KEYS, "display_name": " Contoso "}) == [Provider("default", "Contoso")]
    # Streamlit's own sub-table of [auth] is no provider.
    with_kwargs = {**SHARED, **KEYS, "client_kwargs": {"prompt": "login"}}
    assert providers_in(with_kwargs) == [Provider("default", "single sign-on")]


def test_named_providers_in_their_order_with_their_names_or_their_keys_title_cased():
    auth = {**SHARED, "google": KEYS, "microsoft": {**KEYS, "display_name": "Microsoft 365"}, "key-cloak": KEYS}
    assert providers_in(auth) == [Provider("google", "Google"), Provider("microsoft", "Microsoft 365"),
                                  Provider("key-cloak", "Key Cloak")]


def test_what_streamlit_would_refuse_is_not_offered():
    assert providers_in({"cookie_secret": "s" * 32, "google": KEYS}) == []  # no redirect_uri
    assert providers_in({"redirect_uri": SHARED["redirect_uri"], "google": KEYS}) == []  # no cookie_secret
    auth = {**SHARED, "okta": {**KEYS, "client_secret": ""}, "my_idp": KEYS, "google": KEYS}
    assert providers_in(auth) == [Provider("google", "Google")]  # a key missing; an underscore in the name
    assert providers_in(None) == [] and providers_in("auth") == []


def sign_in_page(app_desk, secrets: dict | None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("kept, opened", [
    ("my_tickets", "my_tickets"),
    ("ticket_view%3Fticket%3D42", "ticket_view?ticket=42"),  # as the page's script stores it
    ("ticket_view?ticket=42", "ticket_view?ticket=42"),
    ("", ""),
    ("//evil.example/x", ""), ("https://evil.example", ""), ("%2F%2Fevil.example", ""),
    ("javascript:alert(1)", ""), ("my_tickets\r\nSet-Cookie: x=1", ""), ("/my_tickets", ""),
])
def test_the_address_kept_through_the_provider_is_only_ever_one_of_the_apps_own(kept, opened):
    assert local_address(kept) == opened


def test_the_sign_in_page_offers_each_provider_beside_the_e_mail_form(app_desk):
    at = sign_in_page(app_desk, {"auth": {**SHARED, "google": KEYS, "okta": {**KEYS, "display_name": "Acme [Okta]"}}})
    assert at.button(key="sign_in_with_google").label == "Sign in with Google"
    assert at.button(key="sign_in_with_okta").label == r"Sign in with Acme \[Okta\]"  # shown as typed
    assert at.text_input(key="sign_in_email") is not None


def test_without_auth_the_sign_in_page_is_as_before(app_desk):
    at = sign_in_page(app_desk, None)
    assert not [b for b in at.button if b.key and b.key.startswith("sign_in_with_")]
    assert "Or with your e-mail and password:" not in [c.value for c in at.caption]


def test_an_administrator_allows_linking_by_verified_e_mail_on_the_settings_page(app_desk):
    at = open_app(app_desk.admin, page="pages/admin/settings.py")
    assert at.toggle(key="settings_link_sign_on").value is False  # off unless an administrator says so
    at.toggle(key="settings_link_sign_on").set_value(True)
    at.button(key="settings_save").click()
    rerun(at)
    assert at.toggle(key="settings_link_sign_on").value is True
    with session_scope(app_desk.engine) as session:
        assert link_sign_on_by_email(session) is True
