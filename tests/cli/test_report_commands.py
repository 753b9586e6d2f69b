"""``estimator gfe | export | compare`` and ``estimate --pdf/--csv`` end to end, through ``estimator.cli.main``.

Each test has its own empty database (tests/conftest.py sets ESTIMATOR_DB).  Tests that render a PDF ask
for ``qapp`` so the one application object of the test session is pytest-qt's.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest

from tests.cli.conftest import csv_rows
from tests.reports.pdf_text import pdf_text

MONEY = re.compile(r"^\d+\.\d\d$")
PRACTICE = ["practice", "set", "--name", "Sunrise Dermatology", "--npi", "1234567893", "--tin", "12-3456789",
            "--address", "1 Main St, Houston, TX 77001", "--locality", "0441218", "--pos", "11"]
#: The GFE below is due 2026-12-03 and issued on the day the test runs (45 CFR 149.610(b)(1)(vi)).
LATE = {"gfe-late"} if dt.date.today() > dt.date(2026, 12, 3) else set()
GFE = ["gfe", "--patient-name", "Ana Q. Testpatient", "--dob", "1951-02-03", "--scheduled", "2026-12-15",
       "--scheduled-on", "2026-11-30", "--lesions", "8", "--dx", "L57.0", "--pos", "11"]


@pytest.fixture
def practice(cli):
    assert cli(*PRACTICE).code == 0


# --- issuing -----------------------------------------------------------------------------------------------

def test_a_gfe_without_the_practice_npi_is_refused_naming_it(cli, tmp_path):
    result = cli(*GFE, "--out", str(tmp_path / "gfe.pdf"))
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("estimator: error: cannot issue the Good Faith Estimate: missing provider name, "
                               "provider NPI, provider TIN")
    assert "estimator practice set --name ... --npi ... --tin ... --address ..." in lines[0]
    assert not (tmp_path / "gfe.pdf").exists()


@pytest.mark.parametrize(("drop", "named"), [
    ("--dob", "patient date of birth"),
    ("--patient-name", "patient name"),
    ("--scheduled", "scheduled date of the primary service"),
    ("--dx", "diagnosis code for 17000, 17003"),
])
def test_each_missing_patient_element_is_named(cli, practice, tmp_path, drop, named):
    args = list(GFE)
    at = args.index(drop)
    del args[at:at + 2]
    result = cli(*args, "--out", str(tmp_path / "gfe.pdf"))
    assert result.code == 1
    assert f"missing {named}" in result.err
    assert "give " + drop in result.err


def test_a_gfe_without_services_names_them(cli, practice, tmp_path):
    result = cli("gfe", "--patient-name", "Ana", "--dob", "1951-02-03", "--scheduled", "2026-12-15",
                 "--out", str(tmp_path / "gfe.pdf"))
    assert result.code == 1 and "itemized services" in result.err


def test_an_issued_gfe_has_every_element_and_is_logged(cli, practice, tmp_path, qapp):
    out = tmp_path / "gfe.pdf"
    result = cli(*GFE, "--out", str(out), "--separately", "Biopsy if a spot looks suspicious", "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["id"] == 1 and data["due_date"] == "2026-12-03" and data["timing"] == "scheduled_10"
    # No charge master yet: the core prices at Medicare's amount and says so, on stderr and in the JSON.
    assert "17000 has no charge in the charge master" in result.err
    # Issued today: after the 2026-12-03 due date the estimate also carries the late warning.
    assert {f["code"] for f in data["findings"]} == {"no-charge"} | LATE
    text = pdf_text(out)
    for needle in ("Ana Q. Testpatient", "1951", "2026", "17000", "17003", "L57.0", "1234567893", "12-3456789",
                   "Sunrise Dermatology", "TX", "$400", "120", "not a contract", "dispute", "only an estimate",
                   "separately", "Biopsy if a spot looks suspicious", f"${data['total']}"):
        assert needle in text, needle
    listed = cli("gfe", "list", "--format", "json").json()
    assert [(r["id"], r["patient"], r["scheduled"], r["due"], r["total"]) for r in listed] == [
        (1, "Ana Q. Testpatient", "2026-12-15", "2026-12-03", data["total"])]


def test_the_expected_charges_come_from_the_charge_master(cli, practice, tmp_path, qapp):
    charges = tmp_path / "charges.csv"
    charges.write_text("code,modifier,charge\n17000,,150.00\n17003,,25.00\n", encoding="utf-8")
    assert cli("practice", "charges", "import", str(charges)).code == 0
    result = cli(*GFE, "--out", str(tmp_path / "gfe.pdf"), "--format", "json")
    assert result.code == 0 and (result.err == "" or (LATE and "after its due date 2026-12-03" in result.err))
    assert result.json()["total"] == "325.00"  # 150.00 + 7 x 25.00
    assert "$325.00" in pdf_text(tmp_path / "gfe.pdf")


def test_a_spanish_gfe_is_issued_in_spanish(cli, practice, tmp_path, qapp):
    out = tmp_path / "gfe-es.pdf"
    assert cli(*GFE, "--out", str(out), "--lang", "es").code == 0
    text = pdf_text(out)
    assert "Estimación de buena fe" in text and "no es un contrato" in text and "$400" in text


def test_the_log_lists_searches_shows_reprints_and_compares(cli, practice, tmp_path, qapp):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert cli(*GFE, "--out", str(first)).code == 0
    other = [a if a != "Ana Q. Testpatient" else "José Núñez" for a in GFE]
    assert cli(*other, "--out", str(second), "--lang", "es").code == 0

    table = cli("gfe", "list")
    assert table.code == 0 and "Ana Q. Testpatient" in table.out and "José Núñez" in table.out
    found = cli("gfe", "list", "--search", "nunez", "--format", "json").json()
    assert [r["id"] for r in found] == [2]
    assert csv_rows(cli("gfe", "list", "--format", "csv").out)[0]["id"] == "2"  # newest first

    shown = cli("gfe", "show", "1", "--format", "json").json()
    assert shown["patient"] == "Ana Q. Testpatient" and shown["provider"]["npi"] == "1234567893"
    assert [i["code"] for i in shown["items"]] == ["17000", "17003"]
    assert shown["inputs"]["lesions"] == "8"
    assert "must be given  2026-12-03" in cli("gfe", "show", "#1").out

    copy = tmp_path / "copy.pdf"
    assert cli("gfe", "reprint", "1", "--out", str(copy)).code == 0
    assert copy.read_bytes() == first.read_bytes()

    total = shown["total"]
    cents = int(total.replace(".", ""))
    over = f"{(cents + 40000) / 100:.2f}"
    under = f"{(cents + 39999) / 100:.2f}"
    flagged = cli("gfe", "compare", "1", "--billed", over, "--format", "json").json()
    assert (flagged["excess"], flagged["dispute_eligible"]) == ("400.00", True)
    assert cli("gfe", "compare", "1", "--billed", under, "--format", "json").json()["dispute_eligible"] is False
    assert "FLAG" in cli("gfe", "compare", "1", "--billed", over).out
    assert "120 days" in cli("gfe", "compare", "1", "--billed", over).out


@pytest.mark.parametrize(("args", "message"), [
    (["gfe", "show"], "needs the estimate's number"),
    (["gfe", "show", "9"], "no Good Faith Estimate #9"),
    (["gfe", "reprint", "1"], "--out FILE.pdf"),
    (["gfe", "compare", "1"], "--billed AMOUNT"),
    (["gfe", "list", "3"], "takes no number"),
    (["gfe", "show", "abc"], "not an estimate number"),
])
def test_log_commands_used_wrongly_say_how_to_use_them(cli, args, message):
    result = cli(*args)
    assert result.code == 1 and message in result.err


def test_an_unknown_gfe_action_is_a_usage_error(cli):
    assert cli("gfe", "delete", "1").code == 2


def test_an_empty_log_says_so(cli):
    assert cli("gfe", "list").out.strip() == "no Good Faith Estimates logged"


def test_a_requested_gfe_needs_no_scheduled_date(cli, practice, tmp_path, qapp):
    out = tmp_path / "requested.pdf"
    result = cli("gfe", "--patient-name", "Ana", "--dob", "1951-02-03", "--requested-on", "2026-12-23",
                 "--lesions", "3", "--dx", "L57.0", "--date", "2026-12-30", "--out", str(out), "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["due_date"] == "2026-12-29" and result.json()["timing"] == "requested"


def test_a_service_scheduled_fewer_than_3_business_days_ahead_says_no_gfe_is_required(cli, practice, tmp_path,
                                                                                          qapp):
    result = cli("gfe", "--patient-name", "Ana", "--dob", "1951-02-03", "--scheduled", "2026-07-07",
                 "--scheduled-on", "2026-07-02", "--lesions", "3", "--dx", "L57.0", "--out", str(tmp_path / "g.pdf"))
    assert result.code == 0
    assert "no Good Faith Estimate is required" in result.out


def test_an_insured_payer_cannot_price_a_gfe(cli, practice, tmp_path):
    result = cli(*GFE, "--payer", "Medicare", "--out", str(tmp_path / "g.pdf"))
    assert result.code == 1 and "not a self-pay payer" in result.err


# --- estimate --pdf / --csv --------------------------------------------------------------------------------

def test_estimate_writes_the_patient_estimate_pdf_and_csv_and_keeps_its_output(cli, practice, tmp_path, qapp):
    base = ["estimate", "--lesions", "8", "--em", "99213", "--dx", "L57.0", "--date", "2026-12-15"]
    plain = cli(*base, "--format", "json")
    pdf, table = tmp_path / "estimate.pdf", tmp_path / "estimate.csv"
    result = cli(*base, "--format", "json", "--pdf", str(pdf), "--csv", str(table), "--lang", "es",
                 "--patient-name", "Ana Q. Testpatient", "--dob", "1951-02-03")
    assert result.code == 0, result.err
    assert result.out == plain.out  # stdout unchanged; the notices go to stderr
    data = result.json()
    text = pdf_text(pdf)
    assert "Estimación de su costo" in text and "Ana Q. Testpatient" in text and "Sunrise Dermatology" in text
    assert f"${data['patient_owes']}" in text and f"${data['allowed']}" in text
    lines = csv_rows(table.read_text(encoding="utf-8"))
    assert [r["code"] for r in lines] == [ln["code"] for ln in data["lines"]] + ["total"]
    assert lines[-1]["patient_owes"] == data["patient_owes"] and lines[-1]["allowed"] == data["allowed"]


# --- exports and comparisons -------------------------------------------------------------------------------

def test_the_fee_schedule_of_a_locality_is_exported(cli, tmp_path):
    out = tmp_path / "fees.csv"
    result = cli("export", "fee-schedule", "--locality", "national", "--year", "2026", "--out", str(out))
    assert result.code == 0, result.err
    table = {(r["code"], r["modifier"]): r for r in csv_rows(out.read_text(encoding="utf-8"))}
    assert table[("17000", "")]["nonfacility_par"] == "66.47"
    assert table[("17000", "")]["facility_par"] == "47.76"
    assert MONEY.match(table[("17000", "")]["nonfacility_limiting_charge"])
    one = tmp_path / "one.csv"
    assert cli("export", "fee-schedule", "--locality", "0441299", "--setting", "facility", "--out", str(one)).code == 0
    assert "nonfacility_par" not in one.read_text(encoding="utf-8").splitlines()[0]


def test_an_unknown_locality_is_refused(cli, tmp_path):
    result = cli("export", "fee-schedule", "--locality", "9999999", "--out", str(tmp_path / "x.csv"))
    assert result.code == 1 and "unknown locality" in result.err


def test_comparisons_print_as_table_json_or_csv_and_write_csv_files(cli, tmp_path):
    visit = ["--lesions", "8", "--date", "2026-03-02", "--locality", "0441299"]
    payers = cli("compare", "payers", *visit, "--format", "json").json()
    assert {p["payer"] for p in payers} >= {"Medicare", "Self-pay"}
    medicare = next(p for p in payers if p["payer"] == "Medicare")
    assert medicare["pct_of_medicare"] == "100.00" and MONEY.match(medicare["allowed"])
    localities = csv_rows(cli("compare", "localities", *visit, "--format", "csv", "--top", "5").out)
    assert len(localities) == 5 and all(MONEY.match(r["total"]) for r in localities)
    out = tmp_path / "years.csv"
    assert cli("compare", "years", *visit, "--years", "2025,2026", "--out", str(out)).code == 0
    assert [r["year"] for r in csv_rows(out.read_text(encoding="utf-8"))] == ["2025", "2026"]
    assert "Medicare" in cli("compare", "payers", *visit, "--payers", "Medicare").out


# --- patient details off the command line ------------------------------------------------------------------

SERVICE = ["--scheduled", "2026-12-15", "--scheduled-on", "2026-11-30", "--lesions", "8", "--dx", "L57.0"]


@pytest.mark.parametrize(("name", "text"), [
    ("patient.json", '{"name": "Ana Q. Testpatient", "dob": "1951-02-03"}'),
    ("patient.toml", 'name = "Ana Q. Testpatient"\ndob = 1951-02-03\n'),
])
def test_patient_details_come_from_a_json_or_toml_file(cli, practice, tmp_path, qapp, name, text):
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    run = cli("gfe", "--patient-file", str(source), *SERVICE, "--out", str(tmp_path / "gfe.pdf"), "--format", "json")
    assert run.code == 0, run.err
    entry = cli("gfe", "list", "--format", "json").json()[0]
    assert (entry["patient"], entry["dob"]) == ("Ana Q. Testpatient", "1951-02-03")
    assert "Ana Q. Testpatient" in pdf_text(tmp_path / "gfe.pdf")


def test_patient_details_come_from_standard_input(cli, practice, tmp_path, qapp, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"name": "José Núñez", "dob": "1960-07-04"}'))
    run = cli("gfe", "--patient-file", "-", *SERVICE, "--out", str(tmp_path / "gfe.pdf"))
    assert run.code == 0, run.err
    assert cli("gfe", "list", "--format", "json").json()[0]["patient"] == "José Núñez"


@pytest.mark.parametrize(("args", "words"), [
    (["--patient-name", "Ana\u202eX", "--dob", "1951-02-03"], "invisible control character (U+202E)"),
    (["--patient-name", "Ana\x07", "--dob", "1951-02-03"], "invisible control character (U+0007)"),
    (["--patient-file", "{file}", "--patient-name", "Ana"], "not both"),
    (["--patient-file", "{bad}"], "not JSON or TOML"),
])
def test_bad_patient_details_are_refused_in_one_line_and_nothing_is_issued(cli, practice, tmp_path, args, words):
    (tmp_path / "p.json").write_text('{"name": "Ana", "dob": "1951-02-03"}', encoding="utf-8")
    (tmp_path / "bad.txt").write_text("name: Ana", encoding="utf-8")
    args = [a.format(file=tmp_path / "p.json", bad=tmp_path / "bad.txt") for a in args]
    run = cli("gfe", *args, *SERVICE, "--out", str(tmp_path / "gfe.pdf"))
    assert run.code == 1 and words in run.err and len(run.err.strip().splitlines()) == 1
    assert not (tmp_path / "gfe.pdf").exists()


@pytest.mark.parametrize("target", ["folder", "fifo"])
def test_out_refuses_a_folder_or_a_device_and_logs_nothing(cli, practice, tmp_path, target):
    out = tmp_path / "target"
    if target == "folder":
        out.mkdir()
    else:
        os.mkfifo(out)
    run = cli(*GFE, "--out", str(out))
    assert run.code == 1 and ("is a folder" in run.err or "not a regular file" in run.err)
    assert cli("gfe", "list", "--format", "json").json() == []
