"""Lesion count -> CPT lines for destruction of premalignant lesions (DOMAIN section 3).

1 lesion: 17000 x1.  2-14: 17000 x1 + 17003 x(n-1).  15 or more: 17004 x1 alone (CPT instruction;
CMS Recovery Audit issue 0121: 17000 once a day, 17003 at most 13 a day, 17004 once a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from estimator.core.errors import InputError
from estimator.core.parsing import ascii_digits
from estimator.core.pricing import PriceTrace, price_unit
from estimator.core.schedule import NATIONAL_KEY, CFVariant, Setting, TableSet

FIRST_LESION: Final = "17000"
EACH_ADDITIONAL: Final = "17003"
FIFTEEN_OR_MORE: Final = "17004"
PREMALIGNANT_CODES: Final = (FIRST_LESION, EACH_ADDITIONAL, FIFTEEN_OR_MORE)
MAX_17003_UNITS: Final = 13
TIER_BREAK: Final = 15
MAX_LESIONS: Final = 10_000
#: Above this many lesions in one day the count is probably a typing slip: a warning, never a refusal
#: (the CLI and the app share it through ``rules.check_lesion_tiers``).
PLAUSIBLE_LESIONS: Final = 100


def lesion_lines(count: int) -> list[tuple[str, int]]:
    """The (code, units) lines that bill ``count`` premalignant lesions destroyed on one day.

    Raises:
        InputError: ``count`` is not a whole number from 1 up.
    """
    if isinstance(count, bool) or not isinstance(count, int):
        raise InputError(f"lesion count must be a whole number, got {count!r}")
    if count < 1:
        raise InputError(f"lesion count must be at least 1, got {count}")
    if count > MAX_LESIONS:
        raise InputError(f"lesion count {count} is not plausible (at most {MAX_LESIONS})")
    if count >= TIER_BREAK:
        return [(FIFTEEN_OR_MORE, 1)]
    if count == 1:
        return [(FIRST_LESION, 1)]
    return [(FIRST_LESION, 1), (EACH_ADDITIONAL, count - 1)]


def parse_lesion_count(text: str) -> int:
    """Parse a lesion count typed by a user.

    Raises:
        InputError: not a whole number of at least 1.
    """
    stripped = text.strip()
    if not ascii_digits(stripped.lstrip("+")):
        raise InputError(f"lesion count must be a whole number of at least 1, got {text[:30]!r}")
    count = int(stripped)
    lesion_lines(count)
    return count


@dataclass(frozen=True, slots=True)
class LesionLine:
    """One priced line of a lesion-count claim."""

    code: str
    units: int
    unit_cents: int
    cents: int
    trace: PriceTrace


def price_lesions(
    tables: TableSet,
    count: int,
    *,
    locality_key: str = NATIONAL_KEY,
    setting: Setting = Setting.NONFACILITY,
    cf_variant: CFVariant = CFVariant.NONQP,
    floor: bool = True,
) -> list[LesionLine]:
    """The lesion-count claim lines with unit and line amounts (no other services, so no reductions).

    Raises:
        InputError: a bad count, or a code with no price in the setting.
    """
    lines = []
    for code, units in lesion_lines(count):
        unit = price_unit(tables, code, locality_key=locality_key, setting=setting, cf_variant=cf_variant,
                          floor=floor)
        if unit.cents is None:
            raise InputError(f"{code} has no price here: {unit.reason}")
        lines.append(LesionLine(code, units, unit.cents, unit.cents * units, unit.trace))
    return lines
