"""One visit as a claim: lesion tiers, E/M with modifier 25, multiple-procedure reduction, explanations.

``build_claim`` is a pure function of an ``Encounter`` and the tables in force; it never raises for a
billing problem (those become findings, see ``estimator.core.rules``), only for input that cannot be
understood (an unknown code, a malformed modifier).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from estimator.core import codes as cs
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.lesions import lesion_lines
from estimator.core.money import cents_to_decimal
from estimator.core.ncci import MAI_LINE, PTP_NOT_ALLOWED, pair_verdicts
from estimator.core.parsing import ascii_digits
from estimator.core.pricing import PriceTrace, UnitPrice, price_unit
from estimator.core.schedule import (
    NATIONAL_KEY,
    PAYABLE_STATUSES,
    CFVariant,
    PlaceOfService,
    Setting,
    TableSet,
    TablesInForce,
)

#: Multiple-procedure indicator 2: 100% for the highest, 50% for the next four, then by report (DOMAIN s4).
MPPR_RATES: Final = (100, 50, 50, 50, 50)
MINOR_GLOBALS: Final = frozenset({"000", "010"})
MAX_UNITS: Final = 999
#: Bilateral surgery indicator -> % of one side's fee when billed as bilateral (RVU26B.pdf; ch. 12 s40.7):
#: 0 = no 150% (paid once), 1 = 150%, 2 = already bilateral (paid once), 3 = each side 100%.
BILATERAL_PCT: Final = {"0": 100, "1": 150, "2": 100, "3": 200}


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
    unit_bases: tuple[int, ...] = ()  # per paid unit, before the multiple-procedure rule (bilateral applied)
    unit_payments: tuple[int, ...] = ()  # per paid unit, after it: percentages are applied to these
    bilateral_pct: int | None = None  # billed as bilateral: % of one side's fee
    unpaid: str | None = None  # priced, but Medicare pays nothing for it on this claim (why)
    na_setting: bool = False  # CMS marks the setting NA: priced with the other setting's amount (as PFREV)

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

    @property
    def needs_25_beside(self) -> bool:
        """A same-day E/M needs 25 beside it: a minor procedure (000/010) or a priced non-visit XXX service."""
        return needs_25_beside(self.code, self.global_days, priced=self.unit_cents is not None)


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
    in_force: TablesInForce | None = None  # the release used and whether it is provisional for this date

    @property
    def total_cents(self) -> int:
        return sum(line.cents or 0 for line in self.lines)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def needs_25_beside(code: str, global_days: str, *, priced: bool) -> bool:
    """Whether an E/M billed the same day as ``code`` needs modifier 25 (ch. 12 s30.6.6(B); NCCI ch. XI)."""
    if code in cs.EM_CODES or code == cs.G2211:
        return False
    return global_days in MINOR_GLOBALS or (global_days == "XXX" and priced)


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
        schedule = tables.schedule
        minor_same_day = any(
            schedule.has(p.code) and needs_25_beside(
                p.code, str(schedule.global_days[schedule.row(p.code)]),
                priced=str(schedule.status[schedule.row(p.code)]) in PAYABLE_STATUSES)
            for p in procedures)
        lines.append(ServiceLine(encounter.em_code, 1, ("25",) if minor_same_day else (), dx))
        if encounter.g2211:
            lines.append(ServiceLine(cs.G2211, 1, (), dx))
    elif encounter.g2211:
        raise InputError("G2211 is an add-on to an office E/M visit: choose the visit (--em) as well")
    return lines + procedures


def price_lines(encounter: Encounter, tables: TableSet) -> Claim:
    """Price an encounter line by line: bilateral adjustment, then the multiple-procedure rule, then what
    Medicare does not pay (no rule findings yet; ``estimator.core.rules`` adds them).

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
    bilateral, paid_with = bilateral_lines(requested, tables)
    unpaid = unpaid_reasons(requested, [unit for _, unit in priced], tables, encounter.date_of_service)

    bases = [unit_bases(unit.cents, req.units, bilateral.get(i),
                        paid=unit.cents is not None and i not in unpaid and i not in paid_with)
             for i, (req, unit) in enumerate(priced)]
    indicator_2 = [str(tables.schedule.mult_proc[tables.schedule.row(req.code, unit.modifier)]) == "2"
                   for req, unit in priced]
    ranking = rank_units(bases, indicator_2)

    lines = []
    for i, (req, unit) in enumerate(priced):
        row = tables.schedule.row(req.code, unit.modifier)
        ranks, pcts, payments = ranking[i]
        by_report = any(r > len(MPPR_RATES) for r in ranks)
        modifiers = req.modifiers
        adjustments: list[str] = [f"units: {req.units}"] if req.units > 1 else []
        if unit.cents is None:
            full = cents = None
            adjustments.append(f"no payment: {unit.reason}")
        else:
            full = sum(bases[i]) if bases[i] else unit.cents * req.units
            cents = sum(payments)
            if i in bilateral and bases[i]:
                adjustments.append(f"bilateral (indicator {tables.schedule.bilateral[row]}): {bilateral[i]}% of "
                                   f"{cents_to_decimal(unit.cents)} = {cents_to_decimal(bases[i][0])} "
                                   "(Claims Processing Manual ch. 12 s40.7, before the multiple-procedure rule)")
            if i in paid_with:
                adjustments.append(f"paid with line {paid_with[i] + 1} as one bilateral procedure")
            elif i in unpaid:
                adjustments.append(f"not paid: {unpaid[i]}")
            elif ranks:
                described = ", ".join(f"rank {r} -> {p}%" for r, p in zip(ranks, pcts, strict=True))
                adjustments.append(f"multiple-procedure rule (indicator 2): {described} of "
                                   f"{', '.join(str(cents_to_decimal(b)) for b in sorted(set(bases[i])))}")
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
            unit_bases=bases[i], unit_payments=payments, bilateral_pct=bilateral.get(i),
            unpaid=unpaid.get(i) or (f"paid with line {paid_with[i] + 1} (bilateral)" if i in paid_with else None),
            na_setting=unit.na_setting,
        ))
    return Claim(encounter, tables.year, tables.release, place, setting, tuple(lines),
                 in_force=tables.tables_in_force)


