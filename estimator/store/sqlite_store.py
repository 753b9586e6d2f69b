"""SQLite implementation of the practice repository: one file, WAL, foreign keys, versioned schema.

Every write runs inside ``BEGIN IMMEDIATE ... COMMIT``, so a crash or a killed process leaves either the
whole change or none of it, and a second process waits (busy timeout) instead of corrupting anything.
Before a forward migration the file is copied aside (``practice.sqlite.bak-vN``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from estimator.core.errors import EstimatorError, InputError
from estimator.core.payers import (
    MEDICARE_PAYER,
    SELF_PAY_PAYER,
    CodeKey,
    Method,
    Payer,
    Practice,
)
from estimator.core.schedule import NATIONAL_KEY, CFVariant

BUSY_TIMEOUT_MS: Final = 15_000


class StoreError(EstimatorError):
    """The database cannot be opened or is not one of ours."""


_V1: Final = """
CREATE TABLE practice (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL DEFAULT '', npi TEXT NOT NULL DEFAULT '', tin TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '', locality TEXT NOT NULL DEFAULT 'national',
    pos TEXT NOT NULL DEFAULT '11', qualifying_apm INTEGER NOT NULL DEFAULT 0,
    participating INTEGER NOT NULL DEFAULT 1
);
INSERT INTO practice (id) VALUES (1);
CREATE TABLE charge_master (
    code TEXT NOT NULL, modifier TEXT NOT NULL DEFAULT '', cents INTEGER NOT NULL CHECK (cents >= 0),
    PRIMARY KEY (code, modifier)
);
CREATE TABLE payers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    method TEXT NOT NULL,
    percent TEXT, year INTEGER, locality TEXT NOT NULL DEFAULT 'practice', cf_variant TEXT,
    conversion_factor TEXT, em25_reduction TEXT NOT NULL DEFAULT '0', mppr INTEGER NOT NULL DEFAULT 1,
    mppr_secondary_pct TEXT NOT NULL DEFAULT '50', lesser_of_charge INTEGER NOT NULL DEFAULT 0,
    self_pay_discount TEXT NOT NULL DEFAULT '0', effective_from TEXT, effective_to TEXT,
    frequency_count INTEGER, frequency_days INTEGER, prior_auth_codes TEXT NOT NULL DEFAULT '',
    builtin INTEGER NOT NULL DEFAULT 0, notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE payer_fees (
    payer_id INTEGER NOT NULL REFERENCES payers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'override')),
    code TEXT NOT NULL, modifier TEXT NOT NULL DEFAULT '', cents INTEGER NOT NULL CHECK (cents >= 0),
    PRIMARY KEY (payer_id, kind, code, modifier)
);
"""

_V2: Final = """
CREATE TABLE gfe_log (
    id INTEGER PRIMARY KEY,
    issued_at TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    patient_dob TEXT NOT NULL,
    scheduled_date TEXT NOT NULL,
    scheduled_on TEXT NOT NULL,
    due_date TEXT NOT NULL,
    lang TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    inputs_json TEXT NOT NULL,
    pdf BLOB NOT NULL,
    retain_until TEXT NOT NULL
);
CREATE INDEX gfe_log_patient ON gfe_log (patient_name COLLATE NOCASE, scheduled_date);
CREATE TABLE column_mappings (
    layout_key TEXT PRIMARY KEY,
    mapping_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""

_V3: Final = """
CREATE TABLE remit_files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    lines_read INTEGER NOT NULL,
    lines_added INTEGER NOT NULL
);
CREATE TABLE remit_lines (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES remit_files(id),
    payer TEXT NOT NULL, payer_key TEXT NOT NULL, payer_id TEXT NOT NULL, payee TEXT NOT NULL,
    payment_ref TEXT NOT NULL, paid_on TEXT NOT NULL,
    claim_id TEXT NOT NULL, payer_claim_id TEXT NOT NULL, claim_status TEXT NOT NULL, patient_id TEXT NOT NULL,
    line_id TEXT NOT NULL, service_date TEXT NOT NULL, code TEXT NOT NULL, modifiers TEXT NOT NULL,
    units INTEGER NOT NULL, charge_cents INTEGER NOT NULL, paid_cents INTEGER NOT NULL, allowed_cents INTEGER,
    adjustments TEXT NOT NULL, remarks TEXT NOT NULL,
    UNIQUE (payer_key, payer_claim_id, line_id)
)
"""

#: Forward migrations: index i upgrades schema version i to i + 1. Append, never edit.
def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statements one by one inside the caller's transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    lambda db: run_script(db, _V1),  # v1: practice, charge master, payers, payer fees
    lambda db: run_script(db, _V2),  # v2: Good Faith Estimate log, remembered CSV column mappings
    lambda db: run_script(db, _V3),  # v3: imported remittances (835)
)


