"""Readers for the raw CMS Physician Fee Schedule files, validating as they go.

Each reader returns plain rows and never writes anything; a malformed file raises ``DataFileError``
naming the file, the line and the field.  Layouts: RVU26B.pdf / RVU25D.pdf (PPRRVU CSV and 200-character
fixed-width TXT), Addendum E (GPCI), the locality->county crosswalk (LOCCO) and ZIP5lyout.txt.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from estimator.core.errors import DataFileError
from estimator.core.money import to_scaled

ENCODING: Final = "latin-1"
MONTH_LETTER: Final = {"JAN": "A", "APR": "B", "JUL": "C", "OCT": "D"}
MONTH_NUMBER: Final = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}
#: A national PPRRVU file has ~19,000 rows; far fewer means a truncated or wrong file.
MIN_RVU_ROWS: Final = 5_000
MIN_LOCALITIES: Final = 50
GPCI_RANGE: Final = (Decimal("0.200"), Decimal("5.000"))
REQUIRED_CODES: Final = ("17000", "17003", "17004")
_CODE = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")


@dataclass(frozen=True, slots=True)
class RvuRow:
    """One PPRRVU record; RVUs are scaled x100 integers."""

    code: str
    modifier: str
    description: str
    status: str
    work: int
    pe_nonfacility: int
    nonfacility_na: bool
    pe_facility: int
    facility_na: bool
    mp: int
    pctc: str
    global_days: str
    mult_proc: str
    bilateral: str
    assistant: str
    co_surgeons: str
    team_surgery: str


@dataclass(frozen=True, slots=True)
class RvuFile:
    """A parsed PPRRVU file with what it says about itself."""

    path: Path
    rows: list[RvuRow]
    conversion_factor: Decimal
    year: int
    month: str  # JAN / APR / JUL / OCT
    released: str  # as printed in the banner, or '' where the file does not say

    @property
    def release(self) -> str:
        """CMS release name, e.g. RVU26C for the July 2026 file."""
        return f"RVU{self.year % 100:02d}{MONTH_LETTER[self.month]}"


@dataclass(frozen=True, slots=True)
class GpciRow:
    mac: str
    number: str
    state: str
    name: str
    work_unfloored: int
    work: int
    pe: int
    mp: int

    @property
    def key(self) -> str:
        return self.mac + self.number


@dataclass(frozen=True, slots=True)
class CountyRow:
    key: str
    state: str
    area: str
    counties: str


@dataclass(frozen=True, slots=True)
class ZipRow:
    zip: str
    state: str
    key: str
    rural: str
    plus_four: bool
    quarter: str


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding=ENCODING, newline="") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read the file ({exc.strerror})") from None


def _scaled(path: Path, line: int, field: str, text: str, scale: int) -> int:
    try:
        value = to_scaled(text or "0", scale)
    except ValueError as exc:
        raise DataFileError(str(path), line, field, f"{exc}") from None
    if value < 0:
        raise DataFileError(str(path), line, field, f"{text!r} is negative")
    return value


def period_from_name(path: Path, year_hint: int | None) -> tuple[int, str]:
    name = path.name.upper()
    match = re.search(r"(20\d\d)[_-]?(JAN|APR|JUL|OCT)", name)
    if match:
        return int(match.group(1)), match.group(2)
    match = re.search(r"(JAN|APR|JUL|OCT)[_-]?(20\d\d)", name)
    if match:
        return int(match.group(2)), match.group(1)
    match = re.search(r"PPRRVU(\d\d)[_-]?(JAN|APR|JUL|OCT)", name)  # two-digit year, e.g. PPRRVU27_JAN.txt
    if match:
        return 2000 + int(match.group(1)), match.group(2)
    match = re.search(r"RVU(\d\d)([A-D])", name)
    if match:
        month = {v: k for k, v in MONTH_LETTER.items()}[match.group(2)]
        return 2000 + int(match.group(1)), month
    if year_hint is None:
        raise DataFileError(str(path), None, None, "cannot tell the release from the file name "
                            "(expected e.g. PPRRVU2026_Jul_nonQPP.csv)")
    return year_hint, "JAN"


# --- PPRRVU -----------------------------------------------------------------------------------------------

_CSV_COLUMNS: Final = {
    "code": "HCPCS", "modifier": "MOD", "description": "DESCRIPTION", "status": "STATUS CODE",
    "work": "WORK RVU", "pe_nonfacility": "NON-FAC PE RVU", "nonfacility_na": "NON-FAC NA INDICATOR",
    "pe_facility": "FACILITY PE RVU", "facility_na": "FACILITY NA INDICATOR", "mp": "MP RVU",
    "total_nonfacility": "NON-FACILITY TOTAL", "total_facility": "FACILITY TOTAL", "pctc": "PCTC IND",
    "global_days": "GLOB DAYS", "mult_proc": "MULT PROC", "bilateral": "BILAT SURG", "assistant": "ASST SURG",
    "co_surgeons": "CO- SURG", "team_surgery": "TEAM SURG", "conversion_factor": "CONV FACTOR",
}

#: 1-based inclusive positions from the record layout (RVU26B.pdf, "DATA RECORD").
_TXT_FIELDS: Final = {
    "code": (1, 5), "modifier": (6, 7), "description": (8, 57), "status": (58, 58), "work": (60, 65),
    "pe_nonfacility": (67, 72), "nonfacility_na": (73, 74), "pe_facility": (76, 81), "facility_na": (82, 83),
    "mp": (85, 89), "total_nonfacility": (91, 96), "total_facility": (97, 102), "pctc": (103, 103),
    "global_days": (104, 106), "mult_proc": (116, 116), "bilateral": (117, 117), "assistant": (118, 118),
    "co_surgeons": (119, 119), "team_surgery": (120, 120), "conversion_factor": (133, 140),
}
_TXT_MIN_LENGTH: Final = 140


def read_pprrvu(path: Path, year_hint: int | None = None) -> RvuFile:
    """Read a PPRRVU file in either CMS layout (CSV with stacked headers, or fixed-width TXT).

    Raises:
        DataFileError: header missing, a malformed or truncated record, totals that do not add up,
            mixed conversion factors, duplicate rows or too few rows.
    """
    year, month = period_from_name(path, year_hint)
    first = next((line for _, line in _lines(path) if line.strip()), "")
    if first.startswith("HDR"):
        records, released = _pprrvu_txt(path)
    else:
        records, released = _pprrvu_csv(path)
    rows: list[RvuRow] = []
    seen: dict[tuple[str, str], int] = {}
    factors: set[str] = set()
    for line, fields in records:
        row = _rvu_row(path, line, fields)
        if (row.code, row.modifier) in seen:
            raise DataFileError(str(path), line, "HCPCS", f"row {row.code} {row.modifier or '(no modifier)'} "
                                f"repeats line {seen[(row.code, row.modifier)]}")
        seen[(row.code, row.modifier)] = line
        factors.add(fields["conversion_factor"].strip())
        rows.append(row)
    if len(rows) < MIN_RVU_ROWS:
        raise DataFileError(str(path), None, None, f"only {len(rows)} data rows; a national PPRRVU file has "
                            f"over {MIN_RVU_ROWS} (truncated or not a PPRRVU file?)")
    missing = [c for c in REQUIRED_CODES if (c, "") not in seen]
    if missing:
        raise DataFileError(str(path), None, "HCPCS", f"codes {', '.join(missing)} are missing (truncated file?)")
    factors.discard("")
    if len(factors) != 1:
        raise DataFileError(str(path), None, "CONV FACTOR", f"expected one conversion factor, found {sorted(factors)}")
    return RvuFile(path, rows, Decimal(factors.pop()), year, month, released)


def _rvu_row(path: Path, line: int, f: dict[str, str]) -> RvuRow:
    code = f["code"].strip().upper()
    if not _CODE.match(code):
        raise DataFileError(str(path), line, "HCPCS", f"{f['code']!r} is not a 5-character HCPCS code")
    status = f["status"].strip()
    if len(status) != 1:
        raise DataFileError(str(path), line, "STATUS CODE", f"{f['status']!r} is not a one-letter status")
    values = {k: _scaled(path, line, _CSV_COLUMNS[k], f[k], 100)
              for k in ("work", "pe_nonfacility", "pe_facility", "mp", "total_nonfacility", "total_facility")}
    for total, pe in (("total_nonfacility", "pe_nonfacility"), ("total_facility", "pe_facility")):
        if values["work"] + values[pe] + values["mp"] != values[total]:
            raise DataFileError(str(path), line, _CSV_COLUMNS[total],
                                f"total {f[total].strip()} is not work + PE + MP for {code}")
    for flag in ("nonfacility_na", "facility_na"):
        if f[flag].strip() not in ("", "NA"):
            raise DataFileError(str(path), line, _CSV_COLUMNS[flag], f"{f[flag]!r} is neither blank nor NA")
    description = f["description"].strip()
    # CPT descriptors are AMA copyright and dental (D) codes ADA copyright: keep only public HCPCS II text.
    if code[0].isdigit() or code.startswith("D"):
        description = ""
    return RvuRow(
        code, f["modifier"].strip().upper(), description, status, values["work"], values["pe_nonfacility"],
        f["nonfacility_na"].strip() == "NA", values["pe_facility"], f["facility_na"].strip() == "NA",
        values["mp"], f["pctc"].strip(), f["global_days"].strip(), f["mult_proc"].strip(),
        f["bilateral"].strip(), f["assistant"].strip(), f["co_surgeons"].strip(), f["team_surgery"].strip(),
    )


def _pprrvu_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], str]:
    try:
        with path.open(encoding=ENCODING, newline="") as handle:
            table = list(csv.reader(handle))
    except (OSError, csv.Error) as exc:
        raise DataFileError(str(path), None, None, f"cannot read as CSV ({exc})") from None
    header_at = next((i for i, r in enumerate(table) if r and r[0].strip().upper() == "HCPCS"), None)
    if header_at is None:
        raise DataFileError(str(path), None, None, "no header row starting with HCPCS: not a PPRRVU CSV")
    stacked: list[list[str]] = []
    for r in reversed(table[:header_at]):
        if not any(c.strip() for c in r) or (len(r) > 2 and r[2].strip()):
            break
        stacked.insert(0, r)
    stacked.append(table[header_at])
    width = len(table[header_at])
    names = [" ".join(r[i].strip() for r in stacked if i < len(r) and r[i].strip()).upper() for i in range(width)]
    index: dict[str, int] = {}
    for key, name in _CSV_COLUMNS.items():
        if name not in names:
            raise DataFileError(str(path), header_at + 1, name, "column not found in the header")
        index[key] = names.index(name)
    banner = " ".join(c for r in table[:header_at] for c in r if c.strip())
    released = m.group(1) if (m := re.search(r"RELEASED\s+(\d\d/\d\d/\d{4})", banner)) else ""
    records = []
    for i, r in enumerate(table[header_at + 1:], start=header_at + 2):
        if not r or not r[0].strip():
            continue
        if len(r) != width:
            # Name the first column the record lacks: where a cut-short record stops.
            raise DataFileError(str(path), i, names[len(r)] if len(r) < width else None,
                                f"{len(r)} fields where the header has {width} "
                                "(truncated or corrupted record)")
        records.append((i, {k: r[j] for k, j in index.items()}))
    return records, released


def _pprrvu_txt(path: Path) -> tuple[list[tuple[int, dict[str, str]]], str]:
    records = []
    for number, line in _lines(path):
        if not line.strip() or line.startswith("HDR"):
            continue
        if len(line) < _TXT_MIN_LENGTH:
            cut = next(_CSV_COLUMNS[k] for k, (_, end) in _TXT_FIELDS.items() if end > len(line))
            raise DataFileError(str(path), number, cut, f"record is {len(line)} characters, the layout "
                                f"needs at least {_TXT_MIN_LENGTH} (truncated or corrupted record)")
        records.append((number, {k: line[a - 1:b] for k, (a, b) in _TXT_FIELDS.items()}))
    return records, ""


# --- GPCI (Addendum E) ------------------------------------------------------------------------------------

_GPCI_TXT = re.compile(
    r"^(?P<mac>\d{5})\s+(?P<state>[A-Z]{2})\s+(?P<number>\d{1,2})\s+(?P<name>.+?)"
    r"(?:\s+(?P<unfloored>\d+(?:\.\d+)?))?\s+(?P<work>\d+(?:\.\d+)?)\s+(?P<pe>\d+(?:\.\d+)?)"
    r"\s+(?P<mp>\d+(?:\.\d+)?)\s*$"
)


def read_gpci(path: Path) -> list[GpciRow]:
    """Read Addendum E (GPCIs) as CSV or as the fixed-width text copy.

    Where the file gives only the floored work GPCI (2025), both work columns hold it.

    Raises:
        DataFileError: no header, a bad number, a GPCI out of range, a repeated locality key,
            or too few localities.
    """
    rows: list[tuple[int, GpciRow]] = []
    seen: dict[str, int] = {}
    header = False
    if path.suffix.lower() == ".csv":
        try:
            with path.open(encoding=ENCODING, newline="") as handle:
                records = list(enumerate(csv.reader(handle), start=1))
        except (OSError, csv.Error) as exc:
            raise DataFileError(str(path), None, None, f"cannot read as CSV ({exc})") from None
        columns: dict[str, int] = {}
        for number, r in records:
            cells = [c.strip() for c in r]
            if not header:
                if cells and cells[0].upper().startswith("MEDICARE ADMINISTRATIVE CONTRACTOR"):
                    header = True
                    columns = _gpci_columns(path, number, cells)
                continue
            if not cells or not re.fullmatch(r"\d{5}", cells[0]):
                continue
            if len(cells) <= max(columns.values()):
                lacking = min((i, k) for k, i in columns.items() if i >= len(cells))[1]
                raise DataFileError(str(path), number, _GPCI_LABELS[lacking],
                                    "record has too few fields (truncated?)")
            unfloored = cells[columns.get("unfloored", columns["work"])]
            rows.append((number, _gpci_row(path, number, cells[0], cells[columns["number"]],
                                            cells[columns["state"]], cells[columns["name"]], unfloored,
                                            cells[columns["work"]], cells[columns["pe"]], cells[columns["mp"]])))
    else:
        for number, line in _lines(path):
            if not header:
                header = line.upper().startswith("MEDICARE ADMI")
                continue
            if not re.match(r"^\d{5}\s", line):
                continue
            m = _GPCI_TXT.match(line)
            if not m:
                raise DataFileError(str(path), number, None, "record does not match the GPCI layout")
            rows.append((number, _gpci_row(path, number, m["mac"], m["number"], m["state"], m["name"],
                                            m["unfloored"] or m["work"], m["work"], m["pe"], m["mp"])))
    if not header:
        raise DataFileError(str(path), None, None, "no header row (Medicare Administrative Contractor ...)")
    for number, row in rows:
        if row.key in seen:
            raise DataFileError(str(path), number, "Locality Number",
                                f"locality key {row.key} repeats line {seen[row.key]}")
        seen[row.key] = number
    if len(rows) < MIN_LOCALITIES:
        raise DataFileError(str(path), None, None, f"only {len(rows)} localities (truncated file?)")
    return [row for _, row in rows]


_GPCI_LABELS: Final = {
    "mac": "Medicare Administrative Contractor", "state": "State", "number": "Locality Number",
    "name": "Locality Name", "unfloored": "work GPCI (without floor)", "work": "work GPCI", "pe": "PE GPCI",
    "mp": "MP GPCI",
}


def _gpci_columns(path: Path, line: int, cells: list[str]) -> dict[str, int]:
    upper = [c.upper() for c in cells]
    found: dict[str, int] = {"mac": 0}
    for i, name in enumerate(upper):
        if name == "STATE":
            found["state"] = i
        elif "LOCALITY NUMBER" in name:
            found["number"] = i
        elif "LOCALITY NAME" in name:
            found["name"] = i
        elif "PW GPCI" in name and "WITHOUT" in name:
            found["unfloored"] = i
        elif "PW GPCI" in name:
            found["work"] = i
        elif "PE GPCI" in name:
            found["pe"] = i
        elif "MP GPCI" in name:
            found["mp"] = i
    for needed in ("state", "number", "name", "work", "pe", "mp"):
        if needed not in found:
            raise DataFileError(str(path), line, needed, "column not found in the header")
    return found


def _gpci_row(path: Path, line: int, mac: str, number: str, state: str, name: str, unfloored: str,
              work: str, pe: str, mp: str) -> GpciRow:
    values = {}
    for field, text in (("work GPCI (without floor)", unfloored), ("work GPCI", work), ("PE GPCI", pe),
                        ("MP GPCI", mp)):
        scaled = _scaled(path, line, field, text, 1000)
        if not GPCI_RANGE[0] * 1000 <= scaled <= GPCI_RANGE[1] * 1000:
            raise DataFileError(str(path), line, field, f"{text} is outside the plausible GPCI range "
                                f"{GPCI_RANGE[0]}-{GPCI_RANGE[1]}")
        values[field] = scaled
    if not number.isdigit():
        raise DataFileError(str(path), line, "Locality Number", f"{number!r} is not a number")
    return GpciRow(mac, number.zfill(2), state.strip(), name.strip().rstrip("*").strip(),
                   values["work GPCI (without floor)"], values["work GPCI"], values["PE GPCI"], values["MP GPCI"])


# --- Locality -> county crosswalk (LOCCO) -----------------------------------------------------------------

#: 0-based slices of the fixed-width LOCCO text (MAC, locality, state, fee schedule area, counties).
_LOCCO_SLICES: Final = {
    "mac": (4, 9), "number": (16, 18), "state": (22, 45), "area": (45, 143), "counties": (143, None),
}


def read_locco(txt: Path, csv_copy: Path | None = None) -> list[CountyRow]:
    """Read the locality->county crosswalk from its fixed-width text.

    The text truncates long county lists at 200 characters; where the CSV copy is given, its full text
    replaces a truncated entry (the CSV alone lost the leading zeros of the keys, so the text gives keys).

    Raises:
        DataFileError: no header, or a record whose MAC or locality is not a number.
    """
    rows: list[CountyRow] = []
    header = False
    state = ""
    for number, line in _lines(txt):
        if not header:
            header = line.startswith("Medicare Admi")
            continue
        if not line.strip() or not line.startswith("    ") or not line[4:9].strip():
            continue
        cut = {k: line[a:b].strip() for k, (a, b) in _LOCCO_SLICES.items()}
        if not (cut["mac"].isdigit() and len(cut["mac"]) == 5 and cut["number"].isdigit()):
            raise DataFileError(str(txt), number, "Medicare Administrative Contractor / Locality",
                                f"{line[:20].strip()!r} is not a 5-digit MAC and 2-digit locality")
        state = cut["state"] or state
        rows.append(CountyRow(cut["mac"] + cut["number"].zfill(2), state, cut["area"].rstrip("*").strip(),
                              cut["counties"]))
    if not header:
        raise DataFileError(str(txt), None, None, "no header row (Medicare Administrative Contractor ...)")
    if csv_copy is None:
        return rows
    full: dict[str, str] = {}
    try:
        with csv_copy.open(encoding=ENCODING, newline="") as handle:
            for r in csv.reader(handle):
                if len(r) >= 5 and r[0].strip().isdigit() and r[1].strip().isdigit():
                    full[r[0].strip().zfill(5) + r[1].strip().zfill(2)] = r[4].strip()
    except (OSError, csv.Error) as exc:
        raise DataFileError(str(csv_copy), None, None, f"cannot read as CSV ({exc})") from None
    return [
        CountyRow(r.key, r.state, r.area, full[r.key])
        if r.key in full and full[r.key].startswith(r.counties) else r
        for r in rows
    ]


# --- ZIP code -> carrier locality (ZIP5) ------------------------------------------------------------------

_ZIP_RURAL: Final = {"": "", "R": "R", "B": "B"}
#: (field, 1-based end position) of every non-filler field of ZIP5lyout.txt, in record order.
_ZIP_FIELDS: Final = (
    ("State", 2), ("ZIP code", 7), ("Carrier", 12), ("Pricing Locality", 14), ("Rural Indicator", 15),
    ("Bene Lab CB Locality", 17), ("Rural Indicator2", 18), ("Plus Four Flag", 21),
    ("Part B Payment Indicator", 23), ("Year/Quarter", 80),
)


def read_zip5(path: Path) -> list[ZipRow]:
    """Read the CMS ZIP5 file (fixed width, 80 characters a record, ZIP5lyout.txt).

    Raises:
        DataFileError: a short record, a non-numeric ZIP/carrier/locality, an unknown rural flag,
            a repeated ZIP or a file with too few records.
    """
    rows: list[ZipRow] = []
    seen: dict[str, int] = {}
    for number, line in _lines(path):
        if not line.strip():
            continue
        if len(line) < 80:
            cut = next(name for name, end in _ZIP_FIELDS if end > len(line))
            raise DataFileError(str(path), number, cut, f"record is {len(line)} characters, not 80 "
                                "(truncated or corrupted record)")
        zip5, carrier, locality = line[2:7], line[7:12], line[12:14]
        for field, text, width in (("ZIP code", zip5, 5), ("Carrier", carrier, 5), ("Pricing Locality", locality, 2)):
            if not (text.isdigit() and len(text) == width):
                raise DataFileError(str(path), number, field, f"{text!r} is not {width} digits")
        rural = line[14].strip()
        if rural not in _ZIP_RURAL:
            raise DataFileError(str(path), number, "Rural Indicator", f"{rural!r} is not blank, R or B")
        flag = line[20]
        if flag not in "01":
            raise DataFileError(str(path), number, "Plus Four Flag", f"{flag!r} is not 0 or 1")
        if zip5 in seen:
            raise DataFileError(str(path), number, "ZIP code", f"ZIP {zip5} repeats line {seen[zip5]}")
        seen[zip5] = number
        rows.append(ZipRow(zip5, line[0:2], carrier + locality, rural, flag == "1", line[75:80].strip()))
    if len(rows) < 1_000:
        raise DataFileError(str(path), None, None, f"only {len(rows)} ZIP records (truncated file?)")
    return rows
