"""Files the uploader can't take are named, with the reason, before anything is saved (issue 9,
item 7): an SVG or an 11 MB file chosen beside a valid one used to vanish silently, and the
ticket was created with "Thank you!" and without it. Headless Chromium, the real app."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from helpdesk.core.db import session_scope
from helpdesk.models import Ticket
from tests.e2e.conftest import app_database
from tests.e2e.steps import choose, click, keyed, sign_in
from tests.factories import TEST_PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def carla(fresh_app):
    _, database_url = fresh_app
    with app_database(database_url) as engine:
        add_user(engine, email="carla@example.com", name="Carla Customer")


def tickets(database_url) -> int:
    with app_database(database_url) as engine, session_scope(engine) as session:
        return session.query(Ticket).count()


@pytest.mark.parametrize("refused_name,size,why", [
    ("drawing.svg", 200, "“drawing.svg” is not an allowed type."),
    ("huge.log", 11 * 1024 * 1024, "“huge.log” is larger than 10 MB."),
])
def test_a_file_that_cant_be_attached_is_named_and_nothing_is_saved(fresh_app, carla, page, tmp_path, screenshots,
                                                                    refused_name, size, why):
    base_url, database_url = fresh_app
    page.goto(base_url)
    keyed(page, "sign_in_email").wait_for()
    sign_in(page, "carla@example.com", TEST_PASSWORD)
    choose(page, "submit_category", "Technical problem")
    keyed(page, "submit_subject").locator("input").fill("Printer smokes")
    keyed(page, "submit_description").locator("textarea").fill("Since this morning.")
    good, refused = tmp_path / "printer.log", tmp_path / refused_name
    good.write_text("E42 overheating\n")
    refused.write_bytes((b"<svg xmlns='http://www.w3.org/2000/svg'/>" if refused_name.endswith(".svg") else b"x")
                        .ljust(size, b" "))
    keyed(page, "submit_files_0").locator("input[type=file]").set_input_files([good, refused])
    expect(keyed(page, "submit_files_0").get_by_text(refused_name)).to_be_visible()
    click(page, keyed(page, "submit_button").locator("button"))
    expect(page.get_by_text(why)).to_be_visible()
    page.screenshot(path=screenshots / f"refused_upload_{refused_name}.png")
    assert page.get_by_text("has been received").count() == 0
    assert tickets(database_url) == 0
    expect(keyed(page, "submit_subject").locator("input")).to_have_value("Printer smokes")  # nothing typed is lost


def test_two_tickets_in_a_row_leave_no_widget_warning_in_the_server_log(fresh_app, carla, page, tmp_path):
    """Issue 9, item 17: every submit after the first logged "submit_priority ... created with a
    default value but also had its value set via the Session State API"."""
    base_url, database_url = fresh_app
    page.goto(base_url)
    keyed(page, "sign_in_email").wait_for()
    sign_in(page, "carla@example.com", TEST_PASSWORD)
    for subject in ("Printer smokes", "Printer smokes again"):
        choose(page, "submit_category", "Technical problem")
        keyed(page, "submit_subject").locator("input").fill(subject)
        keyed(page, "submit_description").locator("textarea").fill("Since this morning.")
        click(page, keyed(page, "submit_button").locator("button"))
        expect(page.get_by_text("has been received")).to_be_visible()
        expect(keyed(page, "submit_subject").locator("input")).to_have_value("")
    assert tickets(database_url) == 2
    log = (tmp_path / "streamlit.log").read_text(errors="replace")  # the app server's own output
    assert "Session State API" not in log, log
