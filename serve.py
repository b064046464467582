"""The web server: streamlit_app.py, with the headers every response carries (helpdesk/ui/http_headers.py)
and the routes that set and clear the sign-in cookie (helpdesk/ui/session_routes.py).

    streamlit run serve.py          # the usual Streamlit flags and .streamlit/config.toml apply

`streamlit run` finds the `app` below and serves it with uvicorn (st.App)."""
import streamlit as st
from starlette.middleware import Middleware

from helpdesk.ui.http_headers import SecurityHeaders
from helpdesk.ui.session_routes import ROUTES

# ROUTES: the sign-in cookie's two routes (helpdesk/ui/session_routes.py).
app = st.App("streamlit_app.py", routes=ROUTES, middleware=[Middleware(SecurityHeaders)])
