"""CSV exports: an estimate line by line, comparisons, and a locality's whole fee schedule.

Money is written as two-decimal strings (``66.47``), never floats; an amount that does not exist (a code
not priced in a setting) is an empty cell.  Files are written whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from estimator.core.compare import LocalityRow, PayerRow, YearRow
from estimator.core.cost_sharing import Estimate
from estimator.core.money import format_money
from estimator.core.pricing import price_grid
from estimator.core.schedule import CFVariant, Setting, TableSet
from estimator.csv_out import dict_csv_text
from estimator.files import write_text_atomically

Row = Mapping[str, Any]

ESTIMATE_COLUMNS: Final = ("code", "modifiers", "units", "service", "diagnoses", "charge", "allowed",
                           "payer_pays", "secondary_pays", "patient_owes", "deductible", "coinsurance", "copay",
                           "self_pay", "sequestration")
PAYER_COLUMNS: Final = ("payer", "contract", "allowed", "payer_pays", "patient_owes", "pct_of_medicare")
LOCALITY_COLUMNS: Final = ("locality", "name", "state", "total")
YEAR_COLUMNS: Final = ("year", "release", "total", "lines")
FEE_SCHEDULE_AMOUNTS: Final = ("par", "nonpar", "limiting_charge")


def csv_text(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """Rows as CSV with a header; ``None`` becomes an empty cell, formula-like text is neutralised
    (``estimator.csv_out``, the program's one CSV writer)."""
    return dict_csv_text(rows, columns)


def write_csv(path: Path | str, rows: Sequence[Row], columns: Sequence[str]) -> None:
    """Write rows as a CSV file, atomically."""
    write_text_atomically(path, csv_text(rows, columns))


def _money(cents: int | None) -> str | None:
    return None if cents is None else format_money(cents)


def estimate_rows(estimate: Estimate) -> list[dict[str, Any]]:
    """One row per claim line plus a ``total`` row; money as two-decimal strings."""
    rows: list[dict[str, Any]] = []
    known = estimate.patient_known  # unknown benefits: the payer/patient split is left empty
    for ln in estimate.lines:
        line = ln.allowed.line
        rows.append({
            "code": line.code, "modifiers": " ".join(line.modifiers), "units": line.units, "service": line.label,
            "diagnoses": " ".join(line.diagnoses), "charge": _money(ln.allowed.charge_cents),
            "allowed": _money(ln.allowed_cents), "payer_pays": _money(ln.payer_cents if known else None),
            "secondary_pays": _money(ln.secondary_cents), "patient_owes": _money(ln.patient_cents if known else None),
            "deductible": _money(ln.deductible_cents), "coinsurance": _money(ln.coinsurance_cents),
            "copay": _money(ln.copay_cents), "self_pay": _money(ln.self_pay_cents),
            "sequestration": _money(ln.sequestration_cents),
        })
    rows.append({
        "code": "total", "charge": _money(estimate.charge_cents), "allowed": _money(estimate.allowed_cents),
        "payer_pays": _money(estimate.payer_pays_cents), "secondary_pays": _money(estimate.secondary_cents),
        "patient_owes": _money(estimate.patient_owes_cents), "deductible": _money(estimate.total("deductible_cents")),
        "coinsurance": _money(estimate.total("coinsurance_cents")), "copay": _money(estimate.total("copay_cents")),
        "self_pay": _money(estimate.total("self_pay_cents")), "sequestration": _money(estimate.sequestration_cents),
    })
    return rows


def estimate_csv(estimate: Estimate) -> str:
    return csv_text(estimate_rows(estimate), ESTIMATE_COLUMNS)


def payer_rows(rows: Sequence[PayerRow]) -> list[dict[str, Any]]:
    return [{"payer": r.payer, "contract": r.contract, "allowed": format_money(r.allowed_cents),
             "payer_pays": _money(r.payer_cents), "patient_owes": _money(r.patient_cents),
             "pct_of_medicare": None if r.pct_of_medicare is None else f"{r.pct_of_medicare:.2f}"} for r in rows]


def locality_rows(rows: Sequence[LocalityRow]) -> list[dict[str, Any]]:
    return [{"locality": r.key, "name": r.name, "state": r.state, "total": format_money(r.total_cents)}
            for r in rows]


def year_rows(rows: Sequence[YearRow]) -> list[dict[str, Any]]:
    """One row per year; ``lines`` lists ``code xunits amount`` for each line."""
    return [{"year": r.year, "release": r.release, "total": format_money(r.total_cents),
             "lines": "; ".join(f"{code} x{units} {'-' if cents is None else format_money(cents)}"
                                for code, units, cents in r.lines)} for r in rows]


def fee_schedule_columns(settings: Sequence[Setting]) -> tuple[str, ...]:
    amounts = tuple(f"{s.value}_{a}" for s in settings for a in (*FEE_SCHEDULE_AMOUNTS, "na"))
    return ("code", "modifier", "label", "status", "global_days", *amounts)


def fee_schedule_rows(tables: TableSet, locality_key: str, settings: Sequence[Setting],
                      cf_variant: CFVariant = CFVariant.NONQP, *, floor: bool = True) -> list[dict[str, Any]]:
    """Every payable code of the schedule in one locality: par, non-par and limiting charge per setting.

    Priced in one vectorized call (``price_grid``); a setting where CMS marks the code NA carries the priced
    setting's amount, as CMS's payment file does, and ``{setting}_na`` says so.

    Raises:
        UnknownLocalityError: no such locality.
    """
    schedule = tables.schedule
    rows = np.flatnonzero(schedule.payable()).astype(np.int64)
    grid = price_grid(tables, rows, [locality_key], settings, cf_variant, floor=floor)
    par = grid.cents[:, 0, :].tolist()
    nonpar = grid.nonpar_cents[:, 0, :].tolist()
    limiting = grid.limiting_charge_cents[:, 0, :].tolist()
    priced = grid.priced.tolist()
    na = grid.na.tolist()
    codes = schedule.codes[rows].tolist()
    modifiers = schedule.modifiers[rows].tolist()
    status = schedule.status[rows].tolist()
    global_days = schedule.global_days[rows].tolist()
    out: list[dict[str, Any]] = []
    for i, code in enumerate(codes):
        row: dict[str, Any] = {"code": code, "modifier": modifiers[i], "label": tables.label(str(code)),
                               "status": status[i], "global_days": global_days[i]}
        for s, setting in enumerate(settings):
            ok = priced[i][s]
            for name, values in zip(FEE_SCHEDULE_AMOUNTS, (par, nonpar, limiting), strict=True):
                row[f"{setting.value}_{name}"] = format_money(values[i][s]) if ok else None
            row[f"{setting.value}_na"] = "NA" if na[i][s] else ""
        out.append(row)
    return out
