"""The Good Faith Estimate for an uninsured or self-pay patient (No Surprises Act, 45 CFR 149.610), as values.

A ``GoodFaithEstimate`` holds every element 45 CFR 149.610(c) requires: the patient's name and date of
birth; the primary service in plain language and its scheduled date; an itemized list, grouped by provider,
with diagnosis codes, service codes and expected charges; each provider's name, NPI, TIN, state and
location; the items or services to be scheduled separately.  The four disclaimers are fixed text that the
report adds.  ``missing_elements`` names, in plain words, every element that is absent, so no incomplete
estimate is ever issued.

The expected charge is the practice's cash price for a self-pay patient (45 CFR 149.610(a)(2)(v)): the
estimate is built from an ``Estimate`` under a self-pay payer.  A later bill at least $400 over the total
lets the patient start patient-provider dispute resolution within 120 days of the bill (45 CFR 149.620).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from estimator.core import codes as cs
from estimator.core.business_days import GfeDue, GfeTiming, gfe_due
from estimator.core.cost_sharing import Estimate
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.payers import Method, Practice

DISPUTE_THRESHOLD_CENTS: Final = 40_000  # "substantially in excess": at least $400 (45 CFR 149.620(a)(2)(ii))
DISPUTE_WINDOW_DAYS: Final = 120  # calendar days from the initial bill (45 CFR 149.620(c))
RETENTION_YEARS: Final = 6  # a copy is kept 6 years (45 CFR 149.610)
NOSURPRISES_URL: Final = "www.cms.gov/nosurprises"
NOSURPRISES_PHONE: Final = "1-800-985-3059"


@dataclass(frozen=True, slots=True)
class Patient:
    """Who the document is for. Names stay in the user's own database and documents."""

    name: str = ""
    dob: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider or facility on the estimate (the convening provider is the practice itself)."""

    name: str
    npi: str
    tin: str
    address: str
    state: str
    convening: bool = True

    @staticmethod
    def from_practice(practice: Practice) -> Provider:
        return Provider(practice.name.strip(), practice.npi.strip(), practice.tin.strip(),
                        practice.address.strip(), practice.state, True)


@dataclass(frozen=True, slots=True)
class GfeItem:
    """One itemized service with its codes and expected charge."""

    code: str
    label: str  # plain-language English label (reports translate featured codes)
    units: int
    modifiers: tuple[str, ...]
    diagnoses: tuple[str, ...]
    charge_cents: int


@dataclass(frozen=True, slots=True)
class ProviderEstimate:
    """One provider's part of the estimate: who, where, and the itemized services."""

    provider: Provider
    place: str  # place of service, e.g. "11 Office"
    items: tuple[GfeItem, ...]

    @property
    def total_cents(self) -> int:
        return sum(item.charge_cents for item in self.items)


@dataclass(frozen=True, slots=True)
class GoodFaithEstimate:
    """Everything one Good Faith Estimate says (see the module docstring)."""

    patient: Patient
    primary_code: str
    primary_label: str  # English plain-language label of the primary service
    lesions: int  # premalignant lesions treated (0 when none), for the plain-language description
    service_date: dt.date | None  # None: requested without scheduling
    due: GfeDue
    providers: tuple[ProviderEstimate, ...]
    separately: tuple[str, ...]  # items or services to be scheduled separately
    issued_on: dt.date
    primary_text: str = ""  # the user's own description of the primary service, when given
    requested: bool = False  # asked for by the patient before anything was scheduled
    #: When a charge fell back to a Medicare rate that only stands in for a year not yet published:
    #: the rates' year and the year of service (0 otherwise).
    rates_year: int = 0
    rates_for_year: int = 0

    @property
    def total_cents(self) -> int:
        return sum(p.total_cents for p in self.providers)

    @property
    def dispute_threshold_cents(self) -> int:
        """The billed total at which the patient may start dispute resolution."""
        return self.total_cents + DISPUTE_THRESHOLD_CENTS

    @property
    def items(self) -> tuple[GfeItem, ...]:
        return tuple(item for p in self.providers for item in p.items)


def _primary_index(estimate: Estimate) -> int:
    """The primary service: the first procedure that is not a visit or an add-on, else the first line."""
    for i, ln in enumerate(estimate.lines):
        line = ln.allowed.line
        if not line.is_em and line.code != cs.G2211 and line.global_days != "ZZZ":
            return i
    return 0


