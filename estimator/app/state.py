"""The estimate the user is building, shared by every page that shows it.

``Inputs`` is the value (frozen): the visit, the payer and the patient's benefits.  ``EstimateInputs``
is the one QObject holding the current ``Inputs`` and their priced ``Estimate``; widgets receive it in
their constructor and listen to its signals.  The main window builds one and attaches it to the
``AppContext`` as ``context.estimate_inputs`` (pages keep the ``create_page(context)`` contract and
call ``shared_inputs(context)`` to find it).

Pricing is the core's: ``build_claim`` then ``cost_sharing.estimate`` (~0.3 ms), so every change is
recomputed synchronously.  An input the core refuses leaves the last good estimate in place and reports
the problem through ``estimate_failed``.

A form field holding text that is not a valid value (coinsurance "150") is reported with
``set_field_problem``: the estimate is then *stale* (``stale_reason``) — it shows the last good inputs,
so pages grey it out and printing and exporting refuse it until the field is fixed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal

from estimator.app.context import AppContext
from estimator.core.codes import ACTINIC_KERATOSIS
from estimator.core.cost_sharing import Benefits, CopayPer, Estimate, estimate
from estimator.core.encounter import Claim, Encounter, ServiceLine, price_lines
from estimator.core.errors import EstimatorError
from estimator.core.lesions import FIFTEEN_OR_MORE, lesion_lines
from estimator.core.lesions import MAX_LESIONS as CORE_MAX_LESIONS
from estimator.core.payers import MEDICARE, Payer, Practice, TablesForYear, allowed_lines
from estimator.core.rules import build_claim
from estimator.core.schedule import NATIONAL_KEY, Setting, TableSet

log = logging.getLogger(__name__)

MAX_LESIONS: Final = CORE_MAX_LESIONS  # the same range as the CLI; an implausible count is a warning finding
CHART_LESIONS: Final = 40  # the lesion chart's x range
SERIES_CLAIMS_REMEMBERED: Final = 2_000  # priced claims the lesion series keeps (about 30 per visit setup)
#: The place of service used for the other setting's curve when the visit's own POS is of one setting.
REPRESENTATIVE_POS: Final = {Setting.NONFACILITY: "11", Setting.FACILITY: "22"}
FloatArray = npt.NDArray[np.float64]
PLAN_STANDARD: Final = Benefits()  # nothing entered: the plan's standard deductible and coinsurance


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the estimate page asks for; the date defaults to today's."""

    date_of_service: dt.date
    lesions: int = 8
    place_of_service: str = "11"
    locality_key: str = NATIONAL_KEY
    payer: str = MEDICARE
    em_code: str | None = None
    g2211: bool = False
    procedures: tuple[ServiceLine, ...] = ()
    diagnoses: tuple[str, ...] = (ACTINIC_KERATOSIS,)
    benefits: Benefits = PLAN_STANDARD
    documented: frozenset[str] | None = None  # the documentation checklist; None: not assessed

    def encounter(self, practice: Practice) -> Encounter:
        """The visit as the core's ``Encounter`` (CF variant from the practice profile).

        Raises:
            InputError: an unacceptable combination (e.g. G2211 without a visit).
        """
        return Encounter(
            date_of_service=self.date_of_service, place_of_service=self.place_of_service,
            locality_key=self.locality_key, cf_variant=practice.cf_variant, lesions=self.lesions,
            em_code=self.em_code, g2211=self.g2211 and self.em_code is not None, procedures=self.procedures,
            diagnoses=self.diagnoses, documented=self.documented,
        )

    def to_json(self) -> str:
        """The inputs worth remembering between runs (not the date: a new day is a new visit)."""
        b = self.benefits
        return json.dumps({
            "lesions": self.lesions, "pos": self.place_of_service, "locality": self.locality_key,
            "payer": self.payer, "em": self.em_code, "g2211": self.g2211,
            "procedures": [p.text() for p in self.procedures], "diagnoses": list(self.diagnoses),
            "benefits": {
                "deductible": b.deductible_remaining_cents,
                "coinsurance": None if b.coinsurance_pct is None else str(b.coinsurance_pct),
                "copay": b.copay_cents, "copay_per": b.copay_per.value, "oop": b.oop_remaining_cents,
                "secondary": str(b.secondary_pct),
            },
        }, sort_keys=True)

    @staticmethod
    def from_json(text: str, date_of_service: dt.date) -> Inputs | None:
        """Inputs saved by ``to_json``, or ``None`` when the text is not readable (logged)."""
        if not text:
            return None
        try:
            data: dict[str, Any] = json.loads(text)
            b = data.get("benefits") or {}
            benefits = Benefits(
                deductible_remaining_cents=b.get("deductible"),
                coinsurance_pct=None if b.get("coinsurance") is None else Decimal(b["coinsurance"]),
                copay_cents=int(b.get("copay") or 0), copay_per=CopayPer(b.get("copay_per", "visit")),
                oop_remaining_cents=b.get("oop"), secondary_pct=Decimal(b.get("secondary") or 0),
            )
            return Inputs(
                date_of_service=date_of_service,
                lesions=min(max(int(data["lesions"]), 1), MAX_LESIONS), place_of_service=str(data["pos"]),
                locality_key=str(data["locality"]), payer=str(data["payer"]), em_code=data.get("em"),
                g2211=bool(data.get("g2211")),
                procedures=tuple(ServiceLine.parse(p) for p in data.get("procedures", [])),
                diagnoses=tuple(data.get("diagnoses", [ACTINIC_KERATOSIS])), benefits=benefits,
            )
        except (EstimatorError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
            log.warning("ignoring the saved estimate inputs: %s", exc)
            return None


@dataclass(frozen=True, slots=True, eq=False)
class LesionSeries:
    """Expected payment for 1..N lesions with everything else as entered (floats: for charts only)."""

    counts: npt.NDArray[np.int64]
    allowed: dict[Setting, FloatArray]  # allowed total in dollars, per setting
    patient: FloatArray  # the patient's share in the visit's own setting, in dollars
    setting: Setting  # the visit's own setting
    payer: str
    tier_break: int  # the first count billed as 17004


#: A priced claim of the lesion series: the tables, the visit with one lesion, and the lesion lines billed.
SeriesClaimKey = tuple[TableSet, Encounter, tuple[tuple[str, int], ...]]


def lesion_series(inputs: Inputs, tables: TableSet, payer: Payer, practice: Practice,
                  tables_for: TablesForYear, max_count: int = CHART_LESIONS,
                  claims: dict[SeriesClaimKey, Claim] | None = None) -> LesionSeries:
    """Price the visit for every lesion count 1..``max_count`` in both settings.

    Counts that bill the same lines (every count from 15 up is 17004 x1) are priced once.  ``claims``
    remembers priced claims between calls: a claim does not depend on the payer or the patient's
    benefits, so after a payer change only the payment (``estimate``) is worked out again.

    Raises:
        EstimatorError: the visit cannot be priced.
    """
    counts = np.arange(1, max_count + 1, dtype=np.int64)
    own = tables.places.get(inputs.place_of_service).setting
    allowed: dict[Setting, FloatArray] = {}
    patient = np.zeros(len(counts), dtype=np.float64)
    # Counts that bill the same lines (every count from 15 up is 17004 x1) share one claim and one payment.
    bills: dict[tuple[tuple[str, int], ...], list[int]] = {}
    for n in counts.tolist():
        bills.setdefault(tuple(lesion_lines(n)), []).append(n)
    tier_break = next((ns[0] for lines, ns in bills.items() if lines[0][0] == FIFTEEN_OR_MORE), max_count + 1)
    for setting in Setting:
        pos = inputs.place_of_service if setting is own else REPRESENTATIVE_POS[setting]
        # The visit with one lesion stands for every count in the claim cache's key: building and hashing
        # an encounter per count cost more than the pricing the cache saves.
        base = dataclasses.replace(inputs, lesions=1, place_of_service=pos).encounter(practice)
        values = np.zeros(len(counts), dtype=np.float64)
        for lines, ns in bills.items():
            claim_key = (tables, base, lines)
            claim = claims.get(claim_key) if claims is not None else None
            if claim is None:
                claim = price_lines(dataclasses.replace(base, lesions=ns[0]), tables)  # no rule checks needed here
                if claims is not None:
                    if len(claims) >= SERIES_CLAIMS_REMEMBERED:
                        claims.clear()
                    claims[claim_key] = claim
            at = np.asarray(ns) - 1
            if setting is own:
                est = estimate(claim, payer, practice, inputs.benefits, tables_for)
                values[at] = est.allowed_cents / 100
                patient[at] = est.patient_cents / 100
            else:  # only the allowed amount is drawn for the other setting: no cost sharing to work out
                lines_allowed, _ = allowed_lines(claim, payer, practice, tables_for)
                values[at] = sum(a.allowed_cents for a in lines_allowed) / 100
        allowed[setting] = values
    return LesionSeries(counts, allowed, patient, own, payer.name, tier_break)


class EstimateInputs(QObject):
    """The current inputs and their estimate, shared between pages.

    Signals:
        inputs_changed(Inputs): the inputs changed (the estimate follows at once).
        estimate_changed(Estimate): a new estimate was priced.
        estimate_failed(str): the inputs could not be priced; ``estimate`` still holds the last good one.
        stale_changed(object): ``stale_reason`` changed (the new reason, or ``None``).
    """

    inputs_changed = Signal(object)
    estimate_changed = Signal(object)
    estimate_failed = Signal(str)
    stale_changed = Signal(object)

    def __init__(self, context: AppContext, inputs: Inputs | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._practice: Practice | None = None
        self._payers: dict[str, Payer] = {}
        self._store_version = 0
        self._series_key: tuple[Any, ...] | None = None
        self._series: LesionSeries | None = None
        self._series_claims: dict[SeriesClaimKey, Claim] = {}
        self._estimate: Estimate | None = None
        self._priced_inputs: Inputs | None = None
        self._error: str | None = None
        self._field_problems: dict[str, str] = {}  # field label -> why its text is not a valid value
        self._stale: str | None = None
        if inputs is None:
            practice = self.practice()
            inputs = Inputs(dt.date.today(), place_of_service=practice.place_of_service,
                            locality_key=practice.locality_key)
        elif inputs.payer.lower() not in (n.lower() for n in context.store.payer_names()):
            inputs = dataclasses.replace(inputs, payer=MEDICARE)  # remembered inputs name a removed payer
        self._inputs = inputs
        context.store_changed.connect(self._on_store_changed)
        context.tables_changed.connect(self._on_store_changed)
        self.recompute()

    # --- reading ------------------------------------------------------------------------------------------

    @property
    def inputs(self) -> Inputs:
        return self._inputs

    @property
    def estimate(self) -> Estimate | None:
        """The last estimate that could be priced (``None`` only if none ever could)."""
        return self._estimate

    @property
    def priced_inputs(self) -> Inputs | None:
        """The inputs that produced ``estimate`` (they differ from ``inputs`` while those cannot be priced)."""
        return self._priced_inputs

    @property
    def error(self) -> str | None:
        """Why the current inputs could not be priced, or ``None``."""
        return self._error

    @property
    def field_problems(self) -> dict[str, str]:
        """Form fields whose text is not a valid value (label -> message), in the order reported."""
        return dict(self._field_problems)

    @property
    def stale_reason(self) -> str | None:
        """Why ``estimate`` is not the estimate of what is on screen ("fix Coinsurance"), or ``None``."""
        return self._stale

    def set_field_problem(self, field: str, message: str | None) -> None:
        """Report that the form field labelled ``field`` holds an invalid value (``message``), or no longer does."""
        if message:
            self._field_problems[field] = message
        else:
            self._field_problems.pop(field, None)
        self._update_stale()

    def _update_stale(self) -> None:
        if self._field_problems:
            reason: str | None = "fix " + ", ".join(self._field_problems)
        elif self._error is not None:
            reason = self._error
        else:
            reason = None
        if reason != self._stale:
            self._stale = reason
            self.stale_changed.emit(reason)

    def practice(self) -> Practice:
        if self._practice is None:
            self._practice = self.context.store.practice()
        return self._practice

    def payer(self, name: str | None = None) -> Payer:
        """A payer from the store (cached until the store changes).

        Raises:
            InputError: no such payer.
        """
        name = self._inputs.payer if name is None else name
        if name not in self._payers:
            self._payers[name] = self.context.store.payer(name)
        return self._payers[name]

    def tables(self) -> TableSet:
        """The tables in force on the date of service.

        Raises:
            InputError: no tables for that year.
        """
        return self.context.tables(on=self._inputs.date_of_service)

    def tables_for(self) -> Callable[[int], TableSet]:
        return self.context.tables_for_year

    # --- changing -----------------------------------------------------------------------------------------

    def update(self, **changes: Any) -> None:
        """Change some inputs (``Inputs`` field names) and re-price."""
        self.set_inputs(dataclasses.replace(self._inputs, **changes))

    def set_lesions(self, count: int) -> None:
        self.update(lesions=int(count))

    def set_inputs(self, inputs: Inputs) -> None:
        if inputs == self._inputs:
            return
        self._inputs = inputs
        self.inputs_changed.emit(inputs)
        self.recompute()

    def recompute(self) -> None:
        """Price the current inputs; emit ``estimate_changed`` or ``estimate_failed``."""
        try:
            tables = self.tables()
            claim = build_claim(self._inputs.encounter(self.practice()), tables)
            result = estimate(claim, self.payer(), self.practice(), self._inputs.benefits, self.tables_for())
        except EstimatorError as exc:
            self._error = str(exc)
            self.estimate_failed.emit(self._error)
            self._update_stale()
            return
        self._error = None
        self._estimate = result
        self._priced_inputs = self._inputs
        self.estimate_changed.emit(result)
        self._update_stale()

    def lesion_series(self) -> LesionSeries | None:
        """Payment by lesion count for the current inputs; recomputed only when something other than the
        lesion count changed (the series does not depend on it).  ``None`` when it cannot be priced."""
        key = (dataclasses.replace(self._inputs, lesions=1), self._store_version, id(self.context.catalog))
        if key != self._series_key:
            self._series_key = key
            try:
                self._series = lesion_series(self._inputs, self.tables(), self.payer(), self.practice(),
                                             self.tables_for(), claims=self._series_claims)
            except EstimatorError as exc:
                log.info("no lesion chart: %s", exc)
                self._series = None
        return self._series

    def _on_store_changed(self) -> None:
        self._practice = None
        self._series_claims.clear()
        self._payers.clear()
        self._store_version += 1
        if self._inputs.payer.lower() not in (n.lower() for n in self.context.store.payer_names()):
            self._inputs = dataclasses.replace(self._inputs, payer=MEDICARE)
            self.inputs_changed.emit(self._inputs)
        self.recompute()


def shared_inputs(context: AppContext) -> EstimateInputs:
    """The ``EstimateInputs`` attached to ``context`` (created and attached on first use)."""
    state = getattr(context, "estimate_inputs", None)
    if not isinstance(state, EstimateInputs):
        state = EstimateInputs(context, parent=context)
        context.estimate_inputs = state
    return state
