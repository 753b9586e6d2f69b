"""A practice's provisional conversion factor for a year whose CMS tables are not yet published.

The final rule announces next year's conversion factor in November; the RVU file follows in December or
later.  A practice may enter that CF, dated and with its source, so January estimates use it with the
newest RVUs and GPCIs until the real release is imported (the real release then wins by itself).

Kept as one small JSON file in the user's tables folder, beside the imported releases, because it is a
fee-schedule constant, not practice data: the table catalog reads it without a practice database, every
program on the machine sees the same value, and it lives and dies with the tables it stands in for.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from estimator.core.errors import DataFileError, InputError
from estimator.files import write_text_atomically

FILE: Final = "provisional_cf.json"
#: A CF more than this fraction away from the newest published one is a typing error, not a final rule
#: (the largest one-year change since the 1990s was under 10%).
PLAUSIBLE_CHANGE: Final = Decimal("0.10")
MAX_SOURCE: Final = 200


@dataclass(frozen=True, slots=True)
class ProvisionalCF:
    """A conversion factor entered by the practice for a year not yet published by CMS."""

    year: int
    cf: Decimal
    source: str
    entered: dt.date
    cf_qp: Decimal | None = None  # the qualifying APM participants' CF, where the rule gives one

    def describe(self) -> str:
        qp = f"; QP {self.cf_qp}" if self.cf_qp is not None else ""
        return f"{self.cf}{qp} (provisional, {self.source}, entered {self.entered.isoformat()})"


def read_provisional_cfs(root: Path) -> dict[int, ProvisionalCF]:
    """Every provisional CF in ``root`` by year (none when the file does not exist).

    Raises:
        DataFileError: the file is damaged (named, with how to fix it).
    """
    path = root / FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise DataFileError(str(path), None, None, f"cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text)
        return {int(year): ProvisionalCF(int(year), Decimal(entry["cf"]), str(entry["source"]),
                                         dt.date.fromisoformat(entry["entered"]),
                                         Decimal(entry["cf_qp"]) if entry.get("cf_qp") else None)
                for year, entry in data.items()}
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation):
        raise DataFileError(str(path), None, None, "is damaged; delete it and enter the CF again with "
                            "'estimator tables set-cf'") from None


def parse_cf(text: str, reference: Decimal) -> Decimal:
    """A conversion factor as typed: a finite number with at most 4 decimals, near ``reference``.

    Raises:
        InputError: not a number, more than 4 decimals, or implausibly far from ``reference``.
    """
    try:
        cf = Decimal(text.strip())
    except InvalidOperation:
        raise InputError(f"conversion factor {text!r} is not a number: type it as in the final rule, "
                         "e.g. 33.5000") from None
    if not cf.is_finite():
        raise InputError(f"conversion factor {text!r} is not a number: type it as in the final rule, e.g. 33.5000")
    if -cf.as_tuple().exponent > 4:  # type: ignore[operator]
        raise InputError(f"conversion factor {text!r} has more than 4 decimals; CMS publishes it to 4 (33.4009)")
    low, high = reference * (1 - PLAUSIBLE_CHANGE), reference * (1 + PLAUSIBLE_CHANGE)
    if not low <= cf <= high:
        raise InputError(f"conversion factor {cf} is more than 10% away from the current {reference} "
                         f"(plausible: {low:.4f} to {high:.4f}); check the number in the final rule")
    return cf.quantize(Decimal("0.0001"))


def set_provisional_cf(root: Path, year: int, cf: Decimal, source: str, entered: dt.date,
                       cf_qp: Decimal | None = None) -> ProvisionalCF:
    """Store (or replace) the provisional CF of ``year``; the file is replaced whole or not at all.

    Raises:
        InputError: no source given, or the folder cannot be written.
    """
    source = " ".join(source.split())
    if not source:
        raise InputError("say where the conversion factor comes from: --source \"CY 2027 PFS final rule\"")
    if len(source) > MAX_SOURCE:
        raise InputError(f"--source is {len(source)} characters; keep it under {MAX_SOURCE}")
    entries = read_provisional_cfs(root)
    entries[year] = ProvisionalCF(year, cf, source, entered, cf_qp)
    _write(root, entries)
    return entries[year]


def clear_provisional_cf(root: Path, year: int) -> ProvisionalCF | None:
    """Remove the provisional CF of ``year``; returns what was removed (``None`` if there was none)."""
    entries = read_provisional_cfs(root)
    removed = entries.pop(year, None)
    if removed is not None:
        _write(root, entries)
    return removed


def _write(root: Path, entries: dict[int, ProvisionalCF]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    data = {str(y): {"cf": str(e.cf), "source": e.source, "entered": e.entered.isoformat(),
                     **({"cf_qp": str(e.cf_qp)} if e.cf_qp is not None else {})}
            for y, e in sorted(entries.items())}
    write_text_atomically(root / FILE, json.dumps(data, indent=2, sort_keys=True) + "\n")