def build_gfe(
    estimate: Estimate | None,
    practice: Practice,
    patient: Patient,
    *,
    start: dt.date,
    service_date: dt.date | None,
    issued_on: dt.date,
    separately: Sequence[str] = (),
    primary_text: str = "",
    requested: bool = False,
) -> GoodFaithEstimate:
    """A Good Faith Estimate from a self-pay estimate of the visit and the practice profile.

    Args:
        estimate: the visit priced under a self-pay payer (its allowed amounts are the expected charges);
            ``None`` when no service was given yet (``missing_elements`` then names the services).
        practice: the convening provider.
        patient: name and date of birth.
        start: the date the service was scheduled, or the date of the request when ``requested``.
        service_date: the scheduled date of the primary service (may be None when ``requested``).
        issued_on: the date the estimate is given.
        separately: items or services to be scheduled separately.
        primary_text: a description of the primary service to use instead of the generated one.
        requested: the patient asked for an estimate; the request date starts the clock.

    Raises:
        InputError: the estimate is not self-pay, or the service date is before the scheduling date.
    """
    items: tuple[GfeItem, ...] = ()
    place = ""
    primary_code = primary_label = ""
    lesions = rates_year = rates_for_year = 0
    if estimate is not None:
        if estimate.payer.method is not Method.SELF_PAY:
            raise InputError(f"a Good Faith Estimate uses the self-pay price; {estimate.payer.name!r} is not a "
                             "self-pay payer (use the built-in 'Self-pay' or another self-pay payer)")
        items = tuple(
            GfeItem(ln.allowed.line.code, ln.allowed.line.label, ln.allowed.line.units, ln.allowed.line.modifiers,
                    ln.allowed.line.diagnoses, ln.patient_cents)
            for ln in estimate.lines)
        place = f"{estimate.claim.place.code} {estimate.claim.place.name}"
        if estimate.lines:
            primary = estimate.lines[_primary_index(estimate)].allowed.line
            primary_code, primary_label = primary.code, primary.label
        lesions = estimate.claim.encounter.lesions
        if (stand_in := estimate.provisional) is not None:
            rates_year, rates_for_year = stand_in.year, stand_in.for_year
    if service_date is not None and service_date < start:
        gfe_due(start, service_date)  # raises with the explanation
    return GoodFaithEstimate(
        patient=Patient(patient.name.strip(), patient.dob),
        primary_code=primary_code, primary_label=primary_label, lesions=lesions,
        service_date=service_date, due=gfe_due(start, None if requested else service_date),
        providers=(ProviderEstimate(Provider.from_practice(practice), place, items),),
        separately=tuple(s.strip() for s in separately if s.strip()), issued_on=issued_on,
        primary_text=primary_text.strip(), requested=requested, rates_year=rates_year,
        rates_for_year=rates_for_year,
    )


def late_finding(gfe: GoodFaithEstimate) -> Finding | None:
    """A warning when the estimate is issued after its due date (45 CFR 149.610(b)(1)(vi)), else ``None``."""
    due = gfe.due.due
    if due is None or gfe.issued_on <= due:
        return None
    return Finding("gfe-late", "warning",
                   f"This Good Faith Estimate is issued on {gfe.issued_on.isoformat()}, after its due date "
                   f"{due.isoformat()}. {gfe.due.explain()}", "45 CFR 149.610(b)(1)(vi)",
                   "Give it to the patient at once and note in the record why it was late.")


def missing_elements(gfe: GoodFaithEstimate) -> list[str]:
    """Every required element the estimate lacks, in plain words (empty when it can be issued).

    E.g. ``["patient date of birth", "provider NPI", "provider TIN"]``.
    """
    missing: list[str] = []
    if not gfe.patient.name.strip():
        missing.append("patient name")
    if gfe.patient.dob is None:
        missing.append("patient date of birth")
    if gfe.service_date is None and not gfe.requested:
        missing.append("scheduled date of the primary service")
    if not gfe.items:
        missing.append("itemized services")
    if not (gfe.primary_text or gfe.primary_label or gfe.lesions):
        missing.append("description of the primary service")
    for i, part in enumerate(gfe.providers):
        p = part.provider
        of = "" if i == 0 else f" of {p.name or f'provider {i + 1}'}"
        if not p.name.strip():
            missing.append(f"provider name{of}")
        if not p.npi.strip():
            missing.append(f"provider NPI{of}")
        elif not re.fullmatch(r"\d{10}", p.npi.strip()):
            missing.append(f"a valid provider NPI (10 digits){of}")
        if not p.tin.strip():
            missing.append(f"provider TIN{of}")
        if not p.address.strip():
            missing.append(f"provider location (address){of}")
        if not p.state.strip():
            missing.append(f"provider state{of}")
        no_dx = [item.code for item in part.items if not item.diagnoses]
        if no_dx:
            missing.append(f"diagnosis code for {', '.join(dict.fromkeys(no_dx))}{of}")
    return missing


# --- keeping and comparing ---------------------------------------------------------------------------------

