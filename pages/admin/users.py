"""Administrators: create staff accounts, find users, change their role, (de)activate them, mail
someone a link to choose a new password."""
import pandas as pd
import streamlit as st

from helpdesk.accounts.account_links import send_password_reset
from helpdesk.accounts.users import NewAccount, create_user, list_users, set_user_active, set_user_role
from helpdesk.core.errors import PermissionDenied, ValidationError
from helpdesk.enums import STAFF_ROLES, Role
from helpdesk.notifications.smtp_settings import mail_configured
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.forms import apply_reset, field_error, request_reset
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.paging import page_offset, page_picker
from helpdesk.ui.plain_text import plain

PAGE_SIZE = 50

with db_session() as session:
    actor = require_admin(session, to="manage users")

st.title("Users")

show_notice("admin_users_notice")

with st.expander("Create a staff account", expanded=bool(st.session_state.get("new_user_errors"))):
    errors = st.session_state.get("new_user_errors")
    apply_reset("new_user", {"new_user_name": "", "new_user_email": "", "new_user_password": "",
                             "new_user_password_repeat": ""})
    with st.form("new_user_form", enter_to_submit=False):
        role = st.radio("Role", options=STAFF_ROLES, format_func=lambda r: r.label, horizontal=True,
                        key="new_user_role",
                        help="Managers work tickets like agents and also see analytics and the audit log; "
                             "only administrators change users, settings and SLA targets.")
        name = st.text_input("Name", key="new_user_name", max_chars=120)
        field_error(errors, "name")
        email = st.text_input("E-mail", key="new_user_email", max_chars=254)
        field_error(errors, "email")
        password = st.text_input("Initial password", type="password", key="new_user_password",
                                 help="Give it to the person privately.")
        field_error(errors, "password")
        password_repeat = st.text_input("Initial password again", type="password", key="new_user_password_repeat")
        field_error(errors, "password_repeat")
        created = st.form_submit_button("Create account", type="primary", key="new_user_submit")
    if created:
        try:
            with db_session() as session:
                new_user = create_user(session=session, actor=actor, role=role,
                                       data=NewAccount(name, email, password, password_repeat))
                summary = f"Created {new_user.role.value} account for {new_user.email}."
        except ValidationError as exc:
            st.session_state["new_user_errors"] = exc.field_errors
        else:
            st.session_state.pop("new_user_errors", None)
            request_reset("new_user")
            leave_notice("admin_users_notice", summary)
        st.rerun()

role_col, search_col = st.columns([1, 2])
role_filter = role_col.selectbox("Role", options=[None, *Role], key="users_role",
                                 format_func=lambda r: "All roles" if r is None else r.label)
search = search_col.text_input("Search", key="users_search", placeholder="Name or e-mail")

with db_session() as session:
    offset = page_offset(key="users_page", page_size=PAGE_SIZE)
    users, total = list_users(session=session, actor=actor, role=role_filter, search=search,
                              limit=PAGE_SIZE, offset=offset)
    rows = [{"id": u.id, "Name": u.name, "E-mail": u.email, "Role": u.role.label, "Active": u.is_active,
             "Created": when(u.created_at), "Last sign-in": when(u.last_login_at)} for u in users]
    roles = {u.id: u.role for u in users}

page_picker(total=total, page_size=PAGE_SIZE, key="users_page")
st.caption(f"{total:,} account{'s' if total != 1 else ''}")
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_order=[c for c in rows[0] if c != "id"],
                 key="users_table", width="stretch")
    by_id = {r["id"]: r for r in rows}
    picked = st.selectbox("Account", options=list(by_id), key="users_pick",
                          format_func=lambda i: f"{by_id[i]['Name']} <{by_id[i]['E-mail']}>")
    role_errors = st.session_state.get("users_role_errors")
    if role_errors and role_errors.get("user") != picked:
        role_errors = None
    role_col, change_col, toggle_col, reset_col = st.columns([2, 1, 1, 1.4], vertical_alignment="bottom")
    if st.session_state.get("users_new_role_for") != picked:
        # The role box starts at the picked account's role, and follows the pick.
        st.session_state["users_new_role"] = roles[picked]
        st.session_state["users_new_role_for"] = picked
    new_role = role_col.selectbox("Role", options=list(Role), format_func=lambda r: r.label, key="users_new_role")
    if role_errors:
        role_col.error(plain(role_errors["role"]), icon=":material/error:")
    if change_col.button("Change role", key="users_change_role", disabled=new_role == roles[picked]):
        try:
            with db_session() as session:
                changed = set_user_role(session=session, actor=actor, user_id=picked, role=new_role)
                summary = f"{changed.email} is now {changed.role.label.lower()}."
        except ValidationError as exc:
            st.session_state["users_role_errors"] = {"user": picked,
                                                     "role": exc.field_errors.get("role", str(exc))}
        else:
            st.session_state.pop("users_role_errors", None)
            leave_notice("admin_users_notice", summary)
        st.rerun()
    active = by_id[picked]["Active"]
    if toggle_col.button("Deactivate" if active else "Activate", key="users_toggle"):
        try:
            with db_session() as session:
                set_user_active(session=session, actor=actor, user_id=picked, active=not active)
        except (ValidationError, PermissionDenied) as exc:
            st.error(plain(str(exc)))
        else:
            leave_notice("admin_users_notice",
                         f"{by_id[picked]['E-mail']} is now {'inactive' if active else 'active'}.")
            st.rerun()
    if reset_col.button("Send password reset link", key="users_send_reset", disabled=not active,
                        help="Mails the person a link to choose a new password themselves (30 minutes, "
                             "single use). You never see the password or the link."):
        try:
            with db_session() as session:
                reset_for = send_password_reset(session=session, actor=actor, user_id=picked).email
        except (ValidationError, PermissionDenied) as exc:
            st.error(plain(str(exc)))
        else:
            leave_notice("admin_users_notice",
                         f"A link to choose a new password was sent to {reset_for}." if mail_configured() else
                         f"A link to choose a new password is queued for {reset_for}. Mail is not configured "
                         "yet: it goes out once it is (see Mail).")
            st.rerun()
