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
    """A mail -> `support+t42.m7.<signature>@example.com` (its ticket and its own outbox row, so
    the address also proves who received it), or None (no Reply-To) when replies by e-mail are
    off or no reply address is set. Read once per sending pass."""
    try:
        settings = imap_settings()
    except ImapConfigError:
        return None
    if settings is None or not settings.reply_address:
        return None
    with session_scope(engine) as session:
        secret = server_secret(session)
    base = settings.reply_address
    return lambda mail: reply_address(secret, base, mail.ticket_id, mail.id) if mail.ticket_id is not None else None
