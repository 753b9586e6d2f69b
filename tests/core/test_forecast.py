"""Revenue forecast core: the exact expected value, the seeded Monte Carlo and the price table.

Most tests use a synthetic ``PriceTable`` (random int64 cents, no pricing) so they are fast and cover
arbitrary mixes; the price-table tests use the shipped 2026 tables and the real claim rules.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.core.encounter import Encounter
from estimator.core.errors import InputError
from estimator.core.forecast import (
    DEFAULT_LESIONS,
    LESION_TIERS,
    SEASONALITY_PRESETS,
    AliasSampler,
    PastEncounter,
    PriceTable,
    Scenario,
    ScenarioError,
    VolumeModel,
    build_model,
    check_scenario,
    default_payer_mix,
    expected,
    fit_encounters,
    monthly_volumes,
    price_table,
    run_forecast,
    scenario_problems,
    simulate,
)
from estimator.core.payers import MEDICARE_PAYER, Method, Payer, Practice, allowed_lines
from estimator.core.rules import build_claim
from estimator.core.schedule import Setting, TableSet

PAYERS = ("Medicare", "Acme", "Summit")


def synthetic_table(seed: int = 0, payers: tuple[str, ...] = PAYERS) -> PriceTable:
    """Random but plausible allowed cents for every encounter type (no pricing involved)."""
    rng = np.random.default_rng(seed)
    allowed = rng.integers(500, 40_000, size=(len(payers), 2, 2, LESION_TIERS)).astype(np.int64)
    return PriceTable(payers, allowed, allowed[0].copy(), 2026, "TEST", "national", "99213",
                      dt.date(2026, 1, 1))


def scenario(**changes: object) -> Scenario:
    base: dict[str, object] = dict(
        payer_mix={"Medicare": Decimal(60), "Acme": Decimal(25), "Summit": Decimal(15)},
        lesions=DEFAULT_LESIONS, annual_volume=Decimal(1200),
        setting_mix={Setting.NONFACILITY: Decimal(90), Setting.FACILITY: Decimal(10)}, em_share=Decimal(35),
        collection_rates={"Medicare": Decimal(97), "Acme": Decimal("92.5")}, default_collection_rate=Decimal(90),
    )
    base.update(changes)
    return Scenario(**base)  # type: ignore[arg-type]


def brute_force_expected(model_scenario: Scenario, table: PriceTable) -> list[Fraction]:
    """E[allowed per month], summed type by type with independent marginals (no shared code paths)."""
    s = model_scenario
    payer_total = sum(s.payer_mix.values())
    lesion_total = sum(s.lesions.values())
    setting_total = sum(s.setting_mix.values())
    per = Fraction(0)
    for payer, share in s.payer_mix.items():
        row = table.payers.index(payer)
        for si, setting in enumerate((Setting.NONFACILITY, Setting.FACILITY)):
            p_setting = Fraction(s.setting_mix.get(setting, Decimal(0))) / Fraction(setting_total)
            for em in (0, 1):
                p_em = Fraction(s.em_share) / 100 if em else 1 - Fraction(s.em_share) / 100
                for count, weight in s.lesions.items():
                    p = (Fraction(share) / Fraction(payer_total) * p_setting * p_em
                         * Fraction(weight) / Fraction(lesion_total))
                    per += p * int(table.allowed_cents[row, si, em, min(count, LESION_TIERS) - 1])
    return [v * per for v in monthly_volumes(s)]


# --- volumes and the mix --------------------------------------------------------------------------------


def test_seasonal_volumes_add_up_to_the_annual_volume_and_follow_the_multipliers() -> None:
    assert set(monthly_volumes(scenario(annual_volume=Decimal(2400)))) == {200}  # the default is flat
    winter = SEASONALITY_PRESETS["winter"]
    volumes = monthly_volumes(scenario(annual_volume=Decimal(2400), seasonality=winter))
    assert sum(volumes) == 2400
    assert volumes[0] / volumes[6] == Fraction(winter[0]) / Fraction(winter[6])
    assert volumes[0] > volumes[6]  # January busier than July


@pytest.mark.parametrize(("start", "year", "day"), [
    (dt.date(2026, 7, 1), 2026, dt.date(2026, 7, 1)),
    (dt.date(2025, 11, 1), 2026, dt.date(2026, 1, 1)),
])
def test_contracts_are_priced_on_the_first_forecast_month_within_the_pricing_year(
        start: dt.date, year: int, day: dt.date) -> None:
    assert scenario(start=start, year=year).pricing_day == day


def test_a_horizon_starting_mid_year_uses_each_calendar_months_multiplier() -> None:
    volumes = monthly_volumes(scenario(start=dt.date(2026, 7, 1), months=12))
    assert volumes[0] == monthly_volumes(scenario())[6]
    assert sum(volumes) == 1200


def test_fixed_volumes_are_whole_encounters_that_keep_the_total() -> None:
    volumes = monthly_volumes(scenario(annual_volume=Decimal(1001), volume_model=VolumeModel.FIXED))
    assert all(v.denominator == 1 for v in volumes)
    assert sum(volumes) == 1001


def test_explicit_monthly_volumes_are_used_as_given() -> None:
    given_volumes = tuple(Decimal(v) for v in (10, 20, 30))
    s = scenario(annual_volume=None, monthly_volumes=given_volumes, months=3)
    assert monthly_volumes(s) == (Fraction(10), Fraction(20), Fraction(30))


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"payer_mix": {"Medicare": Decimal(60), "Acme": Decimal(35)}}, "payer_mix", "sum to 95%"),
    ({"setting_mix": {Setting.NONFACILITY: Decimal(50)}}, "setting_mix", "sum to 50%"),
    ({"annual_volume": Decimal(-5)}, "annual_volume", "negative"),
    ({"annual_volume": None, "monthly_volumes": (Decimal(1),) * 11 + (Decimal(-1),)}, "monthly_volumes[12]",
     "negative"),
    ({"em_share": Decimal(120)}, "em_share", "between 0 and 100"),
    ({"em_code": "17000"}, "em_code", "not an office E/M"),
    ({"lesions": {}}, "lesions", "empty"),
    ({"lesions": {3: Decimal(-1)}}, 'lesions."3"', "0 or more"),
    ({"months": 0}, "months", "out of range"),
    ({"payer_mix": {"Medicare": Decimal(120), "Acme": Decimal(-20)}}, 'payer_mix."Medicare"', "between 0 and 100"),
    ({"collection_rates": {"Acme": Decimal(101)}}, 'collection_rates."Acme"', "between 0 and 100"),
])
def test_an_invalid_scenario_names_the_field_at_fault(changes: dict[str, object], field: str, words: str) -> None:
    problems = scenario_problems(scenario(**changes))
    assert any(p.field == field and words in p.message for p in problems), problems
    with pytest.raises(ScenarioError, match=field.replace("[", r"\[").replace("]", r"\]")):
        check_scenario(scenario(**changes), "scenario.toml")


def test_a_valid_scenario_has_no_problems() -> None:
    assert scenario_problems(scenario()) == []


def test_the_default_payer_mix_adds_up_to_exactly_100() -> None:
    mix = default_payer_mix(["Medicare", "Self-pay", "A", "B", "C"])
    assert sum(mix.values()) == 100
    assert mix["Medicare"] == 50
    assert mix["Self-pay"] == 0


# --- exact expected value -------------------------------------------------------------------------------


def test_the_exact_expected_value_matches_a_type_by_type_sum() -> None:
    table = synthetic_table(1)
    s = scenario()
    exact = expected(build_model(s, table))
    assert list(exact.allowed) == brute_force_expected(s, table)


def test_reported_months_round_to_within_a_cent_and_add_up_to_the_annual_total() -> None:
    exact = expected(build_model(scenario(annual_volume=Decimal(1234)), synthetic_table(2)))
    assert sum(exact.allowed_cents) == exact.annual_allowed_cents
    assert sum(exact.collected_cents) == exact.annual_collected_cents
    for value, cents in zip(exact.allowed, exact.allowed_cents, strict=True):
        assert math.floor(value) <= cents <= math.ceil(value)
    assert exact.annual_allowed_cents == math.floor(sum(exact.allowed) + Fraction(1, 2))


def test_collected_is_allowed_times_each_payers_collection_rate() -> None:
    table = synthetic_table(3)
    s = scenario(collection_rates={}, default_collection_rate=Decimal(100))
    exact = expected(build_model(s, table))
    assert exact.collected == exact.allowed
    half = expected(build_model(scenario(collection_rates={}, default_collection_rate=Decimal(50)), table))
    assert all(c * 2 == a for c, a in zip(half.collected, half.allowed, strict=True))


# --- Monte Carlo ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_kind", list(VolumeModel))
@pytest.mark.parametrize("paths", [25, 400, 6400])
def test_the_monte_carlo_mean_converges_to_the_exact_value_within_a_bound_that_shrinks_with_paths(
        paths: int, model_kind: VolumeModel) -> None:
    model = build_model(scenario(volume_model=model_kind), synthetic_table(4))
    result = run_forecast(model, paths, seed=11)
    assert result.allowed is not None and result.collected is not None
    exact = result.expected
    # 5 standard errors of the mean: the bound sd / sqrt(paths) shrinks as paths grow.
    bound = 5 * exact.annual_allowed_sd / math.sqrt(paths)
    assert abs(result.allowed.annual_mean - float(sum(exact.allowed))) <= bound
    bound_c = 5 * exact.annual_collected_sd / math.sqrt(paths)
    assert abs(result.collected.annual_mean - float(sum(exact.collected))) <= bound_c
    for month in range(12):
        month_bound = 5 * exact.allowed_sd[month] / math.sqrt(paths)
        assert abs(result.allowed.mean[month] - float(exact.allowed[month])) <= month_bound


def test_the_simulated_spread_matches_the_exact_standard_deviation() -> None:
    model = build_model(scenario(), synthetic_table(5))
    sim = simulate(model, 4000, seed=3)
    sd = float(sim.allowed_cents.sum(axis=1).std())
    assert sd == pytest.approx(expected(model).annual_allowed_sd, rel=0.05)


def test_the_same_seed_gives_the_same_bands_and_another_seed_other_bands() -> None:
    model = build_model(scenario(), synthetic_table(6))
    first, again, other = (run_forecast(model, 300, seed) for seed in (42, 42, 43))
    assert first.allowed == again.allowed and first.collected == again.collected
    assert np.array_equal(first.simulation.allowed_cents, again.simulation.allowed_cents)  # type: ignore[union-attr]
    assert first.allowed != other.allowed


def test_results_do_not_depend_on_the_chunk_size() -> None:
    model = build_model(scenario(), synthetic_table(7))
    whole = simulate(model, 200, seed=5)
    chunked = simulate(model, 200, seed=5, chunk_encounters=500)
    assert np.array_equal(whole.allowed_cents, chunked.allowed_cents)
    assert np.allclose(whole.collected_cents, chunked.collected_cents)


def test_simulated_allowed_totals_are_whole_cents_from_the_table() -> None:
    table = synthetic_table(8, payers=("Medicare",))
    table_single = PriceTable(("Medicare",), np.full((1, 2, 2, LESION_TIERS), 1234, dtype=np.int64),
                              table.medicare_cents, 2026, "TEST", "national", "99213", dt.date(2026, 1, 1))
    model = build_model(scenario(payer_mix={"Medicare": Decimal(100)}, collection_rates={}), table_single)
    sim = simulate(model, 50, seed=1)
    assert np.array_equal(sim.allowed_cents, sim.encounters * 1234)


def test_fixed_volumes_simulate_exactly_that_many_encounters() -> None:
    model = build_model(scenario(volume_model=VolumeModel.FIXED, annual_volume=Decimal(1000)), synthetic_table(9))
    sim = simulate(model, 20, seed=2)
    assert (sim.encounters.sum(axis=1) == 1000).all()
    assert (sim.encounters == np.array([int(v) for v in model.volumes])).all()


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32),
    paths=st.integers(1, 60),
    volume=st.integers(0, 500),
    shares=st.lists(st.integers(0, 100), min_size=3, max_size=3).filter(lambda s: sum(s) > 0),
    em=st.integers(0, 100),
    facility=st.integers(0, 100),
    table_seed=st.integers(0, 1000),
)
def test_p10_p50_p90_are_ordered_month_by_month(seed: int, paths: int, volume: int, shares: list[int], em: int,
                                                facility: int, table_seed: int) -> None:
    total = sum(shares)
    # Shares as exact percentages that add up to 100 (the last takes the remainder).
    pct = [Decimal(s * 100) / Decimal(total) for s in shares[:-1]]
    pct.append(Decimal(100) - sum(pct))
    s = scenario(payer_mix=dict(zip(PAYERS, pct, strict=True)), annual_volume=Decimal(volume),
                 em_share=Decimal(em), setting_mix={Setting.NONFACILITY: Decimal(100 - facility),
                                                    Setting.FACILITY: Decimal(facility)})
    result = run_forecast(build_model(s, synthetic_table(table_seed)), paths, seed)
    for bands in (result.allowed, result.collected):
        assert bands is not None
        for low, mid, high in zip(bands.p10, bands.p50, bands.p90, strict=True):
            assert low <= mid <= high
        assert bands.annual_p10 <= bands.annual_p50 <= bands.annual_p90


def test_progress_is_reported_between_chunks_and_can_stop_the_run() -> None:
    model = build_model(scenario(), synthetic_table(10))
    seen: list[float] = []
    simulate(model, 100, seed=1, progress=seen.append, chunk_encounters=2000)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 3
    assert seen == sorted(seen)

    class Stop(Exception):
        pass

    def cancel_at_half(fraction: float) -> None:
        if fraction >= 0.5:
            raise Stop

    with pytest.raises(Stop):
        simulate(model, 100, seed=1, progress=cancel_at_half, chunk_encounters=2000)


@pytest.mark.parametrize(("paths", "seed"), [(0, 1), (1_000_001, 1), (10, -1)])
def test_out_of_range_paths_or_seed_are_refused(paths: int, seed: int) -> None:
    model = build_model(scenario(), synthetic_table(11))
    with pytest.raises(InputError):
        simulate(model, paths, seed)


def test_zero_paths_gives_the_exact_value_without_bands() -> None:
    result = run_forecast(build_model(scenario(), synthetic_table(12)), 0, 1)
    assert result.simulation is None and result.allowed is None and result.z_score() is None


def test_the_alias_sampler_draws_each_type_with_its_probability_and_never_an_impossible_one() -> None:
    probabilities = [Fraction(1, 2), Fraction(0), Fraction(1, 3), Fraction(1, 6)]
    sampler = AliasSampler.build(probabilities)
    draws = sampler.draw(np.random.Generator(np.random.PCG64(9)), 600_000)
    counts = np.bincount(draws, minlength=4) / len(draws)
    assert counts[1] == 0
    for got, p in zip(counts, probabilities, strict=True):
        assert got == pytest.approx(float(p), abs=0.003)


# --- the price table (real tables and claim rules) ------------------------------------------------------


def test_the_price_table_holds_the_fee_schedule_amounts_by_lesion_tier(tables_2026: TableSet) -> None:
    table = price_table([MEDICARE_PAYER], Practice(), tables_2026, lambda _y: tables_2026)
    nf, f = 0, 1
    # DOMAIN section 3 check values (national, 2026 non-QP): 1 lesion, 14 lesions, 15+.
    assert table.allowed_cents[0, nf, 0, 0] == 6647
    assert table.allowed_cents[0, nf, 0, 13] == 14902
    assert table.allowed_cents[0, nf, 0, 14] == 16233
    assert table.allowed_cents[0, f, 0, 13] == 6947
    assert table.allowed_cents[0, f, 0, 14] == 8283
    assert np.array_equal(table.medicare_cents, table.allowed_cents[0])


def test_every_price_table_entry_equals_the_claim_builders_allowed_amount(tables_2026: TableSet) -> None:
    practice = Practice(locality_key="0441299")
    acme = Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(115), em25_reduction=Decimal(50))
    table = price_table([MEDICARE_PAYER, acme], practice, tables_2026, lambda _y: tables_2026, em_code="99214")
    for row, payer in enumerate((MEDICARE_PAYER, acme)):
        for si, pos in enumerate(("11", "22")):
            for em in (False, True):
                for tier in (1, 2, 9, 14, 15):
                    claim = build_claim(Encounter(dt.date(2026, 1, 1), pos, "0441299", lesions=tier,
                                                  em_code="99214" if em else None, diagnoses=("L57.0",)),
                                        tables_2026)
                    lines, _ = allowed_lines(claim, payer, practice, lambda _y: tables_2026)
                    assert table.allowed_cents[row, si, int(em), tier - 1] == sum(a.allowed_cents for a in lines)


def test_a_payer_of_the_mix_missing_from_the_price_table_is_an_error() -> None:
    with pytest.raises(InputError, match="Summit"):
        build_model(scenario(), synthetic_table(0, payers=("Medicare", "Acme")))


# --- fitting past encounters ----------------------------------------------------------------------------


def _past(months: int, per_month: int = 3) -> list[PastEncounter]:
    out = []
    for m in range(months):
        day = dt.date(2025 + m // 12, m % 12 + 1, 10)
        for i in range(per_month + (2 if day.month in (1, 2) else 0)):
            out.append(PastEncounter(day, 1 + (i * 7 + m) % 20, ("Medicare", "Acme", "Summit")[i % 3],
                                     Setting.FACILITY if i % 4 == 0 else Setting.NONFACILITY, em=i % 2 == 0))
    return out


def test_fitting_counts_lesions_and_gives_shares_that_add_up_to_exactly_100() -> None:
    records = _past(6)
    fitted = fit_encounters(records)
    assert sum(fitted.lesions.values()) == len(records)
    assert sum(fitted.payer_mix.values()) == 100
    assert sum(fitted.setting_mix.values()) == 100
    assert fitted.em_share is not None and 0 < fitted.em_share < 100
    assert fitted.seasonality is None and fitted.annual_volume is None  # under a year: no seasonality


def test_a_year_of_past_encounters_gives_seasonality_and_an_annual_volume() -> None:
    records = _past(12)
    fitted = fit_encounters(records)
    assert fitted.months_spanned == 12
    assert fitted.annual_volume == len(records)
    assert fitted.seasonality is not None
    assert fitted.seasonality[0] == 5 and fitted.seasonality[5] == 3


def test_a_fitted_mix_makes_a_valid_scenario() -> None:
    fitted = fit_encounters(_past(12))
    s = scenario(payer_mix=fitted.payer_mix, lesions=fitted.lesions, setting_mix=fitted.setting_mix,
                 em_share=fitted.em_share, annual_volume=fitted.annual_volume)
    assert scenario_problems(s) == []
