"""Payer contracts and the practice profile as values, and what each contract allows for a claim.

Methods (DOMAIN section 5): Medicare Part B itself (par, or non-par at 95% with the 115% limiting charge),
a percentage of Medicare pinned to a year / locality / CF, a fixed fee schedule per code, the payer's
own conversion factor x the CMS RVUs, and self-pay from the charge master.  Any contract may add per-code
overrides, a cut on E/M visits billed with modifier 25, its own multiple-procedure handling and "lesser of
billed charge or contract rate".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from estimator.core.encounter import Claim, ClaimLine, price_lines
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.money import cents_to_decimal, scale_cents
from estimator.core.parsing import (
    CF_PLACES,
    MAX_CONVERSION_FACTOR,
    MAX_MONEY,
    PERCENT_PLACES,
    clean_name,
    decimal_problem,
)
from estimator.core.schedule import NATIONAL_KEY, CFVariant, TableSet

MEDICARE: Final = "Medicare"
SELF_PAY: Final = "Self-pay"
#: A percentage-of-Medicare contract not pinned to a named locality is priced at the *visit's* locality
#: (where the service is performed), in every path: estimate, encounter, compare, negotiate, forecast, audit.
#: The stored token stays "practice" (older databases); ``VISIT_LOCALITY`` is the name it is typed as now.
PRACTICE_LOCALITY: Final = "practice"
VISIT_LOCALITY: Final = "visit"
HUNDRED: Final = Decimal(100)
#: Years and dates a user can store: the fee schedule exists from 1992; anything outside is a typo.
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100
MAX_FEE_CENTS: Final = int(MAX_MONEY * 100)
MAX_FREQUENCY_COUNT: Final = 1000
MAX_FREQUENCY_DAYS: Final = 3660

CodeKey = tuple[str, str]  # (code, modifier)
TablesForYear = Callable[[int], TableSet]


class Method(enum.StrEnum):
    """How a payer sets its allowed amount."""

    MEDICARE = "medicare"
    PERCENT_OF_MEDICARE = "percent_of_medicare"
    FEE_SCHEDULE = "fee_schedule"
    OWN_CF = "own_cf"
    SELF_PAY = "self_pay"


@dataclass(frozen=True, slots=True)
class Practice:
    """The practice's profile: who bills, where, and under which Medicare terms."""

    name: str = ""
    npi: str = ""
    tin: str = ""
    address: str = ""
    locality_key: str = NATIONAL_KEY
    place_of_service: str = "11"
    qualifying_apm: bool = False
    participating: bool = True
    charges: Mapping[CodeKey, int] = field(default_factory=dict)  # billed charge per unit, cents
    accepts_assignment: bool = True  # non-par only: False = claims unassigned (patient pays, Medicare reimburses)

    @property
    def unassigned(self) -> bool:
        """Non-participating and not taking assignment: the patient is billed up to the limiting charge."""
        return not self.participating and not self.accepts_assignment

    @property
    def cf_variant(self) -> CFVariant:
        return CFVariant.QP if self.qualifying_apm else CFVariant.NONQP

    @property
    def state(self) -> str:
        """Two-letter state from the address ('..., Houston, TX 77001'), else ''."""
        parts = self.address.replace(",", " ").split()
        return next((p for p in reversed(parts) if len(p) == 2 and p.isalpha() and p.isupper()), "")

    def charge(self, code: str, modifier: str = "") -> int | None:
        return self.charges.get((code, modifier), self.charges.get((code, "")))


