"""The patient estimate and the Good Faith Estimate rendered to PDF, their text extracted and checked.

Every test renders a real PDF with Qt (offscreen) and reads it back with ``pdftotext``; the amounts looked
for are the core ``Estimate``'s own, so a document can never show a figure the core did not compute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtGui import QPdfWriter

from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.errors import InputError
from estimator.core.gfe import Patient, build_gfe, missing_elements
from estimator.core.payers import MEDICARE_PAYER, SELF_PAY_PAYER, Method, Payer, Practice
from estimator.core.rules import build_claim
from estimator.reports import documents, i18n
from tests.reports.pdf_text import pdf_pages, pdf_text

D = dt.date.fromisoformat
PRACTICE = Practice("Sunrise Dermatology", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001", "0441218",
                    charges={("17000", ""): 15000, ("17003", ""): 2500, ("99213", ""): 16000})
PATIENT = Patient("Ana Q. Testpatient", D("1951-02-03"))
LANGS = ["en", "es"]


@pytest.fixture
def medicare_estimate(tables_2026):
    encounter = Encounter(D("2026-12-15"), locality_key="0441218", lesions=8, em_code="99213",
                          procedures=(ServiceLine.parse("11102"),), diagnoses=("L57.0",))
    claim = build_claim(encounter, tables_2026)
    return estimate(claim, MEDICARE_PAYER, PRACTICE, Benefits(secondary_pct=Decimal(50)), lambda year: tables_2026)


@pytest.fixture
def gfe(tables_2026):
    claim = build_claim(Encounter(D("2026-12-15"), locality_key="0441218", lesions=8, em_code="99213",
                                  diagnoses=("L57.0",)), tables_2026)
    est = estimate(claim, SELF_PAY_PAYER, PRACTICE, Benefits(), lambda year: tables_2026)
    made = build_gfe(est, PRACTICE, PATIENT, start=D("2026-11-30"), service_date=D("2026-12-15"),
                     issued_on=D("2026-11-30"), separately=["Pathology of a biopsy, if one is taken"])
    assert missing_elements(made) == []
    return made


def render(source: str, tmp_path: Path, name: str = "doc.pdf") -> str:
    path = tmp_path / name
    pdf = documents.html_to_pdf(source, path)
    assert path.read_bytes() == pdf and pdf.startswith(b"%PDF")
    return pdf_text(path)


@pytest.mark.parametrize("lang", LANGS)
def test_the_patient_estimate_shows_every_line_and_figure_of_the_estimate(qapp, tmp_path, medicare_estimate, lang):
    est = medicare_estimate
    text = render(documents.patient_estimate_html(est, PRACTICE, PATIENT, lang, D("2026-11-30")), tmp_path)
    t = i18n.MESSAGES[lang]
    for needle in ("Sunrise Dermatology", "1 Main St, Houston, TX 77001", "1234567893", "12-3456789",
                   "Ana Q. Testpatient", i18n.long_date(D("1951-02-03"), lang), i18n.long_date(D("2026-12-15"), lang),
                   "Medicare", t["pe_title"], t["you_owe"], t["insurance_pays"], t["secondary_pays"],
                   t["assumptions_heading"]):
        assert needle in text, needle
    for ln in est.lines:
        assert ln.allowed.line.code in text
        for cents in (ln.allowed_cents, ln.payer_cents, ln.patient_cents):
            assert i18n.money(cents) in text
    for cents in (est.allowed_cents, est.payer_cents, est.patient_cents, est.secondary_cents,
                  est.total("deductible_cents"), est.total("coinsurance_cents"), est.total("copay_cents")):
        assert i18n.money(cents) in text
    for sentence in est.assumptions:
        assert " ".join(i18n.assumption(sentence, lang).split()) in text
    assert " ".join(t["not_guarantee"].split()) in text


def test_the_patient_estimate_says_it_is_not_a_guarantee_and_explains_the_share(qapp, tmp_path, medicare_estimate):
    text = render(documents.patient_estimate_html(medicare_estimate, PRACTICE, PATIENT, "en"), tmp_path)
    assert "This is an estimate, not a guarantee of payment." in text
    assert f"Deductible: {i18n.money(medicare_estimate.total('deductible_cents'))}" in text
    assert "Coinsurance:" in text and "Copay:" in text
    assert "sequestration" in text


@pytest.mark.parametrize("lang", LANGS)
def test_a_commercial_estimate_without_benefits_prints_the_share_as_not_known(qapp, tmp_path, tables_2026, lang):
    claim = build_claim(Encounter(D("2026-12-15"), locality_key="0441218", lesions=8, diagnoses=("L57.0",)),
                        tables_2026)
    acme = Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(125))
    est = estimate(claim, acme, PRACTICE, Benefits(), lambda year: tables_2026)
    assert not est.patient_known
    text = render(documents.patient_estimate_html(est, PRACTICE, PATIENT, lang), tmp_path)
    t = i18n.MESSAGES[lang]
    assert t["unknown_share"] in text and " ".join(t["why_unknown"].split()) in text
    assert i18n.money(est.allowed_cents) in text
    assert i18n.money(0) not in text  # no "$0.00 you owe" for a share nobody knows


def test_a_patient_estimate_without_a_patient_leaves_the_name_blank(qapp, tmp_path, medicare_estimate):
    text = render(documents.patient_estimate_html(medicare_estimate, Practice(), None, "en"), tmp_path)
    assert "Your cost estimate" in text and "Ana" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_the_gfe_holds_every_required_element(qapp, tmp_path, gfe, lang):
    text = render(documents.gfe_html(gfe, lang), tmp_path)
    t = i18n.MESSAGES[lang]
    provider = gfe.providers[0].provider
    required = [
        "Ana Q. Testpatient", i18n.long_date(D("1951-02-03"), lang),  # patient name and date of birth
        i18n.text(lang, "lesions_many", n=8), i18n.long_date(D("2026-12-15"), lang),  # primary service, date
        provider.name, provider.npi, provider.tin, "1 Main St, Houston, TX 77001", "TX",  # provider
        "L57.0", "17000", "17003", "99213",  # diagnosis and service codes
        i18n.money(gfe.total_cents), *[i18n.money(i.charge_cents) for i in gfe.items],  # expected charges
        t["separately_heading"], "Pathology of a biopsy, if one is taken",  # scheduled separately
        i18n.long_date(D("2026-12-03"), lang),  # due date
        "$400", "120", "www.cms.gov/nosurprises", "1-800-985-3059",
    ]
    for needle in required:
        assert needle in text, needle
    for key in ("disclaimer_estimate", "disclaimer_not_included", "disclaimer_dispute", "disclaimer_contract"):
        assert " ".join(t[key].split()) in text, key
    assert i18n.money(gfe.total_cents + 40000) in text  # the dispute threshold in dollars


def test_the_english_gfe_passes_the_acceptance_wording(qapp, tmp_path, gfe):
    text = render(documents.gfe_html(gfe, "en"), tmp_path).lower()
    assert "not a contract" in text and "does not require you" in text
    assert "dispute" in text and "only an estimate" in text
    assert "separately" in text and "not included" in text
    assert "good faith estimate" in text


def test_the_spanish_gfe_is_titled_and_worded_in_spanish(qapp, tmp_path, gfe):
    text = render(documents.gfe_html(gfe, "es"), tmp_path)
    assert "Estimación de buena fe" in text
    assert "no es un contrato" in text and "solo una estimación" in text and "disputar" in text
    assert "Destrucción de una lesión precancerosa" in text  # featured-code label in Spanish


def test_an_empty_separately_list_still_has_its_section(qapp, tmp_path, gfe):
    text = render(documents.gfe_html(dataclasses.replace(gfe, separately=()), "en"), tmp_path)
    assert "Items or services to be scheduled separately None expected." in text


def test_a_long_gfe_runs_onto_numbered_pages(qapp, tmp_path, gfe):
    long = dataclasses.replace(gfe, separately=tuple(f"Follow-up treatment number {i}" for i in range(40)))
    path = tmp_path / "long.pdf"
    documents.html_to_pdf(documents.gfe_html(long, "en"), path)
    pages = pdf_pages(path)
    assert pages >= 2
    text = pdf_text(path)
    assert f"Good Faith Estimate — Page {pages} of {pages}" in text
    assert text.count("Follow-up treatment number 39") == 1  # nothing drawn twice across a page break


def test_what_a_user_typed_is_shown_as_text_not_markup(qapp, tmp_path, gfe):
    odd = dataclasses.replace(gfe, patient=Patient("<b>Bobby</b> & Tables", D("1951-02-03")))
    source = documents.gfe_html(odd, "en")
    assert "<b>Bobby" not in source
    assert "<b>Bobby</b> & Tables" in render(source, tmp_path)


def test_printing_uses_the_same_pages_as_the_pdf(qapp, tmp_path, gfe):
    path = tmp_path / "printed.pdf"
    writer = QPdfWriter(str(path))
    pages = documents.print_html(documents.gfe_html(gfe, "en"), writer)
    del writer
    assert pages == pdf_pages(path)
    assert "1234567893" in pdf_text(path)


def test_a_pdf_cannot_be_written_into_a_missing_folder(qapp, tmp_path, gfe):
    with pytest.raises(InputError, match="cannot write there"):
        documents.html_to_pdf(documents.gfe_html(gfe, "en"), tmp_path / "no-such-folder" / "gfe.pdf")
    assert not (tmp_path / "no-such-folder").exists()


def test_the_running_application_is_reused(qapp):
    assert documents.ensure_app() is qapp


def test_an_unassigned_patient_estimate_says_medicare_pays_the_patient_back(qapp, tmp_path, tables_2026):
    claim = build_claim(Encounter(D("2026-03-02"), lesions=1, diagnoses=("L57.0",)), tables_2026)
    practice = dataclasses.replace(PRACTICE, participating=False, accepts_assignment=False)
    est = estimate(claim, MEDICARE_PAYER, practice, Benefits(deductible_remaining_cents=0), lambda year: tables_2026)
    # national 17000 66.47: non-par 63.15; Medicare pays the patient (63.15 - 12.63) less 2% = 50.52 - 1.01 = 49.51
    text = render(documents.patient_estimate_html(est, practice, PATIENT, "en"), tmp_path)
    assert "Medicare then pays you $49.51" in " ".join(text.split())


@pytest.mark.parametrize("lang", LANGS)
def test_the_printed_estimate_lists_the_documentation_checklist(qapp, tmp_path, tables_2026, lang):
    encounter = Encounter(D("2026-12-15"), locality_key="0441218", lesions=8, diagnoses=("L57.0",),
                          documented=frozenset({"site", "count", "consent"}))
    est = estimate(build_claim(encounter, tables_2026), MEDICARE_PAYER, PRACTICE, Benefits(),
                   lambda year: tables_2026)
    text = " ".join(render(documents.patient_estimate_html(est, PRACTICE, PATIENT, lang), tmp_path).split())
    t = i18n.MESSAGES[lang]
    items = ", ".join(t[f"doc_{k}"] for k in ("site", "count", "consent"))  # in checklist order
    assert t["documented"].format(items=items) in text
