"""CMS National Correct Coding Initiative edits as plain data: unit limits (MUE), add-on primaries (AOC) and,
when the user has imported CMS's file, procedure-to-procedure (PTP) pair edits.

``estimator.tables`` builds these from CMS's quarterly practitioner files (``mue.csv`` and ``aoc.csv`` in a
table folder; the PTP file the user imports into the data folder); the billing rules in
``estimator.core.rules`` and the claim pricing in ``estimator.core.encounter`` read them.  Definitions (CMS
NCCI MUE and AOC pages, DOMAIN section 4): MAI 1 = claim-line edit, 2 = date-of-service edit, absolute
(policy), 3 = date-of-service edit, clinical (appealable); AOC edit type 1 = only the listed primaries, 2 =
no list (the contractor decides), 3 = the listed primaries plus others the contractor allows.

PTP pairs (``pair_verdicts``, the one place the rule lives): when the column-1 and column-2 codes of an edit
in force on the date of service are both billed, the column-2 code is denied; modifier indicator 0 = no
modifier lifts it, 1 = an NCCI PTP-associated modifier lifts it where the services were distinct, 9 = the
edit does not apply (CMS MLN1783722 "Proper Use of Modifiers 59, XE, XP, XS & XU": "the Column 1 code is
eligible for payment and Medicare denies the Column 2 code").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

MAI_LINE: Final = 1
MAI_DAY_ABSOLUTE: Final = 2
MAI_DAY_CLINICAL: Final = 3
AOC_ONLY_LISTED: Final = 1
AOC_CONTRACTOR: Final = 2
AOC_LISTED_PLUS: Final = 3


@dataclass(frozen=True, slots=True)
class UnitLimit:
    """A code's medically unlikely edit: the most units, and how they are counted (MAI)."""

    units: int
    mai: int
    rationale: str

    @property
    def per_day(self) -> bool:
        return self.mai != MAI_LINE


SRC_LESION_LIMITS: Final = "CMS Recovery Audit issue 0121 (17000 once a day, 17003 up to 13 a day, 17004 once a day)"
#: The lesion codes' limits where no MUE table was built (they equal the 2026 MUE values, MAI 2).
LESION_UNIT_LIMITS: Final = {
    "17000": UnitLimit(1, MAI_DAY_ABSOLUTE, SRC_LESION_LIMITS),
    "17003": UnitLimit(13, MAI_DAY_ABSOLUTE, SRC_LESION_LIMITS),
    "17004": UnitLimit(1, MAI_DAY_ABSOLUTE, SRC_LESION_LIMITS),
}


@dataclass(frozen=True, slots=True)
class AddOnEdit:
    """One add-on code / primary code pair of the AOC table (``primary`` is '' for type 2)."""

    add_on: str
    edit_type: int
    primary: str
    effective: dt.date
    deleted: dt.date | None

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.deleted is None or day <= self.deleted)


#: 17003 is billed only with 17000 (CPT instruction; AOC type 1 since 2013-04-01), where no AOC table was built.
LESION_ADD_ONS: Final = {"17003": (AddOnEdit("17003", AOC_ONLY_LISTED, "17000", dt.date(2013, 4, 1), None),)}


PTP_NOT_ALLOWED: Final = 0
PTP_ALLOWED: Final = 1
PTP_NOT_APPLICABLE: Final = 9
#: NCCI PTP-associated modifiers (NCCI Policy Manual for Medicare Services ch. I, "Modifiers and Modifier
#: Indicators", as quoted by NGS Medicare's "Modifiers" article: anatomic E1-E4, FA, F1-F9, TA, T1-T9, LT,
#: RT, LC, LD, RC, LM, RI; global surgery 24, 25, 57, 58, 78, 79; other 27, 59, 91, XE, XS, XP, XU).
PTP_ANATOMIC_MODIFIERS: Final = frozenset({
    "E1", "E2", "E3", "E4", "FA", *(f"F{d}" for d in range(1, 10)), "TA", *(f"T{d}" for d in range(1, 10)),
    "LT", "RT", "LC", "LD", "RC", "LM", "RI"})
PTP_OTHER_MODIFIERS: Final = frozenset({"24", "25", "57", "58", "78", "79", "27", "59", "91", "XE", "XS", "XP",
                                        "XU"})


@dataclass(frozen=True, slots=True)
class PairEdit:
    """One row of CMS's PTP table: ``column2`` is not paid beside ``column1`` while the edit is in force."""

    column1: str
    column2: str
    modifier_indicator: int  # 0 never with a modifier, 1 with a PTP-associated modifier, 9 not applicable
    effective: dt.date
    deleted: dt.date | None  # read as the last day in force (as the AOC table's dates are)
    rationale: str = ""

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.deleted is None or day <= self.deleted)


