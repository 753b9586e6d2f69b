"""The Good Faith Estimate as values: built from a self-pay estimate, checked element by element, compared."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from estimator.core.business_days import GfeTiming
from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.errors import InputError
from estimator.core.gfe import (
    DISPUTE_THRESHOLD_CENTS,
    Patient,
    Provider,
    build_gfe,
    compare_bill,
    gfe_from_dict,
    gfe_to_dict,
    late_finding,
    missing_elements,
    retain_until,
)
from estimator.core.payers import MEDICARE_PAYER, SELF_PAY_PAYER, Practice
from estimator.core.rules import build_claim

D = dt.date.fromisoformat
PRACTICE = Practice("Sunrise Dermatology", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001", "0441218",
                    charges={("17000", ""): 15000, ("17003", ""): 2500})
PATIENT = Patient("Ana Q. Testpatient", D("1951-02-03"))


@pytest.fixture
def self_pay(tables_2026):
    def make(practice=PRACTICE, **encounter):
        fields = {"date_of_service": D("2026-12-15"), "locality_key": "0441218", "lesions": 8,
                  "diagnoses": ("L57.0",)} | encounter
        claim = build_claim(Encounter(**fields), tables_2026)
        return estimate(claim, SELF_PAY_PAYER, practice, Benefits(), lambda year: tables_2026)
    return make


def issue(est, practice=PRACTICE, patient=PATIENT, **kw):
    args = {"start": D("2026-11-30"), "service_date": D("2026-12-15"), "issued_on": D("2026-11-30")} | kw
    return build_gfe(est, practice, patient, **args)


def test_the_expected_charges_are_the_charge_master_prices(self_pay):
    gfe = issue(self_pay())
    assert [(i.code, i.units, i.charge_cents) for i in gfe.items] == [("17000", 1, 15000), ("17003", 7, 17500)]
    assert gfe.total_cents == 32500
    assert gfe.dispute_threshold_cents == 32500 + DISPUTE_THRESHOLD_CENTS
    assert all(i.diagnoses == ("L57.0",) for i in gfe.items)
    assert missing_elements(gfe) == []


def test_the_provider_is_the_practice_with_its_state_from_the_address(self_pay):
    provider = issue(self_pay()).providers[0].provider
    assert provider == Provider("Sunrise Dermatology", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001",
                                "TX", True)
    assert issue(self_pay()).providers[0].place == "11 Office"


def test_the_primary_service_is_the_first_procedure_not_the_visit(self_pay):
    gfe = issue(self_pay(em_code="99203", g2211=True, procedures=(ServiceLine.parse("11102"),)))
    assert [i.code for i in gfe.items][:2] == ["99203", "G2211"]
    assert gfe.primary_code == "17000"
    assert gfe.lesions == 8


def test_the_due_date_comes_from_the_scheduling_dates(self_pay):
    gfe = issue(self_pay())
    assert gfe.due.timing is GfeTiming.SCHEDULED_10
    assert gfe.due.due == D("2026-12-03")


def test_an_insured_estimate_cannot_become_a_gfe(tables_2026):
    claim = build_claim(Encounter(D("2026-12-15"), lesions=3, diagnoses=("L57.0",)), tables_2026)
    medicare = estimate(claim, MEDICARE_PAYER, PRACTICE, Benefits(), lambda year: tables_2026)
    with pytest.raises(InputError, match="self-pay"):
        issue(medicare)


@pytest.mark.parametrize(("practice_change", "patient", "expected"), [
    ({"npi": ""}, PATIENT, ["provider NPI"]),
    ({"npi": "", "tin": ""}, PATIENT, ["provider NPI", "provider TIN"]),
    ({"name": ""}, PATIENT, ["provider name"]),
    ({"address": ""}, PATIENT, ["provider location (address)", "provider state"]),
    ({"address": "1 Main St, Houston"}, PATIENT, ["provider state"]),
    ({"npi": "12345"}, PATIENT, ["a valid provider NPI (10 digits)"]),
    ({}, Patient("", D("1951-02-03")), ["patient name"]),
    ({}, Patient("Ana Q. Testpatient", None), ["patient date of birth"]),
    ({}, Patient(" ", None), ["patient name", "patient date of birth"]),
])
def test_each_missing_element_is_named_in_plain_words(self_pay, practice_change, patient, expected):
    practice = dataclasses.replace(PRACTICE, **practice_change)
    assert missing_elements(issue(self_pay(practice), practice, patient)) == expected


def test_an_empty_practice_profile_is_missing_every_provider_element(self_pay):
    practice = Practice()
    assert missing_elements(issue(self_pay(practice), practice)) == [
        "provider name", "provider NPI", "provider TIN", "provider location (address)", "provider state"]


def test_no_services_and_no_diagnosis_are_named(self_pay):
    assert missing_elements(issue(None)) == ["itemized services", "description of the primary service"]
    assert missing_elements(issue(self_pay(diagnoses=()))) == ["diagnosis code for 17000, 17003"]


def test_a_scheduled_gfe_needs_its_date_but_a_requested_one_does_not(self_pay):
    assert missing_elements(issue(self_pay(), service_date=None)) == ["scheduled date of the primary service"]
    requested = issue(self_pay(), service_date=None, requested=True)
    assert missing_elements(requested) == []
    assert requested.due.timing is GfeTiming.REQUESTED


def test_a_service_before_its_scheduling_is_refused(self_pay):
    with pytest.raises(InputError, match="before the date it was scheduled"):
        issue(self_pay(), start=D("2026-12-20"))


def test_separately_scheduled_items_are_kept_without_blanks(self_pay):
    gfe = issue(self_pay(), separately=["  Biopsy if a lesion looks suspicious ", "", "  "])
    assert gfe.separately == ("Biopsy if a lesion looks suspicious",)


def test_a_gfe_survives_its_json_form_unchanged(self_pay):
    gfe = issue(self_pay(em_code="99213", procedures=(ServiceLine.parse("11102:RT@D48.5"),)),
                separately=["Pathology"], primary_text="Cryotherapy of actinic keratoses")
    assert gfe_from_dict(gfe_to_dict(gfe)) == gfe


def test_unreadable_stored_data_is_an_input_error():
    with pytest.raises(InputError, match="not a stored Good Faith Estimate"):
        gfe_from_dict({"patient": {}})


@pytest.mark.parametrize(("total", "billed", "excess", "eligible"), [
    (32500, 72500, 40000, True),  # exactly $400 over
    (32500, 72499, 39999, False),  # $399.99 over
    (32500, 32500, 0, False),
    (32500, 20000, -12500, False),
    (0, 40000, 40000, True),
])
def test_a_bill_400_dollars_or_more_over_the_estimate_is_flagged(total, billed, excess, eligible):
    result = compare_bill(total, billed)
    assert (result.excess_cents, result.dispute_eligible) == (excess, eligible)


def test_a_negative_bill_is_refused():
    with pytest.raises(InputError):
        compare_bill(100, -1)


@pytest.mark.parametrize(("issued", "until"), [
    ("2026-11-30", "2032-11-30"),
    ("2028-02-29", "2034-02-28"),  # a leap day keeps to the end of February
])
def test_a_copy_is_kept_six_years(issued, until):
    assert retain_until(D(issued)) == D(until)


def test_a_gfe_issued_after_its_due_date_gets_a_late_warning(self_pay):
    """Scheduled 2026-11-30 for 2026-12-15 (10+ business days): due within 3 business days, by 2026-12-03."""
    assert late_finding(issue(self_pay(), issued_on=D("2026-12-03"))) is None
    late = late_finding(issue(self_pay(), issued_on=D("2026-12-04")))
    assert late is not None and late.severity == "warning" and "2026-12-03" in late.message
    assert late.source == "45 CFR 149.610(b)(1)(vi)"
