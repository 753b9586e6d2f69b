"""Claim amounts for many claims at once: what the audit of a claims file prices (issue 17).

``encounter.price_lines`` and ``payers.allowed_lines`` price one claim with everything a person may ask to
see (a trace per line, notes per amount).  An audit of 100,000 lines shows none of that for almost every
line, and its claims differ mostly in where they were done (locality) and who pays (payer).  So the work
is split by what it depends on:

``ClaimPlan``  (tables release, place of service, the lines billed) -- taken from the engine's own
    ``price_lines`` on the first claim seen with these lines: which lines have a price, which Medicare
    pays on this claim (MUE, status T, G2211, the 090 global package, LT/RT partners), the bilateral %
    and whether the multiple-procedure rule ranks the line.  None of that depends on the locality.
``UnitPrices``  (tables, setting, conversion factor) -- one unit of a schedule row at every locality,
    priced in one vectorized formula pass per row (``pricing.fee_schedule_cents``, the same formula).
``plan_amounts``  the ranking and payments of one claim from its unit amounts (``encounter.unit_bases``
    and ``encounter.rank_units``: the engine's own rule functions).
``contract_allowed``  a contract's allowed amount per line from those amounts, on plain integers.
    It follows ``payers.allowed_lines`` rule for rule for the contracts it takes (``supports``); any
    other contract is priced by the engine.  ``tests/core/test_audit.py`` checks on generated claims that
    the audit gives exactly the engine's amounts and findings either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np

from estimator.core.encounter import MPPR_RATES, Claim, rank_units, unit_bases
from estimator.core.money import CF_SCALE, cents_scaler, to_scaled
from estimator.core.payers import PRACTICE_LOCALITY, Method, Payer, Practice
from estimator.core.pricing import cf_scaled, fee_schedule_cents, national_gpcis
from estimator.core.schedule import NATIONAL_KEY, Setting, TableSet

HUNDRED: Final = Decimal(100)
Amounts = list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]]  # per line: bases, pcts, payments


@dataclass(frozen=True, slots=True)
class ClaimPlan:
    """What pricing decides about a claim's lines before any amount is known (see the module docstring)."""

    claim: Claim  # the engine's claim it was taken from (priced at the first locality seen)
    rows: tuple[int, ...]
    codes: tuple[str, ...]
    pricing_modifiers: tuple[str, ...]
    units: tuple[int, ...]
    priced: tuple[bool, ...]  # the line has a fee-schedule amount
    paid: tuple[bool, ...]  # priced, and Medicare pays it on this claim
    bilateral: tuple[int | None, ...]  # billed as bilateral: % of one side's fee
    indicator_2: tuple[bool, ...]  # ranked by the multiple-procedure rule
    em_25: tuple[bool, ...]  # an E/M visit with modifier 25 (a payer may cut it)

    @staticmethod
    def of(claim: Claim, tables: TableSet) -> ClaimPlan:
        lines = claim.lines
        # A bilateral line's finding states its amount, and which line is ranked past the fifth ("by report")
        # depends on the ranking.
        ranked_units = sum(len(line.unit_bases) for line in lines if line.mult_proc == "2")
        return ClaimPlan(
            claim,
            tuple(tables.schedule.row(line.code, line.pricing_modifier) for line in lines),
            tuple(line.code for line in lines), tuple(line.pricing_modifier for line in lines),
            tuple(line.units for line in lines),
            tuple(line.unit_cents is not None for line in lines),
            tuple(line.unit_cents is not None and line.unpaid is None for line in lines),
            tuple(line.bilateral_pct for line in lines),
            tuple(line.mult_proc == "2" for line in lines),
            tuple(line.is_em and "25" in line.modifiers for line in lines),
            any(line.bilateral_pct is not None for line in lines) or ranked_units > len(MPPR_RATES),
        )

    amount_in_findings: bool  # a rule's finding depends on the amounts (so on the locality): see ``of``


def plan_amounts(plan: ClaimPlan, unit_cents: Sequence[int]) -> Amounts:
    """Each line's unit bases, payment percentages and payments at these unit amounts (``price_lines``)."""
    bases = [unit_bases(cents, units, bilateral, paid=paid) for cents, units, bilateral, paid in
             zip(unit_cents, plan.units, plan.bilateral, plan.paid, strict=True)]
    return [(b, pcts, payments) for b, (_, pcts, payments) in zip(bases, rank_units(bases, plan.indicator_2),
                                                                    strict=True)]


class UnitPrices:
    """One unit of a schedule row at every locality (and national), per tables, setting and CF."""

    def __init__(self) -> None:
        self._gpcis: dict[str, tuple[np.ndarray, dict[str, int]]] = {}
        self._rows: dict[tuple[str, Setting, int, int], list[int]] = {}

    def locality(self, tables: TableSet, key: str) -> int | None:
        """The index of a locality key in this release's price lists, or None when it has no such locality."""
        return self._localities(tables)[1].get(key)

    def _localities(self, tables: TableSet) -> tuple[np.ndarray, dict[str, int]]:
        found = self._gpcis.get(tables.release)
        if found is None:
            keys = tables.localities.keys.tolist()
            gpcis = np.concatenate([tables.localities.gpcis(np.arange(len(keys)), floor=True), national_gpcis()])
            found = (gpcis, {**{k: i for i, k in enumerate(keys)}, NATIONAL_KEY: len(keys)})
            self._gpcis[tables.release] = found
        return found

    def row(self, tables: TableSet, setting: Setting, cf: int, row: int) -> list[int]:
        """The row's unit amount in cents at every locality (index from ``locality``), work GPCI floored."""
        key = (tables.release, setting, cf, row)
        found = self._rows.get(key)
        if found is None:
            gpcis = self._localities(tables)[0]
            found = fee_schedule_cents(tables.schedule, np.array([row]), gpcis, [setting], cf)[0, :, 0].tolist()
            self._rows[key] = found
        return found

    def units(self, tables: TableSet, setting: Setting, cf: int, plan: ClaimPlan, locality: int) -> list[int]:
        return [self.row(tables, setting, cf, r)[locality] for r in plan.rows]


