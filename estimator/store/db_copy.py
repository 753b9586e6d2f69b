"""Copy a practice's data from one database to another (``estimator db copy``), proven by counts and checksums.

A practice that started on one workstation's SQLite file moves to a shared PostgreSQL database (or back, for a
local copy).  Both databases are opened at the current schema; the target must hold no practice data yet; every
table is written in one transaction on the target (all or nothing), identities are re-seeded so new rows get
new numbers, and each table's row count and SHA-256 checksum are computed on both sides afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from estimator.core.errors import InputError
from estimator.store.migrations import TABLES
from estimator.store.sql_store import SqlStore


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str  # of the source
    target_rows: int | None = None  # None on a dry run
    target_checksum: str | None = None

    @property
    def identical(self) -> bool:
        return (self.rows, self.checksum) == (self.target_rows, self.target_checksum)


def _canonical(value: Any) -> bytes:
    """One spelling of a value on both engines (a PDF as bytes, an integer as digits, NULL distinct from '')."""
    if value is None:
        return b"\x00"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return b"b" + bytes(value).hex().encode()
    if isinstance(value, bool):
        return b"i" + str(int(value)).encode()
    if isinstance(value, int):
        return b"i" + str(value).encode()
    return b"s" + str(value).encode()


def table_summary(store: SqlStore, table: str, keys: tuple[str, ...], columns: list[str]) -> tuple[int, str]:
    """Rows and a checksum of the table's content, independent of engine and row order."""
    digests: list[tuple[tuple[bytes, ...], bytes]] = []
    for row in store.rows(f"SELECT {', '.join(columns)} FROM {table}"):
        values = [row[i] for i in range(len(columns))]
        key = tuple(_canonical(row[columns.index(k)]) for k in keys)
        digests.append((key, hashlib.sha256(b"\x1f".join(_canonical(v) for v in values)).digest()))
    total = hashlib.sha256()
    for _, digest in sorted(digests):
        total.update(digest)
    return len(digests), total.hexdigest()


def _holds_data(store: SqlStore) -> list[str]:
    checks = {"payers": "SELECT COUNT(*) FROM payers WHERE builtin = 0", "GFEs": "SELECT COUNT(*) FROM gfe_log",
              "charges": "SELECT COUNT(*) FROM charge_master", "fees": "SELECT COUNT(*) FROM payer_fees"}
    return [f"{int(store.query(sql)[0][0])} {what}" for what, sql in checks.items() if int(store.query(sql)[0][0])]


def copy_database(source: SqlStore, target: SqlStore, *, dry_run: bool = False) -> list[TableCopy]:
    """Copy every table of ``source`` into ``target`` (see the module docstring); one report line per table.

    Raises:
        InputError: the target already holds practice data (nothing is written).
    """
    held = _holds_data(target)
    if held:
        raise InputError(f"{target.describe()} already holds practice data ({', '.join(held)}); "
                         "copy into a new, empty database")
    plan = [(table, keys, source.columns(table)) for table, keys in TABLES]
    before = [(table, *table_summary(source, table, keys, cols)) for table, keys, cols in plan]
    if dry_run:
        return [TableCopy(table, rows, checksum) for table, rows, checksum in before]
    with target.transaction() as db:
        for table, _, _ in reversed(plan):
            db.execute(f"DELETE FROM {table}")
        for table, _, cols in plan:
            rows = [tuple(r[i] for i in range(len(cols)))
                    for r in source.rows(f"SELECT {', '.join(cols)} FROM {table}")]
            db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
            if target.engine == "postgresql" and "id" in cols and table != "practice":
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    return [TableCopy(table, rows, checksum, *table_summary(target, table, keys, cols))
            for (table, rows, checksum), (_, keys, cols) in zip(before, plan, strict=True)]
