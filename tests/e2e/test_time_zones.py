"""Times read in the viewer's own time zone, from the browser, named (issue 9, item 17): they
were raw UTC strings everywhere."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import app_database, browser_tab, seeded_category_id
from tests.e2e.steps import keyed, settle, sign_in
from tests.factories import TEST_PASSWORD, add_user, raise_ticket

pytestmark = pytest.mark.browser
RAISED = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def ticket_raised_at_noon_utc(fresh_app) -> int:
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        carla = add_user(engine, email="carla@example.com", name="Carla Customer")
        return raise_ticket(engine, customer=carla, category=seeded_category_id(engine), created_at=RAISED,
                            updated_at=RAISED)


@pytest.mark.parametrize("zone,shown", [("Europe/Berlin", "2026-01-15 13:00 CET"),
                                        ("America/New_York", "2026-01-15 07:00 EST"),
                                        ("UTC", "2026-01-15 12:00 UTC")])
def test_the_ticket_page_shows_times_in_the_browsers_time_zone(fresh_app, ticket_raised_at_noon_utc, browser,
                                                               zone, shown):
    base_url, _ = fresh_app
    with browser_tab(browser, timezone_id=zone) as page:
        page.goto(f"{base_url}/ticket_view?ticket={ticket_raised_at_noon_utc}")
        keyed(page, "sign_in_email").wait_for()
        sign_in(page, "carla@example.com", TEST_PASSWORD)
        page.get_by_text(f"Raised {shown}").wait_for()
        settle(page)
