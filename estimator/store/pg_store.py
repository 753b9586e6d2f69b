"""PostgreSQL implementation of the practice repository: one database shared by a practice's workstations.

The SQL is shared with SQLite (``estimator.store.sql_store``); this module connects with psycopg 3, turns the
``?`` placeholders into psycopg's ``%s``, runs each write in one transaction, migrates the schema under an
advisory lock (two workstations starting a new version at once migrate once) with the version kept in the
database (``estimator_schema``), and maps the server's refusals to messages a user can act on.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Final

import psycopg
from psycopg import errors as pg_errors

from estimator.store import migrations
from estimator.store.roles import Role
from estimator.store.sql_store import NotAllowedError, SqlStore, StoreError

#: Any constant: the key of the advisory lock held while migrating.
_MIGRATION_LOCK: Final = 1_700_017_000
CONNECT_TIMEOUT_S: Final = 10


def redacted(dsn: str) -> str:
    """The DSN without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


class Row:
    """A result row readable by column name or position (as ``sqlite3.Row``)."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


def _pg_sql(sql: str) -> str:
    """Our ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Connection:
    """A psycopg connection that speaks the stores' SQL (``?`` placeholders), like ``sqlite3.Connection``.

    A refusal for lack of privileges becomes NotAllowedError and a lost or refused connection StoreError, each
    with what to do; constraint violations pass through (the callers' own checks come first).
    """

    def __init__(self, conn: psycopg.Connection[Any], where: str) -> None:
        self.conn = conn
        self.where = where
        self.user = ""

    @contextlib.contextmanager
    def _explained(self) -> Iterator[None]:
        try:
            yield
        except pg_errors.InsufficientPrivilege as exc:
            raise NotAllowedError(f"the database refused this for {self.user or 'this login'} "
                                  f"({_first_line(exc)}); ask a manager, or the practice's IT to give this login "
                                  "a role (estimator db init-roles --member LOGIN=ROLE)") from None
        except psycopg.OperationalError as exc:
            raise StoreError(f"{self.where}: the database cannot be reached ({_first_line(exc)}); check the "
                             "network and the server, then try again") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        with self._explained():
            return self.conn.execute(_pg_sql(sql), tuple(params))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        with self._explained(), self.conn.cursor() as cursor:
            cursor.executemany(_pg_sql(sql), [tuple(p) for p in params])


class PostgresStore(SqlStore):
    """The practice database on a PostgreSQL server (``postgresql://user@host/dbname``)."""

    engine: ClassVar[str] = "postgresql"

    def __init__(self, dsn: str, *, migrate: bool = True) -> None:
        self.dsn = dsn
        try:
            self._conn: psycopg.Connection[Any] = psycopg.connect(
                dsn, autocommit=True, row_factory=_row_factory, connect_timeout=CONNECT_TIMEOUT_S,
                application_name="estimator")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"{redacted(dsn)}: cannot connect to the practice database ({reason}); check the "
                             "server name, database, user and password, or ask the practice's IT") from None
        self._db = _Connection(self._conn, redacted(dsn))
        try:
            self.user = self._db.user = str(self._db.execute("SELECT current_user").fetchone()[0])
            if migrate:
                self._migrate()
            self._ensure_builtins()
        except BaseException:
            self._conn.close()
            raise

    # --- plumbing -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[_Connection]:
        """One transaction: all of it lands or none of it; a refused change says which role was connected."""
        try:
            with self._conn.transaction():
                yield self._db
        except NotAllowedError as exc:
            raise NotAllowedError(f"{str(exc).split(';')[0]}: {self.user} is connected with the "
                                  f"{self.role().value} role; ask a manager") from None

    def close(self) -> None:
        self._conn.close()

    def describe(self) -> str:
        return redacted(self.dsn)

    def schema_version(self) -> int:
        row = self._db.execute("SELECT to_regclass('estimator_schema')").fetchone()
        if row[0] is None:
            return 0
        return int(self._db.execute("SELECT version FROM estimator_schema").fetchone()[0])

    def _migrate(self) -> None:
        target = len(migrations.MIGRATIONS)
        current = self.schema_version()
        if current > target:
            raise StoreError(f"{self.describe()} was written by a newer version of this program (schema {current});"
                             " update the program on this workstation")
        if current == target:
            return
        try:
            with self._conn.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                current = self.schema_version()  # re-read under the lock: another workstation may have migrated
                if current == 0:
                    self._db.execute("CREATE TABLE estimator_schema (version INTEGER NOT NULL)")
                    self._db.execute("INSERT INTO estimator_schema (version) VALUES (0)")
                for migration in migrations.MIGRATIONS[current:]:
                    for statement in migrations.statements(migration.postgresql or migration.sqlite):
                        self._db.execute(statement)
                    if migration.fill is not None:
                        migration.fill(self._db)
                self._db.execute("UPDATE estimator_schema SET version = ?", (target,))
        except NotAllowedError:
            raise StoreError(f"{self.describe()} needs its schema upgraded to version {target} (it is at "
                             f"{current}); the database owner must start the program once to do it") from None

    def role(self) -> Role:
        """The highest estimator role the connected user holds (the database owner counts as manager)."""
        row = self._db.execute(
            "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR "
            "pg_has_role(current_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'payers' "
            "AND schemaname = current_schema()), 'MEMBER')").fetchone()
        if row[0]:
            return Role.MANAGER
        for role in (Role.MANAGER, Role.BILLING):
            held = self._db.execute(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?) "
                "THEN pg_has_role(current_user, ?, 'MEMBER') ELSE false END",
                (role.database_role, role.database_role)).fetchone()
            if held[0]:
                return role
        return Role.FRONT_DESK
