"""How a browser test takes a step and waits for the app: never a fixed pause.

Streamlit sets `data-test-script-state` on the app root to "running" while a script run
triggered by the last action executes and to "notRunning" when it is done. Right after a
click the attribute may still say "notRunning" from the run before, so waiting for it alone
can return before the click's run has even started; and a run quick enough may be over before
the page ever renders "running". The page therefore counts the runs that finish, read off the
app's own messages (a script run ends with a `script_finished` ForwardMsg), from a listener
installed before any page script; a step waits until a new run has finished and the app is idle
again; then the test checks what the step shows.
"""
from __future__ import annotations

from collections.abc import Callable

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# ForwardMsg fields: new_session (4) starts a run, script_finished (6, a status) ends it; status 0
# and 3 are a run (or a fragment's) that finished, 2 one cut short because another run follows.
COUNT_SCRIPT_RUNS = """
window.__ccrRuns = {started: 0, finished: 0, open: false};
(() => {
  const runs = window.__ccrRuns;
  const varint = (bytes, at) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, at];
  };
  const seen = (data) => {
    const bytes = new Uint8Array(data);
    let at = 0, key, value;
    while (at < bytes.length) {  // the top-level fields of one ForwardMsg
      [key, at] = varint(bytes, at);
      const wire = key & 7, field = Math.floor(key / 8);
      if (wire === 0) {
        [value, at] = varint(bytes, at);
        if (field === 6) {
          runs.open = false;
          if (value === 0 || value === 3) runs.finished += 1;
        }
      } else if (wire === 2) {
        [value, at] = varint(bytes, at);
        at += value;
        if (field === 4) { runs.started += 1; runs.open = true; }
      } else if (wire === 1) { at += 8; } else if (wire === 5) { at += 4; } else { break; }
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) seen(event.data);
        else if (event.data instanceof Blob) event.data.arrayBuffer().then(seen);
      });
    }
  };
})();
"""


def install_run_counter(context) -> None:
    context.add_init_script(COUNT_SCRIPT_RUNS)


def script_runs(page) -> int:
    return page.evaluate("window.__ccrRuns.finished")


def settle(page) -> None:
    """Wait until the app is idle (after a navigation, or after what the step shows appeared)."""
    page.wait_for_selector(IDLE)


def act(page, action: Callable[[], object]) -> None:
    """Do something that makes the app rerun, and wait for that rerun to start and finish."""
    before = script_runs(page)
    action()
    page.wait_for_function("before => window.__ccrRuns.finished > before && !window.__ccrRuns.open", arg=before)
    settle(page)


def click(page, locator) -> None:
    act(page, locator.click)


def keyed(page, key: str):
    """The container Streamlit gives a widget with key=`key`."""
    return page.locator(f".st-key-{key}")


def choose(page, key: str, option: str) -> None:
    """Pick `option` in a selectbox: focus it, type to filter, take the match. The app reruns
    unless the box sits in a form (which sends on submit) or `option` was chosen already."""
    widget = keyed(page, key)
    box = widget.locator("input")
    reruns = box.input_value() != option and not in_form(widget)
    box.click()
    box.fill(option)
    pick = page.get_by_role("option", name=option, exact=True)
    if reruns:
        click(page, pick)
    else:
        pick.click()


def in_form(locator) -> bool:
    return locator.locator("xpath=ancestor::*[@data-testid='stForm']").count() > 0


def nav_link(page, name: str):
    """A page in the menu bar at the top (pages may link to the same page in their text too);
    a page in a menu (an administrator's) is shown by opening that menu first."""
    bar = page.locator(".st-key-menu_bar")
    link = bar.get_by_role("link", name=name, exact=True)
    if link.count() and link.first.is_visible():
        return link.first
    click(page, bar.get_by_test_id("stPopoverButton"))
    return page.get_by_test_id("stPopoverBody").get_by_role("link", name=name, exact=True)


def sign_in(page, email: str, password: str) -> None:
    from playwright.sync_api import expect

    keyed(page, "sign_in_email").locator("input").fill(email)
    keyed(page, "sign_in_password").locator("input").fill(password)
    keyed(page, "sign_in_submit").locator("button").click()
    expect(keyed(page, "sign_out")).to_be_visible()
    settle(page)


def sign_out(page) -> None:
    from playwright.sync_api import expect

    keyed(page, "sign_out").locator("button").click()
    expect(keyed(page, "sign_in_email")).to_be_visible()
    settle(page)
