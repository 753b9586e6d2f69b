"""Imported remittances (X12 835) in the practice database: read files, keep each line once, load them back.

Remittance lines carry patient identifiers (the member id, the practice's claim number), so they live only
in the practice database, under the same rules as the Good Faith Estimate log; patient names are not kept.
A line is the same line when its payer, the payer's claim number (CLP07) and its line id (REF*6R, else its
place in the claim) are: re-importing a file, or a file that repeats lines of another, adds nothing new and
says so.  Tables ``remit_files`` and ``remit_lines`` (schema v3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from estimator.core.audit import paused_gc
from estimator.core.errors import InputError
from estimator.core.remits import Adjustment, RemitLine, remit_lines
from estimator.core.x12 import read_interchange
from estimator.store.sql_store import SqlStore

SUFFIXES: Final = (".835", ".x12", ".edi", ".era", ".txt")
MAX_FILE_BYTES: Final = 512 * 1024 * 1024

_COLUMNS: Final = ("payer", "payer_key", "payer_id", "payee", "payment_ref", "paid_on", "claim_id", "payer_claim_id",
                   "claim_status", "patient_id", "line_id", "service_date", "code", "modifiers", "units",
                   "charge_cents", "paid_cents", "allowed_cents", "adjustments", "remarks")


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one file's import did."""

    name: str
    lines_read: int
    lines_added: int

    @property
    def duplicates(self) -> int:
        return self.lines_read - self.lines_added

    def message(self) -> str:
        if self.lines_read and not self.lines_added:
            return (f"{self.name}: all {self.lines_read} service lines were already imported; nothing added")
        dup = f"; {self.duplicates} already imported, skipped" if self.duplicates else ""
        return f"{self.name}: {self.lines_added} of {self.lines_read} service lines added{dup}"


def files_in(paths: Sequence[Path]) -> list[Path]:
    """The files named, with a folder standing for its remittance files (by suffix, sorted).

    Raises:
        InputError: a path that does not exist, or a folder with no remittance file.
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                raise InputError(f"{path}: no remittance files in this folder (looked for "
                                 f"{', '.join(SUFFIXES)})")
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return out


def read_file(path: Path) -> tuple[list[RemitLine], str]:
    """The remitted lines of one 835 file and the file's SHA-256.

    Raises:
        InputError: too large, not text, not X12 or not an 835 (X12Error names the segment and position).
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size:,} bytes is larger than the {MAX_FILE_BYTES // 2**20} MiB an 835 import "
                         "accepts; split the file")
    data = path.read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path.name}: byte {exc.start} is not text (an 835 is plain ASCII); is this the "
                             "right file?") from None
    with paused_gc():  # a 100,000-line file is ~750,000 small lists: collections would find nothing to free
        lines = remit_lines(read_interchange(text, path.name), path.name)
    return lines, hashlib.sha256(data).hexdigest()


def _rows(file_id: int, lines: Iterable[RemitLine]) -> Iterator[tuple[object, ...]]:
    """Each line as its ``remit_lines`` row, made as the insert takes them (none are kept).

    A file repeats few payers, dates, modifier and adjustment sets: each is written out once.
    """
    days: dict[dt.date, str] = {}
    keys: dict[str, str] = {}
    modifiers: dict[tuple[str, ...], str] = {}
    adjustments: dict[tuple[Adjustment, ...], str] = {}
    for x in lines:
        paid_on, service, payer = days.get(x.paid_on), days.get(x.service_date), keys.get(x.payer)
        if paid_on is None:
            paid_on = days[x.paid_on] = x.paid_on.isoformat()
        if service is None:
            service = days[x.service_date] = x.service_date.isoformat()
        if payer is None:
            payer = keys[x.payer] = x.payer.casefold()
        mods, adjusted = modifiers.get(x.modifiers), adjustments.get(x.adjustments)
        if mods is None:
            mods = modifiers[x.modifiers] = " ".join(x.modifiers)
        if adjusted is None:
            adjusted = adjustments[x.adjustments] = ";".join(f"{g}:{c}:{a}" for g, c, a in x.adjustments)
        yield (file_id, x.payer, payer, x.payer_id, x.payee, x.payment_ref, paid_on, x.claim_id, x.payer_claim_id,
               x.claim_status, x.patient_id, x.line_id, service, x.code, mods, x.units, x.charge_cents,
               x.paid_cents, x.allowed_cents, adjusted, " ".join(x.remarks))


