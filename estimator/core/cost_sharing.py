"""Who pays what: the payer, a secondary plan, the patient (deductible, coinsurance, copay), sequestration.

Per line, in claim order: the copay comes first, then whatever deductible remains, then coinsurance on the
rest; the patient's running total never passes the out-of-pocket maximum left.  Medicare's own payment
is cut 2% by sequestration, never the patient's share (DOMAIN section 5).  Every split is exact in cents
and ``payer + secondary + patient + sequestration == allowed`` holds line by line.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from estimator.core.encounter import Claim
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.money import cents_to_decimal, scale_cents
from estimator.core.payers import (
    AllowedLine,
    Method,
    Payer,
    Practice,
    TablesForYear,
    allowed_lines,
)
from estimator.core.schedule import TablesInForce

HUNDRED: Final = Decimal(100)


class CopayPer(enum.StrEnum):
    VISIT = "visit"
    PROCEDURE = "procedure"


@dataclass(frozen=True, slots=True)
class Benefits:
    """The patient's plan as it stands today. ``None`` means "use the plan's standard" (Medicare's)."""

    deductible_remaining_cents: int | None = None
    coinsurance_pct: Decimal | None = None
    copay_cents: int = 0
    copay_per: CopayPer = CopayPer.VISIT
    oop_remaining_cents: int | None = None  # None: no out-of-pocket maximum to worry about
    secondary_pct: Decimal = Decimal(0)  # share of the patient's part a secondary plan pays

    @property
    def entered(self) -> bool:
        """Whether anything about the patient's own plan was entered (a commercial plan has no standard)."""
        return (self.deductible_remaining_cents is not None or self.coinsurance_pct is not None
                or self.copay_cents != 0 or self.oop_remaining_cents is not None)

    def __post_init__(self) -> None:
        checks = [
            (self.deductible_remaining_cents is not None and self.deductible_remaining_cents < 0,
             "deductible remaining cannot be negative"),
            (self.coinsurance_pct is not None and not 0 <= self.coinsurance_pct <= 100,
             "coinsurance must be between 0 and 100%"),
            (self.copay_cents < 0, "copay cannot be negative"),
            (self.oop_remaining_cents is not None and self.oop_remaining_cents < 0,
             "out-of-pocket remaining cannot be negative"),
            (not 0 <= self.secondary_pct <= 100, "secondary coverage must be between 0 and 100%"),
        ]
        problems = [message for bad, message in checks if bad]
        if problems:
            raise InputError("; ".join(problems))


@dataclass(frozen=True, slots=True)
class EstimateLine:
    """One claim line split between everyone who pays it."""

    allowed: AllowedLine
    copay_cents: int
    deductible_cents: int
    coinsurance_cents: int
    payer_cents: int
    secondary_cents: int
    sequestration_cents: int
    self_pay_cents: int = 0  # uninsured: the whole allowed amount
    unassigned: bool = False  # non-par claim not on assignment: the patient pays the bill, Medicare reimburses
    excess_cents: int = 0  # unassigned: billed above the allowed amount (up to the limiting charge)
    reimbursed_cents: int = 0  # unassigned: what Medicare pays the patient back (its share less sequestration)

    @property
    def patient_cents(self) -> int:
        """What the patient pays the practice (unassigned: the whole bill, before Medicare's reimbursement)."""
        bill = self.excess_cents + self.reimbursed_cents + self.sequestration_cents if self.unassigned else 0
        return (self.copay_cents + self.deductible_cents + self.coinsurance_cents + self.self_pay_cents
                + bill - self.secondary_cents)

    @property
    def net_patient_cents(self) -> int:
        """The patient's own cost after Medicare's reimbursement (equals ``patient_cents`` on assigned claims)."""
        return self.patient_cents - self.reimbursed_cents

    @property
    def allowed_cents(self) -> int:
        return self.allowed.allowed_cents

    @property
    def adjustment_cents(self) -> int | None:
        """Contractual adjustment: billed charge minus allowed (None without a charge)."""
        charge = self.allowed.charge_cents
        return None if charge is None else charge - self.allowed_cents


