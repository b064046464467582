"""`python -m helpdesk ...` against SQLite and PostgreSQL: each command at least once as a real
subprocess per backend (run_cli, and on a pseudo-terminal), its other cases through the same entry
point in this process (run_cli_in_process)."""
from __future__ import annotations

import contextlib
import io
import logging
import os
import pty
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from helpdesk.accounts import users as accounts_users
from helpdesk.accounts.passwords import verify_password
from helpdesk.core.config import PROJECT_ROOT
from helpdesk.core.db import current_revision, make_engine, session_scope
from helpdesk.enums import OPEN_STATUSES, Priority, Role, TicketStatus
from helpdesk.models import AgentSkill, Category, Ticket, TicketEvent, TicketMessage, User
from helpdesk.sla.clock import DEFAULT_TARGETS_HOURS
from helpdesk.tickets import customer as tickets_customer

GOOD_PASSWORD = "Tide-Lantern-8731"


def run_cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HELPDESK_DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "helpdesk", "--database-url", url, *args], input=stdin,
                          capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=300)


def run_cli_in_process(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The same command through the same entry point as `python -m helpdesk` (helpdesk.__main__
    exits with helpdesk.cli.main's return value), in this process: its exit code, what it printed
    on stdout and stderr, and on stderr too the log lines the CLI's own logging setup shows (its
    WARNING default, helpdesk's INFO, the same format). A new interpreter costs seconds of imports
    (and the embedding model) per run, so each command keeps one real subprocess run per backend
    (run_cli) and its other cases run here."""
    from helpdesk.cli import main

    out, err = io.StringIO(), io.StringIO()
    root, ours = logging.getLogger(), logging.getLogger("helpdesk")
    saved = root.level, ours.level, sys.stdin
    # main() calls logging.basicConfig, which does nothing once pytest's handlers are on the root
    # logger: this handler writes what basicConfig's would have, to the captured stderr.
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--database-url", url, *args])
            except SystemExit as exit_:  # argparse's usage errors and --help, as sys.exit() in a process
                if exit_.code is None or isinstance(exit_.code, int):
                    code = exit_.code or 0
                else:
                    print(exit_.code, file=sys.stderr)
                    code = 1
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        ours.setLevel(saved[1])
        sys.stdin = saved[2]
    return subprocess.CompletedProcess(["python", "-m", "helpdesk", "--database-url", url, *args], code,
                                       out.getvalue(), err.getvalue())


@pytest.fixture
def db(blank_database_url):
    engine = make_engine(blank_database_url)
    yield blank_database_url, engine
    engine.dispose()


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


# --- init-db ---------------------------------------------------------------------------------

def test_init_db_creates_the_schema(db):
    url, engine = db
    result = run_cli(url, "init-db")
    assert result.returncode == 0, result.stderr
    assert "Database at revision" in result.stdout
    assert {"users", "tickets", "ticket_messages", "ticket_events", "agent_skills"} <= set(inspect(engine).get_table_names())
    assert current_revision(engine) is not None
    # Running it again is harmless.
    assert run_cli_in_process(url, "init-db").returncode == 0


# --- create-user -----------------------------------------------------------------------------

def test_create_user_reads_the_password_from_stdin_and_never_prints_it(db):
    url, engine = db
    result = run_cli(url, "create-user", "--role", "agent", "--email", "Sam.Agent@Example.com",
                     "--name", "Sam Agent", stdin=GOOD_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "sam.agent@example.com" in result.stdout
    assert GOOD_PASSWORD not in result.stdout + result.stderr
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.email == "sam.agent@example.com"))
        assert user.role == Role.AGENT and user.name == "Sam Agent"
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, GOOD_PASSWORD)
        # The account signs in with the same service the app uses.
        assert accounts_users.authenticate(session=session, email="sam.agent@example.com", password=GOOD_PASSWORD).id == user.id


def test_create_user_works_for_every_role(db):
    url, engine = db
    for role in ("customer", "agent", "admin"):
        result = run_cli_in_process(url, "create-user", "--role", role, "--email", f"{role}@example.com",
                                    "--name", role.title(), stdin=GOOD_PASSWORD + "\n")
        assert result.returncode == 0, result.stderr
    with session_scope(engine) as session:
        assert {u.email: u.role.value for u in session.scalars(select(User))} == {
            "customer@example.com": "customer", "agent@example.com": "agent", "admin@example.com": "admin"}


@pytest.mark.parametrize(("email", "password", "expected"), [
    ("ok@example.com", "short1A", "password: Use at least 10 characters."),
    ("ok@example.com", "aaaaaaaaaaaa", "password: "),
    ("not-an-email", GOOD_PASSWORD, "--email: Enter a valid e-mail address"),
    ("ok@example.com", "", "password: Use at least 10 characters."),
])
def test_create_user_rejects_bad_input_and_writes_nothing(db, email, password, expected):
    url, engine = db
    result = run_cli_in_process(url, "create-user", "--role", "customer", "--email", email, "--name", "Pat",
                                stdin=password + "\n")
    assert result.returncode != 0
    assert "Nothing was created" in result.stderr
    assert expected in result.stderr
    if password:
        assert password not in result.stdout + result.stderr
    assert count(engine, User) == 0


def test_create_user_refuses_a_taken_email(db):
    url, engine = db
    assert run_cli_in_process(url, "create-user", "--role", "customer", "--email", "pat@example.com", "--name", "Pat",
                              stdin=GOOD_PASSWORD + "\n").returncode == 0
    again = run_cli_in_process(url, "create-user", "--role", "admin", "--email", "PAT@example.com", "--name", "Pat 2",
                               stdin=GOOD_PASSWORD + "\n")
    assert again.returncode != 0
    assert "--email: An account with this e-mail already exists" in again.stderr
    assert count(engine, User) == 1


def run_cli_at_terminal(url: str, *args: str, answers: list[str]) -> tuple[int, str]:
    """Run the CLI on a real pseudo-terminal, typing each answer after its prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin/stdout are the terminal
        os.chdir(PROJECT_ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "helpdesk", "--database-url", url, *args])
    output = b""
    pending = list(answers)
    answered_up_to = 0
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        # Answer a prompt only once it is shown: getpass discards anything typed earlier.
        if pending and output[answered_up_to:].endswith(b": "):
            os.write(fd, pending.pop(0).encode() + b"\n")
            answered_up_to = len(output)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_create_user_asks_twice_at_a_terminal_without_echo(db):
    url, engine = db
    code, output = run_cli_at_terminal(url, "create-user", "--role", "admin", "--email", "t@example.com",
                                       "--name", "Terry", answers=[GOOD_PASSWORD, GOOD_PASSWORD])
    assert code == 0, output
    assert "Password:" in output and "Repeat password:" in output
    assert GOOD_PASSWORD not in output
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.email == "t@example.com"))
        assert user.role == Role.ADMIN and verify_password(user.password_hash, GOOD_PASSWORD)


