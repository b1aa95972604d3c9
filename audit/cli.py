"""The `audit` command: serve, db, demo, checklists, assignments.

Every subcommand validates its input and ends with a one-line message; a
refused command exits with status 2 (bad input) or 1 (failed) and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.exc import OperationalError

from audit import settings as settings_module
from audit.domain.checklist import ChecklistError
from audit.domain.checklist import load as load_checklist
from audit.errors import AppError
from audit.settings import SettingsError
from audit.storage.db import Database


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except (ChecklistError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(f"error: cannot use the database: {exc.orig}", file=sys.stderr)
        return 1
    except AppError as exc:
        details = "".join(f"\n  - {p.field}: {p.message}" for p in exc.problems)
        print(f"error: {exc.message}{details}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit", description="Mystery-shopper audits: serve the app and manage its data."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands", metavar="COMMAND")
    db.add_parser("upgrade", help="apply all migrations").set_defaults(run=cmd_db_upgrade)

    demo = commands.add_parser("demo", help="fill an empty database with realistic demo data")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--stores", type=_positive, default=24)
    demo.add_argument("--months", type=_positive, default=6)
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) when data is there already")
    demo.set_defaults(run=cmd_demo)

    lists = commands.add_parser("checklists", help="checklist files and versions").add_subparsers(
        title="checklists commands", metavar="COMMAND"
    )
    validate = lists.add_parser("validate", help="check files without importing them")
    validate.add_argument("files", nargs="+", type=Path)
    validate.set_defaults(run=cmd_checklists_validate)
    imp = lists.add_parser("import", help="import files as new versions (unchanged files create none)")
    imp.add_argument("files", nargs="+", type=Path)
    imp.set_defaults(run=cmd_checklists_import)
    lists.add_parser("list", help="list checklists and their versions").set_defaults(run=cmd_checklists_list)

    plan = commands.add_parser("assignments", help="planned visits").add_subparsers(
        title="assignments commands", metavar="COMMAND"
    )
    add = plan.add_parser("add", help="assign a shopper to visit a store")
    add.add_argument("shopper", help="the shopper's email")
    add.add_argument("store", help="store code, e.g. NTH-001")
    add.add_argument("checklist", help="checklist key, e.g. customer-service")
    add.add_argument("--from", dest="starts_on", type=_day, default=date.today(), help="first day (YYYY-MM-DD)")
    add.add_argument("--to", dest="ends_on", type=_day, help="last day (YYYY-MM-DD); default: the first day")
    add.set_defaults(run=cmd_assignments_add)
    show = plan.add_parser("list", help="list assignments")
    show.add_argument("--shopper", help="only this shopper's")
    show.add_argument("--all", action="store_true", help="include those whose window has ended")
    show.set_defaults(run=cmd_assignments_list)
    return parser


def _database() -> Database:
    return Database(settings_module.from_env())


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings_module.from_env()  # fail here, loudly, rather than in every worker
    uvicorn.run(
        "audit.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_level="info",
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from audit.storage import migrate

    with _database() as db:
        migrate.upgrade(db)
        print(f"database at revision {migrate.current(db)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from audit.services import demo
    from audit.storage import migrate

    def progress(done: int, total: int) -> None:
        print(f"\r  {done} of about {total} audits", end="", file=sys.stderr, flush=True)

    with _database() as db:
        migrate.upgrade(db)
        if args.if_empty and demo.has_data(db):
            print("demo: the database holds data already; nothing loaded")
            return 0
        summary = demo.load(db, seed=args.seed, stores=args.stores, months=args.months, progress=progress)
    print(file=sys.stderr)
    print(
        f"demo loaded: {summary.regions} regions, {summary.stores} stores, {summary.shoppers} shoppers, "
        f"{summary.audits} audits, {summary.assignments} assignments"
    )
    print("sign in as (demo data only):")
    for role, email, password in demo.sign_in_details():
        print(f"  {role:<8} {email:<28} {password}")
    return 0


def cmd_checklists_validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            spec = load_checklist(path)
        except ChecklistError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        scored = sum(1 for item in spec.items if item.scored)
        print(f"{path}: ok, {spec.key} version {spec.version}, {len(spec.items)} items ({scored} scored)")
    return 2 if failed else 0


def cmd_checklists_import(args: argparse.Namespace) -> int:
    from audit.services import checklists

    specs = [load_checklist(path) for path in args.files]  # all valid, or nothing imported
    with _database() as db:
        for path, spec in zip(args.files, specs, strict=True):
            result = checklists.import_spec(db, spec, path.read_text(encoding="utf-8"))
            state = "new version" if result.created else "unchanged, no new version"
            if not result.created and result.became_current:
                state = "an earlier version, current again"
            print(f"{path}: {result.key} version {result.version} ({state})")
    return 0


def cmd_checklists_list(args: argparse.Namespace) -> int:
    from audit.services import checklists

    with _database() as db:
        versions = checklists.list_versions(db)
    if not versions:
        print("no checklists yet: audit checklists import FILE")
    for v in versions:
        mark = "current" if v.current else "       "
        print(f"{v.key:<24} {v.version}  {mark}  {v.created_at}  {v.audits:>6} audits  {v.title}")
    return 0


def cmd_assignments_add(args: argparse.Namespace) -> int:
    from audit.services import assignments

    ends_on = args.ends_on or args.starts_on
    with _database() as db:
        new_id = assignments.add(db, args.shopper, args.store, args.checklist, args.starts_on, ends_on)
    print(
        f"assignment {new_id}: {args.shopper} visits {args.store.upper()} "
        f"with {args.checklist}, {args.starts_on} to {ends_on}"
    )
    return 0


def cmd_assignments_list(args: argparse.Namespace) -> int:
    from audit.services import assignments

    with _database() as db:
        rows = assignments.listing(db, args.shopper, None if args.all else date.today())
    if not rows:
        print("no assignments")
    for a in rows:
        print(
            f"{a.id:>5}  {a.starts_on} to {a.ends_on}  {a.store:<10} {a.store_name:<20} {a.checklist:<18} {a.shopper}"
        )
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
