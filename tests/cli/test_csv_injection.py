"""Every CSV the command line writes neutralises formula-like text (OWASP "CSV injection"): a payer named
``=1+1`` and a patient named ``@SUM(A1)`` come out as ``'=1+1`` and ``'@SUM(A1)``, amounts stay numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, csv_rows
from tests.cli.test_report_commands import PRACTICE

PAYER = "=1+1"
PATIENT = "@SUM(A1)"
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?%?")


def cells(text: str) -> list[str]:
    return [c for row in csv_rows(text) for c in row.values()]


def assert_neutralised(text: str, *raw: str) -> None:
    found = cells(text)
    for value in raw:
        assert "'" + value in found, value
        assert value not in found, value
    assert not [c for c in found if c.startswith(("=", "+", "-", "@", "\t", "\r")) and not NUMBER.fullmatch(c)]


@pytest.fixture
def payer(cli: Cli) -> str:
    assert cli("payers", "add", PAYER, "--percent-of-medicare", "120").code == 0
    return PAYER


def test_compare_payers_on_screen_and_in_a_file(cli: Cli, payer: str, tmp_path: Path) -> None:
    shown = cli("compare", "payers", "--lesions", "3", "--format", "csv")
    assert shown.code == 0, shown.err
    assert_neutralised(shown.out, payer)
    assert next(r for r in csv_rows(shown.out) if r["payer"] == "'=1+1")["allowed"] == "95.00"
    out = tmp_path / "payers.csv"
    assert cli("compare", "payers", "--lesions", "3", "--out", str(out)).code == 0
    assert_neutralised(out.read_text(encoding="utf-8"), payer)


def test_negotiate(cli: Cli, payer: str) -> None:
    run = cli("negotiate", "--payer", payer, "--format", "csv")
    assert run.code == 0, run.err
    assert_neutralised(run.out, payer)


def test_audit_findings(cli: Cli, payer: str, repo_root: Path, tmp_path: Path) -> None:
    assert cli("demo", "load").code == 0
    sample = (repo_root / "samples" / "claims_sample.csv").read_text(encoding="utf-8")
    claims = tmp_path / "claims.csv"
    claims.write_text(sample.replace("SYN-PT-0014", PATIENT), encoding="utf-8")
    run = cli("audit", str(claims), "--format", "csv")
    assert run.code == 0, run.err
    assert_neutralised(run.out, PATIENT)
    assert any(r["variance"] == "-23.75" for r in csv_rows(run.out))  # a negative amount stays a number
    out = tmp_path / "findings.csv"
    assert cli("audit", str(claims), "--format", "csv", "--out", str(out)).code == 0
    assert_neutralised(out.read_text(encoding="utf-8"), PATIENT)


def test_gfe_list(cli: Cli, tmp_path: Path, qapp: object) -> None:
    assert cli(*PRACTICE).code == 0
    issued = cli("gfe", "--patient-name", PATIENT, "--dob", "1951-02-03", "--scheduled", "2026-12-15",
                 "--scheduled-on", "2026-11-30", "--lesions", "8", "--dx", "L57.0", "--out", str(tmp_path / "g.pdf"))
    assert issued.code == 0, issued.err
    assert_neutralised(cli("gfe", "list", "--format", "csv").out, PATIENT)


def test_the_estimate_csv_and_fee_schedule_exports_go_through_the_same_writer(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "estimate.csv"
    assert cli("estimate", "--lesions", "3", "--payer", "Medicare", "--csv", str(out)).code == 0
    assert csv_rows(out.read_text(encoding="utf-8"))[0]["code"] == "17000"
    fees = tmp_path / "fees.csv"
    assert cli("export", "fee-schedule", "--locality", "national", "--out", str(fees)).code == 0
    assert_neutralised(fees.read_text(encoding="utf-8"))
