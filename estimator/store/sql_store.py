"""What the SQLite and PostgreSQL stores share: the practice, charge master, payers and the audit trail.

The SQL here runs unchanged on both engines (``?`` placeholders; the PostgreSQL store translates them).  An
engine supplies the connection (``_db``), one write transaction (``_write``), the schema migration and
``close``.  Every write records who made it and when in ``audit_trail``; a payer's ``version`` makes a save
refuse to overwrite a change made meanwhile by another workstation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Protocol

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
from estimator.store.roles import Action, Role, why_not


class StoreError(EstimatorError):
    """The database cannot be opened or is not one of ours."""


class ConflictError(InputError):
    """Another workstation changed the record since it was read; the user must reload before saving."""


class NotAllowedError(InputError):
    """The connected role may not do this (the database refused, or would)."""


class Row(Protocol):
    def __getitem__(self, key: int | str, /) -> Any: ...


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection the stores use (``sqlite3.Connection`` has it as is)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...


@dataclass(frozen=True, slots=True)
class Stamp:
    """A payer's version and its last change (who, when in UTC ISO)."""

    version: int
    changed_by: str
    changed_at: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str  # ISO date-time, UTC
    who: str
    action: str
    subject: str
    detail: str


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _date(text: str | None) -> dt.date | None:
    return None if not text else dt.date.fromisoformat(text)


