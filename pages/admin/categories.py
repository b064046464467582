"""Administrators: the categories customers choose from when raising a ticket."""
import streamlit as st

from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.tickets.categories import create_category, list_categories, update_category
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import apply_reset, field_error, request_reset
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.plain_text import plain

with db_session() as session:
    actor = require_admin(session, to="manage categories")
    categories = list_categories(session=session, actor=actor, include_inactive=True)

st.title("Categories")
st.write("Customers pick one of the active categories when they raise a ticket.")
show_notice("categories_notice")

errors = st.session_state.get("new_category_errors")
apply_reset("new_category", {"new_category_name": "", "new_category_description": ""})
with st.form("new_category_form", enter_to_submit=False):
    st.markdown("**New category**")
    name = st.text_input("Name", key="new_category_name", max_chars=80)
    field_error(errors, "name")
    description = st.text_input("Description (optional)", key="new_category_description")
    added = st.form_submit_button("Add category", type="primary", key="new_category_submit")
if added:
    try:
        with db_session() as session:
            created = create_category(session=session, actor=actor, name=name, description=description).name
    except ValidationError as exc:
        st.session_state["new_category_errors"] = exc.field_errors
    else:
        st.session_state.pop("new_category_errors", None)
        request_reset("new_category")
        leave_notice("categories_notice", f"Added “{created}”.")
    st.rerun()

if not categories:
    st.info("No categories yet: add the first one above, e.g. “Billing” or “Technical problem”.")
    st.stop()

st.markdown("#### Existing categories")
edit_errors = st.session_state.get("edit_category_errors", {})
for category in categories:
    label = category.name if category.is_active else f"{category.name} (inactive)"
    with st.expander(plain(label)):
        with st.form(f"edit_category_{category.id}", enter_to_submit=False):
            new_name = st.text_input("Name", value=category.name, key=f"category_name_{category.id}", max_chars=80)
            field_error(edit_errors.get(category.id), "name")
            new_description = st.text_input("Description", value=category.description,
                                            key=f"category_description_{category.id}")
            active = st.checkbox("Active (customers can choose it)", value=category.is_active,
                                 key=f"category_active_{category.id}")
            saved = st.form_submit_button("Save", key=f"category_save_{category.id}")
        if saved:
            try:
                with db_session() as session:
                    update_category(session=session, actor=actor, category_id=category.id, name=new_name,
                                    description=new_description, is_active=active)
            except (ValidationError, NotFound) as exc:
                edit_errors[category.id] = getattr(exc, "field_errors", {"name": str(exc)})
                st.session_state["edit_category_errors"] = edit_errors
            else:
                edit_errors.pop(category.id, None)
                leave_notice("categories_notice", f"Saved “{new_name.strip()}”.")
            st.rerun()
