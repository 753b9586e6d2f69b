"""Benchmarks: ``python bench/run.py [--only NAME] [--runs N] [--list]`` (also ``./run bench``).

Prints one JSON object per line::

    {"name", "seconds", "baseline_seconds", "speedup", "floor_seconds", "machine", ...}

``seconds`` is the median of at least five timed runs after one warm-up run.  ``baseline_seconds`` is a
straightforward alternative doing the same work (``speedup`` = baseline / seconds); ``floor_seconds`` is a
lower bound no implementation can beat (e.g. merely filling the output array).  Either may be ``null``.

Add a benchmark by writing a function that takes ``Options`` and returns a ``Result``, decorated with
``@benchmark("name")``.  Each result with a target in ``TARGETS`` carries a ``verdict`` (met or not, what
was measured, what stands in the way), and a summary of all of them ends the run on stderr; nothing asserts
them.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from estimator.core.pricing import PriceGrid, price_all_localities
from estimator.core.schedule import CFVariant, Setting, TableSet
from estimator.tables.cache import load_cached
from estimator.tables.shipped import LOCALITY_FILE, POS_FILE, RVU_FILE, load_table_set

REPO_ROOT = Path(__file__).resolve().parents[1]
TABLES_2026 = REPO_ROOT / "estimator" / "rvu_tables" / "2026"
MIN_RUNS = 5


@dataclass(frozen=True)
class Options:
    runs: int = 7


@dataclass
class Result:
    seconds: float
    baseline_seconds: float | None = None
    floor_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Benchmark = Callable[[Options], Result]
REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark function under ``name`` (run in registration order)."""
    def register(fn: Benchmark) -> Benchmark:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def median_seconds(work: Callable[[], object], runs: int, *, warmup: int = 1, min_runs: int = MIN_RUNS) -> float:
    """Median wall time of ``runs`` (at least ``min_runs``) calls of ``work`` after ``warmup`` untimed calls."""
    return interleaved_medians([work], runs, warmup=warmup, min_runs=min_runs)[0]


def print_profile(work: Callable[[], object], top: int = 30) -> None:
    """A cProfile of one call of ``work`` after an untimed warm-up call (caches, tables, OS file cache)."""
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    work()
    profile = cProfile.Profile()
    profile.enable()
    work()
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(top)


def median_seconds_side_by_side(work: Callable[[], object], floor: Callable[[], object], runs: int
                                ) -> tuple[float, float]:
    """Medians of ``work`` and ``floor`` timed in alternation, so both see the same machine (caches, clock, load).

    The ratio of two medians taken minutes apart drifts with whatever else the machine is doing; taking
    them run by run, side by side, keeps the ratio honest.
    """
    work_seconds, floor_seconds = interleaved_medians([work, floor], runs)
    return work_seconds, floor_seconds


