"""Admin-editable settings kept in the app_settings table, read and written with their types.

A missing row means the default, so a fresh install behaves sensibly without seeding."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from helpdesk.access import ensure_admin
from helpdesk.audit import record
from helpdesk.core import signing
from helpdesk.core.errors import ValidationError
from helpdesk.enums import AuditAction
from helpdesk.models import AppSetting, User

AUTO_ASSIGN = "auto_assign"
AUTO_CLOSE_DAYS = "auto_close_days"
BUSINESS_HOURS = "business_hours"
LINK_SIGN_ON_BY_EMAIL = "link_sign_on_by_email"
# Set by migration 0004 on an install that had tickets; cleared by `rebuild-metrics`.
METRICS_PENDING = "metrics_pending"
REPORT_CELLS_PENDING = "report_cells_pending"

DEFAULT_AUTO_ASSIGN = True
DEFAULT_AUTO_CLOSE_DAYS = 7
# Off: an identity from a sign-in provider never takes over an account made with a password, even
# when the e-mails match, unless an administrator has said the provider may be trusted with that.
DEFAULT_LINK_SIGN_ON_BY_EMAIL = False
MAX_AUTO_CLOSE_DAYS = 365
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class BusinessHours:
    """SLA clocks only run inside these hours on these weekdays (0 = Monday), local to `timezone`."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    timezone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> str:
        return json.dumps({"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M"),
                           "weekdays": sorted(self.weekdays), "timezone": self.timezone})

    @classmethod
    def from_json(cls, raw: str) -> BusinessHours:
        data = json.loads(raw)
        return cls(start=time.fromisoformat(data["start"]), end=time.fromisoformat(data["end"]),
                   weekdays=frozenset(int(d) for d in data["weekdays"]), timezone=data["timezone"])

    def describe(self) -> str:
        """In words: "Mon-Fri 09:00-17:00 Europe/Amsterdam", "Mon, Wed-Fri 08:30-16:00 UTC"."""
        runs: list[list[int]] = []
        for day in sorted(self.weekdays):
            if runs and day == runs[-1][-1] + 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        days = ", ".join(WEEKDAY_NAMES[run[0]] + (f"-{WEEKDAY_NAMES[run[-1]]}" if len(run) > 1 else "")
                         for run in runs)
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class AppSettings:
    auto_assign: bool
    auto_close_days: int
    business_hours: BusinessHours | None  # None: SLA clocks run around the clock
    link_sign_on_by_email: bool = DEFAULT_LINK_SIGN_ON_BY_EMAIL


def _raw(session: Session, key: str) -> str | None:
    # Settings are read in the middle of ticket changes (SLA clocks, stored durations): a read
    # must not flush the half-changed ticket, which would be a second UPDATE and version step.
    with session.no_autoflush:
        row = session.get(AppSetting, key)
    return row.value if row is not None else None


def _store(session: Session, key: str, value: str | None) -> None:
    row = session.get(AppSetting, key)
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def auto_assign_enabled(session: Session) -> bool:
    raw = _raw(session, AUTO_ASSIGN)
    return DEFAULT_AUTO_ASSIGN if raw is None else raw == "true"


def auto_close_days(session: Session) -> int:
    raw = _raw(session, AUTO_CLOSE_DAYS)
    try:
        return int(raw) if raw is not None else DEFAULT_AUTO_CLOSE_DAYS
    except ValueError:
        return DEFAULT_AUTO_CLOSE_DAYS


def link_sign_on_by_email(session: Session) -> bool:
    """Whether single sign-on may link to an existing account whose e-mail the provider says is
    verified (helpdesk.accounts.single_sign_on)."""
    raw = _raw(session, LINK_SIGN_ON_BY_EMAIL)
    return DEFAULT_LINK_SIGN_ON_BY_EMAIL if raw is None else raw == "true"


def business_hours(session: Session) -> BusinessHours | None:
    raw = _raw(session, BUSINESS_HOURS)
    if not raw:
        return None
    try:
        return BusinessHours.from_json(raw)
    except (ValueError, KeyError, TypeError, ZoneInfoNotFoundError):
        return None  # a damaged value must not stop tickets being raised: fall back to 24/7


def get_settings(*, session: Session) -> AppSettings:
    return AppSettings(auto_assign=auto_assign_enabled(session), auto_close_days=auto_close_days(session),
                       business_hours=business_hours(session),
                       link_sign_on_by_email=link_sign_on_by_email(session))


def _on_off(enabled: bool) -> str:
    return "On" if enabled else "Off"


