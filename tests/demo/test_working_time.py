"""The demo's fast working-time arithmetic (helpdesk.demo.worktime) gives exactly the figures of
helpdesk.sla.clock, the one the services use: across weekends, daylight-saving changes and the
edges of the listed span, and around the clock without business hours."""
from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from helpdesk.demo.worktime import WorkingCalendar
from helpdesk.settings import BusinessHours
from helpdesk.sla import clock

NOW = int(datetime(2026, 12, 1, 15, 30, tzinfo=UTC).timestamp())
DAY = 86400


def aware(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize("hours", [
    BusinessHours(start=time(8, 30), end=time(17, 0), weekdays=frozenset({0, 1, 2, 3, 4}), timezone="Europe/Berlin"),
    BusinessHours(start=time(0, 0), end=time(23, 59), weekdays=frozenset({5, 6}), timezone="America/New_York"),
    BusinessHours(start=time(9, 0), end=time(10, 0), weekdays=frozenset({2}), timezone="UTC"),
])
def test_working_time_matches_the_sla_clock(hours):
    # Listed over the 200 days before now (two daylight-saving changes in Berlin and New York).
    calendar = WorkingCalendar(hours, NOW - 200 * DAY, NOW + 30 * DAY)
    rng = random.Random(7)
    for _ in range(1500):
        start = rng.randrange(NOW - 230 * DAY, NOW + 10 * DAY)  # some before the listed span
        end = start + int(rng.expovariate(1 / (4 * DAY)))
        expected = clock.working_time_between(aware(start), aware(end), hours)
        assert calendar.between(start, end) == round(expected.total_seconds()), (start, end)
        assert calendar.between(end, start) == 0
        seconds = rng.choice([0, 1, 3600, 8 * 3600, 72 * 3600, 120 * 3600, rng.randrange(1, 900_000)])
        expected_at = clock.add_working_time(aware(start), timedelta(seconds=seconds), hours)
        assert calendar.add(start, seconds) == int(expected_at.timestamp()), (start, seconds)


def test_without_business_hours_working_time_is_calendar_time():
    calendar = WorkingCalendar(None, NOW - 10 * DAY, NOW)
    assert calendar.between(NOW - 5000, NOW) == 5000
    assert calendar.between(NOW, NOW - 5000) == 0
    assert calendar.add(NOW, 7200) == NOW + 7200
    assert calendar.add(NOW, -5) == NOW