def interleaved_medians(fns: list[Callable[[], object]], runs: int, *, warmup: int = 1,
                        min_runs: int = MIN_RUNS) -> list[float]:
    """Median wall time of each of ``fns``, timed in turn within each run, after ``warmup`` untimed rounds."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(max(runs, min_runs)):
        for fn, fn_times in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            fn_times.append(time.perf_counter() - start)
    return [statistics.median(fn_times) for fn_times in times]


def machine() -> dict[str, Any]:
    """What the numbers were measured on: processor, OS, CPU count, Python and numpy versions."""
    uname = platform.uname()
    return {
        "processor": platform.processor() or uname.machine,
        "uname": f"{uname.system} {uname.release} {uname.machine}",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


# --- fee_schedule_pricing ---------------------------------------------------------------------------------

BASELINE_SAMPLE = 20_000
#: A few milliseconds each: more runs cost nothing and steady the median on a shared machine.
FEE_SCHEDULE_RUNS = 41


def _decimal_cells(tables: TableSet, rows: np.ndarray, settings: list[Setting], sample: int
                   ) -> tuple[list[tuple[int, int, int]], Callable[[], list[tuple[int, int, int]]],
                              Callable[[], list[Decimal]]]:
    """The per-cell Decimal baseline over the first ``sample`` cells (row-major order) of the grid.

    Returns the cells and a function computing (par, non-par, limiting) cents for each of them the obvious
    way: Decimal RVUs x Decimal GPCIs, summed, times the Decimal CF, quantized half-up, one cell at a time.
    """
    sch, loc, policy = tables.schedule, tables.localities, tables.policy

    def dec(values: np.ndarray, places: int) -> list[Decimal]:
        return [Decimal(int(v)).scaleb(-places) for v in values.tolist()]

    work, mp = dec(sch.work, 2), dec(sch.mp, 2)
    pe = {s: dec(sch.pe(s), 2) for s in settings}
    g_work, g_pe, g_mp = dec(loc.work, 3), dec(loc.pe, 3), dec(loc.mp, 3)
    cf = policy.conversion_factor(CFVariant.NONQP)
    nonpar_rate = policy.nonpar_rate
    limiting_rate = policy.nonpar_rate * policy.limiting_charge_rate
    cent = Decimal("0.01")
    n_loc = len(loc)
    cells = []
    for flat in range(sample):
        r_i, rest = divmod(flat, n_loc * len(settings))
        l_i, s_i = divmod(rest, len(settings))
        cells.append((int(rows[r_i]), l_i, s_i))

    def compute_par() -> list[Decimal]:
        out = []
        for row, l_i, s_i in cells:
            amount = (work[row] * g_work[l_i] + pe[settings[s_i]][row] * g_pe[l_i] + mp[row] * g_mp[l_i]) * cf
            out.append(amount.quantize(cent, rounding=ROUND_HALF_UP))
        return out

    def compute() -> list[tuple[int, int, int]]:
        return [(int(par * 100), int((par * nonpar_rate).quantize(cent, rounding=ROUND_HALF_UP) * 100),
                 int((par * limiting_rate).quantize(cent, rounding=ROUND_HALF_UP) * 100)) for par in compute_par()]

    return cells, compute, compute_par


@benchmark("fee_schedule_pricing")
def fee_schedule_pricing(options: Options) -> Result:
    """Every payable row (status A/R/T) x 109 localities x both settings, par + non-par + limiting charge."""
    tables = load_table_set(TABLES_2026)
    rows = np.flatnonzero(tables.schedule.payable())
    settings = list(Setting)
    shape = (len(rows), len(tables.localities), len(settings))
    cells = int(np.prod(shape))

    def price() -> PriceGrid:
        return price_all_localities(tables, rows, settings, CFVariant.NONQP)

    def fill() -> None:
        out = np.empty(shape, dtype=np.int64)
        out.fill(1)

    grid = price()
    runs = max(options.runs, FEE_SCHEDULE_RUNS)
    seconds, floor = median_seconds_side_by_side(price, fill, runs)
    back_to_back = median_seconds(fill, runs)

    sample = min(BASELINE_SAMPLE, cells)
    sampled, compute, compute_par = _decimal_cells(tables, rows, settings, sample)
    expected = compute()
    rows_index = {int(r): i for i, r in enumerate(rows.tolist())}
    nonpar_grid, limiting_grid = grid.nonpar_cents, grid.limiting_charge_cents
    derived = median_seconds(lambda: (grid.nonpar_cents, grid.limiting_charge_cents), options.runs)
    for (row, l_i, s_i), (par, nonpar, limiting) in zip(sampled, expected, strict=True):
        r_i = rows_index[row]
        got = (int(grid.cents[r_i, l_i, s_i]), int(nonpar_grid[r_i, l_i, s_i]), int(limiting_grid[r_i, l_i, s_i]))
        if got != (par, nonpar, limiting):
            raise AssertionError(f"vectorized and Decimal results differ at row {row}, locality {l_i}: "
                                 f"{got} != {(par, nonpar, limiting)}")
    baseline = median_seconds(compute_par, options.runs, warmup=0) * cells / sample
    peers = _pricing_peers(tables, rows, settings, grid, options.runs)
    return Result(seconds, baseline, floor, {
        "peers": peers,
        "shape": list(shape),
        "cells": cells,
        "runs": runs,
        "floor_back_to_back_seconds": float(f"{back_to_back:.6g}"),
        "vs_floor_back_to_back": round(seconds / back_to_back, 1),
        "derived_nonpar_and_limiting_seconds": float(f"{derived:.6g}"),
        "note": f"timed: the par fee-schedule amount of every cell (non-par and limiting charge are derived on "
                f"demand from it; their time is given separately). baseline: a per-cell Python Decimal loop "
                f"computing the par amount, timed on the first {sample} cells and scaled linearly to all "
                f"{cells}; par, non-par and limiting checked equal to Decimal on that sample. floor: numpy "
                "filling a fresh int64 array of the grid's shape, timed in alternation with the pricing (run by "
                "run, so both start from the same cache state). floor_back_to_back: the same fill repeated in a "
                "tight loop, where each fill finds the previous fill's pages still in cache - a best case that "
                "any other work in between (even a 5 ms sleep) takes away.",
    })


def _pricing_peers(tables: TableSet, rows: np.ndarray, settings: list[Setting], grid: PriceGrid, runs: int
                   ) -> dict[str, Any]:
    """The same grid as a competent user would write it with plain numpy (float64) and with pandas.

    Each is timed (median, same runs) and compared with the exact grid: how many payable cells differ.
    """
    sch, loc = tables.schedule, tables.localities
    gpcis = loc.gpcis(floor=True) / 1000.0
    cf = float(tables.policy.conversion_factor(CFVariant.NONQP))
    work, mp = sch.work[rows] / 100.0, sch.mp[rows] / 100.0
    pes = [sch.pe(s)[rows] / 100.0 for s in settings]
    priced = np.broadcast_to(grid.priced[:, None, :], grid.cents.shape)
    g_work, g_pe, g_mp = (gpcis[None, :, i] for i in range(3))

    def numpy_float() -> np.ndarray:
        out = np.empty(grid.cents.shape, dtype=np.float64)
        for s_i, pe in enumerate(pes):
            total = work[:, None] * g_work + pe[:, None] * g_pe + mp[:, None] * g_mp
            out[:, :, s_i] = np.round(total * cf, 2)
        return out

    def differing(values: np.ndarray) -> int:
        return int((np.round(values * 100).astype(np.int64) != grid.cents)[priced].sum())

    result: dict[str, Any] = {}
    numpy_seconds = median_seconds(numpy_float, runs)
    result["numpy_float64"] = {"seconds": float(f"{numpy_seconds:.6g}"), "cells_off_by_a_cent_or_more":
                               differing(numpy_float()), "note": "(work*gw + pe*gp + mp*gm) * cf in float64, "
                               "np.round to cents, one broadcast per setting"}
    try:
        import pandas as pd  # noqa: PLC0415 - optional: the 'bench' extra
    except ModuleNotFoundError:
        result["pandas"] = {"seconds": None, "note": "pandas not installed (pip install -e '.[bench]')"}
        return result
    rvu = pd.DataFrame({"row": np.arange(len(rows)), "work": work, "mp": mp,
                        **{f"pe_{s.value}": pe for s, pe in zip(settings, pes, strict=True)}})
    gp = pd.DataFrame({"loc": np.arange(len(loc)), "gw": gpcis[:, 0], "gp": gpcis[:, 1], "gm": gpcis[:, 2]})

    def pandas_cross() -> pd.DataFrame:
        cells = rvu.merge(gp, how="cross")
        for s in settings:
            cells[s.value] = ((cells["work"] * cells["gw"] + cells[f"pe_{s.value}"] * cells["gp"]
                               + cells["mp"] * cells["gm"]) * cf).round(2)
        return cells

    pandas_seconds = median_seconds(pandas_cross, runs)
    frame = pandas_cross()
    values = np.stack([frame[s.value].to_numpy().reshape(len(rows), len(loc)) for s in settings], axis=2)
    result["pandas"] = {"seconds": float(f"{pandas_seconds:.6g}"), "version": pd.__version__,
                        "cells_off_by_a_cent_or_more": differing(values),
                        "note": "cross merge of the RVU rows with the localities, one vectorized column per setting, "
                                ".round(2)"}
    return result


# --- tables_load ------------------------------------------------------------------------------------------

@benchmark("tables_load")
def tables_load(options: Options) -> Result:
    """``load_table_set(rvu_tables/2026)`` from disk, checksums verified, a fresh load each run."""
    seconds = median_seconds(lambda: load_table_set(TABLES_2026), options.runs)

    def read_and_hash() -> None:
        for name in (RVU_FILE, LOCALITY_FILE, POS_FILE):
            hashlib.sha256((TABLES_2026 / name).read_bytes()).hexdigest()

    floor = median_seconds(read_and_hash, options.runs)
    with tempfile.TemporaryDirectory() as cache:
        load_cached(TABLES_2026, load_table_set, Path(cache))
        cached = median_seconds(lambda: load_cached(TABLES_2026, load_table_set, Path(cache)), options.runs)
    return Result(seconds, None, floor, {
        "cached_seconds": float(f"{cached:.6g}"),
        "note": "timed: parsing the CSV tables. cached_seconds: the same tables from the binary cache the app and "
                "CLI use (estimator.tables.cache: hashing every table file and the cache, then reading the "
                "arrays). floor: reading and sha256-hashing the three files load_table_set verifies (no parsing)",
    })


# --- cli_price --------------------------------------------------------------------------------------------

#: Process start-ups are noisy on a shared machine: many short rounds, medians of each.
CLI_RUNS = 21


def compile_sources() -> None:
    """Byte-compile the package, as installing it does: start-up benches must not time the compiler.

    (This machine sets PYTHONDONTWRITEBYTECODE, so without it every process would recompile every module.)
    """
    compileall.compile_dir(REPO_ROOT / "estimator", quiet=1)


@benchmark("cli_price")
def cli_price(options: Options) -> Result:
    """``estimator price 17000`` as a new process, against ``python -c "import numpy"`` in the same rounds."""
    compile_sources()
    script = Path(sys.executable).with_name("estimator")
    command = [str(script)] if script.is_file() else [sys.executable, "-c",
                                                       "import sys; from estimator.cli import main; sys.exit(main())"]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ESTIMATOR_DATA_DIR": f"{home}/data", "ESTIMATOR_CACHE_DIR": f"{home}/cache"}
        uncached_env = {**env, "ESTIMATOR_CACHE_DIR": f"{home}/no-cache/x"}
        Path(f"{home}/no-cache").write_text("a file, so no cache can be written under it")

        def call(argv: list[str], environment: dict[str, str]) -> Callable[[], object]:
            return lambda: subprocess.run(argv, env=environment, check=True, stdout=subprocess.DEVNULL)

        price = call([*command, "price", "17000"], env)
        numpy_import = call([sys.executable, "-c", "import numpy"], env)
        bare = call([sys.executable, "-c", "pass"], env)
        uncached = call([*command, "price", "17000"], uncached_env)
        runs = max(options.runs, CLI_RUNS)
        seconds, numpy_seconds, bare_seconds, uncached_seconds = interleaved_medians(
            [price, numpy_import, bare, uncached], runs)
    return Result(seconds, uncached_seconds, numpy_seconds, {
        "runs": runs,
        "python_pass_seconds": float(f"{bare_seconds:.6g}"),
        "target": "<= 2x the floor (python -c 'import numpy')",
        "note": "timed: the installed 'estimator price 17000' as a new process, output discarded, tables from a "
                "warm binary cache. floor: 'python -c \"import numpy\"' (every call needs numpy), timed in the "
                "same rounds (interleaved). baseline: the same call with no cache folder (tables parsed from "
                "CSV each time). python_pass_seconds: 'python -c pass'.",
    })


# --- running ----------------------------------------------------------------------------------------------

def run(name: str, options: Options) -> dict[str, Any]:
    return record(name, REGISTRY[name](options), options.runs)


def record(name: str, result: Result, runs: int) -> dict[str, Any]:
    """The JSON object printed for one benchmark: ``result`` rounded, its speedups, the runs and the machine."""
    speedup = None if result.baseline_seconds is None else result.baseline_seconds / result.seconds

    def rounded(value: float | None) -> float | None:
        return None if value is None else float(f"{value:.6g}")

    return {
        "name": name,
        "seconds": rounded(result.seconds),
        "baseline_seconds": rounded(result.baseline_seconds),
        "speedup": None if speedup is None else round(speedup, 1),
        "floor_seconds": rounded(result.floor_seconds),
        "vs_floor": None if not result.floor_seconds else round(result.seconds / result.floor_seconds, 1),
        "runs": max(runs, MIN_RUNS),
        "machine": machine(),
        **result.extra,
    }


#: Benchmarks written as ``bench/bench_*.py`` modules with ``BENCHMARKS = {name: fn}``; ``fn()`` returns
#: the whole result object (name, seconds, baseline_seconds, speedup, floor_seconds, machine, ...).  They
#: import ``median_seconds``, ``machine`` and ``record`` from here (as ``bench.run``: ``main`` puts the
#: repository root on ``sys.path`` before ``discover``).
EXTERNAL: dict[str, Callable[[], dict[str, Any]]] = {}


def discover() -> None:
    """Register every bench/bench_*.py module's benchmarks after the built-in ones."""
    import importlib.util  # noqa: PLC0415 - only the runner needs it

    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, fn in getattr(module, "BENCHMARKS", {}).items():
            EXTERNAL[name] = fn