def test_create_user_refuses_two_different_passwords_at_a_terminal(db):
    url, engine = db
    code, output = run_cli_at_terminal(url, "create-user", "--role", "agent", "--email", "t@example.com",
                                       "--name", "Terry", answers=[GOOD_PASSWORD, GOOD_PASSWORD + "x"])
    assert code != 0
    assert "password: The two passwords differ." in output
    assert count(engine, User) == 0


def test_there_is_no_password_argument(db):
    url, engine = db
    result = run_cli_in_process(url, "create-user", "--role", "admin", "--email", "a@example.com", "--name", "A",
                                "--password", GOOD_PASSWORD, stdin=GOOD_PASSWORD + "\n")
    assert result.returncode == 2
    assert "unrecognized arguments: --password" in result.stderr
    assert "--password" not in run_cli_in_process(url, "create-user", "--help").stdout
    assert "users" not in inspect(engine).get_table_names() or count(engine, User) == 0


# --- seed-demo -------------------------------------------------------------------------------

def seed(url: str, *args: str, run=run_cli_in_process) -> subprocess.CompletedProcess:
    result = run(url, "seed-demo", *args)
    assert result.returncode == 0, result.stderr
    return result


def printed_password(result: subprocess.CompletedProcess) -> str | None:
    match = re.search(r"shown only this once\): (\S+)", result.stdout)
    return match.group(1) if match else None


