"""The app's optional background mail sender: started once per process, off the request path.

`start_background_sender` decides whether it is wanted (mail configured, not switched off with
HELPDESK_MAIL_BACKGROUND=0 or `[smtp] background_sender = false`) and does no SMTP work itself;
the thread it starts does all the sending. The cache keeps one answer per process; an empty
answer (mail not configured yet) or a dead thread is looked at again on the next page run, so
configuring mail later needs no restart."""
from __future__ import annotations

from functools import partial

import streamlit as st

from helpdesk.inbound_mail.outgoing import reply_to_for
from helpdesk.notifications.background import BackgroundSender, start_background_sender
from helpdesk.ui.engine import get_engine


@st.cache_resource(show_spinner=False, validate=lambda sender: sender is not None and sender.is_alive())
def mail_sender() -> BackgroundSender | None:
    """The running sender thread, or None when mail is not configured or it is switched off."""
    engine = get_engine()
    return start_background_sender(engine, reply_to_source=partial(reply_to_for, engine))