@dataclass(frozen=True, slots=True)
class Payer:
    """One payer contract."""

    name: str
    method: Method
    percent: Decimal | None = None  # % of Medicare
    year: int | None = None  # Medicare year the percentage is pinned to (None: the date of service's)
    locality: str = PRACTICE_LOCALITY  # a pinned locality key, or "practice": the visit's locality
    cf_variant: CFVariant | None = None  # None: the practice's
    conversion_factor: Decimal | None = None  # the payer's own CF
    fees: Mapping[CodeKey, int] = field(default_factory=dict)  # fee schedule, cents per unit
    overrides: Mapping[CodeKey, int] = field(default_factory=dict)  # per-code rate, cents per unit
    em25_reduction: Decimal = Decimal(0)  # % cut on an E/M billed with modifier 25
    mppr: bool = True  # apply the multiple-procedure reduction
    mppr_secondary_pct: Decimal = Decimal(50)  # what ranks 2-5 are paid, in %
    lesser_of_charge: bool = False
    self_pay_discount: Decimal = Decimal(0)  # % off the charge master (self-pay)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    frequency_count: int | None = None  # AK destructions covered at most N times ...
    frequency_days: int | None = None  # ... in M days per patient
    prior_auth_codes: frozenset[str] = frozenset()
    builtin: bool = False
    notes: str = ""

    def __post_init__(self) -> None:
        problems = validate_payer(self)
        if problems:
            raise InputError(f"payer {self.name!r}: " + "; ".join(problems))

    def describe(self) -> str:
        """The contract in one line, as a user would say it."""
        if self.method is Method.MEDICARE:
            return "Medicare Part B fee schedule"
        if self.method is Method.SELF_PAY:
            off = f" less {self.self_pay_discount.normalize():f}%" if self.self_pay_discount else ""
            return f"the practice's charge master{off}"
        if self.method is Method.PERCENT_OF_MEDICARE:
            pinned = f" {self.year}" if self.year else ""
            where = "the visit's locality" if self.locality == PRACTICE_LOCALITY else f"locality {self.locality}"
            return f"{(self.percent or Decimal(0)).normalize():f}% of Medicare{pinned} ({where})"
        if self.method is Method.OWN_CF:
            return f"own conversion factor {self.conversion_factor} x CMS RVUs"
        return f"fixed fee schedule ({len(self.fees)} codes)"


def validate_payer(payer: Payer) -> list[str]:
    """What is wrong with a contract, in words (empty when it is valid).

    The same rules the pricing needs (a CF with at most 4 decimals, finite percentages, amounts in range),
    checked on every way in: the command line, the app's form, CSV imports, and a row read from the
    database (``Payer`` runs this on construction).
    """
    problems = []
    try:
        clean_name(payer.name, "the name")
    except InputError as exc:
        problems.append(str(exc))
    if not payer.name.strip():
        problems.append("the name is empty")
    if payer.method is Method.PERCENT_OF_MEDICARE:
        problem = "no percentage" if payer.percent is None else \
            decimal_problem(payer.percent, PERCENT_PLACES, Decimal(0), Decimal(1000), low_open=True)
        if problem:
            problems.append(f"percent of Medicare: {problem}")
    if payer.method is Method.OWN_CF:
        problem = "none given" if payer.conversion_factor is None else \
            decimal_problem(payer.conversion_factor, CF_PLACES, Decimal(0), MAX_CONVERSION_FACTOR - Decimal("0.0001"),
                            low_open=True)
        if problem:
            problems.append(f"its own conversion factor: {problem}")
    for label, pct in (("E/M-25 reduction", payer.em25_reduction), ("self-pay discount", payer.self_pay_discount),
                       ("multiple-procedure rate", payer.mppr_secondary_pct)):
        problem = decimal_problem(pct, PERCENT_PLACES, Decimal(0), Decimal(100))
        if problem:
            problems.append(f"{label}: {problem} (%)")
    if payer.year is not None and not (isinstance(payer.year, int) and MIN_YEAR <= payer.year <= MAX_YEAR):
        problems.append(f"the pinned year {payer.year} is not between {MIN_YEAR} and {MAX_YEAR}")
    for day in (payer.effective_from, payer.effective_to):
        if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
            problems.append(f"the date {day.isoformat()} is not between {MIN_YEAR} and {MAX_YEAR}")
    cents = [*payer.fees.values(), *payer.overrides.values()]
    if any(not isinstance(c, int) or c < 0 for c in cents):
        problems.append("fees cannot be negative")
    elif any(c > MAX_FEE_CENTS for c in cents):
        problems.append(f"a fee is over ${MAX_MONEY:,}")
    if payer.effective_from and payer.effective_to and payer.effective_to < payer.effective_from:
        problems.append("the contract ends before it starts")
    if (payer.frequency_count is None) != (payer.frequency_days is None):
        problems.append("a frequency limit needs both a count and a number of days")
    if payer.frequency_count is not None and (payer.frequency_count < 1 or (payer.frequency_days or 0) < 1):
        problems.append("a frequency limit needs at least 1 time in at least 1 day")
    elif payer.frequency_count is not None and (payer.frequency_count > MAX_FREQUENCY_COUNT
                                                or (payer.frequency_days or 0) > MAX_FREQUENCY_DAYS):
        problems.append(f"a frequency limit is at most {MAX_FREQUENCY_COUNT} times in at most "
                        f"{MAX_FREQUENCY_DAYS} days (10 years)")
    return problems


