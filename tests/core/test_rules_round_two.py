"""Billing rules, round two (issue 14): every case with its amount computed here from the RVUs and GPCIs.

Expected amounts are worked out in this file with the CMS formula written out (DOMAIN s1), from the RVU26C
values quoted beside each case, never read back from the code under test.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.audit import AuditLine, ClaimLines, audit_claims
from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.errors import InputError
from estimator.core.findings import Finding
from estimator.core.payers import MEDICARE_PAYER, Practice
from estimator.core.pricing import price_unit
from estimator.core.rules import build_claim
from estimator.core.schedule import TableSet
from tests.strategies import AUDIT_PAYERS

DAY = dt.date(2026, 3, 2)
AK = ("L57.0",)
CF = Decimal("33.4009")  # CY 2026 non-QP conversion factor (PPRRVU2026 CONV FACTOR)
CENT = Decimal("0.01")
NATIONAL = (Decimal(1), Decimal(1), Decimal(1))
MANHATTAN = (Decimal("1.064"), Decimal("1.162"), Decimal("1.586"))  # GPCI2026 1320201 (work floored, PE, MP)


def fee(work: str, pe: str, mp: str, gpci: tuple[Decimal, Decimal, Decimal] = NATIONAL) -> Decimal:
    """amount = round_half_up((W x GPCI_w + PE x GPCI_pe + MP x GPCI_mp) x CF), once (DOMAIN s1)."""
    unrounded = (Decimal(work) * gpci[0] + Decimal(pe) * gpci[1] + Decimal(mp) * gpci[2]) * CF
    return unrounded.quantize(CENT, ROUND_HALF_UP)


def pct(amount: Decimal, percent: str) -> Decimal:
    return (amount * Decimal(percent) / 100).quantize(CENT, ROUND_HALF_UP)


def cents(amount: Decimal) -> int:
    return int(amount * 100)


# RVU26C non-facility RVUs (work, PE, MP)
F_11450 = fee("3.14", "9.95", "0.72")  # 461.27; bilateral indicator 1, MPPR 2, 090 global
F_17000 = fee("0.59", "1.34", "0.06")  # 66.47
F_99213 = fee("1.30", "1.46", "0.09")  # 95.19


def claim_of(tables: TableSet, *lines: str, lesions: int = 0, em: str | None = None, g2211: bool = False,
             locality: str = "national"):  # type: ignore[no-untyped-def]
    return build_claim(Encounter(DAY, locality_key=locality, lesions=lesions, em_code=em, g2211=g2211,
                                 procedures=tuple(ServiceLine.parse(t) for t in lines), diagnoses=AK), tables)


def findings(claim, rule: str) -> list[Finding]:  # type: ignore[no-untyped-def]
    return [f for f in claim.findings if f.code == rule]


def paid(claim, code: str) -> int:  # type: ignore[no-untyped-def]
    return sum(line.cents or 0 for line in claim.lines if line.code == code)


# --- payment rules -------------------------------------------------------------------------------------------

def test_modifier_50_on_a_bilateral_indicator_1_code_pays_150_percent_before_the_ranking(tables_2026) -> None:
    """11450-50 (BILAT 1): 150% of 461.27 = 691.905 -> 691.91 ranks first (ch. 12 s40.7: bilateral before the
    multiple-procedure rule); 17000 is second at 50%: 33.235 -> 33.24; total 725.15."""
    claim = claim_of(tables_2026, "11450:50@L73.2", lesions=1)
    bilateral = pct(F_11450, "150")
    assert bilateral == Decimal("691.91")
    assert paid(claim, "11450") == cents(bilateral)
    assert paid(claim, "17000") == cents(pct(F_17000, "50"))
    assert claim.total_cents == cents(bilateral + pct(F_17000, "50")) == 72515


@pytest.mark.parametrize("lines", [("19101:LT@N63.0", "19101:RT@N63.0"), ("19101x2@N63.0",)],
                         ids=["LT and RT on two lines", "two units"])
def test_lt_plus_rt_or_two_units_of_a_bilateral_code_is_one_bilateral_procedure(tables_2026, lines) -> None:
    """19101 (BILAT 1, MUE 3): 3.15 + 6.55 + 0.79 -> 350.38; both sides 150% = 525.57 (RVU26B.pdf)."""
    claim = claim_of(tables_2026, *lines)
    assert paid(claim, "19101") == cents(pct(fee("3.15", "6.55", "0.79"), "150"))


def test_lt_plus_rt_of_a_code_whose_mue_is_1_is_denied_and_told_to_use_50(tables_2026) -> None:
    """11450 has MUE 1 (MAI 2): both sides are billed as 11450-50 x1; LT + RT lines sum to 2 units."""
    claim = claim_of(tables_2026, "11450:LT@L73.2", "11450:RT@L73.2")
    [finding] = findings(claim, "unit-limit")
    assert "11450-50 x1" in finding.fix and paid(claim, "11450") == 0


def test_modifier_50_on_a_bilateral_indicator_0_code_is_paid_once_with_a_warning(tables_2026) -> None:
    """17000 has BILAT 0: with 50 both sides are paid once, at 100% (RVU26B.pdf)."""
    claim = claim_of(tables_2026, "17000:50")
    assert paid(claim, "17000") == cents(F_17000)
    assert [f.severity for f in findings(claim, "bilateral-payment")] == ["warning"]


def test_g2211_with_an_em_25_and_17000_is_not_paid(tables_2026) -> None:
    """99213-25 95.19 + 17000 66.47 = 161.66 allowed; G2211 $0 (CY 2024/2025 PFS final rules)."""
    claim = claim_of(tables_2026, lesions=1, em="99213", g2211=True)
    assert paid(claim, "G2211") == 0
    assert claim.total_cents == cents(F_99213 + F_17000) == 16166
    est = estimate(claim, MEDICARE_PAYER, Practice(), Benefits(), lambda _y: tables_2026)
    assert est.allowed_cents == 16166
    assert findings(claim, "g2211-with-25")[0].severity == "warning"


def test_g2211_with_an_em_25_is_paid_beside_an_annual_wellness_visit(tables_2026) -> None:
    """G2211 (work 0.33, PE 0.17, MP 0.02) -> 17.37, paid when G0439 (AWV) is billed the same day."""
    claim = claim_of(tables_2026, "G0439", lesions=1, em="99213", g2211=True)
    assert paid(claim, "G2211") == cents(fee("0.33", "0.17", "0.02"))


def test_a_status_t_code_beside_17000_is_bundled_and_alone_is_paid(tables_2026) -> None:
    """94760 (status T): paid only when no other paid service is billed that day (RVU26B.pdf)."""
    beside = claim_of(tables_2026, "94760", lesions=1)
    assert paid(beside, "94760") == 0 and beside.total_cents == cents(F_17000)
    assert findings(beside, "paid-only-alone")
    alone = claim_of(tables_2026, "94760")
    assert paid(alone, "94760") == cents(fee("0.00", "0.11", "0.01")) == 401


def test_manhattan_non_par_17003_x7_is_95_percent_per_unit(tables_2026) -> None:
    """17003 Manhattan 0.04/0.15/0.00 -> 7.24 a unit; 95% = 6.878 -> 6.88; x7 = 48.16 (not 48.15)."""
    unit = fee("0.04", "0.15", "0.00", MANHATTAN)
    assert unit == Decimal("7.24")
    claim = claim_of(tables_2026, lesions=8, locality="1320201")
    est = estimate(claim, MEDICARE_PAYER, Practice(locality_key="1320201", participating=False),
                   Benefits(deductible_remaining_cents=0), lambda _y: tables_2026)
    line = next(x for x in est.lines if x.allowed.line.code == "17003")
    assert line.allowed_cents == 7 * cents(pct(unit, "95")) == 4816


# --- NCCI tables --------------------------------------------------------------------------------------------

def test_11102_x999_is_over_its_mue_and_the_line_is_denied_as_the_finding_says(tables_2026) -> None:
    """11102: MUE 1, MAI 2 (CMS practitioner MUE 2026 Q2): every 11102 line that day is denied."""
    claim = claim_of(tables_2026, "11102x999@D48.5")
    [finding] = findings(claim, "unit-limit")
    assert finding.severity == "error" and "MAI 2" in finding.message and "denies" in finding.message
    assert "$0.00" in finding.message and paid(claim, "11102") == 0
    assert "11103" in finding.fix


def test_an_mai_3_code_over_its_limit_is_a_warning_that_can_be_appealed(tables_2026) -> None:
    """99213: MUE 2, MAI 3 (clinical)."""
    claim = claim_of(tables_2026, "99213", "99213", "99213")
    [finding] = findings(claim, "unit-limit")
    assert finding.severity == "warning" and "MAI 3" in finding.message and "appeal" in finding.message


def test_17000_billed_twice_is_told_to_use_17003_not_17004(tables_2026) -> None:
    [finding] = findings(claim_of(tables_2026, "17000x2"), "unit-limit")
    assert "17003" in finding.fix and "17004" not in finding.fix


def test_an_add_on_without_its_primary_is_an_error(tables_2026) -> None:
    """11103 is AOC type 1 with primaries 11102, 11104, 11106."""
    [finding] = findings(claim_of(tables_2026, "11103@D48.5"), "add-on-without-primary")
    assert finding.severity == "error" and "11102" in finding.message


# --- coding rules -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lines", "recoded"), [
    (("11102@D48.5", "11104@D48.5"), "Bill 11104 x1 + 11103 x1."),
    (("11102x2@D48.5",), "Bill 11102 x1 + 11103 x1."),
    (("11102@D48.5", "11106@D48.5", "11104@D48.5"), "Bill 11106 x1 + 11105 x1 + 11103 x1."),
])
def test_biopsies_are_recoded_to_one_primary_and_add_ons(tables_2026, lines, recoded) -> None:
    [finding] = findings(claim_of(tables_2026, *lines), "biopsy-one-primary")
    assert finding.fix == recoded and "CPT" in finding.source


def test_17110_and_17111_together_is_an_error(tables_2026) -> None:
    assert findings(claim_of(tables_2026, "17110@L82.1", "17111@L82.1"), "benign-destruction-exclusive")


def test_two_photodynamic_therapy_codes_in_one_session_is_a_finding(tables_2026) -> None:
    assert findings(claim_of(tables_2026, "96567", "96573"), "photodynamic-one-per-session")


def test_an_em_on_the_day_of_a_090_procedure_needs_57_or_is_in_the_global_package(tables_2026) -> None:
    """99213 + 11450 (090): without 57 the visit is not paid; with 57 it is (95.19)."""
    without = claim_of(tables_2026, "99213", "11450@L73.2")
    assert findings(without, "em-global-package") and paid(without, "99213") == 0
    with_57 = claim_of(tables_2026, "99213:57", "11450@L73.2")
    assert not findings(with_57, "em-global-package") and paid(with_57, "99213") == cents(F_99213)


def test_an_em_beside_an_xxx_procedure_gets_25_and_without_it_is_an_error(tables_2026) -> None:
    """96567 has no global period (XXX): a same-day E/M needs 25 (NCCI Policy Manual ch. XI)."""
    claim = claim_of(tables_2026, "96567", em="99213")
    assert next(line for line in claim.lines if line.code == "99213").modifiers == ("25",)
    assert findings(claim_of(tables_2026, "99213", "96567"), "em-needs-25")


# --- the audit ----------------------------------------------------------------------------------------------

def audit_lines(tables: TableSet, lines: list[AuditLine]):  # type: ignore[no-untyped-def]
    return audit_claims(ClaimLines.from_lines(lines), payers=AUDIT_PAYERS, practice=Practice(),
                        tables_for_date=lambda _d: tables, tables_for_year=lambda _y: tables)


def test_the_audit_flags_a_bilateral_claim_paid_as_one_side(tables_2026) -> None:
    one_side = AuditLine("A", "P", DAY, "Medicare", "11450", 1, ("50",), ("L73.2",), allowed_cents=cents(F_11450))
    result = audit_lines(tables_2026, [one_side])
    [finding] = [f for f in result.findings if f.finding.code == "underpaid"]
    assert (finding.expected_cents, finding.remitted_cents) == (cents(pct(F_11450, "150")), cents(F_11450))


def test_the_audit_does_not_flag_a_correct_zero_payment(tables_2026) -> None:
    lines = [AuditLine("A", "P", DAY, "Medicare", "17000", 1, (), AK, allowed_cents=cents(F_17000)),
             AuditLine("A", "P", DAY, "Medicare", "94760", 1, (), AK, allowed_cents=0)]
    result = audit_lines(tables_2026, lines)
    assert not [f for f in result.findings if f.finding.code == "underpaid"]


def test_an_underpayment_of_exactly_the_tolerance_is_flagged(tables_2026) -> None:
    line = AuditLine("A", "P", DAY, "Medicare", "17000", 1, (), AK, allowed_cents=cents(F_17000) - 100)
    assert [f.finding.code for f in audit_lines(tables_2026, [line]).findings] == ["underpaid"]


# --- smaller rules ------------------------------------------------------------------------------------------

def test_a_status_r_code_without_rvus_is_contractor_priced_not_zero(tables_2026) -> None:
    """Status R with no RVUs: 'restricted coverage ... if covered, the service is contractor priced' (RVU26B.pdf)."""
    schedule = tables_2026.schedule
    row = next(i for i in range(len(schedule)) if str(schedule.status[i]) == "R" and not int(schedule.work[i])
               and not int(schedule.pe_nonfacility[i]) and not int(schedule.pe_facility[i]) and not int(schedule.mp[i]))
    unit = price_unit(tables_2026, str(schedule.codes[row]), str(schedule.modifiers[row]))
    assert unit.cents is None and unit.reason is not None and "contractor priced if covered" in unit.reason


def test_no_floor_is_refused_for_2025_whose_gpci_file_has_one_work_column(tables_2025, tables_2026) -> None:
    with pytest.raises(InputError, match="floor only"):
        price_unit(tables_2025, "17000", locality_key="0441299", floor=False)
    assert price_unit(tables_2026, "17000", locality_key="0441299", floor=False).cents is not None


def test_an_implausible_lesion_count_is_a_warning_not_a_refusal(tables_2026) -> None:
    claim = claim_of(tables_2026, lesions=300)
    [finding] = findings(claim, "lesion-count-implausible")
    assert finding.severity == "warning" and claim.total_cents == cents(fee("1.34", "3.39", "0.13"))  # 17004
    assert not findings(claim_of(tables_2026, lesions=100), "lesion-count-implausible")


extra_lines = st.sampled_from(["11450:50", "11450:LT", "11450:RT", "19101x2", "17000:50", "94760", "G0439",
                               "11102", "11103", "11104x2", "17110", "17111", "96567", "96573", "99213:57",
                               "17003x14"])


@given(lines=st.lists(extra_lines, max_size=6), lesions=st.integers(0, 20),
       em=st.sampled_from([None, "99213"]), g2211=st.booleans())
def test_any_claim_pays_nothing_on_unpaid_lines_and_at_most_two_sides_on_a_bilateral_line(
        tables_2026, lines, lesions, em, g2211) -> None:
    """Hypothesis: whatever is billed, a line Medicare does not pay is $0.00 and has a finding or a reason, a
    bilateral line pays at most 200% of one side (indicator 3), and the total is the sum of the lines."""
    claim = claim_of(tables_2026, *lines, lesions=lesions, em=em, g2211=g2211 and em is not None)
    assert claim.total_cents == sum(line.cents or 0 for line in claim.lines)
    for line in claim.lines:
        if line.unpaid:
            assert line.cents == 0
            if not line.unpaid.startswith("paid with line"):  # an LT/RT partner is paid on its pair's line
                assert any(f.line_code == line.code and f.severity != "info" for f in claim.findings), line.unpaid
        if line.bilateral_pct is not None and line.unit_cents is not None and line.cents is not None:
            assert line.cents <= 2 * line.unit_cents
        assert line.cents is None or 0 <= line.cents <= max(line.full_cents or 0, 2 * (line.unit_cents or 0))