@dataclass(frozen=True)
class Target:
    """An issue's target for a benchmark: whether a result meets it, what was measured, and -- when it is
    not met -- what stands in the way (from the profiles; see README "Performance")."""

    text: str
    met: Callable[[dict[str, Any]], bool]
    measured: Callable[[dict[str, Any]], str]
    in_the_way: str = ""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _within(limit_seconds: float, in_the_way: str = "") -> Target:
    """A target on the median time alone: at most ``limit_seconds``."""
    text = f"<= {limit_seconds * 1000:g} ms" if limit_seconds < 0.1 else f"<= {limit_seconds:g} s"
    shown: Callable[[dict[str, Any]], str] = (
        (lambda r: _ms(r["seconds"])) if limit_seconds < 1 else (lambda r: f"{r['seconds']:.2f} s"))
    return Target(text, lambda r: r["seconds"] <= limit_seconds, shown, in_the_way)


def _inputs(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    return dict(result.get("inputs", {}))


#: Issue 17's targets (and 8's, 18's, 19's), judged on each run's own figures.
TARGETS: dict[str, Target] = {
    "fee_schedule_pricing": Target(
        "<= 8x the memory-fill floor", lambda r: r["vs_floor"] <= 8, lambda r: f"{r['vs_floor']}x the floor",
        "the exact int64 formula makes 7 passes over the cells; a shared machine's memory bandwidth"),
    "cli_price": Target(
        "<= 2x python -c 'import numpy'", lambda r: r["vs_floor"] <= 2, lambda r: f"{r['vs_floor']}x",
        "our own modules' import and the tables' cached load over numpy's"),
    "audit_100k": _within(
        1.0, "reading and validating the CSV (~0.45 s: every cell checked, per distinct value) plus the per-claim "
        "bookkeeping of ~50,000 claims in Python"),
    "audit_100k_distinct": _within(
        2.0, "one claim plan, amount ranking and contract per claim in Python (~20 us each) after the reading"),
    "audit_1m_memory": Target(
        "<= 1 GiB peak for 1,000,000 lines", lambda r: r["peak_rss_mib"] <= 1024, lambda r: f"{r['peak_rss_mib']} MiB",
        "the claim lines' cells and per-claim records held at once"),
    "forecast_1m": _within(0.3),
    "gui_startup": Target(
        "first window <= 1.5x a bare Qt window's first paint; RSS at first paint <= 130 MiB",
        lambda r: r["vs_floor"] <= 1.5 and r["first_window_rss_mib"] <= 130,
        lambda r: (f"{r['vs_floor']}x ({r['seconds']:.3f} s vs {r['floor_seconds']:.3f} s), "
                   f"{r['first_window_rss_mib']} MiB; Estimate page ready at {r['ready_seconds']:.2f} s, "
                   f"{r['peak_rss_mib']} MiB peak"),
        "the frame's own modules, settings, theme and tabs (~40 ms) on top of the bare window"),
    "gui_input_latency": Target(
        "<= 8 ms p50 and <= 16 ms p95 for every input",
        lambda r: all(v["p50_ms"] <= 8 and v["p95_ms"] <= 16 for v in _inputs(r).values()),
        lambda r: ", ".join(f"{k} {v['p50_ms']}/{v['p95_ms']} ms" for k, v in _inputs(r).items()),
        "an input re-prices the visit and its 1-40 lesion series claim by claim (~2-3 ms) and repaints the "
        "totals, table, chart and explanation (~4-6 ms offscreen)"),
    "remits_100k": _within(5.0, "reading, storing and reconciling 100,000 lines in Python"),
    "gfe_search_100k": _within(0.05),
}


def verdict(result: dict[str, Any]) -> dict[str, Any] | None:
    """The result judged against its target (None: the benchmark has none, or it was skipped)."""
    target = TARGETS.get(result.get("name", ""))
    if target is None or "skipped" in result:
        return None
    try:
        met, measured = target.met(result), target.measured(result)
    except (KeyError, TypeError):
        return None
    return {"target": target.text, "met": met, "measured": measured,
            **({} if met else {"in_the_way": target.in_the_way})}


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO_ROOT))
    discover()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME", choices=[*REGISTRY, *EXTERNAL],
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--runs", type=int, default=Options.runs, help=f"timed runs (at least {MIN_RUNS})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join([*REGISTRY, *EXTERNAL]))
        return 0
    options = Options(runs=max(args.runs, MIN_RUNS))
    judged = []
    for name in args.only or [*REGISTRY, *EXTERNAL]:
        result = run(name, options) if name in REGISTRY else EXTERNAL[name]()
        judgement = verdict(result)
        if judgement is not None:
            result["verdict"] = judgement
            judged.append((name, judgement))
        print(json.dumps(result), flush=True)
    if judged:  # for a person: every target, met or not, and what stands in the way of those that are not
        print("\ntargets:", file=sys.stderr)
        for name, judgement in judged:
            mark = "met" if judgement["met"] else "NOT MET"
            print(f"  {name}: {mark} -- {judgement['measured']} (target {judgement['target']})", file=sys.stderr)
            if not judgement["met"]:
                print(f"      in the way: {judgement['in_the_way']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
