"""The process-wide engine: created and migrated once, shared by every session (thread)."""
from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.ui.long_lived import freeze_long_lived


@st.cache_resource(show_spinner="Preparing the database…")
def get_engine() -> Engine:
    engine = make_engine()
    migrate(engine)  # an empty install is created and migrated on first visit
    return engine


def db_session():
    """One transaction for this user action (commit on success, roll back on error)."""
    freeze_long_lived()  # every run opens one first (streamlit_app.py): see helpdesk/ui/long_lived.py
    return session_scope(get_engine())
