"""Single sign-on on the sign-in page: "Sign in with <provider>" through st.login (OpenID Connect),
offered only when `.streamlit/secrets.toml` has an [auth] section in Streamlit's format.

How a sign-in goes: the button calls st.login, the browser goes to the provider and comes back
through Streamlit's /oauth2callback, which keeps the provider's claims in Streamlit's own identity
cookie and sends the browser to the app's home, the sign-in page for someone signed out. There
the claims (iss, sub, email, email_verified, name) name a local account
(helpdesk.accounts.single_sign_on), which is signed in as after a password: the app's own session
and its HttpOnly cookie, so revoking, expiring and deactivating work as for everyone.

Then Streamlit's identity cookie must go, or it would sign the person in again after they signed
out (or were signed out). st.logout() is not the way: it sends the browser to the provider's
end-session page whenever the provider has one (Microsoft, Okta, Keycloak), which signs the
person out there too, or asks them to. So a small script in the page hands over the app's cookie,
asks Streamlit's /auth/logout for the identity cookie's deletion without following its redirect
to the provider, and opens the home page again: a new connection, which no longer has the
identity and is signed in by the app's cookie. A login's claims are used once per connection, and
only just after the login (FRESH_LOGIN); an old one left behind is dropped without a word.

An address opened while signed out (a mailed ticket link) survives the trip to the provider in a
short-lived cookie of its own (GOING_COOKIE: only the path, nothing secret), set by the sign-in
page before the button is pressed; the new connection after the login opens that address."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlencode

import streamlit as st
from streamlit.errors import StreamlitAuthError

from helpdesk.accounts.single_sign_on import account_for_identity
from helpdesk.core.errors import AuthenticationFailed
from helpdesk.ui.auth import COOKIE_STEP_KEY, SIGNED_OUT_KEY, sign_in_as
from helpdesk.ui.engine import db_session
from helpdesk.ui.plain_text import plain
from helpdesk.ui.raise_ticket import AFTER_SIGN_IN
from helpdesk.ui.session_routes import START_PATH

log = logging.getLogger(__name__)

# What Streamlit needs for a provider (auth_util.validate_auth_credentials), and for all of them.
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
SHARED_KEYS = ("redirect_uri", "cookie_secret")
DEFAULT = "default"  # st.login()'s provider when the keys sit in [auth] itself
# Ours, beside Streamlit's keys: the name on the button ("Sign in with Contoso").
DISPLAY_NAME = "display_name"
# A login's claims count only this soon after the provider issued them (its clock and ours may differ
# a little); they reach the page seconds after the login.
FRESH_LOGIN = 5 * 60
# The login (issuer, subject, issued at) this connection has used already.
USED_KEY = "single_sign_on_used"
STREAMLIT_LOGOUT_PATH = "auth/logout"
# Where a signed-out person was going, kept through the provider's pages (a local path only).
GOING_COOKIE = "ccr_going"
GOING_MAX_AGE = 15 * 60
_LOCAL_ADDRESS = re.compile(r"[a-z_]{1,40}(\?[A-Za-z0-9_.~%=&+\-]{0,200})?")

_FINISH_JS = """
export default function ({ data }) {
  const send = (path, options) => fetch(path, { credentials: "same-origin", cache: "no-store", ...options })
    .catch(() => null);
  const handed = data.code ? send(data.start, { method: "POST", body: data.code }) : Promise.resolve(null);
  // redirect "manual": the identity cookie is deleted, the provider's end-session page never opened.
  handed.then(() => send(data.forget, { redirect: "manual" })).then(() => {
    document.cookie = data.going + "=; path=/; max-age=0; samesite=lax";
    if (data.home) window.location.replace(data.home);
  });
}
"""
_finish = st.components.v2.component("helpdesk_single_sign_on_finish", js=_FINISH_JS)
_REMEMBER_JS = """
export default function ({ data }) {
  document.cookie = data.name + "=" + encodeURIComponent(data.value) + "; path=/; max-age=" + data.maxAge
    + "; samesite=lax";
}
"""
_remember = st.components.v2.component("helpdesk_single_sign_on_remember", js=_REMEMBER_JS)


@dataclass(frozen=True)
class Provider:
    key: str  # st.login's argument
    name: str  # as the button says it


def providers_in(auth: object) -> list[Provider]:
    """The providers an [auth] section sets up, in its order; none when it lacks what every
    provider needs. A provider with a key missing, or an underscore in its name (which st.login
    refuses), is left out, and the log says why."""
    if not isinstance(auth, Mapping):
        return []
    missing = [key for key in SHARED_KEYS if not auth.get(key)]
    if missing:
        log.warning("Single sign-on is off: [auth] in secrets.toml lacks %s.", ", ".join(missing))
        return []
    found = []
    if DEFAULT not in auth and any(key in auth for key in PROVIDER_KEYS):
        found.append(_provider(DEFAULT, auth, fallback="single sign-on"))
    for key, section in auth.items():
        if isinstance(section, Mapping) and any(name in section for name in PROVIDER_KEYS):
            found.append(_provider(str(key), section, fallback=str(key).replace("-", " ").title()))
    return [provider for provider in found if provider is not None]


def _provider(key: str, section: Mapping, *, fallback: str) -> Provider | None:
    missing = [name for name in PROVIDER_KEYS if not section.get(name)]
    if missing or "_" in key:
        log.warning("Single sign-on provider %r left out: %s.", key,
                    f"lacks {', '.join(missing)}" if missing else "Streamlit refuses provider names with '_'")
        return None
    name = section.get(DISPLAY_NAME)
    return Provider(key=key, name=name.strip() if isinstance(name, str) and name.strip() else fallback)


def configured_providers() -> list[Provider]:
    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml at all
        return []
    return providers_in(auth)


def single_sign_on_offer() -> None:
    """The sign-in page's "Sign in with ..." buttons (nothing without providers), and the end of a
    sign-in that just came back from a provider: the person signed in, or told why not."""
    providers = configured_providers()
    if not providers:
        return
    claims = _login_claims()
    if claims is not None:
        _use_login(claims)
    going = st.session_state.get(AFTER_SIGN_IN)
    if going:  # kept through the provider's pages, which start a new connection
        address, query = going
        _remember(key="single_sign_on_remember", height=0,
                  data={"name": GOING_COOKIE, "value": address + (f"?{urlencode(query)}" if query else ""),
                        "maxAge": GOING_MAX_AGE})
    for provider in providers:
        if st.button(f"Sign in with {plain(provider.name)}", key=f"sign_in_with_{provider.key}",
                     icon=":material/key:", width="stretch"):
            try:
                st.login(provider.key)
            except StreamlitAuthError:
                log.exception("st.login(%r) failed", provider.key)
                st.error(f"Signing in with {plain(provider.name)} isn't set up correctly. Sign in with your "
                         "e-mail and password, and tell an administrator.", icon=":material/error:")
    st.caption("Or with your e-mail and password:")


def _login_claims() -> dict | None:
    """The provider's claims this connection came with (Streamlit's identity cookie), or None."""
    claims = st.user.to_dict()
    return claims if claims.get("is_logged_in") is True else None


def _use_login(claims: dict) -> None:
    login = (claims.get("iss"), claims.get("sub"), claims.get("iat"))
    issued = claims.get("iat")
    fresh = isinstance(issued, int | float) and abs(time.time() - issued) <= FRESH_LOGIN
    # Used here already, or left from before a sign-out: only its cookie is still to go.
    if not fresh or st.session_state.get(USED_KEY) == login or st.session_state.get(SIGNED_OUT_KEY):
        _forget_login()
        return
    st.session_state[USED_KEY] = login
    # Microsoft Entra sends no email_verified; its optional claim xms_edov ("e-mail domain owner
    # verified") says the same, once the app registration asks for it.
    verified = claims.get("email_verified", claims.get("xms_edov"))
    try:
        with db_session() as session:
            user = account_for_identity(
                session=session, issuer=claims.get("iss"), subject=claims.get("sub"), email=claims.get("email"),
                # Some providers send the flag as a string.
                email_verified=verified is True or (isinstance(verified, str) and verified.lower() == "true"),
                name=claims.get("name"))
            sign_in_as(session, user, keep_signed_in=True)
    except AuthenticationFailed as exc:
        st.error(plain(str(exc)), icon=":material/lock:")
        _forget_login()
        return
    _, code = st.session_state[COOKIE_STEP_KEY]
    st.info("Signing you in…", icon=":material/hourglass_top:")
    _forget_login(code=code, then_home=True, going=local_address(st.context.cookies.get(GOING_COOKIE) or ""))
    st.stop()  # the page opens again, signed in


def local_address(kept: str) -> str:
    """The kept address (GOING_COOKIE's value) if it is one of the app's own, "address?query"
    with no scheme, host or leading slash; else "" (home). A cookie is the browser's to change:
    it must never become a way to send someone to another site."""
    address = unquote(kept)
    return address if _LOCAL_ADDRESS.fullmatch(address) else ""


def _forget_login(*, code: str | None = None, then_home: bool = False, going: str = "") -> None:
    """The script that hands over the app's cookie (`code`), deletes Streamlit's identity cookie
    (and the address kept for the trip), and (`then_home`) opens the home page again, or the
    address `going` (a path of the app's own, checked) the person was on their way to."""
    base = st.get_option("server.baseUrlPath").strip("/")
    home = f"/{base}/" if base else "/"
    _finish(key="single_sign_on_finish", height=0,
            data={"code": code, "start": START_PATH, "forget": f"{home}{STREAMLIT_LOGOUT_PATH}", "going": GOING_COOKIE,
                  "home": (home + going) if then_home else None})
