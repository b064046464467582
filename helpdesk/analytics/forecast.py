"""Where the open backlog goes at the range's pace: straight-line, from its arrival and resolution rates."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

FORECAST_DAYS = 14


@dataclass(frozen=True)
class Forecast:
    backlog_now: int
    arrivals_per_day: float
    resolutions_per_day: float
    projection: pd.DataFrame  # day (1..14), projected open backlog
    days_to_clear: float | None  # None: at this pace it never clears (or there is nothing to clear)

    @property
    def net_per_day(self) -> float:
        return self.arrivals_per_day - self.resolutions_per_day


def forecast(*, backlog_now: int, created: int, resolved: int, days: float) -> Forecast:
    """`created` and `resolved` over `days` days give the daily rates; the backlog moves by their
    difference each day and never goes below zero."""
    days = max(days, 1e-9)
    arrivals, resolutions = created / days, resolved / days
    net = arrivals - resolutions
    projection = pd.DataFrame([{"day": d, "backlog": max(0, round(backlog_now + net * d))}
                               for d in range(1, FORECAST_DAYS + 1)])
    clear = backlog_now / -net if backlog_now > 0 and net < 0 else (0.0 if backlog_now == 0 else None)
    if clear is not None and math.isinf(clear):
        clear = None
    return Forecast(backlog_now, arrivals, resolutions, projection, clear)
