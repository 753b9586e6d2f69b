"""SQLite implementation of the practice repository: one file, WAL, foreign keys, versioned schema.

The SQL shared with the PostgreSQL store (practice, payers, audit trail) is in ``estimator.store.sql_store``.

Every write runs inside ``BEGIN IMMEDIATE ... COMMIT``, so a crash or a killed process leaves either the
whole change or none of it, and a second process waits (busy timeout) instead of corrupting anything.
Before a forward migration the file is copied aside (``practice.sqlite.bak-vN``).

Patient data at rest is owner-only: the file, its -wal/-shm and backups are created 0600 in a 0700 folder and
tightened when opened.  Opening reads first and takes the write lock only when there is something to write
(a migration, the built-in payers), so a read-only command never waits for another program's write.
Failures say what happened to which file and what to do (``store_error``); only a damaged or foreign file
mentions a backup, and nothing suggests deleting anything.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Final

from estimator.files import owner_only, private_dir, private_file, tighten
from estimator.store import migrations
from estimator.store.sql_store import SqlStore, StoreError

__all__ = ["MIGRATIONS", "SqliteStore", "StoreBusyError", "StoreError", "schema_version", "store_error"]

BUSY_TIMEOUT_MS: Final = 15_000


class StoreBusyError(StoreError):
    """Another program held the write lock for the whole busy timeout: try again (nothing was changed)."""


#: What SQLite's result codes mean for a user, and what to do (``{path}`` is the database file).
_ADVICE: Final = {
    "SQLITE_BUSY": "busy: another program (another window or another user of this database) is writing to {path}; "
                   "nothing was changed, try again in a moment",
    "SQLITE_LOCKED": "busy: another program is writing to {path}; nothing was changed, try again in a moment",
    "SQLITE_READONLY": "{path} is read-only (or its folder is): nothing was changed; make the file and its folder "
                       "writable for your user, or copy it somewhere writable and use --db",
    "SQLITE_FULL": "{path}: the disk is full: nothing was changed; free some space and try again",
    "SQLITE_IOERR": "{path}: the disk reported an error while writing: nothing was changed; check the drive "
                    "(free space, a removed or network drive) and try again",
    "SQLITE_CANTOPEN": "{path}: cannot open the practice database (missing folder or no permission); check the "
                       "path and the folder's permissions",
    "SQLITE_PERM": "{path}: no permission to use the practice database; check the file's permissions",
    "SQLITE_CORRUPT": "{path} is damaged (SQLite reports it corrupt); keep the file, and restore the latest "
                      "backup (practice.sqlite.bak-* or your own) to another name, then point --db at it",
    "SQLITE_NOTADB": "{path} is not an estimator database (not SQLite at all); check --db / $ESTIMATOR_DB, or "
                     "restore a backup of the practice database to another name and point --db at it",
}


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """One honest line for a SQLite failure: what happened to which file and what to do.

    Only damage (corrupt, not a database) suggests a backup, and nothing ever suggests deleting the file.
    """
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    base = next((key for key in _ADVICE if name == key or name.startswith(key + "_")), "")
    if not base:
        text = str(exc).lower()
        base = ("SQLITE_BUSY" if "locked" in text else "SQLITE_READONLY" if "readonly" in text
                else "SQLITE_FULL" if "full" in text else "SQLITE_NOTADB" if "not a database" in text else "")
    if not base:
        return StoreError(f"{path}: the practice database failed ({exc}); nothing was changed")
    return (StoreBusyError if base in ("SQLITE_BUSY", "SQLITE_LOCKED") else StoreError)(
        _ADVICE[base].format(path=path))


#: Tables every estimator database has, whatever its version (a file without them is someone else's).
OUR_TABLES: Final = frozenset({"practice", "charge_master", "payers", "payer_fees"})


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statements one by one inside the caller's transaction (``executescript`` would commit)."""
    for statement in migrations.statements(script):
        db.execute(statement)


#: Forward migrations: index i upgrades schema version i to i + 1 (the SQL is in ``estimator.store.migrations``).
def _apply(migration: migrations.Migration, db: sqlite3.Connection) -> None:
    run_script(db, migration.sqlite)
    if migration.fill is not None:
        migration.fill(db)


MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = tuple(
    functools.partial(_apply, m) for m in migrations.MIGRATIONS)


def schema_version() -> int:
    return len(MIGRATIONS)


