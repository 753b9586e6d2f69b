"""Revenue forecast: an exact expected value and a seeded Monte Carlo over encounter *types*.

An encounter type is (payer, setting, with/without a separate E/M visit, lesion tier).  The lesion count
matters only through the CPT tiers (17000 + 17003 x (n-1) up to 14 lesions, 17004 alone from 15 on), so
the tier is ``min(n, 15)`` and there are ``payers x 2 x 2 x 15`` types.  The allowed amount of every type
is computed ONCE with the real core (``rules.build_claim`` then ``payers.allowed_lines``, so the
multiple-procedure rule, modifier 25, per-payer E/M-25 cuts, pinned years and lesser-of-charge all apply)
into an int64 table ``allowed_cents[payer, setting, em, tier]``.  After that:

* the exact expected value is a weighted sum over the table in ``fractions.Fraction`` (integer
  arithmetic, no rounding at all) - ``E[month m] = volume_m x sum_t p(t) x allowed(t)`` - rounded to cents
  only at the end (see ``Expected``);
* the simulation only indexes the table: per month the number of encounters is Poisson(volume_m) (or the
  fixed, whole volume), each encounter's type is one categorical draw from the joint distribution
  (Walker/Vose alias method, vectorized), and a month's revenue is the sum of its encounters' table
  entries.  Allowed sums are exact int64 cents; collected sums are float (a statistic, not a bill).

Rounding, stated once: the exact monthly values are Fractions of a cent.  Each month is reported as the
floor or the ceiling of its exact value, chosen by largest remainder so that the months add up exactly to
the annual total, which is the exact annual value rounded half-up.  Monte Carlo statistics are floats,
reported rounded half-up to cents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt

from estimator.core import codes as cs
from estimator.core.encounter import Encounter
from estimator.core.errors import InputError
from estimator.core.lesions import TIER_BREAK
from estimator.core.payers import MEDICARE, MEDICARE_PAYER, Payer, Practice, TablesForYear, allowed_lines
from estimator.core.rules import build_claim
from estimator.core.schedule import NATIONAL_KEY, Setting, TableSet

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[float], None]

#: Lesion tiers 1..15: a count of 15 or more prices like 15 (17004 x1 alone).
LESION_TIERS: Final = TIER_BREAK
SETTINGS: Final = (Setting.NONFACILITY, Setting.FACILITY)
#: The place of service each setting is priced with (only the setting changes the price).
REFERENCE_POS: Final = {Setting.NONFACILITY: "11", Setting.FACILITY: "22"}
DEFAULT_EM_CODE: Final = "99213"
DEFAULT_DIAGNOSIS: Final = "L57.0"
MAX_MONTHS: Final = 60
MAX_PATHS: Final = 1_000_000
#: A practice, even a large group, sees far fewer encounters a year; the bound keeps one simulated path's
#: draws in memory (1e9 encounters a year once grew to 24 GB).
MAX_ANNUAL_VOLUME: Final = 1_000_000
#: paths x encounters simulated in one run (about 15 s at ~30 ms per million); beyond it, use fewer paths.
MAX_SIMULATED_ENCOUNTERS: Final = 500_000_000
MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HUNDRED: Final = Decimal(100)

#: Monthly multipliers Jan..Dec.  "winter" is an illustrative pattern, not data: AK field treatment and
#: cryotherapy cluster in Nov-Mar (less sun exposure during healing).  The default is "flat": a forecast
#: assumes no seasonal pattern unless one is chosen or fitted from past encounters.
SEASONALITY_PRESETS: Final[dict[str, tuple[Decimal, ...]]] = {
    "winter": tuple(Decimal(v) for v in ("1.35", "1.30", "1.20", "0.90", "0.75", "0.70",
                                         "0.70", "0.75", "0.85", "1.05", "1.20", "1.25")),
    "flat": (Decimal(1),) * 12,
}
DEFAULT_SEASONALITY: Final = "flat"

#: An illustrative lesion-count histogram (weights; 15 means 15 or more), used to pre-fill forms only.
DEFAULT_LESIONS: Final[dict[int, Decimal]] = {
    n: Decimal(w) for n, w in zip(range(1, 16), (12, 11, 10, 9, 8, 7, 6, 6, 5, 5, 4, 4, 3, 3, 7), strict=True)
}

#: Chunk size of the simulation (encounters per chunk): bounds memory and sets how often progress is called.
DEFAULT_CHUNK: Final = 1 << 19


class VolumeModel(enum.StrEnum):
    """How the number of encounters in a month varies: Poisson around the volume, or exactly the volume."""

    POISSON = "poisson"
    FIXED = "fixed"


# --- the scenario -----------------------------------------------------------------------------------------


def _nonfacility_only() -> dict[Setting, Decimal]:
    return {Setting.NONFACILITY: HUNDRED}


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a forecast needs from the user, as typed (percentages in %, weights as given).

    Exactly one of ``annual_volume`` (spread over the months by ``seasonality``) and ``monthly_volumes``
    (one per month of the horizon) is given.  ``payer_mix``, ``setting_mix`` are % of encounters and must
    each add up to exactly 100; ``lesions`` are histogram weights (any non-negative numbers, normalised),
    keyed by lesion count (15 and above all price as 17004).  ``collection_rates`` are % of the allowed
    amount actually collected per payer; payers not listed use ``default_collection_rate``.
    """

    payer_mix: Mapping[str, Decimal]
    lesions: Mapping[int, Decimal]
    annual_volume: Decimal | None = None
    monthly_volumes: tuple[Decimal, ...] | None = None
    year: int = 2026
    start: dt.date = dt.date(2026, 1, 1)
    months: int = 12
    seasonality: tuple[Decimal, ...] = SEASONALITY_PRESETS[DEFAULT_SEASONALITY]
    volume_model: VolumeModel = VolumeModel.POISSON
    setting_mix: Mapping[Setting, Decimal] = field(default_factory=_nonfacility_only)
    em_share: Decimal = Decimal(0)
    em_code: str = DEFAULT_EM_CODE
    collection_rates: Mapping[str, Decimal] = field(default_factory=dict)
    default_collection_rate: Decimal = HUNDRED
    locality_key: str = NATIONAL_KEY
    name: str = ""

    def collection_rate(self, payer: str) -> Decimal:
        """% of allowed collected from ``payer`` (case-insensitive name)."""
        for name, rate in self.collection_rates.items():
            if name.lower() == payer.lower():
                return rate
        return self.default_collection_rate

    @property
    def pricing_day(self) -> dt.date:
        """The date of service used for contract effective dates: the first forecast month in the pricing year."""
        return self.start if self.start.year == self.year else dt.date(self.year, 1, 1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario: the field (TOML path, e.g. ``payer_mix."Acme"``) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ScenarioError(InputError):
    """A scenario with problems; the one-line message names every field at fault."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(str(p) for p in problems))
        self.source = source
        self.problems = tuple(problems)


def quoted(table: str, key: object) -> str:
    """The TOML path of a key in a table, always quoted: ``payer_mix."Acme"``."""
    return f'{table}."{key}"'


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def percent_table_problems(table: str, shares: Mapping[str, Decimal]) -> list[Problem]:
    """Shares in % that must each lie in 0..100 and add up to exactly 100."""
    problems = [Problem(quoted(table, key), f"share {_pct(v)} must be between 0 and 100%")
                for key, v in shares.items() if not (v.is_finite() and 0 <= v <= 100)]
    if not shares:
        problems.append(Problem(table, "is empty; give at least one share"))
    elif not problems:
        total = sum(shares.values(), Decimal(0))
        if total != 100:
            problems.append(Problem(table, f"shares sum to {_pct(total)}, they must sum to 100%"))
    return problems


def scenario_problems(s: Scenario) -> list[Problem]:
    """Everything wrong with a scenario that can be seen without the practice database (empty when valid)."""
    out: list[Problem] = []
    if not 1 <= s.months <= MAX_MONTHS:
        out.append(Problem("months", f"{s.months} is out of range; use 1 to {MAX_MONTHS}"))
    if s.start.day != 1:
        out.append(Problem("start", "must be the first day of a month"))
    if (s.annual_volume is None) == (s.monthly_volumes is None):
        out.append(Problem("annual_volume",
                           "give either annual_volume or monthly_volumes (not both, not neither)"))
    if s.annual_volume is not None and not (s.annual_volume.is_finite() and s.annual_volume >= 0):
        out.append(Problem("annual_volume", f"{s.annual_volume} is negative; the number of encounters a year "
                                            "must be 0 or more"))
    elif s.annual_volume is not None and s.annual_volume > MAX_ANNUAL_VOLUME:
        out.append(Problem("annual_volume", f"{s.annual_volume} is more than {MAX_ANNUAL_VOLUME:,} encounters a "
                                            "year; check the number"))
    if s.monthly_volumes is not None:
        for i, v in enumerate(s.monthly_volumes, start=1):
            if not (v.is_finite() and v >= 0):
                out.append(Problem(f"monthly_volumes[{i}]", f"{v} is negative; volumes must be 0 or more"))
            elif v > MAX_ANNUAL_VOLUME:
                out.append(Problem(f"monthly_volumes[{i}]", f"{v} is more than {MAX_ANNUAL_VOLUME:,} encounters; "
                                                            "check the number"))
        if len(s.monthly_volumes) != s.months and 1 <= s.months <= MAX_MONTHS:
            out.append(Problem("monthly_volumes",
                               f"has {len(s.monthly_volumes)} values for {s.months} months"))
    if len(s.seasonality) != 12:
        out.append(Problem("seasonality", f"needs 12 multipliers (Jan..Dec), got {len(s.seasonality)}"))
    elif any(not (m.is_finite() and m >= 0) for m in s.seasonality) or sum(s.seasonality, Decimal(0)) <= 0:
        out.append(Problem("seasonality", "multipliers must be 0 or more, and not all 0"))
    if not s.lesions:
        out.append(Problem("lesions", "the lesion histogram is empty; give {count = weight} or fit_from"))
    for count, weight in s.lesions.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            out.append(Problem(quoted("lesions", count), "the lesion count must be a whole number from 1 up"))
        elif not (weight.is_finite() and weight >= 0):
            out.append(Problem(quoted("lesions", count), f"weight {weight} must be 0 or more"))
    if s.lesions and all(w.is_finite() and w >= 0 for w in s.lesions.values()) and \
            sum(s.lesions.values(), Decimal(0)) <= 0:
        out.append(Problem("lesions", "all weights are 0"))
    out += percent_table_problems("payer_mix", dict(s.payer_mix))
    out += percent_table_problems("setting_mix", {k.value: v for k, v in s.setting_mix.items()})
    if not (s.em_share.is_finite() and 0 <= s.em_share <= 100):
        out.append(Problem("em_share", f"{s.em_share} must be between 0 and 100 (%)"))
    if s.em_code not in cs.EM_CODES:
        out.append(Problem("em_code",
                           f"{s.em_code!r} is not an office E/M visit; use 99202-99205 or 99211-99215"))
    for name, rate in s.collection_rates.items():
        if not (rate.is_finite() and 0 <= rate <= 100):
            out.append(Problem(quoted("collection_rates", name), f"{_pct(rate)} must be between 0 and 100%"))
    if not (s.default_collection_rate.is_finite() and 0 <= s.default_collection_rate <= 100):
        out.append(Problem("default_collection_rate", "must be between 0 and 100 (%)"))
    return out


def check_scenario(s: Scenario, source: str = "") -> None:
    """Raise ``ScenarioError`` naming every problem of ``s``.

    Raises:
        ScenarioError: the scenario is not valid.
    """
    problems = scenario_problems(s)
    if problems:
        raise ScenarioError(source, problems)


def month_starts(start: dt.date, months: int) -> tuple[dt.date, ...]:
    """The first day of each month of the horizon."""
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        out.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def _largest_remainder(exact: Sequence[Fraction], total: int) -> tuple[int, ...]:
    """Round each value down or up so the results add up to ``total`` (largest remainders get the ups)."""
    floors = [math.floor(v) for v in exact]
    need = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    ups = set(order[:max(need, 0)])
    return tuple(f + (1 if i in ups else 0) for i, f in enumerate(floors))


def half_up(value: Fraction) -> int:
    """A Fraction rounded to the nearest integer, halves away from zero for positives (half-up)."""
    return math.floor(value + Fraction(1, 2))


def monthly_volumes(s: Scenario) -> tuple[Fraction, ...]:
    """Expected encounters per month, exactly.

    With ``annual_volume``: ``annual x multiplier(calendar month) / sum of the 12 multipliers`` (so 12
    consecutive months add up to the annual volume).  With ``monthly_volumes``: those.  Under the fixed
    volume model the volumes are whole encounters: rounded by largest remainder so they keep their total.
    """
    if s.monthly_volumes is not None:
        volumes = tuple(Fraction(v) for v in s.monthly_volumes)
    else:
        annual = Fraction(s.annual_volume or 0)
        weights = [Fraction(m) for m in s.seasonality]
        total = sum(weights, Fraction(0))
        volumes = tuple(annual * weights[d.month - 1] / total for d in month_starts(s.start, s.months))
    if s.volume_model is VolumeModel.FIXED:
        volumes = tuple(Fraction(v) for v in _largest_remainder(volumes, half_up(sum(volumes, Fraction(0)))))
    return volumes


# --- the mix ----------------------------------------------------------------------------------------------


def _shares(values: Sequence[Decimal]) -> tuple[Fraction, ...]:
    total = sum((Fraction(v) for v in values), Fraction(0))
    if total <= 0:
        raise InputError("a mix needs at least one positive share")
    return tuple(Fraction(v) / total for v in values)


@dataclass(frozen=True, slots=True)
class Mix:
    """The scenario's independent marginal distributions, as exact probabilities.

    ``tier_p[t]`` is the probability of lesion tier ``t + 1`` (the last is 15 or more).
    """

    payers: tuple[str, ...]
    payer_p: tuple[Fraction, ...]
    setting_p: tuple[Fraction, Fraction]  # (non-facility, facility)
    em_p: Fraction
    tier_p: tuple[Fraction, ...]

    def clinical(self) -> tuple[Fraction, ...]:
        """P(setting, em, tier), flattened in (setting, em, tier) order: 2 x 2 x 15 values."""
        em = (1 - self.em_p, self.em_p)
        return tuple(s * e * t for s in self.setting_p for e in em for t in self.tier_p)

    def joint(self) -> tuple[Fraction, ...]:
        """P(payer, setting, em, tier), flattened in that order (the layout of ``PriceTable``)."""
        clinical = self.clinical()
        return tuple(p * c for p in self.payer_p for c in clinical)


def tier_weights(lesions: Mapping[int, Decimal]) -> tuple[Decimal, ...]:
    """A histogram by lesion count folded into the 15 tiers (counts of 15 and more share the last)."""
    tiers = [Decimal(0)] * LESION_TIERS
    for count, weight in lesions.items():
        tiers[min(count, LESION_TIERS) - 1] += weight
    return tuple(tiers)


def mix_of(s: Scenario) -> Mix:
    """The scenario's mix as probabilities (payers in the scenario's order)."""
    payers = tuple(s.payer_mix)
    nonfacility = s.setting_mix.get(Setting.NONFACILITY, Decimal(0))
    facility = s.setting_mix.get(Setting.FACILITY, Decimal(0))
    setting_p = _shares([nonfacility, facility])
    return Mix(payers, _shares(list(s.payer_mix.values())), (setting_p[0], setting_p[1]),
               Fraction(s.em_share) / 100, _shares(tier_weights(s.lesions)))


# --- the price table --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class PriceTable:
    """Allowed cents of every encounter type for each payer, and Medicare's for the same visits.

    ``allowed_cents`` has shape (payers, 2 settings, 2 [without, with E/M], 15 tiers); ``medicare_cents``
    (2, 2, 15) is the Medicare allowed amount of the practice (the basis of "% of Medicare").
    """

    payers: tuple[str, ...]
    allowed_cents: IntArray
    medicare_cents: IntArray
    year: int
    release: str
    locality_key: str
    em_code: str
    day: dt.date
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for array in (self.allowed_cents, self.medicare_cents):
            array.flags.writeable = False

    def index(self, payer: str) -> int:
        """Row of a payer (case-insensitive).

        Raises:
            InputError: the payer is not in the table.
        """
        for i, name in enumerate(self.payers):
            if name.lower() == payer.strip().lower():
                return i
        raise InputError(f"payer {payer!r} is not priced here; known: {', '.join(self.payers)}")


def type_encounter(setting: Setting, em: bool, tier: int, *, day: dt.date, locality_key: str,
                   practice: Practice, em_code: str) -> Encounter:
    """The visit one encounter type stands for: ``tier`` lesions (+ the E/M), L57.0, in ``setting``."""
    return Encounter(day, REFERENCE_POS[setting], locality_key, practice.cf_variant, lesions=tier,
                     em_code=em_code if em else None, diagnoses=(DEFAULT_DIAGNOSIS,))


def price_table(
    payers: Sequence[Payer],
    practice: Practice,
    tables: TableSet,
    tables_for: TablesForYear,
    *,
    locality_key: str | None = None,
    em_code: str = DEFAULT_EM_CODE,
    day: dt.date | None = None,
) -> PriceTable:
    """Price every encounter type once for each payer, with the real claim builder and contracts.

    Args:
        payers: the contracts to price (Medicare is always priced as the reference as well).
        practice: the practice profile (participation, QP status, charge master).
        tables: the fee-schedule year the forecast uses.
        tables_for: tables by year, for contracts pinned to another Medicare year.
        locality_key: where the services are performed (default: the practice's locality).
        em_code: the E/M visit billed with modifier 25 on the encounters that have one.
        day: date of service used for contract effective dates (default: 1 January of the tables' year).

    Returns:
        The table; payer findings worth knowing (no contracted rate, contract not in effect) in ``notes``.

    Raises:
        InputError / UnknownLocalityError: the locality or E/M code cannot be priced.
    """
    locality = locality_key or practice.locality_key
    practice = dataclasses.replace(practice, locality_key=locality)
    day = day or dt.date(tables.year, 1, 1)
    claims = [build_claim(type_encounter(s, em, tier, day=day, locality_key=locality, practice=practice,
                                         em_code=em_code), tables)
              for s in SETTINGS for em in (False, True) for tier in range(1, LESION_TIERS + 1)]
    notes: list[str] = []

    def row(payer: Payer) -> IntArray:
        out = np.empty(len(claims), dtype=np.int64)
        for i, claim in enumerate(claims):
            lines, findings = allowed_lines(claim, payer, practice, tables_for)
            out[i] = sum(a.allowed_cents for a in lines)
            for f in findings:
                text = f"{payer.name}: {f.message}"
                if f.severity in ("error", "warning") and text not in notes:
                    notes.append(text)
        return out.reshape(len(SETTINGS), 2, LESION_TIERS)

    allowed = np.stack([row(p) for p in payers]) if payers else \
        np.empty((0, len(SETTINGS), 2, LESION_TIERS), dtype=np.int64)
    medicare = next((allowed[i] for i, p in enumerate(payers) if p.name == MEDICARE), None)
    if medicare is None:
        medicare = row(MEDICARE_PAYER)
    return PriceTable(tuple(p.name for p in payers), allowed, np.array(medicare, dtype=np.int64), tables.year,
                      tables.release, locality, em_code, day, tuple(notes))


# --- the model --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ForecastModel:
    """A scenario joined to its price table: what both the exact value and the simulation use.

    ``allowed`` / ``collected`` are per joint type (payer, setting, em, tier flattened), cents; collected
    is ``allowed x collection rate`` and is a float (it feeds statistics only; the exact value uses
    ``rates``).
    """

    scenario: Scenario
    months: tuple[dt.date, ...]
    volumes: tuple[Fraction, ...]
    mix: Mix
    table: PriceTable
    rates: tuple[Fraction, ...]  # collection rate per mix payer, 0..1
    probabilities: tuple[Fraction, ...]
    allowed: IntArray
    collected: FloatArray

    @property
    def total_volume(self) -> Fraction:
        return sum(self.volumes, Fraction(0))


def build_model(scenario: Scenario, table: PriceTable) -> ForecastModel:
    """Join a valid scenario to its price table.

    Raises:
        ScenarioError: the scenario is invalid.
        InputError: a payer of the mix is not in the table.
    """
    check_scenario(scenario)
    mix = mix_of(scenario)
    rows = [table.index(p) for p in mix.payers]
    allowed = table.allowed_cents[rows].reshape(-1).astype(np.int64)
    rates = tuple(Fraction(scenario.collection_rate(p)) / 100 for p in mix.payers)
    per_type_rate = np.repeat(np.array([float(r) for r in rates]), len(SETTINGS) * 2 * LESION_TIERS)
    collected = allowed.astype(np.float64) * per_type_rate
    allowed.flags.writeable = False
    collected.flags.writeable = False
    return ForecastModel(scenario, month_starts(scenario.start, scenario.months), monthly_volumes(scenario),
                         mix, table, rates, mix.joint(), allowed, collected)


# --- exact expected value ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expected:
    """The exact expected revenue (Fractions of a cent) and its reported cents.

    ``allowed_cents`` / ``collected_cents`` are per month, each the floor or ceiling of the exact value
    (largest remainder) so that they add up exactly to ``annual_*_cents`` = the exact horizon total rounded
    half-up.  ``*_sd`` are the exact standard deviations (as floats) of the monthly and horizon totals under
    the volume model: Poisson ``Var = volume x E[X^2]``, fixed ``Var = volume x Var(X)``.
    """

    per_encounter_allowed: Fraction
    per_encounter_collected: Fraction
    allowed: tuple[Fraction, ...]
    collected: tuple[Fraction, ...]
    allowed_cents: tuple[int, ...]
    collected_cents: tuple[int, ...]
    annual_allowed_cents: int
    annual_collected_cents: int
    allowed_sd: tuple[float, ...]
    collected_sd: tuple[float, ...]
    annual_allowed_sd: float
    annual_collected_sd: float


def expected(model: ForecastModel) -> Expected:
    """The exact expected monthly and horizon revenue: ``volume_m x sum_t p(t) x amount(t)``."""
    allowed = [int(a) for a in model.allowed.tolist()]
    per_payer = len(SETTINGS) * 2 * LESION_TIERS
    ea = ea2 = ec = ec2 = Fraction(0)
    for i, (p, a) in enumerate(zip(model.probabilities, allowed, strict=True)):
        if p:
            r = model.rates[i // per_payer]
            c = a * r
            ea += p * a
            ea2 += p * a * a
            ec += p * c
            ec2 += p * c * c
    fixed = model.scenario.volume_model is VolumeModel.FIXED
    second_a = ea2 - ea * ea if fixed else ea2
    second_c = ec2 - ec * ec if fixed else ec2
    m_allowed = tuple(v * ea for v in model.volumes)
    m_collected = tuple(v * ec for v in model.volumes)
    annual_a = half_up(sum(m_allowed, Fraction(0)))
    annual_c = half_up(sum(m_collected, Fraction(0)))
    total = model.total_volume
    return Expected(
        ea, ec, m_allowed, m_collected, _largest_remainder(m_allowed, annual_a),
        _largest_remainder(m_collected, annual_c), annual_a, annual_c,
        tuple(math.sqrt(v * second_a) for v in model.volumes),
        tuple(math.sqrt(v * second_c) for v in model.volumes),
        math.sqrt(total * second_a), math.sqrt(total * second_c),
    )


# --- Monte Carlo ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class AliasSampler:
    """Walker/Vose alias tables for drawing types in O(1) each: type ``i`` is kept with probability
    ``keep[i]``, else replaced by ``alias[i]`` (Vose 1991).  Zero-probability types are dropped first.
    """

    types: npt.NDArray[np.intp]
    keep: FloatArray
    alias: npt.NDArray[np.intp]

    @staticmethod
    def build(probabilities: Sequence[Fraction]) -> AliasSampler:
        types = [i for i, p in enumerate(probabilities) if p > 0]
        if not types:
            raise InputError("nothing to simulate: every encounter type has probability 0")
        n = len(types)
        total = sum((probabilities[i] for i in types), Fraction(0))
        scaled = [probabilities[i] * n / total for i in types]  # exact until the final float
        keep = [Fraction(1)] * n
        alias = list(range(n))
        small = [i for i, q in enumerate(scaled) if q < 1]
        large = [i for i, q in enumerate(scaled) if q >= 1]
        while small and large:
            s, g = small.pop(), large.pop()
            keep[s], alias[s] = scaled[s], g
            scaled[g] -= 1 - scaled[s]
            (small if scaled[g] < 1 else large).append(g)
        return AliasSampler(np.array(types, dtype=np.intp), np.array([float(k) for k in keep]),
                            np.array(alias, dtype=np.intp))

    def draw(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.intp]:
        """``size`` type indices (into the full type list) drawn independently."""
        n = len(self.types)
        x = rng.random(size)
        x *= n
        column = x.astype(np.intp)
        np.minimum(column, n - 1, out=column)
        x -= column
        picked = np.where(x < self.keep[column], column, self.alias[column])
        return self.types[picked]


@dataclass(frozen=True, slots=True, eq=False)
class Simulation:
    """Simulated futures: per path and month, the encounters, allowed cents (exact sums) and collected."""

    paths: int
    seed: int
    encounters: IntArray  # (paths, months)
    allowed_cents: IntArray  # (paths, months)
    collected_cents: FloatArray  # (paths, months)

    @property
    def total_encounters(self) -> int:
        return int(self.encounters.sum())


def _chunks(per_path: IntArray, limit: int) -> list[tuple[int, int]]:
    """Consecutive path ranges holding at most ``limit`` encounters each (at least one path each)."""
    out: list[tuple[int, int]] = []
    start, load = 0, 0
    for i, n in enumerate(per_path.tolist()):
        if load and load + n > limit:
            out.append((start, i))
            start, load = i, 0
        load += n
    out.append((start, len(per_path)))
    return out


def simulate(model: ForecastModel, paths: int, seed: int, *, progress: Progress | None = None,
             chunk_encounters: int = DEFAULT_CHUNK) -> Simulation:
    """Simulate ``paths`` futures with ``numpy.random.Generator(PCG64(seed))``.

    All encounter counts (paths x months) are drawn first, so results do not depend on the chunking;
    ``progress(fraction)`` is called before the first and after every chunk (it may raise to cancel).

    Raises:
        InputError: ``paths`` out of range, or a negative seed.
    """
    if not 1 <= paths <= MAX_PATHS:
        raise InputError(f"paths must be from 1 to {MAX_PATHS:,}, got {paths}")
    if seed < 0:
        raise InputError(f"seed must be 0 or more, got {seed}")
    expected = paths * sum(float(v) for v in model.volumes)
    if expected > MAX_SIMULATED_ENCOUNTERS:
        raise InputError(f"{paths:,} paths x {sum(float(v) for v in model.volumes):,.0f} encounters would simulate "
                         f"{expected:,.0f} encounters (at most {MAX_SIMULATED_ENCOUNTERS:,}); use fewer paths")
    rng = np.random.Generator(np.random.PCG64(seed))
    months = len(model.volumes)
    if model.scenario.volume_model is VolumeModel.POISSON:
        lam = np.array([float(v) for v in model.volumes])
        counts = rng.poisson(lam, size=(paths, months)).astype(np.int64)
    else:
        whole = np.array([int(v) for v in model.volumes], dtype=np.int64)
        counts = np.broadcast_to(whole, (paths, months)).copy()
    allowed = np.zeros((paths, months), dtype=np.int64)
    collected = np.zeros((paths, months), dtype=np.float64)
    sampler = AliasSampler.build(model.probabilities)
    if progress is not None:
        progress(0.0)
    for a, b in _chunks(counts.sum(axis=1), chunk_encounters):
        cells = counts[a:b].reshape(-1)
        ends = np.cumsum(cells)
        starts = ends - cells
        kinds = sampler.draw(rng, int(ends[-1]) if len(ends) else 0)
        for values, out in ((model.allowed, allowed), (model.collected, collected)):
            running = np.zeros(len(kinds) + 1, dtype=values.dtype)
            np.cumsum(values[kinds], out=running[1:])
            out[a:b] = (running[ends] - running[starts]).reshape(b - a, months)
        if progress is not None:
            progress(b / paths)
    return Simulation(paths, seed, counts, allowed, collected)


# --- bands and the whole forecast -------------------------------------------------------------------------


def cents(value: float) -> int:
    """A float amount of cents rounded half-up to whole cents (statistics only)."""
    return math.floor(value + 0.5)


@dataclass(frozen=True, slots=True)
class Bands:
    """P10 / P50 / P90 and the mean of simulated totals per month and for the whole horizon, in cents."""

    p10: tuple[int, ...]
    p50: tuple[int, ...]
    p90: tuple[int, ...]
    mean: tuple[float, ...]
    annual_p10: int
    annual_p50: int
    annual_p90: int
    annual_mean: float


def bands(values: npt.NDArray[np.int64] | FloatArray) -> Bands:
    """Percentiles (numpy's linear interpolation, so P10 <= P50 <= P90 always) of (paths, months) totals."""
    monthly = np.percentile(values, [10, 50, 90], axis=0)
    annual_totals = values.sum(axis=1)
    annual = np.percentile(annual_totals, [10, 50, 90])

    def row(a: FloatArray) -> tuple[int, ...]:
        return tuple(cents(float(x)) for x in a)

    return Bands(row(monthly[0]), row(monthly[1]), row(monthly[2]),
                 tuple(float(x) for x in values.mean(axis=0)), cents(float(annual[0])),
                 cents(float(annual[1])), cents(float(annual[2])), float(annual_totals.mean()))


@dataclass(frozen=True, slots=True, eq=False)
class ForecastResult:
    """A forecast: the model, the exact expectation and (when simulated) the Monte Carlo bands."""

    model: ForecastModel
    expected: Expected
    simulation: Simulation | None
    allowed: Bands | None
    collected: Bands | None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(f"{d.year}-{d.month:02d}" for d in self.model.months)

    def z_score(self) -> float | None:
        """(simulated mean - exact) / standard error of the horizon's allowed total (None: not simulated)."""
        if self.simulation is None or self.allowed is None or self.expected.annual_allowed_sd == 0:
            return None
        exact = float(sum(self.expected.allowed, Fraction(0)))
        standard_error = self.expected.annual_allowed_sd / math.sqrt(self.simulation.paths)
        return (self.allowed.annual_mean - exact) / standard_error


def run_forecast(model: ForecastModel, paths: int, seed: int, *, progress: Progress | None = None,
                 chunk_encounters: int = DEFAULT_CHUNK) -> ForecastResult:
    """The exact expected value plus a seeded simulation of ``paths`` futures (``paths=0``: exact only).

    Raises:
        InputError: bad ``paths`` or ``seed``.
    """
    exact = expected(model)
    if paths == 0:
        return ForecastResult(model, exact, None, None, None)
    sim = simulate(model, paths, seed, progress=progress, chunk_encounters=chunk_encounters)
    return ForecastResult(model, exact, sim, bands(sim.allowed_cents), bands(sim.collected_cents))


# --- fitting a mix from past encounters ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PastEncounter:
    """One past visit: when, how many lesions, who paid, the rate setting, and (if known) whether an E/M."""

    date: dt.date
    lesions: int
    payer: str
    setting: Setting
    em: bool | None = None


@dataclass(frozen=True, slots=True)
class Fitted:
    """What past encounters say about the mix.

    ``payer_mix`` / ``setting_mix`` / ``em_share`` are % rounded to 4 places by largest remainder (so the
    shares add up to exactly 100); ``lesions`` are the raw counts (exact weights).  ``seasonality`` and
    ``annual_volume`` are set only when the data span at least 12 months: the multiplier of a calendar month
    is its mean count over the years it appears in the span; the annual volume is encounters x 12 / months
    spanned.
    """

    encounters: int
    first_month: dt.date
    last_month: dt.date
    months_spanned: int
    lesions: dict[int, Decimal]
    payer_mix: dict[str, Decimal]
    setting_mix: dict[Setting, Decimal]
    em_share: Decimal | None
    seasonality: tuple[Decimal, ...] | None
    annual_volume: Decimal | None


_PLACES = Decimal("0.0001")


def _percentages(counts: Mapping[str, int]) -> dict[str, Decimal]:
    total = sum(counts.values())
    units = 100 * 10_000  # 0.0001% steps
    exact = [Fraction(n * units, total) for n in counts.values()]
    return {k: Decimal(v) * _PLACES for k, v in zip(counts, _largest_remainder(exact, units), strict=True)}


def fit_encounters(records: Sequence[PastEncounter]) -> Fitted:
    """The empirical mix of past encounters (see ``Fitted``).

    Raises:
        InputError: no records.
    """
    if not records:
        raise InputError("no past encounters to fit a mix from")
    lesions: dict[int, int] = {}
    payers: dict[str, int] = {}
    settings: dict[str, int] = {}
    by_month: dict[tuple[int, int], int] = {}
    em_known = [r.em for r in records if r.em is not None]
    for r in records:
        lesions[r.lesions] = lesions.get(r.lesions, 0) + 1
        payers[r.payer] = payers.get(r.payer, 0) + 1
        settings[r.setting.value] = settings.get(r.setting.value, 0) + 1
        key = (r.date.year, r.date.month)
        by_month[key] = by_month.get(key, 0) + 1
    first = min(by_month)
    last = max(by_month)
    spanned = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
    seasonality = annual = None
    if spanned >= 12:
        sums = [0] * 12
        seen = [0] * 12
        for d in month_starts(dt.date(first[0], first[1], 1), spanned):
            sums[d.month - 1] += by_month.get((d.year, d.month), 0)
            seen[d.month - 1] += 1
        seasonality = tuple((Decimal(s) / Decimal(n)).quantize(Decimal("0.000001"))
                            for s, n in zip(sums, seen, strict=True))
        annual = (Decimal(len(records)) * 12 / spanned).quantize(Decimal("0.01"))
    em_share = None
    if em_known and len(em_known) == len(records):
        em_share = _percentages({"em": sum(em_known), "no": len(em_known) - sum(em_known)})["em"]
    return Fitted(
        len(records), dt.date(first[0], first[1], 1), dt.date(last[0], last[1], 1), spanned,
        {k: Decimal(v) for k, v in sorted(lesions.items())}, _percentages(payers),
        {Setting(k): v for k, v in _percentages(settings).items()}, em_share, seasonality, annual,
    )


def default_payer_mix(names: Sequence[str]) -> dict[str, Decimal]:
    """A starting mix for forms: Medicare 50% and the other contracted payers sharing 50% (Self-pay 0%).

    Shares have 2 decimals and add up to exactly 100 (largest remainder).
    """
    others = [n for n in names if n not in (MEDICARE, "Self-pay")]
    if not others:
        return {n: (HUNDRED if n == MEDICARE else Decimal(0)) for n in names} or {MEDICARE: HUNDRED}
    split = _largest_remainder([Fraction(5000, len(others))] * len(others), 5000)
    out = {n: Decimal(0) for n in names}
    out[MEDICARE] = Decimal(50)
    for n, hundredths in zip(others, split, strict=True):
        out[n] = Decimal(hundredths) / 100
    return out
