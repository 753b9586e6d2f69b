"""Benchmark ``forecast_1m``: a 12-month forecast with 1,000,000 simulated encounters (issue 7: <= 300 ms,
>= 50x a per-encounter Python loop).

Run alone with ``python bench/bench_forecast.py [--runs N]`` (or ``import bench.bench_forecast`` from the
checkout's root); ``BENCHMARKS`` is the hook for ``bench/run.py``.

Set-up (not timed): the shipped 2026 tables, the demo payers (Medicare, Self-pay and the four demo
contracts) in a temporary database, locality 0441299, and a scenario of 2,500 encounters a year with
winter seasonality, Poisson monthly counts, 35% with an E/M, 8% facility, the default lesion histogram;
400 paths x 2,500 = 1,000,000 expected encounters.  Every encounter type (6 payers x 2 settings x 2 x 15
lesion tiers) is priced once with the real claim builder and contracts; that one-off step is timed and
reported separately (``pricing_seconds``, ``end_to_end_seconds``).

``seconds``: median of the timed runs of ``run_forecast`` (exact expected value + 1e6-encounter simulation
+ P10/P50/P90 bands).  ``baseline_seconds``: the same simulation written as a straightforward Python loop
(per month a Poisson count, per encounter ``random.choices`` for payer, setting, E/M and lesion count, a
dict lookup of the same price table, running sums), timed on about 20,000 encounters and scaled linearly
to the encounters simulated.  ``floor_seconds``: numpy drawing 1e6 uniform numbers (every categorical draw
needs at least one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from estimator.core.forecast import (
    DEFAULT_LESIONS,
    LESION_TIERS,
    SEASONALITY_PRESETS,
    ForecastModel,
    Scenario,
    build_model,
    price_table,
    run_forecast,
    type_encounter,
)
from estimator.core.payers import Practice, allowed_lines
from estimator.core.rules import build_claim
from estimator.core.schedule import Setting
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog

try:
    from bench.run import MIN_RUNS, REPO_ROOT, Result, median_seconds, record
except ModuleNotFoundError:  # run alone as ``python bench/bench_forecast.py``: bench/ is on sys.path, not the root
    from run import MIN_RUNS, REPO_ROOT, Result, median_seconds, record

ANNUAL_VOLUME = 2500
PATHS = 400  # 400 x 2,500 = 1,000,000 expected encounters
SEED = 2026
BASELINE_ENCOUNTERS = 20_000
LOCALITY = "0441299"
PAYER_MIX = {"Medicare": Decimal(55), "Demo: Acme PPO (115%)": Decimal(20), "Demo: Summit Health (130%)": Decimal(12),
             "Demo: Fixed Fee Plan": Decimal(6), "Demo: Own-CF Plan ($38.00)": Decimal(4), "Self-pay": Decimal(3)}


def _setup() -> tuple[Callable[[], ForecastModel], Scenario, Practice, TableCatalog, list[Any]]:
    catalog = TableCatalog([(REPO_ROOT / "estimator" / "rvu_tables", "shipped")])
    tables = catalog.for_year(2026)
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.sqlite")
        load_demo(store, tables)
        practice = Practice(locality_key=LOCALITY, charges=store.practice().charges)
        payers = [store.payer(name) for name in PAYER_MIX]
        store.close()
    scenario = Scenario(
        payer_mix=PAYER_MIX, lesions=DEFAULT_LESIONS, annual_volume=Decimal(ANNUAL_VOLUME), year=2026,
        start=dt.date(2026, 1, 1), seasonality=SEASONALITY_PRESETS["winter"],
        setting_mix={Setting.NONFACILITY: Decimal(92), Setting.FACILITY: Decimal(8)}, em_share=Decimal(35),
        collection_rates={"Medicare": Decimal(97), "Self-pay": Decimal(80)}, default_collection_rate=Decimal(95),
        locality_key=LOCALITY, name="bench",
    )

    def model() -> ForecastModel:
        table = price_table(payers, practice, tables, catalog.for_year, locality_key=LOCALITY,
                            em_code=scenario.em_code)
        return build_model(scenario, table)

    return model, scenario, practice, catalog, payers


def baseline_loop(model: ForecastModel, paths: int, seed: int) -> tuple[list[list[int]], list[list[float]], int]:
    """The simulation the obvious way: one Python iteration per encounter, same model, same price table."""
    s = model.scenario
    rnd = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    payers = list(range(len(model.mix.payers)))
    payer_w = [float(p) for p in model.mix.payer_p]
    settings = [0, 1]
    setting_w = [float(p) for p in model.mix.setting_p]
    ems = [0, 1]
    em_w = [1 - float(model.mix.em_p), float(model.mix.em_p)]
    lesion_counts = list(s.lesions)
    lesion_w = [float(w) for w in s.lesions.values()]
    price = {(p, st, e, t): int(model.table.allowed_cents[model.table.index(model.mix.payers[p]), st, e, t])
             for p in payers for st in settings for e in ems for t in range(LESION_TIERS)}
    rate = [float(r) for r in model.rates]
    volumes = [float(v) for v in model.volumes]
    allowed = [[0] * len(volumes) for _ in range(paths)]
    collected = [[0.0] * len(volumes) for _ in range(paths)]
    encounters = 0
    for path in range(paths):
        for month, volume in enumerate(volumes):
            for _ in range(int(np_rng.poisson(volume))):
                p = rnd.choices(payers, payer_w)[0]
                st = rnd.choices(settings, setting_w)[0]
                e = rnd.choices(ems, em_w)[0]
                n = rnd.choices(lesion_counts, lesion_w)[0]
                amount = price[(p, st, e, min(n, LESION_TIERS) - 1)]
                allowed[path][month] += amount
                collected[path][month] += amount * rate[p]
                encounters += 1
    return allowed, collected, encounters


def numpy_peer(model: ForecastModel, paths: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The same forecast as a competent numpy user writes it: float probabilities, one categorical draw.

    Poisson counts per path and month, one ``Generator.choice`` over every (payer, setting, E/M, lesion
    tier) type for all encounters, ``bincount`` into path-months, percentiles over paths.  Returns the
    P10/P50/P90 of monthly allowed cents and the float expected value per month.
    """
    s = model.scenario
    rng = np.random.default_rng(seed)
    payer_p = np.array([float(p) for p in model.mix.payer_p])
    setting_p = np.array([float(p) for p in model.mix.setting_p])
    em_p = np.array([1 - float(model.mix.em_p), float(model.mix.em_p)])
    tier_p = np.zeros(LESION_TIERS)
    weights = np.array([float(w) for w in s.lesions.values()])
    np.add.at(tier_p, np.minimum(np.array(list(s.lesions)), LESION_TIERS) - 1, weights / weights.sum())
    probs = (payer_p[:, None, None, None] * setting_p[None, :, None, None] * em_p[None, None, :, None]
             * tier_p[None, None, None, :]).ravel()
    prices = np.stack([model.table.allowed_cents[model.table.index(name)] for name in model.mix.payers])
    prices = prices.reshape(-1).astype(np.float64)
    volumes = np.array([float(v) for v in model.volumes])
    counts = rng.poisson(volumes, size=(paths, len(volumes)))
    types = rng.choice(len(probs), size=int(counts.sum()), p=probs / probs.sum())
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    allowed = np.bincount(cell, weights=prices[types], minlength=counts.size).reshape(counts.shape)
    expected = volumes * float(probs @ prices)
    return np.percentile(allowed, [10, 50, 90], axis=0), expected


