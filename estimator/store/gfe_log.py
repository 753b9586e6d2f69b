"""The Good Faith Estimate log: every issued estimate with its inputs and its PDF, kept six years.

45 CFR 149.610 requires the convening provider to keep a copy of each Good Faith Estimate for 6 years.
Each entry holds the exact PDF bytes the patient received (a reprint is byte-identical), the inputs that
produced it (JSON, including the estimate's full content so the app can show and print it again), and the
date it may be discarded.  Entries are deleted only by ``purge``, after a manager confirmed the list.

Issuing is log-first (``issue``): the PDF is rendered in memory, the log row with its bytes is committed in
one transaction, and only then is the patient's copy written (atomically, its temp file in the private
staging folder that start-up empties) or printed.  A crash at any point leaves either nothing, or a logged
estimate without a copy (reprint it) — never a copy that is not in the log.

Functions take the store (SQLite or PostgreSQL) and use its ``transaction()`` / ``query()``; the table is ``gfe_log``
(schema v2).  Patient names live only in this database and in the documents.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from estimator.core import gfe as core_gfe
from estimator.core.errors import InputError
from estimator.core.gfe import BillComparison, GoodFaithEstimate, gfe_from_dict, gfe_to_dict, retain_until
from estimator.core.parsing import ascii_digits
from estimator.files import check_output_path, staging_dir, write_bytes_atomically
from estimator.store.roles import Action
from estimator.store.search_keys import folded, search_key
from estimator.store.sql_store import SqlStore

log = logging.getLogger(__name__)

#: Ids per ``IN (...)`` query (SQLite allows 32,766 parameters).
_BATCH: Final = 500
_SUMMARY_COLUMNS: Final = ("id, issued_at, patient_name, patient_dob, scheduled_date, scheduled_on, due_date, "
                           "lang, total_cents, retain_until")


@dataclass(frozen=True, slots=True)
class GfeRecord:
    """One logged Good Faith Estimate, without its PDF (for lists)."""

    id: int
    issued_at: str  # ISO date-time, UTC
    patient_name: str
    patient_dob: str  # ISO date
    scheduled_date: str  # ISO date, '' when requested without scheduling
    scheduled_on: str  # ISO date of scheduling (or of the request)
    due_date: str  # ISO date, '' when no GFE was required
    lang: str
    total_cents: int
    retain_until: str  # ISO date


@dataclass(frozen=True, slots=True)
class GfeEntry:
    """One logged Good Faith Estimate in full: the record, its inputs and the PDF bytes."""

    record: GfeRecord
    inputs: dict[str, Any]
    pdf: bytes

    @property
    def gfe(self) -> GoodFaithEstimate:
        """The estimate's content as issued (for showing or printing it again).

        Raises:
            InputError: the entry's inputs do not hold the estimate's content.
        """
        if "gfe" not in self.inputs:
            raise InputError(f"Good Faith Estimate #{self.record.id} was logged without its content")
        return gfe_from_dict(self.inputs["gfe"])


def _record(row: Any) -> GfeRecord:
    return GfeRecord(int(row["id"]), str(row["issued_at"]), str(row["patient_name"]), str(row["patient_dob"]),
                     str(row["scheduled_date"]), str(row["scheduled_on"]), str(row["due_date"]), str(row["lang"]),
                     int(row["total_cents"]), str(row["retain_until"]))


def save(store: SqlStore, gfe: GoodFaithEstimate, *, lang: str, inputs: Mapping[str, Any], pdf: bytes,
         issued_at: dt.datetime | None = None) -> int:
    """Log an issued estimate with its inputs and PDF in one transaction; returns its id.

    Args:
        store: the practice database.
        gfe: the estimate as issued.
        lang: the language it was issued in.
        inputs: what produced it (JSON-ready); the estimate's content is added under ``"gfe"`` when absent.
        pdf: the exact bytes given to the patient.
        issued_at: when it was issued (default: now, UTC).

    Raises:
        InputError: the PDF is empty or the inputs cannot be stored as JSON.
    """
    if not pdf.startswith(b"%PDF"):
        raise InputError("the Good Faith Estimate's PDF is empty or not a PDF; nothing was logged")
    when = (issued_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    data = dict(inputs)
    data.setdefault("gfe", gfe_to_dict(gfe))
    try:
        inputs_json = json.dumps(data, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the Good Faith Estimate's inputs cannot be stored: {exc}") from None
    row = (when.isoformat(), gfe.patient.name, gfe.patient.dob.isoformat() if gfe.patient.dob else "",
           gfe.service_date.isoformat() if gfe.service_date else "", gfe.due.start.isoformat(),
           gfe.due.due.isoformat() if gfe.due.due else "", lang, gfe.total_cents, inputs_json, pdf,
           retain_until(gfe.issued_on).isoformat())
    with store.transaction() as db:
        entry_id = int(db.execute(
            "INSERT INTO gfe_log (issued_at, patient_name, patient_dob, scheduled_date, scheduled_on, due_date, "
            "lang, total_cents, inputs_json, pdf, retain_until, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id", (*row, store.user)).fetchone()[0])
        db.execute("INSERT INTO gfe_search (id, issued_at, key) VALUES (?, ?, ?)",
                   (entry_id, row[0], search_key(row[1], row[2], row[3], row[0])))
        store.audit(db, "GFE issued", f"#{entry_id}")  # the number only: patient details stay in the log
    # No patient detail here: the log file is not protected like the database.
    log.info("Good Faith Estimate #%d logged (%s, %d services)", entry_id, lang, len(gfe.items))
    return entry_id

def issue(store: SqlStore, gfe: GoodFaithEstimate, *, lang: str, inputs: Mapping[str, Any], pdf: bytes,
          out: Path) -> int:
    """Log the estimate, then write the patient's copy to ``out``; returns its log id.

    The destination is checked before anything is logged (a folder, a device or a missing folder is
    refused with nothing logged); a write that fails after the commit says the estimate is logged and how to
    reprint it.

    Raises:
        InputError: ``out`` is not somewhere a file can be written, the PDF is not a PDF, or the copy could
            not be written after logging (the message gives the log id).
    """
    out = check_output_path(out)
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder; nothing was issued")
    entry_id = save(store, gfe, lang=lang, inputs=inputs, pdf=pdf)
    try:
        write_bytes_atomically(out, pdf, staging=staging_dir())
    except InputError as exc:
        raise InputError(f"Good Faith Estimate #{entry_id} is logged, but its copy was not written: {exc} "
                         f"(write it again with 'estimator gfe reprint {entry_id} --out FILE' or from the Good "
                         "Faith Estimates page)") from None
    return entry_id


def list_entries(store: SqlStore, search: str | None = None, limit: int | None = None) -> list[GfeRecord]:
    """Logged estimates, newest first.

    The search runs on the slim ``gfe_search`` table (newest first by its index) and only the rows shown are
    read from the log, so a keystroke stays fast at 100,000 entries.

    Args:
        store: the practice database.
        search: part of the patient's name (any case, accents optional), of a date of birth, a scheduled or
            issued date (``2026-12`` matches December 2026), or an id (``#12`` or ``12``).
        limit: at most this many.
    """
    needle = folded((search or "").strip())
    number = needle.lstrip("#")
    entry_id = int(number) if ascii_digits(number) else -1
    where = "WHERE key LIKE ? ESCAPE '!' OR id = ?" if needle else ""
    pattern = "%" + needle.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    params: tuple[Any, ...] = (pattern, entry_id) if needle else ()
    sql = f"SELECT id FROM gfe_search {where} ORDER BY issued_at DESC, id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params += (max(0, int(limit)),)
    ids = [int(r["id"]) for r in store.query(sql, params)]
    records: dict[int, GfeRecord] = {}
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        marks = ", ".join("?" * len(batch))
        for row in store.query(f"SELECT {_SUMMARY_COLUMNS} FROM gfe_log WHERE id IN ({marks})", tuple(batch)):
            records[int(row["id"])] = _record(row)
    return [records[i] for i in ids if i in records]


def search(store: SqlStore, text: str) -> list[GfeRecord]:
    """``list_entries`` filtered by ``text`` (see there)."""
    return list_entries(store, text)


def get(store: SqlStore, entry_id: int) -> GfeEntry:
    """One logged estimate with its inputs and PDF.

    Raises:
        InputError: no estimate with that id.
    """
    rows = store.query(f"SELECT {_SUMMARY_COLUMNS}, inputs_json, pdf FROM gfe_log WHERE id = ?", (int(entry_id),))
    if not rows:
        raise InputError(f"no Good Faith Estimate #{entry_id} in the log; see 'estimator gfe list'")
    row = rows[0]
    return GfeEntry(_record(row), dict(json.loads(row["inputs_json"])), bytes(row["pdf"]))


def compare_bill(store: SqlStore, entry_id: int, billed_cents: int) -> BillComparison:
    """A later bill against a logged estimate's total (flags $400 or more over it).

    Raises:
        InputError: no such estimate, or a negative amount.
    """
    rows = store.query("SELECT total_cents FROM gfe_log WHERE id = ?", (int(entry_id),))
    if not rows:
        raise InputError(f"no Good Faith Estimate #{entry_id} in the log; see 'estimator gfe list'")
    return core_gfe.compare_bill(int(rows[0]["total_cents"]), billed_cents)


def count(store: SqlStore) -> int:
    """How many estimates the log holds."""
    return int(store.query("SELECT COUNT(*) AS n FROM gfe_log")[0]["n"])


def expired(store: SqlStore, today: dt.date) -> list[GfeRecord]:
    """Entries whose six-year retention (from the issue date) ended before ``today``, oldest first."""
    rows = store.query(f"SELECT {_SUMMARY_COLUMNS} FROM gfe_log WHERE retain_until < ? ORDER BY retain_until, id",
                       (today.isoformat(),))
    return [_record(r) for r in rows]


def purge(store: SqlStore, ids: Sequence[int], today: dt.date) -> list[GfeRecord]:
    """Delete these expired entries in one transaction (a manager only); returns what was deleted.

    Only entries still past retention on ``today`` are deleted, whatever ``ids`` holds; each deletion is
    recorded in the audit trail.  Nothing calls this automatically: a manager confirms a list first.

    Raises:
        NotAllowedError: the connected role is not a manager.
    """
    store.require(Action.PURGE_GFE)
    wanted = {int(i) for i in ids}
    doomed = [r for r in expired(store, today) if r.id in wanted]
    with store.transaction() as db:
        for record in doomed:
            db.execute("DELETE FROM gfe_log WHERE id = ? AND retain_until < ?", (record.id, today.isoformat()))
            store.audit(db, "GFE purged", f"#{record.id}",
                        f"issued {record.issued_at[:10]}, retained until {record.retain_until}")
    return doomed
