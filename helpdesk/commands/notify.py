"""`notify`: send due notification mail once, or keep sending with `--loop` (the mail worker)."""
from __future__ import annotations

import logging
import signal
import threading

from sqlalchemy import func, select

from helpdesk.core.db import make_engine, session_scope
from helpdesk.enums import OutboxStatus
from helpdesk.inbound_mail.outgoing import reply_to_for
from helpdesk.models import OutboxMessage
from helpdesk.notifications.sender import DEFAULT_BATCH, send_due
from helpdesk.notifications.smtp_settings import SmtpConfigError, smtp_settings

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = subparsers.add_parser("notify", help="send queued notification e-mails (once, or --loop as a worker)")
    parser.add_argument("--loop", action="store_true", help="keep running, sending due mail every --interval seconds")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes with --loop (default 30)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="mails claimed per pass")
    parser.set_defaults(run=run)


def _queued(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status == OutboxStatus.PENDING)) or 0


def _one_pass(engine, batch: int) -> int:
    """Send until nothing due is left; returns how many were sent."""
    try:
        settings = smtp_settings()
    except SmtpConfigError as exc:
        log.error("Mail settings need fixing: %s", exc)
        return 0
    if settings is None:
        log.warning("Mail is not configured (no [smtp] host); %s mails stay queued.", _queued(engine))
        return 0
    sent = 0
    while True:
        report = send_due(engine, settings, limit=batch, reply_to=reply_to_for(engine))
        sent += report.sent
        # A short batch, or one where the server refused everything, ends the pass.
        if report.claimed < batch or report.sent == 0:
            return sent


def run(args) -> int:
    engine = make_engine(args.database_url)
    if not args.loop:
        sent = _one_pass(engine, args.batch)
        print(f"{sent} mails sent; {_queued(engine)} waiting.")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("Mail worker started; a pass every %ss.", args.interval)
    while not stop.is_set():
        try:
            _one_pass(engine, args.batch)
        except Exception:  # the database was away: log it and try again next pass
            log.exception("Mail worker pass failed")
        stop.wait(args.interval)
    log.info("Mail worker stopped.")
    return 0
