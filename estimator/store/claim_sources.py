"""Claims files that are not CSV -- X12 837P and Excel .xlsx -- turned into the audit's CSV layout.

The audit reads one table of claim lines through a column mapping (``estimator.store.claims_csv``).  An
837P is turned into that table with fixed column names the mapping recognises (one row per SV1 line: date
of service, claim id, member id, payer, place of service, code, units, up to four modifiers, the diagnoses
the line points to, billed charge); an .xlsx's first worksheet is read cell by cell (``openpyxl``, read-only)
and goes through the mapping like any CSV.  An 835 given to the audit is refused with a pointer to
``estimator remits import``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from estimator.core.errors import InputError
from estimator.core.remits import billed_lines
from estimator.core.x12 import looks_like_x12, read_interchange

X12_HEADER: Final = ("DOS", "Claim #", "Patient ID", "Payer", "POS", "CPT", "Units", "Mod 1", "Mod 2", "Mod 3",
                     "Mod 4", "Dx", "Billed")
XLSX_SUFFIXES: Final = (".xlsx", ".xlsm")
MAX_XLSX_ROWS: Final = 2_000_000


def _csv(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def x12_claims_text(text: str, source: str) -> str:
    """An 837P's service lines as CSV text in ``X12_HEADER`` columns.

    Raises:
        X12Error: malformed, or not an 837 (an 835 is named as a remittance).
    """
    interchange = read_interchange(text, source)
    if any(ts.set_id == "835" for ts in interchange.transactions):
        raise InputError(f"{source}: this is a remittance (835), not a claims file; import it with "
                         "'estimator remits import' or the Audit page's 'Open remittances…'")
    rows = []
    for x in billed_lines(interchange, source):
        mods = [*x.modifiers, "", "", "", ""][:4]
        rows.append([x.service_date.isoformat(), x.claim_id, x.patient_id, x.payer, x.place_of_service, x.code,
                     str(x.units), *mods, ";".join(x.diagnoses), f"{Decimal(x.charge_cents) / 100:.2f}"])
    return _csv(X12_HEADER, rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}" if value != int(value) else str(int(value))
    return str(value).strip()


def xlsx_text(path: Path) -> str:
    """The first worksheet of an Excel workbook as CSV text (dates as YYYY-MM-DD, whole numbers without .0).

    Raises:
        InputError: not a readable .xlsx workbook, or an empty first sheet.
    """
    # openpyxl is only needed for workbooks; importing it here keeps the CSV path (and start-up) free of it.
    import openpyxl  # noqa: PLC0415

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path.name}: not a readable Excel workbook ({type(exc).__name__}); save it again as "
                         ".xlsx or export it as CSV") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for k, values in enumerate(sheet.iter_rows(values_only=True)):
            if k >= MAX_XLSX_ROWS:
                raise InputError(f"{path.name}: more than {MAX_XLSX_ROWS:,} rows; split the workbook")
            rows.append([_cell(v) for v in values])
    finally:
        workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise InputError(f"{path.name}: the first worksheet is empty; it needs a header row and one row per claim "
                         "line")
    return _csv(rows[0], rows[1:])


def converted_text(path: Path, head: bytes) -> str | None:
    """The claims table of an 837P or .xlsx file as CSV text; None for a file to read as CSV.

    Args:
        path: the file.
        head: its first bytes (to recognise X12 whatever the suffix).

    Raises:
        InputError: the file is an 835, or a malformed 837 / workbook.
    """
    if path.suffix.lower() in XLSX_SUFFIXES or head.startswith(b"PK\x03\x04"):
        return xlsx_text(path)
    if looks_like_x12(head.decode("latin-1")):
        return x12_claims_text(path.read_bytes().decode("latin-1"), path.name)
    return None
