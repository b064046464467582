"""The IMAP side (imap-tools): the unseen mails of the folder, each one's raw bytes read without
setting \\Seen (BODY.PEEK), and marking a mail done (\\Seen, or moved) once it is committed."""
from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import MailboxFetchError

from helpdesk.inbound_mail.imap_settings import ImapSettings


@contextmanager
def open_mailbox(settings: ImapSettings) -> Iterator[BaseMailBox]:
    """A logged-in mailbox with the configured folder selected; logged out afterwards."""
    if settings.security == "ssl":
        box = MailBox(settings.host, settings.port, timeout=settings.timeout, ssl_context=ssl.create_default_context())
    elif settings.security == "starttls":
        box = MailBoxStartTls(settings.host, settings.port, timeout=settings.timeout,
                              ssl_context=ssl.create_default_context())
    else:
        box = MailBoxUnencrypted(settings.host, settings.port, timeout=settings.timeout)
    with box.login(settings.user, settings.password, initial_folder=settings.folder) as logged_in:
        yield logged_in


# Set on a mail that failed this many times in a row that it is no longer tried (it stays
# unseen in the mailbox for a person to look at).
GAVE_UP = "$HelpdeskUnreadable"
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def unseen_uids(box: BaseMailBox) -> list[str]:
    """The mails not yet marked done, oldest first, without those the reader gave up on."""
    return box.uids(AND(seen=False, no_keyword=GAVE_UP))


def size_and_header(box: BaseMailBox, uid: str) -> tuple[int, bytes] | None:
    """The mail's size (RFC822.SIZE) and its header, without its body and without setting
    \\Seen; None if it is gone."""
    result = box.client.uid("fetch", uid, "(RFC822.SIZE BODY.PEEK[HEADER])")
    if result[0] != "OK":
        raise MailboxFetchError(result, "OK")
    for part in result[1]:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            found = _SIZE.search(part[0])
            if found:
                return int(found.group(1)), part[1]
    return None


def give_up(box: BaseMailBox, uid: str) -> None:
    box.flag(uid, GAVE_UP, True)


def fetch_raw(box: BaseMailBox, uid: str) -> bytes | None:
    """The whole mail as the server keeps it, without setting \\Seen; None if it is gone."""
    result = box.client.uid("fetch", uid, "(BODY.PEEK[])")
    if result[0] != "OK":
        raise MailboxFetchError(result, "OK")
    data = result[1]
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None  # expunged meanwhile (another reader moved it)


def mark_flagged(box: BaseMailBox, uid: str) -> None:
    """\\Flagged, for a person to find it in the mailbox (a mail too large to take in)."""
    box.flag(uid, MailMessageFlags.FLAGGED, True)


def mark_done(box: BaseMailBox, uid: str, settings: ImapSettings) -> None:
    """Called only after the database committed, so a crash before it means a re-read, not a loss."""
    if settings.processed_folder:
        box.move(uid, settings.processed_folder)
    else:
        box.flag(uid, MailMessageFlags.SEEN, True)
