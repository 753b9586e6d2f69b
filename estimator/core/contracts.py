"""Contract analytics for negotiators: % of Medicare on the practice's own mix, what-ifs, the rate needed to
reach a revenue target, and the year-over-year change of the fee schedule split into CF, RVU and GPCI effects.

Everything is exact: allowed amounts come from a ``forecast.PriceTable`` (the real claim builder and
contracts, int64 cents) weighted by the mix's exact probabilities (``Fraction``); results are rounded once,
at the end, as each function states.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt

from estimator.core.errors import InputError
from estimator.core.forecast import ForecastModel, PriceTable, half_up
from estimator.core.lesions import EACH_ADDITIONAL, FIFTEEN_OR_MORE, FIRST_LESION
from estimator.core.money import (
    CF_SCALE,
    GPCI_SCALE,
    RVU_SCALE,
    IntArray,
    round_formula_to_cents,
    scale_cents,
    to_scaled,
)
from estimator.core.payers import Method, Payer
from estimator.core.pricing import locality_gpcis, priced_mask
from estimator.core.schedule import BoolArray, CFVariant, Setting, TableSet

FloatArray = npt.NDArray[np.float64]
HUNDRED: Final = Decimal(100)
PERCENT_STEP: Final = Decimal("0.01")
CF_STEP: Final = Decimal("0.0001")


def _decimal(value: Fraction, step: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """An exact Fraction as a Decimal with ``step``'s places, rounded once (half-up unless told)."""
    scaled = value / Fraction(step)
    whole = math.ceil(scaled) if rounding == ROUND_CEILING else half_up(scaled)
    return (Decimal(whole) * step).quantize(step)


# --- the basis: a mix and its prices ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ContractBasis:
    """What contract analytics weigh: the price table, the clinical mix and encounters per payer.

    ``clinical`` is P(setting, em, tier) flattened (60 values; the payer mix is not in it, so every payer is
    measured on the same visits); ``encounters`` are the expected encounters of each payer over the horizon
    (``months`` long), keyed by the table's payer names.
    """

    table: PriceTable
    clinical: tuple[Fraction, ...]
    encounters: Mapping[str, Fraction]
    months: int

    def payer_name(self, payer: str) -> str:
        """The table's spelling of a payer name (case-insensitive).

        Raises:
            InputError: no such payer in the table.
        """
        return self.table.payers[self.table.index(payer)]

    def encounters_of(self, payer: str) -> Fraction:
        return self.encounters.get(self.payer_name(payer), Fraction(0))


def basis_of(model: ForecastModel) -> ContractBasis:
    """The contract basis of a forecast model: its clinical mix, and volume x payer share per payer."""
    total = model.total_volume
    encounters = {name: Fraction(0) for name in model.table.payers}
    for name, share in zip(model.mix.payers, model.mix.payer_p, strict=True):
        encounters[model.table.payers[model.table.index(name)]] = total * share
    return ContractBasis(model.table, model.mix.clinical(), encounters, len(model.months))


def with_encounters(basis: ContractBasis, payer: str, encounters: Fraction) -> ContractBasis:
    """The same basis with a given number of encounters for one payer (e.g. ``--volume``).

    Raises:
        InputError: negative encounters, or an unknown payer.
    """
    if encounters < 0:
        raise InputError(f"the number of encounters cannot be negative, got {encounters}")
    name = basis.payer_name(payer)
    return ContractBasis(basis.table, basis.clinical, {**basis.encounters, name: encounters}, basis.months)


def _weighted(weights: Sequence[Fraction], cents: IntArray) -> Fraction:
    return sum((w * int(c) for w, c in zip(weights, cents.reshape(-1).tolist(), strict=True) if w),
               Fraction(0))


def per_encounter(basis: ContractBasis, payer: str) -> Fraction:
    """The payer's expected allowed cents per encounter on the clinical mix (exact)."""
    return _weighted(basis.clinical, basis.table.allowed_cents[basis.table.index(payer)])


