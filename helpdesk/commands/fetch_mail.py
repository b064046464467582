"""`fetch-mail`: read replies from the IMAP mailbox once, or keep reading with `--loop`."""
from __future__ import annotations

import logging
import signal
import threading

from helpdesk.core.db import make_engine
from helpdesk.inbound_mail.imap_settings import ImapConfigError, imap_settings, read_interval_seconds
from helpdesk.inbound_mail.reader import DEFAULT_BATCH, ReadReport, read_mailbox

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser("fetch-mail", help="turn mailed replies into ticket messages (once, or --loop)")
    parser.add_argument("--loop", action="store_true", help="keep running, reading the mailbox every --interval seconds")
    parser.add_argument("--interval", type=float, default=None,
                        help="seconds between passes with --loop (default [imap] interval_seconds, or 60)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="mails read per pass")
    parser.set_defaults(run=run)


def _one_pass(engine, batch: int) -> ReadReport | None:
    try:
        settings = imap_settings()  # re-read each pass: fixing the settings needs no restart
    except ImapConfigError as exc:
        log.error("IMAP settings need fixing: %s", exc)
        return None
    if settings is None:
        log.warning("Replies by e-mail are off: no [imap] host is set.")
        return None
    return read_mailbox(engine, settings, limit=batch)


def run(args) -> int:
    engine = make_engine(args.database_url)
    if not args.loop:
        report = _one_pass(engine, args.batch)
        if report is None:
            return 1
        print(report)
        return 0 if not report.failed else 1
    interval = args.interval if args.interval is not None else read_interval_seconds()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("Mail reader started; a pass every %ss.", interval)
    while not stop.is_set():
        try:
            _one_pass(engine, args.batch)
        except Exception:  # the mail server or the database was away: log it and try again next pass
            log.exception("Mail reader pass failed")
        stop.wait(interval)
    log.info("Mail reader stopped.")
    return 0
