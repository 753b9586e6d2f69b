"""Every priced command works for a date after the newest tables and says it is provisional (issue 13)."""

from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT
from tests.reports.pdf_text import pdf_text

PRACTICE = ["practice", "set", "--name", "Sunrise Dermatology", "--npi", "1234567893", "--tin", "12-3456789",
            "--address", "1 Main St, Houston, TX 77001", "--locality", "0441218", "--pos", "11"]
VISIT = ["--lesions", "8", "--locality", "1320201", "--pos", "11", "--dx", "L57.0"]
LINE = "estimated with 2026 Medicare rates; 2027 rates not yet published"


def test_estimate_in_2027_has_the_2026_amounts_and_is_provisional(cli) -> None:
    later = cli("estimate", *VISIT, "--date", "2027-01-15", "--format", "json")
    assert later.code == 0, later.err
    now = cli("estimate", *VISIT, "--date", "2026-12-15", "--format", "json").json()
    data = later.json()
    assert data["allowed"] == now["allowed"] == "126.83"  # README: 8 lesions in Manhattan, RVU26C
    assert data["tables"]["provisional"] is True and now["tables"]["provisional"] is False
    assert (data["tables"]["release"], data["tables"]["year"], data["tables"]["for_year"]) == ("RVU26C", 2026, 2027)
    assert any(a.startswith("Provisional: 2027 Medicare rates are not yet published") for a in data["assumptions"])
    text = cli("estimate", *VISIT, "--date", "2027-01-15").out
    assert "PROVISIONAL: 2027 Medicare rates are not yet published" in text


@pytest.mark.parametrize("command", [
    ["encounter", *VISIT, "--date", "2027-01-15", "--format", "json"],
    ["lesions", "8", "--locality", "1320201", "--year", "2027", "--format", "json"],
])
def test_encounter_and_lesions_carry_the_tables_object(cli, command) -> None:
    result = cli(*command)
    assert result.code == 0, result.err
    assert result.json()["total"] == "126.83" and result.json()["tables"]["provisional"] is True


def test_price_for_2027_is_provisional_on_every_row(cli) -> None:
    rows = cli("price", "17000", "17003", "--year", "2027", "--format", "json").json()
    assert [r["amount"] for r in rows] == ["66.47", "47.76", "6.35", "1.67"]  # README table, RVU26C national
    assert all(r["tables"]["provisional"] and r["tables"]["release"] == "RVU26C" for r in rows)
    assert "PROVISIONAL" in cli("price", "17000", "--year", "2027").out
    assert "PROVISIONAL" not in cli("price", "17000", "--year", "2026").out


def test_compare_commands_work_in_2027_and_say_so(cli) -> None:
    assert cli("demo", "load").code == 0
    payers = cli("compare", "payers", *VISIT, "--date", "2027-01-15", "--format", "json")
    assert payers.code == 0, payers.err
    assert all(r["tables"]["provisional"] for r in payers.json())
    localities = cli("compare", "localities", *VISIT, "--date", "2027-01-15", "--top", "1")
    assert localities.code == 0 and localities.out.startswith("PROVISIONAL:")
    years = cli("compare", "years", *VISIT, "--years", "2026,2027", "--format", "json").json()
    assert [(r["year"], r["release"], r["total"]) for r in years] == [
        (2026, "RVU26C", "126.83"), (2027, "RVU26C (provisional)", "126.83")]


def test_set_cf_is_used_said_and_removed(cli) -> None:
    result = cli("tables", "set-cf", "--year", "2027", "--cf", "33.5000", "--source", "CY 2027 PFS final rule")
    assert result.code == 0, result.err
    data = cli("price", "17000", "--year", "2027", "--setting", "nonfacility", "--format", "json").json()[0]
    # (0.59 + 1.34 + 0.06) x 33.5000 = 66.665 -> 66.67 (RVU26C 17000, national)
    assert data["amount"] == "66.67" and data["conversion_factor"] == "33.5000"
    assert data["tables"]["conversion_factor"].startswith("33.5000 (provisional, CY 2027 PFS final rule")
    assert "your provisional 2027 conversion factor 33.5000" in data["tables"]["note"]
    assert cli("price", "17000", "--year", "2026", "--setting", "nonfacility", "--format", "json").json()[0][
        "amount"] == "66.47"
    assert cli("tables", "set-cf", "--year", "2027", "--clear").code == 0
    data = cli("price", "17000", "--year", "2027", "--setting", "nonfacility", "--format", "json").json()[0]
    assert data["amount"] == "66.47"
    assert "nothing changed" in cli("tables", "unset-cf", "--year", "2027").out


@pytest.mark.parametrize(("args", "message"), [
    (["--year", "2026", "--cf", "33.5", "--source", "x"], "2026 already has CMS tables"),
    (["--year", "2027", "--cf", "33.123456", "--source", "x"], "more than 4 decimals"),
    (["--year", "2027", "--cf", "50", "--source", "x"], "more than 10% away"),
    (["--year", "2027", "--cf", "33.5"], "say where the conversion factor comes from"),
    (["--year", "27", "--cf", "33.5", "--source", "x"], "year must be 4 digits"),
])
def test_set_cf_refuses_bad_input_in_one_line(cli, args, message) -> None:
    result = cli("tables", "set-cf", *args)
    assert result.code == 1 and message in result.err and result.err.count("\n") == 1


def test_tables_status_text_and_json(cli) -> None:
    result = cli("tables", "status", "--today", "2026-12-01")
    assert result.code == 0
    assert "2027 Q1  RVU26C   shipped  PROVISIONAL" in result.out
    assert "Reminder: Medicare's 2027 fee schedule (RVU27A) is due in December" in result.out
    data = cli("tables", "status", "--today", "2026-11-30", "--format", "json").json()
    assert data["reminder"] == "" and data["due_next"].startswith("overdue: RVU26D")


