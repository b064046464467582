"""The signing-in person's address as the throttle should count it: the connection's peer, unwrapped
from X-Forwarded-For when the peer is a trusted proxy (helpdesk.accounts.client_address says how).

st.context reads both from the websocket's opening request, once per connection. Streamlit's server
(uvicorn) already unwraps a proxy on the same machine (127.0.0.1, ::1); a proxy on another machine
is trusted only when HELPDESK_TRUSTED_PROXIES names it."""
from __future__ import annotations

import streamlit as st

from helpdesk.accounts.client_address import client_address, trusted_proxies


def sign_in_client() -> str | None:
    peer = st.context.ip_address
    headers = st.context.headers
    forwarded = headers.get_all("X-Forwarded-For") if headers is not None else []
    # Only text counts (without a browser connection, as under AppTest, these are not text).
    return client_address(peer=peer if isinstance(peer, str) else None,
                          forwarded_for=[value for value in forwarded if isinstance(value, str)],
                          trusted=trusted_proxies())
