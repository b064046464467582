"""Administrators: replies by e-mail. Whether the mailbox is read, and the mails the reader kept
for a person to decide on (a stranger answering someone's ticket, an unknown sender while new
tickets from strangers are off, a mail a service refused): open a ticket from one, or discard it."""
import streamlit as st

from helpdesk.core.errors import ServiceError
from helpdesk.inbound_mail.held import discard_held, held_count, list_held_mails, open_ticket_from_held
from helpdesk.inbound_mail.imap_settings import ImapConfigError, imap_settings
from helpdesk.ui.auth import require_admin
from helpdesk.ui.engine import db_session
from helpdesk.ui.errors import refusal_text
from helpdesk.ui.format import when
from helpdesk.ui.mail_reader import mail_reader
from helpdesk.ui.notices import leave_notice, show_notice
from helpdesk.ui.plain_text import plain

PAGE_SIZE = 25
HOW_TO_CONFIGURE = """[imap]
host = "imap.example.com"
port = 993
security = "ssl"                  # ssl | starttls | none
user = "support@example.com"
password = "the mailbox password"
folder = "INBOX"
notes_address = "notes@example.com"   # staff mail sent here becomes an internal note
unknown_senders = "sign_up"       # sign_up | open | hold
"""

with db_session() as session:
    actor = require_admin(session, to="see the mail received")
    waiting = held_count(session=session, actor=actor)
    held = list_held_mails(session=session, actor=actor, limit=PAGE_SIZE)

st.title("Mail received")
show_notice("received_mail_notice")
if error := st.session_state.pop("received_mail_error", None):
    st.error(plain(error), icon=":material/error:")

try:
    settings = imap_settings()
    problem = None
except ImapConfigError as exc:
    settings, problem = None, str(exc)
if problem:
    st.error(plain(f"The [imap] settings need fixing: {problem}"), icon=":material/error:")
elif settings is None:
    st.info("Replies by e-mail are off: no `[imap]` host is set.", icon=":material/mail_lock:")
    with st.expander("How to read replies by e-mail", icon=":material/help:"):
        st.write("Add an `[imap]` section to `.streamlit/secrets.toml` (or `HELPDESK_IMAP_*` environment "
                 "variables), then run `python -m helpdesk fetch-mail --loop` on the server:")
        st.code(HOW_TO_CONFIGURE, language="toml")
else:
    st.success(plain(f"Reading {settings.describe()}."), icon=":material/mark_email_unread:")
    reader = mail_reader()
    st.caption("This app reads the mailbox in the background." if reader is not None else
               "The app does not read the mailbox itself: `python -m helpdesk fetch-mail --loop` does, on the server.")

st.markdown("#### Waiting for an administrator")
if not held:
    st.info("No mail is waiting.", icon=":material/inbox:")
else:
    st.caption(f"{waiting:,} mail{'s' if waiting != 1 else ''} waiting, oldest first"
               + (f" (the first {PAGE_SIZE} shown)" if waiting > PAGE_SIZE else ""))


def _settle(action, mail_id: int, done: str) -> None:
    try:
        with db_session() as session:
            result = action(session=session, actor=actor, mail_id=mail_id)
    except ServiceError as exc:
        st.session_state["received_mail_error"] = refusal_text(exc)
    else:
        leave_notice("received_mail_notice", done.format(reference=getattr(result, "reference", "")))
    st.rerun()


for mail in held:
    with st.container(border=True, key=f"held_mail_{mail.id}"):
        st.markdown(f"**{plain(mail.subject or '(no subject)')}**")
        st.caption(plain(f"From {mail.from_address or 'an unknown sender'}, received {when(mail.received_at)}"))
        st.warning(plain(mail.reason), icon=":material/front_hand:")
        st.text(mail.text or "(no text)")  # as written: st.text renders nothing
        if mail.files:
            st.caption(plain("Files: " + ", ".join(mail.files)))
        with st.container(horizontal=True, gap="small"):
            if st.button("Open a ticket for the sender", key=f"held_open_{mail.id}", icon=":material/add_task:"):
                _settle(open_ticket_from_held, mail.id, "Ticket {reference} opened from the mail.")
            if st.button("Discard", key=f"held_discard_{mail.id}", icon=":material/delete:"):
                _settle(discard_held, mail.id, "The mail was discarded.")
