"""The documents' message catalog: both languages complete, dates and money written properly."""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal

import pytest

from estimator.core import codes as cs
from estimator.core.cost_sharing import Benefits, CopayPer, estimate
from estimator.core.encounter import Encounter
from estimator.core.errors import InputError
from estimator.core.payers import MEDICARE_PAYER, SELF_PAY_PAYER, Method, Payer, Practice
from estimator.core.rules import build_claim
from estimator.reports import i18n

FEATURED = sorted(cs.PREMALIGNANT | cs.BIOPSIES | cs.PHOTODYNAMIC | cs.EM_CODES | cs.BENIGN_DESTRUCTION | {"G2211"})


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_no_empty_text():
    english, spanish = i18n.MESSAGES["en"], i18n.MESSAGES["es"]
    assert english.keys() == spanish.keys()
    assert all(v.strip() for v in [*english.values(), *spanish.values()])


def test_each_text_has_the_same_placeholders_in_both_languages():
    for key, template in i18n.MESSAGES["en"].items():
        assert placeholders(template) == placeholders(i18n.MESSAGES["es"][key]), key


def test_every_featured_code_has_a_spanish_label():
    assert set(FEATURED) <= i18n.SPANISH_LABELS.keys()
    assert all(i18n.SPANISH_LABELS[c].strip() for c in FEATURED)


def test_spanish_is_written_with_its_accents():
    assert i18n.text("es", "gfe_title") == "Estimación de buena fe"
    assert "Código" in i18n.text("es", "code")


def test_an_unknown_code_keeps_its_english_label_in_spanish():
    assert i18n.service_label("10060", "Drainage of a skin abscess", "es") == "Drainage of a skin abscess"
    assert i18n.service_label("17000", "English", "es").startswith("Destrucción")
    assert i18n.service_label("17000", "English", "en") == "English"


@pytest.mark.parametrize(("cents", "text"), [(0, "$0.00"), (6647, "$66.47"), (123456789, "$1,234,567.89"),
                                             (-500, "-$5.00")])
def test_money_is_written_in_dollars(cents, text):
    assert i18n.money(cents) == text


@pytest.mark.parametrize(("lang", "text"), [("en", "December 15, 2026"), ("es", "15 de diciembre de 2026")])
def test_dates_are_written_out_in_each_language(lang, text):
    assert i18n.long_date(dt.date(2026, 12, 15), lang) == text
    assert i18n.long_date(None, lang) == ""


def test_an_unsupported_language_is_refused():
    with pytest.raises(InputError, match=r"en .*es"):
        i18n.text("fr", "gfe_title")


def test_place_names_are_translated_where_known():
    assert i18n.place_name("11 Office", "es") == "11 Consultorio"
    assert i18n.place_name("11 Office", "en") == "11 Office"
    assert i18n.place_name("99 Other Place of Service", "es") == "99 Other Place of Service"


PAYERS = [
    (MEDICARE_PAYER, Benefits()),
    (MEDICARE_PAYER, Benefits(deductible_remaining_cents=5000, coinsurance_pct=Decimal(20), copay_cents=2500,
                              copay_per=CopayPer.PROCEDURE, oop_remaining_cents=100000, secondary_pct=Decimal(80))),
    (SELF_PAY_PAYER, Benefits()),
    (Payer("Cash", Method.SELF_PAY, self_pay_discount=Decimal(20)), Benefits()),
    (Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal("115.5"), year=2026), Benefits(copay_cents=3000)),
    (Payer("Acme local", Method.PERCENT_OF_MEDICARE, percent=Decimal(120), locality="0441299"), Benefits()),
    (Payer("Fixed", Method.FEE_SCHEDULE, fees={("17000", ""): 9000}), Benefits(coinsurance_pct=Decimal(30))),
    (Payer("Own CF", Method.OWN_CF, conversion_factor=Decimal("38.00")), Benefits()),
]


@pytest.mark.parametrize(("payer", "benefits"), PAYERS, ids=[p.name for p, _ in PAYERS])
def test_every_assumption_the_core_writes_has_a_spanish_form(tables_2026, payer, benefits):
    claim = build_claim(Encounter(dt.date(2026, 12, 15), lesions=4, diagnoses=("L57.0",)), tables_2026)
    est = estimate(claim, payer, Practice(), benefits, lambda year: tables_2026)
    for sentence in est.assumptions:
        assert i18n.translates(sentence), f"no Spanish for: {sentence}"
        assert i18n.assumption(sentence, "en") == sentence


def test_an_unknown_assumption_stays_in_english_rather_than_guessed():
    assert i18n.assumption("A brand new rule applies.", "es") == "A brand new rule applies."


def test_the_unassigned_claim_assumption_has_a_spanish_form(tables_2026):
    claim = build_claim(Encounter(dt.date(2026, 12, 15), lesions=4, diagnoses=("L57.0",)), tables_2026)
    practice = Practice(participating=False, accepts_assignment=False)
    est = estimate(claim, MEDICARE_PAYER, practice, Benefits(deductible_remaining_cents=0), lambda year: tables_2026)
    assert est.unassigned
    for sentence in est.assumptions:
        assert i18n.translates(sentence), f"no Spanish for: {sentence}"
