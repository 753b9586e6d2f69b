"""Payer contracts and patient cost sharing against hand-worked examples (DOMAIN.md section 5)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.cost_sharing import Benefits, CopayPer, Estimate, estimate, split_checks
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.errors import InputError
from estimator.core.payers import MEDICARE_PAYER, SELF_PAY_PAYER, Method, Payer, Practice
from estimator.core.rules import build_claim
from estimator.core.schedule import TableSet

DAY = dt.date(2026, 3, 2)
MANHATTAN = "1320201"
PRACTICE = Practice(name="Test Derm", locality_key=MANHATTAN)


@pytest.fixture
def tables_for(tables_2026: TableSet, tables_2025: TableSet):
    return {2026: tables_2026, 2025: tables_2025}.__getitem__


def eight_lesions(tables: TableSet, **extra) -> object:
    return build_claim(Encounter(DAY, locality_key=MANHATTAN, lesions=8, diagnoses=("L57.0",), **extra), tables)


def run(tables_2026, tables_for, payer, benefits=None, practice=PRACTICE, **extra) -> Estimate:
    return estimate(eight_lesions(tables_2026, **extra), payer, practice, benefits or Benefits(), tables_for)


def allowed(est: Estimate) -> list[int]:
    return [line.allowed_cents for line in est.lines]


def test_medicare_par_splits_deductible_coinsurance_and_sequestration(tables_2026, tables_for) -> None:
    """8 lesions, Manhattan, office: 17000 $76.15 + 17003 x7 $50.68 = $126.83; $50 deductible left, 20%
    coinsurance: patient 50 + 5.23 + 10.14 = $65.37; Medicare's $61.46 less 2% ($0.42 + $0.81) = $60.23."""
    est = run(tables_2026, tables_for, MEDICARE_PAYER, Benefits(deductible_remaining_cents=5000))
    assert allowed(est) == [7615, 5068]
    assert (est.patient_cents, est.sequestration_cents, est.payer_cents) == (6537, 123, 6023)
    assert est.total("deductible_cents") == 5000 and est.total("coinsurance_cents") == 1537


def test_medicare_assumes_the_full_part_b_deductible_when_not_told(tables_2026, tables_for) -> None:
    """$283 (2026) exceeds the $126.83 allowed: the patient pays it all, Medicare nothing."""
    est = run(tables_2026, tables_for, MEDICARE_PAYER)
    assert est.patient_cents == 12683 and est.payer_cents == 0
    assert any("283" in a for a in est.assumptions)


def test_medicare_non_participating_pays_95_percent_with_a_109_25_percent_limiting_charge(
    tables_2026, tables_for
) -> None:
    """Non-par: 95% of the fee per unit, rounded half-up once per unit (DOMAIN s5; as ``price`` shows it):
    17000 76.15 -> 72.3425 -> 72.34; 17003 7.24 -> 6.878 -> 6.88, x7 = 48.16 (not 95% of the 50.68 line,
    48.146 -> 48.15); limiting charge 1.0925 x fee per unit: 83.19 + 7 x 7.91 (7.9097) = 83.19 + 55.37."""
    est = run(tables_2026, tables_for, MEDICARE_PAYER, Benefits(deductible_remaining_cents=0),
              practice=Practice(locality_key=MANHATTAN, participating=False))
    assert allowed(est) == [7234, 7 * 688]
    assert est.limiting_charge_cents == 8319 + 5537


def test_percent_of_medicare_applies_to_each_line(tables_2026, tables_for) -> None:
    """120% of Medicare, per unit: 76.15 x 1.2 = 91.38; 17003 7.24 x 1.2 = 8.688 -> 8.69, x7 = 60.83."""
    payer = Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(120))
    assert allowed(run(tables_2026, tables_for, payer)) == [9138, 7 * 869]


def test_percent_of_medicare_pinned_to_2025_and_another_locality(tables_2026, tables_2025, tables_for) -> None:
    """Pinned to 2025 national: 2025 national 17000 is $66.31, 17003 $6.47 (x7 = 45.29? computed from RVU25D)."""
    payer = Payer("Old", Method.PERCENT_OF_MEDICARE, percent=Decimal(100), year=2025, locality="national")
    est = run(tables_2026, tables_for, payer)
    expected = build_claim(Encounter(DAY, lesions=8, diagnoses=("L57.0",)), tables_2025)
    assert allowed(est) == [line.cents for line in expected.lines]
    assert allowed(est)[0] == 6631


def test_fixed_fee_schedule_pays_per_unit_and_flags_missing_codes(tables_2026, tables_for) -> None:
    payer = Payer("Fixed", Method.FEE_SCHEDULE, fees={("17000", ""): 8000, ("17003", ""): 1000})
    assert allowed(run(tables_2026, tables_for, payer)) == [8000, 7000]
    est = run(tables_2026, tables_for, payer, procedures=(ServiceLine("11102"),))
    assert "no-contract-rate" in {f.code for f in est.findings}