def supports(payer: Payer | None) -> bool:
    """Whether ``contract_allowed`` prices this contract (otherwise the engine does): self-pay (the charge
    master, a discount on it, "no charge" findings) is left to the engine."""
    return payer is None or payer.method is not Method.SELF_PAY


@dataclass(frozen=True, slots=True)
class Basis:
    """Where the Medicare amounts a contract is a share of come from (``payers._medicare_claim``)."""

    year: int | None  # another year's tables (a contract pinned to a Medicare year); None: the claim's
    conversion_factor: int  # x 10^4
    locality_key: str


def basis_of(payer: Payer, practice: Practice, tables: TableSet, locality_key: str,
             tables_for_year: Callable[[int], TableSet]) -> Basis | None:
    """The basis of a contract's amounts, or None when it pays the claim's own Medicare amounts."""
    if payer.method not in (Method.PERCENT_OF_MEDICARE, Method.OWN_CF):
        return None
    locality = locality_key if payer.locality == PRACTICE_LOCALITY else payer.locality
    year = payer.year if payer.year not in (None, tables.year) else None
    basis_tables = tables if year is None else tables_for_year(year)
    if payer.method is Method.OWN_CF:
        assert payer.conversion_factor is not None
        return Basis(year, to_scaled(payer.conversion_factor, CF_SCALE), locality)
    variant = payer.cf_variant or practice.cf_variant
    if variant == practice.cf_variant and locality == locality_key and year is None:
        return None
    return Basis(year, cf_scaled(basis_tables.policy, variant), locality)


@dataclass(frozen=True, slots=True)
class Contract:
    """A contract's percentages as plain-int rounding functions, made once per payer and year."""

    payer: Payer
    participating: bool
    secondary: Callable[[int], int]  # ranks 2-5 under the payer's multiple-procedure rate
    em25: Callable[[int], int] | None  # the payer's cut on an E/M with 25
    share: Callable[[int], int]  # the percentage of Medicare
    nonpar: Callable[[int], int]  # Medicare's non-participating rate

    @staticmethod
    def of(payer: Payer, *, participating: bool, nonpar_rate: Decimal) -> Contract:
        return Contract(payer, participating, cents_scaler(payer.mppr_secondary_pct / HUNDRED),
                        cents_scaler((HUNDRED - payer.em25_reduction) / HUNDRED) if payer.em25_reduction else None,
                        cents_scaler((payer.percent or Decimal(0)) / HUNDRED), cents_scaler(nonpar_rate))


def contract_allowed(plan: ClaimPlan, amounts: Amounts, basis: Amounts, contract: Contract
                     ) -> tuple[list[int | None], list[int]]:
    """A contract's allowed amount per line, as ``payers.allowed_lines`` computes it and the audit reads it.

    ``basis``: the amounts of the Medicare claim the contract is a share of (``amounts`` when the same), line
    for line (priced with another year's plan when the contract is pinned to that year).
    Returns per line the allowed cents (None: the line has no price, or the contract no rate for its code)
    and the lines the contract has no rate for (each a "no-contract-rate" finding).
    """
    payer, secondary, em25, share, nonpar = (contract.payer, contract.secondary, contract.em25, contract.share,
                                            contract.nonpar)
    participating = contract.participating
    allowed: list[int | None] = []
    no_rate: list[int] = []
    for i, (_, pcts, payments) in enumerate(amounts):
        code, modifier = plan.codes[i], plan.pricing_modifiers[i]
        if not plan.priced[i]:
            allowed.append(None)
            continue
        if not plan.paid[i]:
            allowed.append(0)
            continue
        rate = payer.overrides.get((code, modifier), payer.overrides.get((code, "")))
        if rate is None and payer.method is Method.FEE_SCHEDULE:
            rate = payer.fees.get((code, modifier), payer.fees.get((code, "")))
            if rate is None:
                no_rate.append(i)
                allowed.append(0)
                continue
        if rate is not None:
            amount = rate * plan.units[i] if not payer.mppr or not pcts else \
                sum(rate if p == 100 else secondary(rate) for p in pcts)
        elif payer.method is Method.MEDICARE:
            amount = sum(payments) if participating else sum(nonpar(p) for p in payments)
        else:
            base_bases, base_pcts, base_payments = basis[i]
            units = base_bases if not payer.mppr else base_payments if payer.mppr_secondary_pct == 50 else \
                tuple(b if p == 100 else secondary(b) for b, p in zip(base_bases, base_pcts, strict=True))
            amount = sum(units) if payer.method is Method.OWN_CF else sum(share(u) for u in units)
        if em25 is not None and plan.em_25[i]:
            amount = em25(amount)
        allowed.append(amount)
    no_rate_codes = {plan.codes[i] for i in no_rate}
    return [None if code in no_rate_codes else a for a, code in zip(allowed, plan.codes, strict=True)], no_rate
