"""Claims audit (estimator.core.audit): claims with known violations and underpayments find exactly those.

Core tests: no files, the shipped tables through the session fixtures, payers built in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.core.audit import (
    DROPPED_INFO,
    AuditLine,
    AuditResult,
    ClaimLines,
    RowProblem,
    audit_claims,
    finding_rows,
    result_dict,
    summary,
)
from estimator.core.errors import InputError
from estimator.core.payers import Method, Payer, Practice
from estimator.core.schedule import CFVariant, TableSet
from tests.strategies import AK, AUDIT_PAYERS, GeneratedClaims, clean_claims, remitted_lines

D = dt.date
MEDICARE = "Medicare"


@pytest.fixture
def audit(tables_2025: TableSet, tables_2026: TableSet) -> Callable[..., AuditResult]:
    """Audit row values with the shipped tables and the payers above."""
    def tables_for_year(year: int) -> TableSet:
        return tables_2026 if year >= 2026 else tables_2025

    def run(lines: Sequence[AuditLine], **kwargs: object) -> AuditResult:
        batch = kwargs.pop("batch", None) or ClaimLines.from_lines(lines)
        options: dict[str, object] = {"payers": AUDIT_PAYERS, "practice": Practice(),
                                      "tables_for_date": lambda day: tables_for_year(day.year),
                                      "tables_for_year": tables_for_year, **kwargs}
        return audit_claims(batch, **options)  # type: ignore[arg-type]

    return run


def line(claim: str, patient: str, day: dt.date, code: str, units: int = 1, mods: tuple[str, ...] = (),
         dx: tuple[str, ...] = AK, payer: str = MEDICARE, **kwargs: object) -> AuditLine:
    return AuditLine(claim, patient, day, payer, code, units, mods, dx, **kwargs)  # type: ignore[arg-type]


def found(result: AuditResult) -> set[tuple[str, str, str]]:
    """(claim id, rule, code) of every finding."""
    return {(result.claims[f.claim].claim_id, f.finding.code, f.finding.line_code or "") for f in result.findings}


KNOWN = [
    line("C01", "P01", D(2026, 3, 2), "17004"), line("C01", "P01", D(2026, 3, 2), "17003", 2),
    line("C02", "P02", D(2026, 3, 2), "17003", 3),
    line("C03", "P03", D(2026, 3, 2), "17000"), line("C03", "P03", D(2026, 3, 2), "17003", 14),
    line("C04", "P04", D(2026, 3, 2), "99213"), line("C04", "P04", D(2026, 3, 2), "17000"),
    line("C04", "P04", D(2026, 3, 2), "17003", 2),
    line("C05", "P05", D(2026, 3, 2), "17000", dx=("L82.1",)),
    line("C06", "P06", D(2026, 3, 2), "17000"), line("C07", "P06", D(2026, 3, 7), "99213"),
    line("C08", "P08", D(2026, 3, 2), "11102", dx=("D48.5",), allowed_cents=9553),
    line("C08", "P08", D(2026, 3, 2), "17000", allowed_cents=6647),
    line("C09", "P09", D(2026, 1, 5), "17000", payer="Summit Health"),
    line("C10", "P09", D(2026, 3, 5), "17000", payer="Summit Health"),
    line("C11", "P09", D(2026, 6, 5), "17000", payer="Summit Health"),
    line("C12", "P12", D(2026, 3, 2), "96574", payer="Summit Health", prior_auth=False),
    line("C13", "P13", D(2026, 3, 2), "17000", billed_cents=15000, allowed_cents=6147),
    line("C14", "P14", D(2026, 3, 2), "17000", billed_cents=15000, allowed_cents=6600),
    line("C15", "P15", D(2026, 3, 2), "99213", mods=("25",), allowed_cents=9519),
    line("C15", "P15", D(2026, 3, 2), "17000", allowed_cents=6647),
    line("C15", "P15", D(2026, 3, 2), "17003", 4, allowed_cents=2540),
    line("C16", "P16", D(2026, 3, 2), "96574", payer="Summit Health", prior_auth=True),
]
EXPECTED = {
    ("C01", "lesion-17004-exclusive", "17004"), ("C01", "add-on-without-primary", "17003"),
    ("C02", "add-on-without-primary", "17003"),
    ("C03", "unit-limit", "17003"),
    ("C04", "em-needs-25", "99213"),
    ("C05", "diagnosis-mismatch", "17000"),
    ("C07", "global-period-visit", "99213"),
    ("C08", "mppr-missing", "17000"),
    ("C11", "frequency-limit", "17000"),
    ("C12", "prior-auth-missing", "96574"),
    ("C13", "underpaid", "17000"),
}


def test_a_file_of_known_violations_finds_exactly_those(audit: Callable[..., AuditResult]) -> None:
    result = audit(KNOWN)
    assert found(result) == EXPECTED
    assert len(result.findings) == len(EXPECTED)
    assert not result.problems
    assert len(result.claims) == 16


def test_the_underpayment_beyond_tolerance_is_reported_with_its_amounts_and_the_one_within_is_not(
        audit: Callable[..., AuditResult]) -> None:
    result = audit(KNOWN)
    (under,) = [f for f in result.findings if f.finding.code == "underpaid"]
    assert (under.expected_cents, under.remitted_cents, under.variance_cents) == (6647, 6147, -500)
    assert result.underpaid_cents == 500
    c14 = next(c for c in result.claims if c.claim_id == "C14")
    assert c14.findings == () and c14.expected_cents == 6647 and c14.remitted_cents == 6600
    assert [(t.key, t.underpaid_lines, t.underpaid_cents) for t in result.by_payer] == [(MEDICARE, 1, 500)]
    assert dict(result.by_payer_month) == {(MEDICARE, "2026-03"): 500}


def test_a_wider_tolerance_removes_the_underpayment(audit: Callable[..., AuditResult]) -> None:
    result = audit(KNOWN, tolerance_cents=600)
    assert found(result) == EXPECTED - {("C13", "underpaid", "17000")}


def test_a_negative_tolerance_is_refused(audit: Callable[..., AuditResult]) -> None:
    with pytest.raises(InputError, match="tolerance"):
        audit(KNOWN, tolerance_cents=-1)


def test_advisory_findings_of_the_encounter_engine_are_dropped(audit: Callable[..., AuditResult]) -> None:
    result = audit(KNOWN)
    assert not {f.finding.code for f in result.findings} & DROPPED_INFO


@pytest.mark.parametrize(("lines", "expected"), [
    # Paid in full although ranked second: an overpayment a review takes back.
    ([line("A", "P", D(2026, 3, 2), "11102", dx=("D48.5",), allowed_cents=9553),
      line("A", "P", D(2026, 3, 2), "17000", allowed_cents=6647)], {("A", "mppr-missing", "17000")}),
    # Paid at the reduced amount: correct, even without 51.
    ([line("A", "P", D(2026, 3, 2), "11102", dx=("D48.5",), allowed_cents=9553),
      line("A", "P", D(2026, 3, 2), "17000", allowed_cents=3324)], set()),
    # Not remitted yet, and the reduced line lacks 51.
    ([line("A", "P", D(2026, 3, 2), "11102", dx=("D48.5",)), line("A", "P", D(2026, 3, 2), "17000")],
     {("A", "mppr-missing", "17000")}),
    # Not remitted yet, 51 billed.
    ([line("A", "P", D(2026, 3, 2), "11102", dx=("D48.5",)), line("A", "P", D(2026, 3, 2), "17000", mods=("51",))],
     set()),
    # One indicator-2 procedure: nothing to reduce.
    ([line("A", "P", D(2026, 3, 2), "17000"), line("A", "P", D(2026, 3, 2), "17003", 3)], set()),
])
def test_missing_mppr_means_a_reduced_line_paid_in_full_or_billed_without_51(
        audit: Callable[..., AuditResult], lines: list[AuditLine], expected: set[tuple[str, str, str]]) -> None:
    assert found(audit(lines)) == expected


def test_a_code_billed_on_two_lines_is_compared_whichever_line_the_payer_reduced(
        audit: Callable[..., AuditResult]) -> None:
    # 11402 (MUE 3 a day, so two lines are payable): national (1.41 + 3.53 + 0.18) x 33.4009 = 171.01,
    # the second at 50% = 85.505 -> 85.51 (RVU26C; ch. 12 s40.6).
    lines = [line("A", "P", D(2026, 3, 2), "11402", dx=("D48.5",), allowed_cents=8551),
             line("A", "P", D(2026, 3, 2), "11402", dx=("D48.5",), mods=("51",), allowed_cents=17101)]
    result = audit(lines)
    assert found(result) == set()
    assert sorted(result.expected_cents.tolist()) == [8551, 17101]
    short = audit([lines[0], dataclasses.replace(lines[1], allowed_cents=16000)])
    assert found(short) == {("A", "underpaid", "11402")}


def test_a_prior_auth_code_is_unverified_when_the_file_has_no_authorization_column(
        audit: Callable[..., AuditResult]) -> None:
    result = audit([line("A", "P", D(2026, 3, 2), "96574", payer="Summit Health")])
    assert [(f.finding.code, f.finding.severity) for f in result.findings] == [("prior-auth-unverified", "warning")]


@pytest.mark.parametrize(("second_visit", "mods", "expected"), [
    (D(2026, 3, 7), (), {("V", "global-period-visit", "99213")}),
    (D(2026, 3, 12), (), {("V", "global-period-visit", "99213")}),  # the 10th day after is still inside
    (D(2026, 3, 13), (), set()),
    (D(2026, 3, 7), ("24",), set()),
])
def test_a_visit_in_an_earlier_claims_global_period_needs_24(
        audit: Callable[..., AuditResult], second_visit: dt.date, mods: tuple[str, ...],
        expected: set[tuple[str, str, str]]) -> None:
    lines = [line("V", "P", second_visit, "99213", mods=mods), line("S", "P", D(2026, 3, 2), "17000")]
    assert found(audit(lines)) == expected


def test_another_patients_procedure_does_not_open_a_global_period(audit: Callable[..., AuditResult]) -> None:
    lines = [line("S", "P1", D(2026, 3, 2), "17000"), line("V", "P2", D(2026, 3, 5), "99213")]
    assert found(audit(lines)) == set()


@pytest.mark.parametrize(("days", "expected"), [
    ((D(2026, 1, 5), D(2026, 3, 5), D(2026, 6, 5)), {("C3", "frequency-limit", "17000")}),
    ((D(2025, 1, 5), D(2025, 6, 5), D(2026, 1, 5)), set()),  # the third is 365 days after the first
    ((D(2025, 1, 5), D(2025, 6, 5), D(2026, 1, 4)), {("C3", "frequency-limit", "17000")}),  # 364 days
])
def test_the_frequency_limit_counts_claims_within_the_payers_window(
        audit: Callable[..., AuditResult], days: tuple[dt.date, ...], expected: set[tuple[str, str, str]]) -> None:
    lines = [line(f"C{k + 1}", "P", day, "17000", payer="Summit Health") for k, day in enumerate(days)]
    assert found(audit(lines)) == expected


def test_a_denied_frequency_claim_is_not_also_an_underpayment(audit: Callable[..., AuditResult]) -> None:
    days = (D(2026, 1, 5), D(2026, 3, 5), D(2026, 6, 5))
    lines = [x for k, day in enumerate(days) for x in (
        line(f"C{k}", "P", day, "17000", payer="Summit Health", allowed_cents=0),
        line(f"C{k}", "P", day, "17003", 2, payer="Summit Health", allowed_cents=0 if k == 2 else None))]
    result = audit(lines)
    assert {f.finding.code for f in result.findings if result.claims[f.claim].claim_id == "C2"} == {"frequency-limit"}


def test_an_unknown_payer_is_a_notice_its_rules_still_run_and_nothing_is_compared(
        audit: Callable[..., AuditResult]) -> None:
    result = audit([line("A", "P", D(2026, 3, 2), "17003", payer="Nobody Health", allowed_cents=100)])
    assert found(result) == {("A", "add-on-without-primary", "17003")}
    assert [(p.line, p.kind, p.column) for p in result.problems] == [(2, "notice", "payer")]
    assert not result.compared.any() and not result.claims[0].payer_known


def test_payers_match_by_name_whatever_the_case(audit: Callable[..., AuditResult]) -> None:
    result = audit([line("A", "P", D(2026, 3, 2), "17000", payer="  medicare ", allowed_cents=6147)])
    assert found(result) == {("A", "underpaid", "17000")}


def test_a_claim_whose_lines_disagree_is_held_out_and_each_odd_line_named(audit: Callable[..., AuditResult]) -> None:
    lines = [line("A", "P", D(2026, 3, 2), "17000"), line("A", "P", D(2026, 3, 3), "17003", 2),
             line("B", "Q", D(2026, 3, 2), "17003", 2)]
    result = audit(lines)
    assert [c.claim_id for c in result.claims] == ["B"]
    assert [(p.line, p.kind, p.column) for p in result.problems] == [(2, "held-out", ""),
                                                                     (3, "bad", "date_of_service")]


def test_a_claim_that_lost_a_bad_row_is_held_out_whole(audit: Callable[..., AuditResult]) -> None:
    lines = [line("A", "P", D(2026, 3, 2), "17003", 2, line_number=3),
             line("B", "Q", D(2026, 3, 2), "17000", line_number=4)]
    result = audit(lines, problems=[RowProblem(2, "code", "'1700' is not a code", "A")])
    assert [c.claim_id for c in result.claims] == ["B"]
    assert [(p.line, p.kind) for p in result.problems] == [(2, "bad"), (3, "held-out")]
    assert found(result) == set()  # 17003 without its 17000 is not reported for a partial claim


def test_units_out_of_range_and_unknown_modifiers_are_bad_rows_not_crashes(audit: Callable[..., AuditResult]) -> None:
    lines = [line("A", "P", D(2026, 3, 2), "17000", units=0), line("B", "Q", D(2026, 3, 2), "17000", mods=("Q9",)),
             line("C", "R", D(2026, 3, 2), "17000")]
    result = audit(lines)
    assert [c.claim_id for c in result.claims] == ["C"]
    assert [(p.line, p.column) for p in result.problems] == [(2, "units"), (3, "modifiers")]


def test_a_claim_outside_the_contract_dates_is_an_error_and_not_compared(
        audit: Callable[..., AuditResult], tables_2026: TableSet) -> None:
    ended = Payer("Old Plan", Method.MEDICARE, effective_to=D(2025, 12, 31))
    result = audit([line("A", "P", D(2026, 3, 2), "17000", payer="Old Plan", allowed_cents=100)],
                   payers=(ended,))
    assert found(result) == {("A", "contract-not-effective", "")}
    assert not result.compared.any()


def test_medicare_allows_the_lesser_of_the_billed_charge_and_the_fee(audit: Callable[..., AuditResult]) -> None:
    result = audit([line("A", "P", D(2026, 3, 2), "17000", billed_cents=5000, allowed_cents=5000)])
    assert found(result) == set()
    assert int(result.expected_cents[0]) == 5000


def test_diagnosis_missing_is_not_reported_when_the_file_has_no_diagnosis_column(
        audit: Callable[..., AuditResult]) -> None:
    lines = [line("A", "P", D(2026, 3, 2), "17000", dx=())]
    assert found(audit(lines)) == {("A", "diagnosis-missing", "17000")}
    assert found(audit(lines, batch=ClaimLines.from_lines(lines, diagnoses_given=False))) == set()


def test_claims_dated_in_2025_use_the_2025_tables(audit: Callable[..., AuditResult]) -> None:
    result = audit([line("A", "P", D(2025, 6, 2), "17000", allowed_cents=6631)])
    assert result.releases == ("RVU25D",) and found(result) == set()
    assert int(result.expected_cents[0]) == 6631


def test_totals_are_integer_cents_by_payer_code_and_month(audit: Callable[..., AuditResult]) -> None:
    result = audit(KNOWN)
    for totals in (result.by_payer, result.by_code, result.by_month):
        assert sum(t.lines for t in totals) == int(result.compared.sum())
        assert sum(t.underpaid_cents for t in totals) == 500
        assert all(isinstance(t.expected_cents, int) and isinstance(t.remitted_cents, int) for t in totals)
    assert [t.key for t in result.by_month] == ["2026-03"]


def test_progress_is_reported_and_a_raising_progress_stops_the_audit(audit: Callable[..., AuditResult]) -> None:
    seen: list[float] = []
    audit(KNOWN, progress=seen.append)
    assert seen[0] <= 0.05 and seen[-1] == 1.0 and seen == sorted(seen)

    class Stop(Exception):
        pass

    def cancel(fraction: float) -> None:
        if fraction > 0.5:
            raise Stop

    with pytest.raises(Stop):
        audit(KNOWN, progress=cancel)


def test_summary_and_finding_rows_leave_patient_ids_out_unless_asked(audit: Callable[..., AuditResult]) -> None:
    result = audit(KNOWN)
    text = repr(summary(result))
    assert "P01" not in text and "P13" not in text
    rows = finding_rows(result, patient_ids=False)
    assert rows and all(r["patient_id"] == "" for r in rows)
    assert {r["patient_id"] for r in finding_rows(result)} >= {"P01", "P13"}
    assert all(c["patient_id"] is None for c in result_dict(result, patient_ids=False)["claims"])


def test_an_empty_batch_audits_to_nothing(audit: Callable[..., AuditResult]) -> None:
    result = audit([])
    assert len(result.claims) == 0 and result.findings == () and result.by_payer == ()


# --- generated claims ------------------------------------------------------------------------------------

@given(claims=clean_claims())
@settings(max_examples=40)
def test_generated_clean_claims_remitted_as_contracted_have_no_findings(
        claims: GeneratedClaims, tables_2025: TableSet, tables_2026: TableSet) -> None:
    def tables_for_year(year: int) -> TableSet:
        return tables_2026 if year >= 2026 else tables_2025

    lines = remitted_lines(claims, tables_for_year)
    result = audit_claims(ClaimLines.from_lines(lines), payers=AUDIT_PAYERS, practice=Practice(),
                          tables_for_date=lambda day: tables_for_year(day.year), tables_for_year=tables_for_year)
    assert [f.finding.code for f in result.findings] == []
    assert not result.underpaid.any() and result.underpaid_cents == 0
    assert bool(result.compared.all())
    assert np.array_equal(result.expected_cents, result.lines.allowed_cents)


any_visit_line = st.tuples(
    st.sampled_from(["17000", "17003", "17004", "11102", "11104", "17110", "99213", "99214", "96574", "G2211"]),
    st.integers(1, 15), st.sampled_from([(), ("25",), ("51",), ("59",), ("24",), ("RT",)]),
    st.sampled_from([AK, ("L82.1",), ("D48.5",), ()]),
    st.one_of(st.none(), st.integers(0, 30_000)))


@st.composite
def any_claims(draw: st.DrawFn) -> list[AuditLine]:
    """Valid-looking but often wrong claims: several patients, payers, days and remittances."""
    out = []
    for k in range(draw(st.integers(1, 10))):
        patient = f"P{draw(st.integers(0, 3))}"
        day = D(2025, 11, 1) + dt.timedelta(days=draw(st.integers(0, 120)))
        payer = draw(st.sampled_from([MEDICARE, "Acme PPO", "Summit Health", "Unknown Plan"]))
        pos = draw(st.sampled_from(["11", "22"]))
        for code, units, mods, dx, allowed in draw(st.lists(any_visit_line, min_size=1, max_size=4)):
            out.append(AuditLine(f"C{k}", patient, day, payer, code, units, mods, dx, pos,
                                 allowed_cents=allowed, billed_cents=draw(st.sampled_from([None, 20_000]))))
    return out


@given(lines=any_claims())
@settings(max_examples=40)
def test_the_signature_cache_gives_the_same_audit_as_pricing_every_claim_afresh(
        lines: list[AuditLine], tables_2025: TableSet, tables_2026: TableSet) -> None:
    def tables_for_year(year: int) -> TableSet:
        return tables_2026 if year >= 2026 else tables_2025

    batch = ClaimLines.from_lines(lines)
    results = [audit_claims(batch, payers=AUDIT_PAYERS, practice=Practice(),
                            tables_for_date=lambda d: tables_for_year(d.year), tables_for_year=tables_for_year,
                            cache=cache) for cache in (True, False)]
    cached, fresh = results
    assert finding_rows(cached) == finding_rows(fresh)
    assert cached.problems == fresh.problems
    for name in ("expected_cents", "has_expected", "compared", "underpaid"):
        assert np.array_equal(getattr(cached, name), getattr(fresh, name)), name


@given(lines=any_claims())
@settings(max_examples=40)
def test_leaving_out_the_payment_report_changes_nothing_but_the_payment_findings_and_totals(
        lines: list[AuditLine], tables_2025: TableSet, tables_2026: TableSet) -> None:
    def tables_for_year(year: int) -> TableSet:
        return tables_2026 if year >= 2026 else tables_2025

    batch = ClaimLines.from_lines(lines)
    full, lean = (audit_claims(batch, payers=AUDIT_PAYERS, practice=Practice(),
                               tables_for_date=lambda d: tables_for_year(d.year), tables_for_year=tables_for_year,
                               payment_report=report) for report in (True, False))
    payment = {"underpaid", "mppr-missing"}
    assert finding_rows(lean) == [row for row in finding_rows(full) if row["rule"] not in payment]
    assert lean.problems == full.problems
    assert lean.by_payer == lean.by_code == lean.by_month == () and not lean.by_payer_month
    for name in ("expected_cents", "has_expected", "compared", "underpaid"):
        assert np.array_equal(getattr(lean, name), getattr(full, name)), name


# --- the batch pricing path (issue 17) gives the engine's amounts and findings exactly -------------------------

#: Contracts of every kind batch pricing takes, and two it leaves to the engine (self-pay, a pinned 2025 year).
BATCH_PAYERS = (
    *AUDIT_PAYERS,
    Payer("Own CF", Method.OWN_CF, conversion_factor=Decimal("38.1234"), mppr_secondary_pct=Decimal(25)),
    Payer("Fixed Fee", Method.FEE_SCHEDULE, fees={("17000", ""): 9_000, ("17003", ""): 1_111, ("99213", ""): 10_001,
                                                  ("11102", ""): 12_345}, em25_reduction=Decimal("12.5")),
    Payer("Pinned", Method.PERCENT_OF_MEDICARE, percent=Decimal("107.5"), locality="0441218",
          cf_variant=CFVariant.QP, mppr_secondary_pct=Decimal("62.5"), overrides={("17003", ""): 777}),
    Payer("No MPPR", Method.PERCENT_OF_MEDICARE, percent=Decimal(95), mppr=False,
          overrides={("17110", ""): 15_000, ("17003", ""): 1_500}),
    Payer("Visit CF", Method.PERCENT_OF_MEDICARE, percent=Decimal(120), cf_variant=CFVariant.QP),
    Payer("Old Year", Method.PERCENT_OF_MEDICARE, percent=Decimal(110), year=2025),
    Payer("Cash", Method.SELF_PAY, mppr=False),
)

batch_line = st.tuples(
    st.sampled_from(["17000", "17000", "17003", "17003", "17004", "11102", "11103", "11104", "11105", "17110",
                     "17111", "99213", "99213", "99214", "96567", "96574", "G2211", "11450", "11451", "94760",
                     "17106", "11300", "J7308"]),
    st.sampled_from([1, 1, 1, 2, 3, 7, 13, 40]),
    st.sampled_from([(), (), ("25",), ("25",), ("57",), ("51",), ("59",), ("50",), ("LT",), ("RT",), ("XS",),
                     ("26",)]),
    st.sampled_from([AK, ("L82.1",), ("D48.5",), ("L73.2",)]),
    st.one_of(st.none(), st.integers(0, 30_000)))


@st.composite
def batch_claims(draw: st.DrawFn) -> list[AuditLine]:
    """Claims across localities (one unknown), settings, years and every kind of contract."""
    out = []
    for k in range(draw(st.integers(1, 8))):
        day = D(2026, 1, 1) + dt.timedelta(days=draw(st.integers(-30, 120)))
        payer = draw(st.sampled_from([p.name for p in BATCH_PAYERS] + ["Unknown Plan"]))
        pos = draw(st.sampled_from(["11", "11", "22", "24"]))
        locality = draw(st.sampled_from(["0441299", "0441218", "1320201", "0111201", "national", "9999999"]))
        visit = draw(st.lists(batch_line, min_size=1, max_size=4))
        if draw(st.booleans()):  # a visit the same day: with 25 (as it should be), 57, or neither
            visit.insert(0, (draw(st.sampled_from(["99213", "99214"])),
                             1, draw(st.sampled_from([("25",), ("25",), (), ("57",)])), AK, None))
        for code, units, mods, dx, allowed in visit:
            out.append(AuditLine(f"C{k}", f"P{k}", day, payer, code, units, mods, dx, pos, locality,
                                 allowed_cents=allowed))
    return out


@given(lines=batch_claims(), participating=st.booleans(), qualifying_apm=st.booleans())
@settings(max_examples=300, deadline=None)
def test_batch_pricing_gives_exactly_the_engines_audit(
        lines: list[AuditLine], participating: bool, qualifying_apm: bool, tables_2025: TableSet,
        tables_2026: TableSet) -> None:
    """The audit's fast path (claim plans, vectorized unit amounts, contracts on integers) against the engine
    pricing every claim afresh (``cache=False``: ``price_lines`` + ``allowed_lines`` + ``check_claim``)."""
    def tables_for_year(year: int) -> TableSet:
        return tables_2026 if year >= 2026 else tables_2025

    batch = ClaimLines.from_lines(lines)
    practice = Practice(participating=participating, qualifying_apm=qualifying_apm)
    cached, fresh = (audit_claims(batch, payers=BATCH_PAYERS, practice=practice,
                                  tables_for_date=lambda d: tables_for_year(d.year), tables_for_year=tables_for_year,
                                  cache=cache) for cache in (True, False))
    assert finding_rows(cached) == finding_rows(fresh)
    assert cached.problems == fresh.problems
    for name in ("expected_cents", "has_expected", "compared", "underpaid"):
        assert np.array_equal(getattr(cached, name), getattr(fresh, name)), name