def _login_name() -> str:
    """Who is writing to a single-user file (recorded in the audit trail)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password database
        return "unknown"


class SqliteStore(SqlStore):
    """The practice database in one SQLite file."""

    engine: ClassVar[str] = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.user = _login_name()
        self._db: sqlite3.Connection | None = None
        try:
            self._open()
        except sqlite3.Error as exc:
            self.close()
            raise store_error(self.path, exc) from None
        except BaseException:  # never leave a connection open behind a failed start
            self.close()
            raise

    def _open(self) -> None:
        if not self.path.parent.is_dir():
            try:
                private_dir(self.path.parent)
            except OSError as exc:
                raise StoreError(f"{self.path.parent}: cannot create the data folder ({exc.strerror}); "
                                 "check the path and permissions") from None
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if fresh:
            try:
                private_file(self.path)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create the practice database ({exc.strerror}); "
                                 "choose a folder you can write to") from None
        else:
            self._refuse_foreign()
        for side in (self.path, *self._side_files()):
            tighten(side)
        with owner_only():  # SQLite creates -wal and -shm beside the file: owner-only like it
            db = self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")  # once per file; an open WAL file needs no lock here
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = FULL")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > schema_version():
                raise StoreError(f"{self.path} was written by a newer version of this program (schema {version}); "
                                 "update the program")
            if version < schema_version():
                self._migrate()
            self._ensure_builtins()
        for side in self._side_files():
            tighten(side)

    def _side_files(self) -> list[Path]:
        """What SQLite and our migrations put beside the database: -wal, -shm, -journal, .bak-vN."""
        names = [f"{self.path.name}-wal", f"{self.path.name}-shm", f"{self.path.name}-journal"]
        found = [self.path.with_name(n) for n in names]
        found += sorted(self.path.parent.glob(f"{self.path.name}.bak-v*"))
        return [p for p in found if p.exists()]

    def _refuse_foreign(self) -> None:
        """Refuse a SQLite file that is not ours (``--db`` pointed at another program's data): adding our
        tables to it would change someone else's file."""
        probe = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            version = int(probe.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            probe.close()
        if (tables or version) and not tables >= OUR_TABLES:
            raise StoreError(f"{self.path} is a SQLite database of another program, not an estimator practice "
                             "database; nothing was changed (check --db / $ESTIMATOR_DB)")

    # --- plumbing -----------------------------------------------------------------------------------------

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction for store modules (GFE log, mappings): all of it lands or none of it."""
        return self._write()

    @property
    def _reader(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"{self.path}: the practice database is closed")
        return self._db

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query (WAL: a reader never waits for a writer)."""
        try:
            return list(self._reader.execute(sql, params))
        except sqlite3.OperationalError as exc:
            if str(exc).startswith(("no such", "near ")):  # a bug in the query, not the file
                raise
            raise store_error(self.path, exc) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or (on any error or a kill) none of it.

        Raises:
            StoreBusyError: another program kept the write lock for the whole busy timeout.
            StoreError: the file is read-only, the disk is full, or the file is damaged (named, with advice).
        """
        db = self._reader
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None
        try:
            yield db
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
                raise
            raise store_error(self.path, exc) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise store_error(self.path, exc) from None

    def _migrate(self) -> None:
        with self._write() as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
        if current > schema_version():
            raise StoreError(f"{self.path} was written by a newer version of this program (schema {current}); "
                             "update the program")
        if current == schema_version():
            return
        if current > 0:
            backup = private_file(self.path.with_name(f"{self.path.name}.bak-v{current}"))
            with owner_only():
                target = sqlite3.connect(backup)
                try:
                    with target:
                        self._reader.backup(target)
                finally:
                    target.close()
        with self._write() as db:
            # Re-read inside the lock: another process may have migrated meanwhile.
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            for version in range(current, schema_version()):
                MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {schema_version()}")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = None

    def connection_for_backup(self) -> sqlite3.Connection:
        """The open connection, for SQLite's online backup API (``estimator.store.backup``)."""
        return self._reader

    def change_counter(self) -> tuple[int, ...]:
        try:
            return super().change_counter()
        except sqlite3.Error as exc:  # closed, or the file went away
            raise StoreError(f"{self.path}: cannot read the practice database ({exc})") from None

    def describe(self) -> str:
        return str(self.path)

    def integrity_ok(self) -> bool:
        return bool(self._reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
