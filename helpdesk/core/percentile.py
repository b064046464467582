"""`percentile(column, fraction)`: PostgreSQL's exact percentile_cont on both backends.

PostgreSQL computes it natively (`percentile_cont(f) WITHIN GROUP (ORDER BY col)`); SQLite has
no such aggregate, so every SQLite connection gets `ccr_percentile(col, f)`, a registered
aggregate with the same definition: linear interpolation between the two nearest ranks of the
non-NULL values (NULL when there are none). Same numbers on both, checked by the tests."""
from __future__ import annotations

import math

from sqlalchemy import Float, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SQLITE_NAME = "ccr_percentile"


def interpolate(ordered: list[float], fraction: float) -> float | None:
    """percentile_cont over values already sorted ascending."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class SqlitePercentile:
    """The aggregate registered on SQLite connections (core.db)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        if value is not None:
            self.values.append(value)
            self.fraction = fraction

    def finalize(self):
        self.values.sort()
        return interpolate(self.values, self.fraction)


class percentile(FunctionElement):  # noqa: N801  (reads like the SQL function it stands for)
    type = Float()
    inherit_cache = True
    name = "percentile"

    def __init__(self, column, fraction: float) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("a percentile's fraction lies between 0 and 1")
        super().__init__(column, literal(float(fraction), Float()))


@compiles(percentile, "postgresql")
def _percentile_postgresql(element, compiler, **kw) -> str:
    column, fraction = element.clauses.clauses
    return (f"percentile_cont({compiler.process(fraction, literal_binds=True, **kw)}) "
            f"WITHIN GROUP (ORDER BY {compiler.process(column, **kw)})")


@compiles(percentile)
def _percentile_sqlite(element, compiler, **kw) -> str:
    column, fraction = element.clauses.clauses
    return f"{SQLITE_NAME}({compiler.process(column, **kw)}, {compiler.process(fraction, **kw)})"