class SqlStore:
    """The practice database; an engine subclass connects, migrates and runs transactions."""

    engine: ClassVar[str]
    _db: Any  # the engine's connection (``Connection``)
    user: str = ""  # who this connection writes as (recorded in the audit trail)
    #: Payers in the database that fail validation (one message each), as of the last ``payers()``.
    payer_problems: list[str] = []  # noqa: RUF012 - replaced (never mutated) by payers()

    # --- plumbing -----------------------------------------------------------------------------------------

    def _write(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """A write transaction for store modules (GFE log, mappings): all of it lands or none of it."""
        return self._write()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of a read-only query (by column name or position)."""
        return list(self._db.execute(sql, params))

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Any]:
        """Rows of a read-only query, one at a time (for large tables)."""
        return iter(self._db.execute(sql, params))

    def columns(self, table: str) -> list[str]:
        """A table's column names, in order (``table`` is one of ours, never user input)."""
        return [d[0] for d in self._db.execute(f"SELECT * FROM {table} LIMIT 0").description]

    def close(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """Where the data is, for messages (never a password)."""
        raise NotImplementedError

    def role(self) -> Role:
        """What the connected user may do (see ``estimator.store.roles``)."""
        return Role.MANAGER

    def require(self, action: Action) -> None:
        """Raises NotAllowedError, saying who may, when the connected role may not do ``action``."""
        reason = why_not(self.role(), action)
        if reason:
            raise NotAllowedError(reason)

    def audit(self, db: Any, action: str, subject: str, detail: str = "") -> None:
        """Record who did what, inside the caller's transaction."""
        db.execute("INSERT INTO audit_trail (at, who, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                   (now_iso(), self.user, action, subject, detail))

    def audit_trail(self, limit: int = 500) -> list[AuditEntry]:
        """The newest changes first."""
        rows = self.query("SELECT id, at, who, action, subject, detail FROM audit_trail ORDER BY id DESC LIMIT ?",
                          (int(limit),))
        return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def change_counter(self) -> tuple[int, ...]:
        """Changes whenever anyone changes payers, the practice or the GFE log (cheap enough to poll)."""
        row = self.query("SELECT (SELECT COUNT(*) FROM payers), (SELECT COALESCE(SUM(version), 0) FROM payers), "
                         "(SELECT COALESCE(MAX(id), 0) FROM audit_trail), (SELECT COUNT(*) FROM gfe_log)")[0]
        return tuple(int(row[i]) for i in range(4))

    def _ensure_builtins(self) -> None:
        names = {r[0] for r in self.query("SELECT name FROM payers WHERE builtin = 1")}
        if {MEDICARE_PAYER.name, SELF_PAY_PAYER.name} <= names:
            return  # nothing to write: a role that may not change payers can still open the database
        with self._write() as db:
            for payer in (MEDICARE_PAYER, SELF_PAY_PAYER):
                if db.execute("SELECT 1 FROM payers WHERE name = ?", (payer.name,)).fetchone() is None:
                    self._insert_payer(db, payer)

    # --- practice -----------------------------------------------------------------------------------------

    def practice(self) -> Practice:
        row = self.query("SELECT * FROM practice WHERE id = 1")[0]
        charges = {(r["code"], r["modifier"]): int(r["cents"])
                   for r in self.query("SELECT code, modifier, cents FROM charge_master")}
        # participating: 1 participating, 0 non-participating taking assignment, 2 non-participating with
        # unassigned claims (one column, so no schema change was needed for the assignment setting).
        status = int(row["participating"])
        return Practice(row["name"], row["npi"], row["tin"], row["address"], row["locality"] or NATIONAL_KEY,
                        row["pos"], bool(row["qualifying_apm"]), status == 1, charges, accepts_assignment=status != 2)

    def save_practice(self, practice: Practice) -> None:
        with self._write() as db:
            db.execute("UPDATE practice SET name=?, npi=?, tin=?, address=?, locality=?, pos=?, qualifying_apm=?,"
                       " participating=? WHERE id = 1",
                       (practice.name, practice.npi, practice.tin, practice.address, practice.locality_key,
                        practice.place_of_service, int(practice.qualifying_apm),
                        1 if practice.participating else 0 if practice.accepts_assignment else 2))
            self.audit(db, "practice settings changed", practice.name)

    def replace_charges(self, charges: Mapping[CodeKey, int]) -> None:
        with self._write() as db:
            db.execute("DELETE FROM charge_master")
            db.executemany("INSERT INTO charge_master (code, modifier, cents) VALUES (?, ?, ?)",
                           [(c, m, v) for (c, m), v in charges.items()])
            self.audit(db, "charge master replaced", "charge master", f"{len(charges)} charges")

    # --- payers -------------------------------------------------------------------------------------------

    def payers(self) -> list[Payer]:
        """Every valid payer; one that fails validation (a bad row written by an older version or another
        tool) is left out and described in ``payer_problems``, so it never breaks the others."""
        rows = self.query("SELECT * FROM payers ORDER BY builtin DESC, name COLLATE NOCASE")
        fees = self._fees(None)
        out: list[Payer] = []
        problems: list[str] = []
        for row in rows:
            try:
                out.append(self._checked_payer(row, fees.get(int(row["id"]), {})))
            except InputError as exc:
                problems.append(str(exc))
        self.payer_problems = problems
        return out

    def payer_names(self) -> list[str]:
        return [r[0] for r in self.query("SELECT name FROM payers ORDER BY builtin DESC, name COLLATE NOCASE")]

    def payer(self, name: str) -> Payer:
        rows = self.query("SELECT * FROM payers WHERE name = ?", (name.strip(),))
        if not rows:
            known = ", ".join(self.payer_names())
            raise InputError(f"no payer named {name!r}; known payers: {known} (add one with 'estimator payers add')")
        row = rows[0]
        return self._checked_payer(row, self._fees(int(row["id"])).get(int(row["id"]), {}))

    def _checked_payer(self, row: Any, fees: Mapping[str, dict[CodeKey, int]]) -> Payer:
        """The payer a row describes.

        Raises:
            InputError: the stored values are not valid (named, with how to fix it).
        """
        try:
            return self._payer_from(row, fees)
        except (InputError, ValueError, ArithmeticError, KeyError, TypeError) as exc:
            detail = str(exc).removeprefix(f"payer {row['name']!r}: ")
            raise InputError(f"payer {row['name']!r} in {self.describe()} is invalid and was skipped ({detail}); "
                             "fix it with 'estimator payers edit' or the Payers page, or remove it") from None

    def payer_versions(self) -> dict[str, int]:
        """Every payer's version by name (read with the payers, so an edit can say which version it started from)."""
        return {r[0]: int(r[1]) for r in self.query("SELECT name, version FROM payers")}

    def payer_stamp(self, name: str) -> Stamp:
        """The payer's version and last change; pass ``version`` back to ``update_payer`` to detect conflicts."""
        rows = self.query("SELECT version, changed_by, changed_at FROM payers WHERE name = ?", (name.strip(),))
        if not rows:
            raise InputError(f"no payer named {name!r}; see 'estimator payers list'")
        return Stamp(int(rows[0][0]), rows[0][1], rows[0][2])

    def _fees(self, payer_id: int | None) -> dict[int, dict[str, dict[CodeKey, int]]]:
        """Fees and overrides by payer id (of one payer, or of all in one query)."""
        sql = "SELECT payer_id, kind, code, modifier, cents FROM payer_fees"
        rows = self.query(sql, ()) if payer_id is None else self.query(sql + " WHERE payer_id = ?", (payer_id,))
        out: dict[int, dict[str, dict[CodeKey, int]]] = {}
        for f in rows:
            out.setdefault(int(f[0]), {"fee": {}, "override": {}})[f[1]][(f[2], f[3])] = int(f[4])
        return out

    @staticmethod
    def _payer_from(row: Any, fees: Mapping[str, dict[CodeKey, int]]) -> Payer:
        return Payer(
            name=row["name"], method=Method(row["method"]), percent=_dec(row["percent"]), year=row["year"],
            locality=row["locality"], cf_variant=CFVariant(row["cf_variant"]) if row["cf_variant"] else None,
            conversion_factor=_dec(row["conversion_factor"]), fees=dict(fees.get("fee", {})),
            overrides=dict(fees.get("override", {})),
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

    def _stamped(self, payer: Payer) -> dict[str, Any]:
        return self._columns(payer) | {"changed_by": self.user, "changed_at": now_iso()}

    def _insert_payer(self, db: Any, payer: Payer) -> int:
        cols = self._stamped(payer)
        row = db.execute(f"INSERT INTO payers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) RETURNING id",
                         tuple(cols.values())).fetchone()
        payer_id = int(row[0])
        self._write_fees(db, payer_id, "fee", payer.fees)
        self._write_fees(db, payer_id, "override", payer.overrides)
        self.audit(db, "payer added", payer.name.strip())
        return payer_id

    @staticmethod
    def _write_fees(db: Any, payer_id: int, kind: str, fees: Mapping[CodeKey, int]) -> None:
        db.execute("DELETE FROM payer_fees WHERE payer_id = ? AND kind = ?", (payer_id, kind))
        db.executemany("INSERT INTO payer_fees (payer_id, kind, code, modifier, cents) VALUES (?, ?, ?, ?, ?)",
                       [(payer_id, kind, c, m, v) for (c, m), v in sorted(fees.items())])

    def _id(self, db: Any, name: str) -> tuple[int, bool]:
        row = db.execute("SELECT id, builtin FROM payers WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            raise InputError(f"no payer named {name!r}; see 'estimator payers list'")
        return int(row[0]), bool(row[1])

    def add_payer(self, payer: Payer) -> None:
        with self._write() as db:
            if db.execute("SELECT 1 FROM payers WHERE name = ?", (payer.name.strip(),)).fetchone():
                raise InputError(f"a payer named {payer.name!r} already exists; choose another name or edit it")
            self._insert_payer(db, payer)

    def update_payer(self, name: str, payer: Payer, *, version: int | None = None) -> None:
        """Save an edited payer.

        Args:
            version: the ``payer_stamp(name).version`` the edit started from; when another workstation saved
                since, nothing is written and ConflictError says who changed it and when.
        """
        with self._write() as db:
            payer_id, builtin = self._id(db, name)
            if builtin and payer.name.strip().lower() != name.strip().lower():
                raise InputError(f"{name} is built in and cannot be renamed")
            clash = db.execute("SELECT id FROM payers WHERE name = ? AND id != ?", (payer.name.strip(), payer_id))
            if clash.fetchone():
                raise InputError(f"a payer named {payer.name!r} already exists; choose another name")
            cols = self._stamped(payer)
            cols["builtin"] = int(builtin)
            sql = f"UPDATE payers SET {', '.join(f'{c} = ?' for c in cols)}, version = version + 1 WHERE id = ?"
            params: tuple[Any, ...] = (*cols.values(), payer_id)
            if version is not None:
                sql, params = sql + " AND version = ?", (*params, int(version))
            if db.execute(sql, params).rowcount == 0:
                now = db.execute("SELECT changed_by, changed_at FROM payers WHERE id = ?", (payer_id,)).fetchone()
                raise ConflictError(f"{name} was changed by {now[0] or 'someone'} at {now[1] or 'an unknown time'} "
                                    "while you were editing it; nothing was saved — reload it and make your "
                                    "change again")
            self._write_fees(db, payer_id, "fee", payer.fees)
            self._write_fees(db, payer_id, "override", payer.overrides)
            self.audit(db, "payer changed", payer.name.strip(), "" if name.strip() == payer.name.strip()
                       else f"renamed from {name.strip()}")

    def remove_payer(self, name: str) -> None:
        with self._write() as db:
            payer_id, builtin = self._id(db, name)
            if builtin:
                raise InputError(f"{name} is built in and cannot be removed")
            db.execute("DELETE FROM payers WHERE id = ?", (payer_id,))
            self.audit(db, "payer removed", name.strip())

    def replace_fees(self, name: str, fees: Mapping[CodeKey, int], *, create: Payer | None = None) -> None:
        """Replace a payer's whole fee schedule in one transaction (creating the payer if ``create``)."""
        with self._write() as db:
            row = db.execute("SELECT id FROM payers WHERE name = ?", (name.strip(),)).fetchone()
            if row is None:
                if create is None:
                    raise InputError(f"no payer named {name!r}")
                payer_id = self._insert_payer(db, create)
            else:
                payer_id = int(row[0])
                db.execute("UPDATE payers SET version = version + 1, changed_by = ?, changed_at = ? WHERE id = ?",
                           (self.user, now_iso(), payer_id))
            self._write_fees(db, payer_id, "fee", fees)
            self.audit(db, "fee schedule imported", name.strip(), f"{len(fees)} fees")
