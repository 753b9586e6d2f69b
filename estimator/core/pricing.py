"""The CMS fee-schedule formula, vectorized and exact (DOMAIN section 1).

    amount = round_half_up((W x GPCI_work + PE x GPCI_pe + MP x GPCI_mp) x CF)

All factors are scaled integers (RVU x100, GPCI x1000, CF x10^4) so numpy computes the unrounded product
exactly in 64-bit integers and rounds once, half-up (``money.FORMULA_HALF_CENT``, ``FORMULA_PER_CENT``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

from estimator.core.errors import InputError
from estimator.core.money import (
    CF_SCALE,
    FORMULA_HALF_CENT,
    FORMULA_PER_CENT,
    IntArray,
    cents_to_decimal,
    decimal_to_cents,
    from_scaled,
    scale_cents,
    to_scaled,
)
from estimator.core.schedule import (
    NATIONAL_KEY,
    PAYABLE_STATUSES,
    STATUS_REASONS,
    BoolArray,
    CFVariant,
    FeeSchedule,
    Localities,
    Policy,
    Setting,
    TableSet,
)

UIntArray = npt.NDArray[np.uint64]

#: int64 holds 9.2e18; the largest RVU x GPCI x CF product is ~1e14, but refuse anything near the edge.
_MAX_SAFE = 2**62


def national_gpcis(count: int = 1) -> IntArray:
    """GPCIs of 1.000 for all three components (the ``national`` pseudo-locality)."""
    return np.full((count, 3), 1000, dtype=np.int64)


def fee_schedule_cents(
    schedule: FeeSchedule,
    rows: IntArray,
    gpcis: IntArray,
    settings: Sequence[Setting],
    conversion_factor: int,
) -> IntArray:
    """Fee-schedule amounts in cents for every row x locality x setting, in one call.

    Args:
        schedule: the RVU table.
        rows: row indices into ``schedule``.
        gpcis: (localities, 3) int64 GPCI thousandths of (work, pe, mp).
        settings: the settings to price, giving the last axis.
        conversion_factor: CF x 10^4.

    Returns:
        int64 cents of shape (rows, localities, settings), possibly a non-contiguous view. A setting CMS marks
        NA is priced with the other setting's PE, as CMS's payment file does (flag it with ``na_mask``); rows
        with a non-payable status still get the formula's value; mask them with ``priced_mask``.

    Raises:
        InputError: a negative RVU, GPCI or conversion factor (the CMS tables have none).
    """
    rows = np.asarray(rows, dtype=np.int64)
    weights = np.asarray(gpcis, dtype=np.int64).reshape(-1, 3) * conversion_factor
    columns = [schedule.work[rows], schedule.mp[rows], *(schedule.pe_priced(setting)[rows] for setting in settings)]
    if min(int(weights.min(initial=0)), *(int(c.min(initial=0)) for c in columns)) < 0:
        raise InputError("fee-schedule values must not be negative")
    # Every term is >= 0, so unsigned arithmetic is as exact, and numpy divides uint64 faster than int64.
    work, mp, *pes = (column.astype(np.uint64) for column in columns)
    out = np.empty((len(weights), len(settings), len(rows)), dtype=np.uint64)
    pe = np.stack(pes) if pes else np.empty((0, len(rows)), dtype=np.uint64)
    _fill_fee_schedule(out, work, mp, pe, [(a, b, c) for a, b, c in weights.tolist()])
    return out.view(np.int64).transpose(2, 0, 1)


def _fill_fee_schedule(out: UIntArray, work: UIntArray, mp: UIntArray, pe: UIntArray,
                       weights: list[tuple[int, int, int]]) -> None:
    """``out[l, s, r] = (work[r] a_l + pe[s, r] b_l + mp[r] c_l + half) // per_cent`` for (a_l, b_l, c_l) = weights[l].

    Speed (bench/run.py ``fee_schedule_pricing``): one locality at a time keeps every vector in cache; the
    work term (with the half cent) is computed once per distinct work weight (the 1.0 floor makes most of
    them equal), the PE term once per distinct PE weight (localities are visited in PE-weight order), and a
    locality whose three GPCIs repeat another's is copied rather than priced again.
    """
    first_with: dict[tuple[int, int, int], int] = {}
    for index, triple in enumerate(weights):
        first_with.setdefault(triple, index)
    work_terms: dict[int, UIntArray] = {}
    pe_term, common = np.empty(pe.shape, dtype=np.uint64), np.empty(len(work), dtype=np.uint64)
    summed = np.empty_like(pe_term)
    # numpy scalars of the arrays' own type: a Python int operand costs a conversion on every call.
    per_cent, half = np.uint64(FORMULA_PER_CENT), np.uint64(FORMULA_HALF_CENT)
    last_pe_weight = None
    for index in sorted(first_with.values(), key=lambda i: weights[i][1]):
        work_weight, pe_weight, mp_weight = weights[index]
        if pe_weight != last_pe_weight:
            np.multiply(pe, np.uint64(pe_weight), pe_term)
            last_pe_weight = pe_weight
        work_term = work_terms.get(work_weight)
        if work_term is None:
            work_term = work_terms[work_weight] = work * np.uint64(work_weight) + half
        np.multiply(mp, np.uint64(mp_weight), common)
        np.add(common, work_term, common)
        np.add(pe_term, common, summed)
        np.floor_divide(summed, per_cent, out[index])
    for index, triple in enumerate(weights):
        if first_with[triple] != index:
            out[index] = out[first_with[triple]]


def priced_mask(schedule: FeeSchedule, rows: IntArray, settings: Sequence[Setting]) -> BoolArray:
    """(rows, settings): True where the row has a fee-schedule amount in that setting (NA settings included:
    they carry the priced setting's amount, flagged by ``na_mask``)."""
    payable = schedule.payable()[rows] & ~_contractor_priced(schedule, rows)
    return np.stack([payable for _ in settings], axis=1) if settings else np.empty((len(rows), 0), dtype=np.bool_)


def na_mask(schedule: FeeSchedule, rows: IntArray, settings: Sequence[Setting]) -> BoolArray:
    """(rows, settings): True where CMS marks the setting's PE NA ("rarely or never performed" there)."""
    return np.stack([schedule.na(s)[rows] for s in settings], axis=1) if settings else \
        np.empty((len(rows), 0), dtype=np.bool_)


def _contractor_priced(schedule: FeeSchedule, rows: IntArray) -> BoolArray:
    """Status R rows without RVUs: restricted coverage, contractor priced if covered (RVU26B.pdf)."""
    no_rvus = (schedule.work[rows] == 0) & (schedule.pe_nonfacility[rows] == 0) & \
        (schedule.pe_facility[rows] == 0) & (schedule.mp[rows] == 0)
    return np.asarray((schedule.status[rows] == "R") & no_rvus, dtype=np.bool_)


NA_NOTE: Final = ("CMS marks this setting NA (rarely or never performed there); priced with the other setting's "
                  "amount, as CMS's payment file does")
STATUS_NOTES: Final = {
    "T": "status T: paid only when no other fee-schedule service is billed the same day",
    "R": "status R: restricted coverage; paid only under special coverage instructions",
}


def unpriced_reason(schedule: FeeSchedule, row: int, setting: Setting) -> str | None:
    """Why a row has no fee-schedule amount in ``setting``, or ``None`` when it has one."""
    status = str(schedule.status[row])
    if status not in PAYABLE_STATUSES:
        return STATUS_REASONS.get(status, f"status {status}: not paid under the physician fee schedule")
    if bool(_contractor_priced(schedule, np.array([row]))[0]):
        return "restricted coverage (status R) with no national RVUs: contractor priced if covered - ask your MAC"
    return None


def price_note(schedule: FeeSchedule, row: int, setting: Setting) -> str | None:
    """What a user must know about an amount that is shown: NA setting, status T or R; ``None`` otherwise."""
    notes = [NA_NOTE] if schedule.na(setting)[row] else []
    if str(schedule.status[row]) in STATUS_NOTES:
        notes.append(STATUS_NOTES[str(schedule.status[row])])
    return "; ".join(notes) or None


def cf_scaled(policy: Policy, variant: CFVariant) -> int:
    return to_scaled(policy.conversion_factor(variant), CF_SCALE)


def check_exact(schedule: FeeSchedule, localities: Localities, policy: Policy) -> None:
    """Prove once, per table set, that no product can overflow int64 (so the formula stays exact).

    Raises:
        InputError: a table holds values so large that int64 could overflow.
    """
    biggest_rvu = int(max(schedule.work.max(), schedule.pe_nonfacility.max(), schedule.pe_facility.max(),
                          schedule.mp.max(), 0))
    biggest_gpci = int(max(localities.work.max(), localities.work_unfloored.max(), localities.pe.max(),
                           localities.mp.max(), 1000))
    cf = max(cf_scaled(policy, v) for v in CFVariant)
    if 3 * biggest_rvu * biggest_gpci * cf >= _MAX_SAFE:
        raise InputError("fee-schedule values too large for exact integer pricing")


@dataclass(frozen=True, slots=True)
class PriceTrace:
    """Every input of one amount, so a user can redo it by hand ("explain this number")."""

    release: str
    code: str
    modifier: str
    locality_key: str
    locality_name: str
    setting: Setting
    work_rvu: Decimal
    pe_rvu: Decimal
    mp_rvu: Decimal
    work_gpci: Decimal
    pe_gpci: Decimal
    mp_gpci: Decimal
    work_floor: bool
    conversion_factor: Decimal
    cf_variant: CFVariant
    unrounded: Decimal
    cf_label: str = ""

    def lines(self) -> list[str]:
        """The computation written out, one step per line."""
        gpci_note = "" if self.work_floor else " (work GPCI without the 1.0 floor)"
        return [
            f"RVUs ({self.release}): work {self.work_rvu} + PE {self.pe_rvu} ({self.setting.label}) + MP {self.mp_rvu}",
            f"GPCIs ({self.locality_name}, {self.locality_key}): work {self.work_gpci}, PE {self.pe_gpci}, "
            f"MP {self.mp_gpci}{gpci_note}",
            f"({self.work_rvu} x {self.work_gpci} + {self.pe_rvu} x {self.pe_gpci} + {self.mp_rvu} x {self.mp_gpci})"
            f" x CF {self.conversion_factor} ({self.cf_label or self.cf_variant.value}) = {self.unrounded}",
            f"rounded once, half-up, to {cents_to_decimal(int(self.rounded_cents))}",
        ]

    @property
    def rounded_cents(self) -> int:
        return decimal_to_cents(self.unrounded)


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """The fee-schedule amount of one unit of one code in one locality and setting, or why there is none."""

    code: str
    modifier: str
    setting: Setting
    cents: int | None
    nonpar_cents: int | None
    limiting_charge_cents: int | None
    reason: str | None
    trace: PriceTrace
    na_setting: bool = False  # CMS marks this setting NA: the amount is the priced setting's (as in PFREV)


def require_unfloored(tables: TableSet, floor: bool) -> None:
    """Refuse "without the floor" for a year whose GPCI file gives the floored work GPCI only (2025: GPCI2025
    has one work column), rather than silently price with the floor under an "unfloored" label.

    Raises:
        InputError: ``floor`` is off and the year has no unfloored work GPCIs.
    """
    if not floor and not tables.policy.unfloored_work_gpci:
        raise InputError(f"the {tables.year} GPCI file ({tables.release}) gives the work GPCI with the 1.0 floor "
                         f"only, so there is no unfloored price for {tables.year}; drop --no-floor")


def locality_gpcis(tables: TableSet, locality_key: str, floor: bool) -> IntArray:
    """(1, 3) GPCI thousandths of one locality key (or ``national``).

    Raises:
        InputError: ``floor`` off for a year without unfloored work GPCIs.
    """
    require_unfloored(tables, floor)
    if locality_key == NATIONAL_KEY:
        return national_gpcis()
    index = tables.localities.index(locality_key)
    return tables.localities.gpcis(np.array([index]), floor=floor)


def price_unit(
    tables: TableSet,
    code: str,
    modifier: str = "",
    *,
    locality_key: str = NATIONAL_KEY,
    setting: Setting = Setting.NONFACILITY,
    cf_variant: CFVariant = CFVariant.NONQP,
    floor: bool = True,
    conversion_factor: Decimal | None = None,
) -> UnitPrice:
    """Price one unit of one code, through the same vectorized formula as the whole schedule.

    ``conversion_factor`` replaces the year's CF (a payer that pays its own CF x the CMS RVUs).

    The result depends on nothing else and is immutable, so it is remembered (per table set, for the
    most recent ``UNIT_PRICES_REMEMBERED`` requests): an audit or a lesion chart asks for the same few
    thousand units again and again.

    Raises:
        UnknownCodeError: no such code/modifier row.
        UnknownLocalityError: no such locality.
    """
    return _remembered_unit(tables, code, modifier, locality_key, setting, cf_variant, floor, conversion_factor)


#: How many unit prices ``price_unit`` remembers (each a few hundred bytes).
UNIT_PRICES_REMEMBERED: Final = 65_536


@functools.lru_cache(maxsize=UNIT_PRICES_REMEMBERED)
def _remembered_unit(tables: TableSet, code: str, modifier: str, locality_key: str, setting: Setting,
                     cf_variant: CFVariant, floor: bool, conversion_factor: Decimal | None) -> UnitPrice:
    return _price_unit(tables, code, modifier, locality_key=locality_key, setting=setting, cf_variant=cf_variant,
                       floor=floor, conversion_factor=conversion_factor)


def _price_unit(
    tables: TableSet,
    code: str,
    modifier: str,
    *,
    locality_key: str,
    setting: Setting,
    cf_variant: CFVariant,
    floor: bool,
    conversion_factor: Decimal | None,
) -> UnitPrice:
    """``price_unit`` itself (not remembered)."""
    schedule = tables.schedule
    row = schedule.row(code, modifier)
    gpcis = locality_gpcis(tables, locality_key, floor)
    cf = cf_scaled(tables.policy, cf_variant) if conversion_factor is None else \
        to_scaled(conversion_factor, CF_SCALE)
    cents = int(fee_schedule_cents(schedule, np.array([row]), gpcis, [setting], cf)[0, 0, 0])
    reason = unpriced_reason(schedule, row, setting)
    locality = tables.localities.locality(locality_key)
    rvus = [from_scaled(int(a[row]), 100) for a in (schedule.work, schedule.pe_priced(setting), schedule.mp)]
    g = [from_scaled(int(v), 1000) for v in gpcis[0]]
    cf_label = cf_variant.value if conversion_factor is None else "payer's own"
    if conversion_factor is None:
        conversion_factor = tables.policy.conversion_factor(cf_variant)
    unrounded = (rvus[0] * g[0] + rvus[1] * g[1] + rvus[2] * g[2]) * conversion_factor
    trace = PriceTrace(
        schedule.release, str(schedule.codes[row]), str(schedule.modifiers[row]), locality.key, locality.name,
        setting, rvus[0], rvus[1], rvus[2], g[0], g[1], g[2], floor, conversion_factor, cf_variant, unrounded,
        cf_label,
    )
    if reason is not None:
        return UnitPrice(trace.code, trace.modifier, setting, None, None, None, reason, trace)
    policy = tables.policy
    nonpar = int(scale_cents(cents, policy.nonpar_rate))
    limiting = int(scale_cents(cents, policy.nonpar_rate * policy.limiting_charge_rate))
    return UnitPrice(trace.code, trace.modifier, setting, cents, nonpar, limiting, None, trace,
                     na_setting=bool(schedule.na(setting)[row]))


@dataclass(frozen=True, slots=True, eq=False)
class PriceGrid:
    """Par amounts for rows x localities x settings, with the mask of cells that have a price.

    Non-par and limiting-charge grids are derived from the par grid when asked for, so pricing the whole
    schedule computes only what it must.
    """

    rows: IntArray
    locality_keys: list[str]
    settings: list[Setting]
    cents: IntArray
    priced: BoolArray  # (rows, settings)
    nonpar_rate: Decimal
    limiting_rate: Decimal
    na: BoolArray  # (rows, settings): CMS marks the setting NA; the amount is the priced setting's

    @property
    def nonpar_cents(self) -> IntArray:
        return scale_cents(self.cents, self.nonpar_rate)

    @property
    def limiting_charge_cents(self) -> IntArray:
        return scale_cents(self.cents, self.limiting_rate)


def price_grid(
    tables: TableSet,
    rows: IntArray,
    locality_keys: Sequence[str],
    settings: Sequence[Setting],
    cf_variant: CFVariant = CFVariant.NONQP,
    *,
    floor: bool = True,
) -> PriceGrid:
    """Price many rows in many localities and settings at once (``national`` allowed as a key).

    Raises:
        UnknownLocalityError: a key is not a locality.
    """
    gpcis = np.concatenate([locality_gpcis(tables, k, floor) for k in locality_keys]) if locality_keys else \
        np.empty((0, 3), dtype=np.int64)
    return _grid(tables, np.asarray(rows, dtype=np.int64), list(locality_keys), gpcis, list(settings),
                 cf_variant)


def price_all_localities(
    tables: TableSet,
    rows: IntArray,
    settings: Sequence[Setting],
    cf_variant: CFVariant = CFVariant.NONQP,
    *,
    floor: bool = True,
) -> PriceGrid:
    """The whole fee schedule in every locality: one vectorized call."""
    require_unfloored(tables, floor)
    keys = tables.localities.keys.tolist()
    gpcis = tables.localities.gpcis(floor=floor)
    return _grid(tables, np.asarray(rows, dtype=np.int64), keys, gpcis, list(settings), cf_variant)


def _grid(tables: TableSet, rows: IntArray, keys: list[str], gpcis: IntArray, settings: list[Setting],
          cf_variant: CFVariant) -> PriceGrid:
    cents = fee_schedule_cents(tables.schedule, rows, gpcis, settings, cf_scaled(tables.policy, cf_variant))
    policy = tables.policy
    return PriceGrid(rows, keys, settings, cents, priced_mask(tables.schedule, rows, settings), policy.nonpar_rate,
                     policy.nonpar_rate * policy.limiting_charge_rate, na_mask(tables.schedule, rows, settings))
