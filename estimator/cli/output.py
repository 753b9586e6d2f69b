"""Rendering command results as an aligned table, JSON or CSV (money already as two-decimal strings).

CSV is the program's one CSV writer (``estimator.csv_out``, which the reports' ``csv_text`` is too), so what a
command prints and the file it writes are the same; it is imported directly rather than through
``estimator.reports.csv_exports``, whose comparison and cost-sharing models every call would load otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from estimator.csv_out import dict_csv_text

FORMATS = ("table", "json", "csv")


def human(value: Any) -> str:
    """A value as a person reads it in a table: yes/no for booleans, blank for nothing (not True/None/{})."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {human(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(human(v) for v in value)
    return str(value)


def table_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None) -> str:
    """Rows as a plain aligned text table; numbers (money) right-aligned."""
    heads = list(headers or columns)
    cells = [[human(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]

    def numeric(text: str) -> bool:
        return text.replace(".", "", 1).lstrip("+-").replace("%", "").replace(",", "").isdigit()

    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        lines.append("  ".join(c.rjust(w) if numeric(c) else c.ljust(w)
                               for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def write(text: str) -> None:
    """Write a command's rendered result to stdout, ending with one newline."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str,
           headers: Sequence[str] | None = None) -> str:
    """Rows in the chosen format: ``table``, ``json`` (the rows as they are) or ``csv``."""
    if fmt == "json":
        return json_text(list(rows))
    if fmt == "csv":
        return dict_csv_text(rows, columns)
    return table_text(rows, columns, headers)