def medicare_per_encounter(basis: ContractBasis) -> Fraction:
    """Medicare's expected allowed cents per encounter on the same mix (exact)."""
    return _weighted(basis.clinical, basis.table.medicare_cents)


def pct_of_medicare(basis: ContractBasis, payer: str) -> Decimal | None:
    """Weighted % of Medicare: sum p(t) allowed_payer(t) / sum p(t) allowed_medicare(t) x 100.

    Rounded half-up to 2 places (None where Medicare allows nothing on the mix).
    """
    medicare = medicare_per_encounter(basis)
    if medicare == 0:
        return None
    return _decimal(per_encounter(basis, payer) / medicare * 100, PERCENT_STEP)


def revenue(basis: ContractBasis, payer: str) -> Fraction:
    """Expected allowed cents from ``payer`` over the horizon: encounters x per-encounter (exact)."""
    return basis.encounters_of(payer) * per_encounter(basis, payer)


@dataclass(frozen=True, slots=True)
class PayerStanding:
    """One payer on the practice's mix: how it pays against Medicare and what it brings in."""

    payer: str
    per_encounter_cents: int  # half-up
    pct_of_medicare: Decimal | None
    encounters: Fraction
    revenue_cents: int  # horizon total, half-up


def standings(basis: ContractBasis) -> list[PayerStanding]:
    """Every payer of the table on the mix, in the table's order."""
    return [PayerStanding(name, half_up(per_encounter(basis, name)), pct_of_medicare(basis, name),
                          basis.encounters_of(name), half_up(revenue(basis, name)))
            for name in basis.table.payers]


