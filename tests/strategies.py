"""Hypothesis strategies and small in-memory fee-schedule tables shared by the tests.

Two kinds of strategy live here:

* strategies over a *given* table set (the shipped tables, or a synthetic one): a payable row, a locality key
  (``national`` included), a setting, a conversion-factor variant, the work-GPCI floor flag, lesion counts;
* strategies that *build* small synthetic table sets from exact decimals, for core tests that read no file.
  A synthetic set keeps the decimals it was built from, so a test can compute an independent reference.

And generated claims for the audit: clean visits of several patients (``clean_claims``) and their lines
remitted at what the contract allows (``remitted_lines``), read by the core audit and claims-CSV tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import strategies as st

from estimator.core.audit import AuditLine
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.lesions import lesion_lines
from estimator.core.payers import MEDICARE_PAYER, Method, Payer, Practice, allowed_lines
from estimator.core.remits import RemitLine
from estimator.core.rules import build_claim
from estimator.core.schedule import (
    NATIONAL_KEY,
    PAYABLE_STATUSES,
    CFVariant,
    FeeSchedule,
    Localities,
    PlaceOfService,
    PlacesOfService,
    Policy,
    Setting,
    TableSet,
)

# --- building small tables in memory ---------------------------------------------------------------------


@dataclass(frozen=True)
class RvuSpec:
    """One fee-schedule row as CMS prints it (decimal strings), for building a synthetic table."""

    code: str
    work: str = "0.00"
    pe_nonfacility: str = "0.00"
    pe_facility: str = "0.00"
    mp: str = "0.00"
    status: str = "A"
    modifier: str = ""
    nonfacility_na: bool = False
    facility_na: bool = False

    def rvus(self, setting: Setting) -> tuple[Decimal, Decimal, Decimal]:
        """The RVUs a setting is priced with; a setting marked NA takes the other setting's PE, as CMS's
        payment file PFREV26B does (its NA column repeats the priced setting's amount)."""
        facility = setting is Setting.FACILITY
        if self.facility_na if facility else self.nonfacility_na:
            facility = not facility
        pe = self.pe_facility if facility else self.pe_nonfacility
        return Decimal(self.work), Decimal(pe), Decimal(self.mp)

    @property
    def contractor_priced(self) -> bool:
        """Status R without RVUs: contractor priced if covered (RVU26B.pdf)."""
        return self.status == "R" and not any(Decimal(v) for v in (self.work, self.pe_nonfacility,
                                                                     self.pe_facility, self.mp))


@dataclass(frozen=True)
class LocalitySpec:
    """One locality's GPCIs as decimal strings."""

    key: str
    work: str = "1.000"
    pe: str = "1.000"
    mp: str = "1.000"
    work_unfloored: str | None = None
    state: str = "XX"
    name: str = "SOMEWHERE"

    def gpcis(self, floor: bool) -> tuple[Decimal, Decimal, Decimal]:
        work = self.work if floor or self.work_unfloored is None else self.work_unfloored
        return Decimal(work), Decimal(self.pe), Decimal(self.mp)


NATIONAL_SPEC = LocalitySpec(NATIONAL_KEY)


@dataclass(frozen=True)
class Synthetic:
    """A table set built in memory, with the decimals it came from."""

    tables: TableSet
    rows: tuple[RvuSpec, ...]
    localities: tuple[LocalitySpec, ...]
    cf: dict[CFVariant, Decimal] = field(default_factory=dict)

    def locality(self, key: str) -> LocalitySpec:
        if key == NATIONAL_KEY:
            return NATIONAL_SPEC
        return next(spec for spec in self.localities if spec.key == key)


def _scaled(text: str, scale: int) -> int:
    value = Decimal(text) * scale
    assert value == value.to_integral_value(), f"{text} has too many places for scale {scale}"
    return int(value)


def _strings(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str) if values else np.array([], dtype="<U1")


def make_tables(
    rows: Sequence[RvuSpec],
    localities: Sequence[LocalitySpec] = (),
    *,
    cf_nonqp: str = "33.4009",
    cf_qp: str = "33.5675",
    year: int = 2026,
    release: str = "TEST26",
) -> Synthetic:
    """A tiny, complete table set (places of service 11 and 22 only) from decimal strings."""
    def ints(values: Sequence[str], scale: int) -> np.ndarray:
        return np.array([_scaled(v, scale) for v in values], dtype=np.int64)

    blank = [""] * len(rows)
    schedule = FeeSchedule(
        release=release, year=year,
        codes=_strings([r.code for r in rows]), modifiers=_strings([r.modifier for r in rows]),
        descriptions=_strings(blank), status=_strings([r.status for r in rows]),
        work=ints([r.work for r in rows], 100), pe_nonfacility=ints([r.pe_nonfacility for r in rows], 100),
        pe_facility=ints([r.pe_facility for r in rows], 100), mp=ints([r.mp for r in rows], 100),
        nonfacility_na=np.array([r.nonfacility_na for r in rows], dtype=bool),
        facility_na=np.array([r.facility_na for r in rows], dtype=bool),
        pctc=_strings(blank), global_days=_strings(blank), mult_proc=_strings(blank),
        bilateral=_strings(blank), assistant=_strings(blank), co_surgeons=_strings(blank),
        team_surgery=_strings(blank),
        conversion_factor=_scaled(cf_nonqp, 10_000),
    )
    locs = list(localities)
    table = Localities(
        keys=_strings([g.key for g in locs]), macs=_strings([g.key[:5] for g in locs]),
        numbers=_strings([g.key[5:] for g in locs]), states=_strings([g.state for g in locs]),
        names=_strings([g.name for g in locs]), counties=_strings([""] * len(locs)),
        work=ints([g.work for g in locs], 1000),
        work_unfloored=ints([g.work_unfloored or g.work for g in locs], 1000),
        pe=ints([g.pe for g in locs], 1000), mp=ints([g.mp for g in locs], 1000),
    )
    places = PlacesOfService({
        "11": PlaceOfService("11", "Office", Setting.NONFACILITY),
        "22": PlaceOfService("22", "On Campus-Outpatient Hospital", Setting.FACILITY),
    })
    policy = Policy(
        year=year, cf_nonqp=Decimal(cf_nonqp), cf_qp=Decimal(cf_qp), part_b_deductible=Decimal("283.00"),
        coinsurance=Decimal("0.20"), nonpar_rate=Decimal("0.95"), limiting_charge_rate=Decimal("1.15"),
        sequestration=Decimal("0.02"), work_gpci_floor=True, sources={},
    )
    tables = TableSet(year=year, release=release, effective=dt.date(year, 1, 1),
                      schedule=schedule, localities=table, places=places, policy=policy, labels={})
    cf = {CFVariant.NONQP: Decimal(cf_nonqp), CFVariant.QP: Decimal(cf_qp)}
    return Synthetic(tables, tuple(rows), tuple(locs), cf)


# --- strategies that build synthetic tables --------------------------------------------------------------

ALL_STATUSES = "ABCDEFGHIJMNPRTX"


def decimals(places: int, low: int, high: int) -> st.SearchStrategy[str]:
    """A decimal string with exactly ``places`` places, from ``low`` to ``high`` units of the last place."""
    return st.integers(low, high).map(lambda n: f"{Decimal(n).scaleb(-places):.{places}f}")


#: RVUs from 0.00 to 999.99 (the largest real RVU is under 200), GPCIs in the importer's 0.200-5.000 range,
#: conversion factors from $0.0001 to $99.9999.
rvu_values = decimals(2, 0, 99_999)
gpci_values = decimals(3, 200, 5_000)
cf_values = decimals(4, 1, 999_999)


@st.composite
def rvu_specs(draw: st.DrawFn, code: str) -> RvuSpec:
    return RvuSpec(
        code=code, work=draw(rvu_values), pe_nonfacility=draw(rvu_values), pe_facility=draw(rvu_values),
        mp=draw(rvu_values), status=draw(st.sampled_from(ALL_STATUSES)),
        nonfacility_na=draw(st.booleans()), facility_na=draw(st.booleans()),
    )


@st.composite
def locality_specs(draw: st.DrawFn, key: str) -> LocalitySpec:
    return LocalitySpec(key=key, work=draw(gpci_values), pe=draw(gpci_values), mp=draw(gpci_values),
                        work_unfloored=draw(gpci_values))


@st.composite
def synthetic_tables(draw: st.DrawFn, max_rows: int = 10, max_localities: int = 6) -> Synthetic:
    """A random table set: random RVUs, statuses and NA flags, random GPCIs and conversion factors."""
    n_rows = draw(st.integers(1, max_rows))
    n_locs = draw(st.integers(0, max_localities))
    rows = [draw(rvu_specs(f"{10000 + i:05d}")) for i in range(n_rows)]
    locs = [draw(locality_specs(f"{1000 + i:05d}{i % 100:02d}")) for i in range(n_locs)]
    cf_nonqp, cf_qp = sorted([draw(cf_values), draw(cf_values)], key=Decimal)
    return make_tables(rows, locs, cf_nonqp=cf_nonqp, cf_qp=cf_qp)


# --- strategies over a given table set -------------------------------------------------------------------

settings_ = st.sampled_from(list(Setting))
cf_variants = st.sampled_from(list(CFVariant))
floors = st.booleans()


def payable_row_indices(tables: TableSet) -> np.ndarray:
    return np.flatnonzero(np.isin(tables.schedule.status, sorted(PAYABLE_STATUSES)))


def payable_rows(tables: TableSet) -> st.SearchStrategy[int]:
    """A row index among the rows with status A, R or T."""
    return st.sampled_from(payable_row_indices(tables).tolist())


def any_rows(tables: TableSet) -> st.SearchStrategy[int]:
    return st.integers(0, len(tables.schedule) - 1)


def locality_keys(tables: TableSet) -> st.SearchStrategy[str]:
    """One of the table set's locality keys, or ``national``."""
    return st.sampled_from([NATIONAL_KEY, *tables.localities.keys.tolist()])


@dataclass(frozen=True)
class PriceRequest:
    """Everything ``price_grid`` takes besides the tables."""

    rows: list[int]
    keys: list[str]
    settings: list[Setting]
    cf_variant: CFVariant
    floor: bool


@st.composite
def price_requests(draw: st.DrawFn, tables: TableSet, *, payable_only: bool = True, max_rows: int = 8,
                   max_localities: int = 6) -> PriceRequest:
    """Random rows x localities x settings x CF variant x floor for one table set."""
    row = payable_rows(tables) if payable_only else any_rows(tables)
    return PriceRequest(
        rows=draw(st.lists(row, min_size=1, max_size=max_rows)),
        keys=draw(st.lists(locality_keys(tables), min_size=1, max_size=max_localities)),
        settings=draw(st.lists(settings_, min_size=1, max_size=2, unique=True)),
        cf_variant=draw(cf_variants),
        floor=draw(floors),
    )


# --- lesion counts -----------------------------------------------------------------------------------------

lesion_counts = st.integers(1, 500)
single_tier_counts = st.integers(2, 14)
top_tier_counts = st.integers(15, 10_000)


# --- generated claims for the audit ------------------------------------------------------------------------

AK = ("L57.0",)
SUMMIT = Payer("Summit Health", Method.PERCENT_OF_MEDICARE, percent=Decimal(130), year=2026,
               prior_auth_codes=frozenset({"96574"}), frequency_count=2, frequency_days=365)
ACME = Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(115), year=2026, em25_reduction=Decimal(50),
             lesser_of_charge=True)
