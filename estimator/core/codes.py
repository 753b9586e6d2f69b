"""Code sets the billing rules need: E/M visits, modifiers, diagnosis families, documentation elements.

Each set names its source; they are data, not logic, so a rule change is a change here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from estimator.core.errors import InputError

#: Office/outpatient E/M visits (CPT 2021+ office E/M family; 99201 was deleted in 2021).
EM_NEW: Final = frozenset({"99202", "99203", "99204", "99205"})
EM_ESTABLISHED: Final = frozenset({"99211", "99212", "99213", "99214", "99215"})
EM_CODES: Final = EM_NEW | EM_ESTABLISHED
G2211: Final = "G2211"
#: Same-day services with which G2211 stays payable although its E/M carries modifier 25: the annual
#: wellness visit, Part B vaccine administration and Part B preventive services (CY 2025 PFS final rule,
#: 89 FR 97710, published 2024-12-09; the preventive list as in CMS MLN "Medicare Preventive Services" MLN6775421).
G2211_WITH_25_ALLOWED: Final[dict[str, str]] = {
    "G0438": "annual wellness visit, initial", "G0439": "annual wellness visit, subsequent",
    "G0402": "initial preventive physical examination",
    "G0008": "influenza vaccine administration", "G0009": "pneumococcal vaccine administration",
    "G0010": "hepatitis B vaccine administration", "90480": "COVID-19 vaccine administration",
    "G0442": "alcohol misuse screening", "G0443": "alcohol misuse counseling", "G0444": "depression screening",
    "G0446": "intensive behavioral therapy for cardiovascular disease", "G0447": "obesity counseling",
    "99406": "tobacco cessation counseling", "99407": "tobacco cessation counseling, intensive",
    "G0101": "cervical or vaginal cancer screening", "Q0091": "screening Pap smear collection",
    "G0102": "prostate cancer screening, digital rectal examination", "G0296": "lung cancer screening counseling",
    "G0445": "sexually transmitted infection counseling", "G0136": "social determinants of health risk assessment",
}
G2211_WITH_25_SOURCE: Final = ("CY 2025 PFS final rule (89 FR 97710): G2211 is payable with an E/M billed with "
                               "modifier 25 only when the other same-day service is an annual wellness visit, "
                               "a vaccine administration or a Medicare Part B preventive service")

PREMALIGNANT: Final = frozenset({"17000", "17003", "17004"})
BENIGN_DESTRUCTION: Final = frozenset({"17110", "17111"})
MALIGNANT_DESTRUCTION: Final = frozenset(
    {"17260", "17261", "17262", "17263", "17264", "17266", "17270", "17271", "17272", "17273", "17274",
     "17276", "17280", "17281", "17282", "17283", "17284", "17286"}
)
BIOPSIES: Final = frozenset({"11102", "11103", "11104", "11105", "11106", "11107"})
PHOTODYNAMIC: Final = frozenset({"96567", "96573", "96574"})

#: Modifiers that select their own RVU row in the PPRRVU file (DOMAIN section 1).
PRICING_MODIFIERS: Final = frozenset({"26", "TC", "53"})
#: Informational and payment modifiers we carry and validate (CMS Claims Processing Manual ch. 12; NCCI).
KNOWN_MODIFIERS: Final[dict[str, str]] = {
    "24": "unrelated E/M visit during a postoperative period",
    "25": "significant, separately identifiable E/M visit on the day of a procedure",
    "26": "professional component",
    "TC": "technical component",
    "53": "discontinued procedure",
    "50": "bilateral procedure",
    "51": "multiple procedures (payment reduced)",
    "58": "staged or related procedure during the postoperative period",
    "59": "distinct procedural service",
    "76": "repeat procedure by the same physician on the same day",
    "77": "repeat procedure by another physician on the same day",
    "79": "unrelated procedure during the postoperative period",
    "XE": "separate encounter",
    "XP": "separate practitioner",
    "XS": "separate structure or organ",
    "XU": "unusual non-overlapping service",
    "LT": "left side",
    "RT": "right side",
    "E1": "upper left eyelid", "E2": "lower left eyelid", "E3": "upper right eyelid", "E4": "lower right eyelid",
    "FA": "left hand, thumb", "F1": "left hand, second digit", "F2": "left hand, third digit",
    "F3": "left hand, fourth digit", "F4": "left hand, fifth digit", "F5": "right hand, thumb",
    "F6": "right hand, second digit", "F7": "right hand, third digit", "F8": "right hand, fourth digit",
    "F9": "right hand, fifth digit",
    "TA": "left foot, great toe", "T1": "left foot, second digit", "T2": "left foot, third digit",
    "T3": "left foot, fourth digit", "T4": "left foot, fifth digit", "T5": "right foot, great toe",
    "T6": "right foot, second digit", "T7": "right foot, third digit", "T8": "right foot, fourth digit",
    "T9": "right foot, fifth digit",
    "GA": "waiver of liability (ABN) on file",
    "GY": "statutorily excluded service",
    "GZ": "expected denial, no ABN on file",
    "KX": "requirements in the medical policy met",
    "22": "increased procedural services",
    "52": "reduced services",
    "57": "decision for surgery",
    "78": "unplanned return to the operating room during the postoperative period",
    "91": "repeat clinical diagnostic laboratory test",
    "95": "synchronous telemedicine service",
    "99": "multiple modifiers",
    "AI": "principal physician of record",
    "AS": "assistant at surgery (non-physician practitioner)",
    "CR": "catastrophe/disaster related",
    "FS": "split (shared) evaluation and management visit",
    "FT": "unrelated E/M visit on the same day as another E/M or during a postoperative period",
    "GC": "service performed in part by a resident under a teaching physician",
    "GE": "service performed by a resident without the presence of a teaching physician",
    "GT": "via interactive audio and video telecommunication systems",
    "Q5": "reciprocal billing arrangement",
    "Q6": "fee-for-time compensation arrangement (locum tenens)",
    "SA": "nurse practitioner rendering service in collaboration with a physician",
}
DISTINCT_SERVICE: Final = frozenset({"59", "XE", "XP", "XS", "XU"})

_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")

#: Diagnosis families (ICD-10-CM) for the destruction-code fit check (DOMAIN section 3).
ACTINIC_KERATOSIS: Final = "L57.0"
BENIGN_PREFIXES: Final = ("L82", "B07", "D22", "D23", "L91", "L72", "B08.1", "A63.0", "L85")
MALIGNANT_PREFIXES: Final = ("C43", "C44", "C4A", "D03", "D04")

#: What a destruction note must record (the source document's documentation checklist).
DOCUMENTATION_ELEMENTS: Final[dict[str, str]] = {
    "site": "anatomic site of each lesion",
    "size": "size of each lesion",
    "appearance": "clinical appearance (why it is premalignant)",
    "method": "destruction method (cryosurgery, electrosurgery, laser, chemical or curettage)",
    "count": "number of lesions destroyed",
    "diagnosis": "diagnosis supporting medical necessity",
    "consent": "patient consent",
    "photos": "photographs, where used",
}
#: Checklist elements recorded only where they apply: not ticking them is not a finding.
OPTIONAL_DOCUMENTATION: Final = frozenset({"photos"})
DESTRUCTION_METHODS: Final = ("cryosurgery", "electrosurgery", "laser", "chemical", "curettage")


def pricing_modifier(modifiers: Iterable[str]) -> str:
    """The modifier that selects its own RVU row (26, TC or 53), or '' for the global row."""
    return next((m for m in modifiers if m in PRICING_MODIFIERS), "")


def normalize_code(text: str) -> str:
    """A HCPCS/CPT code in canonical form.

    Raises:
        InputError: not 5 letters/digits.
    """
    code = text.strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{5}", code):
        raise InputError(f"{text!r} is not a HCPCS/CPT code: use 5 characters such as 17000 or G2211")
    return code


def normalize_modifier(text: str) -> str:
    """A modifier in canonical form.

    Raises:
        InputError: malformed or not one this program knows.
    """
    mod = text.strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{2}", mod):
        raise InputError(f"{text!r} is not a modifier: modifiers are 2 characters such as 25, 59 or RT")
    if mod not in KNOWN_MODIFIERS:
        raise InputError(f"unknown modifier {mod!r}; known: {', '.join(sorted(KNOWN_MODIFIERS))}")
    return mod


def normalize_diagnosis(text: str) -> str:
    """An ICD-10-CM code with its dot (``L570`` -> ``L57.0``).

    Raises:
        InputError: not shaped like an ICD-10-CM code.
    """
    raw = text.strip().upper()
    if not _ICD10.match(raw):
        raise InputError(f"{text!r} is not an ICD-10-CM diagnosis code (e.g. L57.0 for actinic keratosis)")
    bare = raw.replace(".", "")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def diagnosis_family(dx: str) -> str:
    """'premalignant', 'benign', 'malignant' or 'other' for the destruction-code fit check."""
    if dx == ACTINIC_KERATOSIS:
        return "premalignant"
    if dx.startswith(MALIGNANT_PREFIXES):
        return "malignant"
    if dx.startswith(BENIGN_PREFIXES):
        return "benign"
    return "other"
