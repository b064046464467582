"""The real app in a subprocess on a free port, and headless Chromium driving it.

Locally a missing Chromium or Playwright skips with the reason; under CI=true it fails."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sqlalchemy import Engine

from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.enums import Role
from helpdesk.tickets.categories import list_categories
from tests.conftest import skip_or_fail
from tests.factories import add_category, add_user
from tests.e2e.steps import install_run_counter

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
START_DEADLINE_S = 90


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def app_database(database_url: str) -> Iterator[Engine]:
    """The running app's database, opened to seed it from a fixture and closed again."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def seeded_category_id(engine: Engine) -> int:
    """The first of the categories seeded_database made (Billing)."""
    with session_scope(engine) as session:
        return list_categories(session=session)[0].id


def seeded_database(workdir: Path) -> str:
    """A SQLite file with an admin and two categories."""
    url = f"sqlite:///{workdir / 'helpdesk.db'}"
    with app_database(url) as engine:
        migrate(engine)
        add_user(engine, email="ada@example.com", role=Role.ADMIN, name="Ada Admin")
        for name in ("Billing", "Technical problem"):
            add_category(engine, name)
    return url


@contextmanager
def app_server(url: str, workdir: Path, *, script: str = "streamlit_app.py", extra_env: dict[str, str] | None = None,
               log_name: str = "streamlit.log", port: int | None = None) -> Iterator[str]:
    """`streamlit run streamlit_app.py` (or another `script`, such as the click benchmark's bare page) on
    `url`; yields its base URL once /_stcore/health answers. Its output goes to workdir/log_name."""
    port = port or _free_port()  # a given port: a server started again where it was
    env = {**os.environ, "HELPDESK_DATABASE_URL": url, "HELPDESK_SECRETS_FILE": str(workdir / "no-secrets.toml"),
           **(extra_env or {})}
    log_path = workdir / log_name
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not _healthy(f"{base_url}/_stcore/health"):
            if time.monotonic() > deadline:
                pytest.fail(f"{script} did not answer /_stcore/health within {START_DEADLINE_S} s:\n"
                            + log_path.read_text(errors="replace"))
            try:  # doubles as the pause between polls, and notices a crashed server at once
                server.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"{script} exited while starting:\n" + log_path.read_text(errors="replace"))
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """Base URL of the real app on a pre-seeded SQLite file (admin + categories), shared by the session."""
    workdir = tmp_path_factory.mktemp("live_app")
    with app_server(seeded_database(workdir), workdir) as base_url:
        yield base_url


@pytest.fixture
def fresh_app(tmp_path):
    """(base URL, database URL) of a just-started server that has served nobody yet."""
    url = seeded_database(tmp_path)
    with app_server(url, tmp_path) as base_url:
        yield base_url, url


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


DESKTOP = {"width": 1300, "height": 900}


@contextmanager
def browser_tab(browser, **context_options) -> Iterator:
    """A page in a fresh browser context (its own cookies, so its own app session) that counts
    the app's runs for the steps; desktop-sized unless `viewport` says otherwise."""
    context = browser.new_context(**{"viewport": DESKTOP, **context_options})
    install_run_counter(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    # What a step shows may take a while on a loaded 2-core machine (an upload, a slow rerun):
    # expect() waits for it, up to this long, instead of its default 5 s.
    from playwright.sync_api import expect  # here: Playwright may be missing (the browser fixture says so)
    expect.set_options(timeout=15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser):
    with browser_tab(browser) as page:
        yield page


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
