"""Billing rule checks: each returns findings (never raises) with the rule's source.

Rules covered (DOMAIN sections 3-4): the lesion tiers and their unit limits, modifier 25 on a same-day
E/M, modifier validity, diagnosis fit, payable status and setting, global periods, the
multiple-procedure reduction, and the documentation checklist.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Final

from estimator.core import codes as cs
from estimator.core.encounter import Claim, Encounter, price_lines
from estimator.core.findings import SEVERITY_ORDER, Finding, Severity
from estimator.core.money import cents_to_decimal
from estimator.core.schedule import TableSet

SRC_LESIONS: Final = ("CPT instructions for 17000-17004; CMS Recovery Audit issue 0121 "
                      "(17000 once a day, 17003 up to 13 a day, 17004 once a day)")
SRC_EM25: Final = "CMS Claims Processing Manual ch. 12 s30.6.6(B); NCCI Policy Manual ch. 11"
SRC_MODIFIERS: Final = "CMS Claims Processing Manual ch. 12 s30.6.6 and s40.2; NCCI modifier policy"
SRC_DIAGNOSIS: Final = "ICD-10-CM coding for skin destruction: L57.0 -> 17000-17004; benign -> 17110/17111; " \
                       "malignant -> 17260-17286 (MAC LCD/LCA for benign and premalignant lesion removal)"
SRC_STATUS: Final = "PPRRVU status indicators (RVU26B.pdf, Attachment A)"
SRC_GLOBAL: Final = "CMS Claims Processing Manual ch. 12 s40.1-40.2 (global surgery; modifiers 24, 58, 79)"
SRC_MPPR: Final = "CMS Claims Processing Manual ch. 12 s40.6; PPRRVU multiple-procedure indicator 2"
SRC_G2211: Final = "CY 2024 PFS final rule: G2211 is not payable with an E/M carrying modifier 25 " \
                   "(CY 2025 exception: same-day preventive services only)"
SRC_DOCS: Final = "MAC documentation requirements for lesion destruction (site, size, appearance, method, " \
                  "count, consent)"
GLOBAL_AFTER_DAYS: Final = {"000": 0, "010": 10, "090": 90}
UNIT_LIMITS: Final = {"17000": 1, "17003": 13, "17004": 1}

Check = Callable[[Claim, TableSet], Iterator[Finding]]


def global_period(global_days: str, procedure_day: dt.date) -> tuple[dt.date, dt.date] | None:
    """First and last day of a procedure's global period, or ``None`` where it has none.

    000: the procedure day; 010: that day plus 10 days; 090: the day before through 90 days after.
    """
    if global_days not in GLOBAL_AFTER_DAYS:
        return None
    start = procedure_day - dt.timedelta(days=1) if global_days == "090" else procedure_day
    return start, procedure_day + dt.timedelta(days=GLOBAL_AFTER_DAYS[global_days])


def _units(claim: Claim) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in claim.lines:
        counts[line.code] += line.units
    return counts


def check_lesion_tiers(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    units = _units(claim)
    if units["17004"] and (units["17000"] or units["17003"]):
        yield Finding("lesion-17004-exclusive", "error",
                      "17004 (15 or more lesions) is billed alone: it cannot go with 17000 or 17003 on the same day.",
                      SRC_LESIONS, "Bill 17004 x1 alone for 15+ lesions, or 17000 + 17003 for 2-14.", "17004")
    if units["17003"] and not units["17000"]:
        yield Finding("lesion-17003-needs-17000", "error",
                      "17003 is an add-on: it is billed only together with 17000 for the first lesion.",
                      SRC_LESIONS, "Add 17000 x1 for the first lesion.", "17003")
    for code, limit in UNIT_LIMITS.items():
        if units[code] > limit:
            yield Finding("unit-limit", "error",
                          f"{code} is billed {units[code]} times; at most {limit} a day is allowed.",
                          SRC_LESIONS, "For 15 or more lesions bill 17004 x1 instead." if code != "17004"
                          else "Bill 17004 once, whatever the count.", code)


def check_modifiers(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    minor_today = any(line.is_minor_procedure for line in claim.lines if not line.is_em)
    for line in claim.lines:
        mods = set(line.modifiers)
        if line.is_em and minor_today and "25" not in mods:
            yield Finding("em-needs-25", "error",
                          f"{line.code} is billed on the same day as a minor procedure without modifier 25; "
                          "it will be bundled into the procedure and not paid.",
                          SRC_EM25, f"Add modifier 25 to {line.code} if the visit was significant and "
                          "separately identifiable (document it).", line.code)
        if line.is_em and "25" in mods and not minor_today:
            yield Finding("modifier-25-unneeded", "warning",
                          f"{line.code}-25: no minor procedure is billed today, so modifier 25 is not needed.",
                          SRC_EM25, "Remove modifier 25.", line.code)
        if "25" in mods and not line.is_em:
            yield Finding("modifier-25-not-visit", "error", f"Modifier 25 is for E/M visits, not {line.code}.",
                          SRC_MODIFIERS, "Remove modifier 25 from the procedure.", line.code)
        if "24" in mods and not line.is_em:
            yield Finding("modifier-24-not-visit", "error", f"Modifier 24 is for E/M visits, not {line.code}.",
                          SRC_MODIFIERS, "Use 79 for an unrelated procedure in a global period.", line.code)
        if mods & {"79", "58", "76", "77"} and line.is_em:
            bad = ", ".join(sorted(mods & {"79", "58", "76", "77"}))
            yield Finding("procedure-modifier-on-visit", "error",
                          f"Modifier {bad} is for procedures, not the visit {line.code}.",
                          SRC_MODIFIERS, "Use 24 (unrelated visit in a global period) or 25 instead.", line.code)
        if {"LT", "RT"} <= mods:
            yield Finding("laterality-both", "error", f"{line.code} carries both LT and RT.",
                          SRC_MODIFIERS, "Bill one line per side (LT, RT) or use 50 where the code allows it.",
                          line.code)
        if "50" in mods and tables.schedule.has(line.code) and \
                str(tables.schedule.bilateral[tables.schedule.row(line.code)]) not in ("1",):
            yield Finding("bilateral-not-allowed", "warning",
                          f"{line.code} does not take the bilateral payment rule (BILAT SURG indicator is not 1).",
                          SRC_MODIFIERS, "Remove modifier 50; use LT/RT or separate sites.", line.code)
        if mods & cs.DISTINCT_SERVICE and line.global_days == "ZZZ":
            yield Finding("distinct-on-add-on", "warning",
                          f"{line.code} is an add-on; 59/X modifiers belong on the primary procedure.",
                          SRC_MODIFIERS, "Move the 59/XS modifier to the primary code.", line.code)
    em_lines = [line for line in claim.lines if line.is_em]
    if any(line.code == cs.G2211 for line in claim.lines) and any("25" in e.modifiers for e in em_lines):
        yield Finding("g2211-with-25", "warning",
                      "G2211 is not paid when the visit carries modifier 25 for a same-day procedure.",
                      SRC_G2211, "Drop G2211 unless the same-day service is a preventive service.", cs.G2211)


def check_diagnoses(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    for line in claim.lines:
        if line.code == cs.G2211:
            continue
        if not line.diagnoses:
            yield Finding("diagnosis-missing", "warning", f"{line.code} has no diagnosis code.",
                          SRC_DIAGNOSIS, "Add the ICD-10-CM code that supports it (L57.0 for actinic keratosis).",
                          line.code)
            continue
        families = {cs.diagnosis_family(d) for d in line.diagnoses}
        expected = ("premalignant" if line.code in cs.PREMALIGNANT else "benign" if line.code in cs.BENIGN_DESTRUCTION
                    else "malignant" if line.code in cs.MALIGNANT_DESTRUCTION else None)
        if expected is None or expected in families:
            continue
        dx = ", ".join(line.diagnoses)
        pointer = {"premalignant": "17000-17004", "benign": "17110/17111", "malignant": "17260-17286"}
        better = next((pointer[f] for f in ("malignant", "benign", "premalignant") if f in families), None)
        message = f"{line.code} is for {expected} lesions but the diagnosis is {dx}"
        message += f", which points to {better}." if better else "; a denial risk."
        fix = (f"Bill {better} for these lesions, or correct the diagnosis." if better
               else "Use the diagnosis that matches (L57.0 for actinic keratosis)" if expected == "premalignant"
               else "Check the diagnosis against the lesion type.")
        yield Finding("diagnosis-mismatch", "warning", message, SRC_DIAGNOSIS, fix, line.code)


def check_status(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    others = len(claim.lines) > 1
    for line in claim.lines:
        status = str(tables.schedule.status[tables.schedule.row(line.code, line.pricing_modifier)])
        if line.reason is not None:
            severity: Severity = "warning" if status == "C" else "error"
            yield Finding("not-payable", severity, f"{line.code}: {line.reason}.", SRC_STATUS,
                          "Enter the MAC's price by hand." if status == "C"
                          else "Remove the line or use the code Medicare pays for this service.", line.code)
        elif status == "R":
            yield Finding("restricted-coverage", "info", f"{line.code} has restricted coverage (status R).",
                          SRC_STATUS, "Check the MAC's coverage policy before billing.", line.code)
        elif status == "T" and others:
            yield Finding("paid-only-alone", "warning",
                          f"{line.code} (status T) is paid only when no other service is billed that day.",
                          SRC_STATUS, "Expect no payment for it on this claim.", line.code)


def check_global_period(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    day = claim.encounter.date_of_service
    for prior in claim.encounter.prior_services:
        if not tables.schedule.has(prior.code) or prior.date >= day:
            continue
        period = global_period(str(tables.schedule.global_days[tables.schedule.row(prior.code)]), prior.date)
        if period is None or not period[0] <= day <= period[1]:
            continue
        through = period[1].isoformat()
        for line in claim.lines:
            if line.is_em and "24" not in line.modifiers:
                yield Finding("global-period-visit", "warning",
                              f"{line.code} falls inside the global period of {prior.code} done on "
                              f"{prior.date.isoformat()} (through {through}); related follow-up is not paid.",
                              SRC_GLOBAL, f"If the visit is unrelated to {prior.code}, add modifier 24.", line.code)
            elif line.global_days != "ZZZ" and not line.is_em and not set(line.modifiers) & {"79", "58"}:
                yield Finding("global-period-procedure", "warning",
                              f"{line.code} falls inside the global period of {prior.code} done on "
                              f"{prior.date.isoformat()} (through {through}).",
                              SRC_GLOBAL, "Add 79 if unrelated, or 58 if staged/planned.", line.code)


def check_mppr(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    for line in claim.lines:
        reduced = [p for p in line.payment_pcts if p < 100]
        if reduced and line.unit_cents is not None and line.cents is not None:
            ranks = ", ".join(str(r) for r in line.mppr_ranks)
            yield Finding("mppr-applied", "info",
                          f"{line.code} is paid at {reduced[0]}% (rank {ranks} among the day's indicator-2 "
                          f"procedures): {cents_to_decimal(line.cents)} instead of "
                          f"{cents_to_decimal(line.full_cents or 0)}; modifier 51 shown.",
                          SRC_MPPR, "", line.code)
        if line.by_report:
            yield Finding("mppr-by-report", "warning",
                          f"{line.code}: more than five procedures subject to the reduction; the MAC prices the "
                          "rest 'by report' (estimated here at 50%).", SRC_MPPR,
                          "Send documentation with the claim.", line.code)


def check_documentation(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    destruction = cs.PREMALIGNANT | cs.BENIGN_DESTRUCTION | cs.MALIGNANT_DESTRUCTION
    if not any(line.code in destruction for line in claim.lines):
        return
    documented = claim.encounter.documented
    if documented is None:
        needed = ", ".join(k if k not in cs.OPTIONAL_DOCUMENTATION else f"{k} (where used)"
                           for k in cs.DOCUMENTATION_ELEMENTS)
        yield Finding("documentation-unchecked", "info",
                      f"Make sure the note records: {needed}.", SRC_DOCS,
                      "Tick the documentation checklist to confirm.")
        return
    for key, text in cs.DOCUMENTATION_ELEMENTS.items():
        if key not in documented and key not in cs.OPTIONAL_DOCUMENTATION:
            yield Finding("documentation-missing", "warning", f"The note does not record the {text}.",
                          SRC_DOCS, f"Document the {text} before billing.")


CHECKS: Final[tuple[Check, ...]] = (
    check_lesion_tiers, check_modifiers, check_diagnoses, check_status, check_global_period, check_mppr,
    check_documentation,
)


def check_claim(claim: Claim, tables: TableSet) -> list[Finding]:
    """Every rule's findings, errors first."""
    found = [finding for check in CHECKS for finding in check(claim, tables)]
    return sorted(found, key=lambda f: SEVERITY_ORDER[f.severity])


def build_claim(encounter: Encounter, tables: TableSet) -> Claim:
    """Price an encounter and check it: the one entry point the CLI, GUI and reports use.

    Raises:
        InputError / UnknownCodeError / UnknownLocalityError: input that cannot be priced at all.
    """
    claim = price_lines(encounter, tables)
    return Claim(claim.encounter, claim.year, claim.release, claim.place, claim.setting, claim.lines,
                 tuple(check_claim(claim, tables)))
