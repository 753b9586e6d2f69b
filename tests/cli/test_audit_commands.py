"""``estimator audit`` end to end through ``estimator.cli.main``, on the shipped sample and temporary CSVs.

Each test has its own empty database (tests/conftest.py sets ESTIMATOR_DB); the demo payers are loaded the
way the README's walkthrough does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, csv_rows
from tests.reports.pdf_text import pdf_text

SAMPLE_FINDINGS = {
    ("SYN-CLM-1002", "lesion-17004-exclusive"), ("SYN-CLM-1003", "em-needs-25"), ("SYN-CLM-1004", "unit-limit"),
    ("SYN-CLM-1005", "diagnosis-mismatch"), ("SYN-CLM-1006", "global-period-visit"),
    ("SYN-CLM-1007", "mppr-missing"), ("SYN-CLM-1010", "frequency-limit"), ("SYN-CLM-1011", "prior-auth-missing"),
    ("SYN-CLM-1013", "underpaid"), ("SYN-CLM-1017", "underpaid"),
}


@pytest.fixture
def sample(repo_root: Path, cli: Cli) -> Path:
    assert cli("demo", "load").code == 0
    return repo_root / "samples" / "claims_sample.csv"


def test_the_sample_audit_table_shows_its_findings_totals_and_bad_rows_but_no_patient_id(cli: Cli,
                                                                                        sample: Path) -> None:
    run = cli("audit", str(sample))
    assert run.code == 0, run.err
    assert "claims audited 19 (37 lines), 10 with findings" in run.out
    assert "bad rows 3; lines held out with their claim 1; notices 2" in run.out
    assert "underpaid 2 lines, 28.75 in total" in run.out
    for claim, rule in SAMPLE_FINDINGS:
        assert any(claim in line and rule in line for line in run.out.splitlines()), (claim, rule)
    for line, problem in ((37, "is not a real calendar date"), (39, "is not a HCPCS/CPT code"),
                          (40, "units 'two' is not a number")):
        assert any(text.lstrip().startswith(str(line)) and problem in text for text in run.out.splitlines())
    assert "SYN-PT-" not in run.out


def test_csv_output_is_one_row_per_finding_with_patient_ids_unless_left_out(cli: Cli, sample: Path) -> None:
    run = cli("audit", str(sample), "--format", "csv")
    rows = csv_rows(run.out)
    assert {(r["claim_id"], r["rule"]) for r in rows} == SAMPLE_FINDINGS
    assert list(rows[0]) == ["claim_id", "patient_id", "date_of_service", "payer", "line", "code", "rule",
                             "severity", "message", "fix", "expected", "remitted", "variance"]
    under = next(r for r in rows if r["claim_id"] == "SYN-CLM-1017")
    assert (under["patient_id"], under["expected"], under["remitted"], under["variance"]) == \
        ("SYN-PT-0014", "186.08", "162.33", "-23.75")
    hidden = cli("audit", str(sample), "--format", "csv", "--no-patient-ids")
    assert "SYN-PT-" not in hidden.out


def test_json_output_is_the_full_result(cli: Cli, sample: Path) -> None:
    data = cli("audit", str(sample), "--format", "json").json()
    assert data["rows_read"] == 41 and data["summary"]["claims_audited"] == 19
    assert data["summary"]["underpaid_total"] == "28.75"
    claim = next(c for c in data["claims"] if c["claim_id"] == "SYN-CLM-1013")
    assert [ln["code"] for ln in claim["lines"]] == ["99213", "17000", "17003"]
    assert claim["lines"][1] | {"diagnoses": None} == {
        "line": 26, "code": "17000", "units": 1, "modifiers": [], "diagnoses": None, "billed": "132.94",
        "expected": "63.99", "allowed": "58.99", "paid": "46.25", "variance": "-5.00", "underpaid": True}
    assert [p["line"] for p in data["problems"] if p["kind"] == "bad"] == [37, 39, 40]


def test_a_wider_tolerance_keeps_only_the_larger_underpayment(cli: Cli, sample: Path) -> None:
    rows = csv_rows(cli("audit", str(sample), "--format", "csv", "--tolerance", "6").out)
    assert [r["claim_id"] for r in rows if r["rule"] == "underpaid"] == ["SYN-CLM-1017"]
    bad = cli("audit", str(sample), "--tolerance", "-1")
    assert bad.code == 1 and bad.err.count("\n") == 1 and "--tolerance" in bad.err


def test_out_writes_the_findings_csv_and_the_pdf_summary_without_patient_ids(cli: Cli, sample: Path, qapp: object,
                                                                            tmp_path: Path) -> None:
    findings = tmp_path / "findings.csv"
    run = cli("audit", str(sample), "--format", "csv", "--out", str(findings))
    assert run.code == 0 and "with patient ids" in run.out
    assert len(csv_rows(findings.read_text(encoding="utf-8"))) == len(SAMPLE_FINDINGS)
    pdf = tmp_path / "summary.pdf"
    run = cli("audit", str(sample), "--out", str(pdf))
    assert run.code == 0, run.err
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Claims audit summary" in text and "28.75" in text and "frequency-limit" in text
    assert "SYN-PT-" not in text
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_a_mapping_file_is_used_and_remembered_for_the_same_layout(cli: Cli, sample: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    text = sample.read_text(encoding="utf-8").splitlines()
    odd.write_text("\n".join(["When,Ticket,Person,Insurer,Site,Area,Proc,Count,M1,M2,Diag,Charge,Allow,Pay,Auth",
                              *text[1:]]) + "\n", encoding="utf-8")
    first = cli("audit", str(odd))
    assert first.code == 1 and first.err.count("\n") == 1
    assert "no column for" in first.err and "--mapping" in first.err
    mapping = tmp_path / "odd.toml"
    mapping.write_text("[columns]\ndate_of_service = \"When\"\nclaim_id = \"Ticket\"\npatient_id = \"Person\"\n"
                       "payer = \"Insurer\"\nplace_of_service = \"Site\"\nlocality = \"Area\"\ncode = \"Proc\"\n"
                       "units = \"Count\"\nmodifiers = [\"M1\", \"M2\"]\ndiagnoses = \"Diag\"\nbilled = \"Charge\"\n"
                       "allowed = \"Allow\"\npaid = \"Pay\"\nprior_auth = \"Auth\"\n", encoding="utf-8")
    with_mapping = cli("audit", str(odd), "--mapping", str(mapping), "--format", "csv")
    assert {(r["claim_id"], r["rule"]) for r in csv_rows(with_mapping.out)} == SAMPLE_FINDINGS
    remembered = cli("audit", str(odd), "--format", "csv")
    assert remembered.code == 0 and remembered.out == with_mapping.out
    shown = cli("audit", str(odd), "--print-mapping")
    assert "claim_id = \"Ticket\"" in shown.out and "modifiers = [\"M1\", \"M2\"]" in shown.out


def test_a_missing_file_is_one_line_on_stderr(cli: Cli, tmp_path: Path) -> None:
    run = cli("audit", str(tmp_path / "nope.csv"))
    assert run.code == 1 and run.err.count("\n") == 1 and "cannot read" in run.err


def test_without_payers_loaded_the_demo_claims_are_notices_and_rules_still_run(cli: Cli, repo_root: Path) -> None:
    run = cli("audit", str(repo_root / "samples" / "claims_sample.csv"), "--format", "json")
    data = json.loads(run.out)
    notices = [p for p in data["problems"] if p["kind"] == "notice"]
    assert len(notices) == 19  # every line of the Acme, Summit, Fixed Fee and unknown-payer claims
    rules = {f["code"] for c in data["claims"] for f in c["findings"]}
    assert {"em-needs-25", "lesion-17004-exclusive"} <= rules and "frequency-limit" not in rules


def test_help_says_where_patient_ids_appear(cli: Cli) -> None:
    run = cli("audit", "--help")
    assert run.code == 0
    assert "include patient ids" in " ".join(run.out.split())


def test_a_patient_id_in_a_mis_mapped_column_never_reaches_the_pdf_summary(cli: Cli, sample: Path, qapp: object,
                                                                            tmp_path: Path) -> None:
    swapped = tmp_path / "swapped.csv"
    lines = sample.read_text(encoding="utf-8").splitlines()
    header = lines[0].replace("Patient ID", "@").replace("CPT", "Patient ID").replace("@", "CPT")
    swapped.write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")
    table = cli("audit", str(swapped))
    assert table.code == 0 and "'SYN-PT-0001' is not a HCPCS/CPT code" in table.out  # on screen, to fix the file
    pdf = tmp_path / "summary.pdf"
    assert cli("audit", str(swapped), "--out", str(pdf)).code == 0
    text = pdf_text(pdf)
    assert "Rows not audited" in text and "is not a HCPCS/CPT code" in text
    assert "SYN-PT-" not in text