MEDICARE_PAYER: Final = Payer(MEDICARE, Method.MEDICARE, builtin=True)
SELF_PAY_PAYER: Final = Payer(SELF_PAY, Method.SELF_PAY, mppr=False, builtin=True)


@dataclass(frozen=True, slots=True)
class AllowedLine:
    """What the contract allows for one claim line, and how it got there."""

    line: ClaimLine
    allowed_cents: int
    medicare_cents: int | None  # the Medicare fee for the same line (after the Medicare reduction)
    charge_cents: int | None  # billed charge for the line
    limiting_charge_cents: int | None  # non-par Medicare only
    notes: tuple[str, ...]


def _pcts(line: ClaimLine, payer: Payer) -> tuple[Decimal, ...]:
    """Per-unit payment fractions under the payer's own multiple-procedure handling."""
    if not payer.mppr or not line.payment_pcts:
        return (Decimal(1),) * line.units
    return tuple(Decimal(1) if p == 100 else payer.mppr_secondary_pct / HUNDRED for p in line.payment_pcts)


def _per_units(unit_cents: int, pcts: tuple[Decimal, ...]) -> int:
    return sum(int(scale_cents(unit_cents, p)) for p in pcts)


def per_unit_share(amounts: tuple[int, ...], rate: Decimal) -> int:
    """``rate`` of each unit's amount, rounded half-up once per unit, then summed (as ``price`` shows one unit).

    Non-par 95%, the limiting charge and a contract's % of Medicare are all taken this way (DOMAIN s5).
    """
    return sum(int(scale_cents(amount, rate)) for amount in amounts)


def _medicare_units(line: ClaimLine, payer: Payer) -> tuple[int, ...]:
    """The Medicare amount of each paid unit under the payer's own multiple-procedure handling."""
    if not payer.mppr:
        return line.unit_bases
    if payer.mppr_secondary_pct == 50:
        return line.unit_payments
    rate = payer.mppr_secondary_pct / HUNDRED
    return tuple(b if p == 100 else int(scale_cents(b, rate))
                 for b, p in zip(line.unit_bases, line.payment_pcts, strict=True))


def _medicare_claim(claim: Claim, payer: Payer, practice: Practice, tables_for: TablesForYear) -> Claim:
    """The claim repriced under the payer's pinned Medicare year, locality and CF.

    An unpinned locality is the visit's own (not the practice profile's): "125% of Medicare" then means
    125% of what Medicare pays for this visit, the same figure every path reports.
    """
    locality = claim.encounter.locality_key if payer.locality == PRACTICE_LOCALITY else payer.locality
    enc = dataclasses.replace(claim.encounter, locality_key=locality,
                              cf_variant=payer.cf_variant or practice.cf_variant,
                              own_conversion_factor=payer.conversion_factor if payer.method is Method.OWN_CF else None)
    year = payer.year or claim.year
    if enc == claim.encounter and year == claim.year:
        return claim
    # Pinned to another year: the same visit priced with that year's tables (the date only matters to rules).
    return price_lines(enc, tables_for(year))


def no_contract_rate(payer: Payer, code: str) -> Finding:
    """A fee-schedule contract without a rate for a code it is billed."""
    return Finding("no-contract-rate", "warning", f"{payer.name} has no contracted rate for {code}; estimated at $0.",
                   "payer fee schedule", "Add the code to the payer's fee schedule.", code)


