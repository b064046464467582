"""`kb import DIR` and `kb search "question" [--json]`: the help center's articles from the shell."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from helpdesk.core.config import help_match_threshold
from helpdesk.core.db import make_engine, migrate, session_scope


def register(subparsers) -> None:
    parser = subparsers.add_parser("kb", help="import guideline articles, or search them as the help assistant does",
                                   description="The help center's guideline articles.")
    commands = parser.add_subparsers(dest="kb_command", required=True, metavar="SUBCOMMAND")
    importing = commands.add_parser(
        "import", help="import a folder of Markdown files as published articles",
        description="Each DIR/*.md file becomes a published article whose address (slug) is the file name "
                    "without .md; a file whose slug exists updates that article. Front matter: title, category "
                    "(an existing category's name), tags, and optionally aliases (the ways customers ask). "
                    "Every file is checked first: if one is wrong, nothing is imported and each problem is "
                    "printed with its file.")
    importing.add_argument("folder", metavar="DIR", type=Path)
    importing.set_defaults(run=run_import)
    searching = commands.add_parser(
        "search", help="the ranked articles the help assistant would use for a question",
        description="Prints the published articles that clear the match threshold for QUESTION, best first "
                    "(none: no article covers it).")
    searching.add_argument("question")
    searching.add_argument("--json", action="store_true", help='print [{"slug", "title", "score"}, ...]')
    searching.add_argument("--limit", type=int, default=10, help="at most this many (default 10)")
    searching.set_defaults(run=run_search)


# The knowledge modules (and the model they load) are imported when a kb command runs: the CLI
# loads every command's module, and every other command would start slower.

def run_import(args) -> int:
    from helpdesk.knowledge.importer import ImportFailed, import_articles

    engine = make_engine(args.database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            report = import_articles(session=session, folder=args.folder)
    except ImportFailed as exc:
        print("Nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Imported {len(report.created)} new, updated {len(report.updated)}, "
          f"{len(report.unchanged)} unchanged.")
    return 0


def run_search(args) -> int:
    from helpdesk.knowledge.search import search_articles

    engine = make_engine(args.database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            matches = search_articles(session=session, question=args.question, limit=max(args.limit, 1))
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([{"slug": m.slug, "title": m.title, "score": m.score} for m in matches], ensure_ascii=False))
    elif not matches:
        print(f"No article clears the match threshold ({help_match_threshold():.2f}).")
    else:
        for match in matches:
            print(f"{match.score:.3f}  {match.slug}  {match.title}")
    return 0
