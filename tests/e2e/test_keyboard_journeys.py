"""The keyboard alone, no mouse: Tab / Shift+Tab / Enter / Space / arrow keys and typing. Every stop
Tab reaches shows where focus is (an outline, a ring or the field's coloured border). A visitor
signs up (a mistake announced at its field); a customer signs in and opens their pages from the menu
bar; raises a ticket with an attachment, opens it from My tickets, reads the agent's answer and
replies; an agent opens the queue, a ticket, replies and changes its status; notices, field errors and the conflict message are announced (role=alert) in
words with an icon. No click and no element.click() anywhere: only page.keyboard (and one .focus()
standing in for a real file dialog handing focus back)."""
from __future__ import annotations

import re

import pytest

from helpdesk.core.errors import CONFLICT
from helpdesk.enums import Priority, Role
from helpdesk.tickets.staff import add_agent_reply, change_priority
from tests.e2e.conftest import app_database, seeded_category_id
from tests.e2e.steps import act, keyed, settle
from tests.factories import TEST_PASSWORD, add_user, as_user, raise_ticket

pytestmark = pytest.mark.browser

# The theme's primaryColor: what Streamlit colours a focused field's border with.
PRIMARY = "rgb(26, 95, 208)"

# Focus is shown when the focused element, or one of the three around it that Streamlit draws the
# widget with, has an outline or a ring (box-shadow), or a text field's border turned the theme colour.
FOCUS_SHOWN = """(primary) => {
  let el = document.activeElement;
  if (!el || el === document.body) return false;
  for (let i = 0; i < 4 && el; i++, el = el.parentElement) {
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (box.width > 2 && box.height > 2 && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) return true;
    if (style.boxShadow !== 'none') return true;
    if (style.borderColor.startsWith(primary)) return true;
  }
  return false;
}"""

DESCRIBE_FOCUS = """() => { const el = document.activeElement;
  return `${el.tagName} ${el.getAttribute('aria-label') || el.innerText?.slice(0, 40) || ''}`; }"""


def focus_is_shown(page) -> None:
    try:
        page.wait_for_function(FOCUS_SHOWN, arg=PRIMARY, timeout=3_000)  # border colours fade in
    except Exception:
        raise AssertionError(f"no visible focus on {page.evaluate(DESCRIBE_FOCUS)!r}") from None


def tab_to(page, target, *, limit: int = 60) -> None:
    """Tab (or Shift+Tab, when `target` comes earlier in the page) until focus is inside `target`,
    checking at every stop that focus can be seen."""
    handle = target.element_handle()
    for _ in range(limit):
        if handle.evaluate("el => el.contains(document.activeElement)"):
            return
        before = handle.evaluate("el => !!(document.activeElement && document.activeElement !== document.body"
                                 " && (el.compareDocumentPosition(document.activeElement)"
                                 " & Node.DOCUMENT_POSITION_FOLLOWING))")
        page.keyboard.press("Shift+Tab" if before else "Tab")
        focus_is_shown(page)
    raise AssertionError(f"Tab never reached the target; focus is on {page.evaluate(DESCRIBE_FOCUS)!r}")


@pytest.fixture
def keyboard_app(fresh_app):
    base_url, database_url = fresh_app
    with app_database(database_url) as engine:
        add_user(engine, email="carla@example.com", role=Role.CUSTOMER, name="Carla Customer")
    return base_url