def schema_version() -> int:
    return len(MIGRATIONS)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _date(text: str | None) -> dt.date | None:
    return None if not text else dt.date.fromisoformat(text)


class SqliteStore:
    """The practice database in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
            self._ensure_builtins()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the practice database ({exc}); "
                             "restore a backup (practice.sqlite.bak-*) or move the file away") from None

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

    def _ensure_builtins(self) -> None:
        with self._write() as db:
            for payer in (MEDICARE_PAYER, SELF_PAY_PAYER):
                if db.execute("SELECT 1 FROM payers WHERE name = ?", (payer.name,)).fetchone() is None:
                    self._insert_payer(db, payer)

    def close(self) -> None:
        self._db.close()

    def integrity_ok(self) -> bool:
        return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- practice -----------------------------------------------------------------------------------------

    def practice(self) -> Practice:
        row = self._db.execute("SELECT * FROM practice WHERE id = 1").fetchone()
        charges = {(r["code"], r["modifier"]): int(r["cents"])
                   for r in self._db.execute("SELECT code, modifier, cents FROM charge_master")}
        return Practice(row["name"], row["npi"], row["tin"], row["address"], row["locality"] or NATIONAL_KEY,
                        row["pos"], bool(row["qualifying_apm"]), bool(row["participating"]), charges)

    def save_practice(self, practice: Practice) -> None:
        with self._write() as db:
            db.execute("UPDATE practice SET name=?, npi=?, tin=?, address=?, locality=?, pos=?, qualifying_apm=?,"
                       " participating=? WHERE id = 1",
                       (practice.name, practice.npi, practice.tin, practice.address, practice.locality_key,
                        practice.place_of_service, int(practice.qualifying_apm), int(practice.participating)))

    def replace_charges(self, charges: Mapping[CodeKey, int]) -> None:
        with self._write() as db:
            db.execute("DELETE FROM charge_master")
            db.executemany("INSERT INTO charge_master (code, modifier, cents) VALUES (?, ?, ?)",
                           [(c, m, v) for (c, m), v in charges.items()])

    # --- payers -------------------------------------------------------------------------------------------

    def payers(self) -> list[Payer]:
        rows = self._db.execute("SELECT * FROM payers ORDER BY builtin DESC, name COLLATE NOCASE").fetchall()
        return [self._payer_from(r) for r in rows]

    def payer_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM payers ORDER BY builtin DESC, name COLLATE NOCASE")]

    def payer(self, name: str) -> Payer:
        row = self._db.execute("SELECT * FROM payers WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            known = ", ".join(self.payer_names())
            raise InputError(f"no payer named {name!r}; known payers: {known} (add one with 'estimator payers add')")
        return self._payer_from(row)

    def _payer_from(self, row: sqlite3.Row) -> Payer:
        fees: dict[str, dict[CodeKey, int]] = {"fee": {}, "override": {}}
        query = "SELECT kind, code, modifier, cents FROM payer_fees WHERE payer_id = ?"
        for f in self._db.execute(query, (row["id"],)):
            fees[f["kind"]][(f["code"], f["modifier"])] = int(f["cents"])
        return Payer(
            name=row["name"], method=Method(row["method"]), percent=_dec(row["percent"]), year=row["year"],
            locality=row["locality"], cf_variant=CFVariant(row["cf_variant"]) if row["cf_variant"] else None,
            conversion_factor=_dec(row["conversion_factor"]), fees=fees["fee"], overrides=fees["override"],
            em25_reduction=Decimal(row["em25_reduction"]), mppr=bool(row["mppr"]),
            mppr_secondary_pct=Decimal(row["mppr_secondary_pct"]), lesser_of_charge=bool(row["lesser_of_charge"]),
            self_pay_discount=Decimal(row["self_pay_discount"]), effective_from=_date(row["effective_from"]),
            effective_to=_date(row["effective_to"]), frequency_count=row["frequency_count"],
            frequency_days=row["frequency_days"],
            prior_auth_codes=frozenset(c for c in row["prior_auth_codes"].split(",") if c),
            builtin=bool(row["builtin"]), notes=row["notes"],
        )

    @staticmethod
    def _columns(payer: Payer) -> dict[str, Any]:
        return {
            "name": payer.name.strip(), "method": payer.method.value,
            "percent": None if payer.percent is None else str(payer.percent), "year": payer.year,
            "locality": payer.locality, "cf_variant": payer.cf_variant.value if payer.cf_variant else None,
            "conversion_factor": None if payer.conversion_factor is None else str(payer.conversion_factor),
            "em25_reduction": str(payer.em25_reduction), "mppr": int(payer.mppr),
            "mppr_secondary_pct": str(payer.mppr_secondary_pct), "lesser_of_charge": int(payer.lesser_of_charge),
            "self_pay_discount": str(payer.self_pay_discount),
            "effective_from": payer.effective_from.isoformat() if payer.effective_from else None,
            "effective_to": payer.effective_to.isoformat() if payer.effective_to else None,
            "frequency_count": payer.frequency_count, "frequency_days": payer.frequency_days,
            "prior_auth_codes": ",".join(sorted(payer.prior_auth_codes)), "builtin": int(payer.builtin),
            "notes": payer.notes,
        }

    def _insert_payer(self, db: sqlite3.Connection, payer: Payer) -> int:
        cols = self._columns(payer)
        cursor = db.execute(f"INSERT INTO payers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            tuple(cols.values()))
        payer_id = int(cursor.lastrowid or 0)
        self._write_fees(db, payer_id, "fee", payer.fees)
        self._write_fees(db, payer_id, "override", payer.overrides)
        return payer_id

    @staticmethod
    def _write_fees(db: sqlite3.Connection, payer_id: int, kind: str, fees: Mapping[CodeKey, int]) -> None:
        db.execute("DELETE FROM payer_fees WHERE payer_id = ? AND kind = ?", (payer_id, kind))
        db.executemany("INSERT INTO payer_fees (payer_id, kind, code, modifier, cents) VALUES (?, ?, ?, ?, ?)",
                       [(payer_id, kind, c, m, v) for (c, m), v in sorted(fees.items())])

    def _id(self, db: sqlite3.Connection, name: str) -> tuple[int, bool]:
        row = db.execute("SELECT id, builtin FROM payers WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            raise InputError(f"no payer named {name!r}; see 'estimator payers list'")
        return int(row["id"]), bool(row["builtin"])

    def add_payer(self, payer: Payer) -> None:
        with self._write() as db:
            if db.execute("SELECT 1 FROM payers WHERE name = ?", (payer.name.strip(),)).fetchone():
                raise InputError(f"a payer named {payer.name!r} already exists; choose another name or edit it")
            self._insert_payer(db, payer)

    def update_payer(self, name: str, payer: Payer) -> None:
        with self._write() as db:
            payer_id, builtin = self._id(db, name)
            if builtin and payer.name.strip().lower() != name.strip().lower():
                raise InputError(f"{name} is built in and cannot be renamed")
            clash = db.execute("SELECT id FROM payers WHERE name = ? AND id != ?", (payer.name.strip(), payer_id))
            if clash.fetchone():
                raise InputError(f"a payer named {payer.name!r} already exists; choose another name")
            cols = self._columns(payer)
            cols["builtin"] = int(builtin)
            db.execute(f"UPDATE payers SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                       (*cols.values(), payer_id))
            self._write_fees(db, payer_id, "fee", payer.fees)
            self._write_fees(db, payer_id, "override", payer.overrides)

    def remove_payer(self, name: str) -> None:
        with self._write() as db:
            payer_id, builtin = self._id(db, name)
            if builtin:
                raise InputError(f"{name} is built in and cannot be removed")
            db.execute("DELETE FROM payers WHERE id = ?", (payer_id,))

    def replace_fees(self, name: str, fees: Mapping[CodeKey, int], *, create: Payer | None = None) -> None:
        """Replace a payer's whole fee schedule in one transaction (creating the payer if ``create``)."""
        with self._write() as db:
            row = db.execute("SELECT id FROM payers WHERE name = ?", (name.strip(),)).fetchone()
            if row is None:
                if create is None:
                    raise InputError(f"no payer named {name!r}")
                payer_id = self._insert_payer(db, create)
            else:
                payer_id = int(row["id"])
            self._write_fees(db, payer_id, "fee", fees)
