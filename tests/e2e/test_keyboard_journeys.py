"""The keyboard alone, no mouse: Tab / Shift+Tab / Enter and typing. Every stop Tab reaches shows
where focus is (an outline, a ring or the field's coloured border), and a customer signs in and
opens their pages from the menu bar.

Still to come (issue 14): the whole journeys by keyboard (raise a ticket with an attachment,
reply; the agent's queue, reply and status change)."""
from __future__ import annotations

import pytest

from helpdesk.enums import Role
from tests.e2e.conftest import app_database
from tests.e2e.steps import keyed, settle
from tests.factories import TEST_PASSWORD, add_user

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