def test_seed_demo_creates_consistent_realistic_data(db):
    url, engine = db
    # 14 days so that a small sample still has recent, unresolved tickets.
    result = seed(url, "--tickets", "300", "--customers", "40", "--agents", "6", "--days", "14", run=run_cli)
    assert "Seeding tickets" in result.stderr and "300/300" in result.stderr  # the progress bar
    password = printed_password(result)
    assert password and result.stdout.count(password) == 1

    with session_scope(engine) as session:
        users = session.scalars(select(User)).all()
        roles = [u.role for u in users]
        assert [roles.count(role) for role in (Role.CUSTOMER, Role.AGENT, Role.MANAGER, Role.ADMIN)] == [40, 6, 1, 1]
        # One password for everyone, hashed once, never stored in clear.
        assert len({u.password_hash for u in users}) == 1
        assert verify_password(users[0].password_hash, password)
        assert password not in users[0].password_hash
        manager = accounts_users.authenticate(session=session, email="manager@support.example.com", password=password)
        assert manager.role == Role.MANAGER
        admin = accounts_users.authenticate(session=session, email="admin@support.example.com", password=password)
        assert admin.role == Role.ADMIN
        assert ("Sign in as the administrator admin@support.example.com, the manager manager@support.example.com, "
                "an agent such as ") in result.stdout

        assert {c.name for c in session.scalars(select(Category))} >= {
            "Billing", "Account access", "Shipping & delivery", "Returns & refunds", "Technical problem",
            "Product question", "Orders", "Other"}
        skills = {(s.agent_id, s.category_id) for s in session.scalars(select(AgentSkill))}
        assert {agent for agent, _ in skills} == {u.id for u in users if u.role == Role.AGENT}

        all_tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        assert [t.id for t in all_tickets] == list(range(1, 301))
        statuses = {t.status for t in all_tickets}
        assert len(statuses) >= 4 and TicketStatus.CLOSED in statuses
        assert {t.priority for t in all_tickets} == set(Priority)
        assert max(t.created_at for t in all_tickets) <= session.scalar(select(func.max(Ticket.updated_at)))

        for t in all_tickets:
            first_hours, resolution_hours = DEFAULT_TARGETS_HOURS[t.priority]
            assert t.first_response_due_at == t.created_at + timedelta(hours=first_hours)
            assert t.resolution_due_at >= t.created_at + timedelta(hours=resolution_hours)
            assert t.updated_at >= t.created_at
            if t.first_response_at is not None:
                assert t.first_response_at >= t.created_at and t.assignee_id is not None
            if t.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                assert t.resolved_at is not None and t.resolved_at >= t.created_at
                assert t.first_response_at is not None and t.resolved_at >= t.first_response_at
            else:
                assert t.resolved_at is None
            assert (t.closed_at is not None) == (t.status == TicketStatus.CLOSED)
            if t.closed_at:
                assert t.closed_at >= t.resolved_at
            assert (t.waiting_since is not None) == (t.status == TicketStatus.WAITING_ON_CUSTOMER)
            if t.status == TicketStatus.NEW:
                assert t.first_response_at is None
            if t.assignee_id is not None:
                assert (t.assignee_id, t.category_id) in skills

        # Conversations and history line up with the ticket's own timestamps.
        by_id = {t.id: t for t in all_tickets}
        messages = session.scalars(select(TicketMessage)).all()
        assert messages and any(not m.is_public for m in messages)
        for m in messages:
            assert m.created_at >= by_id[m.ticket_id].created_at
            assert m.created_at <= by_id[m.ticket_id].updated_at
        first_replies = {}
        for m in sorted(messages, key=lambda m: m.created_at):
            if m.is_public and m.author_id != by_id[m.ticket_id].customer_id:
                first_replies.setdefault(m.ticket_id, m.created_at)
        assert first_replies == {t.id: t.first_response_at for t in all_tickets if t.first_response_at}

        events = session.scalars(select(TicketEvent).order_by(TicketEvent.id)).all()
        last_status = {}
        for e in events:
            t = by_id[e.ticket_id]
            assert t.created_at <= e.created_at <= t.updated_at
            if e.kind.value == "status_changed":
                assert e.old_value == last_status[e.ticket_id]
                last_status[e.ticket_id] = e.new_value
            elif e.kind.value == "created":
                last_status[e.ticket_id] = e.new_value
        assert last_status == {t.id: t.status.value for t in all_tickets}

        # Customers see exactly their own tickets, and no internal notes, through the services.
        customers = [u for u in users if u.role == Role.CUSTOMER]
        for customer in customers[:10]:
            page = tickets_customer.list_customer_tickets(session=session, actor=customer, limit=1000)
            own = [t.id for t in all_tickets if t.customer_id == customer.id]
            assert sorted(t.id for t in page.rows) == sorted(own) and page.total == len(own)
        noted = next(m.ticket_id for m in messages if not m.is_public)
        owner = session.get(User, by_id[noted].customer_id)
        thread = tickets_customer.get_conversation(session=session, actor=owner, ticket_id=noted)
        assert thread and all(m.is_public for m in thread)