def retain_until(issued: dt.date) -> dt.date:
    """The last day the copy must be kept: issued + 6 years (29 February -> 28 February)."""
    year = issued.year + RETENTION_YEARS
    try:
        return issued.replace(year=year)
    except ValueError:
        return issued.replace(year=year, day=28)


@dataclass(frozen=True, slots=True)
class BillComparison:
    """A later bill against the Good Faith Estimate's total."""

    gfe_total_cents: int
    billed_cents: int

    @property
    def excess_cents(self) -> int:
        """How much the bill is over the estimate (negative when under)."""
        return self.billed_cents - self.gfe_total_cents

    @property
    def dispute_eligible(self) -> bool:
        """Billed at least $400 over the estimate: the patient may start dispute resolution."""
        return self.excess_cents >= DISPUTE_THRESHOLD_CENTS


def compare_bill(gfe_total_cents: int, billed_cents: int) -> BillComparison:
    """Compare a bill with the estimate.

    Raises:
        InputError: a negative amount.
    """
    if billed_cents < 0 or gfe_total_cents < 0:
        raise InputError("a billed amount cannot be negative")
    return BillComparison(gfe_total_cents, billed_cents)


# --- a JSON-ready form, so a logged estimate can be shown and printed again exactly -------------------------

def gfe_to_dict(gfe: GoodFaithEstimate) -> dict[str, Any]:
    """The estimate as JSON-ready data (dates ISO, money in integer cents)."""
    def day(d: dt.date | None) -> str | None:
        return None if d is None else d.isoformat()

    return {
        "patient": {"name": gfe.patient.name, "dob": day(gfe.patient.dob)},
        "primary_code": gfe.primary_code, "primary_label": gfe.primary_label, "lesions": gfe.lesions,
        "primary_text": gfe.primary_text, "service_date": day(gfe.service_date),
        "due": {"timing": gfe.due.timing.value, "start": gfe.due.start.isoformat(),
                "service_date": day(gfe.due.service_date), "due": day(gfe.due.due),
                "business_days_ahead": gfe.due.business_days_ahead},
        "providers": [{
            "name": part.provider.name, "npi": part.provider.npi, "tin": part.provider.tin,
            "address": part.provider.address, "state": part.provider.state,
            "convening": part.provider.convening,
            "place": part.place,
            "items": [{"code": i.code, "label": i.label, "units": i.units, "modifiers": list(i.modifiers),
                       "diagnoses": list(i.diagnoses), "charge_cents": i.charge_cents} for i in part.items],
        } for part in gfe.providers],
        "separately": list(gfe.separately), "issued_on": gfe.issued_on.isoformat(),
        "requested": gfe.requested, "total_cents": gfe.total_cents,
        "rates_year": gfe.rates_year, "rates_for_year": gfe.rates_for_year,
    }


def gfe_from_dict(data: Mapping[str, Any]) -> GoodFaithEstimate:
    """The inverse of ``gfe_to_dict``.

    Raises:
        InputError: the data is not a stored Good Faith Estimate.
    """
    def day(text: Any) -> dt.date | None:
        return None if not text else dt.date.fromisoformat(str(text))

    try:
        due = data["due"]
        start = day(due["start"])
        assert start is not None
        return GoodFaithEstimate(
            patient=Patient(str(data["patient"]["name"]), day(data["patient"]["dob"])),
            primary_code=str(data["primary_code"]), primary_label=str(data["primary_label"]),
            lesions=int(data["lesions"]), service_date=day(data["service_date"]),
            due=GfeDue(GfeTiming(due["timing"]), start, day(due["service_date"]), day(due["due"]),
                       None if due["business_days_ahead"] is None else int(due["business_days_ahead"])),
            providers=tuple(ProviderEstimate(
                Provider(str(p["name"]), str(p["npi"]), str(p["tin"]), str(p["address"]), str(p["state"]),
                         bool(p["convening"])),
                str(p["place"]),
                tuple(GfeItem(str(i["code"]), str(i["label"]), int(i["units"]), tuple(i["modifiers"]),
                              tuple(i["diagnoses"]), int(i["charge_cents"])) for i in p["items"]),
            ) for p in data["providers"]),
            separately=tuple(str(s) for s in data["separately"]),
            issued_on=dt.date.fromisoformat(data["issued_on"]),
            primary_text=str(data.get("primary_text", "")), requested=bool(data.get("requested", False)),
            rates_year=int(data.get("rates_year", 0)), rates_for_year=int(data.get("rates_for_year", 0)),
        )
    except (KeyError, TypeError, ValueError, AssertionError) as exc:
        raise InputError(f"not a stored Good Faith Estimate ({type(exc).__name__}: {exc})") from None