def save(store: SqlStore, name: str, sha256: str, lines: Iterable[RemitLine],
         now: dt.datetime | None = None) -> ImportReport:
    """Store a file's lines in one transaction, skipping lines already stored; returns what was added."""
    lines = lines if isinstance(lines, Sequence) else list(lines)
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    placeholders = ", ".join("?" * (len(_COLUMNS) + 1))
    with paused_gc(), store.transaction() as db:
        before = int(db.execute("SELECT count(*) FROM remit_lines").fetchone()[0])
        file_id = int(db.execute("INSERT INTO remit_files (name, sha256, imported_at, lines_read, lines_added) "
                                 "VALUES (?, ?, ?, ?, 0) RETURNING id",
                                 (name, sha256, stamp, len(lines))).fetchone()[0])
        db.executemany(f"INSERT INTO remit_lines (file_id, {', '.join(_COLUMNS)}) VALUES ({placeholders}) "
                       "ON CONFLICT (payer_key, payer_claim_id, line_id) DO NOTHING",  # SQLite and PostgreSQL
                       _rows(file_id, lines))
        added = int(db.execute("SELECT count(*) FROM remit_lines").fetchone()[0]) - before
        db.execute("UPDATE remit_files SET lines_added = ? WHERE id = ?", (added, file_id))
    return ImportReport(name, len(lines), added)


def import_files(store: SqlStore, paths: Sequence[Path]) -> list[ImportReport]:
    """Read every file first (a bad one refuses the whole import: nothing half-done), then store each."""
    parsed = [(path.name, *read_file(path)) for path in files_in(paths)]
    return [save(store, name, sha, lines) for name, lines, sha in parsed]


def load(store: SqlStore) -> list[RemitLine]:
    """Every stored remitted line, in import order."""
    out = []
    dates: dict[str, dt.date] = {}
    splits: dict[str, tuple[str, ...]] = {}  # modifiers and remarks: both space-separated codes
    adjusted: dict[str, tuple[Adjustment, ...]] = {}
    with paused_gc():
        rows = store.query(f"SELECT {', '.join(c for c in _COLUMNS if c != 'payer_key')} FROM remit_lines ORDER BY id")
        for (payer, payer_id, payee, ref, paid_on, claim_id, payer_claim_id, status, patient, line_id, service, code,
             modifiers, units, charge, paid, allowed, adjustments, remarks) in rows:
            # Lines share their dates, code lists and adjustment sets: each distinct text is read once.
            paid_day, service_day = dates.get(paid_on), dates.get(service)
            if paid_day is None:
                paid_day = dates[paid_on] = dt.date.fromisoformat(paid_on)
            if service_day is None:
                service_day = dates[service] = dt.date.fromisoformat(service)
            mods, marks, adjusts = splits.get(modifiers), splits.get(remarks), adjusted.get(adjustments)
            if mods is None:
                mods = splits[modifiers] = tuple(modifiers.split())
            if marks is None:
                marks = splits[remarks] = tuple(remarks.split())
            if adjusts is None:
                adjusts = adjusted[adjustments] = tuple(
                    (g, c, int(a)) for g, c, a in (part.split(":") for part in adjustments.split(";") if part))
            out.append(RemitLine(payer, payer_id, payee, ref, paid_day, claim_id, payer_claim_id, status,
                                 patient, line_id, service_day, code, mods, units, charge, paid, allowed, adjusts,
                                 marks))
    return out


def count(store: SqlStore) -> int:
    """How many remitted lines are stored."""
    return int(store.query("SELECT count(*) FROM remit_lines")[0][0])
