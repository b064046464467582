"""The web server: streamlit_app.py, with the headers every response carries (helpdesk/ui/http_headers.py).

    streamlit run serve.py          # the usual Streamlit flags and .streamlit/config.toml apply

`streamlit run` finds the `app` below and serves it with uvicorn (st.App)."""
import streamlit as st
from starlette.middleware import Middleware

from helpdesk.ui.http_headers import SecurityHeaders

app = st.App("streamlit_app.py", middleware=[Middleware(SecurityHeaders)])