@dataclass(frozen=True, slots=True, eq=False)
class PtpEdits:
    """The PTP pairs a user imported for a year; ``pairs`` maps (column 1, column 2) to its edit rows."""

    source: str
    pairs: Mapping[tuple[str, str], tuple[PairEdit, ...]]

    def edit(self, column1: str, column2: str, day: dt.date) -> PairEdit | None:
        """The edit in force on ``day`` for the pair (the latest effective where rows overlap), or None."""
        rows = [e for e in self.pairs.get((column1, column2), ()) if e.in_force(day)]
        return max(rows, key=lambda e: e.effective) if rows else None


@dataclass(frozen=True, slots=True)
class PairVerdict:
    """What one PTP edit does to two billed lines: ``bypass`` names the modifier(s) that lift an indicator-1
    edit; an edit with no bypass denies the column-2 line."""

    column1_line: int
    column2_line: int
    edit: PairEdit
    bypass: str = ""

    @property
    def denied(self) -> bool:
        return not self.bypass


def ptp_bypass(column1_modifiers: Sequence[str], column2_modifiers: Sequence[str]) -> str:
    """The NCCI PTP-associated modifiers that lift an indicator-1 edit between two lines ('' when none).

    A global-surgery or other PTP modifier (25, 59, XS ...) counts on either line (the NCCI Policy Manual
    narratives bypass edits "by appending modifier 59 or XU to either column code"); anatomic modifiers
    count only when the two lines name different sites (LT on one, RT or nothing on the other), since the
    same site on both lines is not a distinct service.
    """
    one, two = set(column1_modifiers), set(column2_modifiers)
    found = (one | two) & PTP_OTHER_MODIFIERS
    sites_one, sites_two = one & PTP_ANATOMIC_MODIFIERS, two & PTP_ANATOMIC_MODIFIERS
    if sites_one != sites_two:
        found |= sites_one | sites_two
    return ", ".join(sorted(found))


def pair_verdicts(lines: Sequence[tuple[str, Sequence[str]]], day: dt.date, ptp: PtpEdits | None
                  ) -> list[PairVerdict]:
    """Every PTP edit (indicator 0 or 1, in force on ``day``) between two billed lines of one claim.

    ``lines`` are (code, modifiers) in claim order.  Indicator 0: the column-2 line is denied whatever its
    modifiers; 1: denied unless ``ptp_bypass`` finds a PTP-associated modifier; 9 (not applicable) and
    edits out of force give no verdict.  Without an imported table there are none.
    """
    if ptp is None:
        return []
    verdicts = []
    for i, (code1, mods1) in enumerate(lines):
        for j, (code2, mods2) in enumerate(lines):
            if code1 == code2:
                continue
            edit = ptp.edit(code1, code2, day)
            if edit is None or edit.modifier_indicator == PTP_NOT_APPLICABLE:
                continue
            bypass = ptp_bypass(mods1, mods2) if edit.modifier_indicator == PTP_ALLOWED else ""
            verdicts.append(PairVerdict(i, j, edit, bypass))
    return verdicts


@dataclass(frozen=True, slots=True, eq=False)
class NcciEdits:
    """One quarter's practitioner MUE and AOC tables; ``quarter`` is '' when no table was built.  ``ptp`` is
    the PTP table the user imported for the date of service's year (``None``: not imported)."""

    quarter: str = ""
    unit_limits: Mapping[str, UnitLimit] = field(default_factory=dict)
    add_ons: Mapping[str, tuple[AddOnEdit, ...]] = field(default_factory=dict)
    ptp: PtpEdits | None = None

    def has_pair(self, code_a: str, code_b: str, day: dt.date) -> bool:
        """Whether the imported PTP table has an edit in force for the two codes, either way round (then it,
        not the explicit pair rules, decides)."""
        if self.ptp is None:
            return False
        return (self.ptp.edit(code_a, code_b, day) is not None) or (self.ptp.edit(code_b, code_a, day) is not None)

    @property
    def has_unit_limits(self) -> bool:
        return bool(self.unit_limits)

    def limit(self, code: str) -> UnitLimit | None:
        """The code's MUE; a table set without an MUE table (2025 here) knows only the lesion limits."""
        if self.unit_limits:
            return self.unit_limits.get(code)
        return LESION_UNIT_LIMITS.get(code)

    def primaries(self, add_on: str, day: dt.date) -> tuple[int, frozenset[str]] | None:
        """The add-on's edit type and allowed primary codes on ``day``, or ``None`` when it is not an add-on.

        A table set without an AOC table (2025 here) knows only 17003 -> 17000 (CPT instruction).
        """
        table = self.add_ons if self.add_ons else LESION_ADD_ONS
        edits = [e for e in table.get(add_on, ()) if e.in_force(day)]
        if not edits:
            return None
        return min(e.edit_type for e in edits), frozenset(e.primary for e in edits if e.primary)
