"""CMS's NCCI practitioner procedure-to-procedure (PTP) edit file: read it, store a year of it, load it back.

CMS does not let us ship the PTP file (it is not in ``../shared/cms``; see ``SOURCES.md``), so a user imports
their own copy (``estimator tables import-ptp``).  The layout read is CMS's tab-delimited text (the ``.txt``
inside each ``ccipra-v…-f1..f4`` zip): notice lines, then the header

    Column 1 | Column 2 | *=in existence prior to 1996 | Effective Date | Deletion Date *=no data |
    Modifier 0=not allowed 1=allowed 9=not applicable | PTP Edit Rationale

and one edit per line, dates ``YYYYMMDD`` (``*`` = no deletion date).  A header split over several rows (as
in CMS's spreadsheet copy saved as text) and a comma-separated copy are read too.  A malformed file raises
``DataFileError`` naming the file, the line and the column, before anything is written.

A year's edits are stored in the user's tables folder (``rvu_tables/ptp/YEAR``): ``manifest.json`` (the
source files with their sha256, counts, the rationales) and ``edits.npz`` (sorted numpy arrays, read back
without pickle and checked against the sha256 in the manifest).  A real PTP table has millions of rows, so
it is looked up by binary search (``PtpTable``) rather than loaded into Python objects.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from estimator.core.errors import DataFileError
from estimator.core.ncci import PairEdit, PtpEdits
from estimator.files import read_json_file

ENCODING: Final = "latin-1"
#: The column names as CMS's header gives them (the deletion and modifier headers carry their legends).
FIELDS: Final = ("Column 1", "Column 2", "*=in existence prior to 1996", "Effective Date", "Deletion Date",
                 "Modifier", "PTP Edit Rationale")
HEADER_SEARCH_LINES: Final = 30
INDICATORS: Final = frozenset({0, 1, 9})
FOLDER: Final = "ptp"
MANIFEST: Final = "manifest.json"
EDITS_FILE: Final = "edits.npz"
KIND: Final = "ncci-ptp"
SCHEMA: Final = 1
#: CMS's practitioner PTP table has millions of edits; a much smaller import is worth a note.
FULL_TABLE_ROWS: Final = 100_000
_CODE = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")
_DATE = re.compile(r"^(\d{4})(\d\d)(\d\d)$")

IntArray = npt.NDArray[np.int64]


class NotPtpFileError(DataFileError):
    """The file has no PTP header at all (e.g. a read-me beside the edit file in CMS's zip)."""


@dataclass(frozen=True, slots=True)
class PtpFile:
    """One PTP file read: its edits (those in force in the year asked for), how many rows it has, and the
    notice lines above the header (CMS's AMA copyright)."""

    name: str
    edits: list[PairEdit]
    rows: int
    notice: str
    sha256: str


def _cells(line: str, delimiter: str) -> list[str]:
    if delimiter == "\t":
        return [c.strip() for c in line.split("\t")]
    return [c.strip() for c in next(csv.reader([line]))]


def _is_header(cells: list[str]) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"\s+", "", text.lower())

    return len(cells) >= 2 and norm(cells[0]) == "column1" and norm(cells[1]) == "column2"


def read_ptp_lines(name: str, lines: Iterable[str], year: int | None = None) -> tuple[list[PairEdit], int, str]:
    """Parse the text of one CMS PTP file (``lines`` without line ends); returns (edits, rows, notice).

    Every row is checked; only the edits in force on some day of ``year`` are kept (all when ``None``), so a
    file of millions of rows does not become millions of objects.

    Raises:
        NotPtpFileError: no header in the first lines.
        DataFileError: a row with a wrong field count, a bad code, flag, date or modifier indicator (file,
            line and column named), or no edits at all.
    """
    first, last = (dt.date(year, 1, 1), dt.date(year, 12, 31)) if year is not None else (dt.date.min, dt.date.max)
    edits: list[PairEdit] = []
    rows = 0
    notice: list[str] = []
    delimiter = ""
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not delimiter:
            for candidate in ("\t", ","):
                if candidate in line and _is_header(_cells(line, candidate)):
                    delimiter = candidate
                    break
            else:
                if number >= HEADER_SEARCH_LINES:
                    raise NotPtpFileError(name, None, None, "no header 'Column 1, Column 2, *=in existence prior to "
                                        f"1996, Effective Date, ...' in its first {HEADER_SEARCH_LINES} lines: "
                                        "not a CMS NCCI PTP file")
                if line.strip():
                    notice.append(line.strip().strip('"'))
            continue
        cells = _cells(line, delimiter)
        if not any(cells) or not (cells[0] or cells[1]):
            continue  # blank lines, and the legend rows of a header split over several rows
        edit = _edit(name, number, cells)
        rows += 1
        if edit.effective <= last and (edit.deleted is None or edit.deleted >= first):
            edits.append(edit)
    if not delimiter:
        raise NotPtpFileError(name, None, None, "no header 'Column 1, Column 2, ...' found: not a CMS NCCI PTP file")
    if not rows:
        raise DataFileError(name, None, None, "has a header but no edits")
    return edits, rows, " ".join(notice)