# --- what-ifs and targets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A contract change and its effect on the horizon's allowed revenue from that payer (cents).

    ``baseline_cents`` and ``new_cents`` are each the exact value rounded half-up; ``change_cents`` is their
    difference, so the three always agree.
    """

    payer: str
    description: str
    baseline_cents: int
    new_cents: int
    pct_of_medicare: Decimal | None  # after the change

    @property
    def change_cents(self) -> int:
        return self.new_cents - self.baseline_cents


def what_if_rate_change(basis: ContractBasis, payer: str, change_pct: Decimal) -> WhatIf:
    """Every rate of the payer scaled by ``1 + change_pct/100`` (+5 on 115% of Medicare -> 120.75%).

    Exact before the contract's own per-line rounding to cents (which moves a line by under half a cent).

    Raises:
        InputError: a change of -100% or less.
    """
    if not change_pct.is_finite() or change_pct <= -100:
        raise InputError(f"a rate change must be above -100%, got {change_pct}%")
    factor = 1 + Fraction(change_pct) / 100
    name = basis.payer_name(payer)
    base = revenue(basis, name)
    medicare = medicare_per_encounter(basis)
    new_per = per_encounter(basis, name) * factor
    pct = None if medicare == 0 else _decimal(new_per / medicare * 100, PERCENT_STEP)
    sign = "+" if change_pct >= 0 else ""
    description = f"rates {sign}{change_pct.normalize():f}%"
    return WhatIf(name, description, half_up(base), half_up(base * factor), pct)


def with_rates_changed(payer: Payer, change_pct: Decimal) -> Payer | None:
    """The contract with every rate scaled by ``1 + change_pct/100``, to reprice line by line (each line then
    rounds once, per unit, as the payer would); ``None`` where the rate is Medicare's own or the charge master.

    Raises:
        InputError: a change of -100% or less.
    """
    if not change_pct.is_finite() or change_pct <= -100:
        raise InputError(f"a rate change must be above -100%, got {change_pct}%")
    factor = 1 + change_pct / 100

    def fee(cents: int) -> int:
        return int(scale_cents(cents, factor))

    overrides = {k: fee(v) for k, v in payer.overrides.items()}
    if payer.method is Method.PERCENT_OF_MEDICARE and payer.percent is not None:
        return dataclasses.replace(payer, percent=payer.percent * factor, overrides=overrides)
    if payer.method is Method.OWN_CF and payer.conversion_factor is not None:
        return dataclasses.replace(payer, conversion_factor=(payer.conversion_factor * factor).quantize(
            Decimal("0.0001"), ROUND_HALF_UP), overrides=overrides)
    if payer.method is Method.FEE_SCHEDULE:
        return dataclasses.replace(payer, fees={k: fee(v) for k, v in payer.fees.items()}, overrides=overrides)
    return None


def what_if_rates_changed(basis: ContractBasis, payer: Payer, change_pct: Decimal,
                          reprice: Callable[[Payer], PriceTable]) -> WhatIf:
    """The payer's revenue with every rate changed by ``change_pct``: the one rule the CLI's
    ``negotiate --rate-change`` and the app's what-if slider both use.

    A contract with its own rates (% of Medicare, own CF, fixed fees, overrides) is repriced line by line
    with the changed rates (``with_rates_changed``; ``reprice`` prices a one-payer table, e.g. with
    ``forecast.price_table``), so each line rounds once per unit as the payer would; Medicare's rates and the
    charge master, which the payer does not set, are scaled as a whole (``what_if_rate_change``).

    Raises:
        InputError: a change of -100% or less.
    """
    what_if = what_if_rate_change(basis, payer.name, change_pct)
    changed = with_rates_changed(payer, change_pct)
    if changed is None:
        return what_if
    return what_if_repriced(basis, payer.name, reprice(changed), what_if.description)


def what_if_repriced(basis: ContractBasis, payer: str, repriced: PriceTable, description: str) -> WhatIf:
    """The payer's revenue under a repriced contract (a one-payer ``PriceTable``, e.g. a new own CF).

    Raises:
        InputError: ``repriced`` does not hold exactly one payer.
    """
    if len(repriced.payers) != 1:
        raise InputError("a repriced contract table must hold exactly one payer")
    name = basis.payer_name(payer)
    new_per = _weighted(basis.clinical, repriced.allowed_cents[0])
    medicare = medicare_per_encounter(basis)
    pct = None if medicare == 0 else _decimal(new_per / medicare * 100, PERCENT_STEP)
    encounters = basis.encounters_of(name)
    return WhatIf(name, description, half_up(revenue(basis, name)), half_up(encounters * new_per), pct)


@dataclass(frozen=True, slots=True)
class Target:
    """The rate a payer would need for a revenue target (cents over the horizon).

    Allowed amounts are linear in the contract rate (before per-line rounding to cents and any
    lesser-of-charge cap), so the needed factor is exactly ``target / baseline``.  Each rate is then
    rounded UP at its precision (0.01% for percentages, $0.0001 for a conversion factor): the smallest
    rate at that precision that reaches the target.  ``required_percent`` is set for %-of-Medicare
    contracts, ``required_cf`` for own-CF contracts; ``equivalent_pct_of_medicare`` for all.
    """

    payer: str
    target_cents: int
    baseline_cents: int
    factor: Fraction
    rate_change_pct: Decimal
    required_percent: Decimal | None
    required_cf: Decimal | None
    equivalent_pct_of_medicare: Decimal | None


def required_rate(basis: ContractBasis, payer: Payer, target_cents: int) -> Target:
    """Solve for the rate that brings ``target_cents`` over the horizon (see ``Target``).

    Raises:
        InputError: a target of $0 or less, or a payer that brings nothing today (no encounters or $0 rates).
    """
    if target_cents <= 0:
        raise InputError("the revenue target must be above $0")
    name = basis.payer_name(payer.name)
    base = revenue(basis, name)
    if base == 0:
        raise InputError(f"{name} brings no revenue on this mix (no encounters with it, or $0 rates); "
                         "give a mix with encounters for it (--mix, or --volume)")
    factor = Fraction(target_cents) / base
    up = ROUND_CEILING
    percent = cf = None
    if payer.method is Method.PERCENT_OF_MEDICARE and payer.percent is not None:
        percent = _decimal(Fraction(payer.percent) * factor, PERCENT_STEP, up)
    if payer.method is Method.OWN_CF and payer.conversion_factor is not None:
        cf = _decimal(Fraction(payer.conversion_factor) * factor, CF_STEP, up)
    medicare = medicare_per_encounter(basis)
    equivalent = None if medicare == 0 else \
        _decimal(per_encounter(basis, name) * factor / medicare * 100, PERCENT_STEP, up)
    return Target(name, target_cents, half_up(base), factor, _decimal((factor - 1) * 100, PERCENT_STEP, up),
                  percent, cf, equivalent)


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """The target checked with the real contract (per-line rounding to cents, lesser-of-charge caps).

    ``rate`` is the smallest rate on the contract's grid (0.01% or $0.0001) at or above the linear solution
    that reaches the target, found by repricing; ``steps`` is how many grid steps it lies above the linear
    solution.  When even the highest rate a contract may have (1000% of Medicare, a $999.9999 CF) falls
    short (e.g. billed charges cap a lesser-of-charge contract), ``reached`` is False and ``rate`` /
    ``revenue_cents`` are that highest rate and what it brings.
    """

    rate: Decimal
    revenue_cents: int
    steps: int
    reached: bool


def settle_target(target: Target, payer: Payer, basis: ContractBasis, reprice: Callable[[Payer], PriceTable]
                  ) -> TargetCheck | None:
    """Check a solved rate with the real contract and, where rounding or caps leave it short, search up.

    ``reprice`` prices a one-payer table for a changed contract (``forecast.price_table``).  Revenue never
    falls as the rate rises, so the search doubles the step until the target is reached and then bisects
    on the rate grid: a few dozen repricings at most.  Returns None for contracts that are not a % of
    Medicare or an own CF (no single rate to change).
    """
    if target.required_percent is not None:
        start, step, limit = target.required_percent, PERCENT_STEP, Decimal(1000)

        def contract(r: Decimal) -> Payer:
            return dataclasses.replace(payer, percent=r)
    elif target.required_cf is not None:
        start, step, limit = target.required_cf, CF_STEP, Decimal("999.9999")

        def contract(r: Decimal) -> Payer:
            return dataclasses.replace(payer, conversion_factor=r)
    else:
        return None
    start = min(max(start, step), limit)
    seen: dict[Decimal, int] = {}

    def revenue_at(rate: Decimal) -> int:
        if rate not in seen:
            seen[rate] = what_if_repriced(basis, payer.name, reprice(contract(rate)), "").new_cents
        return seen[rate]

    def steps(rate: Decimal) -> int:
        return int((rate - start) / step)

    if revenue_at(start) >= target.target_cents:
        return TargetCheck(start, revenue_at(start), 0, True)
    low, jump = start, step
    while True:
        high = min(low + jump, limit)
        if revenue_at(high) >= target.target_cents:
            break
        if high >= limit:
            return TargetCheck(high, revenue_at(high), steps(high), False)
        low, jump = high, jump * 2
    while high - low > step:  # low falls short, high reaches: bisect on the grid
        middle = low + ((high - low) / step // 2) * step
        if revenue_at(middle) >= target.target_cents:
            high = middle
        else:
            low = middle
    return TargetCheck(high, revenue_at(high), steps(high), True)


@dataclass(frozen=True, slots=True, eq=False)
class RateSlider:
    """Precomputed per-payer baselines so a what-if slider is plain array arithmetic (microseconds).

    ``baseline`` is each payer's horizon revenue in cents (float, for display only).
    """

    payers: tuple[str, ...]
    baseline: FloatArray

    @staticmethod
    def of(basis: ContractBasis) -> RateSlider:
        return RateSlider(basis.table.payers,
                          np.array([float(revenue(basis, p)) for p in basis.table.payers], dtype=np.float64))

    def revenue(self, change_pct: FloatArray | float) -> FloatArray:
        """Each payer's revenue (cents) after a rate change in % (a scalar, or one value per payer)."""
        return np.asarray(self.baseline * (1.0 + np.asarray(change_pct, dtype=np.float64) / 100.0))


