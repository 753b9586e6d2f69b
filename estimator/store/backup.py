"""Back up and restore the practice database with SQLite's online backup API.

The database holds six years of Good Faith Estimates, so a copy must be consistent even while the app is
open (the backup API copies a snapshot page by page, WAL included), and a restore must never make things
worse: the file to restore is checked first (an estimator database that passes ``integrity_check``), and the
current database is copied aside before it is replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path

from estimator.core.errors import InputError
from estimator.store.sql_store import SqlStore
from estimator.store.sqlite_store import BUSY_TIMEOUT_MS, SqliteStore, schema_version

#: Tables every estimator database has (schema v1 and later).
REQUIRED_TABLES = frozenset({"practice", "payers", "payer_fees", "charge_master"})


def _copy(source: sqlite3.Connection, destination: Path) -> None:
    """Copy ``source`` into a new file beside ``destination``, then rename it over (never a torn file)."""
    destination = Path(destination)
    tmp = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the first byte
    os.close(fd)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            target.close()
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def backup_database(store: SqlStore, destination: Path) -> Path:
    """Write a consistent copy of the open database to ``destination``.

    Raises:
        InputError: a shared (server) database, or the destination is the database itself, a folder, or
            cannot be written.
    """
    if not isinstance(store, SqliteStore):
        raise InputError("a shared PostgreSQL database is backed up by its server (pg_dump, or your IT's backups), "
                         "not from here")
    destination = Path(destination)
    if destination.resolve() == store.path.resolve():
        raise InputError(f"{destination}: that is the practice database itself; choose another file for the backup")
    if destination.is_dir():
        raise InputError(f"{destination}: is a folder; give a file name, e.g. {destination / 'practice-backup.sqlite'}")
    try:
        _copy(store.connection_for_backup(), destination)
    except OSError as exc:
        raise InputError(f"{destination}: cannot write the backup ({exc.strerror or exc})") from None
    return destination


def check_backup_file(path: Path) -> int:
    """The schema version of an estimator database file that passes ``integrity_check``.

    Raises:
        InputError: not a file, not SQLite, not an estimator database, damaged, or from a newer program.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the backup file to restore")
    try:
        db = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: cannot be opened ({exc})") from None
    try:
        with contextlib.closing(db):
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError:
        raise InputError(f"{path}: not an estimator database (not an SQLite file); nothing was restored") from None
    if not tables >= REQUIRED_TABLES or version < 1:
        raise InputError(f"{path}: not an estimator database (it lacks the practice and payer tables); "
                         "nothing was restored")
    if check != "ok":
        raise InputError(f"{path}: the backup is damaged (integrity check: {check}); nothing was restored")
    if version > schema_version():
        raise InputError(f"{path}: written by a newer version of this program (schema {version}); "
                         "update the program first; nothing was restored")
    return version


def restore_database(source: Path, db_path: Path, today: dt.datetime | None = None) -> Path | None:
    """Replace the database at ``db_path`` with ``source``; returns where the previous database was kept.

    The previous database (if any) is first copied to ``<name>.before-restore-YYYYMMDD-HHMMSS``.  The
    restored file is brought to this program's schema the next time it is opened.

    Raises:
        InputError: ``source`` is not a sound estimator database (see ``check_backup_file``).
    """
    source, db_path = Path(source), Path(db_path)
    check_backup_file(source)
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise InputError(f"{source}: that is the practice database itself; nothing to restore")
    kept: Path | None = None
    stamp = (today or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    src = sqlite3.connect(f"file:{source.as_posix()}?mode=ro", uri=True)
    try:
        if db_path.exists():
            current = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
                _copy(current, kept)
                src.backup(current)  # the backup API replaces the live database's pages in one step
            finally:
                current.close()
        else:
            db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _copy(src, db_path)
    except sqlite3.OperationalError as exc:
        raise InputError(f"{db_path}: cannot restore now ({exc}); close the app and other estimator windows "
                         "and try again") from None
    finally:
        src.close()
    return kept
