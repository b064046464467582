"""An optional sender thread inside the app process, for installs without a separate worker.

The app calls `start_background_sender(engine)` once per process (it is idempotent). The
thread is a daemon and does all SMTP work itself: a page request only ever writes outbox rows.
It starts only when mail is configured, and can be switched off with `[smtp]
background_sender = false` or HELPDESK_MAIL_BACKGROUND=0 when a `notify --loop` worker runs
instead (both at once are safe too: claims never overlap)."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from helpdesk.core import config
from helpdesk.notifications.sender import DEFAULT_BATCH, ReplyTo, RetryPolicy, SendReport, send_due
from helpdesk.notifications.smtp_settings import SmtpConfigError, smtp_settings

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 30.0
_FALSE = ("0", "false", "no", "off")


def background_sender_enabled() -> bool:
    value = os.environ.get("HELPDESK_MAIL_BACKGROUND")
    if value is None:
        value = (config.load_secrets().get("smtp", {}) or {}).get("background_sender", True)
    return str(value).strip().lower() not in _FALSE


def send_interval_seconds() -> float:
    value = os.environ.get("HELPDESK_MAIL_INTERVAL") or (config.load_secrets().get("smtp", {}) or {}).get(
        "send_interval_seconds")
    return float(value) if value else DEFAULT_INTERVAL_SECONDS


class BackgroundSender:
    """Sends due mail every `interval` seconds until stopped; `wake()` starts a pass now."""

    def __init__(self, engine: Engine, *, interval: float = DEFAULT_INTERVAL_SECONDS,
                 policy: RetryPolicy = RetryPolicy(), reply_to_source: Callable[[], ReplyTo | None] | None = None):
        self.engine = engine
        # Asked each pass: the signed Reply-To of replies by e-mail (helpdesk.inbound_mail.outgoing).
        self.reply_to_source = reply_to_source
        self.interval = interval
        self.policy = policy
        self.last_report: SendReport | None = None
        self.passes = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="helpdesk-mail-sender", daemon=True)

    def start(self) -> BackgroundSender:
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.run_once()
            self._wake.wait(self.interval)

    def run_once(self) -> None:
        try:
            settings = smtp_settings()  # re-read each pass: fixing the settings needs no restart
            reply_to = self.reply_to_source() if self.reply_to_source is not None else None
            while not self._stop.is_set():
                self.last_report = send_due(self.engine, settings, limit=DEFAULT_BATCH, policy=self.policy,
                                            reply_to=reply_to)
                # A full batch that went out means more may be waiting; anything less ends the pass.
                if self.last_report.claimed < DEFAULT_BATCH or self.last_report.sent == 0:
                    break
        except SmtpConfigError as exc:
            log.warning("Mail is not sent: %s", exc)
        except Exception:  # a database hiccup must not kill the thread for the process's lifetime
            log.exception("Background mail sender pass failed")
        finally:
            self.passes += 1


_lock = threading.Lock()
_running: BackgroundSender | None = None


def start_background_sender(engine: Engine, *, interval: float | None = None,
                            reply_to_source: Callable[[], ReplyTo | None] | None = None) -> BackgroundSender | None:
    """Start the process's sender thread if mail is configured and the thread is wanted;
    returns the running one on later calls. Cheap: no SMTP traffic happens here."""
    global _running
    if not background_sender_enabled():
        return None
    try:
        if smtp_settings() is None:
            return None
    except SmtpConfigError as exc:
        log.warning("Mail is not sent: %s", exc)
        return None
    with _lock:
        if _running is None or not _running.is_alive():
            _running = BackgroundSender(engine, interval=interval or send_interval_seconds(),
                                        reply_to_source=reply_to_source).start()
        return _running


def stop_background_sender() -> None:
    global _running
    with _lock:
        if _running is not None:
            _running.stop()
            _running = None
