"""How long does a click feel? The real app and a bare Streamlit page (benchmarks/bare_queue_page.py:
the queue's own query, the same 25 rows, a view radio and a page number, nothing else) run on the
same database, and headless Chromium clicks through both, an app click and a bare-page click in
turn, so a busy moment on the machine lands on both:

    python benchmarks/bench_clicks.py                       # /tmp/seed1m.db (built if missing)
    python benchmarks/bench_clicks.py --database-url URL --clicks 15 --warmup 2
    python benchmarks/bench_clicks.py --bare-freeze-gc      # the bare page without Streamlit's GC cost too

A click is timed in the browser, from the pointer going down to the first animation frame at
which the run it started has finished (the app's own script_finished message), the app shows
itself idle (`data-test-script-state="notRunning"`) and what the click should show is there (the
other view, the next page number, the ticket, the other button). Printed per kind of click:
median, p90, script runs per click, and the ratio to the bare page's median click (target: at
most 1.5x; the exit status is 1 when a kind is over).

The benchmark adds its own agent and customer (with a known password, through the account
service) and gives the customer enough tickets for a few pages; it deletes nothing. The app is
started exactly as the browser tests start it (tests/e2e/conftest.py `app_server`), the bare page
with the same flags.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from harness import DEFAULT_SQLITE, ROOT, ensure_data, safe_url  # first: it puts the project on sys.path
from helpdesk.accounts.users import NewAccount, create_user
from helpdesk.core.db import make_engine, session_scope
from helpdesk.enums import Priority, Role
from helpdesk.models import Category, Ticket, User
from helpdesk.tickets.customer import TicketDraft, create_ticket
from tests.e2e.conftest import CHROMIUM_ARGS, app_server
from tests.e2e.steps import IDLE, install_run_counter, keyed, sign_in

TARGET_RATIO = 1.5
PASSWORD = "Bench-Clicks-2024!"
AGENT_EMAIL = "bench.clicks.agent@example.com"
CUSTOMER_EMAIL = "bench.clicks.customer@example.com"
CUSTOMER_TICKETS = 120  # a few pages of My tickets
BARE_PAGE = "benchmarks/bare_queue_page.py"

# Runs are counted as the browser tests count them (tests/e2e/steps.py install_run_counter:
# window.__ccrRuns, read off the app's own messages; the idle attribute alone misses a run quick
# enough that the page never renders it as "running"), plus the time of the last press.
PRESS_SCRIPT = """
window.__benchPressAt = 0;
document.addEventListener("pointerdown", () => { window.__benchPressAt = performance.now(); }, true);
"""

# JavaScript predicates for "what the click should show is there".
MARKDOWN_HAS = """text => [...document.querySelectorAll("[data-testid='stMarkdownContainer']")]
    .some(e => e.innerText.includes(text))"""
CAPTION_HAS = """text => [...document.querySelectorAll("[data-testid='stCaptionContainer']")]
    .some(e => e.innerText.includes(text))"""
TITLE_STARTS = """text => [...document.querySelectorAll("h1")].some(e => e.innerText.startsWith(text))"""
BUTTON_HAS = """text => [...document.querySelectorAll("button")].some(e => e.innerText.includes(text))"""


# --- the data the clicks need ----------------------------------------------------------------

def ensure_accounts(url: str) -> tuple[int, int]:
    """(agent id, customer id): the benchmark's own accounts, made once through the services."""
    engine = make_engine(url)
    ids = []
    for email, name, role in ((AGENT_EMAIL, "Bench Agent", Role.AGENT), (CUSTOMER_EMAIL, "Bench Customer",
                                                                           Role.CUSTOMER)):
        with session_scope(engine) as session:
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                user = create_user(session=session, actor=None, role=role,
                                   data=NewAccount(name=name, email=email, password=PASSWORD,
                                                   password_repeat=PASSWORD))
            ids.append(user.id)
    agent_id, customer_id = ids
    with session_scope(engine) as session:
        have = session.scalar(select(func.count()).select_from(Ticket).where(Ticket.customer_id == customer_id))
        category_id = session.scalar(select(Category.id).where(Category.is_active).order_by(Category.id))
        customer = session.get(User, customer_id)
        for number in range(have or 0, CUSTOMER_TICKETS):
            create_ticket(session=session, actor=customer, data=TicketDraft(
                category_id=category_id, priority=Priority.NORMAL, subject=f"Benchmark ticket {number + 1}",
                description="A ticket the click benchmark pages through."))
    engine.dispose()
    return agent_id, customer_id


# --- the two servers -------------------------------------------------------------------------

@contextmanager
def bare_server(url: str, workdir: Path, actor_id: int, *, freeze_gc: bool) -> Iterator[str]:
    """The bare page, started the way the app is (app_server: same flags, same cwd)."""
    with app_server(url, workdir, script=BARE_PAGE, log_name="bare.log",
                    extra_env={"BARE_PAGE_ACTOR_ID": str(actor_id),
                               "BARE_PAGE_FREEZE_GC": "1" if freeze_gc else "0"}) as base_url:
        yield base_url


