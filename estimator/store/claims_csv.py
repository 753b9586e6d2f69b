"""Reading a claims export (CSV) for the audit: column mapping, validation with line numbers, remembered layouts.

A practice's billing system names its columns its own way ("DOS", "CPT", "Mod 1", "Claim #" ...).  A
``ColumnMapping`` says which column holds which field; ``suggest_mapping`` guesses one from the header,
``load_mapping_toml`` reads one the user wrote (``--mapping``), and ``remember_mapping`` /
``remembered_mapping`` keep it per file layout (the sha256 of the normalised header) in the store's
``column_mappings`` table, so the next export of the same layout needs no mapping.  Only column names are
stored, never a value from the file.

``read_claims`` validates every row and splits the file in two: the lines to audit (a columnar
``ClaimLines``) and the bad rows, each with its line number and what is wrong (``RowProblem``).  Values are
checked once per distinct value (a file of 100,000 lines has a few hundred distinct dates, codes and
modifier sets), so validation costs little beyond the csv module's own parsing.  Patient ids are never
quoted in a problem's message.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import tomllib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np

from estimator.core import codes as cs
from estimator.core.audit import ClaimLines, RowProblem, paused_gc
from estimator.core.errors import EstimatorError, InputError
from estimator.core.parsing import ascii_digits
from estimator.core.schedule import NATIONAL_KEY, TableSet
from estimator.files import check_input_file
from estimator.store.claim_sources import converted_text
from estimator.store.sql_store import SqlStore

#: A year of claim lines of a large group practice is a few hundred MB at most; anything larger is refused
#: before it is read (a bad 100 MB file once took 1.9 GB to report).
MAX_CLAIMS_BYTES: Final = 512 * 1024 * 1024
MAX_HEADER_BYTES: Final = 64 * 1024

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
TablesForDate = Callable[[dt.date], TableSet]
ZipLocality = Callable[[str, dt.date], str | None]
ProgressFn = Callable[[float], None]

MAPPING_VERSION: Final = 1
MAX_UNITS: Final = 999
MAX_AMOUNT: Final = Decimal("10000000")
NO_AUTH: Final = frozenset({"", "no", "n", "false", "0", "none", "n/a", "na", "-"})
DATE_FORMATS: Final = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d", "%m-%d-%Y", "%Y/%m/%d")
_SPLIT: Final = re.compile(r"[\s,;|/]+")


@dataclass(frozen=True, slots=True)
class Field:
    """One thing the audit reads from a claim line, and the header names that usually hold it."""

    key: str
    label: str
    required: bool
    multi: bool  # may come from several columns (Mod 1, Mod 2 ...); cells are also split on , ; | / space
    synonyms: tuple[str, ...]  # normalised header names (lower case, letters and digits only)
    help: str = ""


FIELDS: Final[tuple[Field, ...]] = (
    Field("date_of_service", "Date of service", True, False,
          ("dos", "dateofservice", "servicedate", "dateofsvc", "svcdate", "dosfrom", "fromdos", "servicefromdate",
           "fromdate", "linedos", "visitdate", "date"), "YYYY-MM-DD or MM/DD/YYYY"),
    Field("claim_id", "Claim / encounter id", True, False,
          ("claim", "claimid", "claimno", "claimnumber", "claimnum", "encounter", "encounterid", "encounterno",
           "encounternumber", "visitid", "visit", "claimref", "icn"), "lines with the same id form one claim"),
    Field("patient_id", "Patient id", True, False,
          ("patientid", "patient", "patientno", "patientnumber", "mrn", "memberid", "member", "patientacct",
           "patientaccount", "accountnumber", "accountno", "account", "acct", "chartnumber", "chart"),
          "any opaque id; shown only on screen and in exports you ask for"),
    Field("payer", "Payer", True, False,
          ("payer", "payername", "payor", "payorname", "insurance", "insurancename", "insurer", "plan",
           "planname", "carrier", "primarypayer", "primaryinsurance"), "the payer's name as in the payer list"),
    Field("code", "CPT/HCPCS code", True, False,
          ("cpt", "hcpcs", "cpthcpcs", "hcpcscpt", "cptcode", "hcpcscode", "cpthcpcscode", "procedurecode",
           "procedure", "proccode", "proc", "servicecode", "code")),
    Field("units", "Units", False, False,
          ("units", "unit", "serviceunits", "unitsbilled", "billedunits", "daysunits", "daysorunits", "qty",
           "quantity"), "1 when absent"),
    Field("modifiers", "Modifiers", False, True,
          ("mods", "mod", "modifiers", "modifier", "cptmodifiers", "cptmodifier", "modifiercodes")),
    Field("diagnoses", "Diagnosis codes", False, True,
          ("dx", "dxs", "diagnosis", "diagnoses", "diagnosiscode", "diagnosiscodes", "dxcode", "dxcodes", "icd",
           "icd10", "icd10cm", "icdcode", "icdcodes", "icd10code", "icd10codes", "diag")),
    Field("place_of_service", "Place of service", False, False,
          ("pos", "placeofservice", "poscode", "place"), "the practice's default when absent"),
    Field("locality", "Locality key", False, False,
          ("locality", "localitykey", "medicarelocality", "maclocality", "feeschedulelocality"),
          "7-digit MAC+locality; a 5-digit ZIP also works"),
    Field("zip", "ZIP code", False, False,
          ("zip", "zipcode", "postalcode", "zip5", "servicezip", "servicezipcode", "facilityzip"),
          "used where the locality is empty"),
    Field("billed", "Billed charge", False, False,
          ("billed", "billedamount", "billedamt", "billedcharge", "charge", "charges", "chargeamount",
           "chargeamt", "linecharge", "totalcharge", "amountbilled", "submitted", "submittedcharge",
           "submittedamount")),
    Field("allowed", "Allowed (remittance)", False, False,
          ("allowed", "allowedamount", "allowedamt", "allowable", "allowableamount", "contractallowed",
           "approved", "approvedamount")),
    Field("paid", "Paid (remittance)", False, False,
          ("paid", "paidamount", "paidamt", "payment", "paymentamount", "amountpaid", "insurancepaid",
           "payerpaid", "insurancepayment", "planpaid")),
    Field("prior_auth", "Prior authorization", False, False,
          ("priorauth", "priorauthorization", "authorization", "auth", "authno", "authnumber",
           "authorizationnumber", "preauth", "preauthorization", "priorauthno", "pa", "panumber"),
          "an authorization number, or yes/no; empty means none"),
)
FIELD_BY_KEY: Final = {f.key: f for f in FIELDS}
DEFAULTABLE: Final = ("place_of_service", "locality")


def _compact(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def normalise_header(header: Sequence[str]) -> tuple[str, ...]:
    """Header cells as compared for a layout: trimmed, inner spaces collapsed, case-folded."""
    return tuple(" ".join(cell.split()).casefold() for cell in header)


def layout_key(header: Sequence[str]) -> str:
    """The file layout's key: sha256 of the normalised header (same columns, same order, same key)."""
    return hashlib.sha256("\x1f".join(normalise_header(header)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which header column(s) hold each field, and defaults for fields the file lacks."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - FIELD_BY_KEY.keys())
        if unknown:
            raise InputError(f"unknown field(s) in the column mapping: {', '.join(unknown)}; "
                             f"fields are {', '.join(FIELD_BY_KEY)}")
        bad_defaults = sorted(set(self.defaults) - set(DEFAULTABLE))
        if bad_defaults:
            raise InputError(f"no default can be given for {', '.join(bad_defaults)}; "
                             f"defaults exist for {', '.join(DEFAULTABLE)}")
        for key, cols in self.columns.items():
            if len(cols) > 1 and not FIELD_BY_KEY[key].multi:
                raise InputError(f"{key} comes from one column, but the mapping names {len(cols)}: "
                                 f"{', '.join(cols)}")

    def get(self, key: str) -> tuple[str, ...]:
        return tuple(self.columns.get(key, ()))

    def missing(self) -> list[str]:
        """Required fields with no column."""
        return [f.key for f in FIELDS if f.required and not self.columns.get(f.key)]

    def indices(self, header: Sequence[str]) -> dict[str, list[int]]:
        """Column positions of every mapped field in ``header``.

        Raises:
            InputError: a required field is not mapped, or a mapped column is not in the header.
        """
        exact = {cell.strip(): i for i, cell in reversed(list(enumerate(header)))}
        folded = {" ".join(cell.split()).casefold(): i for i, cell in reversed(list(enumerate(header)))}
        problems = []
        out: dict[str, list[int]] = {}
        for key, cols in self.columns.items():
            for name in cols:
                i = exact.get(name.strip(), folded.get(" ".join(name.split()).casefold()))
                if i is None:
                    problems.append(f"{key} -> {name!r} is not a column of the file")
                else:
                    out.setdefault(key, []).append(i)
        missing = self.missing()
        if missing:
            problems.append(f"no column for {', '.join(FIELD_BY_KEY[k].label.lower() for k in missing)}")
        if problems:
            raise InputError("the column mapping does not fit the file: " + "; ".join(problems)
                             + f". The file's columns are: {', '.join(repr(c) for c in header)}. Give a mapping "
                             "with --mapping FILE.toml (see samples/claims_mapping.toml)")
        return out

    def to_json(self) -> str:
        return json.dumps({"version": MAPPING_VERSION, "columns": {k: list(v) for k, v in self.columns.items()},
                           "defaults": dict(self.defaults)}, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> ColumnMapping:
        data = json.loads(text)
        return ColumnMapping({k: tuple(v) for k, v in data.get("columns", {}).items()},
                             dict(data.get("defaults", {})))

    def to_toml(self) -> str:
        """The mapping as a ``--mapping`` file."""
        out = ["# Column mapping for 'estimator audit --mapping'", "[columns]"]
        for f in FIELDS:
            cols = self.get(f.key)
            if cols:
                value = json.dumps(list(cols)) if f.multi and len(cols) > 1 else json.dumps(cols[0])
                out.append(f"{f.key} = {value}")
        if self.defaults:
            out += ["", "[defaults]", *(f"{k} = {json.dumps(v)}" for k, v in self.defaults.items())]
        return "\n".join(out) + "\n"


def suggest_mapping(header: Sequence[str]) -> ColumnMapping:
    """A mapping guessed from header names ("DOS", "CPT", "Mod 1", "Dx", "Claim #" ...).

    A column goes to at most one field; for a single-column field the best-ranked synonym wins, a
    multi-column field (modifiers, diagnoses) takes every matching column, numbered ones included.
    """
    compact = [_compact(cell) for cell in header]
    taken: set[int] = set()
    columns: dict[str, tuple[str, ...]] = {}
    for f in FIELDS:
        if f.multi:
            found = [i for i, name in enumerate(compact) if i not in taken
                     and (name in f.synonyms or name.rstrip("0123456789") in f.synonyms)]
        else:
            found = next(([i] for syn in f.synonyms for i, name in enumerate(compact)
                          if name == syn and i not in taken), [])
        if found:
            taken.update(found)
            columns[f.key] = tuple(header[i].strip() for i in found)
    return ColumnMapping(columns)


def load_mapping_toml(path: Path) -> ColumnMapping:
    """Read a ``--mapping`` file: a ``[columns]`` table (field = "Header" or ["Mod 1", "Mod 2"]) and an
    optional ``[defaults]`` table (place_of_service, locality).

    Raises:
        InputError: unreadable, not TOML, or naming unknown fields.
    """
    try:
        check_input_file(path, "the mapping file", MAX_HEADER_BYTES)
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML mapping file ({exc})") from None
    extra = sorted(set(data) - {"columns", "defaults"})
    if extra or not isinstance(data.get("columns"), dict):
        raise InputError(f"{path}: a mapping file has a [columns] table (and optionally [defaults]); "
                         f"found {', '.join(sorted(data)) or 'nothing'}")
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in data["columns"].items():
        if isinstance(value, str):
            columns[key] = (value,)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            columns[key] = tuple(value)
        else:
            raise InputError(f"{path}: columns.{key} must be a column name or a list of names")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or not all(isinstance(v, str) for v in defaults.values()):
        raise InputError(f"{path}: [defaults] values must be strings, e.g. place_of_service = \"11\"")
    try:
        return ColumnMapping(columns, dict(defaults))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def remembered_mapping(store: SqlStore, header: Sequence[str]) -> ColumnMapping | None:
    """The mapping last confirmed for this file layout, if any."""
    rows = store.query("SELECT mapping_json FROM column_mappings WHERE layout_key = ?", (layout_key(header),))
    if not rows:
        return None
    try:
        return ColumnMapping.from_json(rows[0]["mapping_json"])
    except (ValueError, AttributeError, InputError):
        return None  # written by another version, or damaged: suggest afresh


def remember_mapping(store: SqlStore, header: Sequence[str], mapping: ColumnMapping) -> None:
    """Keep ``mapping`` for this file layout (column names only; nothing from the rows)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store.transaction() as db:
        db.execute("INSERT INTO column_mappings (layout_key, mapping_json, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(layout_key) DO UPDATE SET mapping_json = excluded.mapping_json, "
                   "updated_at = excluded.updated_at", (layout_key(header), mapping.to_json(), now))


# --- reading ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, eq=False)
class ParsedClaims:
    """A claims file split into lines to audit and bad rows (``problems``, by line number)."""

    header: tuple[str, ...]
    lines: ClaimLines
    problems: tuple[RowProblem, ...]
    rows: int  # data rows read (blank rows not counted)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_text(path: Path) -> str:
    """The file's text (UTF-8, else Windows-1252 as Excel on Windows saves CSV).

    Raises:
        InputError: the file cannot be read, is not a regular file, or is larger than MAX_CLAIMS_BYTES.
    """
    check_input_file(path, "the claims file", MAX_CLAIMS_BYTES)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the claims file ({exc.strerror})") from None
    converted = converted_text(Path(path), data[:512])  # an 837P or .xlsx becomes the same CSV table
    return _decode(data) if converted is None else converted


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_header(path: Path) -> list[str]:
    """The header row of a claims file (for suggesting and remembering a mapping).

    Raises:
        InputError: unreadable or empty.
    """
    check_input_file(path, "the claims file", MAX_CLAIMS_BYTES)
    try:
        with Path(path).open("rb") as handle:
            first = handle.readline(MAX_HEADER_BYTES)
            head = first + handle.read(512)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the claims file ({exc.strerror})") from None
    converted = converted_text(Path(path), head)
    # A file saved with bare CR line ends has one "line": its first row is up to the first line break.
    text = next(iter(_decode(first).splitlines()), "") if converted is None else converted.partition("\n")[0]
    text = text.rstrip("\r\n")
    header = next(csv.reader([text], delimiter=_delimiter(text)), [])
    if not any(cell.strip() for cell in header):
        raise InputError(f"{path}: the file is empty; it needs a header row and one row per claim line")
    return [cell.strip() for cell in header]


def read_claims(path: Path, mapping: ColumnMapping, *, tables_for_date: TablesForDate,
                zip_locality: ZipLocality | None = None, default_place: str = "11",
                default_locality: str = NATIONAL_KEY, progress: ProgressFn | None = None) -> ParsedClaims:
    """Read and validate a claims file (see ``parse_claims``).

    Raises:
        InputError: the file cannot be read, is empty, or the mapping does not fit its header.
    """
    return parse_claims(read_text(path), mapping, tables_for_date=tables_for_date, zip_locality=zip_locality,
                        default_place=default_place, default_locality=default_locality, progress=progress)


def _per_value(raw: Sequence[K], parse: Callable[[K], T]) -> tuple[dict[K, T], dict[K, str]]:
    """Parse each distinct value once: (value -> result, value -> error message)."""
    ok: dict[K, T] = {}
    errors: dict[K, str] = {}
    for value in set(raw):
        try:
            ok[value] = parse(value)
        except InputError as exc:
            errors[value] = str(exc)
    return ok, errors


def parse_date(text: str) -> int:
    """A date of service as an ordinal; ISO, US (MM/DD/YYYY, MM/DD/YY) and YYYYMMDD forms, time ignored.

    Raises:
        InputError: not a date in one of those forms.
    """
    value = text.strip().split(" ")[0].split("T")[0]
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date().toordinal()
        except ValueError:
            continue
    if re.fullmatch(r"\d{1,4}[-/]\d{1,2}[-/]\d{1,4}|\d{8}", value):
        raise InputError(f"{text.strip()!r} is not a real calendar date")
    raise InputError(f"{text.strip()!r} is not a date: use YYYY-MM-DD or MM/DD/YYYY")


def parse_money(text: str) -> int | None:
    """Dollars ("1,234.50", "$66.47", "(5.00)" negative) as cents; empty -> None.

    Raises:
        InputError: not an amount, or more than 2 decimal places.
    """
    value = text.strip().replace("$", "").replace(",", "")
    if not value:
        return None
    negative = value.startswith("(") and value.endswith(")")
    try:
        amount = Decimal(value.strip("()"))
    except InvalidOperation:
        raise InputError(f"{text.strip()!r} is not an amount (e.g. 66.47)") from None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise InputError(f"{text.strip()!r} is not an amount in dollars and cents (e.g. 66.47)")
    cents = int(amount * 100)
    return -cents if negative else cents


def parse_units(text: str) -> int:
    """Units as a whole number 1..999 ("2", "2.0"); empty means 1.

    Raises:
        InputError: not a whole number in range.
    """
    value = text.strip()
    if not value:
        return 1
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InputError(f"units {value!r} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value() or not 1 <= number <= MAX_UNITS:
        raise InputError(f"units {value!r} must be a whole number from 1 to {MAX_UNITS}")
    return int(number)


def _split_cells(cells: tuple[str, ...]) -> list[str]:
    return [part for cell in cells for part in _SPLIT.split(cell.strip()) if part]


def parse_modifiers(cells: tuple[str, ...]) -> tuple[str, ...]:
    """Modifiers from one or more cells ("25", "25,59", "RT 59").

    Raises:
        InputError: malformed or unknown modifier.
    """
    return tuple(cs.normalize_modifier(m) for m in _split_cells(cells))


def parse_diagnoses(cells: tuple[str, ...]) -> tuple[str, ...]:
    """ICD-10-CM codes from one or more cells ("L57.0", "L57.0;L82.1").

    Raises:
        InputError: not shaped like an ICD-10-CM code.
    """
    return tuple(dict.fromkeys(cs.normalize_diagnosis(d) for d in _split_cells(cells)))


def _prior_auth(text: str) -> int:
    return 0 if text.strip().casefold() in NO_AUTH else 1


class _Rows:
    """The rows being validated: their problems, and which rows are bad (or blank, silently skipped)."""

    def __init__(self, numbers: list[int], claim_ids: Sequence[str]) -> None:
        self.numbers = numbers
        self.claim_ids = claim_ids
        self.problems: list[RowProblem] = []
        self.bad: set[int] = set()
        self.blank: set[int] = set()

    def flag(self, k: int, column: str, message: str) -> None:
        if k in self.blank:
            return
        self.bad.add(k)
        self.problems.append(RowProblem(self.numbers[k], column, message, self.claim_ids[k].strip() or None))

    def flag_values(self, raw: Sequence[K], errors: Mapping[K, str], column: str) -> None:
        if errors:
            for k, value in enumerate(raw):
                if value in errors:
                    self.flag(k, column, errors[value])


def _mapped(raw: Sequence[K], parse: Callable[[K], T], bad: T, checked: _Rows, column: str) -> list[T]:
    """Each cell parsed (once per distinct value); a bad cell flags its row and reads as ``bad``."""
    ok, errors = _per_value(raw, parse)
    checked.flag_values(raw, errors, column)
    ok.update(dict.fromkeys(errors, bad))
    return list(map(ok.__getitem__, raw))


def _mapped_columns(text: str, delimiter: str, mapping: ColumnMapping
                    ) -> tuple[list[str], dict[str, list[int]], dict[int, list[str]], list[int], list[RowProblem]]:
    """Header, the mapping's column indices, the mapped columns' cells, each kept row's line number, and the
    rows too short for the mapping (reported, not kept).  Blank rows are skipped.

    Read in one pass, keeping only the mapped cells, and each column's repeated values as one string: a
    1,000,000-line file then holds ~15 million references to some 800,000 strings, not 15 million strings
    and a list per row (1.5 GB before).  Line numbers are the file's (a quoted cell may span lines; CR, LF
    and CRLF all end a line).

    Raises:
        InputError: the file is not CSV the reader can split (a field over the size limit, a stray quote), or
            the mapping does not fit its header.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not any(header):
            raise InputError("the claims file is empty; it needs a header row and one row per claim line")
        at = mapping.indices(header)
        need = max(i for cols in at.values() for i in cols) + 1
        claim_col = at["claim_id"][0]
        wanted = sorted({i for cols in at.values() for i in cols})
        cells: dict[int, list[str]] = {j: [] for j in wanted}
        shared: dict[int, dict[str, str]] = {j: {} for j in wanted}
        appenders = [(j, cells[j].append, shared[j].setdefault) for j in wanted]
        numbers: list[int] = []
        short: list[RowProblem] = []
        previous = reader.line_num
        for row in reader:
            number, previous = previous + 1, reader.line_num
            if not row:  # a truly blank line
                continue
            if len(row) < need:
                if any(cell.strip() for cell in row):
                    short.append(RowProblem(
                        number, "", f"the row has {len(row)} columns; the mapped columns need {need} (the header "
                        f"has {len(header)})", (row[claim_col].strip() or None) if len(row) > claim_col else None))
                continue
            numbers.append(number)
            for j, append, share in appenders:
                cell = row[j]
                append(share(cell, cell))
    except csv.Error as exc:
        raise InputError(f"line {reader.line_num}: not readable as CSV ({exc}); save the file as CSV again") from None
    return header, at, cells, numbers, short


def parse_claims(text: str, mapping: ColumnMapping, *, tables_for_date: TablesForDate,
                 zip_locality: ZipLocality | None = None, default_place: str = "11",
                 default_locality: str = NATIONAL_KEY, progress: ProgressFn | None = None) -> ParsedClaims:
    """Validate a claims CSV's rows: every value is checked, every bad row named with its line number.

    Line numbers are the file's (the header is line 1).  A bad row is left out and reported; the other
    rows are returned as ``ClaimLines`` (the audit holds out any claim that lost a row).  Blank rows,
    and rows whose mapped cells are all empty, are skipped silently.

    Raises:
        InputError: the text is empty, or the mapping does not fit its header.
    """
    with paused_gc():
        return _parse(text, mapping, tables_for_date, zip_locality, default_place, default_locality,
                      progress or (lambda fraction: None))


def _parse(text: str, mapping: ColumnMapping, tables_for_date: TablesForDate, zip_locality: ZipLocality | None,
           default_place: str, default_locality: str, report: ProgressFn) -> ParsedClaims:
    """``parse_claims`` itself (garbage collector paused)."""
    header, at, mapped_cells, numbers, short_problems = _mapped_columns(
        text, _delimiter(text.split("\n", 1)[0]), mapping)
    n = len(numbers)
    columns: dict[int, Sequence[str]] = dict(mapped_cells)
    del mapped_cells
    report(0.15)

    def column(key: str) -> Sequence[str] | None:
        cols = at.get(key)
        return columns[cols[0]] if cols else None

    def cells(key: str) -> list[tuple[str, ...]] | None:
        cols = at.get(key)
        return list(zip(*(columns[j] for j in cols), strict=True)) if cols else None

    claim_raw = column("claim_id") or ()
    checked = _Rows(numbers, claim_raw)
    identity = {key: list(map(str.strip, column(key) or ())) for key in ("claim_id", "patient_id", "payer")}
    if "" in identity["claim_id"]:
        mapped = sorted({i for cols in at.values() for i in cols})
        for k, value in enumerate(identity["claim_id"]):
            if not value and not any(columns[j][k].strip() for j in mapped):
                checked.blank.add(k)
    for key, what in (("claim_id", "claim id"), ("patient_id", "patient id"), ("payer", "payer")):
        if "" in identity[key]:
            for k, value in enumerate(identity[key]):
                if not value:
                    checked.flag(k, key, f"the {what} is empty")

    date_raw = column("date_of_service") or ()
    date_ok, date_err = _per_value(date_raw, parse_date)
    tables_of: dict[int, TableSet] = {}
    for value, ordinal in list(date_ok.items()):
        if ordinal not in tables_of:
            try:
                tables_of[ordinal] = tables_for_date(dt.date.fromordinal(ordinal))
            except EstimatorError as exc:
                date_err[value] = f"date of service {value.strip()}: {exc}"
                del date_ok[value]
        elif value not in date_ok:
            continue
    date_ok = {v: o for v, o in date_ok.items() if o in tables_of}
    checked.flag_values(date_raw, date_err, "date_of_service")
    date_ok.update(dict.fromkeys(date_err, -1))
    dates = list(map(date_ok.__getitem__, date_raw))
    release_by_ordinal = {o: t.release for o, t in tables_of.items()}
    release_by_ordinal[-1] = ""
    release_of = list(map(release_by_ordinal.__getitem__, dates))
    release_tables = {t.release: t for t in tables_of.values()}
    report(0.3)

    code_raw = column("code") or ()
    codes = _mapped(code_raw, cs.normalize_code, "", checked, "code")
    unknown = {(c, r) for c, r in set(zip(codes, release_of, strict=True))
               if c and r and not release_tables[r].schedule.has(c)}
    if unknown:
        for k, pair in enumerate(zip(codes, release_of, strict=True)):
            if pair in unknown:
                checked.flag(k, "code", f"unknown code {pair[0]!r}: not in the {pair[1]} fee schedule")
    units_raw = column("units")
    units = [1] * n if units_raw is None else _mapped(units_raw, parse_units, 1, checked, "units")
    modifier_cells = cells("modifiers")
    no_values: tuple[str, ...] = ()
    modifiers = [no_values] * n if modifier_cells is None else _mapped(
        modifier_cells, parse_modifiers, no_values, checked, "modifiers")
    if any(set(m) & cs.PRICING_MODIFIERS for m in set(modifiers)):
        for k, mods in enumerate(modifiers):
            for mod in sorted(set(mods) & cs.PRICING_MODIFIERS):
                if codes[k] and release_of[k] and not release_tables[release_of[k]].schedule.has(codes[k], mod):
                    checked.flag(k, "modifiers", f"{codes[k]} has no -{mod} row in the fee schedule; remove {mod}")
    dx_cells = cells("diagnoses")
    diagnoses = [no_values] * n if dx_cells is None else _mapped(
        dx_cells, parse_diagnoses, no_values, checked, "diagnoses")
    report(0.5)

    places = _places(column("place_of_service"), mapping.defaults.get("place_of_service", default_place),
                     release_of, release_tables, checked)
    localities = _localities(column("locality"), column("zip"), mapping.defaults.get("locality", default_locality),
                             dates, release_of, release_tables, zip_locality, checked)
    amounts: dict[str, tuple[Any, Any]] = {}
    for key in ("billed", "allowed", "paid"):
        raw = column(key)
        if raw is None:
            amounts[key] = (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_))
            continue
        distinct = list(dict.fromkeys(raw))
        position = {v: k for k, v in enumerate(distinct)}
        ids = np.fromiter(map(position.__getitem__, raw), dtype=np.int64, count=n)
        ok, err = _per_value(distinct, parse_money)
        if key != "paid":
            err.update({v: f"the {key} amount {v.strip()!r} cannot be negative" for v, c in ok.items()
                        if c is not None and c < 0})
        checked.flag_values(raw, err, key)
        values = [ok.get(v) for v in distinct]
        amounts[key] = (np.array([v or 0 for v in values], dtype=np.int64)[ids],
                        np.array([v is not None for v in values], dtype=np.bool_)[ids])
    auth_raw = column("prior_auth")
    auth = np.full(n, -1, dtype=np.int8) if auth_raw is None else np.array(
        _mapped(auth_raw, _prior_auth, 0, checked, "prior_auth"), dtype=np.int8)
    report(0.8)

    skip = checked.bad | checked.blank
    good = [k for k in range(n) if k not in skip] if skip else None

    def take(values: Sequence[Any]) -> list[Any]:
        return list(values) if good is None else [values[k] for k in good]

    picked = np.array(good, dtype=np.int64) if good is not None else slice(None)
    lines = ClaimLines(
        line_numbers=np.array(take(numbers), dtype=np.int64), claim_ids=tuple(take(identity["claim_id"])),
        patient_ids=tuple(take(identity["patient_id"])), dates=np.array(take(dates), dtype=np.int64),
        payers=tuple(take(identity["payer"])), places=tuple(take(places)), localities=tuple(take(localities)),
        codes=tuple(take(codes)), units=np.array(take(units), dtype=np.int64),
        modifiers=tuple(take(modifiers)), diagnoses=tuple(take(diagnoses)),
        billed_cents=amounts["billed"][0][picked], has_billed=amounts["billed"][1][picked],
        allowed_cents=amounts["allowed"][0][picked], has_allowed=amounts["allowed"][1][picked],
        paid_cents=amounts["paid"][0][picked], has_paid=amounts["paid"][1][picked], prior_auth=auth[picked],
        diagnoses_given="diagnoses" in at,
    )
    report(1.0)
    ordered = sorted([*short_problems, *checked.problems], key=lambda p: (p.line, p.column))
    return ParsedClaims(tuple(header), lines, tuple(ordered), n - len(checked.blank) + len(short_problems))


def _places(raw: Sequence[str] | None, default: str, release_of: list[str], release_tables: Mapping[str, TableSet],
            checked: _Rows) -> list[str]:
    if raw is None:
        return [default] * len(release_of)

    def code(value: str) -> str:
        text = value.strip().split(".")[0]
        if not text:
            return default
        if not ascii_digits(text, 2):
            raise InputError(f"place of service {value.strip()!r} is not a 2-digit POS code (e.g. 11 office)")
        return text.zfill(2)

    places = _mapped(raw, code, default, checked, "place_of_service")
    known = {r: t.places.by_code for r, t in release_tables.items()}
    unknown = {(p, r) for p, r in set(zip(places, release_of, strict=True)) if r and p not in known[r]}
    if unknown:
        for k, pair in enumerate(zip(places, release_of, strict=True)):
            if pair in unknown:
                checked.flag(k, "place_of_service", f"place of service {pair[0]!r} is not a CMS POS code")
    return places


def _localities(raw: Sequence[str] | None, zips: Sequence[str] | None, default: str, dates: list[int],
                release_of: list[str], release_tables: Mapping[str, TableSet],
                zip_locality: ZipLocality | None, checked: _Rows) -> list[str]:
    n = len(dates)
    if raw is None and zips is None:
        return [default] * n
    keys = list(zip(raw if raw is not None else [""] * n, zips if zips is not None else [""] * n, release_of,
                    strict=True))
    ordinal_of = dict(zip(keys, dates, strict=True))
    found = {key: _locality(key, ordinal_of[key], release_tables, zip_locality, default) for key in ordinal_of}
    errors = {key: error for key, (_, error) in found.items() if error is not None}
    for k, key in enumerate(keys) if errors else ():
        if key in errors:
            checked.flag(k, "locality" if key[0].strip() else "zip", errors[key])
    value = {key: v or default for key, (v, _) in found.items()}
    return list(map(value.__getitem__, keys))


def _locality(key: tuple[str, str, str], ordinal: int, release_tables: Mapping[str, TableSet],
              zip_locality: ZipLocality | None, default: str) -> tuple[str | None, str | None]:
    """(locality key, None) or (None, what is wrong) for a locality cell, a ZIP cell and the tables."""
    locality, zip_code, release = key[0].strip(), key[1].strip(), key[2]
    if not release:
        return None, None  # the date is bad; that row is already flagged
    text = locality or zip_code
    if not text:
        return default, None
    if text.casefold() == NATIONAL_KEY:
        return NATIONAL_KEY, None
    digits = text.split("-")[0].split(".")[0]
    if locality and len(digits) in (6, 7) and ascii_digits(digits):
        candidate = digits.zfill(7)
        try:
            release_tables[release].localities.index(candidate)
        except InputError:
            return None, f"unknown locality {text!r}: use a 7-digit MAC+locality key such as 0441299"
        return candidate, None
    if ascii_digits(digits) and len(digits) in (3, 4, 5, 9):
        zip5 = digits[:5] if len(digits) == 9 else digits.zfill(5)
        if zip_locality is None:
            return None, f"{text!r} looks like a ZIP code, but no ZIP table is available"
        found = zip_locality(zip5, dt.date.fromordinal(ordinal))
        if found is None:
            return None, f"ZIP {zip5} is not in the CMS ZIP-to-locality file"
        return found, None
    return None, f"{text!r} is neither a 7-digit locality key nor a ZIP code"
