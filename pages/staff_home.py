"""Staff landing page. Honest about what exists: no fake data."""
import streamlit as st

from helpdesk.enums import Role
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session

with db_session() as session:
    user = require_user(session)
    name, is_admin = user.name, user.role == Role.ADMIN

st.title(f"Welcome, {name}")
st.write("The agent workspace is being built. Coming next:")
st.markdown(
    "- **Queue**: my open tickets, unassigned, breaching soon, with filters and bulk actions\n"
    "- **Ticket handling**: public replies, internal notes, canned replies, status, priority and assignment\n"
    "- **SLA targets** per priority, with breach warnings\n"
    "- **E-mail notifications** to customers and agents"
)
if is_admin:
    st.write("As an administrator you can already create agent and administrator accounts:")
    st.page_link("pages/admin_users.py", label="Manage users", icon=":material/group:")
