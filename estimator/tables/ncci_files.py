"""Readers for CMS's quarterly NCCI practitioner files: the MUE table (CSV) and the add-on code table (xlsx).

Layouts as published (``../shared/cms/SOURCES.md``): each opens with the AMA copyright notice row, then a
header row.  A malformed file raises ``DataFileError`` naming the file, the line and the field.

The AOC workbook is read with the standard library (``zipfile`` + ``xml.etree``): it is one sheet of
shared strings, and a reader of ~30 lines keeps ``tables build``/``import`` working in the installed app
without shipping a spreadsheet library for one file.  Member sizes are bounded before anything is parsed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.etree import ElementTree

from estimator.core.errors import DataFileError
from estimator.core.ncci import AddOnEdit, UnitLimit

ENCODING: Final = "latin-1"
#: A practitioner MUE table has ~15,000 codes and the AOC table ~9,000 pairs; far fewer means a wrong file.
MIN_MUE_ROWS: Final = 1_000
MIN_AOC_ROWS: Final = 1_000
MUE_FIELDS: Final = ("HCPCS/CPT Code", "Practitioner Services MUE Values", "MUE Adjudication Indicator",
                     "MUE Rationale")
AOC_FIELDS: Final = ("AOC_Edit_Type", "Add-On_Code", "AOC_DelDT", "Primary_Code", "Primary_Code_DelDT",
                     "AOC_Edit_EffDT", "AOC_Edit_DelDT", "Special_Instruction_Notes")
#: Largest uncompressed workbook part read (the real sheet is 1.8 MB).
MAX_XLSX_PART: Final = 64 * 1024 * 1024
_CODE = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")
_SHEET_NS: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass(frozen=True, slots=True)
class MueFile:
    path: Path
    limits: dict[str, UnitLimit]
    notice: str
    effective: dt.date


@dataclass(frozen=True, slots=True)
class AocFile:
    path: Path
    edits: list[AddOnEdit]
    notice: str
    quarter: str  # e.g. 2026Q2
    effective: dt.date


def mue_effective(path: Path) -> dt.date | None:
    """Effective date from a name like ``MCR_MUE_PractitionerServices_Eff_04-01-2026.csv``."""
    match = re.search(r"EFF_(\d\d)-(\d\d)-(20\d\d)", path.name.upper())
    return dt.date(int(match.group(3)), int(match.group(1)), int(match.group(2))) if match else None


def aoc_quarter(path: Path) -> tuple[str, dt.date] | None:
    """Quarter and its first day from a name like ``AOC_V2026Q2-MCR.xlsx``."""
    match = re.search(r"V(20\d\d)Q([1-4])", path.name.upper())
    if not match:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    return f"{year}Q{quarter}", dt.date(year, 3 * quarter - 2, 1)


def read_mue(path: Path) -> MueFile:
    """The practitioner MUE table: every code's unit limit, MAI and rationale.

    Raises:
        DataFileError: unreadable, wrong layout, a bad code, unit count or MAI, or a repeated code.
    """
    effective = mue_effective(path)
    if effective is None:
        raise DataFileError(str(path), None, None, "name does not say the effective date "
                            "(expected e.g. MCR_MUE_PractitionerServices_Eff_04-01-2026.csv)")
    records = list(_csv_records(path))
    if len(records) < 2 or len(records[1][1]) != len(MUE_FIELDS) or "MUE" not in records[1][1][1].upper():
        raise DataFileError(str(path), records[1][0] if len(records) > 1 else 1, None,
                            f"not a practitioner MUE table: expected the header {', '.join(MUE_FIELDS)}")
    notice = records[0][1][0].strip()
    limits: dict[str, UnitLimit] = {}
    for line, cells in records[2:]:
        if len(cells) != len(MUE_FIELDS):
            raise DataFileError(str(path), line, None, f"{len(cells)} fields, expected {len(MUE_FIELDS)}")
        code, units, mai, rationale = (c.strip() for c in cells)
        if not _CODE.match(code):
            raise DataFileError(str(path), line, MUE_FIELDS[0], f"{code!r} is not a 5-character HCPCS/CPT code")
        if code in limits:
            raise DataFileError(str(path), line, MUE_FIELDS[0], f"{code} appears twice")
        if not units.isdigit():
            raise DataFileError(str(path), line, MUE_FIELDS[1], f"{units!r} is not a whole number of units")
        if mai[:1] not in ("1", "2", "3") or mai[1:2] not in ("", " "):
            raise DataFileError(str(path), line, MUE_FIELDS[2], f"{mai!r} does not start with MAI 1, 2 or 3")
        limits[code] = UnitLimit(int(units), int(mai[0]), rationale)
    if len(limits) < MIN_MUE_ROWS:
        raise DataFileError(str(path), None, None, f"only {len(limits)} codes; a practitioner MUE table has "
                            f"over {MIN_MUE_ROWS} (truncated or wrong file?)")
    return MueFile(path, limits, notice, effective)


def _csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each record; quoted cells may span lines (the header does)."""
    try:
        with path.open(encoding=ENCODING, newline="") as handle:
            reader = csv.reader(handle)
            start = 1
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read the file ({exc.strerror})") from None
    except csv.Error as exc:
        raise DataFileError(str(path), None, None, f"not a valid CSV file ({exc})") from None


