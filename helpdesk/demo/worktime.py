"""Working time for the demo data in whole epoch seconds, fast enough for a million tickets.

The same arithmetic as helpdesk.sla.clock (working_time_between, add_working_time) and the same
windows (each working day's opening and closing, local to the business hours' time zone, in UTC;
tests/demo compares the two), but the windows over the simulated span are listed once with the
working seconds before each, so a figure is two binary searches instead of a walk over the days.
Outside the listed span it is clock's own arithmetic; without business hours, calendar time."""
from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from helpdesk.settings import BusinessHours
from helpdesk.sla import clock


def _aware(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class WorkingCalendar:
    """Working seconds between two moments, and the moment some working seconds after another.

    `hours=None` is calendar time (the SLA clocks run around the clock)."""

    def __init__(self, hours: BusinessHours | None, start: int, end: int):
        self.hours = hours
        self.opens: list[int] = []
        self.closes: list[int] = []
        self.before: list[int] = []  # working seconds in the listed windows before window i
        if hours is None:
            return
        total = 0
        zone = hours.zone
        first_day = _aware(start).astimezone(zone).date() - timedelta(days=1)
        last_day = _aware(end).astimezone(zone).date() + timedelta(days=1)
        for offset in range((last_day - first_day).days + 1):
            day = first_day + timedelta(days=offset)
            if day.weekday() not in hours.weekdays:
                continue
            # As clock does it: the day's opening and closing in its zone, then in UTC.
            opened = int(datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC).timestamp())
            closed = int(datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC).timestamp())
            self.opens.append(opened)
            self.closes.append(closed)
            self.before.append(total)
            total += max(0, closed - opened)
        self.first, self.last = start, end
        self.total = total

    def _worked_until(self, moment: int) -> int:
        """Working seconds in the listed windows before `moment`."""
        i = bisect_right(self.opens, moment) - 1
        if i < 0:
            return 0
        return self.before[i] + min(moment, self.closes[i]) - self.opens[i]

    def _covers(self, *moments: int) -> bool:
        return all(self.first <= moment <= self.last for moment in moments)

    def between(self, start: int, end: int) -> int:
        """Working seconds from start to end (0 if end is not after start)."""
        if end <= start:
            return 0
        if self.hours is None:
            return end - start
        if not self._covers(start, end):
            return round(clock.working_time_between(_aware(start), _aware(end), self.hours).total_seconds())
        return self._worked_until(end) - self._worked_until(start)

    def add(self, start: int, seconds: int) -> int:
        """The moment `seconds` of working time after start."""
        if self.hours is None or seconds <= 0:
            return start + max(seconds, 0)
        if self._covers(start):
            goal = self._worked_until(start) + seconds
            if goal <= self.total:
                # The first window whose end reaches the goal; the moment is inside it.
                low, high = 0, len(self.opens) - 1
                while low < high:
                    middle = (low + high) // 2
                    if self.before[middle] + self.closes[middle] - self.opens[middle] >= goal:
                        high = middle
                    else:
                        low = middle + 1
                moment = self.opens[low] + goal - self.before[low]
                if moment <= self.last:
                    return moment
        return int(clock.add_working_time(_aware(start), timedelta(seconds=seconds), self.hours).timestamp())
