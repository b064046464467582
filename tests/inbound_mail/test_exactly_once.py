"""A mail is handled exactly once: a reader killed between fetching and committing (or between
committing and flagging) loses nothing and doubles nothing on the next run, and two readers at
once never both store the same mail."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import Engine

from helpdesk.core.config import PROJECT_ROOT
from helpdesk.core.db import session_scope
from helpdesk.inbound_mail import claims
from helpdesk.inbound_mail.reader import read_mailbox
from helpdesk.models import format_reference
from tests.inbound_mail.dovecot import SEEN
from tests.inbound_mail.mails import mail
from tests.inbound_mail.world import inbound, thread

pytestmark = pytest.mark.usefixtures("no_local_configuration")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _run(engine: Engine, imap, *command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **imap.env(), "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", *command, "--database-url", _url(engine), "fetch-mail"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)


def _deliver_replies(desk, imap, count: int) -> int:
    ticket_id = desk.raise_ticket()
    for number in range(count):
        imap.deliver(mail(sender="carla@example.com", subject=f"Re: [{format_reference(ticket_id)}] x",
                          text=f"Reply number {number}"))
    return ticket_id


@pytest.mark.parametrize("point", ["before-commit", "before-flag"])
def test_a_reader_killed_mid_mail_loses_nothing_and_doubles_nothing(desk, imap, point):
    ticket_id = _deliver_replies(desk, imap, 2)

    killed = _run(desk.engine, imap, "tests.inbound_mail.die_while_reading", point)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert imap.unseen_count() == 2  # nothing was flagged
    stored_before = thread(desk.engine, ticket_id)
    assert len(stored_before) == (0 if point == "before-commit" else 1)

    normal = _run(desk.engine, imap, "helpdesk")  # the real command, as an operator runs it

    assert normal.returncode == 0, normal.stderr
    expected_outcome = "2 stored" if point == "before-commit" else "1 duplicate, 1 stored"
    assert f"2 read: {expected_outcome}" in normal.stdout
    assert sorted(m.body for m in thread(desk.engine, ticket_id)) == ["Reply number 0", "Reply number 1"]
    assert len(inbound(desk.engine)) == 2
    assert imap.flags() == [(SEEN,), (SEEN,)]
    again = _run(desk.engine, imap, "helpdesk")
    assert "0 read: nothing new" in again.stdout and len(thread(desk.engine, ticket_id)) == 2


def test_two_readers_at_once_store_each_mail_once(desk, imap):
    ticket_id = _deliver_replies(desk, imap, 12)
    start = threading.Barrier(2)
    reports, errors = [], []

    def reader() -> None:
        try:
            start.wait(timeout=30)
            reports.append(read_mailbox(desk.engine, imap.settings()))
        except Exception as exc:  # noqa: BLE001  (shown by the assert below)
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == [] and len(reports) == 2
    bodies = sorted(m.body for m in thread(desk.engine, ticket_id))
    assert bodies == sorted(f"Reply number {n}" for n in range(12))  # each once: none lost, none doubled
    assert len(inbound(desk.engine)) == 12
    assert sum(r.counts.get("stored", 0) for r in reports) == 12
    assert imap.unseen_count() == 0


def test_on_postgresql_a_mail_claimed_by_one_reader_is_left_alone_by_the_other(postgres_engine):
    with session_scope(postgres_engine) as first:
        assert claims.claim(first, "<m1@example>")
        with session_scope(postgres_engine) as second:
            assert not claims.claim(second, "<m1@example>")  # held by the first transaction
            assert claims.claim(second, "<m2@example>")  # another mail is free
    with session_scope(postgres_engine) as later:
        assert claims.claim(later, "<m1@example>")  # released with the first one's commit