def read_aoc(path: Path) -> AocFile:
    """The add-on code edit table: each add-on's primaries, edit type and dates.

    Raises:
        DataFileError: unreadable workbook, wrong layout, a bad code, edit type or date.
    """
    period = aoc_quarter(path)
    if period is None:
        raise DataFileError(str(path), None, None, "name does not say the quarter (expected e.g. AOC_V2026Q2-MCR.xlsx)")
    rows = _xlsx_rows(path)
    if len(rows) < 2 or tuple(rows[1][: len(AOC_FIELDS)]) != AOC_FIELDS:
        raise DataFileError(str(path), 2, None, f"not an AOC table: expected the header {', '.join(AOC_FIELDS)}")
    edits = []
    for number, cells in enumerate(rows[2:], start=3):
        cells = [*cells, *[""] * (len(AOC_FIELDS) - len(cells))]
        if not any(cells):
            continue
        edit_type, add_on, add_on_deleted, primary, primary_deleted, effective, edit_deleted = cells[:7]
        if edit_type not in ("1", "2", "3"):
            raise DataFileError(str(path), number, AOC_FIELDS[0], f"{edit_type!r} is not edit type 1, 2 or 3")
        if not _CODE.match(add_on):
            raise DataFileError(str(path), number, AOC_FIELDS[1], f"{add_on!r} is not a HCPCS/CPT code")
        if primary != "CCCCC" and not _CODE.match(primary):
            raise DataFileError(str(path), number, AOC_FIELDS[3], f"{primary!r} is not a HCPCS/CPT code")
        start = _julian(path, number, AOC_FIELDS[5], effective)
        if start is None:
            raise DataFileError(str(path), number, AOC_FIELDS[5], "the edit has no effective date")
        ends = [d for d in (_julian(path, number, AOC_FIELDS[2], add_on_deleted),
                            _julian(path, number, AOC_FIELDS[4], primary_deleted),
                            _julian(path, number, AOC_FIELDS[6], edit_deleted)) if d is not None]
        edits.append(AddOnEdit(add_on, int(edit_type), "" if primary == "CCCCC" else primary, start,
                               min(ends) if ends else None))
    if len(edits) < MIN_AOC_ROWS:
        raise DataFileError(str(path), None, None, f"only {len(edits)} add-on edits; the AOC table has over "
                            f"{MIN_AOC_ROWS} (truncated or wrong file?)")
    return AocFile(path, edits, rows[0][0].strip() if rows[0] else "", *period)


def _julian(path: Path, line: int, field: str, text: str) -> dt.date | None:
    """A CMS ``YYYYDDD`` date (year and day of the year); empty or ``*`` means none."""
    if text in ("", "*"):
        return None
    if not (len(text) == 7 and text.isdigit() and 1 <= int(text[4:]) <= 366):
        raise DataFileError(str(path), line, field, f"{text!r} is not a YYYYDDD date")
    return dt.date(int(text[:4]), 1, 1) + dt.timedelta(days=int(text[4:]) - 1)


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first sheet's cells as text, row by row (row n of the list is spreadsheet row n + 1)."""
    try:
        with zipfile.ZipFile(path) as book:
            strings = [
                "".join(t.text or "" for t in item.iter(f"{_SHEET_NS}t"))
                for item in _xml(path, book, "xl/sharedStrings.xml", optional=True).iter(f"{_SHEET_NS}si")
            ]
            sheet = _xml(path, book, "xl/worksheets/sheet1.xml", optional=False)
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise DataFileError(str(path), None, None, f"cannot read the workbook ({exc})") from None
    rows: list[list[str]] = []
    for row in sheet.iter(f"{_SHEET_NS}row"):
        number = int(row.get("r") or len(rows) + 1)
        rows.extend([] for _ in range(number - len(rows)))
        cells = rows[number - 1]
        for cell in row.iter(f"{_SHEET_NS}c"):
            column = _column_index(str(cell.get("r", "")))
            value = cell.find(f"{_SHEET_NS}v")
            kind = cell.get("t")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{_SHEET_NS}t"))
            elif value is None or value.text is None:
                text = ""
            elif kind == "s":
                index = int(value.text)
                if not 0 <= index < len(strings):
                    raise DataFileError(str(path), number, None, f"cell {cell.get('r')} names a missing string")
                text = strings[index]
            else:
                text = value.text
            cells.extend("" for _ in range(column + 1 - len(cells)))
            cells[column] = text.strip()
    return rows


def _xml(path: Path, book: zipfile.ZipFile, name: str, *, optional: bool) -> ElementTree.Element:
    try:
        info = book.getinfo(name)
    except KeyError:
        if optional:
            return ElementTree.Element("none")
        raise DataFileError(str(path), None, None, f"the workbook has no {name}") from None
    if info.file_size > MAX_XLSX_PART:
        raise DataFileError(str(path), None, None, f"{name} is {info.file_size:,} bytes uncompressed; over the "
                            f"{MAX_XLSX_PART:,}-byte limit")
    try:
        return ElementTree.fromstring(book.read(info))
    except ElementTree.ParseError as exc:
        raise DataFileError(str(path), None, None, f"{name} is not valid XML ({exc})") from None


def _column_index(reference: str) -> int:
    """0-based column of a cell reference such as ``B12``."""
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - ord("A") + 1
    return max(index - 1, 0)
