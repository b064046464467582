"""An optional reader thread inside the app process, for installs without a `fetch-mail --loop`
worker. Off unless asked for (HELPDESK_IMAP_BACKGROUND=1 or `[imap] background_reader = true`)
and IMAP is configured; running it beside a worker is safe too (see claims). The thread does
all IMAP work itself: a page request never waits for the mailbox."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from helpdesk.inbound_mail.imap_settings import (ImapConfigError, background_reader_enabled, imap_settings,
                                                 read_interval_seconds)
from helpdesk.inbound_mail.reader import ReadReport, read_mailbox

log = logging.getLogger(__name__)


class BackgroundReader:
    """Reads the mailbox every `interval` seconds until stopped."""

    def __init__(self, engine: Engine, *, interval: float):
        self.engine = engine
        self.interval = interval
        self.last_report: ReadReport | None = None
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="helpdesk-mail-reader", daemon=True)

    def start(self) -> BackgroundReader:
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)

    def run_once(self) -> None:
        try:
            settings = imap_settings()  # re-read each pass: fixing the settings needs no restart
            if settings is not None:
                self.last_report = read_mailbox(self.engine, settings)
        except ImapConfigError as exc:
            log.warning("Mail is not read: %s", exc)
        except Exception:  # the mail server or the database was away: the thread lives on
            log.exception("Background mail reader pass failed")
        finally:
            self.passes += 1


_lock = threading.Lock()
_running: BackgroundReader | None = None


def start_background_reader(engine: Engine) -> BackgroundReader | None:
    """Start the process's reader thread when wanted and configured; the running one on later calls."""
    global _running
    if not background_reader_enabled():
        return None
    try:
        if imap_settings() is None:
            return None
        interval = read_interval_seconds()
    except ImapConfigError as exc:
        log.warning("Mail is not read: %s", exc)
        return None
    with _lock:
        if _running is None or not _running.is_alive():
            _running = BackgroundReader(engine, interval=interval).start()
        return _running


def stop_background_reader() -> None:
    global _running
    with _lock:
        if _running is not None:
            _running.stop()
            _running = None
