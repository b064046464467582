"""Test driver (never used in production): runs the real `python -m helpdesk fetch-mail`, but
the process kills itself with SIGKILL at one point of the first mail:

    python -m tests.inbound_mail.die_while_reading before-commit --database-url URL fetch-mail
    python -m tests.inbound_mail.die_while_reading before-flag   --database-url URL fetch-mail

before-commit: right after the mail's rows are written and flushed, before the commit.
before-flag:   right after the commit, before the mailbox flag.
Only this script replaces the functions; the app has no hook of its own."""
from __future__ import annotations

import os
import signal
import sys

from helpdesk import cli
from helpdesk.inbound_mail import reader, store


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> int:
    point, argv = sys.argv[1], sys.argv[2:]
    if point == "before-commit":
        real_store = store.store_mail

        def store_then_die(session, **arguments):
            real_store(session, **arguments)
            session.flush()
            _die()

        store.store_mail = store_then_die
    elif point == "before-flag":
        reader.mark_done = lambda *arguments: _die()
    else:
        raise SystemExit(f"unknown point {point!r}")
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
