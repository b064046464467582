"""The one-time and signed links a mail can carry, and the same text with their tokens left out.

A link's token is a permission: to rate as the customer (helpdesk.tickets.satisfaction), to
choose someone's password, to create an account (helpdesk.accounts.account_links). An
administrator reading the outbox sees that a mail had such a link, never its token; and once a
mail carrying an account link has gone out, the outbox keeps it without the token, so a copy of
the database holds no link that still works."""
from __future__ import annotations

import re

HIDDEN = {"rate": "(hidden: it lets anyone rate as the customer)",
          "reset_password": "(hidden: it lets anyone choose this person's password)",
          "confirm_sign_up": "(hidden: it creates the account)"}
ACCOUNT_LINKS = ("reset_password", "confirm_sign_up")
_LINK_TOKEN = re.compile(r"(/(rate|reset_password|confirm_sign_up)\?token=)[^\s\"'<>&]+")


def hide_link_tokens(text: str, *, addresses: tuple[str, ...] = tuple(HIDDEN)) -> str:
    """`text` with the token of every link to one of `addresses` replaced by why it is hidden."""
    return _LINK_TOKEN.sub(lambda found: found.group(1) + HIDDEN[found.group(2)]
                           if found.group(2) in addresses else found.group(0), text)