def test_a_customer_signs_in_and_moves_between_pages_by_keyboard_with_focus_always_visible(page, keyboard_app):
    from playwright.sync_api import expect

    page.goto(keyboard_app)
    keyed(page, "sign_in_email").wait_for()
    settle(page)
    tab_to(page, keyed(page, "sign_in_email").locator("input"))
    page.keyboard.type("carla@example.com")
    tab_to(page, keyed(page, "sign_in_password").locator("input"))
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")  # sends the sign-in form
    expect(keyed(page, "sign_out")).to_be_visible()
    settle(page)
    expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()

    # Every stop from the top of the page to the form's subject shows focus; then the menu bar by Shift+Tab.
    tab_to(page, keyed(page, "submit_subject").locator("input"))
    tab_to(page, keyed(page, "menu_bar").get_by_role("link", name="My tickets"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    settle(page)
    tab_to(page, keyed(page, "menu_bar").get_by_role("link", name="Profile"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Signed in as carla@example.com")).to_be_visible()


# Streamlit's st.success / st.error / st.warning draw a notification with role="alert" (a live region
# screen readers read out at once) and the icon each call passes; the words carry the meaning.
ANNOUNCED = "[role=alert], [role=status]"


def announced(page, text: str) -> None:
    """`text` is shown in a live region, as words next to an icon: not told by colour only."""
    from playwright.sync_api import expect

    notice = page.locator(ANNOUNCED).filter(has_text=text).first  # a conflict shows at the top and at the form
    expect(notice).to_be_visible()
    expect(notice.locator("[data-testid=stAlertDynamicIcon], [data-testid=stIconMaterial]").first).to_be_visible()


def press(page, key: str) -> None:
    """A key that makes the app rerun (Enter on a button, a choice in a box): wait for that run."""
    act(page, lambda: page.keyboard.press(key))


def sign_in_by_keyboard(page, base_url: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url)
    keyed(page, "sign_in_email").wait_for()
    settle(page)
    tab_to(page, keyed(page, "sign_in_email").locator("input"))
    page.keyboard.type(email)
    tab_to(page, keyed(page, "sign_in_password").locator("input"))
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(keyed(page, "sign_out")).to_be_visible()
    settle(page)


def choose_by_keyboard(page, key: str, option: str, *, reruns: bool) -> None:
    """A selectbox by keyboard: Tab to it, type to filter, arrow down to the match, Enter takes it."""
    from playwright.sync_api import expect

    box = keyed(page, key).locator("input")
    tab_to(page, box)
    page.keyboard.type(option)
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
    page.keyboard.press("ArrowDown")
    press(page, "Enter") if reruns else page.keyboard.press("Enter")
    expect(box).to_have_value(option)


def open_first_from_menu(page, menu: str, heading: str) -> None:
    from playwright.sync_api import expect

    tab_to(page, keyed(page, "menu_bar").get_by_role("link", name=menu))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    settle(page)


CUSTOMER_SUBJECT = "Scanner jams on page two"
ANSWER = "Please clean the rollers with a dry cloth and try again."
CUSTOMER_REPLY = "Cleaned them, it works now. Thank you!"


def test_a_customer_raises_a_ticket_with_an_attachment_reads_the_answer_and_replies_by_keyboard(
        page, fresh_app, tmp_path):
    from playwright.sync_api import expect

    base_url, database_url = fresh_app
    with app_database(database_url) as engine:
        add_user(engine, email="carla@example.com", role=Role.CUSTOMER, name="Carla Customer")
        agent = add_user(engine, email="alex@example.com", role=Role.AGENT, name="Alex Agent")
    sign_in_by_keyboard(page, base_url, "carla@example.com")
    expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()

    choose_by_keyboard(page, "submit_category", "Technical problem", reruns=True)
    tab_to(page, keyed(page, "submit_subject").locator("input"))
    page.keyboard.type(CUSTOMER_SUBJECT)
    press(page, "Tab")  # leaving a field sends it: the suggested articles rerun
    tab_to(page, keyed(page, "submit_description").locator("textarea"))
    page.keyboard.type("Every scan stops with a paper jam on the second page.")
    press(page, "Tab")
    log = tmp_path / "scanner.log"
    log.write_text("J17 paper jam, tray 2\n")
    # Streamlit 1.67 names the uploader's button "Upload" (older versions: "Browse files").
    tab_to(page, keyed(page, "submit_files_0").get_by_role("button", name=re.compile(r"Upload$")))
    settle(page)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(log)
    # A real file dialog, once closed, gives focus back to the file input; Playwright's stand-in
    # leaves it half there (document.activeElement, yet not :focus, and Tab goes nowhere). Do what
    # the browser does; focus (not a click) is no mouse step.
    keyed(page, "submit_files_0").locator("input[type=file]").focus()
    expect(keyed(page, "submit_files_0").get_by_text("scanner.log")).to_be_visible()
    tab_to(page, keyed(page, "submit_button").locator("button"))
    page.keyboard.press("Space")
    received = page.get_by_text(re.compile(r"Your ticket CCR-\d{6} has been received"))
    expect(received).to_be_visible()
    settle(page)
    announced(page, "has been received")
    reference = re.search(r"CCR-\d{6}", received.inner_text()).group(0)

    with app_database(database_url) as engine:  # the agent answers (through the service the agent page uses)
        as_user(engine, agent, add_agent_reply, ticket_id=int(reference[4:]), body=ANSWER)

    open_first_from_menu(page, "My tickets", "My tickets")
    expect(page.get_by_role("combobox", name="Open a ticket")).to_have_value(f"{reference} — {CUSTOMER_SUBJECT}")
    tab_to(page, keyed(page, "my_tickets_open_button").locator("button"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    settle(page)
    expect(page.get_by_text(ANSWER)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"scanner\.log"))).to_be_visible()

    tab_to(page, keyed(page, "reply_body").locator("textarea"))
    page.keyboard.type(CUSTOMER_REPLY)
    tab_to(page, keyed(page, "reply_submit").locator("button"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    settle(page)
    announced(page, "Your reply was sent.")
    expect(page.get_by_text(CUSTOMER_REPLY)).to_be_visible()


AGENT_SUBJECT = "Invoice shows the wrong address"
AGENT_REPLY = "Fixed: the next invoice goes to your new address."


def test_an_agent_opens_the_queue_and_a_ticket_replies_and_changes_its_status_by_keyboard(page, fresh_app):
    from playwright.sync_api import expect

    base_url, database_url = fresh_app
    with app_database(database_url) as engine:
        customer = add_user(engine, email="carla@example.com", role=Role.CUSTOMER, name="Carla Customer")
        agent = add_user(engine, email="alex@example.com", role=Role.AGENT, name="Alex Agent")
        ticket_id = raise_ticket(engine, customer=customer, category=seeded_category_id(engine),
                                 subject=AGENT_SUBJECT, description="It still has my old street.",
                                 assignee_id=agent.id)
    reference = f"CCR-{ticket_id:06d}"
    sign_in_by_keyboard(page, base_url, "alex@example.com")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.get_by_role("combobox", name="Open a ticket")).to_have_value(re.compile(reference))
    tab_to(page, keyed(page, "queue_open_button").locator("button"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    settle(page)
    expect(page.get_by_text("It still has my old street.")).to_be_visible()
    # The SLA badge says its state in words, whatever colour it has.
    expect(keyed(page, "agent_sla")).to_contain_text(re.compile(r"First response: due in \d"))

    # Sent empty: the field error is announced, in words with an icon.
    tab_to(page, keyed(page, "agent_reply_send").locator("button"))
    page.keyboard.press("Enter")
    announced(page, "Write a message.")
    settle(page)

    reply_box = keyed(page, "agent_reply_body").locator("textarea")
    tab_to(page, reply_box)
    page.keyboard.type(AGENT_REPLY)
    press(page, "Control+Enter")  # commits the text, as leaving the box would
    tab_to(page, keyed(page, "agent_reply_send").locator("button"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Reply sent to the customer.")).to_be_visible()
    settle(page)
    announced(page, "Reply sent to the customer.")
    expect(page.get_by_text(AGENT_REPLY)).to_be_visible()
    expect(reply_box).to_have_value("")

    # Meanwhile the ticket changes elsewhere (the same agent in another tab): the save is refused, said in words.
    with app_database(database_url) as engine:
        as_user(engine, agent, change_priority, ticket_id=ticket_id, priority=Priority.HIGH)
    choose_by_keyboard(page, "agent_status", "Resolved", reruns=False)  # in the form
    tab_to(page, keyed(page, "agent_fields_save").locator("button"))
    page.keyboard.press("Enter")
    announced(page, CONFLICT)
    settle(page)

    choose_by_keyboard(page, "agent_status", "Resolved", reruns=False)
    tab_to(page, keyed(page, "agent_fields_save").locator("button"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    settle(page)
    announced(page, "Changes saved.")
    expect(page.get_by_role("combobox", name="Status")).to_have_value("Resolved (now)")


def test_a_visitor_signs_up_by_keyboard_and_a_mistake_is_announced_at_its_field(page, fresh_app):
    from playwright.sync_api import expect

    base_url, _database_url = fresh_app
    page.goto(base_url)
    keyed(page, "sign_in_email").wait_for()
    settle(page)
    tab_to(page, page.get_by_role("link", name="Create a customer account"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    settle(page)

    def type_into(key: str, text: str) -> None:
        field = keyed(page, key).locator("input")
        tab_to(page, field)
        page.keyboard.press("Control+A")  # replace what an earlier try left there
        page.keyboard.type(text)

    type_into("sign_up_name", "Kim Keyboard")
    type_into("sign_up_email", "kim.keyboard@example.com")
    type_into("sign_up_password", "short")
    type_into("sign_up_password_repeat", "short")
    tab_to(page, keyed(page, "sign_up_submit").locator("button"))
    press(page, "Enter")
    # Said in words, in a live region, with nothing typed lost.
    announced(page, "Use at least 10 characters.")
    expect(keyed(page, "sign_up_name").locator("input")).to_have_value("Kim Keyboard")
    expect(keyed(page, "sign_up_email").locator("input")).to_have_value("kim.keyboard@example.com")

    type_into("sign_up_password", "Kim-Keys-Only-42")
    type_into("sign_up_password_repeat", "Kim-Keys-Only-42")
    tab_to(page, keyed(page, "sign_up_submit").locator("button"))
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Signed in as Kim Keyboard")).to_be_visible()
