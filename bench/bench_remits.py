"""Benchmark ``remits_100k``: import and reconcile 100,000 remitted service lines (issue 18: <= 5 s).

Run alone with ``python bench/bench_remits.py [--lines N] [--runs N] [--profile]``; ``BENCHMARKS`` is the
hook for ``bench/run.py``.  The 835 is generated in a temporary folder from the shipped sample
(``samples/remit.835``): its claims repeated with new claim numbers, patients (10,000) and service dates
(spread over January - November 2026), in payments of 500 claims, so every line is new to the database.

``seconds``: median of ``remits.read_file`` (X12 reader, 835 lines) + ``remits.save`` into a fresh practice
database + ``load`` + ``reconcile`` (contract and Medicare amounts) + ``scorecard``, tables loaded before.
``baseline_seconds``: pyx12 (the BSD X12 library, where installed) reading the file with its 835 map, timed
on the first 2,000 lines and scaled linearly -- the parse alone, without storing or reconciling.
``floor_seconds``: splitting the text into segments and elements with ``str.split`` and nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from estimator.core.scorecard import reconcile, scorecard
from estimator.store import remits
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog, default_catalog

try:
    from bench.run import MIN_RUNS, machine, median_seconds, print_profile
except ModuleNotFoundError:  # run alone as ``python bench/bench_remits.py``: bench/ is on sys.path, not the root
    from run import MIN_RUNS, machine, median_seconds, print_profile  # type: ignore[no-redef]

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT / "samples" / "remit.835"
LINES = 100_000
CLAIMS_PER_PAYMENT = 500
BASELINE_LINES = 2_000


def write_remit_file(path: Path, lines: int = LINES) -> int:
    """A synthetic 835 of about ``lines`` service lines built from the sample's claims; returns the count."""
    text = SAMPLE.read_text(encoding="ascii")
    element, terminator = text[3], text[105]
    segments = [s.strip() for s in text.split(terminator) if s.strip()]
    payments: list[tuple[list[str], list[list[str]]]] = []  # (header, claims)
    for k, seg in enumerate(segments):
        if seg.startswith("ST" + element):
            end = next(j for j in range(k, len(segments)) if segments[j].startswith("SE" + element))
            body = segments[k + 1:end]
            first = next(j for j, s in enumerate(body) if s.startswith("CLP"))
            claims: list[list[str]] = []
            for s in body[first:]:
                if s.startswith("CLP"):
                    claims.append([])
                claims[-1].append(s)
            payments.append((body[:first], claims))
    out = [segments[0], segments[1]]
    written = n_sets = serial = 0
    start = dt.date(2026, 1, 5)
    while written < lines:
        for header, claims in payments:
            n_sets += 1
            control = f"{n_sets:04d}"
            body = list(header)
            for _ in range(CLAIMS_PER_PAYMENT // len(claims) + 1):
                for claim in claims:
                    serial += 1
                    day = start + dt.timedelta(days=serial % 300)
                    for s in claim:
                        parts = s.split(element)
                        if parts[0] == "CLP":
                            parts[1] = f"SYN-B-{serial}"
                            parts[7] = f"SYNB{serial:08d}"
                        elif parts[0] == "NM1" and parts[1] == "QC":
                            parts[9] = f"SYN-PT-{serial % 10_000:05d}"
                        elif parts[0] == "DTM" and parts[1] in ("232", "472"):
                            parts[2] = f"{day:%Y%m%d}"
                        elif parts[0] == "SVC":
                            written += 1
                        body.append(element.join(parts))
            bpr = body[0].split(element)
            bpr[16] = f"{start + dt.timedelta(days=330):%Y%m%d}"
            body[0] = element.join(bpr)
            out += [f"ST{element}835{element}{control}", *body, f"SE{element}{len(body) + 2}{element}{control}"]
            if written >= lines:
                break
    out += [f"GE{element}{n_sets}{element}101", f"IEA{element}1{element}000000101"]
    path.write_text((terminator + "\n").join(out) + terminator + "\n", encoding="ascii")
    return written


def _setup(folder: Path) -> TableCatalog:
    catalog = default_catalog()
    catalog.for_year(2026)
    return catalog


def _import_and_reconcile(path: Path, folder: Path, catalog: TableCatalog, run: list[int]) -> dict[str, Any]:
    run[0] += 1
    store = SqliteStore(folder / f"run{run[0]}.sqlite")
    try:
        load_demo(store, catalog.for_year(2026))
        lines, sha = remits.read_file(path)
        remits.save(store, path.name, sha, lines)
        rec = reconcile(remits.load(store), payers=store.payers(), practice=store.practice(),
                        tables_for_date=catalog.for_date, tables_for_year=catalog.for_year)
        return scorecard(rec)
    finally:
        store.close()


def _pyx12_seconds(path: Path, lines: int) -> float | None:
    try:
        import pyx12.error_handler  # noqa: PLC0415 - optional baseline
        import pyx12.params  # noqa: PLC0415
        import pyx12.x12context  # noqa: PLC0415
    except ImportError:
        return None
    small = path.with_name("small.835")
    written = write_remit_file(small, BASELINE_LINES)
    text = small.read_text(encoding="ascii")
    start = time.perf_counter()
    reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), pyx12.error_handler.errh_null(),
                                               io.StringIO(text))
    for _ in reader.iter_segments("2110"):
        pass
    return (time.perf_counter() - start) * lines / written


def remits_100k(runs: int = 5, lines: int = LINES) -> dict[str, Any]:
    """The benchmark: see the module docstring."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalog = _setup(folder)
        path = folder / "remit.835"
        written = write_remit_file(path, lines)
        counter = [0]
        card = _import_and_reconcile(path, folder, catalog, counter)
        seconds = median_seconds(lambda: _import_and_reconcile(path, folder, catalog, counter), runs,
                                 min_runs=MIN_RUNS)
        text = path.read_text(encoding="ascii")

        def floor() -> None:
            for segment in text.split("~"):
                segment.split("*")

        floor_seconds = median_seconds(floor, runs, min_runs=MIN_RUNS)
        baseline = _pyx12_seconds(path, written)
    return {
        "name": "remits_100k",
        "seconds": round(seconds, 4),
        "baseline_seconds": None if baseline is None else round(baseline, 2),
        "speedup": None if baseline is None else round(baseline / seconds, 1),
        "floor_seconds": round(floor_seconds, 4),
        "runs": max(runs, MIN_RUNS),
        "lines": written,
        "underpaid_lines": card["total"]["underpaid_lines"],
        "denied_lines": card["total"]["denied_lines"],
        "target_seconds": 5.0,
        "machine": machine(),
        "note": f"seconds: median of read 835 + store in a fresh database + load + reconcile + scorecard over a "
                f"generated {written}-line 835 (tables loaded once before timing). baseline: pyx12's 835 reader "
                f"on the first {BASELINE_LINES} lines, scaled linearly (parse only). floor: str.split of the "
                "text into segments and elements.",
    }


BENCHMARKS: dict[str, Callable[..., dict[str, Any]]] = {"remits_100k": remits_100k}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run instead")
    args = parser.parse_args(argv)
    if args.profile:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            catalog = _setup(folder)
            path = folder / "remit.835"
            write_remit_file(path, args.lines)
            counter = [0]
            print_profile(lambda: _import_and_reconcile(path, folder, catalog, counter))
        return 0
    print(json.dumps(remits_100k(args.runs, args.lines)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
