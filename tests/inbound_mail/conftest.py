"""The real IMAP server (dovecot) for the mail-reader tests: one per test module, emptied
before each test."""
from __future__ import annotations

import pytest

from tests.conftest import skip_or_fail
from tests.inbound_mail.dovecot import DovecotServer, dovecot_binary


@pytest.fixture(scope="module")
def dovecot_server():
    if dovecot_binary() is None:
        skip_or_fail("dovecot is not installed (apt-get install dovecot-imapd)")
    server = DovecotServer.start()
    yield server
    server.stop()


@pytest.fixture
def imap(dovecot_server) -> DovecotServer:
    """The server with an empty INBOX (mail from an earlier test deleted and expunged)."""
    with dovecot_server.mailbox() as box:
        uids = box.uids("ALL")
        if uids:
            box.delete(uids)
    return dovecot_server