def forecast_1m(runs: int = 7) -> dict[str, Any]:
    """Time the vectorized forecast against the per-encounter loop (see the module docstring)."""
    make_model, _scenario, practice, catalog, payers = _setup()
    pricing = median_seconds(make_model, runs)
    model = make_model()
    result = run_forecast(model, PATHS, SEED)
    assert result.simulation is not None
    simulated = result.simulation.total_encounters
    seconds = median_seconds(lambda: run_forecast(model, PATHS, SEED), runs)
    z = result.z_score()

    baseline_paths = max(1, round(BASELINE_ENCOUNTERS / float(model.total_volume)))
    looped = baseline_loop(model, baseline_paths, SEED)[2]
    loop_seconds = median_seconds(lambda: baseline_loop(model, baseline_paths, SEED), MIN_RUNS, warmup=0)
    baseline = loop_seconds * simulated / looped

    rng = np.random.Generator(np.random.PCG64(SEED))
    floor = median_seconds(lambda: rng.random(1_000_000), runs)
    peer = median_seconds(lambda: numpy_peer(model, PATHS, SEED), runs)
    peer_bands, peer_expected = numpy_peer(model, PATHS, SEED)

    # Why the price table exists: pricing each encounter with the claim builder instead of looking it up.
    tables = catalog.for_year(2026)
    sample = 200
    start = time.perf_counter()
    for i in range(sample):
        claim = build_claim(type_encounter(Setting.NONFACILITY, i % 2 == 1, i % LESION_TIERS + 1,
                                           day=dt.date(2026, 1, 1), locality_key=LOCALITY, practice=practice,
                                           em_code="99213"), tables)
        allowed_lines(claim, payers[i % len(payers)], practice, catalog.for_year)
    naive_pricing = (time.perf_counter() - start) / sample * simulated

    return record("forecast_1m", Result(seconds, baseline, floor, {
        "peer_numpy_seconds": float(f"{peer:.6g}"),
        "vs_peer_numpy": round(peer / seconds, 2),
        "peer_numpy_p50_year_cents": round(float(peer_bands[1].sum())),
        "peer_numpy_expected_year_cents": round(float(peer_expected.sum())),
        "paths": PATHS,
        "months": len(model.months),
        "simulated_encounters": simulated,
        "encounter_types": len(model.probabilities),
        "z_score_vs_exact": None if z is None else round(z, 2),
        "pricing_seconds": float(f"{pricing:.6g}"),
        "end_to_end_seconds": float(f"{pricing + seconds:.6g}"),
        "end_to_end_speedup": round((pricing + baseline) / (pricing + seconds), 1),
        "naive_pricing_seconds_estimate": float(f"{naive_pricing:.6g}"),
        "note": (f"seconds: median of run_forecast (exact expected value + simulation of {simulated:,} encounters "
                 f"in {PATHS} paths x 12 months + P10/P50/P90 bands), price table already built. "
                 f"baseline: per-encounter Python loop (random.choices for payer, setting, E/M, lesion count; "
                 f"dict lookup of the same price table) timed on {looped:,} encounters ({baseline_paths} paths, "
                 f"median of {MIN_RUNS} runs) "
                 f"and scaled linearly to {simulated:,}. floor: numpy drawing 1e6 uniforms. pricing_seconds: "
                 f"building the price table once with the real claim builder ({len(model.probabilities)} "
                 "types); end_to_end = pricing + forecast (and pricing + loop for its speedup). "
                 "naive_pricing_seconds_estimate: pricing every encounter with build_claim + allowed_lines "
                 f"instead (timed on {sample}, scaled). peer_numpy: the same simulation in plain numpy floats "
                 "(Poisson counts, one categorical draw for all encounters, bincount, percentiles; no exact "
                 "expected value or rounding rules), vs_peer_numpy = its time / ours."),
    }), runs)


BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {"forecast_1m": forecast_1m}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help=f"timed runs (at least {MIN_RUNS})")
    args = parser.parse_args(argv)
    print(json.dumps(forecast_1m(args.runs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
