"""``estimator db``: the practice database itself (backup and restore)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from estimator.cli.common import Context, Parser
from estimator.core.errors import InputError
from estimator.store import backup


def register(commands: Any) -> None:
    p: Parser = commands.add_parser("db", help="back up or restore the practice database")
    sub = p.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    b = sub.add_parser("backup", help="write a consistent copy of the practice database (safe while the app runs)")
    b.add_argument("file", help="the backup file to write, e.g. practice-2026-12-04.sqlite")
    b.set_defaults(run=run_backup)
    r = sub.add_parser("restore", help="replace the practice database with a backup (the current one is kept)")
    r.add_argument("file", help="a backup written by 'estimator db backup' (or File > Back up database…)")
    r.set_defaults(run=run_restore)


def run_backup(args: argparse.Namespace, ctx: Context) -> int:
    if not ctx.db_path.exists():
        raise InputError(f"{ctx.db_path}: there is no practice database yet, so nothing to back up")
    written = backup.backup_database(ctx.store, Path(args.file))
    print(f"backed up {ctx.db_path} to {written.resolve()}")
    return 0


def run_restore(args: argparse.Namespace, ctx: Context) -> int:
    kept = backup.restore_database(Path(args.file), ctx.db_path)
    print(f"restored {ctx.db_path} from {Path(args.file).resolve()}")
    if kept is not None:
        print(f"the previous database was kept as {kept}")
    return 0
