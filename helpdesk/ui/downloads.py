"""A download button for an attachment whose content is read (and access re-checked) only on click."""
from __future__ import annotations

import streamlit as st

from helpdesk.accounts.users import get_active_user
from helpdesk.tickets.attachments import get_attachment
from helpdesk.ui.engine import db_session
from helpdesk.ui.forms import file_size
from helpdesk.ui.plain_text import plain


def attachment_download_button(attachment, user_id: int, key: str) -> None:
    attachment_id = attachment.id

    def content() -> bytes:
        # Checked again at download time, with the user as they are now.
        with db_session() as session:
            actor = get_active_user(session=session, user_id=user_id)
            return get_attachment(session=session, actor=actor, attachment_id=attachment_id).content

    st.download_button(plain(f"{attachment.filename} ({file_size(attachment.size)})"), data=content,
                       file_name=attachment.filename, mime=attachment.content_type, key=key,
                       icon=":material/attach_file:",
                       # Nothing on the page changes: a rerun would only race the download.
                       on_click="ignore")
