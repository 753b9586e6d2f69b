"""Open the practice database named by ``--db``, ``ESTIMATOR_DB`` or the app's settings: a file or a server.

``postgresql://user@host/dbname`` (or ``postgres://``) is a shared PostgreSQL database; ``sqlite:PATH`` or a
plain path is a SQLite file (the default, which needs nothing installed or running).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from estimator import paths
from estimator.core.errors import InputError

if TYPE_CHECKING:
    from estimator.store.sql_store import SqlStore

    Store = SqlStore


def is_server(target: str) -> bool:
    """A PostgreSQL URL (anything else is a SQLite file)."""
    return target.strip().startswith(("postgresql://", "postgres://"))


def sqlite_path(target: str) -> Path:
    """The file a SQLite target names (``sqlite:PATH`` or ``PATH``)."""
    text = target.strip()
    return Path(text.removeprefix("sqlite:"))


def open_store(target: str | Path) -> SqlStore:
    """The store ``target`` names, connected (and created or migrated) now.

    Raises:
        StoreError: the file or server cannot be opened (with how to fix it).
    """
    text = str(target)
    if is_server(text):
        # psycopg takes ~0.1-0.5 s to import: only a PostgreSQL user pays for it, never a SQLite start-up.
        from estimator.store.pg_store import PostgresStore  # noqa: PLC0415

        return PostgresStore(text.strip())
    # The store classes (sqlite3, the payer model) load when a database is opened, not when a command that
    # never opens one (``estimator price``) only asks where it would be.
    from estimator.store.sqlite_store import SqliteStore  # noqa: PLC0415

    return SqliteStore(sqlite_path(text))


def missing_database_message(db: str) -> str:
    """What the CLI and the app say when ``--db`` names a file that does not exist (one wording, one place)."""
    return (f"--db {db}: no practice database there ({sqlite_path(db).expanduser().resolve()}); check the path, "
            "or add --create to start a new one")


def check_explicit_database(db: str | None, create: bool) -> bool:
    """The rule for ``--db`` (command line and app alike): a mistyped path never starts an empty database.

    Args:
        db: ``--db`` as given (``None``: not given, so the configured or default database is used).
        create: ``--create`` was given.

    Returns:
        True when ``db`` names a SQLite file that does not exist yet and ``create`` allows making it.

    Raises:
        InputError: ``db`` names a SQLite file that does not exist and ``create`` is False.
    """
    if db is None or is_server(db) or sqlite_path(db).expanduser().exists():
        return False
    if not create:
        raise InputError(missing_database_message(db))
    return True


def default_target(explicit: str | None = None, configured: str | None = None) -> str:
    """The database to use: ``--db``, else ``ESTIMATOR_DB``, else the app's setting, else the user-folder file.

    Args:
        explicit: ``--db`` as given.
        configured: the app's Practice settings > Database value.
    """
    for candidate in (explicit, os.environ.get("ESTIMATOR_DB"), configured):
        if candidate and candidate.strip():
            return candidate.strip()
    return str(paths.default_db_path())
