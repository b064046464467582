"""A screenshot tour of every page, for every role, on a desktop and on a phone.

    python docs/tour.py --out /tmp/tour            # this checkout
    python docs/tour.py --out /tmp/tour --repo DIR # another checkout (e.g. before/after a change)

It builds a throwaway SQLite database with the project's own CLI (`init-db`, `seed-demo` with a
fixed seed, so two runs show the same world), starts the real app with `streamlit run`, and
drives Debian Chromium with Playwright. It knows the app only by its URLs and widget keys,
never by where page files live, so it runs unchanged before and after files move.
Writes <role>_<page>_<width>.png (full page). A tool, not a test: it stops at the first page
that does not show its heading.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

WAIT_MS = 60_000
SIZES = [(1366, 900), (390, 844)]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
LOADING = "[data-testid='stSkeleton'], [data-testid='stSkeletonElement']"  # e.g. a table still loading its code
TICKET = re.compile(r"^CCR-\d+")  # the ticket pages' heading is the reference
# (page name, url path, heading) per role; "{ticket}" is the ticket the customer opened.
# Streamlit serves each role's first (default) page at "/": its own url_path says "Page not found".
TOUR = {
    "signed_out": [("sign_in", "", "Customer Care Registry"), ("sign_up", "sign_up", "Create your account"),
                   ("help", "help", "Help center"), ("assistant", "assistant", "Ask the assistant")],
    "customer": [("submit", "", "Submit a ticket"), ("my_tickets", "my_tickets", "My tickets"),
                 ("ticket", "ticket_view?ticket={ticket}", TICKET), ("profile", "profile", "Profile")],
    "agent": [("queue", "", "Queue"), ("ticket", "ticket_view?ticket={ticket}", TICKET),
              ("articles", "articles", "Articles")],
    "manager": [("analytics", "analytics", "Analytics"), ("audit_log", "audit_log", "Audit log")],
    "admin": [("queue", "", "Queue"), ("ticket", "ticket_view?ticket={ticket}", TICKET),
              ("users", "admin_users", "Users"), ("categories", "admin_categories", "Categories"),
              ("agent_skills", "admin_skills", "Agent skills"),
              ("canned_replies", "admin_canned_replies", "Canned replies"),
              ("sla_targets", "admin_sla", "SLA targets"), ("settings", "admin_settings", "Settings"),
              ("mail", "admin_mail", "Mail"), ("received_mail", "admin_received_mail", "Mail received")],
}
# Counts the script runs that end, so a step can wait for *its* run, not the previous one. It reads
# each change's old value: a quick run can start and end before the observer is called.
COUNT_RUNS = """
window.__tourRuns = 0;
new MutationObserver((records) => {
  for (const r of records) if (r.oldValue === "running") window.__tourRuns += 1;
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ["data-test-script-state"]});
"""
# Streamlit follows history changes inside one session (back/forward), so this opens a URL
# without reloading the page, which would start a new, signed-out session.
OPEN_IN_APP = "url => { history.pushState(null, '', url); dispatchEvent(new PopStateEvent('popstate')); }"


def cli(repo: Path, db_url: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", db_url, *args], cwd=repo,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    if done.returncode:
        sys.exit(f"helpdesk {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def seed(repo: Path, db_url: str) -> dict[str, str]:
    """A small demo world; returns the accounts and their one password as printed by seed-demo."""
    cli(repo, db_url, "init-db")
    # Enough tickets over a month for the analytics charts to have a shape.
    out = cli(repo, db_url, "seed-demo", "--tickets", "600", "--customers", "30", "--agents", "4", "--days", "45",
              "--seed", "42")
    found = re.search(r"the administrator (\S+), the manager (\S+), an agent such as (\S+), "
                      r"or a customer such as (\S+?)\.\n", out)
    password = re.search(r"shown only this once\): (\S+)", out)
    if not (found and password):
        sys.exit(f"could not read the demo accounts from seed-demo's output:\n{out}")
    admin, manager, agent, customer = found.groups()
    return {"admin": admin, "manager": manager, "agent": agent, "customer": customer, "password": password.group(1)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(repo: Path, db_url: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "HELPDESK_DATABASE_URL": db_url, "HELPDESK_SECRETS_FILE": str(workdir / "missing.toml")}
    log = open(workdir / "streamlit.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless",
                               "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                               "--browser.gatherUsageStats", "false"],
                              cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return server, base
        except OSError:
            time.sleep(0.25)  # polling the health check, not waiting for the page
    server.kill()
    sys.exit("the app did not answer /_stcore/health:\n" + (workdir / "streamlit.log").read_text(errors="replace"))


def settle(page, runs_before: int) -> None:
    """Wait until a script run newer than `runs_before` has ended and the app is idle."""
    page.wait_for_function("n => window.__tourRuns > n", arg=runs_before, timeout=WAIT_MS)
    page.wait_for_selector(IDLE, timeout=WAIT_MS)


def visit(page, path: str, heading) -> None:
    page.evaluate(OPEN_IN_APP, f"/{path}")
    # Every stop has a heading of its own, so that heading (not a run count) shows the page is there.
    page.wait_for_selector(IDLE, timeout=WAIT_MS)
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Page not found")).to_have_count(0)  # the address still leads to this page
    page.wait_for_selector(IDLE, timeout=WAIT_MS)


def keyed(page, key: str):
    """The container Streamlit gives the widget with key=`key`."""
    return page.locator(f".st-key-{key}")


def sign_in(page, email: str, password: str) -> None:
    keyed(page, "sign_in_email").locator("input").fill(email)
    keyed(page, "sign_in_password").locator("input").fill(password)
    runs = page.evaluate("window.__tourRuns")
    keyed(page, "sign_in_submit").locator("button").click()
    settle(page, runs)
    # Signing in reruns once more (st.rerun): wait for that run's sidebar, then for its end, so
    # the next navigation never lands while it is still running.
    expect(keyed(page, "sign_out")).to_be_attached(timeout=WAIT_MS)
    expect(keyed(page, "sign_in_email")).to_have_count(0, timeout=WAIT_MS)
    page.wait_for_selector(IDLE, timeout=WAIT_MS)


def shoot(page, path: Path, width: int, height: int) -> None:
    """Full page: Streamlit scrolls inside its own container, so grow the window to the content."""
    page.mouse.move(0, 0)  # no hover toolbars in the picture
    expect(page.locator(LOADING)).to_have_count(0, timeout=WAIT_MS)
    tall = page.evaluate("""() => Math.max(document.documentElement.scrollHeight,
        ...[...document.querySelectorAll("[data-testid='stMain'], [data-testid='stAppViewContainer']")]
           .map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": width, "height": min(max(height, tall), 10_000)})
    page.wait_for_selector(IDLE, timeout=WAIT_MS)
    expect(page.locator(LOADING)).to_have_count(0, timeout=WAIT_MS)
    page.evaluate("document.fonts.ready")
    page.screenshot(path=path, full_page=True, animations="disabled")
    page.set_viewport_size({"width": width, "height": height})


def first_customer_ticket(page) -> str:
    """The ticket My tickets opens first (its id comes from the URL, not the database)."""
    runs = page.evaluate("window.__tourRuns")
    keyed(page, "my_tickets_open_button").locator("button").click()
    settle(page, runs)
    page.wait_for_url(re.compile(r"ticket=\d+"), timeout=WAIT_MS)
    return re.search(r"ticket=(\d+)", page.url).group(1)


def tour(base: str, accounts: dict[str, str], out: Path) -> list[Path]:
    shots: list[Path] = []
    ticket = None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            for role, stops in TOUR.items():
                for width, height in SIZES:
                    context = browser.new_context(viewport={"width": width, "height": height})
                    context.add_init_script(COUNT_RUNS)
                    context.set_default_timeout(WAIT_MS)
                    page = context.new_page()
                    page.goto(f"{base}/")
                    settle(page, 0)
                    if role != "signed_out":
                        sign_in(page, accounts[role], accounts["password"])
                    if role == "customer" and ticket is None:
                        visit(page, "my_tickets", "My tickets")
                        ticket = first_customer_ticket(page)
                    for name, path, heading in stops:
                        visit(page, path.format(ticket=ticket), heading)
                        shots.append(out / f"{role}_{name}_{width}.png")
                        shoot(page, shots[-1], width, height)
                        print(shots[-1], flush=True)
                    context.close()
        finally:
            browser.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs (created)")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1],
                        help="checkout to run (default: the one this script sits in)")
    args = parser.parse_args()
    repo, out = args.repo.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ccr-tour-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite:///{workdir / 'tour.db'}"
        accounts = seed(repo, db_url)
        server, base = start_app(repo, db_url, workdir)
        try:
            shots = tour(base, accounts, out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"{len(shots)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
