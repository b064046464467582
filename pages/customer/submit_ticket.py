"""Raise a ticket: category, priority, subject, description, attachments."""
import uuid

import streamlit as st

from helpdesk.core.config import upload_policy
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Priority
from helpdesk.tickets.categories import list_categories
from helpdesk.tickets.customer import DESCRIPTION_MAX, SUBJECT_MAX, TicketDraft, create_ticket
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import attachments_input, apply_reset, field_error, form_errors, request_reset, uploads_from

EMPTY_FORM = {"submit_category": None, "submit_priority": Priority.NORMAL, "submit_subject": "", "submit_description": ""}

# One key per filled-in form: a double click re-sends the same key and finds the first ticket.
if "submit_token" not in st.session_state:
    st.session_state["submit_token"] = uuid.uuid4().hex

with db_session() as session:
    user = require_user(session)
    categories = {c.id: c.name for c in list_categories(session=session)}

st.title("Submit a ticket")
created = st.session_state.pop("submit_created", None)  # thanked once, not on every later visit
if created:
    st.success(f"Thank you! Your ticket **{created['reference']}** has been received. "
               "We'll keep you posted here and by e-mail.", icon=":material/check_circle:")
    st.page_link("pages/customer/ticket.py", label=f"Open {created['reference']}", icon=":material/confirmation_number:",
                 query_params={"ticket": str(created["id"])})

if not categories:
    st.info("Tickets can't be raised yet: an administrator has not set up any categories.")
    st.stop()

policy = upload_policy()
apply_reset("submit", EMPTY_FORM)
errors = st.session_state.get("submit_errors")
form_errors(errors)
with st.form("submit_form", enter_to_submit=False):
    category_id = st.selectbox("Category", options=list(categories), format_func=categories.get,
                               index=None, placeholder="What is it about?", key="submit_category")
    field_error(errors, "category")
    # The default lives in session state only (with index= too, Streamlit warns on every submit).
    st.session_state.setdefault("submit_priority", Priority.NORMAL)
    priority = st.selectbox("Priority", options=list(Priority), format_func=lambda p: p.label,
                            key="submit_priority",
                            help="Urgent: you can't work at all. High: a serious problem. Normal: most questions.")
    field_error(errors, "priority")
    # No max_chars on what people paste into: the browser would drop an overlong paste silently;
    # the service keeps it and says at the field how much too long it is.
    subject = st.text_input("Subject", key="submit_subject", help=f"At most {SUBJECT_MAX} characters.",
                            placeholder="A short summary, e.g. “Invoice shows the wrong amount”")
    field_error(errors, "subject")
    description = st.text_area("Description", height=220, key="submit_description",
                               help=f"At most {DESCRIPTION_MAX:,} characters.", placeholder="What happened, what you expected, and anything you already tried.")
    field_error(errors, "description")
    files = attachments_input(
        f"Attachments (optional: up to {policy.max_files} files, {policy.max_bytes // (1024 * 1024)} MB each)", "submit")
    field_error(errors, "attachments")
    submitted = st.form_submit_button("Submit ticket", type="primary", key="submit_button")

if submitted:
    draft = TicketDraft(category_id=category_id, priority=priority, subject=subject, description=description,
                        attachments=uploads_from(files), submission_key=st.session_state["submit_token"])
    try:
        with db_session() as session:
            ticket = create_ticket(session=session, actor=user, data=draft)
            result = {"id": ticket.id, "reference": ticket.reference}
    except ValidationError as exc:
        # Everything typed stays in the widgets; only the messages change.
        st.session_state["submit_errors"] = exc.field_errors
    else:
        st.session_state.pop("submit_errors", None)
        st.session_state["submit_created"] = result
        st.session_state["submit_token"] = uuid.uuid4().hex
        request_reset("submit")  # a fresh, empty form for the next ticket
    st.rerun()
