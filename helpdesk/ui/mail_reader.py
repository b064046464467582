"""The app's optional background mail reader (replies by e-mail): started once per process,
off unless `[imap] background_reader = true` or HELPDESK_IMAP_BACKGROUND=1 (and IMAP is
configured). Like the sender, an empty answer or a dead thread is looked at again next run."""
from __future__ import annotations

import streamlit as st

from helpdesk.inbound_mail.background import BackgroundReader, start_background_reader
from helpdesk.ui.engine import get_engine


@st.cache_resource(show_spinner=False, validate=lambda reader: reader is not None and reader.is_alive())
def mail_reader() -> BackgroundReader | None:
    """The running reader thread, or None when it is off or IMAP is not configured."""
    return start_background_reader(get_engine())
