"""Claim adjustment reason codes (CARC), remittance advice remark codes (RARC) and adjustment groups.

The code lists are maintained by X12 (CARC) and CMS (RARC); their official texts are not shipped here.  The
short descriptions below are this project's own plain words for the codes a dermatology practice meets most,
with what the billing team should do about a denial.  An unlisted code is shown as the code alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

GROUPS: Final = {
    "CO": "contractual obligation (the practice writes it off)",
    "PR": "patient responsibility (bill the patient)",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "CR": "correction or reversal",
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One CARC: our short description, whether it is a denial reason, and what to do about it."""

    code: str
    description: str
    denial: bool = True  # False: a normal part of payment (deductible, contractual write-off ...)
    action: str = "Ask the payer to reprocess the line, or appeal with the claim and the medical record."
    rule_based: bool = False  # a billing rule decides whether the denial was right (bundling, frequency)


_REASONS: Final = (
    Reason("1", "deductible: the patient's annual deductible", denial=False, action="Bill the patient."),
    Reason("2", "coinsurance: the patient's percentage share", denial=False, action="Bill the patient."),
    Reason("3", "copay: the patient's fixed share", denial=False, action="Bill the patient."),
    Reason("4", "the modifier is missing or does not fit the procedure",
           action="Correct the modifier and resubmit the claim."),
    Reason("11", "the diagnosis does not support the procedure",
           action="Check the diagnosis codes and pointers; correct and resubmit."),
    Reason("16", "the claim lacks information needed to process it (see the remark code)",
           action="Add the missing information named by the remark code and resubmit (not an appeal)."),
    Reason("18", "exact duplicate of a claim already processed",
           action="Check whether the first claim was paid; no appeal if it was."),
    Reason("29", "filed after the payer's time limit",
           action="Appeal only with proof of timely filing (clearinghouse acceptance report)."),
    Reason("45", "charge above the fee schedule or contract: the difference is written off", denial=False,
           action="Nothing: a contractual write-off (check the allowed amount against the contract)."),
    Reason("50", "not deemed medically necessary by the payer",
           action="Appeal with the note documenting necessity (lesion symptoms, risk)."),
    Reason("59", "reduced under the multiple-procedure rules", denial=False, rule_based=True,
           action="Check the reduction against the multiple-procedure rule."),
    Reason("96", "not covered by the payer", action="Check coverage; bill the patient only with a signed waiver."),
    Reason("97", "bundled: paid as part of another service on the claim", rule_based=True,
           action="Appeal with the note if the service was separate and distinct (modifier 25 or 59 as billed)."),
    Reason("151", "more services than the payer covers in the period (frequency)", rule_based=True,
           action="Appeal with the record: the contract's frequency limit was not exceeded."),
    Reason("167", "the diagnosis is not covered", action="Check the diagnosis coding; correct and resubmit."),
    Reason("197", "prior authorization was not obtained",
           action="Appeal with the authorization number, or ask for a retro-authorization."),
    Reason("204", "not covered under the patient's current benefit plan",
           action="Verify eligibility and benefits; bill the patient if they agreed in writing."),
    Reason("236", "this procedure is not paid with another one on the same day (coding edit)", rule_based=True,
           action="Appeal with the note if the procedures were separate (modifier 59/XS)."),
    Reason("253", "sequestration: the federal 2% cut of Medicare's payment", denial=False,
           action="Nothing: required by law."),
)
REASONS: Final = {r.code: r for r in _REASONS}

REMARKS: Final = {
    "M15": "separately billed services were bundled into another service",
    "M51": "missing, incomplete or invalid procedure code",
    "M76": "missing, incomplete or invalid diagnosis",
    "MA130": "the claim lacks information needed to process it; resubmit a corrected claim",
    "N130": "see the plan's benefit documents for coverage limits",
    "N362": "the number of services exceeds the number covered in the period",
    "N54": "the claim information is inconsistent with pre-certified or authorized services",
    "N20": "not paid separately when billed with this other service",
}


def reason(code: str) -> Reason:
    """The reason for a CARC (an unlisted code gets the code and a generic action)."""
    return REASONS.get(code) or Reason(code, f"reason code {code} (not described here: see the payer's remark)")


def describe(group: str, code: str) -> str:
    """'CO-97: bundled: paid as part of another service on the claim'."""
    return f"{group}-{code}: {reason(code).description}"


def describe_remark(code: str) -> str:
    """'M15: separately billed ...', or the code alone where it is not described here."""
    text = REMARKS.get(code)
    return f"{code}: {text}" if text else code
