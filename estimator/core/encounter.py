"""One visit as a claim: lesion tiers, E/M with modifier 25, multiple-procedure reduction, explanations.

``build_claim`` is a pure function of an ``Encounter`` and the tables in force; it never raises for a
billing problem (those become findings, see ``estimator.core.rules``), only for input that cannot be
understood (an unknown code, a malformed modifier).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from estimator.core import codes as cs
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.lesions import lesion_lines
from estimator.core.money import cents_to_decimal, scale_cents
from estimator.core.parsing import ascii_digits
from estimator.core.pricing import PriceTrace, price_unit
from estimator.core.schedule import NATIONAL_KEY, CFVariant, PlaceOfService, Setting, TableSet

#: Multiple-procedure indicator 2: 100% for the highest, 50% for the next four, then by report (DOMAIN s4).
MPPR_RATES: Final = (100, 50, 50, 50, 50)
MINOR_GLOBALS: Final = frozenset({"000", "010"})
MAX_UNITS: Final = 999


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """A procedure the user adds to the visit (anything priced: biopsies, 17110, PDT ...)."""

    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()

    @staticmethod
    def parse(text: str) -> ServiceLine:
        """Parse ``CODE[xUNITS][:MOD,MOD][@DX,DX]``, e.g. ``11102``, ``17110:59``, ``11103x2:RT@D48.5``.

        Raises:
            InputError: any part malformed.
        """
        rest, _, dx = text.partition("@")
        rest, _, mods = rest.partition(":")
        code_text, times, units_text = rest.lower().partition("x")
        units = 1
        if times:
            if not ascii_digits(units_text) or not 1 <= int(units_text) <= MAX_UNITS:
                raise InputError(f"{text!r}: units after 'x' must be a whole number from 1 to {MAX_UNITS}")
            units = int(units_text)
        return ServiceLine(
            cs.normalize_code(code_text),
            units,
            tuple(cs.normalize_modifier(m) for m in mods.split(",") if m.strip()),
            tuple(cs.normalize_diagnosis(d) for d in dx.split(",") if d.strip()),
        )

    def text(self) -> str:
        """The line as ``parse`` reads it (``11103x2:RT@D48.5``): ``ServiceLine.parse(line.text()) == line``."""
        text = self.code + (f"x{self.units}" if self.units != 1 else "")
        if self.modifiers:
            text += ":" + ",".join(self.modifiers)
        if self.diagnoses:
            text += "@" + ",".join(self.diagnoses)
        return text


@dataclass(frozen=True, slots=True)
class PriorService:
    """A procedure done on an earlier day, for the global-period check."""

    code: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class Encounter:
    """Everything about one date of service that pricing and the rules need."""

    date_of_service: dt.date
    place_of_service: str = "11"
    locality_key: str = NATIONAL_KEY
    cf_variant: CFVariant = CFVariant.NONQP
    work_floor: bool = True
    lesions: int = 0
    em_code: str | None = None
    g2211: bool = False
    procedures: tuple[ServiceLine, ...] = ()
    diagnoses: tuple[str, ...] = ()
    prior_services: tuple[PriorService, ...] = ()
    documented: frozenset[str] | None = None  # checklist elements recorded; None = not assessed
    own_conversion_factor: Decimal | None = None  # a payer's own CF instead of the year's

    def __post_init__(self) -> None:
        if self.lesions < 0:
            raise InputError(f"lesion count cannot be negative, got {self.lesions}")
        if self.em_code is not None and self.em_code not in cs.EM_CODES:
            raise InputError(f"{self.em_code!r} is not an office E/M visit: use 99202-99205 or 99211-99215")
        if self.documented is not None:
            unknown = self.documented - cs.DOCUMENTATION_ELEMENTS.keys()
            if unknown:
                raise InputError(f"unknown documentation element(s) {', '.join(sorted(unknown))}; "
                                 f"use {', '.join(cs.DOCUMENTATION_ELEMENTS)}")


@dataclass(frozen=True, slots=True)
class LineTrace:
    """"Explain this number" for one claim line: the price inputs and every adjustment, in order."""

    price: PriceTrace
    setting_reason: str
    units: int
    adjustments: tuple[str, ...]

    def lines(self) -> list[str]:
        return [self.setting_reason, *self.price.lines(), *self.adjustments]


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One priced line of the claim."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    diagnoses: tuple[str, ...]
    label: str
    global_days: str
    mult_proc: str
    unit_cents: int | None  # fee-schedule amount of one unit; None when it has no price
    full_cents: int | None  # units x unit amount, before any reduction
    cents: int | None  # after the multiple-procedure reduction
    payment_pcts: tuple[int, ...]  # per unit: 100, 50 ...
    mppr_ranks: tuple[int, ...]  # per unit, 1-based; () when the line is not ranked
    by_report: bool
    reason: str | None  # why there is no price
    trace: LineTrace

    @property
    def reduction_pct(self) -> Decimal:
        """The rule's reduction in percent of the full fee (50 for a second-ranked procedure)."""
        if not self.payment_pcts:
            return Decimal(0)
        paid = Decimal(sum(self.payment_pcts)) / len(self.payment_pcts)
        return (Decimal(100) - paid).quantize(Decimal("0.01"))

    @property
    def pricing_modifier(self) -> str:
        """The modifier that chose this line's RVU row (26, TC or 53), or ''."""
        return cs.pricing_modifier(self.modifiers)

    @property
    def is_em(self) -> bool:
        return self.code in cs.EM_CODES

    @property
    def is_minor_procedure(self) -> bool:
        return self.global_days in MINOR_GLOBALS


