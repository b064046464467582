"""How long `backup` and `restore` take, and how big the file is, for a SQLite helpdesk of
10,000 tickets (seed-demo's conversations, plus an attachment on every fifth ticket).

    python benchmarks/backup_restore.py [--tickets 10000] [--runs 3] [--folder /tmp/bench-backup]
        [--postgres postgresql+psycopg://USER:PASSWORD@HOST/ANY_DB]

Prints the median of --runs backups (the CLI's own code: online copy, integrity check, counts)
and of --runs restores into an empty database (check, restore, end sessions). With --postgres
(a role with CREATEDB), the same on two throwaway PostgreSQL databases, dropped afterwards.
About 15 s here for SQLite alone; --postgres adds about 75 s (pg_dump compresses the attachments)."""
from __future__ import annotations

import argparse
import hashlib
import logging
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from helpdesk.backup.contents import human_size  # noqa: E402
from helpdesk.backup.restore import restore_backup  # noqa: E402
from helpdesk.backup.take import take_backup  # noqa: E402
from helpdesk.core.clock import utcnow  # noqa: E402
from helpdesk.core.db import make_engine, migrate  # noqa: E402
from helpdesk.demo.load import seed_demo  # noqa: E402
from helpdesk.models import Attachment, Ticket  # noqa: E402

ATTACHMENT_BYTES = 20_000
TICKETS = 10_000


def build(url: str, tickets: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    seed_demo(engine, tickets=tickets)
    rng = random.Random(5)
    with engine.begin() as connection:
        rows = connection.execute(select(Ticket.id, Ticket.customer_id).where(Ticket.id % 5 == 0)).all()
        files = []
        for ticket_id, customer_id in rows:
            content = rng.randbytes(ATTACHMENT_BYTES)  # incompressible, like photos and PDFs
            files.append(dict(ticket_id=ticket_id, uploaded_by_id=customer_id, filename=f"scan-{ticket_id}.png",
                              content_type="image/png", size=len(content),
                              sha256=hashlib.sha256(content).hexdigest(), content=content, created_at=utcnow()))
        connection.execute(insert(Attachment), files)
    engine.dispose()


def measure(label: str, source_url: str, target_urls: list[str], folder: Path, suffix: str) -> None:
    started = time.perf_counter()
    build(source_url, TICKETS)
    print(f"{label}: built {TICKETS:,} tickets in {time.perf_counter() - started:.1f} s")
    source = make_engine(source_url)
    backup_seconds, restore_seconds, report = [], [], None
    for run, target_url in enumerate(target_urls):
        report = take_backup(engine=source, to=folder / f"{label}-{run}{suffix}")
        backup_seconds.append(report.seconds)
        target = make_engine(target_url)
        restored = restore_backup(engine=target, path=report.path, force=True)
        restore_seconds.append(restored.seconds)
        assert restored.contents.tickets == report.contents.tickets
        target.dispose()
    source.dispose()
    print(f"{label}: backup file {human_size(report.size)}; {report.contents.summary()}")
    for name, seconds in (("backup", backup_seconds), ("restore", restore_seconds)):
        print(f"{label}: {name:7} median {statistics.median(seconds):.2f} s over {len(seconds)} runs "
              f"({', '.join(f'{s:.2f}' for s in seconds)})")


def postgres_databases(admin_url: str, names: list[str]):
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    urls = [make_url(admin_url).set(database=name).render_as_string(hide_password=False) for name in names]
    return admin, urls


def main() -> int:
    global TICKETS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bench-backup"))
    parser.add_argument("--postgres", metavar="URL", help="also measure PostgreSQL (a role with CREATEDB)")
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the migrations of each new database
    TICKETS = args.tickets
    shutil.rmtree(args.folder, ignore_errors=True)
    args.folder.mkdir(parents=True)
    try:
        measure("SQLite", f"sqlite:///{args.folder / 'source.db'}",
                [f"sqlite:///{args.folder / f'restored-{run}.db'}" for run in range(args.runs)], args.folder,
                ".sqlite3")
        if args.postgres:
            names = ["bench_backup_source", "bench_backup_target"]
            admin, (source_url, target_url) = postgres_databases(args.postgres, names)
            try:
                measure("PostgreSQL", source_url, [target_url] * args.runs, args.folder, ".pgdump")
            finally:
                with admin.connect() as connection:
                    for name in names:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                admin.dispose()
    finally:
        shutil.rmtree(args.folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
