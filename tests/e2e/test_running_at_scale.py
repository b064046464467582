"""Running on more than one machine (issue 13), with deploy/'s configuration on real parts.

- Two Streamlit replicas on one PostgreSQL database, with the same secrets and no mail thread
  (HELPDESK_MAIL_BACKGROUND=0), behind Debian's nginx running the site deploy/nginx/render_config.py
  makes, over HTTPS. In Chromium, through the proxy: a failed sign-in is counted against the browser's own
  address (not the proxy's, not one the browser made up), then sign-in, a ticket with a 3 MB
  attachment (above nginx's default body limit), and its download, byte for byte, all on one
  replica (sticky). Then that replica is stopped; after a reload the person is still signed in on
  the other one, and the ticket and its attachment are still there. Then it comes back: the page,
  whose websocket is on the other replica now, has its next upload go there too (with plain
  `hash $cookie consistent` stickiness it went back to the restarted replica, which answered 400 and
  the file was lost), and the reply with its attachment is saved.
- Two `python -m helpdesk notify --loop` workers on the same PostgreSQL database deliver 200 queued
  mails to aiosmtpd: every one exactly once (by Message-ID), none lost, both workers sharing.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from contextlib import ExitStack

import pytest
from sqlalchemy import func, select

from helpdesk.accounts.users import SIGN_IN_FAILED
from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.enums import OutboxStatus, Role
from helpdesk.models import Attachment, LoginThrottle, OutboxMessage, User
from helpdesk.notifications import compose, outbox
from helpdesk.ui.session_routes import SESSION_COOKIE, START_PATH
from tests.conftest import postgres_schema
from tests.e2e.conftest import PROJECT_ROOT, _free_port, app_server, browser_tab
from tests.e2e.nginx_proxy import PROXY_SOURCE_ADDRESS, nginx_proxy
from tests.e2e.steps import choose, keyed, settle
from tests.factories import TEST_PASSWORD, add_category, add_user
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)

CARLA = "carla@example.com"
SPOOFED_CLIENT = "198.51.100.7"  # what the browser claims to be, in a header of its own making
ROUTE_COOKIE = "ccr_route"


def shared_secrets(proxy_url: str) -> dict[str, str]:
    """What every web replica and worker is given alike (deploy/helpdesk.env)."""
    return {"HELPDESK_MAIL_BACKGROUND": "0",
            "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_urlsafe(32),
            "HELPDESK_SECRET_KEY": secrets.token_urlsafe(32),
            "HELPDESK_TRUSTED_PROXIES": PROXY_SOURCE_ADDRESS,
            "HELPDESK_BASE_URL": proxy_url}


def throttle_keys(engine) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(select(LoginThrottle.key).order_by(LoginThrottle.key)))


def replica_of(proxy, route: str) -> str:
    """The one replica that served every request of the browser holding route cookie `route`."""
    served = {request.upstreams[-1] for request in proxy.browser_requests()
              if request.route == route and request.upstreams}
    assert len(served) == 1, f"one browser's requests went to {served}: not sticky"
    return served.pop()


@pytest.mark.browser
def test_two_replicas_behind_nginx_keep_the_sign_in_when_one_stops(browser, tmp_path):
    from playwright.sync_api import expect

    https_port, http_port = _free_port(), _free_port()
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_schema())
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        migrate(engine)
        add_user(engine, email="ada@example.com", name="Ada Admin", role=Role.ADMIN)  # past the first-run setup
        add_user(engine, email=CARLA, name="Carla Customer", role=Role.CUSTOMER)
        add_category(engine, "Technical problem")

        env = shared_secrets(f"https://127.0.0.1:{https_port}")
        replicas = {}  # "127.0.0.1:port" -> the ExitStack that keeps it running
        for name in ("a", "b"):
            own = ExitStack()
            stack.callback(own.close)
            base_url = own.enter_context(app_server(database_url, tmp_path, extra_env=env,
                                                    log_name=f"replica-{name}.log"))
            replicas[base_url.removeprefix("http://")] = own
        proxy = stack.enter_context(nginx_proxy(tmp_path / "nginx", replicas=list(replicas),
                                                https_port=https_port, http_port=http_port))
        page = stack.enter_context(browser_tab(browser, ignore_https_errors=True,
                                               extra_http_headers={"X-Forwarded-For": SPOOFED_CLIENT}))

        page.goto(f"{proxy.base_url}/submit")
        settle(page)
        # A failed sign-in counts against the browser's own address as nginx saw it (127.0.0.1),
        # not the proxy's (every visitor would share it) nor the one the browser claimed.
        keyed(page, "sign_in_email").locator("input").fill(CARLA)
        keyed(page, "sign_in_password").locator("input").fill("not-the-password")
        keyed(page, "sign_in_submit").locator("button").click()
        expect(page.get_by_text(SIGN_IN_FAILED)).to_be_visible()
        settle(page)
        assert throttle_keys(engine) == [f"address:{CARLA}", "client:127.0.0.1"]

        keyed(page, "sign_in_password").locator("input").fill(TEST_PASSWORD)
        with page.expect_response(lambda r: r.url.endswith(START_PATH)) as handed:
            keyed(page, "sign_in_submit").locator("button").click()
        assert handed.value.status == 204
        expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
        settle(page)
        # A new connection (as a new tab would open), signed in by the cookie alone; it starts the
        # form from scratch rather than racing the runs that follow a sign-in.
        page.goto(proxy.base_url)  # a customer's home is the submit form
        expect(page.get_by_role("heading", name="Submit a ticket")).to_be_visible()
        settle(page)
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies[SESSION_COOKIE]["secure"], "behind HTTPS the sign-in cookie is Secure"
        route = cookies[ROUTE_COOKIE]["value"]

        # A ticket with an attachment bigger than nginx lets through by default (1 MB).
        attachment = tmp_path / "router.log"
        attachment.write_bytes(b"".join(f"{n:07d} link flapped on port {n % 48}\n".encode()
                                        for n in range(100_000)))  # about 3.4 MB of text
        choose(page, "submit_category", "Technical problem")  # outside the form: the page reruns
        keyed(page, "submit_subject").locator("input").fill("Router drops the line")
        keyed(page, "submit_description").locator("textarea").fill("Every few minutes; the log is attached.")
        keyed(page, "submit_files_0").locator("input[type=file]").set_input_files(attachment)
        expect(keyed(page, "submit_files_0").get_by_text("router.log")).to_be_visible()
        keyed(page, "submit_button").locator("button").click()
        expect(page.get_by_text(re.compile(r"Your ticket CCR-\d{6} has been received"))).to_be_visible()
        settle(page)
        reference = re.search(r"CCR-\d{6}", page.get_by_text("has been received").inner_text()).group(0)
        page.get_by_role("link", name=f"Open {reference}").click()
        expect(page.get_by_role("heading", name=reference)).to_be_visible()
        settle(page)

        def downloaded() -> bytes:
            button = page.get_by_role("button", name=re.compile(r"router\.log"))
            expect(button).to_be_visible()
            settle(page)
            with page.expect_download() as download:
                button.click()
            return open(download.value.path(), "rb").read()

        assert downloaded() == attachment.read_bytes()
        ticket_address = page.url

        serving = replica_of(proxy, route)  # and every request so far went there: sticky
        other = next(replica for replica in replicas if replica != serving)
        replicas.pop(serving).close()  # the replica that held the session is gone

        page.reload()
        settle(page)
        expect(keyed(page, "sign_out")).to_be_visible()  # still signed in, by the cookie alone
        expect(keyed(page, "sign_in_email")).to_have_count(0)
        expect(page.get_by_role("heading", name=reference)).to_be_visible()
        assert page.url == ticket_address
        assert downloaded() == attachment.read_bytes()
        after = proxy.browser_requests()[-5:]
        assert all(request.upstreams[-1] == other for request in after), after
        moved = {c["name"]: c["value"] for c in page.context.cookies()}[ROUTE_COOKIE]
        assert moved != route  # the route cookie names the replica that answered now

        # The stopped replica comes back. The open page's websocket is on the other one now, so
        # its uploads must go there too, not back to the replica it started on.
        stack.enter_context(app_server(database_url, tmp_path, extra_env=env, log_name="replica-back.log",
                                       port=int(serving.rpartition(":")[2])))
        proxy.wait_until_served(route, by=serving)  # nginx uses it again for the browsers it had
        reply = tmp_path / "again.log"
        reply.write_bytes(b"still flapping\n" * 1000)
        keyed(page, "reply_body").locator("textarea").fill("It happened again; log attached.")
        keyed(page, "reply_files_0").locator("input[type=file]").set_input_files(reply)
        expect(keyed(page, "reply_files_0").get_by_text("again.log")).to_be_visible()
        keyed(page, "reply_submit").locator("button").click()
        expect(page.get_by_text("Your reply was sent.")).to_be_visible()
        settle(page)
        expect(page.get_by_role("button", name=re.compile(r"again\.log"))).to_be_visible()
        uploads = [r for r in proxy.browser_requests() if "/_stcore/upload_file/" in r.request]
        assert uploads[-1].upstreams[-1] == other and uploads[-1].status == 204, uploads[-1]
        with session_scope(engine) as session:
            stored = {a.filename: a.content for a in session.scalars(select(Attachment))}
        assert stored == {"router.log": attachment.read_bytes(), "again.log": reply.read_bytes()}

        # The plain-HTTP server only sends people to HTTPS.
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/my_tickets")
        answer = plain.getresponse()
        assert (answer.status, answer.getheader("Location")) == (301, "https://127.0.0.1/my_tickets")
        plain.close()


# --- the mail workers ------------------------------------------------------------------------

MAILS = 200
WORKERS = 2
DRAIN_DEADLINE_S = 60
_SENT_LINE = re.compile(r"Outbox: (\d+) sent")


def _worker(database_url: str, smtp_env: dict[str, str], log_path) -> subprocess.Popen:
    env = {**os.environ, **smtp_env, "HELPDESK_DATABASE_URL": database_url, "HELPDESK_MAIL_BACKGROUND": "0",
           "HELPDESK_SECRETS_FILE": str(log_path.parent / "no-secrets.toml")}
    with open(log_path, "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "helpdesk", "notify", "--loop", "--interval", "0.2",
                                 "--batch", "10"], cwd=PROJECT_ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _wait_until(condition, deadline_s: float, what: str, workers=()) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        for worker in workers:
            assert worker.poll() is None, f"a mail worker exited while {what}"
        assert time.monotonic() < deadline, f"not {what} within {deadline_s} s"
        time.sleep(0.05)  # polling a state, not hoping: the loop ends when the state is reached


def _undelivered(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))) or 0


def test_two_mail_workers_deliver_200_queued_mails_each_exactly_once(smtp_server, tmp_path):  # noqa: F811
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_schema())
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        migrate(engine)

        logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
        workers = [_worker(database_url, smtp_server.env(), log) for log in logs]
        for worker in workers:
            stack.callback(_stop, worker)
        # Both are polling before the mail arrives, so they compete for it from the first batch.
        _wait_until(lambda: all("Mail worker started" in log.read_text() for log in logs), 30,
                    "both mail workers started", workers)

        with session_scope(engine) as session:
            requester = User(name="Ada", email="ada@example.com")
            queued = [outbox.enqueue(session, event="test", recipient=None, recipient_email=f"person{n}@example.com",
                                     mail=compose.admin_test_mail(f"person{n}@example.com", requester))
                      for n in range(MAILS)]
            session.flush()
            queued_ids = [row.id for row in queued]
        started = time.monotonic()
        _wait_until(lambda: _undelivered(engine) == 0, DRAIN_DEADLINE_S, "the outbox drained", workers)
        drained_after = time.monotonic() - started
        smtp_server.wait_for(MAILS, timeout=10)
        for worker in workers:
            _stop(worker)
        received = list(smtp_server.messages)  # after both have stopped: a late duplicate would be here too

        message_ids = [mail.message["Message-ID"] for mail in received]
        assert len(message_ids) == MAILS, f"{len(message_ids)} mails arrived for {MAILS} queued"
        with session_scope(engine) as session:  # each row's id carries the token made at its claim
            expected_ids = {f"<ccr-outbox-{row.id}.{row.message_token}@example.com>"
                            for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(queued_ids)))}
        assert set(message_ids) == expected_ids  # none lost, none doubled, none foreign
        assert sorted(m.to for m in received) == sorted(f"person{n}@example.com" for n in range(MAILS))
        with session_scope(engine) as session:
            states = session.execute(select(OutboxMessage.status, OutboxMessage.attempts, func.count())
                                     .group_by(OutboxMessage.status, OutboxMessage.attempts)).all()
        assert [(status, attempts, count) for status, attempts, count in states] == [(OutboxStatus.SENT, 1, MAILS)]
        sent_by = [sum(int(n) for n in _SENT_LINE.findall(log.read_text())) for log in logs]
        assert sum(sent_by) == MAILS and all(sent_by), f"each worker's share: {sent_by}"
        print(f"\n{MAILS} mails delivered by {WORKERS} workers in {drained_after:.1f} s (shares {sent_by})")


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)  # the worker finishes its pass and exits
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# --- deploy/ says what the app reads ---------------------------------------------------------

DEPLOY = PROJECT_ROOT / "deploy"


def _env_example() -> dict[str, str]:
    lines = (DEPLOY / "helpdesk.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def _exec_start(unit: str) -> list[str]:
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").split()


def test_the_env_file_sets_what_the_app_and_the_workers_read(monkeypatch, tmp_path):
    from helpdesk.accounts.client_address import trusted_proxies
    from helpdesk.core import config, signing
    from helpdesk.inbound_mail.imap_settings import background_reader_enabled, imap_settings
    from helpdesk.notifications.background import background_sender_enabled
    from helpdesk.notifications.smtp_settings import smtp_settings

    env = _env_example()
    for name in list(os.environ):
        if name.startswith(("HELPDESK_", "STREAMLIT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HELPDESK_SECRETS_FILE", str(tmp_path / "none.toml"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert config.database_url().startswith("postgresql+psycopg://")
    assert config.base_url() == "https://help.example.com"
    assert signing.configured_secret() == env["HELPDESK_SECRET_KEY"].encode()
    assert [str(n) for n in trusted_proxies()] == ["10.0.0.10/32"]
    assert not background_sender_enabled() and not background_reader_enabled()
    assert smtp_settings().host == "smtp.example.com" and imap_settings().host == "imap.example.com"
    # Streamlit reads its option from the environment when it loads its configuration.
    read = "from streamlit import config; print(config.get_option('server.cookieSecret'))"
    seen = subprocess.run([sys.executable, "-c", read], env={**os.environ}, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert seen.stdout.strip() == env["STREAMLIT_SERVER_COOKIE_SECRET"], seen.stderr
    assert not {name for name in env if not name.startswith(("HELPDESK_", "STREAMLIT_"))}


def test_the_units_start_commands_that_exist():
    from streamlit import config as streamlit_config

    from helpdesk.cli import build_parser

    for unit in ("helpdesk-notify.service", "helpdesk-fetch-mail.service", "helpdesk-maintenance.service"):
        command = _exec_start(unit)
        assert command[1:3] == ["-m", "helpdesk"], unit
        build_parser().parse_args(command[3:])  # exits (fails the test) on an unknown command or option
    web = _exec_start("helpdesk-web@.service")
    assert web[1:5] == ["-m", "streamlit", "run", "streamlit_app.py"]
    options = [word.removeprefix("--") for word in web[5:] if word.startswith("--")]
    assert options and all(option in streamlit_config.get_config_options() for option in options), options
    for unit in (DEPLOY / "systemd").glob("*.service"):
        assert "EnvironmentFile=/etc/helpdesk/helpdesk.env" in unit.read_text(), unit.name


def test_nginx_takes_uploads_as_large_as_the_app_does():
    import tomllib

    streamlit_mb = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    [nginx_mb] = re.findall(r"^\s*client_max_body_size (\d+)m;", (DEPLOY / "nginx" / "helpdesk.conf").read_text(),
                            flags=re.MULTILINE)
    assert streamlit_mb < int(nginx_mb) <= streamlit_mb + 5  # the multipart envelope, and not much more


def _render_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("render_config", DEPLOY / "nginx" / "render_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_nginx_site_is_what_the_renderer_makes_for_the_documented_layout():
    rendered = subprocess.run([sys.executable, str(DEPLOY / "nginx" / "render_config.py"), "--server-name",
                               "help.example.com", "--replica", "10.0.0.11:8501", "--replica", "10.0.0.12:8501"],
                              capture_output=True, text=True, timeout=30, check=True).stdout
    assert rendered == (DEPLOY / "nginx" / "helpdesk.conf").read_text()


def test_each_replica_has_its_route_and_the_others_as_backups():
    render = _render_module()
    replicas = ["10.0.0.11:8501", "10.0.0.12:8501", "[2001:db8::13]:8501"]
    site = render.render(replicas=replicas, server_name="help.example.com", certificate="/c.pem",
                         certificate_key="/k.pem", log_dir="/var/log/nginx/", http_listen=["80"], https_listen=["443"])
    routes = [render.route_of(replica) for replica in replicas]
    assert len(set(routes)) == 3 and all(re.fullmatch(r"r[0-9a-f]{10}", route) for route in routes)
    assert f"    33.33% {routes[0]};\n    33.33% {routes[1]};\n    * {routes[2]};\n" in site
    # A replica's route is its own: removing another one renames nothing.
    without_first = render.render(replicas=replicas[1:], server_name="h", certificate="/c", certificate_key="/k",
                                  log_dir="/l", http_listen=["80"], https_listen=["443"])
    assert f"upstream helpdesk_{routes[1]} {{\n    server 10.0.0.12:8501 " in without_first
    for route, replica in zip(routes, replicas):
        group = re.search(rf"upstream helpdesk_{route} {{\n(.*?)}}", site, flags=re.DOTALL).group(1)
        assert group.splitlines()[0] == f"    server {replica} max_fails=1 fail_timeout=10s;"
        assert group.count(" backup;") == 2 and replica not in group.split("\n", 1)[1]
        assert f'"{route}:{route}" "";' in site and f"    {route} {route};" in site
        assert re.search(rf'"~\(\^\|, \){re.escape(re.escape(replica))}\$" {route};', site)
    assert "access_log /var/log/nginx/helpdesk.access.log helpdesk;" in site


@pytest.mark.parametrize("replicas, server_name, message", [
    ([], "help.example.com", "at least one replica"),
    (["10.0.0.11"], "help.example.com", "host:port"),
    (["10.0.0.11:8501; include /etc/passwd"], "help.example.com", "host:port"),
    (["10.0.0.11:8501", "10.0.0.11:8501"], "help.example.com", "each replica once"),
    (["10.0.0.11:8501"], "help.example.com; return 200", "not a server name"),
])
def test_the_renderer_refuses_what_would_make_a_broken_or_different_site(replicas, server_name, message):
    with pytest.raises(ValueError, match=message):
        _render_module().render(replicas=replicas, server_name=server_name, certificate="/c", certificate_key="/k",
                                log_dir="/l", http_listen=["80"], https_listen=["443"])
