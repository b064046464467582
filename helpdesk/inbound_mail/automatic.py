"""Mail that no person wrote: auto-replies ("I am out of the office"), bulk and list mail,
bounces, and our own notifications coming back. None of it ever becomes a message, so two
helpdesks (or a helpdesk and a vacation responder) can never answer each other in a loop.
Every mail the helpdesk sends carries `Auto-Submitted: auto-generated` (RFC 3834) for the
same reason, on the other side."""
from __future__ import annotations

from email.message import Message
from email.utils import parseaddr

BULK_PRECEDENCE = ("bulk", "junk", "list", "auto_reply")
# Headers whose mere presence says "a program sent this" (Microsoft's, mailing lists', others').
MARKER_HEADERS = ("List-Id", "List-Unsubscribe", "X-Auto-Response-Suppress", "X-Autoreply", "X-Autorespond")
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")


def automatic_reason(mail: Message, *, own_addresses: tuple[str, ...] = ()) -> str | None:
    """Why this mail is not a person's reply, or None when it may be one."""
    auto_submitted = (mail.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted[:60]}"
    precedence = (mail.get("Precedence") or "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in MARKER_HEADERS:
        if mail.get(header) is not None:
            return f"{header} header"
    sender = parseaddr(str(mail.get("From") or ""))[1].lower()
    if sender.split("@")[0] in BOUNCE_SENDERS or mail.get_content_type() == "multipart/report":
        return "a delivery report (bounce)"
    if sender and sender in own_addresses:
        return "sent by the helpdesk itself"
    return None
