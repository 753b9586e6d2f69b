"""Scenario TOML files and past-encounters CSV: validation that names the field, fitting, atomic writing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator.core.errors import InputError
from estimator.core.forecast import SEASONALITY_PRESETS, Scenario, ScenarioError, VolumeModel, scenario_problems
from estimator.core.schedule import Setting
from estimator.store import scenarios as sc
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "forecast_scenario.toml"
PAST = REPO / "examples" / "past_encounters.csv"

MINIMAL = """
annual_volume = 1200
[lesions]
1 = 3
2 = 2
"15+" = 1
[payer_mix]
Medicare = 100
"""


@pytest.fixture(scope="module")
def catalog() -> TableCatalog:
    return TableCatalog([(REPO / "estimator" / "rvu_tables", "shipped")])


@pytest.fixture
def env(tmp_path: Path, catalog: TableCatalog) -> sc.Environment:
    store = SqliteStore(tmp_path / "db.sqlite")
    load_demo(store, catalog.for_year(2026))
    environment = sc.Environment.of(store, catalog)
    store.close()
    return environment


def parse(text: str, env: sc.Environment) -> Scenario:
    return sc.parse_scenario(text, env, source="s.toml")


def test_the_shipped_example_scenario_is_valid(env: sc.Environment) -> None:
    s = sc.load_scenario(EXAMPLE, env)
    assert s.annual_volume == 2400 and s.months == 12 and s.locality_key == "0441299"
    assert sum(s.payer_mix.values()) == 100
    assert s.setting_mix == {Setting.NONFACILITY: Decimal(92), Setting.FACILITY: Decimal(8)}
    assert s.em_share == 35 and s.em_code == "99213"
    assert s.collection_rate("Medicare") == 97 and s.collection_rate("Demo: Fixed Fee Plan") == 95
    assert s.lesions[15] == 7


def test_a_minimal_scenario_takes_the_documented_defaults(env: sc.Environment) -> None:
    s = parse(MINIMAL, env)
    assert s.year == 2026 and s.start == dt.date(2026, 1, 1) and s.months == 12
    assert s.seasonality == SEASONALITY_PRESETS["flat"] and s.volume_model is VolumeModel.POISSON
    assert s.setting_mix == {Setting.NONFACILITY: Decimal(100)}  # the practice's POS 11
    assert s.em_share == 0 and s.em_code == "99213" and s.default_collection_rate == 100
    assert s.locality_key == "national"


@pytest.mark.parametrize(("text", "words"), [
    (MINIMAL.replace("Medicare = 100", 'Medicare = 80\n"Acme" = 20'), 'payer_mix."Acme": no payer named'),
    (MINIMAL.replace("Medicare = 100", "Medicare = 95"), "payer_mix: shares sum to 95%"),
    (MINIMAL.replace("annual_volume = 1200", "annual_volume = -3"), "annual_volume: -3 is negative"),
    (MINIMAL + "[setting_mix]\nnonfacility = 70\n\"22\" = 20\n", "setting_mix: shares sum to 90%"),
    (MINIMAL + "[setting_mix]\nmoon = 100\n", 'setting_mix."moon"'),
    (MINIMAL + "[collection_rates]\nNobody = 90\n", 'collection_rates."Nobody": no payer named'),
    ("anual_volume = 5\n" + MINIMAL, "anual_volume: unknown field"),
    ("year = 1999\n" + MINIMAL, "year: no fee-schedule tables for 1999"),
    ('locality = "9999999"\n' + MINIMAL, "locality: unknown locality"),
    ('start = "January"\n' + MINIMAL, "start:"),
    ('em_code = "17000"\n' + MINIMAL, "em_code:"),
    ('seasonality = "summer"\n' + MINIMAL, "seasonality: unknown preset"),
    ("seasonality = [1, 2, 3]\n" + MINIMAL, "seasonality: needs 12 multipliers"),
    ('volume_model = "gaussian"\n' + MINIMAL, "volume_model:"),
    ("monthly_volumes = [1, 2]\n" + MINIMAL, "annual_volume: give either"),
    (MINIMAL.replace("[lesions]\n1 = 3", "[lesions]\n0 = 3"), 'lesions."0"'),
    (MINIMAL.replace('"15+" = 1', '"3+" = 1'), 'lesions."3+"'),
    ("em_share = true\n" + MINIMAL, "em_share: must be a number"),
    ("annual_volume = 10\n", "lesions: missing"),
    ("annual_volume = 10\n", "payer_mix: missing"),
    (MINIMAL.replace("annual_volume = 1200", ""), "annual_volume: missing"),
])
def test_a_bad_scenario_fails_with_a_message_naming_the_field(env: sc.Environment, text: str, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse(text, env)
    message = str(caught.value)
    assert words in message
    assert message.startswith("s.toml: ")
    assert "\n" not in message


def test_every_problem_is_reported_at_once(env: sc.Environment) -> None:
    text = MINIMAL.replace("annual_volume = 1200", "annual_volume = -1").replace("Medicare = 100", "Medicare = 50")
    with pytest.raises(ScenarioError) as caught:
        parse(text, env)
    fields = {p.field for p in caught.value.problems}
    assert {"annual_volume", "payer_mix"} <= fields


def test_invalid_toml_is_reported_with_its_line_and_column(env: sc.Environment) -> None:
    with pytest.raises(ScenarioError, match=r"not valid TOML: .*line 3, column \d+"):
        parse("annual_volume = 1\n[lesions]\n1 = \n", env)


def test_payer_names_match_the_database_case_insensitively(env: sc.Environment) -> None:
    s = parse(MINIMAL.replace("Medicare = 100", '"medicare" = 50\n"demo: acme ppo (115%)" = 50'), env)
    assert list(s.payer_mix) == ["Medicare", "Demo: Acme PPO (115%)"]


def test_pos_codes_in_the_setting_mix_are_mapped_to_their_rate_setting(env: sc.Environment) -> None:
    s = parse(MINIMAL + '[setting_mix]\n"11" = 60\n"22" = 30\n"21" = 10\n', env)
    assert s.setting_mix == {Setting.NONFACILITY: Decimal(60), Setting.FACILITY: Decimal(40)}


def test_explicit_monthly_volumes_replace_the_annual_volume(env: sc.Environment) -> None:
    s = parse("months = 3\nmonthly_volumes = [10, 20.5, 30]\n" + MINIMAL.replace("annual_volume = 1200", ""), env)
    assert s.annual_volume is None and s.monthly_volumes == (Decimal(10), Decimal("20.5"), Decimal(30))


# --- past encounters ------------------------------------------------------------------------------------


def test_fit_from_fills_whatever_the_scenario_does_not_give(tmp_path: Path, env: sc.Environment) -> None:
    (tmp_path / "past.csv").write_text(PAST.read_text())
    s = sc.parse_scenario('fit_from = "past.csv"\nem_share = 40\n', env, base_dir=tmp_path)
    assert sum(s.payer_mix.values()) == 100 and "Medicare" in s.payer_mix
    assert s.em_share == 40  # the file's own value wins over the fitted one
    assert s.annual_volume is not None and s.annual_volume > 0  # the example spans a whole year
    assert s.seasonality != SEASONALITY_PRESETS["winter"]  # fitted, not the preset
    assert max(s.lesions) > 15
    assert s.setting_mix[Setting.FACILITY] > 0


def test_a_past_encounters_file_spanning_under_a_year_needs_a_volume(tmp_path: Path, env: sc.Environment) -> None:
    (tmp_path / "past.csv").write_text("date,lesions,payer,pos\n2026-01-05,3,Medicare,11\n2026-02-05,4,Medicare,22\n")
    with pytest.raises(ScenarioError, match="annual_volume: not given, and fit_from spans only 2 month"):
        sc.parse_scenario('fit_from = "past.csv"\n', env, base_dir=tmp_path)
    s = sc.parse_scenario('fit_from = "past.csv"\nannual_volume = 100\n', env, base_dir=tmp_path)
    assert s.setting_mix == {Setting.NONFACILITY: Decimal(50), Setting.FACILITY: Decimal(50)}


@pytest.mark.parametrize(("row", "words"), [
    ("2026-13-01,3,Medicare,11", "line 3, column date"),
    ("2026-01-01,zero,Medicare,11", "line 3, column lesions"),
    ("2026-01-01,3,Acme,11", "line 3, column payer: no payer named 'Acme'"),
    ("2026-01-01,3,Medicare,XX", "line 3, column pos"),
])
def test_a_bad_past_encounter_row_is_named_by_line_and_column(tmp_path: Path, env: sc.Environment, row: str,
                                                              words: str) -> None:
    path = tmp_path / "past.csv"
    path.write_text("# synthetic\ndate,lesions,payer,pos\n" + row + "\n")
    tables = env.tables_for(2026)
    with pytest.raises(InputError, match=words):
        sc.read_past_encounters(path, tables.places, env.payer)


def test_a_past_encounters_file_without_the_needed_columns_is_refused(tmp_path: Path, env: sc.Environment) -> None:
    path = tmp_path / "past.csv"
    path.write_text("when,how many\n2026-01-01,3\n")
    with pytest.raises(InputError, match="missing column"):
        sc.read_past_encounters(path, env.tables_for(2026).places, env.payer)


def test_a_csv_mix_is_fitted_into_a_scenario(env: sc.Environment) -> None:
    s = sc.load_mix(PAST, env)
    assert s.name == "fitted from past encounters"
    assert sum(s.payer_mix.values()) == 100
    assert s.em_share > 0


def test_the_default_negotiation_mix_is_all_one_payer(env: sc.Environment) -> None:
    s = sc.default_mix("Medicare", env)
    assert s.payer_mix == {"Medicare": Decimal(100)} and s.annual_volume == 1000


def test_the_illustrative_practice_mix_starts_in_january_of_the_newest_tables_at_the_practices_setting(
        env: sc.Environment) -> None:
    mix = {"Medicare": Decimal(60), "Self-pay": Decimal(40)}
    s = sc.illustrative_mix(mix, env, seasonality="winter", name="")
    assert (s.payer_mix, s.annual_volume, s.year, s.start) == (mix, 2400, env.years[-1], dt.date(env.years[-1], 1, 1))
    assert s.seasonality == SEASONALITY_PRESETS["winter"] and s.name == "" and s.em_share == 30
    assert s.setting_mix == {Setting.NONFACILITY: Decimal(100)}  # the practice's POS 11
    assert s.locality_key == env.practice.locality_key and scenario_problems(s) == []


# --- writing ----------------------------------------------------------------------------------------------


def test_the_example_round_trips_through_toml(tmp_path: Path, env: sc.Environment) -> None:
    original = sc.load_scenario(EXAMPLE, env)
    sc.save_scenario(tmp_path / "copy.toml", original)
    assert sc.load_scenario(tmp_path / "copy.toml", env) == original


_names = st.sampled_from(["Medicare", "Self-pay", "Demo: Acme PPO (115%)", "Demo: Own-CF Plan ($38.00)"])
_pct = st.decimals(min_value=0, max_value=100, places=2)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    volume=st.decimals(min_value=0, max_value=10**6, places=2),
    lesions=st.dictionaries(st.integers(1, 40), st.decimals(min_value=0, max_value=1000, places=3), min_size=1),
    em=_pct, rates=st.dictionaries(_names, _pct, max_size=3),
    seasonality=st.lists(st.decimals(min_value="0.01", max_value=5, places=4), min_size=12, max_size=12),
    name=st.text(max_size=30).filter(lambda t: t.strip() == t),
)
def test_any_valid_scenario_round_trips_through_toml(env: sc.Environment, volume: Decimal,
                                                     lesions: dict[int, Decimal], em: Decimal,
                                                     rates: dict[str, Decimal], seasonality: list[Decimal],
                                                     name: str) -> None:
    s = Scenario(payer_mix={"Medicare": Decimal("33.33"), "Demo: Acme PPO (115%)": Decimal("66.67")},
                 lesions=lesions, annual_volume=volume, em_share=em, collection_rates=rates,
                 seasonality=tuple(seasonality), name=name, locality_key="national")
    if sum(lesions.values()) == 0:
        return
    assert parse(sc.scenario_to_toml(s), env) == s


def test_outputs_are_written_whole_and_to_an_existing_folder_only(tmp_path: Path) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_text("old\n")
    sc.write_output(target, "new")
    assert target.read_text() == "new\n"
    assert [p.name for p in folder.iterdir()] == ["out.csv"]  # no temp file left behind
    with pytest.raises(InputError, match="does not exist"):
        sc.write_output(folder / "missing" / "out.csv", "x")
