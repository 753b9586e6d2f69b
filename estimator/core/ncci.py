"""CMS National Correct Coding Initiative edits as plain data: unit limits (MUE) and add-on primaries (AOC).

``estimator.tables`` builds these from CMS's quarterly practitioner files (``mue.csv`` and ``aoc.csv`` in a
table folder); the billing rules in ``estimator.core.rules`` read them.  Definitions (CMS NCCI MUE and AOC
pages, DOMAIN section 4): MAI 1 = claim-line edit, 2 = date-of-service edit, absolute (policy), 3 =
date-of-service edit, clinical (appealable); AOC edit type 1 = only the listed primaries, 2 = no list (the
contractor decides), 3 = the listed primaries plus others the contractor allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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


@dataclass(frozen=True, slots=True, eq=False)
class NcciEdits:
    """One quarter's practitioner MUE and AOC tables; ``quarter`` is '' when no table was built."""

    quarter: str = ""
    unit_limits: Mapping[str, UnitLimit] = field(default_factory=dict)
    add_ons: Mapping[str, tuple[AddOnEdit, ...]] = field(default_factory=dict)

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
