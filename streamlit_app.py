"""Customer Care Registry: sign-in and role-based navigation. Nothing else lives here."""
import streamlit as st

from helpdesk.accounts.users import needs_first_admin
from helpdesk.enums import Role
from helpdesk.ui.auth import current_user, sign_out
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import run_page
from helpdesk.ui.mail_worker import mail_sender
from helpdesk.ui.plain_text import plain

st.set_page_config(page_title="Customer Care Registry", page_icon=":material/support_agent:", layout="wide")

with db_session() as session:
    first_run = needs_first_admin(session=session)
    user = current_user(session)
    role, user_name = (user.role, user.name) if user else (None, None)

setup = st.Page("pages/account/setup.py", title="Set up", icon=":material/build:", url_path="setup")
sign_in = st.Page("pages/account/sign_in.py", title="Sign in", icon=":material/login:", url_path="sign_in")
# A mailed /ticket_view?ticket=42 link opened while signed out: sign in first, then the ticket.
sign_in_for_ticket = st.Page("pages/account/sign_in.py", title="Sign in", icon=":material/login:", url_path="ticket_view",
                             visibility="hidden")
sign_up = st.Page("pages/account/sign_up.py", title="Create an account", icon=":material/person_add:", url_path="sign_up")
submit = st.Page("pages/customer/submit_ticket.py", title="Submit a ticket", icon=":material/edit_note:", url_path="submit")
my_tickets = st.Page("pages/customer/my_tickets.py", title="My tickets", icon=":material/list_alt:", url_path="my_tickets")
ticket_view = st.Page("pages/customer/ticket.py", title="Ticket", icon=":material/confirmation_number:", url_path="ticket_view",
                      visibility="hidden")
profile = st.Page("pages/account/profile.py", title="Profile", icon=":material/person:", url_path="profile")
queue = st.Page("pages/agent/queue.py", title="Queue", icon=":material/inbox:", url_path="queue")
# Same address as the customer's ticket page, so a mailed /ticket_view?ticket=42 link opens the right view.
agent_ticket = st.Page("pages/agent/ticket.py", title="Ticket", icon=":material/confirmation_number:",
                       url_path="ticket_view", visibility="hidden")
admin_users = st.Page("pages/admin/users.py", title="Users", icon=":material/group:", url_path="admin_users")
admin_categories = st.Page("pages/admin/categories.py", title="Categories", icon=":material/category:",
                           url_path="admin_categories")
admin_skills = st.Page("pages/admin/skills.py", title="Agent skills", icon=":material/badge:", url_path="admin_skills")
admin_canned = st.Page("pages/admin/canned_replies.py", title="Canned replies", icon=":material/quickreply:",
                       url_path="admin_canned_replies")
admin_sla = st.Page("pages/admin/sla.py", title="SLA targets", icon=":material/timer:", url_path="admin_sla")
admin_settings = st.Page("pages/admin/settings.py", title="Settings", icon=":material/settings:",
                         url_path="admin_settings")
admin_mail = st.Page("pages/admin/mail.py", title="Mail", icon=":material/mail:", url_path="admin_mail")

# A setup form sent after someone else finished setup still goes to the setup page, which says so.
if first_run or st.session_state.get("setup_submit"):
    pages = [setup]
elif role is None:
    pages = [sign_in, sign_up, sign_in_for_ticket]
elif role == Role.CUSTOMER:
    pages = [submit, my_tickets, ticket_view, profile]
elif role == Role.AGENT:
    pages = [queue, agent_ticket, profile]
else:
    pages = {"Workspace": [queue, agent_ticket, profile],
             "Administration": [admin_users, admin_categories, admin_skills, admin_canned, admin_sla, admin_settings,
                                admin_mail]}

mail_sender()  # the optional background sender thread, started once per process when mail is configured

navigation = st.navigation(pages)

# Signed in from a mailed ticket link: continue to that ticket.
pending_ticket = st.session_state.pop("open_ticket_after_sign_in", None)
if pending_ticket and role is not None:
    st.switch_page(ticket_view if role == Role.CUSTOMER else agent_ticket, query_params={"ticket": pending_ticket})

if role is not None:
    with st.sidebar:
        st.caption(f"Signed in as **{plain(user_name)}** ({role.value})")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()

run_page(navigation)  # errors: the service's words, or a reference; never a traceback
