"""A new customer's first visit, in a real browser against the running app: sign up (after
one mistake), raise a ticket with an attachment, find it in My tickets, open it, reply."""
from __future__ import annotations

import re

import pytest

from tests.e2e.steps import choose, click, keyed, settle

pytestmark = pytest.mark.browser

SUBJECT = "Printer is on fire"


def test_new_customer_signs_up_submits_a_ticket_with_an_attachment_and_finds_it(page, live_app, screenshots,
                                                                                 tmp_path):
    from playwright.sync_api import expect

    def shot(name: str) -> None:
        settle(page)
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)

    page.goto(live_app)
    expect(page.get_by_role("heading", name="Customer Care Registry")).to_be_visible()
    expect(keyed(page, "sign_in_email").locator("input")).to_be_visible()
    settle(page)
    shot("01_sign_in")

    page.get_by_role("link", name="Create a customer account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    settle(page)
    keyed(page, "sign_up_name").locator("input").fill("Carla Customer")
    keyed(page, "sign_up_email").locator("input").fill("carla@example.com")
    keyed(page, "sign_up_password").locator("input").fill("short")
    keyed(page, "sign_up_password_repeat").locator("input").fill("short")
    keyed(page, "sign_up_submit").locator("button").click()
    # The mistake is explained at the password field; what was typed is still there.
    expect(page.get_by_text("Use at least 10 characters.")).to_be_visible()
    settle(page)
    expect(keyed(page, "sign_up_name").locator("input")).to_have_value("Carla Customer")
    shot("02_sign_up_error")

    keyed(page, "sign_up_password").locator("input").fill("Carla-Secret-42")
    keyed(page, "sign_up_password_repeat").locator("input").fill("Carla-Secret-42")
    keyed(page, "sign_up_submit").locator("button").click()
    expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Signed in as Carla Customer")).to_be_visible()
    shot("03_submit_form")

    # The choice reruns the page; a subject typed and committed within the same ~0.2 s, before
    # that run ends, came back empty in 1 of 6 tries (README: known limits), so the step waits.
    choose(page, "submit_category", "Technical problem")
    keyed(page, "submit_subject").locator("input").fill(SUBJECT)
    keyed(page, "submit_description").locator("textarea").fill("Since this morning the printer smokes.")
    log = tmp_path / "printer.log"
    log.write_text("E42 overheating at 09:14\n")
    keyed(page, "submit_files_0").locator("input[type=file]").set_input_files(log)
    expect(keyed(page, "submit_files_0").get_by_text("printer.log")).to_be_visible()
    keyed(page, "submit_button").locator("button").click()
    expect(page.get_by_text(re.compile(r"Your ticket CCR-\d{6} has been received"))).to_be_visible()
    settle(page)
    reference = re.search(r"CCR-\d{6}", page.get_by_text("has been received").inner_text()).group(0)
    expect(page.get_by_role("link", name=f"Open {reference}")).to_be_visible()
    expect(keyed(page, "submit_subject").locator("input")).to_have_value("")  # ready for the next one
    shot("04_ticket_submitted")

    page.get_by_role("link", name="My tickets").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Showing 1–1 of 1 ticket")).to_be_visible()
    # The table is drawn on a canvas; the grid keeps an accessible copy of its rows inside it.
    first_row = keyed(page, "my_tickets_table").locator("tbody tr[role=row]").first.locator("td")
    expect(first_row.nth(0)).to_have_text(reference)
    expect(first_row.nth(1)).to_have_text(SUBJECT)
    expect(first_row.nth(2)).to_have_text("New")
    expect(page.get_by_role("combobox", name="Open a ticket")).to_have_value(f"{reference} — {SUBJECT}")
    shot("05_my_tickets")

    # Filtered to status "New", the ticket is still listed.
    keyed(page, "my_tickets_status").click()
    click(page, page.get_by_role("option", name="New", exact=True))
    expect(keyed(page, "my_tickets_table").locator("tbody tr[role=row]")).to_have_count(1)
    expect(page.get_by_role("combobox", name="Open a ticket")).to_have_value(f"{reference} — {SUBJECT}")
    shot("06_my_tickets_new")

    keyed(page, "my_tickets_open_button").locator("button").click()
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    settle(page)
    expect(page.get_by_text(SUBJECT)).to_be_visible()
    expect(page.get_by_text("New", exact=True)).to_be_visible()
    download_button = page.get_by_role("button", name=re.compile(r"printer\.log"))
    expect(download_button).to_be_visible()
    shot("07_ticket")
    with page.expect_download() as download:
        download_button.click()
    assert download.value.suggested_filename == "printer.log"
    assert open(download.value.path(), "rb").read() == log.read_bytes()
    settle(page)

    keyed(page, "reply_body").locator("textarea").fill("Still smoking. I unplugged it.")
    keyed(page, "reply_submit").locator("button").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Still smoking. I unplugged it.")).to_be_visible()
    shot("08_ticket_replied")
