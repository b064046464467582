"""A manager opens analytics on demo data: the figures and every chart are drawn, one number
opens the queue on exactly its tickets, and the page fits a phone. Screenshots at desktop and
phone width go to test-artifacts/screenshots/analytics_*.png."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpdesk.enums import Role
from tests.e2e.conftest import PROJECT_ROOT, app_database, browser_tab
from tests.e2e.steps import act, click, keyed, nav_link, settle, sign_in
from tests.factories import TEST_PASSWORD, add_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CHARTS = ("volume", "backlog_by_age", "resolution_by_priority", "resolution_by_category", "per_agent", "arrivals",
          "statuses", "categories", "forecast", "satisfaction_over_time", "satisfaction_by_first_response")


@pytest.fixture
def demo(fresh_app):
    base_url, database_url = fresh_app
    subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", database_url, "seed-demo", "--tickets", "600",
                    "--days", "45", "--agents", "5", "--customers", "40", "--seed", "7"],
                   cwd=PROJECT_ROOT, check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
    with app_database(database_url) as engine:
        add_user(engine, email="mia@example.com", role=Role.MANAGER, name="Mia Manager")
    return base_url


def open_analytics(page, base_url: str, *, signed_in: bool = False) -> None:
    page.goto(base_url)
    if signed_in:  # the browser keeps its sign-in (the session cookie)
        keyed(page, "sign_out").wait_for()
        settle(page)
    else:
        keyed(page, "sign_in_email").wait_for()
        sign_in(page, "mia@example.com", TEST_PASSWORD)
    click(page, nav_link(page, "Analytics"))
    page.locator("[data-testid='stMain'] h1", has_text="Analytics").wait_for()
    settle(page)


DRAWN = ".main-svg .trace, .main-svg .hm, .main-svg .boxlayer path"


def drawn_charts(page, names) -> set[str]:
    """The charts Plotly has drawn (an SVG with at least one trace inside), by name; each is
    scrolled into view first (the browser draws a chart once it is on screen)."""
    drawn = set()
    for name in names:
        card = keyed(page, f"analytics_card_{name}")
        card.scroll_into_view_if_needed()
        plot = card.locator(".js-plotly-plot")
        if plot.count():
            plot.first.locator(DRAWN).first.wait_for(state="attached")
            drawn.add(name)
    return drawn


def metric_value(page, label: str) -> str:
    tile = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").filter(has_text=label))
    return tile.first.get_by_test_id("stMetricValue").inner_text().strip()


def test_a_manager_reads_the_charts_and_opens_one_numbers_tickets(demo, browser, screenshots):
    with browser_tab(browser) as page:
        open_analytics(page, demo)
        for name in CHARTS:
            keyed(page, f"analytics_card_{name}").wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        expected = {"volume", "backlog_by_age", "resolution_by_priority", "resolution_by_category", "per_agent",
                    "arrivals", "statuses", "categories", "forecast"}
        assert drawn_charts(page, CHARTS) >= expected
        assert int(metric_value(page, "Tickets created").replace(",", "")) > 0
        page.screenshot(path=screenshots / "analytics_desktop.png", full_page=True)

        # A click on a bar offers exactly that bar's tickets.
        statuses = keyed(page, "analytics_chart_statuses")
        statuses.scroll_into_view_if_needed()
        closed_bar = statuses.locator(".bars .point path").last.bounding_box()  # the last status: Closed
        # Plotly's drag layer lies over the bars and turns a click there into the selection.
        act(page, lambda: page.mouse.click(closed_bar["x"] + closed_bar["width"] / 2,
                                           closed_bar["y"] + closed_bar["height"] / 2))
        picked = keyed(page, "analytics_card_statuses").get_by_role(
            "link", name=re.compile(r"The [\d,]+ raised in the range and closed now"))
        picked.wait_for()
        page.screenshot(path=screenshots / "analytics_picked_bar.png")

        # A square of the arrivals heatmap (Wednesday, 14:00) lists the tickets raised in that hour.
        arrivals = keyed(page, "analytics_chart_arrivals")
        arrivals.scroll_into_view_if_needed()
        square = arrivals.locator(".scatterlayer .point").nth(2 * 24 + 14).bounding_box()
        act(page, lambda: page.mouse.click(square["x"] + square["width"] / 2, square["y"] + square["height"] / 2))
        cell = keyed(page, "analytics_card_arrivals").get_by_role(
            "link", name=re.compile(r"The [\d,]+ tickets raised on Wed at 14:00 \(UTC\) in the range"))
        cell.wait_for()
        in_cell = int(re.search(r"The ([\d,]+)", cell.inner_text()).group(1).replace(",", ""))
        assert in_cell > 0  # the demo's customers write in office hours
        click(page, cell)
        page.locator("[data-testid='stMain'] h1", has_text="Queue").wait_for()
        settle(page)
        assert page.get_by_text(re.compile(r"only Wednesdays 14:00–15:00 \(UTC\)")).is_visible()
        headline = page.get_by_text(re.compile(r"All tickets: [\d,]+ tickets?")).inner_text()
        assert int(re.search(r"All tickets: ([\d,]+)", headline).group(1).replace(",", "")) == in_cell
        open_analytics(page, demo, signed_in=True)

        open_now = int(metric_value(page, "Open backlog").replace(",", ""))
        keyed(page, "analytics_kpi_definitions").get_by_text("What these numbers count").click()
        link = keyed(page, "analytics_links_backlog").get_by_role("link", name="Open now")
        click(page, link)
        page.locator("[data-testid='stMain'] h1", has_text="Queue").wait_for()
        settle(page)
        assert page.get_by_text("From the analytics: Open now").is_visible()
        headline = page.get_by_text(re.compile(r"All tickets: [\d,]+ tickets?")).inner_text()
        assert int(re.search(r"All tickets: ([\d,]+)", headline).group(1).replace(",", "")) == open_now


def test_analytics_fits_a_phone(demo, browser, screenshots):
    with browser_tab(browser, viewport=PHONE, is_mobile=True, has_touch=True) as phone:
        open_analytics(phone, demo)
        keyed(phone, "analytics_card_forecast").wait_for()
        phone.locator(".js-plotly-plot .main-svg").first.wait_for()
        width = phone.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"
        phone.screenshot(path=screenshots / "analytics_phone.png", full_page=True)