@dataclass(frozen=True, slots=True)
class Estimate:
    """A claim priced for one payer and one patient."""

    payer: Payer
    claim: Claim
    lines: tuple[EstimateLine, ...]
    findings: tuple[Finding, ...]
    assumptions: tuple[str, ...]
    unassigned: bool = False  # a non-par claim not on assignment: the patient pays, Medicare reimburses
    #: False for a commercial plan whose benefits were not entered: the split between payer and patient
    #: is then unknown (``patient_owes_cents`` and ``payer_pays_cents`` are ``None``).
    patient_known: bool = True

    def total(self, attribute: str) -> int:
        return sum(int(getattr(line, attribute) or 0) for line in self.lines)

    @property
    def allowed_cents(self) -> int:
        return self.total("allowed_cents")

    @property
    def provisional(self) -> TablesInForce | None:
        """The stand-in release when an amount rests on Medicare rates of a year not yet published."""
        if uses_provisional_rates(self.claim, self.payer, [line.allowed for line in self.lines]):
            return self.claim.in_force
        return None

    @property
    def payer_cents(self) -> int:
        return self.total("payer_cents")

    @property
    def patient_cents(self) -> int:
        return self.total("patient_cents")

    @property
    def patient_owes_cents(self) -> int | None:
        """What the patient owes, or ``None`` when the plan's benefits are unknown."""
        return self.patient_cents if self.patient_known else None

    @property
    def payer_pays_cents(self) -> int | None:
        """What the payer pays, or ``None`` when the plan's benefits are unknown."""
        return self.payer_cents if self.patient_known else None

    @property
    def sequestration_cents(self) -> int:
        return self.total("sequestration_cents")

    @property
    def secondary_cents(self) -> int:
        return self.total("secondary_cents")

    @property
    def reimbursed_cents(self) -> int:
        return self.total("reimbursed_cents")

    @property
    def net_patient_cents(self) -> int:
        return self.total("net_patient_cents")

    @property
    def charge_cents(self) -> int | None:
        charges = [line.allowed.charge_cents for line in self.lines]
        return None if any(c is None for c in charges) else sum(c or 0 for c in charges)

    @property
    def limiting_charge_cents(self) -> int | None:
        limits = [line.allowed.limiting_charge_cents for line in self.lines]
        return None if all(v is None for v in limits) else sum(v or 0 for v in limits)


def uses_provisional_rates(claim: Claim, payer: Payer, allowed: Sequence[AllowedLine]) -> bool:
    """Whether an amount rests on Medicare rates that only stand in for a year not yet published.

    A self-pay price comes from the charge master and needs no Medicare rates, except for a code the
    charge master lacks (priced at Medicare's amount).
    """
    if claim.in_force is None or not claim.in_force.provisional:
        return False
    return payer.method is not Method.SELF_PAY or any(a.charge_cents is None for a in allowed)


