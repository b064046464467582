"""The moments a report covers: a range of whole local days, its previous twin, and its buckets."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from helpdesk.core.errors import ValidationError

# Longer ranges are allowed but get week buckets, so a chart never has hundreds of bars.
DAY_BUCKETS_UP_TO = 62
MAX_DAYS = 366  # day buckets are joined as one compound SELECT; SQLite allows 500 parts


class RangePreset(StrEnum):
    LAST_7 = "last_7"
    LAST_30 = "last_30"
    LAST_90 = "last_90"
    THIS_QUARTER = "this_quarter"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return {"last_7": "Last 7 days", "last_30": "Last 30 days", "last_90": "Last 90 days",
                "this_quarter": "This quarter", "custom": "Custom"}[self.value]


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class Period:
    """Local days first..last (inclusive) in `zone`; `start`/`end` are the UTC moments
    [start, end) they span (end is "now" when the range reaches today)."""

    first: date
    last: date
    zone: ZoneInfo
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def bucket(self) -> Bucket:
        return Bucket.DAY if self.days <= DAY_BUCKETS_UP_TO else Bucket.WEEK

    def previous(self) -> Period:
        """The same number of days just before; when this one ends now (part of today), the
        previous one ends at the same local time of its last day. Local days, so a change of
        the clocks in either range moves nothing by an hour."""
        first = self.first - timedelta(days=self.days)
        last = self.first - timedelta(days=1)
        start = local_midnight(first, self.zone)
        if self.end >= local_midnight(self.last + timedelta(days=1), self.zone):
            end = self.start
        else:
            cut = self.end.astimezone(self.zone).time()
            end = datetime.combine(last, cut, tzinfo=self.zone).astimezone(UTC)
        return Period(first, last, self.zone, start, end)

    def buckets(self) -> list[tuple[date, datetime, datetime]]:
        """(label day, UTC start, UTC end) per day or per week (weeks start on Monday, the
        first and last cut to the range)."""
        out = []
        day = self.first
        while day <= self.last:
            if self.bucket == Bucket.DAY:
                nxt = day + timedelta(days=1)
            else:
                nxt = day + timedelta(days=7 - day.weekday())
            nxt = min(nxt, self.last + timedelta(days=1))
            out.append((day, local_midnight(day, self.zone), min(local_midnight(nxt, self.zone), self.end)))
            day = nxt
        return [(d, s, e) for d, s, e in out if s < e]

    def day_buckets(self) -> list[tuple[date, datetime, datetime]]:
        """(day, UTC start, UTC end) for every local day of the range, whatever the bucket."""
        out, day = [], self.first
        while day <= self.last:
            lo = local_midnight(day, self.zone)
            hi = min(local_midnight(day + timedelta(days=1), self.zone), self.end)
            if lo < hi:
                out.append((day, lo, hi))
            day += timedelta(days=1)
        return out


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def make_period(*, preset: RangePreset | str, now: datetime, zone: ZoneInfo,
                first: date | None = None, last: date | None = None) -> Period:
    """The period a preset names, ending now; or the custom days first..last."""
    preset = RangePreset(preset)
    today = now.astimezone(zone).date()
    if preset == RangePreset.CUSTOM:
        errors = {}
        if first is None or last is None:
            errors["range"] = "Choose the first and the last day."
        elif first > last:
            errors["range"] = "The first day comes after the last day."
        elif first > today:
            errors["range"] = "The range starts in the future; choose days up to today."
        elif (last - first).days + 1 > MAX_DAYS:
            errors["range"] = f"Choose at most {MAX_DAYS:,} days."
        if errors:
            raise ValidationError(errors)
        last = min(last, today)
    elif preset == RangePreset.THIS_QUARTER:
        first, last = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    else:
        days = {RangePreset.LAST_7: 7, RangePreset.LAST_30: 30, RangePreset.LAST_90: 90}[preset]
        first, last = today - timedelta(days=days - 1), today
    start = local_midnight(first, zone)
    end = min(local_midnight(last + timedelta(days=1), zone), now)
    return Period(first, last, zone, start, end)