#: The payers the generated claims name (and the audit tests audit against).
AUDIT_PAYERS = (MEDICARE_PAYER, SUMMIT, ACME)
EM = ("99212", "99213", "99214", "99215")

#: (patient id, date of service, payer name, [(code, units, modifiers, diagnoses), ...]) per claim.
GeneratedClaims = list[tuple[str, dt.date, str, list[Any]]]


@st.composite
def clean_visits(draw: st.DrawFn) -> list[tuple[str, int, tuple[str, ...], tuple[str, ...]]]:
    """One valid visit: the right lesion tiers, 25 on a same-day visit, L57.0, maybe a biopsy."""
    visit = [(code, units, (), AK) for code, units in lesion_lines(draw(st.integers(1, 40)))]
    if draw(st.booleans()):
        visit.insert(0, (draw(st.sampled_from(EM)), 1, ("25",), AK))
    if draw(st.booleans()):
        visit.append(("11102", 1, (), ("D48.5",)))
    return visit


@st.composite
def clean_claims(draw: st.DrawFn) -> GeneratedClaims:
    """Claims of several patients (one or two visits each, months apart), each a clean visit."""
    claims = []
    for k in range(draw(st.integers(1, 12))):
        payer = draw(st.sampled_from(["Medicare", "Acme PPO", "Summit Health"]))
        day = dt.date(2026, 1, 2) + dt.timedelta(days=draw(st.integers(0, 200)))
        claims.append((f"P{k}", day, payer, draw(clean_visits())))
        if draw(st.booleans()):  # the same patient again, after the global period, within the frequency limit
            later = day + dt.timedelta(days=draw(st.integers(91, 160)))
            claims.append((f"P{k}", later, payer, draw(clean_visits())))
    return claims


