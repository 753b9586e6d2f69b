"""Billing rule checks: each returns findings (never raises) with the rule's source.

Rules covered (DOMAIN sections 3-4): the lesion tiers, CMS's unit limits (MUE) and add-on primaries (AOC)
for every code, the biopsy, benign-destruction and photodynamic families, modifier 25 / 57 on a same-day
E/M, bilateral billing, G2211, modifier validity, diagnosis fit, payable status and setting, global
periods, the multiple-procedure reduction, the documentation checklist, and NCCI procedure-to-procedure (PTP)
pairs when the user has imported CMS's PTP file for the year (not shipped; without it the explicit pair rules
here are all there is, and with it they still apply to the pairs the table lacks).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Final

from estimator.core import codes as cs
from estimator.core.encounter import Claim, ClaimLine, Encounter, price_lines
from estimator.core.findings import SEVERITY_ORDER, Finding, Severity
from estimator.core.lesions import PLAUSIBLE_LESIONS
from estimator.core.money import cents_to_decimal
from estimator.core.ncci import (
    AOC_CONTRACTOR,
    AOC_ONLY_LISTED,
    MAI_DAY_ABSOLUTE,
    MAI_LINE,
    PTP_NOT_ALLOWED,
    pair_verdicts,
)
from estimator.core.schedule import TableSet

SRC_LESIONS: Final = ("CPT instructions for 17000-17004; CMS Recovery Audit issue 0121 "
                      "(17000 once a day, 17003 up to 13 a day, 17004 once a day)")
SRC_MUE: Final = ("CMS NCCI practitioner MUE table{quarter} (MAI 1 claim line, 2 date of service absolute, "
                  "3 date of service clinical); units over the MUE deny the claim line")
SRC_AOC: Final = ("CMS NCCI add-on code edit table{quarter} (type 1 listed primaries only, 2 contractor decides, "
                  "3 listed + others)")
SRC_BIOPSY: Final = ("CPT biopsy instructions (11102-11107, 2019): one primary biopsy code per encounter, the most "
                     "invasive technique (incisional > punch > tangential); each further lesion by its add-on")
SRC_BENIGN: Final = "CPT descriptors of 17110 (up to 14 lesions) and 17111 (15 or more); MUE 1 each (MAI 2)"
SRC_PDT: Final = "CPT descriptors of 96567, 96573 and 96574 (per day / per session); MUE 1 each"
SRC_EM25: Final = ("CMS Claims Processing Manual ch. 12 s30.6.6(B) (modifier 25); NCCI Policy Manual ch. XI "
                   "(E/M with a procedure without a global period, XXX)")
SRC_EM57: Final = ("CMS Claims Processing Manual ch. 12 s40.1 (visits the day before and the day of a major "
                   "surgery are in its global package) and s40.2(A)(4) (modifier 57, decision for surgery)")
SRC_MODIFIERS: Final = "CMS Claims Processing Manual ch. 12 s30.6.6 and s40.2; NCCI modifier policy"
SRC_BILATERAL: Final = ("PPRRVU bilateral surgery indicator (RVU26B.pdf, BILAT SURG); CMS Claims Processing Manual "
                        "ch. 12 s40.7 (bilateral surgeries)")
SRC_DIAGNOSIS: Final = "ICD-10-CM coding for skin destruction: L57.0 -> 17000-17004; benign -> 17110/17111; " \
                       "malignant -> 17260-17286 (MAC LCD/LCA for benign and premalignant lesion removal)"
SRC_STATUS: Final = "PPRRVU status indicators (RVU26B.pdf, Attachment A)"
SRC_NA: Final = ("PPRRVU NA indicators (RVU26B.pdf: NA = rarely or never performed in that setting); CMS payment "
                 "amount file PFREV26B (its NA column repeats the priced setting's amount)")
SRC_STATUS_T: Final = ("PPRRVU status T (RVU26B.pdf, Attachment A): paid only if no other service payable under "
                       "the fee schedule is billed the same date by the same provider; otherwise bundled")
SRC_GLOBAL: Final = "CMS Claims Processing Manual ch. 12 s40.1-40.2 (global surgery; modifiers 24, 58, 79)"
SRC_PTP: Final = ("CMS NCCI practitioner PTP edits ({source}): column 2 is denied beside column 1 unless "
                  "modifier indicator 1 and a PTP-associated modifier; NCCI Policy Manual ch. I (modifier "
                  "indicators, PTP-associated modifiers); CMS MLN1783722 (modifiers 59, XE, XP, XS, XU)")
SRC_MPPR: Final = "CMS Claims Processing Manual ch. 12 s40.6; PPRRVU multiple-procedure indicator 2"
SRC_G2211: Final = "CY 2024 PFS final rule (88 FR 78818): G2211 is not payable with an E/M carrying modifier 25; " \
                   + cs.G2211_WITH_25_SOURCE
SRC_DOCS: Final = "MAC documentation requirements for lesion destruction (site, size, appearance, method, " \
                  "count, consent)"
GLOBAL_AFTER_DAYS: Final = {"000": 0, "010": 10, "090": 90}
#: What to bill instead when a code is over its unit limit (the generic fix says how many units).
OVER_LIMIT_FIX: Final = {
    "17000": "17000 is for the first lesion only: bill 17000 x1 and 17003 for each further lesion (2-14).",
    "17003": "For 15 or more lesions bill 17004 x1 alone instead of 17000 + 17003.",
    "17004": "Bill 17004 once, whatever the number of lesions (15 or more).",
    "17110": "Bill 17110 once for up to 14 benign lesions, or 17111 once for 15 or more.",
    "17111": "Bill 17111 once, whatever the number of lesions (15 or more).",
    "11102": "Bill 11102 x1 and 11103 for each further tangential biopsy.",
    "11104": "Bill 11104 x1 and 11105 for each further punch biopsy.",
    "11106": "Bill 11106 x1 and 11107 for each further incisional biopsy.",
}
#: Biopsy primaries, most invasive first, and each technique's add-on (CPT 2019).
BIOPSY_PRIMARY_ADD_ON: Final = {"11106": "11107", "11104": "11105", "11102": "11103"}

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
    if claim.encounter.lesions > PLAUSIBLE_LESIONS:
        yield Finding("lesion-count-implausible", "warning",
                      f"{claim.encounter.lesions} lesions destroyed in one visit is unusual (more than "
                      f"{PLAUSIBLE_LESIONS}); check the count. Payment is the same for any count from 15 up "
                      "(17004 x1).", SRC_LESIONS, "Check the lesion count in the note.", "17004")
    paired = [code for code in ("17000", "17003") if units[code]]
    day = claim.encounter.date_of_service
    if units["17004"] and paired and not all(tables.ncci.has_pair("17004", c, day) for c in paired):
        yield Finding("lesion-17004-exclusive", "error",
                      "17004 (15 or more lesions) is billed alone: it cannot go with 17000 or 17003 on the same day.",
                      SRC_LESIONS, "Bill 17004 x1 alone for 15+ lesions, or 17000 + 17003 for 2-14.", "17004")


def _quarter(tables: TableSet) -> str:
    return f" ({tables.ncci.quarter})" if tables.ncci.quarter else ""


def check_unit_limits(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    """Every code against its MUE: the whole line (MAI 1) or every line of the code that day (MAI 2/3) is denied."""
    units = _units(claim)
    for code in dict.fromkeys(line.code for line in claim.lines):
        limit = tables.ncci.limit(code)
        if limit is None:
            continue
        source = SRC_MUE.format(quarter=_quarter(tables)) if tables.ncci.has_unit_limits else limit.rationale
        instead = OVER_LIMIT_FIX.get(code, f"Bill {code} x{limit.units}.")
        if limit.units == 1 and _bilateral_code(code, tables):
            instead = f"For both sides bill {code}-50 x1 on one line (CMS counts it as one unit); else {code} x1."
        if limit.mai == MAI_LINE:
            for line in claim.lines:
                if line.code == code and line.units > limit.units:
                    yield Finding("unit-limit", "error",
                                  f"{code} is billed {line.units} units on one line; its MUE is {limit.units} per "
                                  "claim line (MAI 1): Medicare denies the whole line, so it is estimated at $0.00.",
                                  source, f"Bill at most {limit.units} units per line; put further units that were "
                                  "truly separate on another line with 76, 59/XS or an anatomic modifier.", code)
        elif units[code] > limit.units and limit.mai == MAI_DAY_ABSOLUTE:
            yield Finding("unit-limit", "error",
                          f"{code} is billed {units[code]} units in one day; its MUE is {limit.units} a day (MAI 2, "
                          "absolute: a policy limit that cannot be appealed). Medicare denies every line of "
                          f"{code} that day, so it is estimated at $0.00.", source, instead, code)
        elif units[code] > limit.units:
            yield Finding("unit-limit", "warning",
                          f"{code} is billed {units[code]} units in one day; its MUE is {limit.units} a day (MAI 3, "
                          f"clinical). Medicare denies every line of {code} that day (estimated at $0.00); the "
                          "denial can be appealed with records showing the units were medically necessary.",
                          source, f"Bill {code} x{limit.units} unless the record supports more; then expect a "
                          "denial and appeal it with the documentation.", code)


def _bilateral_code(code: str, tables: TableSet) -> bool:
    return tables.schedule.has(code) and str(tables.schedule.bilateral[tables.schedule.row(code)]) in ("1", "2", "3")


def check_add_ons(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    """An add-on code needs one of its primary codes the same day (AOC table; 17003 -> 17000 without one)."""
    day = claim.encounter.date_of_service
    billed = {line.code for line in claim.lines}
    source = SRC_AOC.format(quarter=_quarter(tables)) if tables.ncci.add_ons else SRC_LESIONS
    for code in dict.fromkeys(line.code for line in claim.lines):
        edit = tables.ncci.primaries(code, day)
        if edit is None:
            continue
        kind, primaries = edit
        if primaries & billed:
            continue
        listed = ", ".join(sorted(primaries)[:8]) + (" ..." if len(primaries) > 8 else "")
        if kind == AOC_ONLY_LISTED:
            yield Finding("add-on-without-primary", "error",
                          f"{code} is an add-on code: it is paid only beside one of its primary codes ({listed}), "
                          "and none is billed the same day.", source,
                          f"Bill the primary procedure ({sorted(primaries)[0]}) for the first service, or bill "
                          f"the primary code instead of {code}.", code)
        elif kind == AOC_CONTRACTOR:
            yield Finding("add-on-without-primary", "warning",
                          f"{code} is an add-on code whose primary codes your MAC decides (AOC type 2); make sure "
                          "its primary procedure is billed the same day.", source,
                          "Check the MAC's article for the primary codes it accepts.", code)
        else:
            yield Finding("add-on-without-primary", "warning",
                          f"{code} is an add-on code: CMS lists its primaries as {listed}, and your MAC may allow "
                          "others (AOC type 3); none of the listed is billed the same day.", source,
                          f"Check that your MAC accepts today's primary for {code}; otherwise bill one of {listed}.",
                          code)


def check_code_families(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    """Biopsies (one primary per encounter), 17110 vs 17111, and one photodynamic therapy code per session."""
    units = _units(claim)
    primaries = [(code, units[code]) for code in BIOPSY_PRIMARY_ADD_ON if units[code]]
    if sum(n for _, n in primaries) > 1:
        first = primaries[0][0]
        recoded: Counter[str] = Counter({first: 1})
        for code, n in primaries:
            recoded[BIOPSY_PRIMARY_ADD_ON[code]] += n - (1 if code == first else 0)
        for add_on in BIOPSY_PRIMARY_ADD_ON.values():
            recoded[add_on] += units[add_on]
        billed = " + ".join(f"{c} x{n}" for c, n in _biopsy_order(units))
        as_coded = " + ".join(f"{c} x{n}" for c, n in _biopsy_order(recoded))
        yield Finding("biopsy-one-primary", "error",
                      f"Biopsies billed as {billed}: only one primary biopsy code is billed per encounter (the "
                      "most invasive technique); each further lesion is billed with its technique's add-on.",
                      SRC_BIOPSY, f"Bill {as_coded}.", first)
    day = claim.encounter.date_of_service
    if units["17110"] and units["17111"] and not tables.ncci.has_pair("17110", "17111", day):
        yield Finding("benign-destruction-exclusive", "error",
                      "17110 (up to 14 benign lesions) and 17111 (15 or more) are never billed together.",
                      SRC_BENIGN, "Count the benign lesions destroyed today: bill 17110 x1 for up to 14, or 17111 x1 "
                      "for 15 or more.", "17111")
    pdt = [line for line in claim.lines if line.code in cs.PHOTODYNAMIC]
    # One unit each of different codes whose pairs are all in an imported PTP table: the table decides.
    by_table = len({line.code for line in pdt}) == len(pdt) == sum(line.units for line in pdt) and all(
        tables.ncci.has_pair(a.code, b.code, day) for a in pdt for b in pdt if a.code < b.code)
    if sum(line.units for line in pdt) > 1 and not by_table:
        billed = " + ".join(f"{line.code} x{line.units}" for line in pdt)
        distinct = any(set(line.modifiers) & cs.DISTINCT_SERVICE for line in pdt)
        yield Finding("photodynamic-one-per-session", "info" if distinct else "warning",
                      f"Photodynamic therapy billed as {billed}: one of 96567, 96573 and 96574 is billed per "
                      "session for an area." + (" A 59/X modifier says the areas were separate." if distinct
                                                else ""), SRC_PDT,
                      "Bill the one code that describes the session (96573/96574 when the physician or QHP "
                      "illuminates, 96567 when staff do); a separate area treated separately takes XS.", pdt[0].code)


def _biopsy_order(units: Counter[str]) -> list[tuple[str, int]]:
    order = [c for pair in BIOPSY_PRIMARY_ADD_ON.items() for c in pair]
    return [(c, units[c]) for c in order if units[c]]


def check_ptp_pairs(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    """An imported CMS PTP table's edits between the claim's lines (``ncci.pair_verdicts``, the rule that also
    prices the column-2 line at $0.00): indicator 0 an error whose fix is to remove the column-2 code,
    indicator 1 without a PTP-associated modifier an error whose fix is the bypass, with one an info."""
    ptp = tables.ncci.ptp
    if ptp is None:
        return
    source = SRC_PTP.format(source=ptp.source)
    lines = claim.lines
    for verdict in pair_verdicts([(line.code, line.modifiers) for line in lines], claim.encounter.date_of_service,
                                 ptp):
        edit = verdict.edit
        c1, c2 = edit.column1, edit.column2
        why = f" (CMS's rationale: {edit.rationale})" if edit.rationale else ""
        pair = f"NCCI PTP edit {c1} (column 1) / {c2} (column 2), modifier indicator {edit.modifier_indicator}"
        if not verdict.denied:
            yield Finding("ptp-pair", "info",
                          f"{c2} is paid beside {c1}: {verdict.bypass} lifts the {pair}. The record must show a "
                          "separate lesion, site, structure or encounter.", source,
                          "Document why the two services were distinct.", c2)
        elif edit.modifier_indicator == PTP_NOT_ALLOWED:
            mods = ", ".join(m for m in lines[verdict.column2_line].modifiers if m != "51")
            tried = f" Modifier {mods} does not change that." if mods else ""
            yield Finding("ptp-pair", "error",
                          f"{c2} is not paid when billed with {c1}: the {pair} bundles it, and no modifier lifts an "
                          f"indicator-0 edit (estimated at $0.00){why}.{tried}", source,
                          f"Remove {c2} from the claim; its payment is included in {c1}.", c2)
        else:
            fix = (f"If the visit was significant and separately identifiable, add modifier 25 to {c2} and document "
                   f"it; otherwise remove {c2}." if c2 in cs.EM_CODES
                   else f"If {c2} treated a separate lesion, site or structure, append XS to {c2} (XE for a "
                        f"separate encounter; 59 only when no X modifier fits) and document it; otherwise remove "
                        f"{c2}.")
            yield Finding("ptp-pair", "error",
                          f"{c2} is not paid when billed with {c1} without a modifier: the {pair} denies the "
                          f"column-2 code unless a PTP-associated modifier shows the services were distinct "
                          f"(estimated at $0.00){why}.", source, fix, c2)


def check_modifiers(claim: Claim, tables: TableSet) -> Iterator[Finding]:
    minor_today = any(line.needs_25_beside for line in claim.lines)
    major = next((line for line in claim.lines if line.global_days == "090" and line.cents is not None), None)
    for line in claim.lines:
        mods = set(line.modifiers)
        if line.is_em and minor_today and "25" not in mods:
            yield Finding("em-needs-25", "error",
                          f"{line.code} is billed on the same day as a minor or XXX-global procedure without "
                          "modifier 25; it will be bundled into the procedure and not paid.",
                          SRC_EM25, f"Add modifier 25 to {line.code} if the visit was significant and "
                          "separately identifiable (document it).", line.code)
        if line.is_em and major is not None and "57" not in mods:
            yield Finding("em-global-package", "warning",
                          f"{line.code} is billed on the day of {major.code}, a major procedure (090 global days): "
                          "the visit is part of its global surgical package and is not paid (estimated at $0.00).",
                          SRC_EM57, f"If this visit was where the decision for surgery was made, add modifier 57 to "
                          f"{line.code} and document it; otherwise remove {line.code}.", line.code)
        if "57" in mods and line.is_em and major is None:
            yield Finding("modifier-57-unneeded", "warning",
                          f"{line.code}-57: no major (090-day) procedure is billed today; 57 marks the visit that "
                          "decided on a major surgery.", SRC_EM57, "Remove modifier 57 (use 25 beside a minor "
                          "procedure).", line.code)
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
        yield from _bilateral_findings(line, tables)
        if mods & cs.DISTINCT_SERVICE and line.global_days == "ZZZ":
            yield Finding("distinct-on-add-on", "warning",
                          f"{line.code} is an add-on; 59/X modifiers belong on the primary procedure.",
                          SRC_MODIFIERS, "Move the 59/XS modifier to the primary code.", line.code)
    em_25 = next((line.code for line in claim.lines if line.is_em and "25" in line.modifiers), None)
    g2211 = next((line for line in claim.lines if line.code == cs.G2211), None)
    if g2211 is not None and em_25 is not None:
        partner = next((line.code for line in claim.lines if line.code in cs.G2211_WITH_25_ALLOWED), None)
        if partner is None:
            yield Finding("g2211-with-25", "warning",
                          f"G2211 is not paid: its visit {em_25} carries modifier 25 and no annual wellness visit, "
                          "vaccine administration or Part B preventive service is billed the same day "
                          "(estimated at $0.00).", SRC_G2211,
                          "Remove G2211, unless the same-day service is an AWV (G0438/G0439), a vaccine "
                          "administration (G0008-G0010, 90480) or a Part B preventive service; then bill it.",
                          cs.G2211)
        else:
            yield Finding("g2211-with-25", "info",
                          f"G2211 is paid beside {em_25}-25 because {partner} "
                          f"({cs.G2211_WITH_25_ALLOWED[partner]}) is billed the same day.", SRC_G2211, "", cs.G2211)


def _bilateral_findings(line: ClaimLine, tables: TableSet) -> Iterator[Finding]:
    """What the bilateral indicator does with a line billed as bilateral (50, LT+RT or 2 units)."""
    mods = set(line.modifiers)
    if not ("50" in mods or line.bilateral_pct is not None) or not tables.schedule.has(line.code):
        return
    indicator = str(tables.schedule.bilateral[tables.schedule.row(line.code)])
    amount = cents_to_decimal(line.unit_bases[0]) if line.unit_bases else None
    if line.bilateral_pct is None:
        yield Finding("bilateral-not-allowed", "warning",
                      f"{line.code} does not take modifier 50 (bilateral indicator {indicator}: the concept does not "
                      "apply); it is priced as billed.", SRC_BILATERAL,
                      "Remove modifier 50; bill each site on its own line with an anatomic modifier.", line.code)
        return
    text = {"0": "the 150% bilateral rate does not apply: both sides are paid once, at 100%",
            "1": "both sides are paid at 150% of one side's fee",
            "2": "the code is already bilateral: paid once, at 100%",
            "3": "each side is paid at 100% (200% for both)"}[indicator]
    severity: Severity = "warning" if indicator == "0" else "info"
    yield Finding("bilateral-payment", severity,
                  f"{line.code} billed as bilateral (indicator {indicator}): {text} = {amount}, before the "
                  "multiple-procedure ranking.", SRC_BILATERAL,
                  "" if indicator != "0" else f"If two separate sites were treated, bill {line.code} on two lines "
                  "with anatomic modifiers or 59/XS instead of 50.", line.code)
    if "50" in mods and line.units != 1:
        yield Finding("bilateral-units", "warning",
                      f"{line.code}-50 is billed with {line.units} units; a bilateral procedure is one line, one unit.",
                      SRC_BILATERAL, f"Bill {line.code}-50 x1.", line.code)


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
        if line.na_setting:
            yield Finding("setting-na", "warning",
                          f"{line.code}: CMS marks the {claim.setting.label} setting NA (rarely or never performed "
                          f"there); it is priced with the other setting's amount, as CMS's payment file does.",
                          SRC_NA, "Check the place of service; expect the MAC to question the setting.", line.code)
        if line.reason is not None:
            by_mac = status in ("C", "R")  # carrier priced, or restricted without RVUs: the MAC sets the amount
            yield Finding("not-payable", "warning" if by_mac else "error", f"{line.code}: {line.reason}.", SRC_STATUS,
                          "Enter the MAC's price by hand." if by_mac
                          else "Remove the line or use the code Medicare pays for this service.", line.code)
        elif status == "R":
            yield Finding("restricted-coverage", "info", f"{line.code} has restricted coverage (status R).",
                          SRC_STATUS, "Check the MAC's coverage policy before billing.", line.code)
        elif status == "T" and others and line.unpaid:
            yield Finding("paid-only-alone", "warning",
                          f"{line.code} (status T) is bundled: it is paid only when no other paid fee-schedule "
                          "service is billed that day (estimated at $0.00).",
                          SRC_STATUS_T, f"Expect no payment for {line.code} on this claim; it is paid only on a day "
                          "it is the only service.", line.code)


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
    check_lesion_tiers, check_unit_limits, check_add_ons, check_code_families, check_ptp_pairs, check_modifiers,
    check_diagnoses,
    check_status, check_global_period, check_mppr,
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
                 tuple(check_claim(claim, tables)), claim.in_force)
