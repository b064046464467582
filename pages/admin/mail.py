"""Administrators: is mail configured, the outbox (pending, sent, failed), retrying failed mail
and sending a test mail. The page only writes outbox rows; a sender delivers them later."""
import pandas as pd
import streamlit as st

from helpdesk.access import is_plausible_id
from helpdesk.core.errors import NotFound, ValidationError
from helpdesk.enums import OutboxEvent, OutboxStatus
from helpdesk.models import format_reference, parse_reference
from helpdesk.notifications.outbox_admin import (enqueue_test_mail, get_outbox_message, list_outbox, mail_status,
                                                 readable_text, retry_all_failed, retry_failed)
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.format import when
from helpdesk.ui.forms import apply_reset, field_error, request_reset
from helpdesk.ui.mail_worker import mail_sender
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.paging import page_offset, page_picker

PAGE_SIZE = 25
STATUS_ICONS = {OutboxStatus.PENDING: ":material/schedule:", OutboxStatus.SENDING: ":material/send:",
                OutboxStatus.SENT: ":material/mark_email_read:", OutboxStatus.FAILED: ":material/error:"}
HOW_TO_CONFIGURE = """[smtp]
host = "smtp.example.com"
port = 587
security = "starttls"        # starttls | ssl | none
user = "helpdesk@example.com"
password = "the mailbox password"
from = "Customer Care <helpdesk@example.com>"
"""


def event_name(event: str) -> str:
    try:
        return OutboxEvent(event).label
    except ValueError:  # a row written by a newer or older version
        return event.replace("_", " ").capitalize()


with db_session() as session:
    actor = require_admin(session, to="see the mail outbox")
    status = mail_status(actor=actor)

st.title("Mail")
show_notice("mail_notice")

if status.configured:
    st.success(status.summary, icon=":material/mark_email_read:")
    sender = mail_sender()
    if sender is not None:
        st.caption(f"This app sends queued mail in the background about every {sender.interval:g} seconds.")
    else:
        st.caption("The app's own background sender is switched off: run `python -m helpdesk notify --loop` "
                   "on the server to deliver queued mail.")
else:
    st.warning(status.summary, icon=":material/mail_lock:")
    with st.expander("How to configure mail", expanded=True, icon=":material/help:"):
        st.write("Add an `[smtp]` section to `.streamlit/secrets.toml` (or set the same values as environment "
                 "variables `HELPDESK_SMTP_HOST`, `HELPDESK_SMTP_PORT`, `HELPDESK_SMTP_SECURITY`, "
                 "`HELPDESK_SMTP_USER`, `HELPDESK_SMTP_PASSWORD`, `HELPDESK_SMTP_FROM`), then reload this page:")
        # No syntax colours (Streamlit's token colours fall below 4.5:1 on its code background) and
        # wrapped lines (a block that scrolls sideways on a phone can't be scrolled from the keyboard).
        st.code(HOW_TO_CONFIGURE, language=None, wrap_lines=True)
        st.write("Mail queued until then is sent once mail works; nothing is lost. Send a test mail below to check.")

# --- the outbox ---------------------------------------------------------------------------
st.markdown("#### Outbox")
counts_row = st.container()  # the whole outbox, above the filters that only narrow the list below
filter_status_col, filter_recipient_col, filter_ticket_col = st.columns([1, 2, 1])
status_filter = filter_status_col.selectbox(
    "Status", options=[None, OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.FAILED],
    format_func=lambda s: "All" if s is None else s.value.capitalize(), key="outbox_status")
recipient_filter = filter_recipient_col.text_input("Recipient", key="outbox_recipient", placeholder="E-mail contains")
ticket_text = filter_ticket_col.text_input("Ticket", key="outbox_ticket", placeholder="CCR-000042")
ticket_id = parse_reference(ticket_text) if ticket_text.strip() else None
if ticket_text.strip() and ticket_id is None:
    filter_ticket_col.error("Enter a reference like CCR-000042.", icon=":material/error:")

with db_session() as session:
    offset = page_offset(key="outbox_page", page_size=PAGE_SIZE)
    outbox = list_outbox(session=session, actor=actor, status=status_filter, recipient=recipient_filter,
                         # An id no ticket can have matches nothing (instead of an integer overflow).
                         ticket_id=(ticket_id if is_plausible_id(ticket_id) else 0) if ticket_id is not None else None,
                         limit=PAGE_SIZE, offset=offset)
    rows = [{"id": m.id, "Queued": when(m.created_at), "Status": m.status.value, "To": m.recipient_email,
             "Subject": m.subject, "Kind": event_name(m.event),
             "Ticket": format_reference(m.ticket_id) if m.ticket_id else "—", "Attempts": m.attempts,
             "Next try": when(m.next_attempt_at) if m.status == OutboxStatus.PENDING else "—",
             "Sent": when(m.sent_at), "Last error": m.last_error or ""} for m in outbox.rows]

