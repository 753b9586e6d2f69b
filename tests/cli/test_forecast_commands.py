"""``estimator forecast`` and ``estimator negotiate`` end to end, through ``estimator.cli.main``.

Each test has its own empty database (tests/conftest.py); the demo payers the example scenario names are
loaded with ``estimator demo load`` first, as a user would.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from estimator.core.forecast import default_payer_mix
from tests.cli.conftest import Cli, Run, csv_rows

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "forecast_scenario.toml"
PAST = REPO / "examples" / "past_encounters.csv"
MONEY = re.compile(r"^\d+\.\d\d$")
ACME = "Demo: Acme PPO (115%)"
OWN = "Demo: Own-CF Plan ($38.00)"


@pytest.fixture
def cli(cli: Cli) -> Cli:
    """The shared ``cli`` (tests/cli/conftest.py), with the demo payers the example scenario names loaded."""
    assert cli("demo", "load").code == 0
    return cli


def _forecast(cli, *extra: str) -> Run:  # type: ignore[no-untyped-def]
    result: Run = cli("forecast", "--scenario", str(EXAMPLE), "--paths", "300", "--seed", "7", *extra)
    return result


# --- forecast -----------------------------------------------------------------------------------------------


def test_a_forecast_as_json_gives_twelve_months_of_exact_values_and_ordered_bands(cli) -> None:  # type: ignore[no-untyped-def]
    result = _forecast(cli, "--format", "json")
    assert (result.code, result.err) == (0, "")
    data = result.json()
    assert len(data["monthly"]) == 12 and data["months"] == 12
    assert data["locality"] == "0441299" and data["release"] == "RVU26C"
    for row in [*data["monthly"], data["total"]]:
        for key in ("expected_allowed", "allowed_p10", "allowed_p50", "allowed_p90", "expected_collected"):
            assert MONEY.match(row[key]), (key, row[key])
        assert Decimal(row["allowed_p10"]) <= Decimal(row["allowed_p50"]) <= Decimal(row["allowed_p90"])
        assert Decimal(row["collected_p10"]) <= Decimal(row["collected_p50"]) <= Decimal(row["collected_p90"])
    # The reported months add up to the reported total exactly.
    assert sum(Decimal(r["expected_allowed"]) for r in data["monthly"]) == Decimal(data["total"]["expected_allowed"])
    assert sum(Decimal(r["volume"]) for r in data["monthly"]) == Decimal("2400.00")
    sim = data["simulation"]
    assert sim["paths"] == 300 and sim["seed"] == 7 and abs(sim["z_score"]) < 5
    assert data["per_encounter"]["allowed"] == "136.74"
    # The per-payer breakdown adds up to the total (each payer's share rounded half-up, to within a cent each).
    by_payer = sum(Decimal(r["expected_allowed"]) for r in data["by_payer"])
    assert abs(by_payer - Decimal(data["total"]["expected_allowed"])) <= Decimal("0.01") * len(data["by_payer"])


def test_the_same_seed_prints_the_same_forecast_and_another_seed_other_bands(cli) -> None:  # type: ignore[no-untyped-def]
    first, again = _forecast(cli, "--format", "csv"), _forecast(cli, "--format", "csv")
    other = cli("forecast", "--scenario", str(EXAMPLE), "--paths", "300", "--seed", "8", "--format", "csv")
    assert first.code == again.code == other.code == 0
    assert first.out == again.out
    assert first.out != other.out
    rows = csv_rows(first.out)
    assert [r["month"] for r in rows][-1] == "total" and len(rows) == 13


def test_the_table_shows_the_months_the_totals_and_the_assumptions(cli) -> None:  # type: ignore[no-untyped-def]
    result = _forecast(cli)
    assert result.code == 0
    assert "2026-01" in result.out and "total" in result.out and "P90" in result.out
    assert "300 paths, seed 7" in result.out and "Assumptions:" in result.out


def test_zero_paths_gives_the_exact_value_only(cli) -> None:  # type: ignore[no-untyped-def]
    data = cli("forecast", "--scenario", str(EXAMPLE), "--paths", "0", "--format", "json").json()
    assert data["simulation"] is None and data["total"]["allowed_p50"] is None
    # Percentage contracts round once per unit (DOMAIN s5), so this is 2.48 below the old per-line figure.
    assert data["total"]["expected_allowed"] == "328177.52"


def test_out_writes_the_same_result_to_a_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "forecast.json"
    result = _forecast(cli, "--format", "json", "--out", str(target))
    assert (result.code, result.out) == (0, "")
    assert json.loads(target.read_text()) == _forecast(cli, "--format", "json").json()


@pytest.mark.parametrize(("edit", "words"), [
    (lambda t: t.replace('"Demo: Fixed Fee Plan" = 6', '"Acme" = 6'), 'payer_mix."Acme": no payer named'),
    (lambda t: t.replace('"Self-pay" = 3', '"Self-pay" = 2'), "payer_mix: shares sum to 99%"),
    (lambda t: t.replace("annual_volume = 2400", "annual_volume = -2400"), "annual_volume: -2400 is negative"),
    (lambda t: t.replace("months = 12", "months = = 12"), "not valid TOML"),
    (lambda t: t.replace("nonfacility = 92", "nonfacility = 90"), "setting_mix: shares sum to 98%"),
])
def test_a_bad_scenario_fails_with_one_line_naming_the_field_and_writes_nothing(cli, tmp_path: Path, edit,  # type: ignore[no-untyped-def]
                                                                                words: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(edit(EXAMPLE.read_text()))
    out = tmp_path / "out.csv"
    result = cli("forecast", "--scenario", str(bad), "--out", str(out))
    assert result.code == 1 and result.out == ""
    assert words in result.err and result.err.count("\n") == 1
    assert not out.exists()
    out.write_text("kept\n")
    assert cli("forecast", "--scenario", str(bad), "--out", str(out)).code == 1
    assert out.read_text() == "kept\n"


@pytest.mark.parametrize(("args", "words"), [
    (["--paths", "many"], "--paths must be a whole number"),
    (["--paths", "2000000"], "--paths must be a whole number"),
    (["--seed", "-1"], "--seed must be a whole number"),
])
def test_bad_options_are_one_clear_line(cli, args: list[str], words: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("forecast", "--scenario", str(EXAMPLE), *args)
    assert result.code == 1 and words in result.err


def test_a_missing_scenario_file_is_one_clear_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("forecast", "--scenario", str(tmp_path / "nope.toml"))
    assert result.code == 1 and "cannot read the scenario file" in result.err


def test_a_scenario_fitted_from_past_encounters_forecasts(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "past_encounters.csv").write_text(PAST.read_text())
    scenario = tmp_path / "fitted.toml"
    scenario.write_text('fit_from = "past_encounters.csv"\nlocality = "1320201"\n')
    data = cli("forecast", "--scenario", str(scenario), "--paths", "50", "--format", "json").json()
    assert data["locality"] == "1320201" and data["seasonality"] == "custom"
    assert Decimal(data["total"]["volume"]) == Decimal(len(PAST.read_text().splitlines()) - 3)


# --- negotiate ----------------------------------------------------------------------------------------------


def _negotiate(cli, *args: str) -> Any:  # type: ignore[no-untyped-def]
    result = cli("negotiate", *args, "--format", "json")
    assert (result.code, result.err) == (0, ""), result.err
    return result.json()


def test_negotiate_shows_the_weighted_percent_of_medicare_on_the_mix(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", ACME, "--mix", str(EXAMPLE))
    assert data["payer"] == ACME and data["encounters"] == "480.0"  # 20% of 2,400
    rows = {r["payer"]: r for r in data["payers"]}
    assert rows["Medicare"]["pct_of_medicare"] == "100.00"
    # 130% taken per unit and rounded half-up per unit comes out a hair above 130% of the line totals.
    assert rows["Demo: Summit Health (130%)"]["pct_of_medicare"] == "130.01"
    assert Decimal(data["pct_of_medicare"]) < 115  # its 50% cut on E/M-25 visits costs it on this mix


def test_a_rate_change_what_if_gives_the_revenue_change(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", ACME, "--mix", str(EXAMPLE), "--rate-change", "5")
    w = data["what_if"]
    base, new = Decimal(w["baseline_revenue"]), Decimal(w["new_revenue"])
    # Repriced line by line at 1.05 x the contract's percentage: each unit rounds on its own, so the result
    # is near, not at, 1.05 x the baseline (within half a cent per unit billed over the year).
    assert new != base * Decimal("1.05")
    assert abs(new - base * Decimal("1.05")) <= Decimal("5.00")
    assert Decimal(w["revenue_change"]) == new - base


def test_a_new_conversion_factor_is_priced_with_the_real_contract(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", OWN, "--new-cf", "41.80")
    w = data["what_if"]
    assert w["change"] == "own conversion factor $41.80"
    ratio = Decimal(w["new_revenue"]) / Decimal(w["baseline_revenue"])
    assert abs(ratio - Decimal("1.1")) < Decimal("0.001")


def test_a_revenue_target_gives_the_rate_needed_and_checks_it(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", "Demo: Summit Health (130%)", "--mix", str(PAST), "--target-revenue", "15000")
    t = data["target"]
    assert Decimal(t["required_percent_of_medicare"]) > 130
    assert t["check"]["reached"] is True
    assert Decimal(t["check"]["revenue_with_line_rounding"]) >= 15000


def test_the_year_over_year_effects_add_up_to_the_change(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", ACME, "--mix", str(EXAMPLE))
    yoy = data["yoy"]
    assert (yoy["from_year"], yoy["to_year"], yoy["order"]) == (2025, 2026, ["cf", "rvu", "gpci"])
    assert {r["code"] for r in yoy["rows"]} == {"17000", "17003", "17004", "99213"}
    assert {r["setting"] for r in yoy["rows"]} == {"nonfacility", "facility"}
    for r in yoy["rows"]:
        parts = sum(Decimal(r[k]) for k in ("cf_effect", "rvu_effect", "gpci_effect"))
        assert parts == Decimal(r["change"]) == Decimal(r["amount_2026"]) - Decimal(r["amount_2025"])


def test_negotiate_tables_and_csv_render(cli) -> None:  # type: ignore[no-untyped-def]
    table = cli("negotiate", "--payer", ACME, "--target-revenue", "80000", "--mix", str(EXAMPLE))
    assert table.code == 0 and "Weighted % of Medicare" in table.out and "2025 -> 2026" in table.out
    out = cli("negotiate", "--payer", ACME, "--rate-change", "-3", "--format", "csv")
    rows = csv_rows(out.out)
    assert {r["section"] for r in rows} == {"payer", "what_if", "yoy"}


@pytest.mark.parametrize(("args", "words"), [
    (["--payer", "Nobody"], "no payer named 'Nobody'"),
    (["--payer", ACME, "--rate-change", "-100"], "--rate-change must be above -100"),
    (["--payer", ACME, "--new-cf", "0"], "--new-cf must be above 0"),
    (["--payer", ACME, "--target-revenue", "-5"], "--target-revenue cannot be negative"),
    (["--payer", ACME, "--volume", "-5"], "--volume cannot be negative"),
    (["--payer", "Medicare", "--target-revenue", "100", "--mix", str(EXAMPLE), "--volume", "0"], "no revenue"),
])
def test_bad_negotiate_input_is_one_clear_line(cli, args: list[str], words: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("negotiate", *args)
    assert result.code == 1 and words in result.err and result.err.count("\n") == 1, result.err


def test_match_gives_the_rate_at_which_a_payer_pays_what_another_pays_per_encounter(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", ACME, "--mix", str(EXAMPLE), "--match", "Demo: Summit Health (130%)")
    summit = next(r for r in data["payers"] if r["payer"] == "Demo: Summit Health (130%)")
    acme = next(r for r in data["payers"] if r["payer"] == ACME)
    assert data["match"]["per_encounter"] == summit["per_encounter"]
    # The target is Acme's encounters at Summit's price per encounter (to the cent, half-up).
    expected = Decimal(acme["encounters"]) * Decimal(summit["per_encounter"])
    slack = Decimal("0.005") * Decimal(acme["encounters"])  # the per-encounter price shown is rounded
    assert abs(Decimal(data["target"]["target_revenue"]) - expected) <= slack
    assert data["target"]["check"]["reached"] is True


def test_negotiate_without_a_mix_uses_the_apps_starting_mix(cli) -> None:  # type: ignore[no-untyped-def]
    data = _negotiate(cli, "--payer", ACME)
    names = [r["payer"] for r in data["payers"]]
    shares = default_payer_mix(names)  # the app's Negotiate page starts from this mix of 2400 encounters
    for row in data["payers"]:
        assert Decimal(row["encounters"]) == (Decimal(2400) * shares[row["payer"]] / 100).quantize(Decimal("0.1"))
