"""Fee schedules and the charge master as CSV (``code,modifier,amount``): validated whole, written atomically.

An import reads and checks every row first and reports every problem with its line and column; nothing
is stored unless the whole file is valid.  Export writes the same format, so export -> import round-trips.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from estimator.core.errors import InputError
from estimator.core.money import cents_to_decimal
from estimator.core.payers import CodeKey
from estimator.core.schedule import FeeSchedule
from estimator.csv_out import csv_text
from estimator.files import read_text, write_text_atomically

MAX_REPORTED: Final = 20
MAX_AMOUNT: Final = Decimal("1000000")
#: What to do with a CSV file that is not UTF-8.
SAVE_AS_CSV: Final = "save it as CSV (UTF-8)"


class CsvImportError(InputError):
    """A CSV file with problems; the message lists each with its line and column."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = problems[:MAX_REPORTED]
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        super().__init__(f"{path}: {len(problems)} problem(s), nothing was imported:\n  "
                         + "\n  ".join(shown) + more)
        self.problems = problems


def read_amounts(path: Path, schedule: FeeSchedule, value_column: str = "amount") -> dict[CodeKey, int]:
    """Read ``code,modifier,<value_column>`` rows into cents per (code, modifier).

    Raises:
        CsvImportError: any row invalid (bad number, unknown code, duplicate, missing column ...).
        InputError: the file cannot be read.
    """
    text = read_text(path, hint=SAVE_AS_CSV)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _read_rows(path, reader, schedule, value_column)
    except csv.Error as exc:
        raise CsvImportError(path, [f"line {reader.line_num}: not readable as CSV ({exc})"]) from None


def _read_rows(path: Path, reader: Iterator[list[str]], schedule: FeeSchedule,
               value_column: str) -> dict[CodeKey, int]:
    header = [h.strip().lower() for h in next(reader, [])]
    required = ("code", "modifier", value_column)
    missing = [c for c in required if c not in header]
    if missing:
        raise CsvImportError(path, [f"line 1: missing column(s) {', '.join(missing)}; the header must be "
                                    f"{','.join(required)}"])
    at = {c: header.index(c) for c in required}
    problems: list[str] = []
    seen: dict[CodeKey, int] = {}
    out: dict[CodeKey, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            problems.append(f"line {number}: {len(row)} columns, the header has {len(header)}")
            continue
        code = row[at["code"]].strip().upper()
        modifier = row[at["modifier"]].strip().upper()
        raw = row[at[value_column]].strip().lstrip("$")
        if not schedule.has(code, modifier):
            what = f"{code}-{modifier}" if modifier else code
            problems.append(f"line {number}, column code: unknown code {what!r} (not in the {schedule.release} "
                            "fee schedule)")
            continue
        try:
            value = Decimal(raw)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"line {number}, column {value_column}: {raw!r} is not a number")
            continue
        if value < 0 or value > MAX_AMOUNT:
            problems.append(f"line {number}, column {value_column}: {raw} must be between 0 and {MAX_AMOUNT}")
            continue
        if value != value.quantize(Decimal("0.01")):
            problems.append(f"line {number}, column {value_column}: {raw} has more than 2 decimal places")
            continue
        key = (code, modifier)
        if key in seen:
            problems.append(f"line {number}, column code: {code}{'-' + modifier if modifier else ''} repeats "
                            f"line {seen[key]}")
            continue
        seen[key] = number
        out[key] = int(value * 100)
    if problems:
        raise CsvImportError(path, problems)
    if not out:
        raise CsvImportError(path, ["the file has no rows"])
    return out


def write_amounts(path: Path, amounts: Mapping[CodeKey, int], value_column: str = "amount") -> None:
    """Write ``code,modifier,<value_column>`` sorted by code, atomically (temp file, then rename)."""
    rows = ((code, modifier, f"{cents_to_decimal(cents):.2f}") for (code, modifier), cents in sorted(amounts.items()))
    write_text_atomically(path, csv_text(("code", "modifier", value_column), rows))

