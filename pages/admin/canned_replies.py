"""Administrators: canned replies agents insert into a ticket reply, with placeholders filled in."""
import streamlit as st

from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.tickets.canned_replies import (BODY_MAX, PLACEHOLDERS, TITLE_MAX, create_canned_reply,
                                             delete_canned_reply, list_canned_replies, render_template,
                                             update_canned_reply)
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import apply_reset, field_error, request_reset
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.paging import page_offset, page_picker
from helpdesk.ui.plain_text import plain

PAGE_SIZE = 25
# What a preview fills in, so an admin sees the reply the way a customer would read it.
SAMPLE_VALUES = {"customer_name": "Carla Customer", "customer_email": "carla@example.com",
                 "agent_name": "Alan Agent", "reference": "CCR-000042", "subject": "Printer is on fire"}

with db_session() as session:
    actor = require_admin(session, to="manage canned replies")
    replies = [(r.id, r.title, r.body) for r in list_canned_replies(session=session, actor=actor)]

st.title("Canned replies")
st.write("Agents insert these into a reply on the ticket page and can edit the text before sending it.")
show_notice("canned_notice")

with st.expander("Placeholders you can use", icon=":material/data_object:"):
    st.dataframe([{"Write": "{" + name + "}", "Becomes": meaning} for name, meaning in PLACEHOLDERS.items()],
                 hide_index=True, key="canned_placeholders", width="stretch")
    st.caption("Write {{ and }} for a literal brace.")

errors = st.session_state.get("new_canned_errors")
apply_reset("new_canned", {"new_canned_title": "", "new_canned_body": ""})
with st.form("new_canned_form", enter_to_submit=False):
    st.markdown("**New canned reply**")
    title = st.text_input("Title", key="new_canned_title", max_chars=TITLE_MAX,
                          placeholder="e.g. Asking for a screenshot")
    field_error(errors, "title")
    body = st.text_area("Reply", key="new_canned_body", height=160, max_chars=BODY_MAX,
                        placeholder="Hello {customer_name},\n\nCould you send us a screenshot of the message?")
    field_error(errors, "body")
    added = st.form_submit_button("Add canned reply", type="primary", key="new_canned_submit")
if added:
    try:
        with db_session() as session:
            created = create_canned_reply(session=session, actor=actor, title=title, body=body).title
    except ValidationError as exc:
        st.session_state["new_canned_errors"] = exc.field_errors
    else:
        st.session_state.pop("new_canned_errors", None)
        request_reset("new_canned")
        leave_notice("canned_notice", f"Added “{created}”.")
    st.rerun()

if not replies:
    st.info("No canned replies yet: add the answers your agents write most often above.")
    st.stop()

st.markdown(f"#### Existing canned replies ({len(replies):,})")
edit_errors = st.session_state.get("edit_canned_errors", {})
offset = page_offset(key="canned_page", page_size=PAGE_SIZE)
for reply_id, reply_title, reply_body in replies[offset:offset + PAGE_SIZE]:
    with st.expander(plain(reply_title)):
        with st.form(f"edit_canned_{reply_id}", enter_to_submit=False):
            new_title = st.text_input("Title", value=reply_title, key=f"canned_title_{reply_id}", max_chars=TITLE_MAX)
            field_error(edit_errors.get(reply_id), "title")
            new_body = st.text_area("Reply", value=reply_body, key=f"canned_body_{reply_id}", height=160,
                                    max_chars=BODY_MAX)
            field_error(edit_errors.get(reply_id), "body")
            saved = st.form_submit_button("Save", key=f"canned_save_{reply_id}")
        st.caption("Preview with a sample ticket")
        st.text(render_template(reply_body, SAMPLE_VALUES))
        if st.session_state.get("canned_confirm_delete") == reply_id:
            st.warning(plain(f"Delete “{reply_title}”? Agents can no longer insert it."), icon=":material/warning:")
            yes_col, no_col = st.columns(2)
            if yes_col.button("Yes, delete", type="primary", key=f"canned_delete_yes_{reply_id}"):
                try:
                    with db_session() as session:
                        delete_canned_reply(session=session, actor=actor, reply_id=reply_id)
                except NotFound:
                    pass  # someone else deleted it already: the list below no longer shows it either way
                st.session_state.pop("canned_confirm_delete", None)
                leave_notice("canned_notice", f"Deleted “{reply_title}”.")
                st.rerun()
            if no_col.button("Keep it", key=f"canned_delete_no_{reply_id}"):
                st.session_state.pop("canned_confirm_delete", None)
                st.rerun()
        elif st.button("Delete", icon=":material/delete:", key=f"canned_delete_{reply_id}"):
            st.session_state["canned_confirm_delete"] = reply_id
            st.rerun()
    if saved:
        try:
            with db_session() as session:
                update_canned_reply(session=session, actor=actor, reply_id=reply_id, title=new_title, body=new_body)
        except ValidationError as exc:
            edit_errors[reply_id] = exc.field_errors
            st.session_state["edit_canned_errors"] = edit_errors
        except NotFound as exc:
            edit_errors[reply_id] = {"title": str(exc)}
            st.session_state["edit_canned_errors"] = edit_errors
        else:
            edit_errors.pop(reply_id, None)
            leave_notice("canned_notice", f"Saved “{new_title.strip()}”.")
        st.rerun()
page_picker(total=len(replies), page_size=PAGE_SIZE, key="canned_page")