def percent_of(cents: int, pct: int) -> int:
    """``pct``% of ``cents``, rounded half-up (exactly ``scale_cents(cents, Decimal(pct) / 100)``)."""
    return (2 * cents * pct + 100) // 200


def unit_bases(unit_cents: int | None, units: int, bilateral_pct: int | None, *, paid: bool) -> tuple[int, ...]:
    """What a line is paid before the multiple-procedure rule, one amount per payable "unit".

    A line billed as bilateral is one procedure at its bilateral % (ch. 12 s40.7: before the ranking); a
    line with no price, or one Medicare does not pay on this claim, has none.
    """
    if unit_cents is None or not paid:
        return ()
    if bilateral_pct is not None:
        return (percent_of(unit_cents, bilateral_pct),)
    return (unit_cents,) * units


Ranked = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # per line: ranks, payment %s, payments


def rank_units(bases: Sequence[tuple[int, ...]], indicator_2: Sequence[bool]) -> list[Ranked]:
    """The multiple-procedure rule (indicator 2; DOMAIN s4): every indicator-2 unit ranked by amount, highest
    first (ties in the order entered), paid at ``MPPR_RATES`` by rank (50% "by report" after the fifth).

    Returns per line its units' ranks (``()`` when not ranked), payment percentages and payments.
    """
    if sum(len(line) for i, line in enumerate(bases) if indicator_2[i]) <= 1:  # nothing to rank against
        return [((1,) if indicator_2[i] and line else (), (100,) * len(line), line) for i, line in enumerate(bases)]
    ranked = sorted(((amount, i, u) for i, line in enumerate(bases) if indicator_2[i]
                     for u, amount in enumerate(line)), key=lambda t: (-t[0], t[1], t[2]))
    rank_of = {(i, u): r for r, (_, i, u) in enumerate(ranked, start=1)}
    out: list[Ranked] = []
    for i, line in enumerate(bases):
        ranks = tuple(rank_of[(i, u)] for u in range(len(line)) if (i, u) in rank_of)
        pcts = tuple(MPPR_RATES[r - 1] if r <= len(MPPR_RATES) else 50 for r in ranks) or (100,) * len(line)
        out.append((ranks, pcts, tuple(percent_of(b, p) for b, p in zip(line, pcts, strict=True))))
    return out