def test_own_conversion_factor_times_cms_rvus(tables_2026, tables_for) -> None:
    """$40.00 x (0.59 W + 1.34 PE + 0.06 MP, GPCI-weighted for Manhattan), rounded once."""
    payer = Payer("OwnCF", Method.OWN_CF, conversion_factor=Decimal("40.00"))
    loc = tables_2026.localities.locality(MANHATTAN)
    raw = (Decimal("0.59") * loc.work_gpci + Decimal("1.34") * loc.pe_gpci + Decimal("0.06") * loc.mp_gpci) * 40
    want = int((raw * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert allowed(run(tables_2026, tables_for, payer))[0] == want


def test_self_pay_uses_the_charge_master_less_the_discount(tables_2026, tables_for) -> None:
    """Charges $150 and $25/unit, 20% off: 120.00 + 7 x 25 x 0.8 = 140.00; the patient owes all of it."""
    practice = Practice(locality_key=MANHATTAN, charges={("17000", ""): 15000, ("17003", ""): 2500})
    payer = Payer("Self-pay", Method.SELF_PAY, self_pay_discount=Decimal(20), mppr=False)
    est = run(tables_2026, tables_for, payer, practice=practice)
    assert allowed(est) == [12000, 14000]
    assert est.patient_cents == 26000 and est.payer_cents == 0


def test_em25_cut_lesser_of_charge_and_overrides(tables_2026, tables_for) -> None:
    practice = Practice(locality_key=MANHATTAN, charges={("17000", ""): 8000})
    payer = Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(120), em25_reduction=Decimal(50),
                  lesser_of_charge=True, overrides={("17003", ""): 900})
    est = run(tables_2026, tables_for, payer, practice=practice, em_code="99213")
    em, first, more = est.lines
    medicare_em = em.allowed.line.cents or 0
    expected_em = int((Decimal(medicare_em) * Decimal("1.2")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    expected_em = int((Decimal(expected_em) * Decimal("0.5")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert em.allowed_cents == expected_em
    assert first.allowed_cents == 8000  # lesser of the $80 charge and 120% x 76.15
    assert more.allowed_cents == 7 * 900  # per-code override


def test_payer_without_multiple_procedure_reduction_pays_the_second_procedure_in_full(tables_2026, tables_for) -> None:
    on = Payer("On", Method.PERCENT_OF_MEDICARE, percent=Decimal(100))
    off = Payer("Off", Method.PERCENT_OF_MEDICARE, percent=Decimal(100), mppr=False)
    extra = {"procedures": (ServiceLine("11102"),)}
    a = run(tables_2026, tables_for, on, **extra).lines[0]
    b = run(tables_2026, tables_for, off, **extra).lines[0]
    assert b.allowed_cents > a.allowed_cents and b.allowed_cents == b.allowed.line.full_cents


def test_copay_deductible_coinsurance_and_the_out_of_pocket_cap(tables_2026, tables_for) -> None:
    """$25 copay, $100 deductible, 20% coinsurance would be $130.44; the $50 out-of-pocket left caps it."""
    payer = Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(120))
    uncapped = run(tables_2026, tables_for, payer, Benefits(10000, Decimal(20), 2500))
    assert uncapped.patient_cents == 2500 + 10000 + int(Decimal("0.2") * (15220 - 12500) + Decimal("0.5"))
    capped = run(tables_2026, tables_for, payer, Benefits(10000, Decimal(20), 2500, oop_remaining_cents=5000))
    assert capped.patient_cents == 5000 and capped.payer_cents == capped.allowed_cents - 5000


def test_a_secondary_plan_pays_the_patients_share(tables_2026, tables_for) -> None:
    est = run(tables_2026, tables_for, MEDICARE_PAYER, Benefits(deductible_remaining_cents=0,
                                                                 secondary_pct=Decimal(100)))
    assert est.patient_cents == 0 and est.secondary_cents == est.total("coinsurance_cents") > 0
    assert split_checks(est.lines)


@pytest.mark.parametrize("bad", [
    {"deductible_remaining_cents": -1}, {"coinsurance_pct": Decimal(101)}, {"copay_cents": -5},
    {"oop_remaining_cents": -1}, {"secondary_pct": Decimal(-1)},
])
def test_impossible_benefits_are_refused(bad: dict) -> None:
    with pytest.raises(InputError):
        Benefits(**bad)


@pytest.mark.parametrize("bad", [
    {"method": Method.PERCENT_OF_MEDICARE, "percent": Decimal(0)},
    {"method": Method.OWN_CF, "conversion_factor": None},
    {"method": Method.PERCENT_OF_MEDICARE, "percent": Decimal(100), "em25_reduction": Decimal(120)},
    {"method": Method.FEE_SCHEDULE, "effective_from": dt.date(2026, 2, 1), "effective_to": dt.date(2026, 1, 1)},
    {"method": Method.FEE_SCHEDULE, "frequency_count": 2},
])
def test_impossible_contracts_are_refused(bad: dict) -> None:
    with pytest.raises(InputError):
        Payer("X", **bad)


payers = st.one_of(
    st.just(MEDICARE_PAYER), st.just(SELF_PAY_PAYER),
    st.builds(lambda p: Payer("P", Method.PERCENT_OF_MEDICARE, percent=Decimal(p)), st.integers(50, 300)),
    st.builds(lambda cf: Payer("C", Method.OWN_CF, conversion_factor=Decimal(cf) / 100), st.integers(2000, 6000)),
)
money = st.integers(0, 100_000)


@given(payer=payers, lesions=st.integers(1, 40), em=st.booleans(), deductible=st.none() | money,
       coinsurance=st.none() | st.integers(0, 100), copay=st.integers(0, 10_000),
       per=st.sampled_from(list(CopayPer)), oop=st.none() | money, secondary=st.integers(0, 100))
def test_every_split_adds_up_to_the_cent_and_respects_the_out_of_pocket_maximum(
    tables_2026, tables_2025, payer, lesions, em, deductible, coinsurance, copay, per, oop, secondary
) -> None:
    """Hypothesis: payer + secondary + patient + sequestration == allowed, line by line and in total, and no
    patient share (before a secondary plan) exceeds the out-of-pocket maximum left."""
    benefits = Benefits(deductible, None if coinsurance is None else Decimal(coinsurance), copay, per, oop,
                        Decimal(secondary))
    practice = Practice(locality_key=MANHATTAN, charges={("17000", ""): 20000, ("17003", ""): 3000,
                                                         ("99213", ""): 25000})
    claim = build_claim(Encounter(DAY, locality_key=MANHATTAN, lesions=lesions, em_code="99213" if em else None,
                                  diagnoses=("L57.0",)), tables_2026)
    est = estimate(claim, payer, practice, benefits, {2026: tables_2026, 2025: tables_2025}.__getitem__)
    assert split_checks(est.lines)
    assert est.payer_cents + est.secondary_cents + est.patient_cents + est.sequestration_cents == est.allowed_cents
    assert all(v >= 0 for line in est.lines for v in (line.payer_cents, line.patient_cents, line.sequestration_cents))
    if oop is not None and payer.method is not Method.SELF_PAY:
        assert est.patient_cents + est.secondary_cents <= oop


def test_an_unassigned_non_par_claim_bills_the_limiting_charge_and_medicare_reimburses_the_patient(
    tables_2026, tables_for
) -> None:
    """Manhattan, 8 lesions, deductible met (DOMAIN s5). Per unit: 17000 76.15 -> non-par 72.34, limiting
    76.15 x 1.0925 = 83.19; 17003 7.24 -> 6.88 and 7.91, x7 = 48.16 and 55.37. The patient pays the practice
    83.19 + 55.37 = 138.56; Medicare pays the patient 80% of the non-par amounts less 2%:
    72.34 - 14.47 = 57.87 - 1.16 = 56.71 and 48.16 - 9.63 = 38.53 - 0.77 = 37.76; own cost 138.56 - 94.47 = 44.09."""
    practice = Practice(locality_key=MANHATTAN, participating=False, accepts_assignment=False)
    est = run(tables_2026, tables_for, MEDICARE_PAYER, Benefits(deductible_remaining_cents=0), practice=practice)
    assert est.unassigned and allowed(est) == [7234, 4816]
    assert [line.patient_cents for line in est.lines] == [8319, 5537]
    assert [line.reimbursed_cents for line in est.lines] == [5671, 3776]
    assert (est.patient_cents, est.reimbursed_cents, est.net_patient_cents, est.payer_cents) == (13856, 9447, 4409, 0)
    assert split_checks(est.lines)
    assigned = estimate(eight_lesions(tables_2026), MEDICARE_PAYER, practice, Benefits(deductible_remaining_cents=0),
                        tables_for, assigned=True)
    assert not assigned.unassigned and assigned.payer_cents > 0


def test_a_participating_practice_cannot_bill_unassigned(tables_2026, tables_for) -> None:
    with pytest.raises(InputError, match="participating practice always takes assignment"):
        estimate(eight_lesions(tables_2026), MEDICARE_PAYER, PRACTICE, Benefits(), tables_for, assigned=False)