def estimate(
    claim: Claim,
    payer: Payer,
    practice: Practice,
    benefits: Benefits,
    tables_for: TablesForYear,
    *,
    assigned: bool | None = None,
) -> Estimate:
    """Split every line of ``claim`` under ``payer``'s contract and the patient's ``benefits``.

    ``assigned`` (None: the practice's setting) matters for a non-participating practice billing Medicare:
    unassigned, the patient pays the practice up to the limiting charge and Medicare pays the patient its
    share of the non-par amount (after the deductible, less sequestration) - DOMAIN s5.

    Raises:
        InputError: ``assigned=False`` for a participating practice (participating providers always take
            assignment).
    """
    if assigned is False and practice.participating:
        raise InputError("a participating practice always takes assignment; unassigned claims are for "
                         "non-participating practices (set the practice as non-participating first)")
    unassigned = (not assigned if assigned is not None else practice.unassigned) and \
        payer.method is Method.MEDICARE and not practice.participating
    allowed, findings = allowed_lines(claim, payer, practice, tables_for)
    policy = tables_for(claim.year).policy
    assumptions = [f"Allowed amounts: {payer.describe()}."]
    self_pay = payer.method is Method.SELF_PAY
    medicare = payer.method is Method.MEDICARE
    deductible_left = benefits.deductible_remaining_cents
    coinsurance = benefits.coinsurance_pct
    if medicare:
        if deductible_left is None:
            deductible_left = int(policy.part_b_deductible * 100)
            assumptions.append(f"Part B deductible not yet met: the full {policy.year} deductible "
                               f"${policy.part_b_deductible} is assumed to remain.")
        if coinsurance is None:
            coinsurance = policy.coinsurance * HUNDRED
        assumptions.append(f"Medicare's payment is reduced {policy.sequestration * HUNDRED:.0f}% by sequestration; "
                           "the patient's share is not.")
    deductible_left = deductible_left or 0
    coinsurance = coinsurance if coinsurance is not None else Decimal(0)
    oop_left = benefits.oop_remaining_cents
    copay_visit_left = benefits.copay_cents if benefits.copay_per is CopayPer.VISIT else 0
    lines = []
    for a in allowed:
        amount = a.allowed_cents
        if self_pay:
            lines.append(EstimateLine(a, 0, 0, 0, 0, 0, 0, self_pay_cents=amount))
            continue
        if benefits.copay_per is CopayPer.PROCEDURE and not a.line.is_em and a.line.global_days != "ZZZ":
            copay = min(benefits.copay_cents, amount)
        else:
            copay = min(copay_visit_left, amount)
            copay_visit_left -= copay
        rest = amount - copay
        deductible = min(deductible_left, rest)
        deductible_left -= deductible
        coins = int(scale_cents(rest - deductible, coinsurance / HUNDRED))
        if oop_left is not None:
            # Cap the patient's share at what is left of the out-of-pocket maximum, in this order.
            copay = min(copay, oop_left)
            deductible = min(deductible, oop_left - copay)
            coins = min(coins, oop_left - copay - deductible)
            oop_left -= copay + deductible + coins
        patient = copay + deductible + coins
        secondary = int(scale_cents(patient, benefits.secondary_pct / HUNDRED))
        payer_share = amount - patient
        seq = int(scale_cents(payer_share, policy.sequestration)) if medicare else 0
        if unassigned:
            # The practice bills the patient (up to the limiting charge); Medicare pays its share to the patient.
            bill = a.limiting_charge_cents or amount
            if a.charge_cents is not None:
                bill = min(bill, a.charge_cents)
            lines.append(EstimateLine(a, copay, deductible, coins, 0, secondary, seq, unassigned=True,
                                      excess_cents=max(bill - amount, 0), reimbursed_cents=payer_share - seq))
            continue
        lines.append(EstimateLine(a, copay, deductible, coins, payer_share - seq, secondary, seq))
    if self_pay:
        assumptions.append("Self-pay: the patient owes the whole amount.")
    else:
        given = benefits.deductible_remaining_cents
        deductible_text = "standard" if given is None else str(cents_to_decimal(given))
        oop = benefits.oop_remaining_cents
        assumptions.append(
            f"Patient benefits: deductible remaining {deductible_text}, coinsurance {coinsurance.normalize():f}%, "
            f"copay {cents_to_decimal(benefits.copay_cents)} per {benefits.copay_per.value}, out-of-pocket "
            f"remaining {'not limited' if oop is None else cents_to_decimal(oop)}.")
        assumptions.append("Copay is taken first, then the deductible, then coinsurance on the rest of each line.")
    if benefits.secondary_pct:
        assumptions.append(f"A secondary plan pays {benefits.secondary_pct.normalize():f}% of the patient's share.")
    known = medicare or self_pay or benefits.entered
    if not known:
        assumptions[1:] = ["Patient benefits not entered: the patient's share is unknown."]
        findings = [*findings, BENEFITS_UNKNOWN]
    if uses_provisional_rates(claim, payer, allowed):
        assert claim.in_force is not None
        assumptions.append(f"Provisional: {claim.in_force.note}")
    if unassigned:
        bill = sum(line.patient_cents for line in lines)
        back = sum(line.reimbursed_cents for line in lines)
        assumptions.append(f"Unassigned claim (non-participating practice): the patient pays the practice "
                           f"{cents_to_decimal(bill)} (at most the limiting charge, 115% of the non-participating "
                           f"amount); Medicare then pays the patient {cents_to_decimal(back)} (its share after the "
                           f"deductible, less sequestration), so the patient's own cost is "
                           f"{cents_to_decimal(bill - back)}.")
    return Estimate(payer, claim, tuple(lines), (*claim.findings, *findings), tuple(assumptions),
                    unassigned=unassigned, patient_known=known)


#: Found when a commercial plan's benefits were not entered: its patient share cannot be estimated.
BENEFITS_UNKNOWN: Final = Finding(
    "benefits-unknown", "warning", "Patient share unknown: enter benefits (the plan's deductible remaining, "
    "coinsurance and copay); only the allowed amount is known.",
    "the plan's eligibility and benefits response (X12 271); a commercial plan has no standard cost sharing",
    fix="Enter the deductible remaining, coinsurance, copay or out-of-pocket remaining from the eligibility check")


def split_checks(lines: Sequence[EstimateLine]) -> bool:
    """True when every line splits exactly (used by tests and as a guard in reports); on an unassigned claim
    the patient pays the whole bill (allowed + excess), sequestration included."""
    return all(line.payer_cents + line.secondary_cents + line.patient_cents
               + (0 if line.unassigned else line.sequestration_cents)
               == line.allowed_cents + line.excess_cents for line in lines)
