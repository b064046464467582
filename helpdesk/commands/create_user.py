"""`create-user`: an account of any role, from the server's shell.

The password never appears on the command line (it would land in shell history and `ps`):
it is asked twice at a terminal, or read as one line from stdin when stdin is not one."""
from __future__ import annotations

import getpass
import sys

from helpdesk.accounts.users import NewAccount, create_user
from helpdesk.core.db import make_engine, migrate, session_scope
from helpdesk.core.errors import ValidationError
from helpdesk.enums import Role

# Service field names as a person at the shell knows them.
FIELD_LABELS = {"name": "--name", "email": "--email", "password": "password", "password_repeat": "password"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "create-user",
        help="create a customer, agent or admin account",
        description="Create an account. The password is asked twice at a terminal; when stdin is "
                    "not a terminal, the first line of stdin is the password "
                    "(e.g. `printf '%s\\n' \"$PW\" | python -m helpdesk create-user ...`).",
    )
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    parser.set_defaults(run=run)


def read_password(stdin=None) -> tuple[str, str]:
    """(password, repeat): prompted twice at a terminal, else one line of stdin used for both."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        return getpass.getpass("Password: "), getpass.getpass("Repeat password: ")
    line = stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    password = password.removesuffix("\r")
    return password, password


def run(args) -> int:
    try:
        password, repeat = read_password()
    except (EOFError, KeyboardInterrupt):
        print("\nNo password given; nothing was created.", file=sys.stderr)
        return 1
    engine = make_engine(args.database_url)
    try:
        migrate(engine)  # so it works on a fresh install without init-db first
        data = NewAccount(name=args.name, email=args.email, password=password, password_repeat=repeat)
        with session_scope(engine) as session:
            user = create_user(session=session, actor=None, data=data, role=Role(args.role))
            summary = f"Created {user.role.value} account #{user.id}: {user.name} <{user.email}>"
    except ValidationError as error:
        print("Nothing was created:", file=sys.stderr)
        for field, message in error.field_errors.items():
            print(f"  {FIELD_LABELS.get(field, field)}: {message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(summary)
    return 0
