"""Under CI a skip is a failure, and a run that tested no PostgreSQL or no browser is a failure.

Locally a missing real part (PostgreSQL, Chromium) skips with its reason. In CI the same skip
would hide that a whole layer went untested, so every skipped test is reported as failed, and
the session fails when collection found no PostgreSQL-parametrized test or no browser test
(a renamed fixture or a bad marker expression must not turn CI green by testing less).
"""
from __future__ import annotations

import os

import pytest

CI_VALUES = {"true", "1", "yes"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in CI_VALUES


def uses_postgresql(item: pytest.Item) -> bool:
    """A test that runs against the PostgreSQL server: a backend parameter or the PostgreSQL-only fixture."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in callspec.params.values():
        return True
    return "postgres_engine" in getattr(item, "fixturenames", ())


def is_browser_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None


def pytest_collection_finish(session: pytest.Session) -> None:
    if not in_ci() or session.config.option.collectonly:
        return
    missing = []
    if not any(uses_postgresql(item) for item in session.items):
        missing.append("no PostgreSQL-parametrized test was collected")
    if not any(is_browser_test(item) for item in session.items):
        missing.append("no browser test was collected")
    if missing:
        raise pytest.UsageError("CI=true but " + " and ".join(missing)
                                + ": CI must test every backend and the browser.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if not in_ci() or not report.skipped:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    if hasattr(report, "wasxfail"):
        reason = f"expected failure: {report.wasxfail or 'no reason given'}"
        del report.wasxfail
    report.outcome = "failed"
    report.longrepr = f"CI=true forbids skipping, but this test skipped: {reason}"
