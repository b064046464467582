"""Managers and administrators: how fast customers are helped, where the backlog grows."""
import streamlit as st

from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session

with db_session() as session:
    user = require_user(session)

st.title("Analytics")