def _edit(name: str, number: int, cells: list[str]) -> PairEdit:
    if len(cells) == len(FIELDS) - 1:
        cells = [*cells, ""]  # no rationale
    if len(cells) != len(FIELDS):
        raise DataFileError(name, number, None, f"{len(cells)} fields, expected {len(FIELDS)} "
                            f"({', '.join(FIELDS)})")
    column1, column2, prior, effective, deleted, indicator, rationale = cells
    for field, code in ((FIELDS[0], column1), (FIELDS[1], column2)):
        if not _CODE.match(code):
            raise DataFileError(name, number, field, f"{code!r} is not a 5-character HCPCS/CPT code")
    if prior not in ("", "*"):
        raise DataFileError(name, number, FIELDS[2], f"{prior!r} is neither '*' nor empty")
    start = _date(name, number, FIELDS[3], effective)
    if start is None:
        raise DataFileError(name, number, FIELDS[3], "the edit has no effective date")
    end = _date(name, number, FIELDS[4], deleted)
    if not (indicator.isdigit() and int(indicator) in INDICATORS):
        raise DataFileError(name, number, FIELDS[5], f"{indicator!r} is not a modifier indicator 0, 1 or 9")
    return PairEdit(sys.intern(column1), sys.intern(column2), int(indicator), start, end, sys.intern(rationale))


def _date(name: str, number: int, field: str, text: str) -> dt.date | None:
    """A CMS ``YYYYMMDD`` date; ``*`` (no data) means none."""
    if text == "*":
        return None
    match = _DATE.match(text)
    try:
        if match is None:
            raise ValueError
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise DataFileError(name, number, field, f"{text!r} is not a YYYYMMDD date"
                            + (" or '*'" if field == FIELDS[4] else "")) from None


def read_ptp_bytes(name: str, data: bytes, year: int | None = None) -> PtpFile:
    """One PTP file from its bytes (latin-1 text, as CMS publishes it), keeping the edits in force in ``year``.

    Raises:
        NotPtpFileError / DataFileError: see ``read_ptp_lines``.
    """
    edits, rows, notice = read_ptp_lines(name, data.decode(ENCODING).splitlines(), year)
    return PtpFile(name, edits, rows, notice, hashlib.sha256(data).hexdigest())


# --- storing a year -----------------------------------------------------------------------------------------


