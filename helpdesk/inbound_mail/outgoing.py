"""What the mail sender asks of the reader's side: the signed Reply-To for a ticket's mails, when
`[imap] reply_address` is set (helpdesk.notifications.sender never imports a domain, so its
callers hand this in)."""
from __future__ import annotations

from sqlalchemy import Engine

from helpdesk.core.db import session_scope
from helpdesk.inbound_mail.imap_settings import ImapConfigError, imap_settings
from helpdesk.inbound_mail.reply_address import reply_address
from helpdesk.notifications.sender import ReplyTo
from helpdesk.settings import server_secret


def reply_to_for(engine: Engine) -> ReplyTo | None:
    """Ticket id -> `support+t42.<signature>@example.com`, or None (no Reply-To) when replies by
    e-mail are off or no reply address is set. Read once per sending pass."""
    try:
        settings = imap_settings()
    except ImapConfigError:
        return None
    if settings is None or not settings.reply_address:
        return None
    with session_scope(engine) as session:
        secret = server_secret(session)
    base = settings.reply_address
    return lambda ticket_id: reply_address(secret, base, ticket_id)