counts = outbox.counts
count_cols = counts_row.columns(4)
for column, outbox_status in zip(count_cols, [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT,
                                              OutboxStatus.FAILED]):
    column.metric(outbox_status.value.capitalize(), f"{counts[outbox_status]:,}", border=True)

if counts[OutboxStatus.FAILED]:
    failed = counts[OutboxStatus.FAILED]
    counts_row.caption("Failed mail gave up after its last attempt. Fix the cause (often the settings above), then:")
    if counts_row.button(f"Retry all {failed:,} failed mail{'s' if failed != 1 else ''}", icon=":material/replay:",
                 key="outbox_retry_all"):
        with db_session() as session:
            retried = retry_all_failed(session=session, actor=actor)
        leave_notice("mail_notice", f"{retried:,} failed mail{'s are' if retried != 1 else ' is'} queued again.")
        st.rerun()

page_picker(total=outbox.total, page_size=PAGE_SIZE, key="outbox_page")
st.caption(f"{outbox.total:,} mail{'s' if outbox.total != 1 else ''}" +
           (" match the filters" if status_filter or recipient_filter.strip() or ticket_text.strip() else "") +
           ", newest first")
if not rows:
    st.info("The outbox is empty: mail appears here when tickets are raised, answered or change status."
            if not outbox.counts or not sum(outbox.counts.values()) else "No mail matches these filters.")
else:
    # What an admin scans for first (status, who, what, why it failed) before the bookkeeping columns.
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="outbox_table", width="stretch",
                 column_order=["Status", "To", "Subject", "Last error", "Attempts", "Queued", "Sent", "Next try",
                               "Ticket", "Kind"],
                 column_config={"Subject": st.column_config.TextColumn(width="large"),
                                "Last error": st.column_config.TextColumn(width="medium")})
    by_id = {r["id"]: r for r in rows}
    # Failed mail first: that is usually what an admin opens the details for.
    choices = sorted(by_id, key=lambda i: (by_id[i]["Status"] != OutboxStatus.FAILED, -i))
    picked = st.selectbox("Show the details of", options=choices, key="outbox_pick",
                          format_func=lambda i: f"#{i} · {by_id[i]['Status']} · {by_id[i]['To']} · "
                                                f"{by_id[i]['Subject']}")
    with db_session() as session:
        try:
            message = get_outbox_message(session=session, actor=actor, message_id=picked)
        except NotFound:
            st.rerun()  # gone since the list was read: show the list again
        detail = {"status": message.status, "error": message.last_error, "text": readable_text(message),
                  "attempts": message.attempts}
    with st.container(border=True, key="outbox_detail"):
        st.markdown(f"**{detail['status'].value.capitalize()}** after {detail['attempts']} attempt"
                    f"{'s' if detail['attempts'] != 1 else ''}")
        if detail["error"]:
            st.caption("Last error from the mail server")
            st.text(detail["error"])
        if detail["status"] == OutboxStatus.FAILED:
            retry_errors = st.session_state.get("outbox_retry_errors")
            if st.button("Retry this mail", icon=":material/replay:", key="outbox_retry"):
                try:
                    with db_session() as session:
                        retry_failed(session=session, actor=actor, message_id=picked)
                except (ValidationError, NotFound) as exc:
                    st.session_state["outbox_retry_errors"] = getattr(exc, "field_errors", {"status": str(exc)})
                else:
                    st.session_state.pop("outbox_retry_errors", None)
                    leave_notice("mail_notice", f"Mail #{picked} is queued again.")
                st.rerun()
            field_error(retry_errors, "status")
        with st.expander("Text of the mail"):
            st.text(detail["text"])

# --- a test mail --------------------------------------------------------------------------
st.markdown("#### Send a test mail")
show_notice("test_mail_notice")  # here, beside the button that queued it, not at the top of the page
test_errors = st.session_state.get("test_mail_errors")
apply_reset("test_mail", {"test_mail_to": ""})
with st.form("test_mail_form", enter_to_submit=False):
    to_email = st.text_input("Send to", key="test_mail_to", max_chars=254, placeholder=actor.email,
                             help="Leave empty to send it to yourself.")
    field_error(test_errors, "to_email")
    send_test = st.form_submit_button("Queue test mail", icon=":material/outgoing_mail:", key="test_mail_submit")
if send_test:
    try:
        with db_session() as session:
            queued_to = enqueue_test_mail(session=session, actor=actor, to_email=to_email or None).recipient_email
    except ValidationError as exc:
        st.session_state["test_mail_errors"] = exc.field_errors
    else:
        st.session_state.pop("test_mail_errors", None)
        request_reset("test_mail")
        leave_notice("test_mail_notice", f"Test mail to {queued_to} is queued; it appears in the outbox above"
                     + (" and is sent shortly." if status.configured else " and is sent once mail is configured."))
    st.rerun()
