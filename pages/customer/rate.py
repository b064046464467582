"""The mailed rating link (/rate?token=...): rate the help on a resolved ticket without signing in.

The signed token in the address is the permission (helpdesk.tickets.satisfaction): it names one
rating request, and says why when it can't be used (changed, expired, the ticket reopened or
closed). Reachable signed out and signed in whatever the role (streamlit_app.py); someone signed
in as staff is told that agents can't rate."""
import streamlit as st

from helpdesk.core.errors import ValidationError
from helpdesk.tickets.satisfaction import STAFF_CANNOT_RATE, rate_by_token, rating_for_link
from helpdesk.ui.auth import current_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.notices import show_notice
from helpdesk.ui.plain_text import plain
from helpdesk.ui.satisfaction import rating_form, save_answer

token = st.query_params.get("token", "")

st.title("How did we do?")
with db_session() as session:
    viewer = current_user(session)
    try:
        asked, refused = rating_for_link(session=session, token=token), None
    except ValidationError as exc:
        asked, refused = None, exc.field_errors.get("token", str(exc))

show_notice("rate_notice")
if asked is None:
    st.session_state.pop("rate_errors", None)
    st.warning(plain(refused), icon=":material/link_off:")
    st.stop()

st.subheader(asked.reference, anchor=False)
st.text(asked.ticket_subject)  # the customer's words: text, never markup
if viewer is not None and viewer.id == asked.customer_id:
    st.page_link("pages/customer/ticket.py", label=f"Open {asked.reference}", icon=":material/confirmation_number:",
                 query_params={"ticket": str(asked.ticket_id)})
if viewer is not None and viewer.is_staff:
    st.info(STAFF_CANNOT_RATE, icon=":material/info:")
    st.stop()

st.caption("Rate the help you got. You can change your rating here until the ticket is closed.")
errors = st.session_state.get("rate_errors")
answer = rating_form("rate", asked, errors)
if answer is not None:
    def save() -> None:
        with db_session() as session:
            rate_by_token(session=session, token=token, score=answer.score, comment=answer.comment,
                          reasons=answer.reasons, actor=current_user(session))

    save_answer("rate", save)