# --- one click -------------------------------------------------------------------------------

class Tab:
    """One browser tab (its own Streamlit session) and the clicks timed in it."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1300, "height": 900})
        install_run_counter(self.context)
        self.context.add_init_script(PRESS_SCRIPT)
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.page.goto(url)
        self.page.wait_for_selector(IDLE)

    def click(self, locator, shows: tuple[str, str]) -> tuple[float, int]:
        """Click; wait until a run started by it has finished, the app shows itself idle and
        `shows` (predicate, argument) is on screen, checked at every frame. Returns (ms from the
        pointer going down to that frame, script runs it took)."""
        page = self.page
        before = page.evaluate("[window.__ccrRuns.started, window.__ccrRuns.finished]")
        locator.click()
        predicate, argument = shows
        try:
            done_at = page.wait_for_function(
                f"""([finished, argument]) => window.__ccrRuns.finished > finished && !window.__ccrRuns.open
                    && document.querySelector("{IDLE}") !== null && ({predicate})(argument)
                    && performance.now()""",
                arg=[before[1], argument], polling="raf").json_value()
        except Exception:
            shot = ROOT / "test-artifacts" / "bench_clicks_timeout.png"
            shot.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
            state = page.evaluate("""[window.__ccrRuns, performance.now(),
                document.querySelector("[data-testid='stApp']").getAttribute("data-test-script-state")]""")
            raise SystemExit(f"no {argument!r} after the click (runs, finished before: {before}; "
                             f"now: {state}; screenshot: {shot})") from None
        pressed, runs = page.evaluate("[window.__benchPressAt, window.__ccrRuns.started]")
        return done_at - pressed, runs - before[0]

    def close(self) -> None:
        self.context.close()


def step_up(tab: Tab, key: str):
    return keyed(tab.page, key).get_by_test_id("stNumberInputStepUp")


def step_down(tab: Tab, key: str):
    return keyed(tab.page, key).get_by_test_id("stNumberInputStepDown")


def page_number(tab: Tab, key: str) -> int:
    return int(keyed(tab.page, key).locator("input").input_value())


class Clicks:
    """Each kind of click as a function returning (ms, runs), with the state it needs kept here."""

    VIEWS = ("All open", "Unassigned")

    def __init__(self, app_agent: Tab, app_customer: Tab, bare: Tab):
        self.agent, self.customer, self.bare = app_agent, app_customer, bare
        self.agent_view = self.bare_view = 0  # index into VIEWS of the view on screen
        self.customer_status_new = False

    def _view(self, tab: Tab, key: str, current: int) -> tuple[int, tuple[float, int]]:
        target = 1 - current
        label = self.VIEWS[target]
        return target, tab.click(keyed(tab.page, key).get_by_text(label, exact=True), (MARKDOWN_HAS, f"{label}:"))

    def _next_page(self, tab: Tab, key: str) -> tuple[float, int]:
        number = page_number(tab, key) + 1
        return tab.click(step_up(tab, key), (MARKDOWN_HAS, f"page {number:,} of"))

    def queue_view(self):
        self.agent_view, result = self._view(self.agent, "queue_view", self.agent_view)
        return result

    def queue_next_page(self):
        return self._next_page(self.agent, "queue_page")

    def queue_open_ticket(self):
        button = keyed(self.agent.page, "queue_open_button").locator("button")
        return self.agent.click(button, (TITLE_STARTS, "CCR-"))

    def ticket_reply_kind(self):
        radio = keyed(self.agent.page, "agent_reply_kind")
        to_note = radio.locator("input[type='radio']").first.is_checked()  # a fresh visit starts on "public"
        label = "Internal note (staff only)" if to_note else "Public reply (the customer sees it and is e-mailed)"
        shows = "Add internal note" if to_note else "Send public reply"
        return self.agent.click(radio.get_by_text(label, exact=True), (BUTTON_HAS, shows))

    def ticket_back_to_queue(self):
        # The page's own "← Queue" link, below any menu at the top that also names the queue.
        link = self.agent.page.get_by_test_id("stMain").get_by_role("link", name="Queue").last
        return self.agent.click(link, (MARKDOWN_HAS, f"{self.VIEWS[self.agent_view]}:"))

    def my_tickets_page(self):
        tab, key = self.customer, "my_tickets_page"
        number = page_number(tab, key)
        forward = number == 1
        target = number + 1 if forward else number - 1
        first = (target - 1) * 25 + 1
        return tab.click(step_up(tab, key) if forward else step_down(tab, key), (CAPTION_HAS, f"Showing {first:,}–"))

    def my_tickets_status(self):
        tab = self.customer
        self.customer_status_new = not self.customer_status_new
        option = "New" if self.customer_status_new else "All statuses"
        box = keyed(tab.page, "my_tickets_status").locator("input")
        box.click()
        box.fill(option)
        pick = tab.page.get_by_role("option", name=option, exact=True)
        return tab.click(pick, (CAPTION_HAS, "Showing "))

    def bare_view_change(self):
        self.bare_view, result = self._view(self.bare, "bare_view", self.bare_view)
        return result

    def bare_next_page(self):
        return self._next_page(self.bare, "bare_page")


# One round: each click once, in an order that leaves every page where the next click needs it.
APP_KINDS: list[tuple[str, str]] = [
    ("queue: change view", "queue_view"),
    ("queue: next page", "queue_next_page"),
    ("queue: open a ticket", "queue_open_ticket"),
    ("ticket: reply / note switch", "ticket_reply_kind"),
    ("ticket: back to the queue", "ticket_back_to_queue"),
    ("my tickets: next / previous page", "my_tickets_page"),
    ("my tickets: status filter", "my_tickets_status"),
]
BARE_KINDS: list[tuple[str, str]] = [
    ("bare: change view", "bare_view_change"),
    ("bare: next page", "bare_next_page"),
]


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def run(url: str, clicks: int, warmup: int, bare_freeze_gc: bool) -> int:
    agent_id, _ = ensure_accounts(url)
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="bench_clicks_") as tmp:
        workdir = Path(tmp)
        with app_server(url, workdir) as app_url, \
                bare_server(url, workdir, agent_id, freeze_gc=bare_freeze_gc) as bare_url, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            # The customer asks for /my_tickets signed out; the app goes on there after sign-in.
            agent, customer = Tab(browser, app_url), Tab(browser, f"{app_url}/my_tickets")
            bare = Tab(browser, bare_url)
            sign_in(agent.page, AGENT_EMAIL, PASSWORD)
            sign_in(customer.page, CUSTOMER_EMAIL, PASSWORD)
            customer.page.wait_for_selector("[data-testid='stCaptionContainer']:has-text('Showing 1–')")
            customer.page.wait_for_selector(IDLE)
            # The bench agent has nothing assigned: start both queues on the same view.
            keyed(agent.page, "queue_view").get_by_text(Clicks.VIEWS[0], exact=True).click()
            agent.page.wait_for_selector(f"[data-testid='stMarkdownContainer']:has-text('{Clicks.VIEWS[0]}:')")
            agent.page.wait_for_selector(IDLE)
            steps = Clicks(agent, customer, bare)
            timings: dict[str, list[float]] = {name: [] for name, _ in APP_KINDS + BARE_KINDS}
            runs: dict[str, list[int]] = {name: [] for name, _ in APP_KINDS + BARE_KINDS}
            started = time.monotonic()
            for round_number in range(warmup + clicks):
                # App and bare-page clicks alternate (the bare page's two kinds in turn).
                order = [kind for pair in zip(APP_KINDS, BARE_KINDS * len(APP_KINDS)) for kind in pair]
                for name, method in order:
                    ms, run_count = getattr(steps, method)()
                    if round_number >= warmup:
                        timings[name].append(ms)
                        runs[name].append(run_count)
            elapsed = time.monotonic() - started
            for tab in (agent, customer, bare):
                tab.close()
            browser.close()
    return report(url, timings, runs, clicks, warmup, elapsed, bare_freeze_gc)


def report(url: str, timings: dict[str, list[float]], runs: dict[str, list[int]], clicks: int, warmup: int,
           elapsed: float, bare_freeze_gc: bool) -> int:
    bare_all = [ms for name, _ in BARE_KINDS for ms in timings[name]]
    bare_median = statistics.median(bare_all)
    print(f"\nClicks in headless Chromium: {safe_url(url)}; {clicks} timed clicks of each kind after {warmup} "
          f"warm-up rounds ({elapsed:.0f} s); bare page "
          + ("with its long-lived objects frozen, as the app's" if bare_freeze_gc else "as Streamlit runs it"))
    print(f"{'click':36} {'median ms':>10} {'p90 ms':>8} {'runs':>5} {'vs bare':>8}")
    worst = 0.0
    for name, _ in BARE_KINDS + APP_KINDS:
        median = statistics.median(timings[name])
        ratio = median / bare_median
        if not name.startswith("bare"):
            worst = max(worst, ratio)
        print(f"{name:36} {median:10.0f} {p90(timings[name]):8.0f} {statistics.mean(runs[name]):5.1f} {ratio:7.2f}x")
    print(f"bare page, every click: median {bare_median:.0f} ms")
    verdict = "within" if worst <= TARGET_RATIO else "OVER"
    print(f"slowest app click: {worst:.2f}x the bare page ({verdict} the {TARGET_RATIO}x target)")
    return 0 if worst <= TARGET_RATIO else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=f"sqlite:///{DEFAULT_SQLITE}",
                        help=f"the database both pages use (default sqlite:///{DEFAULT_SQLITE})")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to have (default 1,000,000)")
    parser.add_argument("--clicks", type=int, default=15, help="timed clicks of each kind (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--bare-freeze-gc", action="store_true",
                        help="let the bare page also freeze its long-lived objects (helpdesk/ui/long_lived.py), "
                             "so only the pages' own work is compared")
    args = parser.parse_args(argv)
    ensure_data(args.database_url, args.tickets)
    return run(args.database_url, args.clicks, args.warmup, args.bare_freeze_gc)


if __name__ == "__main__":
    sys.exit(main())
