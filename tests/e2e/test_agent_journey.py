"""An agent's working day in small, in a real browser against the running app: the admin adds
the agent, a customer raises a ticket, the agent finds it in the queue, claims it, replies and
resolves it; then the customer sees the reply and the status Resolved."""
from __future__ import annotations

import re

import pytest

from tests.factories import TEST_PASSWORD
from tests.e2e.steps import act, choose, click, keyed, nav_link, settle, sign_in, sign_out

pytestmark = pytest.mark.browser

# Nothing from the people's names or addresses: the password rule refuses those.
AGENT_PASSWORD = "Trellis-Oboe-42"
CUSTOMER_PASSWORD = "Canyon-Lantern-42"
SUBJECT = "Parcel arrived empty"
REPLY = "So sorry, Erin! A replacement ships today; no need to return anything."


def test_agent_claims_replies_and_resolves_and_the_customer_sees_it(page, live_app, screenshots):
    from playwright.sync_api import expect

    def shot(name: str) -> None:
        settle(page)
        page.screenshot(path=screenshots / f"agent_{name}.png", full_page=True)

    # The admin adds the agent.
    page.goto(live_app)
    settle(page)
    sign_in(page, "ada@example.com", TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    nav_link(page, "Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    settle(page)
    page.get_by_text("Create a staff account").click()
    keyed(page, "new_user_role").get_by_text("Agent", exact=True).click()
    keyed(page, "new_user_name").locator("input").fill("Alan Agent")
    keyed(page, "new_user_email").locator("input").fill("alan.journey@example.com")
    keyed(page, "new_user_password").locator("input").fill(AGENT_PASSWORD)
    keyed(page, "new_user_password_repeat").locator("input").fill(AGENT_PASSWORD)
    keyed(page, "new_user_submit").locator("button").click()
    expect(page.get_by_text("Created agent account for alan.journey@example.com.")).to_be_visible()
    sign_out(page)

    # A customer raises a ticket.
    click(page, page.get_by_role("link", name="Create a customer account"))
    keyed(page, "sign_up_name").locator("input").fill("Erin Customer")
    keyed(page, "sign_up_email").locator("input").fill("erin.journey@example.com")
    keyed(page, "sign_up_password").locator("input").fill(CUSTOMER_PASSWORD)
    keyed(page, "sign_up_password_repeat").locator("input").fill(CUSTOMER_PASSWORD)
    keyed(page, "sign_up_submit").locator("button").click()
    expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
    settle(page)
    choose(page, "submit_category", "Billing")
    keyed(page, "submit_subject").locator("input").fill(SUBJECT)
    keyed(page, "submit_description").locator("textarea").fill("The box came with nothing inside.")
    keyed(page, "submit_button").locator("button").click()
    received = page.get_by_text(re.compile(r"Your ticket CCR-\d{6} has been received"))
    expect(received).to_be_visible()
    reference = re.search(r"CCR-\d{6}", received.inner_text()).group(0)
    settle(page)
    sign_out(page)

    # The agent finds it among the unassigned tickets.
    sign_in(page, "alan.journey@example.com", AGENT_PASSWORD)
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.get_by_text("Nothing is assigned to you right now")).to_be_visible()
    click(page, keyed(page, "queue_show_unassigned").locator("button"))
    keyed(page, "queue_search").locator("input").fill(reference)
    act(page, lambda: keyed(page, "queue_search").locator("input").press("Enter"))
    expect(page.get_by_text("Unassigned: 1 ticket")).to_be_visible()
    first_row = keyed(page, "queue_table").locator("tbody tr[role=row]").first.locator("td")
    expect(first_row.nth(0)).to_have_text(reference)
    expect(first_row.nth(1)).to_have_text(re.compile(r"^due in "))  # the SLA marker, in words
    expect(first_row.nth(2)).to_have_text(SUBJECT)
    shot("01_queue_unassigned")

    keyed(page, "queue_open_button").locator("button").click()
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    settle(page)
    expect(page.get_by_text("The box came with nothing inside.")).to_be_visible()
    expect(page.get_by_text("First response: due in", exact=False)).to_be_visible()
    shot("02_ticket_opened")

    keyed(page, "agent_claim").get_by_role("button", name="Claim this ticket").click()
    expect(page.get_by_text("You work on this ticket now.")).to_be_visible()
    settle(page)
    expect(keyed(page, "agent_claim")).to_have_count(0)

    reply_box = keyed(page, "agent_reply_body").locator("textarea")
    reply_box.fill(REPLY)
    act(page, lambda: reply_box.press("Control+Enter"))  # commit the text before the click
    keyed(page, "agent_reply_send").locator("button").click()
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    settle(page)
    expect(page.get_by_text(REPLY)).to_be_visible()
    expect(reply_box).to_have_value("")
    shot("03_replied")

    choose(page, "agent_status", "Resolved")
    keyed(page, "agent_fields_save").locator("button").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    settle(page)
    expect(page.get_by_role("combobox", name="Status")).to_have_value("Resolved (now)")
    shot("04_resolved")
    sign_out(page)

    # The customer sees the answer and the new status.
    sign_in(page, "erin.journey@example.com", CUSTOMER_PASSWORD)
    nav_link(page, "My tickets").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Showing 1–1 of 1 ticket")).to_be_visible()
    expect(page.get_by_role("combobox", name="Open a ticket")).to_have_value(f"{reference} — {SUBJECT}")
    keyed(page, "my_tickets_open_button").locator("button").click()
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    settle(page)
    expect(page.get_by_text(REPLY)).to_be_visible()
    expect(page.get_by_text("Resolved", exact=True)).to_be_visible()
    shot("05_customer_sees_reply")
