"""The `audit` command: serve, db, demo, checklists, assignments, users, report, digest, clock.

Every subcommand validates its input and ends with a one-line message; a
refused command exits with status 2 (bad input) or 1 (failed) and no traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from audit import settings as settings_module
from audit.domain.checklist import ChecklistError
from audit.domain.checklist import load as load_checklist
from audit.errors import AppError
from audit.services.access import Viewer
from audit.settings import SettingsError
from audit.storage.db import Database

# Whoever runs the command line can read the database anyway: reports see everything.
SYSTEM = Viewer(id=0, email="command line", name="command line", role="owner")


class Refused(Exception):
    """A command that cannot go on; the message says what to do."""


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        getattr(args, "parser", parser).print_help()
        return 2
    try:
        return args.run(args) or 0
    except (ChecklistError, SettingsError, Refused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(f"error: cannot use the database: {exc.orig}", file=sys.stderr)
        return 1
    except AppError as exc:
        details = "".join(f"\n  - {p.field}: {p.message}" for p in exc.problems)
        print(f"error: {exc.message}{details}", file=sys.stderr)
        return 2


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Refused(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


def _group(commands: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    group = commands.add_parser(name, help=help_text, description=help_text)
    group.set_defaults(parser=group)
    return group.add_subparsers(title=f"{name} commands", metavar="COMMAND")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audit",
        description="Mystery-shopper audits: serve the app and manage its data. "
        "The database is DATABASE_URL, or the SQLite file AUDIT_SQLITE_PATH (default var/audit.db).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    defaults = argparse.ArgumentDefaultsHelpFormatter

    serve = commands.add_parser("serve", help="run the web server", formatter_class=defaults)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for every interface)")
    serve.add_argument("--port", type=_number(1, 65535), default=_env_int("PORT", 8000, 1, 65535), help="port ($PORT)")
    serve.add_argument(
        "--workers",
        type=_number(1, 64),
        default=_env_int("WEB_CONCURRENCY", 1, 1, 64),
        help="worker processes ($WEB_CONCURRENCY)",
    )
    serve.set_defaults(run=cmd_serve)

    db = _group(commands, "db", "the database schema")
    db.add_parser("upgrade", help="apply all migrations (safe to run again)").set_defaults(run=cmd_db_upgrade)

    demo = commands.add_parser("demo", help="fill an empty database with realistic demo data", formatter_class=defaults)
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same data on the same day")
    demo.add_argument("--stores", type=_number(1, 100_000), default=24, help="how many stores")
    demo.add_argument("--months", type=_number(1, 120), default=6, help="how many months of audits")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) when data is there already")
    demo.set_defaults(run=cmd_demo)

    lists = _group(commands, "checklists", "checklist files and their versions")
    validate = lists.add_parser("validate", help="check files without importing them")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(run=cmd_checklists_validate)
    imp = lists.add_parser("import", help="import files as new versions (an unchanged file creates none)")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.set_defaults(run=cmd_checklists_import)
    lists.add_parser("list", help="every checklist version and how many audits use it").set_defaults(
        run=cmd_checklists_list
    )

    plan = _group(commands, "assignments", "planned visits")
    add = plan.add_parser(
        "add",
        help="send a shopper to a store",
        description="Plans one visit by the rules of the visit planning page: the shopper is enabled, the store "
        "and checklist are not archived, and AUDIT_ROTATION_DAYS lie between two visits of a shopper to a store.",
        formatter_class=defaults,
    )
    add.add_argument("shopper", help="the shopper's email (see: audit users list)")
    add.add_argument("store", help="store code, e.g. NTH-001")
    add.add_argument("checklist", help="checklist key, e.g. customer-service (see: audit checklists list)")
    add.add_argument(
        "--from", dest="starts_on", metavar="DAY", type=_day, help="first day (default: today in AUDIT_TIMEZONE)"
    )
    add.add_argument("--to", dest="ends_on", metavar="DAY", type=_day, help="last day (default: the first day)")
    add.set_defaults(run=cmd_assignments_add)
    show = plan.add_parser("list", help="planned visits whose window has not ended")
    show.add_argument("--shopper", metavar="EMAIL", help="only this shopper's")
    show.add_argument("--all", action="store_true", help="include those whose window has ended")
    show.set_defaults(run=cmd_assignments_list)

    users = _group(commands, "users", "owners, managers, store managers and shoppers")
    create = users.add_parser("create", help="add a person (the password is asked for, or read from stdin)")
    create.add_argument("email")
    create.add_argument("--role", required=True, choices=("owner", "manager", "store", "shopper"))
    create.add_argument("--region", action="append", default=[], metavar="CODE", help="a manager's region (repeat)")
    create.add_argument("--store", action="append", default=[], metavar="CODE", help="a store manager's store (repeat)")
    create.add_argument("--name", default="", help="the name shown in the app")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.set_defaults(run=cmd_users_create)
    users.add_parser("list", help="everyone, with role, regions or stores, and state").set_defaults(run=cmd_users_list)
    password = users.add_parser("set-password", help="set a password (signs the person out everywhere)")
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(run=cmd_users_set_password)
    disable = users.add_parser("disable", help="stop a person signing in; their audits stay")
    disable.add_argument("email")
    disable.set_defaults(run=cmd_users_disable)
    _report_parsers(commands)
    _notification_parsers(commands)
    return parser


def _notification_parsers(commands: argparse._SubParsersAction) -> None:
    digest = _group(commands, "digest", "the weekly digest of each manager")
    send = digest.add_parser(
        "send",
        help="tell every active manager of a week's digest and mail it with their region reports (once a week each)",
        description="Idempotent per manager and week: a manager told of the week's digest before gets nothing new. "
        "Mail goes through the AUDIT_SMTP_* settings; without AUDIT_SMTP_HOST the digest is in the app only.",
    )
    send.add_argument("--week", default="", metavar="YYYY-Www", help="an ISO week, e.g. 2026-W49 (default: last week)")
    send.set_defaults(run=cmd_digest_send)
    clock = commands.add_parser(
        "clock",
        help="run what is due on time: mail, overdue plans, Monday's digests (one process; the Procfile's clock)",
    )
    clock.set_defaults(run=cmd_clock)


def _report_parsers(commands: argparse._SubParsersAction) -> None:
    report = _group(commands, "report", "PDF reports, and ZIPs of audit PDFs")
    one = report.add_parser("audit", help="the PDF of one audit")
    one.add_argument("audit_id", metavar="ID")
    one.add_argument("--for-store", action="store_true", help="the store's copy: no shopper, no internal notes")
    one.add_argument("-o", "--output", type=Path, help="file to write (default: the report's name, here)")
    one.set_defaults(run=cmd_report_audit)
    for scope in ("store", "region"):
        sub = report.add_parser(scope, help=f"the PDF report of a {scope} over a period")
        sub.add_argument("code", help="store code (e.g. NTH-001)" if scope == "store" else "region code (e.g. NTH)")
        _period_options(sub)
        sub.add_argument("--checklist", default="", help="checklist key (default: AUDIT_DEFAULT_CHECKLIST)")
        sub.add_argument("-o", "--output", type=Path, help="file to write (default: the report's name, here)")
        sub.set_defaults(run=cmd_report_period, scope=scope)
    batch = report.add_parser("audits", help="a ZIP of every audit PDF of a store or region, made on every core")
    where = batch.add_mutually_exclusive_group(required=True)
    where.add_argument("--region", metavar="CODE")
    where.add_argument("--store", metavar="CODE")
    _period_options(batch)
    batch.add_argument("-o", "--output", type=Path, help="ZIP file to write (default: its name, here)")
    batch.set_defaults(run=cmd_report_audits)


def _period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", metavar="DAY", default="", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="last", metavar="DAY", default="", help="last day (default: the first day)")
    parser.add_argument("--period", default="", choices=("30d", "90d", "quarter"), help="or a period (default: 90d)")


def _number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23") from None


def _database(migrated: bool = True) -> Database:
    """The configured database; unless asked otherwise, one whose schema is up to date."""
    settings = settings_module.from_env()
    if migrated and settings.is_sqlite and not Path(settings.sqlite_path).exists():
        raise Refused(f"no database at {settings.sqlite_path} yet: run `audit db upgrade` (or `audit demo`)")
    db = Database(settings)
    if migrated:
        from audit.storage import migrate

        if not migrate.is_current(db):
            db.dispose()
            raise Refused("the database schema is not up to date: run `audit db upgrade`")
    return db


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise Refused("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise Refused("the two passwords differ")
    return first


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = settings_module.from_env()  # fail here, loudly, rather than in every worker
    uvicorn.run(
        "audit.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        # only these proxies may say who the client is (sign-in throttling counts per address)
        forwarded_allow_ips=",".join(settings.forwarded_allow_ips),
        log_level="info",
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from audit.storage import migrate

    with _database(migrated=False) as db:
        migrate.upgrade(db)
        print(f"database at revision {migrate.current(db)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from audit.services import demo
    from audit.storage import migrate

    def progress(done: int, total: int) -> None:
        print(f"\r  {done} of about {total} audits", end="", file=sys.stderr, flush=True)

    with _database(migrated=False) as db:
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
        print(f"  {role:<13} {email:<28} {password}")
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
        return 0
    print(f"{'CHECKLIST':<24} {'VERSION':<16}  {'STATE':<7}  {'IMPORTED':<25}  {'AUDITS':>6}  TITLE")
    for v in versions:
        state = "current" if v.current else "old"
        print(f"{v.key:<24} {v.version}  {state:<7}  {v.created_at:<25}  {v.audits:>6}  {v.title}")
    return 0


def cmd_assignments_add(args: argparse.Namespace) -> int:
    from audit.services.planning import assignments

    with _database() as db:
        today = db.settings.today()  # the company's day, as the planning page's
        starts_on = args.starts_on or today
        ends_on = args.ends_on or starts_on
        if ends_on < starts_on:
            raise Refused("--to is before --from")
        if ends_on < today:
            raise Refused(f"the window ended on {ends_on}: plan visits from today on")
        shopper, store = args.shopper.strip().lower(), args.store.strip().upper()
        visit = assignments.Planned(shopper, store, args.checklist.strip(), starts_on, ends_on)
        # the same rules as planning in the browser: rotation, disabled people, archived stores
        (new,) = assignments.plan(db, [visit], db.settings.rotation_days, today=today)
    print(f"assignment {new}: {shopper} visits {store} with {visit.checklist}, {visit.starts_on} to {ends_on}")
    return 0


def cmd_assignments_list(args: argparse.Namespace) -> int:
    from audit.services.people import accounts
    from audit.services.planning import assignments

    with _database() as db:
        if args.shopper:
            accounts.user_id(db, args.shopper)  # an unknown email is an error, not an empty list
        rows = assignments.listing(db, args.shopper, None if args.all else db.settings.today())
    if not rows:
        print("no assignments")
        return 0
    print(f"{'ID':>5}  {'WINDOW':<24}  {'STORE':<10} {'NAME':<20} {'CHECKLIST':<18} SHOPPER")
    for a in rows:
        window = f"{a.starts_on} to {a.ends_on}"
        print(f"{a.id:>5}  {window:<24}  {a.store:<10} {a.store_name:<20} {a.checklist:<18} {a.shopper}")
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from audit.services.people import accounts

    password = _read_password(args.password_stdin)
    with _database() as db:
        accounts.create_user(
            db, args.email, args.role, args.name, tuple(args.region), password, stores=tuple(args.store)
        )
    places = args.region or args.store
    where = f" for {', '.join(code.upper() for code in places)}" if places else ""
    print(f"user {args.email.strip().lower()} created: {args.role}{where}")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from audit.services.people import accounts

    with _database() as db:
        people = accounts.list_users(db)
    if not people:
        print("no users yet: audit users create EMAIL --role owner")
        return 0
    print(f"{'EMAIL':<32} {'ROLE':<8} {'STATE':<9} {'WHERE':<12} NAME")
    for u in people:
        state = "disabled" if u.disabled else "active" if u.has_password else "no login"
        print(f"{u.email:<32} {u.role:<8} {state:<9} {','.join(u.regions or u.stores) or '-':<12} {u.name}")
    return 0


def cmd_users_set_password(args: argparse.Namespace) -> int:
    from audit.services.people import accounts

    password = _read_password(args.password_stdin)
    with _database() as db:
        accounts.set_password(db, args.email, password)
    print(f"password set for {args.email.strip().lower()}; their sessions have ended")
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    from audit.services.people import accounts

    with _database() as db:
        accounts.disable(db, args.email)
    print(f"{args.email.strip().lower()} can no longer sign in; their audits stay")
    return 0


def _report_period(db: Database, args: argparse.Namespace) -> Any:
    from audit.domain import periods

    zone = db.settings.timezone
    try:
        return periods.resolve(db.settings.today(), zone, args.period, args.first, args.last)
    except periods.PeriodError as exc:
        raise Refused(str(exc)) from None


def _pool(db: Database) -> Any:
    from audit.services import reports

    return reports.render_pool(db.settings)


def _write_report(db: Database, order: Any, output: Path | None) -> int:
    pool = _pool(db)
    try:
        rendered = pool.render(order)
    finally:
        pool.close()
    target = output or Path(rendered.filename)
    target.write_bytes(rendered.pdf)
    print(f"{target}: {len(rendered.pdf):,} bytes")
    return 0


def cmd_report_audit(args: argparse.Namespace) -> int:
    from audit.services import reports

    with _database() as db:
        return _write_report(db, reports.Order("audit", SYSTEM, args.audit_id, for_store=args.for_store), args.output)


def cmd_report_period(args: argparse.Namespace) -> int:
    from audit.services import reports

    with _database() as db:
        checklist = args.checklist or db.settings.default_checklist
        order = reports.Order(args.scope, SYSTEM, args.code, _report_period(db, args), checklist)
        return _write_report(db, order, args.output)


def cmd_report_audits(args: argparse.Namespace) -> int:
    from audit.services import reports

    def progress(done: int, total: int) -> None:
        filled = int(30 * done / total) if total else 30
        bar = "#" * filled + "." * (30 - filled)
        print(f"\r  [{bar}] {done} of {total} audits", end="", file=sys.stderr, flush=True)

    scope, code = ("region", args.region) if args.region else ("store", args.store)
    with _database() as db:
        batch = reports.batch(db, SYSTEM, scope, code, _report_period(db, args))
        target = args.output or Path(batch.filename)
        pool = _pool(db)
        try:
            with target.open("wb") as out:
                for chunk in reports.zip_chunks(pool, batch, progress):
                    out.write(chunk)
        finally:
            pool.close()
    print(file=sys.stderr)
    print(f"{target}: {len(batch.entries)} audit PDFs")
    return 0


def cmd_digest_send(args: argparse.Namespace) -> int:
    from audit.services.notifications import digest

    with _database() as db:
        try:
            week = digest.week(args.week) if args.week else digest.last_week(db.settings.today())
        except digest.WeekError as exc:
            raise Refused(str(exc)) from None
        if week.last >= db.settings.today():
            raise Refused(f"{week.key} has not ended yet (it ends on {week.last}): a digest tells of a whole week")
        prepared, mail = digest.send(db, week)
        mailed = db.settings.smtp is not None
    told = f"digest {week.key}: {prepared.told} manager(s) told now, {prepared.already} told before"
    if not mailed:
        print(f"{told}; not mailed (AUDIT_SMTP_HOST is empty): in the app only")
        return 0
    print(f"{told}; mail: {mail.sent} sent, {mail.retrying} to retry (by `audit clock`), {mail.failed} failed")
    return 1 if mail.retrying or mail.failed else 0


def cmd_clock(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from audit.services.notifications import clock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the schema check at start says nothing worth a line
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with _database() as db:
        print(f"clock: every {clock.TICK_SECONDS:.0f} s; digests on Mondays from {clock.DIGEST_HOUR}:00 "
              f"{db.settings.timezone}", flush=True)  # fmt: skip
        clock.run(db, stop)
    print("clock: stopped")
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
