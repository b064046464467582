"""`init-db`: create or migrate the database to the latest schema."""
from helpdesk.core.db import current_revision, make_engine, migrate


def register(subparsers) -> None:
    parser = subparsers.add_parser("init-db", help="create or migrate the database to the latest schema")
    parser.set_defaults(run=run)


def run(args) -> int:
    engine = make_engine(args.database_url)
    migrate(engine)
    print(f"Database at revision {current_revision(engine)}: {engine.url.render_as_string(hide_password=True)}")
    return 0
