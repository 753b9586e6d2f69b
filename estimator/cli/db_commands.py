"""``estimator db backup | restore | init-roles | copy | purge``: the practice database itself (backups,
shared server set-up, moving, retention)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from estimator.cli.common import Context, Parser, parse_date
from estimator.cli.output import table_text, write
from estimator.core.errors import InputError
from estimator.store import backup, gfe_log
from estimator.store.db_copy import copy_database
from estimator.store.open import is_server, open_store
from estimator.store.roles import ROLE_NAMES, Action


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("db", help="the practice database: backup and restore, shared server roles, "
                                    "copy, retention")
    sub = p.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    b = sub.add_parser("backup", help="write a consistent copy of the practice database (safe while the app runs)")
    b.add_argument("file", help="the backup file to write, e.g. practice-2026-12-04.sqlite")
    b.set_defaults(run=run_backup)
    r = sub.add_parser("restore", help="replace the practice database with a backup (the current one is kept)")
    r.add_argument("file", help="a backup written by 'estimator db backup' (or File > Back up database…)")
    r.set_defaults(run=run_restore)
    add_db_commands(sub)


def add_db_commands(sub: Any) -> None:
    roles = sub.add_parser("init-roles", help="create the front desk, billing and manager roles on a PostgreSQL "
                           "database (run as its owner)")
    roles.add_argument("--member", action="append", default=[], metavar="LOGIN=ROLE",
                       help=f"make an existing login a member of a role ({', '.join(ROLE_NAMES)}); repeatable")
    roles.set_defaults(run=run_init_roles)
    cp = sub.add_parser("copy", help="copy every payer, fee, charge and GFE into a new, empty database")
    cp.add_argument("--from", dest="source", required=True, metavar="DB",
                    help="sqlite:PATH, a file path or postgresql://...")
    cp.add_argument("--to", dest="target", required=True, metavar="DB", help="postgresql://... (or sqlite:PATH)")
    cp.add_argument("--dry-run", action="store_true", help="count and checksum the source; write nothing")
    cp.set_defaults(run=run_copy)
    pg = sub.add_parser("purge", help="delete Good Faith Estimates past their six-year retention (manager only)")
    pg.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                    help="the day to judge retention on (default: today)")
    pg.add_argument("--yes", action="store_true", help="do not ask for confirmation (the list is still printed)")
    pg.set_defaults(run=run_purge)


def run_init_roles(args: argparse.Namespace, ctx: Context) -> int:
    if not is_server(ctx.db_target):
        raise InputError("roles exist only on a shared PostgreSQL database: pass --db postgresql://owner@host/dbname")
    members = {}
    for item in args.member:
        login, _, role = item.partition("=")
        if role.strip().lower() not in ROLE_NAMES:
            raise InputError(f"--member {item!r}: use LOGIN=ROLE with ROLE one of {', '.join(ROLE_NAMES)}")
        members[login.strip()] = ROLE_NAMES[role.strip().lower()]
    from estimator.store.pg_roles import init_roles  # noqa: PLC0415 - psycopg only for a PostgreSQL database

    for line in init_roles(ctx.store, members):
        write(line)
    return 0


def run_copy(args: argparse.Namespace, ctx: Context) -> int:
    if not args.dry_run and not is_server(args.target) and not args.target.startswith("sqlite:"):
        raise InputError(f"--to {args.target!r}: name the target as postgresql://... or sqlite:PATH")
    source = open_store(args.source)
    try:
        target = open_store(args.target)
        try:
            report = copy_database(source, target, dry_run=args.dry_run)
            where = f"{source.describe()} -> {target.describe()}"
        finally:
            target.close()
    finally:
        source.close()
    rows = [{"table": r.table, "rows": r.rows, "checksum": r.checksum[:16],
             "copied": "" if r.target_rows is None else r.target_rows,
             "check": "" if r.target_rows is None else ("same" if r.identical else "DIFFERENT")} for r in report]
    write(table_text(rows, ["table", "rows", "checksum", "copied", "check"]))
    if args.dry_run:
        write(f"dry run: nothing was written ({where})")
        return 0
    bad = [r.table for r in report if not r.identical]
    if bad:
        raise InputError(f"the copy differs from the source in {', '.join(bad)}; do not use the copy")
    write(f"copied {sum(r.rows for r in report)} rows in {len(report)} tables, every count and checksum the same "
          f"({where})")
    return 0


def run_purge(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store
    store.require(Action.PURGE_GFE)
    today = (parse_date(args.as_of) if args.as_of else None) or dt.date.today()
    doomed = gfe_log.expired(store, today)
    if not doomed:
        write(f"no Good Faith Estimate is past its six-year retention on {today.isoformat()}; nothing to purge")
        return 0
    rows = [{"gfe": f"#{r.id}", "issued": r.issued_at[:10], "retained until": r.retain_until} for r in doomed]
    write(table_text(rows, ["gfe", "issued", "retained until"]))
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(f"{len(doomed)} Good Faith Estimate(s) would be deleted; run again with --yes to "
                             "confirm (nothing was deleted)")
        answer = input(f"Delete these {len(doomed)} Good Faith Estimate(s) for good? Type 'purge' to confirm: ")
        if answer.strip().lower() != "purge":
            write("nothing was deleted")
            return 1
    purged = gfe_log.purge(store, [r.id for r in doomed], today)
    write(f"purged {len(purged)} Good Faith Estimate(s) issued {purged[0].issued_at[:10]} to "
          f"{purged[-1].issued_at[:10]} (retention ended before {today.isoformat()}); "
          "each deletion is in the audit trail")
    return 0


def _sqlite_only(ctx: Context, what: str) -> None:
    if is_server(ctx.db_target):
        raise InputError(f"{what} works on this computer's SQLite database; a shared PostgreSQL database is backed "
                         "up by its server (pg_dump, or your IT's backups)")


def run_backup(args: argparse.Namespace, ctx: Context) -> int:
    _sqlite_only(ctx, "db backup")
    if not ctx.db_path.exists():
        raise InputError(f"{ctx.db_path}: there is no practice database yet, so nothing to back up")
    written = backup.backup_database(ctx.store, Path(args.file))
    print(f"backed up {ctx.db_path} to {written.resolve()}")
    return 0


def run_restore(args: argparse.Namespace, ctx: Context) -> int:
    _sqlite_only(ctx, "db restore")
    kept = backup.restore_database(Path(args.file), ctx.db_path)
    print(f"restored {ctx.db_path} from {Path(args.file).resolve()}")
    if kept is not None:
        print(f"the previous database was kept as {kept}")
    return 0