def remitted_lines(claims: GeneratedClaims, tables_for_year: Callable[[int], TableSet]) -> list[AuditLine]:
    """The claims' lines, remitted at what the contract allows (51 shown where the reduction applies)."""
    by_name = {p.name: p for p in AUDIT_PAYERS}
    out = []
    for k, (patient, day, payer, visit) in enumerate(claims):
        encounter = Encounter(day, diagnoses=(), procedures=tuple(ServiceLine(c, u, m, d) for c, u, m, d in visit))
        claim = build_claim(encounter, tables_for_year(day.year))
        allowed, _ = allowed_lines(claim, by_name[payer], Practice(), tables_for_year)
        for (code, units, _, dx), a in zip(visit, allowed, strict=True):
            out.append(AuditLine(f"CLM{k}", patient, day, payer, code, units, a.line.modifiers, dx,
                                 billed_cents=2 * a.allowed_cents + 100, allowed_cents=a.allowed_cents,
                                 paid_cents=a.allowed_cents * 8 // 10))
    return out


# --- generated remittances (835 lines) for the reconciliation ----------------------------------------------

REMIT_PAYERS = ("Medicare", "Summit Health", "Acme PPO", "Nowhere Mutual")  # the last is in no payer list
REMIT_CODES = ("17000", "17003", "17004", "11102", "11103", "99213", "99214", "96574", "0001U")
REMIT_ADJUSTMENTS = (("CO", "45"), ("CO", "97"), ("CO", "151"), ("CO", "16"), ("PR", "1"), ("PR", "2"),
                     ("PR", "3"), ("CO", "253"), ("OA", "23"), ("CO", "999"), ("PI", "204"))


@st.composite
def remit_claims(draw: st.DrawFn) -> list[RemitLine]:
    """Remitted lines of a few claims: payers known and unknown, denials, patient shares, AMT*B6 or not."""
    out: list[RemitLine] = []
    for k in range(draw(st.integers(1, 8))):
        payer = draw(st.sampled_from(REMIT_PAYERS))
        day = dt.date(2025, 12, 1) + dt.timedelta(days=draw(st.integers(0, 120)))
        paid_on = day + dt.timedelta(days=draw(st.integers(0, 60)))
        patient = f"SYN-PT-{draw(st.integers(0, 3))}"
        for n in range(draw(st.integers(1, 4))):
            adjustments = tuple((group, carc, draw(st.integers(-500, 20_000)))
                                for group, carc in draw(st.lists(st.sampled_from(REMIT_ADJUSTMENTS), max_size=3)))
            out.append(RemitLine(
                payer, "PAYER1", "Synthetic Dermatology", f"TRN{k}", paid_on, f"CLM{k}", f"PCN{k}",
                draw(st.sampled_from(["1", "2", "4"])), patient, str(n + 1), day, draw(st.sampled_from(REMIT_CODES)),
                draw(st.sampled_from([(), ("25",), ("51",), ("59",)])), draw(st.integers(1, 3)),
                draw(st.sampled_from([0, 100, 25_000])), draw(st.sampled_from([0, 1, 4_000, 12_345])),
                draw(st.one_of(st.none(), st.integers(-100, 40_000))), adjustments,
                tuple(draw(st.lists(st.sampled_from(["M15", "N362", "MA130", "X99"]), max_size=2)))))
    return out