def write_ptp_folder(folder: Path, year: int, files: list[PtpFile], edits: list[PairEdit],
                     imported: dt.date, notes: Iterable[str] = ()) -> dict[str, Any]:
    """Write ``edits`` (already read, checked and limited to ``year``) into the new, empty ``folder``.

    Returns:
        The manifest written.
    """
    ordered = sorted(edits, key=lambda e: (e.column1, e.column2, e.effective))
    rationales = sorted({e.rationale for e in ordered})
    index = {text: i for i, text in enumerate(rationales)}
    buffer = io.BytesIO()
    np.savez(buffer,
             keys=np.array([(e.column1 + e.column2).encode("ascii") for e in ordered], dtype="S10"),
             effective=np.array([e.effective.toordinal() for e in ordered], dtype=np.int64),
             deleted=np.array([e.deleted.toordinal() if e.deleted else 0 for e in ordered], dtype=np.int64),
             indicator=np.array([e.modifier_indicator for e in ordered], dtype=np.int64),
             rationale=np.array([index[e.rationale] for e in ordered], dtype=np.int64))
    data = buffer.getvalue()
    counts = {str(k): sum(1 for e in ordered if e.modifier_indicator == k) for k in sorted(INDICATORS)}
    manifest = {
        "kind": KIND, "schema": SCHEMA, "year": year, "imported": imported.isoformat(),
        "sources": [{"file": f.name, "sha256": f.sha256, "rows": f.rows, "kept": len(f.edits), "notice": f.notice}
                    for f in files],
        "edits": len(ordered), "by_indicator": counts, "rationales": rationales,
        "table": {"file": EDITS_FILE, "sha256": hashlib.sha256(data).hexdigest()},
        "notes": [*notes] + ([] if len(ordered) >= FULL_TABLE_ROWS else [
            f"only {len(ordered):,} edits in force in {year}: CMS's practitioner PTP table has millions (all four "
            "ccipra files f1-f4?); pairs missing here fall back to the explicit pair rules"]),
    }
    _write(folder / EDITS_FILE, data)
    _write(folder / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return manifest


def _write(path: Path, data: bytes) -> None:
    with path.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# --- loading ------------------------------------------------------------------------------------------------

class PtpTable(Mapping[tuple[str, str], tuple[PairEdit, ...]]):
    """A stored year of PTP edits as a read-only mapping (column 1, column 2) -> edit rows, by binary search
    over sorted arrays (no Python object per edit until one is asked for)."""

    def __init__(self, keys: npt.NDArray[np.bytes_], effective: IntArray, deleted: IntArray, indicator: IntArray,
                 rationale: IntArray, rationales: list[str]) -> None:
        self._keys, self._effective, self._deleted = keys, effective, deleted
        self._indicator, self._rationale, self._rationales = indicator, rationale, rationales
        self._unique: npt.NDArray[np.bytes_] | None = None

    def __getitem__(self, key: tuple[str, str]) -> tuple[PairEdit, ...]:
        column1, column2 = key
        if len(column1) != 5 or len(column2) != 5 or not (column1 + column2).isascii():
            raise KeyError(key)
        wanted = np.bytes_((column1 + column2).encode("ascii"))
        lo = int(np.searchsorted(self._keys, wanted, side="left"))
        hi = int(np.searchsorted(self._keys, wanted, side="right"))
        if lo == hi:
            raise KeyError(key)
        return tuple(PairEdit(column1, column2, int(self._indicator[i]), dt.date.fromordinal(int(self._effective[i])),
                              dt.date.fromordinal(int(self._deleted[i])) if self._deleted[i] else None,
                              self._rationales[int(self._rationale[i])]) for i in range(lo, hi))

    def _unique_keys(self) -> npt.NDArray[np.bytes_]:
        if self._unique is None:
            self._unique = np.unique(self._keys)
        return self._unique

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for key in self._unique_keys().tolist():
            yield key[:5].decode("ascii"), key[5:].decode("ascii")

    def __len__(self) -> int:
        return len(self._unique_keys())


def read_ptp_manifest(folder: Path) -> dict[str, Any]:
    """A stored PTP year's manifest.

    Raises:
        DataFileError: missing, not JSON, or not a PTP manifest of this schema.
    """
    path = folder / MANIFEST
    manifest = read_json_file(path)
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND or manifest.get("schema") != SCHEMA:
        raise DataFileError(str(path), None, "kind", f"not a PTP table of schema {SCHEMA}")
    return manifest


def load_ptp(folder: Path) -> PtpEdits:
    """A stored year of PTP edits, checked against its manifest's sha256.

    Raises:
        DataFileError: the manifest or the edits file is missing, damaged or inconsistent.
    """
    manifest = read_ptp_manifest(folder)
    path = folder / EDITS_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != manifest.get("table", {}).get("sha256"):
        raise DataFileError(str(path), None, None, "does not match the sha256 in manifest.json (changed or damaged)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ("keys", "effective", "deleted", "indicator", "rationale")}
    except (OSError, ValueError, KeyError) as exc:
        raise DataFileError(str(path), None, None, f"is not a readable edits table ({exc})") from None
    rationales = [str(r) for r in manifest.get("rationales", [])]
    keys = arrays["keys"]
    numbers = [arrays[n] for n in ("effective", "deleted", "indicator", "rationale")]
    sizes = {len(keys), *(len(a) for a in numbers)}
    if keys.dtype != np.dtype("S10") or any(a.dtype != np.int64 for a in numbers) or len(sizes) != 1 \
            or (len(keys) > 1 and bool(np.any(keys[1:] < keys[:-1]))) \
            or (len(keys) and not 0 <= int(arrays["rationale"].min()) <= int(arrays["rationale"].max())
                < len(rationales)):
        raise DataFileError(str(path), None, None, "is inconsistent (array types, lengths, order or rationales)")
    names = ", ".join(s["file"] for s in manifest.get("sources", []))
    source = f"{manifest['year']}, imported {manifest.get('imported', '?')} from {names}"
    return PtpEdits(source, PtpTable(keys, arrays["effective"], arrays["deleted"], arrays["indicator"],
                                     arrays["rationale"], rationales))


def stored_years(root: Path) -> dict[int, dict[str, Any]]:
    """The manifest of every year stored under ``root`` (the ``ptp`` folder); damaged ones are left out
    here (loading them says what is wrong)."""
    found: dict[int, dict[str, Any]] = {}
    if not root.is_dir():
        return found
    for folder in sorted(root.iterdir()):
        if folder.name.isdigit() and (folder / MANIFEST).is_file():
            try:
                found[int(folder.name)] = read_ptp_manifest(folder)
            except DataFileError:
                continue
    return found
