"""One ticket: details, public conversation with attachments, status history, reply, close, reopen,
and rating the help once it is resolved."""
import streamlit as st

from helpdesk.core.errors import ConflictError, ValidationError
from helpdesk.enums import TicketStatus
from helpdesk.models import parse_reference
from helpdesk.tickets.customer import add_customer_reply, close_ticket, get_ticket_details, reopen_ticket
from helpdesk.tickets.messages import MESSAGE_MAX
from helpdesk.tickets.satisfaction import get_ticket_satisfaction, rate_ticket
from helpdesk.ui.auth import require_user
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import status_text, when
from helpdesk.ui.forms import apply_reset, attachments_input, field_error, form_errors, request_reset, uploads_from
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.thread import show_thread, ticket_or_not_found
from helpdesk.ui.plain_text import plain
from helpdesk.ui.satisfaction import rating_form, save_answer, show_rating

ticket_id = parse_reference(st.query_params.get("ticket", ""))

with db_session() as session:
    user = require_user(session)
    details = ticket_or_not_found(lambda i: get_ticket_details(session=session, actor=user, ticket_id=i), ticket_id,
                                  warning="There is no ticket with this reference in your account.",
                                  back_to="pages/customer/my_tickets.py", back_label="Back to my tickets",
                                  back_icon=":material/list_alt:")
    ticket, messages, ticket_files, history = (details.ticket, details.conversation, details.ticket_files,
                                            details.history)
    csat = get_ticket_satisfaction(session=session, actor=user, ticket_id=ticket.id)

st.page_link("pages/customer/my_tickets.py", label="My tickets", icon=":material/arrow_back:")
st.title(f"{ticket.reference}")
st.subheader(plain(ticket.subject), anchor=False)
facts = {
    "Status": status_text(ticket.status),
    "Priority": ticket.priority.label,
    "Category": ticket.category.name,
    "Agent": ticket.assignee.name if ticket.assignee else "Not assigned yet",
}
for column, (label, value) in zip(st.columns(len(facts)), facts.items()):
    column.caption(label)
    column.text(value)
st.caption(f"Raised {when(ticket.created_at)} · last update {when(ticket.updated_at)}")

show_notice("ticket_view_notice")

conversation_col, history_col = st.columns([2, 1], gap="large")
with conversation_col:
    st.markdown("#### Conversation")
    show_thread(ticket, messages, ticket_files, viewer_id=user.id, for_staff=False)

with history_col:
    st.markdown("#### Status history")
    for event in history:
        label = "Ticket raised" if event.old_value is None else (
            f"{TicketStatus(event.old_value).label} → {TicketStatus(event.new_value).label}")
        who = event.actor.name if event.actor else "System"
        st.markdown(f"**{when(event.created_at)}**  \n{label} · {plain(who)}")

st.divider()
if csat.can_rate:
    with st.container(border=True, key="csat_box"):
        st.markdown("#### How did we do?")
        show_notice("csat_notice")
        st.caption("You can change your rating until the ticket is closed." if csat.current.answered else
                   "Rate the help you got on this ticket. You can change it until the ticket is closed.")
        csat_errors = st.session_state.get("csat_errors")
        answer = rating_form("csat", csat.current, csat_errors)
    if answer is not None:
        def save() -> None:
            with db_session() as session:
                rate_ticket(session=session, actor=user, ticket_id=ticket.id, score=answer.score,
                            comment=answer.comment, reasons=answer.reasons)

        save_answer("csat", save)
elif ticket.status == TicketStatus.CLOSED and csat.answered:
    with st.container(border=True, key="csat_given"):
        st.markdown("#### Your rating")
        show_rating(csat.answered[0])

is_owner = ticket.customer_id == user.id
if ticket.status == TicketStatus.CLOSED:
    st.info("This ticket is closed. If you need more help, raise a new ticket.", icon=":material/lock:")
    st.page_link("pages/customer/submit_ticket.py", label="Submit a new ticket", icon=":material/edit_note:")
elif is_owner:
    errors = st.session_state.get("reply_errors")
    form_errors(errors)
    apply_reset("reply", {"reply_body": ""})
    with st.form("reply_form", enter_to_submit=False):
        st.markdown("#### Reply")
        if ticket.status == TicketStatus.RESOLVED:
            st.caption("Replying reopens this resolved ticket.")
        body = st.text_area("Your message", key="reply_body", height=150, help=f"At most {MESSAGE_MAX:,} characters.")
        field_error(errors, "body")
        files = attachments_input("Attachments (optional)", "reply")
        field_error(errors, "attachments")
        sent = st.form_submit_button("Send reply", type="primary", key="reply_submit")
    if sent:
        try:
            with db_session() as session:
                add_customer_reply(session=session, actor=user, ticket_id=ticket.id, body=body,
                                   attachments=uploads_from(files))
        except ValidationError as exc:
            st.session_state["reply_errors"] = exc.field_errors
        except ConflictError as exc:  # an agent saved at the same moment: the reply stays in the box
            st.session_state["reply_errors"] = {"__all__": str(exc)}
        else:
            st.session_state.pop("reply_errors", None)
            request_reset("reply")
            leave_notice("ticket_view_notice", "Your reply was sent.")
        st.rerun()

    def stop_closing() -> None:
        st.session_state.pop("closing_ticket", None)

    # The question stays open across reruns (a click in it reruns the page) until answered or dismissed.
    @st.dialog("Close this ticket?", on_dismiss=stop_closing)
    def confirm_close() -> None:
        # Closing is final: said before it happens, not after.
        st.write("A closed ticket can't be reopened or replied to. If you need more help with this later, "
                 "you raise a new ticket.")
        confirm_col, cancel_col = st.columns(2)
        if confirm_col.button("Close it for good", key="close_ticket_confirm", type="primary",
                              icon=":material/lock:"):
            stop_closing()
            run_action(close_ticket, "The ticket is closed. Thank you!")
        if cancel_col.button("Keep it open", key="close_ticket_cancel"):
            stop_closing()
            st.rerun()

    def run_action(action, notice: str) -> None:
        try:
            with db_session() as session:
                action(session=session, actor=user, ticket_id=ticket.id, expected_version=ticket.version)
        except (ValidationError, ConflictError) as exc:
            st.error(plain(str(exc)))
        else:
            leave_notice("ticket_view_notice", notice)
            st.rerun()

    with st.container(horizontal=True):
        if ticket.status == TicketStatus.RESOLVED and st.button(
                "Reopen ticket", key="reopen_ticket", icon=":material/undo:",
                help="The problem came back or wasn't solved."):
            run_action(reopen_ticket, "The ticket is open again.")
        if st.button("Close ticket", key="close_ticket", icon=":material/lock:",
                     help="No more help needed. A closed ticket can't be reopened."):
            st.session_state["closing_ticket"] = ticket.id
    if st.session_state.get("closing_ticket") == ticket.id:
        confirm_close()