@dataclass(frozen=True, slots=True)
class Claim:
    """The encounter priced: its lines, total and rule findings."""

    encounter: Encounter
    year: int
    release: str
    place: PlaceOfService
    setting: Setting
    lines: tuple[ClaimLine, ...]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def total_cents(self) -> int:
        return sum(line.cents or 0 for line in self.lines)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def _setting_reason(place: PlaceOfService) -> str:
    return (f"setting: {place.setting.label} rate, because place of service {place.code} ({place.name}) "
            f"is a {place.setting.label} setting (Claims Processing Manual ch. 12 s20.4.2)")


def _requested_lines(encounter: Encounter, tables: TableSet) -> list[ServiceLine]:
    """E/M (with 25 when a minor procedure is billed the same day), G2211, lesion tiers, other procedures."""
    dx = tuple(cs.normalize_diagnosis(d) for d in encounter.diagnoses)
    procedures = [ServiceLine(code, units, (), dx) for code, units in
                  (lesion_lines(encounter.lesions) if encounter.lesions else [])]
    procedures += [ServiceLine(p.code, p.units, p.modifiers, p.diagnoses or dx) for p in encounter.procedures]
    lines: list[ServiceLine] = []
    if encounter.em_code is not None:
        minor_same_day = any(
            tables.schedule.has(p.code) and str(tables.schedule.global_days[tables.schedule.row(p.code)])
            in MINOR_GLOBALS for p in procedures)
        lines.append(ServiceLine(encounter.em_code, 1, ("25",) if minor_same_day else (), dx))
        if encounter.g2211:
            lines.append(ServiceLine(cs.G2211, 1, (), dx))
    elif encounter.g2211:
        raise InputError("G2211 is an add-on to an office E/M visit: choose the visit (--em) as well")
    return lines + procedures


def price_lines(encounter: Encounter, tables: TableSet) -> Claim:
    """Price an encounter line by line and apply the multiple-procedure rule (no rule checks yet).

    Raises:
        InputError / UnknownCodeError / UnknownLocalityError: input that cannot be priced at all.
    """
    place = tables.places.get(encounter.place_of_service)
    setting = place.setting
    requested = _requested_lines(encounter, tables)
    priced = []
    for req in requested:
        pricing_mod = cs.pricing_modifier(req.modifiers)
        unit = price_unit(tables, req.code, pricing_mod, locality_key=encounter.locality_key, setting=setting,
                          cf_variant=encounter.cf_variant, floor=encounter.work_floor,
                          conversion_factor=encounter.own_conversion_factor)
        priced.append((req, unit))

    # Rank every indicator-2 unit by its fee-schedule amount (stable for ties: order entered).
    ranked = sorted(
        ((unit.cents or 0, i, u) for i, (req, unit) in enumerate(priced)
         if str(tables.schedule.mult_proc[tables.schedule.row(req.code, unit.modifier)]) == "2"
         and unit.cents is not None for u in range(req.units)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    rank_of: dict[tuple[int, int], int] = {(i, u): r for r, (_, i, u) in enumerate(ranked, start=1)}

    lines = []
    for i, (req, unit) in enumerate(priced):
        row = tables.schedule.row(req.code, unit.modifier)
        ranks = tuple(rank_of[(i, u)] for u in range(req.units) if (i, u) in rank_of)
        pcts = tuple(MPPR_RATES[r - 1] if r <= len(MPPR_RATES) else 50 for r in ranks) or (100,) * req.units
        by_report = any(r > len(MPPR_RATES) for r in ranks)
        modifiers = req.modifiers
        adjustments: list[str] = [f"units: {req.units}"] if req.units > 1 else []
        if unit.cents is None:
            full = cents = None
            adjustments.append(f"no payment: {unit.reason}")
        else:
            full = unit.cents * req.units
            cents = sum(int(scale_cents(unit.cents, Decimal(p) / 100)) for p in pcts)
            if ranks:
                described = ", ".join(f"rank {r} -> {p}%" for r, p in zip(ranks, pcts, strict=True))
                adjustments.append(f"multiple-procedure rule (indicator 2): {described} of "
                                   f"{cents_to_decimal(unit.cents)}")
                if any(p < 100 for p in pcts) and "51" not in modifiers:
                    modifiers = (*modifiers, "51")
                if by_report:
                    adjustments.append("6th and later procedures are paid 'by report' by the MAC; estimated at 50%")
            else:
                reason = {"0": "no multiple-procedure reduction (indicator 0: add-on or visit)"}.get(
                    str(tables.schedule.mult_proc[row]),
                    f"indicator {tables.schedule.mult_proc[row]}: not reduced by the indicator-2 rule")
                adjustments.append(reason)
        for mod in modifiers:
            adjustments.append(f"modifier {mod}: {cs.KNOWN_MODIFIERS[mod]}")
        adjustments.append(f"line amount: {cents_to_decimal(cents) if cents is not None else 'not payable'}")
        lines.append(ClaimLine(
            code=req.code, modifiers=modifiers, units=req.units, diagnoses=req.diagnoses,
            label=tables.label(req.code), global_days=str(tables.schedule.global_days[row]),
            mult_proc=str(tables.schedule.mult_proc[row]), unit_cents=unit.cents, full_cents=full, cents=cents,
            payment_pcts=pcts if unit.cents is not None else (), mppr_ranks=ranks, by_report=by_report,
            reason=unit.reason,
            trace=LineTrace(unit.trace, _setting_reason(place), req.units, tuple(adjustments)),
        ))
    return Claim(encounter, tables.year, tables.release, place, setting, tuple(lines))