def _days(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def _hours_text(hours: BusinessHours | None) -> str:
    return hours.describe() if hours is not None else "Off (around the clock)"


def set_auto_assign(*, session: Session, actor: User, enabled: bool) -> None:
    ensure_admin(actor)
    was = auto_assign_enabled(session)
    if bool(enabled) != was:
        record(session, actor=actor, action=AuditAction.SETTING_CHANGED, target="Automatic assignment",
               old=_on_off(was), new=_on_off(enabled))
    _store(session, AUTO_ASSIGN, "true" if enabled else "false")


def set_link_sign_on_by_email(*, session: Session, actor: User, enabled: bool) -> None:
    ensure_admin(actor)
    was = link_sign_on_by_email(session)
    if bool(enabled) != was:
        record(session, actor=actor, action=AuditAction.SETTING_CHANGED,
               target="Link single sign-on to existing accounts by verified e-mail", old=_on_off(was),
               new=_on_off(enabled))
    _store(session, LINK_SIGN_ON_BY_EMAIL, "true" if enabled else "false")


def set_auto_close_days(*, session: Session, actor: User, days: int) -> None:
    ensure_admin(actor)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_AUTO_CLOSE_DAYS:
        raise ValidationError({"auto_close_days": f"Enter a whole number of days from 1 to {MAX_AUTO_CLOSE_DAYS}."})
    was = auto_close_days(session)
    if days != was:
        record(session, actor=actor, action=AuditAction.SETTING_CHANGED, target="Close resolved tickets after",
               old=_days(was), new=_days(days))
    _store(session, AUTO_CLOSE_DAYS, str(days))


def set_business_hours(*, session: Session, actor: User, hours: BusinessHours | None) -> None:
    """`None` switches business hours off (SLA clocks run 24/7)."""
    ensure_admin(actor)
    if hours is not None:
        errors = {}
        if hours.start >= hours.end:
            errors["business_hours"] = "The working day must end after it starts."
        if not hours.weekdays or not hours.weekdays <= set(range(7)):
            errors["business_days"] = "Choose at least one working day."
        try:
            ZoneInfo(hours.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = f"“{hours.timezone}” is not a known time zone, e.g. Europe/Amsterdam."
        if errors:
            raise ValidationError(errors)
    was = business_hours(session)
    if hours != was:
        record(session, actor=actor, action=AuditAction.BUSINESS_HOURS_CHANGED, target="Business hours",
               old=_hours_text(was), new=_hours_text(hours))
    _store(session, BUSINESS_HOURS, hours.to_json() if hours is not None else None)


# --- the server secret ---------------------------------------------------------------------

# The generated secret that signs links working without sign-in, when none is configured. Not an
# admin setting: no page shows it, no setter writes it, nothing logs it.
SERVER_SECRET = "server_secret"
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def server_secret(session: Session, *, create: bool = True) -> bytes | None:
    """The secret behind signed links (helpdesk.core.signing): from the configuration when it is
    set there, otherwise generated once (32 random bytes) and kept in app_settings; None
    when there is none yet and `create` is False (a link checked before any was ever made).

    Read and written on the session's connection, so a caller in the middle of a change (a ticket
    being resolved) has nothing flushed early. Two processes creating it at once keep one: the
    insert does nothing when the row exists, and both then read the row that won."""
    configured = signing.configured_secret()
    if configured is not None:
        return configured
    connection = session.connection()
    table = AppSetting.__table__
    read = select(table.c.value).where(table.c.key == SERVER_SECRET)
    stored = connection.scalar(read)
    if stored is None and create:
        fresh = secrets.token_urlsafe(32)
        connection.execute(_INSERT[connection.dialect.name](table).values(key=SERVER_SECRET, value=fresh)
                           .on_conflict_do_nothing(index_elements=[table.c.key]))
        stored = connection.scalar(read)
    return stored.encode() if stored else None


def metrics_pending(session: Session) -> bool:
    """Tickets from before the stored durations exist that have none yet (run rebuild-metrics)."""
    return _raw(session, METRICS_PENDING) is not None


def clear_metrics_pending(session: Session) -> None:
    _store(session, METRICS_PENDING, None)


def report_zone(session: Session) -> ZoneInfo:
    """The zone whose local days and hours the reports count in: the business-hours zone (UTC
    when none is set), so every manager sees the same numbers wherever they sit."""
    hours = business_hours(session)
    return hours.zone if hours is not None else ZoneInfo("UTC")


def report_cells_pending(session: Session) -> bool:
    """An upgraded install whose tickets are in no report cell yet (run rebuild-metrics)."""
    return _raw(session, REPORT_CELLS_PENDING) is not None


def clear_report_cells_pending(session: Session) -> None:
    _store(session, REPORT_CELLS_PENDING, None)
