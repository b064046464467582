"""The signed reply address: `support+t42.m7.<signature>@example.com` for outbox mail 7 about
ticket 42 (`support+t42.<signature>@` without the mail, the first form), where
`support@example.com` is `[imap] reply_address` and the signature is an HMAC of the ticket id
with a key derived from the server secret (helpdesk.core.signing). Nobody can make the address
of another ticket without the secret, and mail servers deliver plus-addresses to the plain
mailbox. Lower-case hex only, because some mail servers fold the case of the local part.
The mail part binds the address to that outbox row, so to its recipient: staff mail needs it
(helpdesk.inbound_mail.matching), because staff replies go to customers."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from helpdesk.core.signing import purpose_key

PURPOSE = "mail-reply-address"
SIGNATURE_CHARACTERS = 20  # 80 bits: no guessing, and the local part stays under 64 characters
_TAG = re.compile(r"\+t(?P<ticket>[1-9][0-9]{0,11})(?:\.m(?P<mail>[1-9][0-9]{0,11}))?"
                  r"\.(?P<signature>[0-9a-f]{%d})@" % SIGNATURE_CHARACTERS)


@dataclass(frozen=True)
class SignedAddress:
    ticket_id: int
    outbox_id: int | None  # the outbox mail it was the Reply-To of, when the address names one


def _signature(secret: bytes, ticket_id: int, outbox_id: int | None) -> str:
    signed = f"ticket:{ticket_id}" + (f":mail:{outbox_id}" if outbox_id is not None else "")
    return hmac.new(purpose_key(secret, PURPOSE), signed.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_CHARACTERS]


def reply_address(secret: bytes, base_address: str, ticket_id: int, outbox_id: int | None = None) -> str:
    """The address a notification about ticket `ticket_id` (outbox row `outbox_id`) names in Reply-To."""
    local, _, domain = base_address.partition("@")
    mail = f".m{outbox_id}" if outbox_id is not None else ""
    return f"{local}+t{ticket_id}{mail}.{_signature(secret, ticket_id, outbox_id)}@{domain}"


def signed_from_addresses(secret: bytes, base_address: str | None, addresses: list[str]) -> SignedAddress | None:
    """The correctly signed reply address among `addresses` (To, Cc, Delivered-To, ...); None
    when there is none. A wrong signature counts as no address."""
    if not base_address:
        return None
    local, _, domain = base_address.lower().partition("@")
    for address in addresses:
        address = address.lower()
        if not (address.startswith(local + "+") and address.endswith("@" + domain)):
            continue
        found = _TAG.search(address[len(local):])
        if found is None:
            continue
        ticket_id = int(found["ticket"])
        outbox_id = int(found["mail"]) if found["mail"] else None
        if hmac.compare_digest(found["signature"], _signature(secret, ticket_id, outbox_id)):
            return SignedAddress(ticket_id, outbox_id)
    return None
