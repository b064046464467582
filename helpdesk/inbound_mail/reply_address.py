"""The signed reply address: `support+t42.<signature>@example.com` for ticket 42, where
`support@example.com` is `[imap] reply_address` and the signature is an HMAC of the ticket id
with a key derived from the server secret (helpdesk.core.signing). Nobody can make the address
of another ticket without the secret, and mail servers deliver plus-addresses to the plain
mailbox. Lower-case hex only, because some mail servers fold the case of the local part."""
from __future__ import annotations

import hashlib
import hmac
import re

from helpdesk.core.signing import purpose_key

PURPOSE = "mail-reply-address"
SIGNATURE_CHARACTERS = 20  # 80 bits: no guessing, and the local part stays under 64 characters
_TAG = re.compile(r"\+t(?P<ticket>[1-9][0-9]{0,11})\.(?P<signature>[0-9a-f]{%d})@" % SIGNATURE_CHARACTERS)


def _signature(secret: bytes, ticket_id: int) -> str:
    return hmac.new(purpose_key(secret, PURPOSE), f"ticket:{ticket_id}".encode(),
                    hashlib.sha256).hexdigest()[:SIGNATURE_CHARACTERS]


def reply_address(secret: bytes, base_address: str, ticket_id: int) -> str:
    """The address a notification about ticket `ticket_id` can name in Reply-To."""
    local, _, domain = base_address.partition("@")
    return f"{local}+t{ticket_id}.{_signature(secret, ticket_id)}@{domain}"


def ticket_from_addresses(secret: bytes, base_address: str | None, addresses: list[str]) -> int | None:
    """The ticket whose correctly signed reply address is among `addresses` (To, Cc,
    Delivered-To, ...); None when there is none. A wrong signature counts as no address."""
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
        if hmac.compare_digest(found["signature"], _signature(secret, ticket_id)):
            return ticket_id
    return None