# --- year over year ---------------------------------------------------------------------------------------

#: The order of the chained decomposition: CF first, then RVUs at the new CF, then GPCIs at both new.
EFFECTS: Final = ("cf", "rvu", "gpci")
#: (RVU x GPCI x CF) units per cent: 1e-9 dollars.
_UNITS_PER_CENT: Final = RVU_SCALE * GPCI_SCALE * CF_SCALE // 100


def featured_codes(em_code: str = "99213") -> tuple[str, ...]:
    """The codes a negotiator looks at: the lesion tiers and the E/M billed beside them."""
    return (FIRST_LESION, EACH_ADDITIONAL, FIFTEEN_OR_MORE, em_code)


@dataclass(frozen=True, slots=True, eq=False)
class YoyDecomposition:
    """The old -> new fee-schedule change per code x locality x setting, split into CF, RVU, GPCI effects.

    Chained (sequential) decomposition on the unrounded amounts A(cf, rvu, gpci), in exact integers of
    1e-9 dollars:

        cf   = A(cf1, rvu0, gpci0) - A(cf0, rvu0, gpci0)
        rvu  = A(cf1, rvu1, gpci0) - A(cf1, rvu0, gpci0)
        gpci = A(cf1, rvu1, gpci1) - A(cf1, rvu1, gpci0)

    They add up to A(new) - A(old) exactly.  The reported ``total_cents`` is the change of the *published*
    (rounded) amounts, ``new_cents - old_cents``; ``effects_cents`` round each effect down to the cent and
    hand the cents still missing to the effects with the largest remainders (ties: CF, RVU, GPCI order), so
    the three always sum exactly to ``total_cents``.  ``exact_units`` keeps the unrounded effects.

    Order: CF first because it is the national policy lever everyone quotes (its effect, measured on last
    year's RVUs and GPCIs, is exactly "the CF change x last year's weighted RVUs"); RVUs next, at the new CF
    (the code's revaluation, including the efficiency adjustment and the facility-PE change, priced in the
    new year's dollars); GPCIs last (the locality's update, at the new CF and RVUs).  A chained split depends
    on the order: interactions land in the later effects.
    """

    codes: tuple[str, ...]
    locality_keys: tuple[str, ...]
    settings: tuple[Setting, ...]
    old_year: int
    new_year: int
    old_release: str
    new_release: str
    old_cf: Decimal
    new_cf: Decimal
    old_cents: IntArray  # (codes, localities, settings)
    new_cents: IntArray
    effects_cents: IntArray  # (codes, localities, settings, 3) in EFFECTS order
    exact_units: IntArray  # same shape, 1e-9 dollars
    priced: BoolArray  # (codes, settings): priced in both years

    @property
    def total_cents(self) -> IntArray:
        return self.new_cents - self.old_cents

    def exact_dollars(self, code: int, locality: int, setting: int, effect: int) -> Decimal:
        """One unrounded effect in dollars, exactly."""
        return Decimal(int(self.exact_units[code, locality, setting, effect])).scaleb(-9)


