"""Side-by-side comparisons for negotiators: one visit priced by every payer, in every locality, by year."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import MPPR_RATES, Claim, Encounter, price_lines
from estimator.core.payers import Payer, Practice, TablesForYear
from estimator.core.pricing import price_all_localities
from estimator.core.schedule import TableSet


@dataclass(frozen=True, slots=True)
class PayerRow:
    """One payer's price for the visit, and how it sits against Medicare."""

    payer: str
    contract: str
    allowed_cents: int
    payer_cents: int | None  # None: the plan's benefits were not entered (the split is unknown)
    patient_cents: int | None
    pct_of_medicare: Decimal | None  # allowed / Medicare fee schedule total, in %


def percent_of(part: int, whole: int) -> Decimal | None:
    """``part / whole`` in percent, two places (None when ``whole`` is 0)."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def compare_payers(
    claim: Claim, payers: Sequence[Payer], practice: Practice, benefits: Benefits, tables_for: TablesForYear
) -> list[PayerRow]:
    """Every payer's estimate of the same claim, with its % of the Medicare fee schedule total."""
    rows = []
    for payer in payers:
        est = estimate(claim, payer, practice, benefits, tables_for)
        rows.append(PayerRow(payer.name, payer.describe(), est.allowed_cents, est.payer_pays_cents,
                             est.patient_owes_cents, percent_of(est.allowed_cents, claim.total_cents)))
    return rows


@dataclass(frozen=True, slots=True)
class LocalityRow:
    key: str
    name: str
    state: str
    total_cents: int


def compare_localities(encounter: Encounter, tables: TableSet) -> list[LocalityRow]:
    """The visit's Medicare total in each of the 109 localities, highest first (one vectorized pass).

    The multiple-procedure ranking is redone per locality, since a ranking can differ where two
    procedures' amounts are close.
    """
    claim = price_lines(encounter, tables)
    schedule = tables.schedule
    rows = np.array([schedule.row(ln.code, ln.pricing_modifier) for ln in claim.lines], dtype=np.int64)
    grid = price_all_localities(tables, rows, [claim.setting], encounter.cf_variant, floor=encounter.work_floor)
    unit = np.where(grid.priced[:, None, 0], grid.cents[:, :, 0], 0)  # (lines, localities)
    total = np.zeros(unit.shape[1], dtype=np.int64)
    ranked_units = []
    for i, line in enumerate(claim.lines):
        if line.mppr_ranks:
            ranked_units.extend([unit[i]] * line.units)
        else:
            total += unit[i] * line.units
    if ranked_units:
        stacked = np.sort(np.stack(ranked_units), axis=0)[::-1]  # per locality, highest first
        rates = np.array([MPPR_RATES[r] if r < len(MPPR_RATES) else 50 for r in range(len(stacked))])
        total += ((stacked * rates[:, None] * 2 + 100) // 200).sum(axis=0)  # half-up of cents x rate%
    locs = tables.localities
    out = [LocalityRow(str(k), str(n), str(s), int(t))
           for k, n, s, t in zip(locs.keys, locs.names, locs.states, total, strict=True)]
    return sorted(out, key=lambda r: (-r.total_cents, r.key))


@dataclass(frozen=True, slots=True)
class YearRow:
    year: int
    release: str
    total_cents: int
    lines: tuple[tuple[str, int, int | None], ...]  # (code, units, cents)


def compare_years(encounter: Encounter, tables_by_year: Sequence[TableSet]) -> list[YearRow]:
    """The same visit priced with each year's tables (e.g. 2025 vs 2026)."""
    rows = []
    for tables in tables_by_year:
        # price_lines uses the tables it is given; the date of service only matters to the rule checks.
        claim = price_lines(encounter, tables)
        rows.append(YearRow(tables.year, tables.release, claim.total_cents,
                            tuple((ln.code, ln.units, ln.cents) for ln in claim.lines)))
    return rows