def test_a_self_pay_gfe_for_2027_is_issued_from_the_charge_master(cli, tmp_path, qapp) -> None:
    assert cli(*PRACTICE).code == 0 and cli("demo", "load").code == 0  # the demo charge master
    out = tmp_path / "gfe.pdf"
    result = cli("gfe", "--patient-name", "Ana Q. Testpatient", "--dob", "1951-02-03", "--scheduled", "2027-01-12",
                 "--scheduled-on", "2026-12-04", "--lesions", "8", "--dx", "L57.0", "--out", str(out),
                 "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["total"] == "221.84"  # demo charge master: 17000 132.94 + 7 x 17003 12.70
    assert data["tables"]["provisional"] is False and "charge master" in data["tables"]["note"]
    assert LINE not in pdf_text(out)
    # A code missing from the charge master falls back to Medicare's (provisional) amount, labelled.
    out2 = tmp_path / "gfe2.pdf"
    result = cli("gfe", "--patient-name", "Ana Q. Testpatient", "--dob", "1951-02-03", "--scheduled", "2027-01-12",
                 "--scheduled-on", "2026-12-04", "--lesions", "8", "--add", "11300", "--dx", "L57.0",
                 "--out", str(out2), "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["tables"]["provisional"] is True
    assert f"11300 has no charge in the charge master; the Medicare amount is used ({LINE})" in result.err
    assert "Estimated with 2026 Medicare rates; 2027 rates not yet published." in pdf_text(out2)


def test_the_patient_estimate_pdf_carries_the_provisional_line(cli, tmp_path, qapp) -> None:
    out = tmp_path / "estimate.pdf"
    result = cli("estimate", *VISIT, "--date", "2027-01-15", "--pdf", str(out))
    assert result.code == 0, result.err
    text = pdf_text(out)
    assert "Estimated with 2026 Medicare rates; 2027 rates not yet published." in text
    assert "estimator tables import" not in text  # the patient reads the line, not the practice's how-to
    es = tmp_path / "estimate-es.pdf"
    assert cli("estimate", *VISIT, "--date", "2027-01-15", "--pdf", str(es), "--lang", "es").code == 0
    assert "Estimado con las tarifas de Medicare de 2026; las tarifas de 2027 aún no se han publicado." in pdf_text(es)


def test_a_forecast_running_into_next_year_says_those_months_are_provisional(cli, tmp_path) -> None:
    assert cli("demo", "load").code == 0
    scenario = tmp_path / "s.toml"
    scenario.write_text('year = 2026\nstart = "2026-07"\nannual_volume = 1200\n[lesions]\n3 = 1\n'
                        '[payer_mix]\n"Medicare" = 100\n[setting_mix]\nnonfacility = 100\n')
    data = cli("forecast", "--scenario", str(scenario), "--paths", "0", "--format", "json").json()
    assert data["tables"]["provisional"] is True and data["tables"]["for_year"] == 2027
    assert "Months in 2027 are priced with the scenario's 2026 fee schedule (RVU26C)." in data["assumptions"]
    scenario.write_text(scenario.read_text().replace("year = 2026", "year = 2027").replace("2026-07", "2027-01"))
    result = cli("forecast", "--scenario", str(scenario), "--paths", "0", "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["tables"]["provisional"] is True
    negotiate = cli("negotiate", "--payer", "Medicare", "--mix", str(scenario), "--format", "json").json()
    assert negotiate["tables"]["provisional"] is True
    assert any(n.startswith("Provisional: 2027 Medicare rates") for n in negotiate["notes"])


def test_an_audit_of_claims_dated_after_the_newest_tables_says_they_are_provisional(cli, tmp_path) -> None:
    assert cli("demo", "load").code == 0
    claims = tmp_path / "claims.csv"
    claims.write_text((REPO_ROOT / "samples" / "claims_sample.csv").read_text().replace("2026-", "2027-"))
    mapping = str(REPO_ROOT / "samples" / "claims_mapping.toml")
    data = cli("audit", str(claims), "--mapping", mapping, "--format", "json").json()
    assert [(t["release"], t["for_year"], t["provisional"]) for t in data["provisional_tables"]] == [
        ("RVU26C", 2027, True)]
    assert "PROVISIONAL: 2027 Medicare rates" in cli("audit", str(claims), "--mapping", mapping).out
    original = cli("audit", str(REPO_ROOT / "samples" / "claims_sample.csv"), "--mapping", mapping, "--format", "json")
    assert original.json()["provisional_tables"] == []


def test_a_provisional_qp_cf_is_used_for_qps_and_without_it_qps_keep_the_newest(cli) -> None:
    args = ["price", "17000", "--year", "2027", "--cf", "qp", "--setting", "nonfacility", "--format", "json"]
    assert cli("tables", "set-cf", "--year", "2027", "--cf", "33.5", "--qp-cf", "33.6", "--source", "rule").code == 0
    # (0.59 + 1.34 + 0.06) x 33.6000 = 66.864 -> 66.86
    assert cli(*args).json()[0]["amount"] == "66.86"
    assert cli("tables", "set-cf", "--year", "2027", "--cf", "33.5", "--source", "rule").code == 0
    row = cli(*args).json()[0]
    assert row["amount"] == "66.80"  # 1.99 x 33.5675 (the 2026 QP factor) = 66.799 -> 66.80
    assert "qualifying APM participants keep the 2026 QP factor" in row["tables"]["note"]
