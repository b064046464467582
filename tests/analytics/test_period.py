"""The days a report covers, in the viewer's zone, and the range it compares with."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.analytics.period import RangePreset, make_period
from helpdesk.core.errors import ValidationError

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize("first, last", [(date(2025, 3, 28), date(2025, 4, 3)),  # clocks forward on 30 March
                                         (date(2025, 10, 27), date(2025, 11, 2)),  # clocks back on 26 October
                                         (date(2025, 6, 2), date(2025, 6, 8))])
def test_the_previous_range_ends_where_this_one_starts_across_clock_changes(first, last):
    period = make_period(preset=RangePreset.CUSTOM, now=datetime(2026, 1, 1, tzinfo=UTC), zone=AMSTERDAM,
                         first=first, last=last)
    previous = period.previous()
    assert previous.end == period.start
    assert (previous.first, previous.last) == (first - timedelta(days=7), first - timedelta(days=1))
    assert previous.start == datetime(*(first - timedelta(days=7)).timetuple()[:3], tzinfo=AMSTERDAM).astimezone(UTC)


def test_a_range_ending_now_compares_with_the_same_time_of_day_before():
    now = datetime(2026, 3, 31, 10, 30, tzinfo=UTC)  # 12:30 in Amsterdam (summer time since 29 March)
    period = make_period(preset=RangePreset.LAST_7, now=now, zone=AMSTERDAM)
    previous = period.previous()
    assert period.end == now and (period.first, period.last) == (date(2026, 3, 25), date(2026, 3, 31))
    assert previous.end.astimezone(AMSTERDAM).replace(tzinfo=None) == datetime(2026, 3, 24, 12, 30)  # winter time


def test_a_custom_range_needs_both_days_in_order_and_not_in_the_future():
    now = datetime(2026, 3, 31, 10, tzinfo=UTC)
    for first, last, words in ((None, date(2026, 3, 1), "Choose the first and the last day."),
                               (date(2026, 3, 5), date(2026, 3, 1), "The first day comes after the last day."),
                               (date(2026, 4, 5), date(2026, 4, 9), "The range starts in the future"),
                               (date(2024, 1, 1), date(2026, 3, 1), "Choose at most 366 days.")):
        with pytest.raises(ValidationError) as refused:
            make_period(preset=RangePreset.CUSTOM, now=now, zone=AMSTERDAM, first=first, last=last)
        assert refused.value.field_errors["range"].startswith(words)


def test_long_ranges_are_drawn_in_weeks_that_start_on_monday():
    now = datetime(2026, 3, 31, 10, tzinfo=UTC)
    period = make_period(preset=RangePreset.LAST_90, now=now, zone=AMSTERDAM)
    buckets = period.buckets()
    assert period.bucket.value == "week"
    assert buckets[0][0] == period.first and all(day.weekday() == 0 for day, _, _ in buckets[1:])
    assert buckets[-1][2] == now and sum(1 for _ in buckets) == 14
