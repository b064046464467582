"""What the customer's and the agent's ticket pages share: loading a ticket or saying it isn't
there, and the conversation thread (user text always as text, never as markup)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from helpdesk.core.errors import NotFound
from helpdesk.models import Attachment, Ticket, TicketMessage
from helpdesk.ui.downloads import attachment_download_button
from helpdesk.ui.format import when
from helpdesk.ui.plain_text import plain

T = TypeVar("T")


def ticket_or_not_found(load: Callable[[int], T], ticket_id: int | None, *, warning: str, back_to: str,
                        back_label: str, back_icon: str) -> T:
    """`load(ticket_id)`; for no id, or a ticket that doesn't exist or this person may not see
    (the same answer, so ids can't be probed), a "Ticket not found" page with a way back, and stop."""
    try:
        if ticket_id is None:
            raise NotFound("No such ticket.")
        return load(ticket_id)
    except NotFound:
        st.title("Ticket not found")
        st.warning(plain(warning))
        st.page_link(back_to, label=back_label, icon=back_icon)
        st.stop()


def _said(caption: str, name: str | None, body: str, attachments: list[Attachment], viewer_id: int, key: str) -> None:
    """One message's inside: who and when, the author's name (staff view), the text, its files."""
    st.caption(plain(caption))  # holds the author's name
    if name is not None:
        st.text(name)
    st.text(body)
    for attachment in attachments:
        attachment_download_button(attachment, viewer_id, key=f"{key}_{attachment.id}")


def show_thread(ticket: Ticket, thread: list[TicketMessage], ticket_files: list[Attachment], *, viewer_id: int,
                for_staff: bool) -> None:
    """The ticket's description with the files it was raised with, then every message oldest
    first. Staff see who wrote each message as a role (customer / public reply) and the internal
    notes, marked; customers see names (and are never given notes by the services)."""
    key = "agent_download" if for_staff else "download"

    def said(role: str, author: str, at, body: str, attachments: list[Attachment]) -> None:
        if for_staff:
            _said(f"{role} · {when(at)}", author, body, attachments, viewer_id, key)
        else:
            _said(f"{author} · {when(at)}", None, body, attachments, viewer_id, key)

    with st.chat_message("user", avatar=":material/person:"):
        said("Customer", ticket.customer.name, ticket.created_at, ticket.description, ticket_files)
    for message in thread:
        if not message.is_public:
            with st.chat_message("assistant", avatar=":material/lock:"):
                with st.container(border=True, key=f"agent_note_{message.id}"):
                    st.badge("Internal note — not visible to the customer", icon=":material/lock:", color="orange")
                    _said(f"Staff only · {when(message.created_at)}", message.author.name, message.body,
                          message.attachments, viewer_id, key)
            continue
        from_customer = message.author_id == ticket.customer_id
        role, avatar = ("user", ":material/person:") if from_customer else ("assistant", ":material/support_agent:")
        with st.chat_message(role, avatar=avatar):
            said("Customer" if from_customer else "Public reply", message.author.name, message.created_at,
                 message.body, message.attachments)