def allowed_lines(
    claim: Claim, payer: Payer, practice: Practice, tables_for: TablesForYear
) -> tuple[list[AllowedLine], list[Finding]]:
    """The payer's allowed amount for every line of ``claim``, with notes and payer findings."""
    findings: list[Finding] = []
    day = claim.encounter.date_of_service
    if (payer.effective_from and day < payer.effective_from) or (payer.effective_to and day > payer.effective_to):
        span = f"{payer.effective_from or '...'} to {payer.effective_to or '...'}"
        findings.append(Finding("contract-not-effective", "error",
                                f"{payer.name}'s contract is not in effect on {day.isoformat()} ({span}).",
                                "payer contract", "Check the date of service or the contract's dates."))
    basis = claim if payer.method in (Method.MEDICARE, Method.SELF_PAY, Method.FEE_SCHEDULE) \
        else _medicare_claim(claim, payer, practice, tables_for)
    out = []
    for line, base in zip(claim.lines, basis.lines, strict=True):
        charge_unit = practice.charge(line.code, line.pricing_modifier)
        charge = charge_unit * line.units if charge_unit is not None else None
        notes: list[str] = []
        limiting = None
        pcts = _pcts(line, payer)
        key = (line.code, line.pricing_modifier)
        if line.cents is None and payer.method is not Method.SELF_PAY:
            out.append(AllowedLine(line, 0, None, charge, None, (f"not payable: {line.reason}",)))
            continue
        if line.unpaid and payer.method is not Method.SELF_PAY:
            out.append(AllowedLine(line, 0, 0, charge, 0 if not practice.participating else None,
                                   (f"not paid: {line.unpaid}",)))
            continue
        if key in payer.overrides or (line.code, "") in payer.overrides:
            rate = payer.overrides.get(key, payer.overrides.get((line.code, "")))
            assert rate is not None
            allowed = _per_units(rate, pcts)
            notes.append(f"contract override {cents_to_decimal(rate)} per unit")
        elif payer.method is Method.MEDICARE:
            allowed = line.cents or 0
            notes.append("Medicare fee schedule amount")
            if not practice.participating:
                policy = tables_for(claim.year).policy
                nonpar = per_unit_share(line.unit_payments, policy.nonpar_rate)
                limiting = per_unit_share(line.unit_payments, policy.nonpar_rate * policy.limiting_charge_rate)
                notes.append(f"non-participating: 95% = {cents_to_decimal(nonpar)}; limiting charge "
                             f"{cents_to_decimal(limiting)}")
                allowed = nonpar
        elif payer.method is Method.SELF_PAY:
            if charge is None:
                allowed = line.full_cents or 0
                stand_in = claim.in_force.document_line if claim.in_force is not None else ""
                findings.append(Finding("no-charge", "warning", f"{line.code} has no charge in the charge master; "
                                        "the Medicare amount is used" + (f" ({stand_in})." if stand_in else "."),
                                        "practice charge master", "Add the code to the charge master.", line.code))
                notes.append("no charge master entry: Medicare amount used" + (f" ({stand_in})" if stand_in else ""))
            else:
                allowed = charge
                notes.append(f"charge master {cents_to_decimal(charge)}")
            if payer.self_pay_discount:
                allowed = int(scale_cents(allowed, (HUNDRED - payer.self_pay_discount) / HUNDRED))
                notes.append(f"self-pay discount {payer.self_pay_discount.normalize():f}%")
        elif payer.method is Method.FEE_SCHEDULE:
            rate = payer.fees.get(key, payer.fees.get((line.code, "")))
            if rate is None:
                allowed = 0
                findings.append(no_contract_rate(payer, line.code))
                notes.append("no contracted rate")
            else:
                allowed = _per_units(rate, pcts)
                notes.append(f"fee schedule {cents_to_decimal(rate)} per unit")
        elif payer.method is Method.OWN_CF:
            allowed = sum(_medicare_units(base, payer))
            notes.append(f"own CF {payer.conversion_factor}: {cents_to_decimal(base.unit_cents or 0)} per unit")
        else:
            units = _medicare_units(base, payer)
            medicare = sum(units)
            pct = payer.percent or Decimal(0)
            allowed = per_unit_share(units, pct / HUNDRED)
            notes.append(f"{pct.normalize():f}% of Medicare {basis.year} {basis.encounter.locality_key} "
                         f"{cents_to_decimal(medicare)}")
        if payer.em25_reduction and line.is_em and "25" in line.modifiers:
            allowed = int(scale_cents(allowed, (HUNDRED - payer.em25_reduction) / HUNDRED))
            notes.append(f"E/M with modifier 25 cut by {payer.em25_reduction.normalize():f}%")
        if charge is not None and payer.method is not Method.SELF_PAY and \
                (payer.lesser_of_charge or payer.method is Method.MEDICARE) and charge < allowed:
            notes.append(f"lesser of billed charge {cents_to_decimal(charge)}")
            allowed = charge
        if line.code in payer.prior_auth_codes:
            findings.append(Finding("prior-authorization", "warning",
                                    f"{payer.name} requires prior authorization for {line.code}.",
                                    "payer contract", "Get the authorization number before the visit.", line.code))
        out.append(AllowedLine(line, allowed, line.cents, charge, limiting, tuple(notes)))
    return out, findings

