"""CSV exports: an estimate line by line with a total, comparisons, and a locality's whole fee schedule."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import numpy as np
import pytest

from estimator.core.compare import compare_localities, compare_payers, compare_years
from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.payers import MEDICARE_PAYER, SELF_PAY_PAYER, Method, Payer, Practice
from estimator.core.pricing import price_unit
from estimator.core.rules import build_claim
from estimator.core.schedule import Setting
from estimator.reports import csv_exports

MONEY = re.compile(r"^\d+\.\d\d$")


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def visit(tables_2026):
    return Encounter(dt.date(2026, 3, 2), locality_key="0441299", lesions=8, em_code="99213",
                     procedures=(ServiceLine.parse("11102"),), diagnoses=("L57.0",))


def test_an_estimate_is_one_row_per_line_and_a_total_that_adds_up(tables_2026, visit):
    est = estimate(build_claim(visit, tables_2026), MEDICARE_PAYER, Practice(), Benefits(), lambda y: tables_2026)
    rows = parse(csv_exports.estimate_csv(est))
    assert [r["code"] for r in rows] == [ln.allowed.line.code for ln in est.lines] + ["total"]
    lines, total = rows[:-1], rows[-1]
    for column in ("allowed", "payer_pays", "patient_owes", "deductible", "coinsurance", "copay", "sequestration"):
        assert all(MONEY.match(r[column]) for r in rows), column
        assert sum(Decimal(r[column]) for r in lines) == Decimal(total[column]), column
    assert Decimal(total["allowed"]) == Decimal(est.allowed_cents) / 100
    assert Decimal(total["patient_owes"]) == Decimal(est.patient_cents) / 100
    assert rows[0]["modifiers"] == "25" and rows[0]["diagnoses"] == "L57.0"
    assert rows[0]["charge"] == ""  # no charge master: an empty cell, not 0.00


def test_the_estimate_file_is_written_whole(tmp_path, tables_2026, visit):
    est = estimate(build_claim(visit, tables_2026), SELF_PAY_PAYER, Practice(), Benefits(), lambda y: tables_2026)
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "estimate.csv"
    csv_exports.write_csv(path, csv_exports.estimate_rows(est), csv_exports.ESTIMATE_COLUMNS)
    rows = parse(path.read_text(encoding="utf-8"))
    assert rows[-1]["self_pay"] == rows[-1]["patient_owes"] == f"{Decimal(est.patient_cents) / 100:.2f}"
    assert [p.name for p in folder.iterdir()] == ["estimate.csv"]  # no temp file left behind


def test_the_national_fee_schedule_has_every_payable_code_with_the_check_values(tables_2026):
    settings = list(Setting)
    rows = csv_exports.fee_schedule_rows(tables_2026, "national", settings)
    assert len(rows) == int(tables_2026.schedule.payable().sum())
    by_code = {(r["code"], r["modifier"]): r for r in rows}
    assert by_code[("17000", "")]["nonfacility_par"] == "66.47"
    assert by_code[("17000", "")]["facility_par"] == "47.76"
    assert by_code[("17003", "")]["nonfacility_par"] == "6.35"
    assert by_code[("17004", "")]["facility_par"] == "82.83"
    assert by_code[("17000", "")]["label"].startswith("Destroying a precancerous skin spot")
    assert tuple(rows[0]) == csv_exports.fee_schedule_columns(settings)


def test_fee_schedule_rows_match_the_scalar_price_of_every_sampled_code(tables_2026):
    rows = csv_exports.fee_schedule_rows(tables_2026, "1320201", [Setting.NONFACILITY, Setting.FACILITY])
    rng = np.random.default_rng(17)
    for row in rng.choice(rows, size=40, replace=False):
        for setting in Setting:
            unit = price_unit(tables_2026, row["code"], row["modifier"], locality_key="1320201", setting=setting)
            expected = [None if c is None else f"{Decimal(c) / 100:.2f}"
                        for c in (unit.cents, unit.nonpar_cents, unit.limiting_charge_cents)]
            got = [row[f"{setting.value}_{a}"] for a in csv_exports.FEE_SCHEDULE_AMOUNTS]
            assert got == expected, (row["code"], setting)


def test_a_setting_where_cms_marks_the_code_na_carries_the_priced_amount_and_is_flagged(tables_2026):
    """As CMS's payment file PFREV26B: the NA column repeats the priced setting's amount."""
    schedule = tables_2026.schedule
    row = int(np.flatnonzero(schedule.payable() & schedule.facility_na & ~schedule.nonfacility_na)[0])
    rows = csv_exports.fee_schedule_rows(tables_2026, "national", list(Setting))
    match = next(r for r in rows if (r["code"], r["modifier"]) == (schedule.codes[row], schedule.modifiers[row]))
    assert match["facility_par"] == match["nonfacility_par"] and MONEY.match(match["nonfacility_par"])
    assert (match["facility_na"], match["nonfacility_na"]) == ("NA", "")
    text = csv_exports.csv_text([match], csv_exports.fee_schedule_columns(list(Setting)))
    assert parse(text)[0]["facility_na"] == "NA"


def test_comparison_rows_keep_money_exact(tables_2026, visit):
    claim = build_claim(visit, tables_2026)
    acme = Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(115))
    practice = Practice(locality_key="0441299")  # the percentage is pinned to the practice's locality
    payers = csv_exports.payer_rows(compare_payers(claim, [MEDICARE_PAYER, acme], practice, Benefits(),
                                                   lambda y: tables_2026))
    assert [r["payer"] for r in payers] == ["Medicare", "Acme"]
    # 115% taken per unit, rounded half-up once per unit (DOMAIN s5): within a cent a unit of 115% of the total.
    assert payers[0]["pct_of_medicare"] == "100.00"
    assert abs(Decimal(payers[1]["pct_of_medicare"]) - 115) < Decimal("0.05")
    localities = csv_exports.locality_rows(compare_localities(visit, tables_2026))
    assert len(localities) == 109 and all(MONEY.match(r["total"]) for r in localities)
    years = csv_exports.year_rows(compare_years(visit, [tables_2026]))
    assert years[0]["year"] == 2026 and "17000 x1" in years[0]["lines"]