def _row(tables: TableSet, code: str) -> int:
    code_part, _, modifier = code.partition("-")
    return tables.schedule.row(code_part, modifier)


def _rvus(tables: TableSet, rows: IntArray, setting: Setting) -> IntArray:
    sch = tables.schedule
    return np.stack([sch.work[rows], sch.pe(setting)[rows], sch.mp[rows]], axis=1)


def allocate_cents(exact_units: IntArray, total_cents: IntArray) -> IntArray:
    """Round effects (last axis, exact 1e-9-dollar units) to cents that sum exactly to ``total_cents``.

    Each effect is floored to the cent; the cents still missing (0 to the number of effects, because the
    rounded total is within a cent of the exact sum) go to the largest remainders, ties to the earlier
    effect.
    """
    floors = exact_units // _UNITS_PER_CENT
    remainders = exact_units - floors * _UNITS_PER_CENT
    need = total_cents - floors.sum(axis=-1)
    order = np.argsort(-remainders, axis=-1, kind="stable")
    rank = np.argsort(order, axis=-1)  # the inverse permutation: each effect's place in the queue
    out: IntArray = floors + (rank < need[..., np.newaxis]).astype(np.int64)
    return out


def yoy_decomposition(
    old: TableSet,
    new: TableSet,
    codes: Sequence[str],
    locality_keys: Sequence[str],
    settings: Sequence[Setting] = (Setting.NONFACILITY, Setting.FACILITY),
    cf_variant: CFVariant = CFVariant.NONQP,
    *,
    floor: bool = True,
) -> YoyDecomposition:
    """The change of each code's fee-schedule amount from ``old`` to ``new`` (see ``YoyDecomposition``).

    Codes may carry a pricing modifier as ``CODE-MOD`` (``88305-26``); ``national`` is a valid locality.
    Vectorized: one int64 pass per setting and step, exact.

    Raises:
        UnknownCodeError: a code missing from either year.
        UnknownLocalityError: a locality missing from either year.
    """
    rows_old = np.array([_row(old, c) for c in codes], dtype=np.int64)
    rows_new = np.array([_row(new, c) for c in codes], dtype=np.int64)
    g_old = np.concatenate([locality_gpcis(old, k, floor) for k in locality_keys]).T  # (3, L)
    g_new = np.concatenate([locality_gpcis(new, k, floor) for k in locality_keys]).T
    cf_old = to_scaled(old.policy.conversion_factor(cf_variant), CF_SCALE)
    cf_new = to_scaled(new.policy.conversion_factor(cf_variant), CF_SCALE)
    shape = (len(codes), len(locality_keys), len(settings))
    old_cents = np.empty(shape, dtype=np.int64)
    new_cents = np.empty(shape, dtype=np.int64)
    exact = np.empty((*shape, len(EFFECTS)), dtype=np.int64)
    for s, setting in enumerate(settings):
        r0 = _rvus(old, rows_old, setting)
        r1 = _rvus(new, rows_new, setting)
        a0 = (r0 @ g_old) * cf_old  # A(cf0, rvu0, gpci0), (codes, localities)
        a1 = (r0 @ g_old) * cf_new  # A(cf1, rvu0, gpci0)
        a2 = (r1 @ g_old) * cf_new  # A(cf1, rvu1, gpci0)
        a3 = (r1 @ g_new) * cf_new  # A(cf1, rvu1, gpci1)
        exact[:, :, s, 0] = a1 - a0
        exact[:, :, s, 1] = a2 - a1
        exact[:, :, s, 2] = a3 - a2
        old_cents[:, :, s] = round_formula_to_cents(a0)
        new_cents[:, :, s] = round_formula_to_cents(a3)
    effects = allocate_cents(exact, new_cents - old_cents)
    priced = priced_mask(old.schedule, rows_old, settings) & priced_mask(new.schedule, rows_new, settings)
    for array in (old_cents, new_cents, effects, exact, priced):
        array.flags.writeable = False
    return YoyDecomposition(
        tuple(codes), tuple(locality_keys), tuple(settings), old.year, new.year, old.release, new.release,
        old.policy.conversion_factor(cf_variant), new.policy.conversion_factor(cf_variant),
        old_cents, new_cents, effects, exact, priced,
    )
