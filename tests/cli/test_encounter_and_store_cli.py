"""End to end through ``estimator.cli.main``: encounter, global-period, practice, payers, estimate, demo."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from estimator.cli import main
from tests.cli.conftest import Cli


def run_json(cli: Cli, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def test_encounter_json_matches_the_issue_example(cli: Cli) -> None:
    data = run_json(cli, "encounter", "--lesions", "8", "--em", "99213", "--add", "11102", "--dx", "L57.0",
                    "--date", "2026-03-02", "--pos", "11")
    lines = {ln["code"]: ln for ln in data["lines"]}
    assert lines["99213"]["amount"] == "95.19" and lines["99213"]["modifiers"] == ["25"]
    assert lines["11102"]["amount"] == "95.53" and lines["17000"]["reduction_pct"] == "50.00"
    assert lines["17003"]["amount"] == "44.45" and lines["17003"]["units"] == 7
    assert data["total"] == "268.41"
    assert all(ln["trace"] for ln in data["lines"])
    assert {"code", "severity", "message", "source"} <= set(data["findings"][0])


def test_encounter_explain_prints_the_trace(cli: Cli) -> None:
    result = cli("encounter", "--lesions", "3", "--dx", "L57.0", "--explain", "--date", "2026-03-02")
    assert result.code == 0 and "rounded once, half-up" in result.out and "place of service 11" in result.out


@pytest.mark.parametrize("args", [
    ["encounter", "--lesions", "8", "--add", "1700X"],
    ["encounter", "--lesions", "8", "--add", "11102:Q9"],
    ["encounter", "--lesions", "8", "--dx", "57.0"],
    ["encounter", "--lesions", "8", "--date", "2026-02-30"],
    ["encounter", "--em", "17000"],
    ["encounter"],
    ["global-period", "--code", "17000", "--date", "2026-13-01"],
    ["estimate", "--lesions", "3", "--deductible-remaining", "-5"],
    ["estimate", "--lesions", "3", "--coinsurance", "120"],
    ["estimate", "--lesions", "3", "--payer", "Nobody"],
    ["payers", "add", "X", "--percent-of-medicare", "abc"],
    ["payers", "add", "Medicare", "--percent-of-medicare", "120"],
    ["practice", "set", "--npi", "1234567890"],
])
def test_bad_input_is_one_clear_line_and_a_non_zero_exit(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_global_period_says_whether_a_visit_is_inside(cli: Cli) -> None:
    data = run_json(cli, "global-period", "--code", "17000", "--date", "2026-03-02", "--visit", "2026-03-12")
    assert data["last_day"] == "2026-03-12" and data["inside"] is True
    data = run_json(cli, "global-period", "--code", "17000", "--date", "2026-03-02", "--visit", "2026-03-13")
    assert data["inside"] is False


def test_medicare_and_commercial_estimates_split_to_the_cent(cli: Cli) -> None:
    base = ["estimate", "--lesions", "8", "--locality", "1320201", "--pos", "11", "--date", "2026-03-02"]
    medicare = run_json(cli, *base, "--deductible-remaining", "50")
    assert (medicare["allowed"], medicare["patient_owes"], medicare["sequestration"], medicare["payer_pays"]) == \
        ("126.83", "65.37", "1.23", "60.23")
    assert cli("payers", "add", "Acme PPO", "--percent-of-medicare", "120", "--year", "2026",
               "--locality", "1320201").code == 0
    acme = run_json(cli, *base, "--payer", "Acme PPO", "--deductible-remaining", "100", "--coinsurance", "20")
    # 120% per unit (DOMAIN s5): 76.15 x 1.2 = 91.38; 17003 7.24 x 1.2 = 8.688 -> 8.69, x7 = 60.83
    assert acme["allowed"] == "152.21" and acme["sequestration"] == "0.00"
    total = sum(Decimal(acme[k]) for k in ("payer_pays", "patient_owes", "sequestration", "secondary_pays"))
    assert total == Decimal(acme["allowed"])
    assert acme["patient_breakdown"]["deductible"] == "100.00"


def test_a_commercial_estimate_without_benefits_has_no_patient_share(cli: Cli) -> None:
    base = ["estimate", "--lesions", "8", "--locality", "1320201", "--pos", "11", "--date", "2026-03-02"]
    assert cli("payers", "add", "Acme PPO", "--percent-of-medicare", "120", "--year", "2026",
               "--locality", "1320201").code == 0
    acme = run_json(cli, *base, "--payer", "Acme PPO")
    # 120% of Manhattan Medicare per unit, rounded half-up per unit (DOMAIN.md §5): 17000 76.15 -> 91.38 and
    # 17003 7.24 -> 8.69 x 7 = 60.83, total 152.21 (not 120% of the $126.83 total, 152.20): the allowed is known.
    assert acme["allowed"] == "152.21"
    assert acme["patient_owes"] is None and acme["payer_pays"] is None
    assert all(ln["patient_owes"] is None for ln in acme["lines"])
    assert [f["code"] for f in acme["findings"]].count("benefits-unknown") == 1
    text = cli(*base, "--payer", "Acme PPO").out
    assert "Patient share unknown: enter benefits" in text and "Patient owes" not in text
    # Medicare has a standard (the Part B deductible and 20%): its share stays known without benefits.
    assert run_json(cli, *base)["patient_owes"] == "126.83"
    rows = run_json(cli, "compare", "payers", "--lesions", "8", "--locality", "1320201", "--date", "2026-03-02",
                    "--format", "json")
    by_payer = {r["payer"]: r for r in rows}
    assert by_payer["Acme PPO"]["patient_owes"] is None and by_payer["Medicare"]["patient_owes"] == "126.83"


def test_practice_defaults_feed_the_encounter(cli: Cli) -> None:
    assert cli("practice", "set", "--name", "Sunrise", "--npi", "1234567893", "--tin", "12-3456789",
               "--locality", "1320201", "--pos", "22").code == 0
    data = run_json(cli, "encounter", "--lesions", "1", "--dx", "L57.0", "--date", "2026-03-02")
    assert data["locality"] == "1320201" and data["setting"] == "facility"
    shown = run_json(cli, "practice", "show")
    assert shown["npi"] == "1234567893" and shown["pos"] == "22"


def test_payer_fee_schedule_import_export_round_trip(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "fees.csv"
    src.write_text("code,modifier,amount\n17000,,80.00\n17003,,10.00\n88305,26,40.10\n", encoding="utf-8")
    assert cli("payers", "import", "Fixed Plan", str(src)).code == 0
    out = tmp_path / "out.csv"
    assert cli("payers", "export", "Fixed Plan", str(out)).code == 0
    assert out.read_text(encoding="utf-8") == "code,modifier,amount\n17000,,80.00\n17003,,10.00\n88305,26,40.10\n"
    est = run_json(cli, "estimate", "--lesions", "3", "--payer", "Fixed Plan", "--deductible-remaining", "0",
                   "--dx", "L57.0")
    assert est["allowed"] == "100.00"


def test_a_refused_import_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    before = run_json(cli, "payers", "list")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,modifier,amount\n17000,,70.00\n17003,,abc\n", encoding="utf-8")
    result = cli("payers", "import", "Bad Payer", str(bad))
    assert result.code == 1 and "line 3" in result.err
    assert run_json(cli, "payers", "list") == before


def test_payers_edit_remove_and_show(cli: Cli) -> None:
    assert cli("payers", "add", "Acme", "--percent-of-medicare", "110", "--em25-reduction", "50",
               "--mppr", "off", "--lesser-of-charge", "yes", "--override", "17000=75", "--frequency", "2/365",
               "--prior-auth", "96574").code == 0
    assert cli("payers", "edit", "Acme", "--percent-of-medicare", "125", "--rename", "Acme 2").code == 0
    shown = run_json(cli, "payers", "show", "Acme 2")
    assert shown["percent_of_medicare"] == "125" and shown["mppr"] is False and shown["overrides"] == {"17000": "75.00"}
    assert shown["frequency_limit"] == "2/365" and shown["prior_auth_codes"] == ["96574"]
    assert cli("payers", "remove", "Acme 2").code == 0
    assert "Acme 2" not in [p["name"] for p in run_json(cli, "payers", "list")]


def test_demo_load_adds_labelled_payers_once(cli: Cli) -> None:
    assert cli("demo", "load").code == 0
    names = [p["name"] for p in run_json(cli, "payers", "list")]
    assert sum(n.startswith("Demo:") for n in names) == 4
    again = cli("demo", "load")
    assert again.code == 0 and "already" in again.out


def test_every_command_prints_its_help(capsys) -> None:
    """Help text is rendered by argparse with %-formatting: a stray '%' in any help string would crash it."""
    import argparse  # noqa: PLC0415 - only this test walks the parser

    from estimator.cli import build_parser  # noqa: PLC0415

    def walk(parser: argparse.ArgumentParser) -> None:
        parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser())
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0 and "estimate" in capsys.readouterr().out


def test_an_unassigned_practice_setting_is_kept_and_the_estimate_shows_the_reimbursement(cli: Cli) -> None:
    assert cli("practice", "set", "--participating", "no", "--accepts-assignment", "no").code == 0
    assert cli("practice", "show", "--format", "json").json()["accepts_assignment"] is False
    data = cli("estimate", "--lesions", "1", "--dx", "L57.0", "--deductible-remaining", "0", "--format",
               "json").json()
    # national 17000 66.47: non-par 63.15, limiting 66.47 x 1.0925 = 72.62 billed to the patient;
    # Medicare pays the patient (63.15 - 12.63) less 2% = 50.52 - 1.01 = 49.51.
    assert data["unassigned"] is True and data["patient_owes"] == "72.62"
    assert (data["medicare_reimburses_patient"], data["patient_net_cost"]) == ("49.51", "23.11")
    refused = cli("practice", "set", "--participating", "yes", "--accepts-assignment", "no")
    assert refused.code == 1 and "always accepts assignment" in refused.err


@pytest.mark.parametrize(("args", "meant"), [
    (["estimate", "--lesions", "8", "--coinsurance", "0.2"], "did you mean 20%?"),
    (["payers", "add", "Typo Plan", "--percent-of-medicare", "1.1"], "did you mean 110%?"),
])
def test_a_fraction_for_a_percentage_is_refused_with_what_was_meant(cli: Cli, args: list[str], meant: str) -> None:
    run = cli(*args)
    assert run.code == 1 and meant in run.err and run.err.count("\n") == 1


def test_a_percentage_written_with_its_sign_is_taken_as_it_is(cli: Cli) -> None:
    data = run_json(cli, "estimate", "--lesions", "8", "--coinsurance", "0.2%", "--deductible-remaining", "0")
    assert "coinsurance 0.2%" in " ".join(data["assumptions"])


def test_a_missing_db_file_needs_create(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "typo.sqlite"
    run = cli("--db", str(db), "payers", "list")
    assert run.code == 1 and "--create" in run.err and not db.exists()
    run = cli("--db", str(db), "--create", "payers", "list")
    assert run.code == 0 and f"created a new practice database at {db}" in run.err and db.exists()
    assert cli("--db", str(db), "payers", "list").code == 0


def test_tables_print_yes_and_no_not_true_and_false(cli: Cli) -> None:
    out = cli("payers", "list").out
    assert "True" not in out and "False" not in out and "None" not in out and "yes" in out