def test_seed_demo_again_adds_tickets_and_reuses_accounts(db):
    url, engine = db
    seed(url, "--tickets", "120", "--customers", "15", "--agents", "3")
    second = seed(url, "--tickets", "80", "--customers", "15", "--agents", "3")
    assert printed_password(second) is None
    assert "No new accounts" in second.stdout
    assert "Ticket ids 121 to 200" in second.stdout
    assert count(engine, Ticket) == 200
    assert count(engine, User) == 15 + 3 + 2  # customers, agents, the manager and the administrator

    # Explicit ids must not trip up the app's own inserts afterwards (PostgreSQL sequences).
    seeded_messages = count(engine, TicketMessage)
    with session_scope(engine) as session:
        customer = session.scalar(select(User).where(User.role == Role.CUSTOMER).limit(1))
        category = session.scalar(select(Category).where(Category.name == "Billing"))
        ticket = tickets_customer.create_ticket(session=session, actor=customer, data=tickets_customer.TicketDraft(
            category_id=category.id, priority="normal", subject="After the seed", description="Still works?"))
        assert ticket.id == 201
        reply = tickets_customer.add_customer_reply(session=session, actor=customer, ticket_id=ticket.id, body="More detail.")
        assert reply.id == seeded_messages + 1


def test_seed_demo_default_spread_is_mostly_resolved_with_a_live_backlog(tmp_path):
    # Checked once, on SQLite: both backends share the generator.
    url = f"sqlite:///{tmp_path / 'spread.db'}"
    seed(url, "--tickets", "3000", "--customers", "100", "--agents", "20")
    engine = make_engine(url)
    with session_scope(engine) as session:
        by_status = dict(session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
        by_priority = dict(session.execute(select(Ticket.priority, func.count()).group_by(Ticket.priority)).all())
        open_created = sorted(session.scalars(select(Ticket.created_at).where(Ticket.status.in_(OPEN_STATUSES))))
        newest = session.scalar(select(func.max(Ticket.created_at)))
    engine.dispose()
    finished = by_status.get(TicketStatus.RESOLVED, 0) + by_status.get(TicketStatus.CLOSED, 0)
    assert finished > 0.9 * 3000
    # The backlog is mostly recent work, not forgotten old tickets.
    assert open_created and newest - open_created[len(open_created) // 2] < timedelta(days=14)
    assert by_priority[Priority.NORMAL] == max(by_priority.values())
    assert by_priority[Priority.URGENT] == min(by_priority.values())


def test_seed_text_timestamps_match_what_the_orm_writes_on_sqlite():
    # The SQLite bulk insert writes timestamp text itself; it must be byte-for-byte what the
    # UTCDateTime column writes, or SQL comparisons between seeded and app rows would break.
    from sqlalchemy.dialects import sqlite

    from helpdesk.demo.load import aware_stamp, sqlite_stamp
    from helpdesk.models import UTCDateTime

    bind = UTCDateTime()._cached_bind_processor(sqlite.dialect())
    for seconds in (0.0, 1_780_000_000.0, 1_780_000_000.5, 1_780_000_000.123456, 1_780_000_000.9999996):
        assert sqlite_stamp(seconds) == bind(aware_stamp(seconds))


def test_an_interrupted_seed_leaves_a_database_the_app_can_write_to(engine):
    """Ctrl-C after the first chunk: the committed tickets stay, and the next ticket the app
    raises gets a fresh id (PostgreSQL sequences are moved past the seeded rows even then)."""
    from helpdesk.demo.load import seed_demo

    def interrupt_after_first_chunk(_written: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seed_demo(engine, tickets=40, customers=5, agents=2, chunk_size=10, progress=interrupt_after_first_chunk)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 10
        customer = session.scalar(select(User).where(User.role == Role.CUSTOMER).limit(1))
        category = session.scalar(select(Category).limit(1))
        ticket = tickets_customer.create_ticket(session=session, actor=customer, data=tickets_customer.TicketDraft(
            category_id=category.id, priority="normal", subject="After the seed", description="Still works"))
        assert ticket.id == 11
