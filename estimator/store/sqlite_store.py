"""SQLite implementation of the practice repository: one file, WAL, foreign keys, versioned schema.

The SQL shared with the PostgreSQL store (practice, payers, audit trail) is in ``estimator.store.sql_store``.

Every write runs inside ``BEGIN IMMEDIATE ... COMMIT``, so a crash or a killed process leaves either the
whole change or none of it, and a second process waits (busy timeout) instead of corrupting anything.
Before a forward migration the file is copied aside (``practice.sqlite.bak-vN``).
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Final

from estimator.store import migrations
from estimator.store.sql_store import SqlStore, StoreError

__all__ = ["MIGRATIONS", "SqliteStore", "StoreError", "schema_version"]

BUSY_TIMEOUT_MS: Final = 15_000


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statements one by one inside the caller's transaction (``executescript`` would commit)."""
    for statement in migrations.statements(script):
        db.execute(statement)


#: Forward migrations: index i upgrades schema version i to i + 1 (the SQL is in ``estimator.store.migrations``).
MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = tuple(
    functools.partial(lambda script, db: run_script(db, script), m.sqlite) for m in migrations.MIGRATIONS)


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
        db: sqlite3.Connection | None = None
        self.user = _login_name()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
            self._ensure_builtins()
        except BaseException as exc:
            if db is not None:  # never leave a connection open behind a failed start
                db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{self.path}: cannot open the practice database ({exc}); "
                                 "restore a backup (practice.sqlite.bak-*) or move the file away") from None
            raise

    # --- plumbing -----------------------------------------------------------------------------------------

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction for store modules (GFE log, mappings): all of it lands or none of it."""
        return self._write()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        return list(self._db.execute(sql, params))

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or (on any error or a kill) none of it."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
        if current > schema_version():
            raise StoreError(f"{self.path} was written by a newer version of this program (schema {current}); "
                             "update the program")
        if current == schema_version():
            return
        if current > 0:
            backup = self.path.with_name(f"{self.path.name}.bak-v{current}")
            target = sqlite3.connect(backup)
            with target:
                self._db.backup(target)
            target.close()
        with self._write() as db:
            # Re-read inside the lock: another process may have migrated meanwhile.
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            for version in range(current, schema_version()):
                MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {schema_version()}")

    def close(self) -> None:
        self._db.close()

    def connection_for_backup(self) -> sqlite3.Connection:
        """The open connection, for SQLite's online backup API (``estimator.store.backup``)."""
        connection: sqlite3.Connection = self._db
        return connection

    def change_counter(self) -> tuple[int, ...]:
        try:
            return super().change_counter()
        except sqlite3.Error as exc:  # closed, or the file went away
            raise StoreError(f"{self.path}: cannot read the practice database ({exc})") from None

    def describe(self) -> str:
        return str(self.path)

    def integrity_ok(self) -> bool:
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
