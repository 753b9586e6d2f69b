"""SQLite implementation of the practice repository: one file, WAL, foreign keys, versioned schema.

Every write runs inside ``BEGIN IMMEDIATE ... COMMIT``, so a crash or a killed process leaves either the
whole change or none of it, and a second process waits (busy timeout) instead of corrupting anything.
Before a forward migration the file is copied aside (``practice.sqlite.bak-vN``).

Reads go through a read-only connection (``mode=ro``): in WAL mode a reader never waits for a writer and
takes no lock a writer would wait for, so ``estimator payers list`` answers at once while another program
writes.  The read-write connection is opened on the first write (or at open, when the file must be
created or migrated).  The file and everything SQLite puts beside it (``-wal``, ``-shm``, backups) is
owner-only (0600, folder 0700 when we create it): it holds patients' names and dates of birth.
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
from estimator.files import owner_only, private_dir, private_file, tighten

BUSY_TIMEOUT_MS: Final = 15_000


class StoreError(EstimatorError):
    """The database cannot be opened or is not one of ours."""


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

#: Forward migrations: index i upgrades schema version i to i + 1. Append, never edit.
def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run DDL statements one by one inside the caller's transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


_V3: Final = """
CREATE TABLE gfe_search (
    id INTEGER PRIMARY KEY REFERENCES gfe_log(id) ON DELETE CASCADE,
    issued_at TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX gfe_search_newest ON gfe_search (issued_at DESC, id DESC, key)
"""


def _v3(db: sqlite3.Connection) -> None:
    """The GFE log's search table: one slim row per estimate (folded name, dates), so a keystroke in the
    log's search box scans a few MB instead of every row with its PDF (1-2 s at 100k entries)."""
    # Imported here, not at the top: gfe_log imports this module (a cycle otherwise).
    from estimator.store.gfe_log import search_key  # noqa: PLC0415

    run_script(db, _V3)
    rows = db.execute("SELECT id, issued_at, patient_name, patient_dob, scheduled_date FROM gfe_log").fetchall()
    db.executemany("INSERT INTO gfe_search (id, issued_at, key) VALUES (?, ?, ?)",
                   [(r[0], r[1], search_key(r[2], r[3], r[4], r[1])) for r in rows])


MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    lambda db: run_script(db, _V1),  # v1: practice, charge master, payers, payer fees
    lambda db: run_script(db, _V2),  # v2: Good Faith Estimate log, remembered CSV column mappings
    _v3,  # v3: the GFE log's search table
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
        #: Payers in the file that fail validation (one message each); ``payers()`` leaves them out.
        self.payer_problems: list[str] = []
        self._rw: sqlite3.Connection | None = None
        self._db: sqlite3.Connection | None = None
        try:
            self._open()
        except sqlite3.Error as exc:
            self.close()
            raise store_error(self.path, exc) from None
        except BaseException:
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
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version = int(self._reader.execute("PRAGMA user_version").fetchone()[0])
        if version > schema_version():
            raise StoreError(f"{self.path} was written by a newer version of this program (schema {version}); "
                             "update the program")
        if version < schema_version():
            self._migrate()
        if self._reader.execute("SELECT count(*) FROM payers WHERE builtin = 1").fetchone()[0] < 2:
            self._ensure_builtins()

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

    @property
    def _reader(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"{self.path}: the practice database is closed")
        return self._db

    def _writer(self) -> sqlite3.Connection:
        """The read-write connection, opened on the first write."""
        if self._rw is None:
            with owner_only():
                rw = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                try:
                    rw.row_factory = sqlite3.Row
                    rw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                    rw.execute("PRAGMA journal_mode = WAL")
                    rw.execute("PRAGMA foreign_keys = ON")
                    rw.execute("PRAGMA synchronous = FULL")
                except BaseException:
                    rw.close()
                    raise
            self._rw = rw
            for side in self._side_files():
                tighten(side)
        return self._rw

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction for store modules (GFE log, mappings): all of it lands or none of it."""
        return self._write()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query (through the read-only connection: never waits for a writer)."""
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
        try:
            db = self._writer()
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
                        self._writer().backup(target)
                finally:
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
        for connection in (self._db, self._rw):
            if connection is not None:
                connection.close()
        self._db = self._rw = None

    def integrity_ok(self) -> bool:
        return bool(self._reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- practice -----------------------------------------------------------------------------------------

    def practice(self) -> Practice:
        row = self._reader.execute("SELECT * FROM practice WHERE id = 1").fetchone()
        charges = {(r["code"], r["modifier"]): int(r["cents"])
                   for r in self._reader.execute("SELECT code, modifier, cents FROM charge_master")}
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
        """Every valid payer; one that fails validation (a bad row written by an older version or another
        tool) is left out and described in ``payer_problems``, so it never breaks the others."""
        rows = self._reader.execute("SELECT * FROM payers ORDER BY builtin DESC, name COLLATE NOCASE").fetchall()
        out: list[Payer] = []
        problems: list[str] = []
        for row in rows:
            try:
                out.append(self._payer_from(row))
            except InputError as exc:
                problems.append(str(exc))
        self.payer_problems = problems
        return out

    def payer_names(self) -> list[str]:
        rows = self._reader.execute("SELECT name FROM payers ORDER BY builtin DESC, name COLLATE NOCASE")
        return [r[0] for r in rows]

    def payer(self, name: str) -> Payer:
        row = self._reader.execute("SELECT * FROM payers WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            known = ", ".join(self.payer_names())
            raise InputError(f"no payer named {name!r}; known payers: {known} (add one with 'estimator payers add')")
        return self._payer_from(row)

    def _payer_from(self, row: sqlite3.Row) -> Payer:
        """The payer a row describes.

        Raises:
            InputError: the stored values are not valid (named, with how to fix it).
        """
        try:
            return self._payer_from_row(row)
        except (InputError, ValueError, ArithmeticError, KeyError, TypeError) as exc:
            detail = str(exc).removeprefix(f"payer {row['name']!r}: ")
            raise InputError(f"payer {row['name']!r} in {self.path} is invalid and was skipped ({detail}); "
                             f"fix it with 'estimator payers edit' or the Payers page, or remove it") from None

    def _payer_from_row(self, row: sqlite3.Row) -> Payer:
        fees: dict[str, dict[CodeKey, int]] = {"fee": {}, "override": {}}
        query = "SELECT kind, code, modifier, cents FROM payer_fees WHERE payer_id = ?"
        for f in self._reader.execute(query, (row["id"],)):
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
