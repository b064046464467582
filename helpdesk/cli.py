"""`python -m helpdesk COMMAND`: each command lives in its own module under helpdesk/commands
and exposes `register(subparsers)`, which adds its parser with `set_defaults(run=...)`."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Add a command by adding its module here.
COMMAND_MODULES = (
    "helpdesk.commands.init_db",
    "helpdesk.commands.create_user",
    "helpdesk.commands.seed_demo",
    "helpdesk.commands.notify",
    "helpdesk.commands.maintenance",
    "helpdesk.commands.rebuild_metrics",
    "helpdesk.commands.knowledge_base",
    "helpdesk.commands.fetch_mail",
    "helpdesk.commands.backup",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m helpdesk", description="Customer Care Registry administration")
    parser.add_argument("--database-url", help="overrides HELPDESK_DATABASE_URL / secrets.toml")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Libraries (Alembic, SQLAlchemy) only speak up about problems; our own modules report progress.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("helpdesk").setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