def bilateral_lines(requested: Sequence[ServiceLine], tables: TableSet) -> tuple[dict[int, int], dict[int, int]]:
    """Lines billed as bilateral (-> their bilateral %), and LT/RT partner lines (-> the line that carries them).

    Billed as bilateral (RVU26B.pdf, BILAT SURG indicator): modifier 50, LT and RT, or 2 units (indicators
    1-3; for 0 only 50 or LT/RT). Indicator 9 and codes without the concept are priced as billed.
    """
    indicator = [_bilateral_indicator(req, tables) for req in requested]
    bilateral: dict[int, int] = {}
    for i, req in enumerate(requested):
        mods = set(req.modifiers)
        if indicator[i] in BILATERAL_PCT and ("50" in mods or {"LT", "RT"} <= mods
                                              or (req.units == 2 and indicator[i] != "0")):
            bilateral[i] = BILATERAL_PCT[indicator[i]]
    paid_with: dict[int, int] = {}
    for i, req in enumerate(requested):
        if i in bilateral or indicator[i] not in BILATERAL_PCT or req.units != 1 or set(req.modifiers) & {"RT", "50"} \
                or "LT" not in req.modifiers:
            continue
        partner = next((j for j, other in enumerate(requested) if j != i and j not in bilateral and j not in paid_with
                        and other.code == req.code and other.units == 1 and "RT" in other.modifiers
                        and not set(other.modifiers) & {"LT", "50"}), None)
        if partner is not None:
            bilateral[i] = BILATERAL_PCT[indicator[i]]
            paid_with[partner] = i
    return bilateral, paid_with


def _bilateral_indicator(req: ServiceLine, tables: TableSet) -> str:
    mod = cs.pricing_modifier(req.modifiers)
    if not tables.schedule.has(req.code, mod):
        return ""
    return str(tables.schedule.bilateral[tables.schedule.row(req.code, mod)])


def unpaid_reasons(requested: Sequence[ServiceLine], units: Sequence[UnitPrice], tables: TableSet,
                   day: dt.date) -> dict[int, str]:
    """Lines that have a fee-schedule amount but that Medicare will not pay on this claim, and why.

    MUE: a line over its unit limit is denied whole (MAI 1: that line; MAI 2/3: every line of the code that
    day). PTP (an imported CMS pair table, ``ncci.pair_verdicts``): the column-2 line of an edit in force is
    denied unless a PTP-associated modifier lifts an indicator-1 edit. Status T: bundled when another paid
    fee-schedule service is billed. G2211: not paid with an E/M billed with 25 unless beside an AWV, vaccine
    administration or Part B preventive service. An E/M on the day of a 090-global procedure without 57 is
    part of the global surgical package.
    """
    status = [str(tables.schedule.status[tables.schedule.row(u.code, u.modifier)]) for u in units]
    totals: dict[str, int] = {}
    for req in requested:
        totals[req.code] = totals.get(req.code, 0) + req.units
    unpaid: dict[int, str] = {}
    for i, req in enumerate(requested):
        limit = tables.ncci.limit(req.code)
        if limit is None:
            continue
        billed = req.units if limit.mai == MAI_LINE else totals[req.code]
        if billed > limit.units:
            per = "on one claim line" if limit.mai == MAI_LINE else "in one day"
            unpaid[i] = f"denied: {billed} units {per} exceed the MUE of {limit.units} (MAI {limit.mai})"
    for verdict in pair_verdicts([(req.code, req.modifiers) for req in requested], day, tables.ncci.ptp):
        if verdict.denied and verdict.column2_line not in unpaid:
            edit = verdict.edit
            how = ("no modifier lifts it" if edit.modifier_indicator == PTP_NOT_ALLOWED
                   else "no PTP-associated modifier (59, XE, XS, XP, XU, 25, anatomic) lifts it")
            unpaid[verdict.column2_line] = (f"denied: NCCI PTP edit {edit.column1}/{edit.column2} (modifier "
                                            f"indicator {edit.modifier_indicator}) bundles it into {edit.column1}; "
                                            f"{how}")
    majors = [u.code for u in units if u.cents is not None and
              str(tables.schedule.global_days[tables.schedule.row(u.code, u.modifier)]) == "090"]
    codes = {req.code for req in requested}
    em_with_25 = any(req.code in cs.EM_CODES and "25" in req.modifiers for req in requested)
    for i, req in enumerate(requested):
        if i in unpaid or units[i].cents is None:
            continue
        if req.code in cs.EM_CODES and majors and "57" not in req.modifiers:
            unpaid[i] = f"part of the global surgical package of {majors[0]} (090 global days) without modifier 57"
        elif req.code == cs.G2211 and em_with_25 and not codes & cs.G2211_WITH_25_ALLOWED.keys():
            unpaid[i] = "G2211 is not paid when its E/M visit carries modifier 25"
    for i in range(len(requested)):
        others = any(j != i and j not in unpaid and units[j].cents is not None and status[j] != "T"
                     for j in range(len(requested)))
        if status[i] == "T" and i not in unpaid and units[i].cents is not None and others:
            unpaid[i] = "status T: paid only when no other paid fee-schedule service is billed that day (bundled)"
    return unpaid
