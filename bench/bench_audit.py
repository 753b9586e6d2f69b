"""Benchmark ``audit_100k``: read, validate and audit a 100,000-line claims file (issue 8: <= 2 s).

Run alone with ``python bench/bench_audit.py [--lines N] [--runs N] [--profile]``; ``BENCHMARKS`` is the
hook for ``bench/run.py``.  The file is generated (seeded, synthetic) in a temporary folder: about 33,000
claims of 30,000 patients over June 2025 - June 2026 (two fee-schedule years), three localities, five
payers (Medicare and the four demo contracts), the usual dermatology mix (17000 + 17003 x0-13, 17004,
E/M with and without 25, biopsies, 17110, PDT), a few percent of lines with coding errors, most lines
remitted at the contract amount and some short.

``seconds``: median of the timed runs of ``read_claims`` + ``audit_claims`` (tables already loaded).
``baseline_seconds``: the same audit with the signature cache off (every claim priced and checked afresh,
the obvious way) on the first 10,000 lines, scaled linearly to the file.  ``floor_seconds``: merely
``csv.reader`` over the file.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from estimator.core.audit import audit_claims
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.payers import Payer, Practice, allowed_lines
from estimator.core.rules import build_claim
from estimator.store import claims_csv
from estimator.store.demo import load_demo
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog, default_catalog

try:
    from bench.run import machine, median_seconds, print_profile
except ModuleNotFoundError:  # run alone as ``python bench/bench_audit.py``: bench/ is on sys.path, not the root
    from run import machine, median_seconds, print_profile

LINES = 100_000
MIN_RUNS = 3
BASELINE_LINES = 10_000
HEADER = ["DOS", "Claim #", "Patient ID", "Payer", "POS", "Locality", "CPT", "Units", "Mod 1", "Mod 2", "Dx",
          "Billed", "Allowed", "Paid", "Prior Auth"]
LOCALITIES = ("0441299", "0441218", "1320201")
PAYER_WEIGHTS = {"Medicare": 50, "Demo: Acme PPO (115%)": 20, "Demo: Summit Health (130%)": 12,
                 "Demo: Fixed Fee Plan": 12, "Demo: Own-CF Plan ($38.00)": 6}


def _templates(rng: random.Random) -> list[tuple[str, int, tuple[str, ...], str]]:
    """One visit's lines: (code, units, modifiers, diagnosis); a few percent carry a coding error."""
    lesions = rng.choice([1, 1, 2, 3, 3, 4, 5, 6, 8, 10, 12, 14, 15, 20])
    ak: list[tuple[str, int, tuple[str, ...], str]] = (
        [("17004", 1, (), "L57.0")] if lesions >= 15 else
        [("17000", 1, (), "L57.0")] + ([("17003", lesions - 1, (), "L57.0")] if lesions > 1 else []))
    roll = rng.random()
    if roll < 0.45:
        visit = ak
    elif roll < 0.75:
        visit = [(rng.choice(["99212", "99213", "99214"]), 1, ("25",), "L57.0"), *ak]
    elif roll < 0.85:
        visit = [("11102", 1, (), "D48.5"), *ak]
    elif roll < 0.92:
        visit = [("17110", 1, (), "L82.1")]
    elif roll < 0.96:
        visit = [(rng.choice(["99213", "99214"]), 1, (), "L57.0")]
    else:
        visit = [("96574", 1, (), "L57.0")]
    error = rng.random()
    if error < 0.01:
        visit = [(c, u, (), d) for c, u, _, d in visit]  # E/M loses its 25
    elif error < 0.02:
        visit = [(c, u, m, "L82.1" if c == "17000" else d) for c, u, m, d in visit]
    elif error < 0.025 and visit[0][0] == "17004":
        visit = [*visit, ("17003", 2, (), "L57.0")]
    return visit


def write_claims_file(path: Path, catalog: TableCatalog, payers: dict[str, Payer], *, lines: int = LINES,
                      seed: int = 8, distinct: bool = False) -> int:
    """Write a synthetic claims file of about ``lines`` lines; returns the lines written.

    ``distinct``: patients spread over all 109 localities, and a claim is drawn again until no earlier claim
    has the same signature (tables year, place, locality, payer, lines and diagnoses), so nothing an audit
    works out for one claim can be reused for another -- like a real practice's remittance export.
    """
    rng = random.Random(seed)
    localities = (tuple(catalog.for_year(2026).localities.keys.tolist()) if distinct else LOCALITIES)
    seen: set[tuple[Any, ...]] = set()
    start = dt.date(2025, 6, 2)
    names = list(PAYER_WEIGHTS)
    weights = list(PAYER_WEIGHTS.values())
    practice = Practice()
    expected: dict[tuple[Any, ...], list[int]] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    written = claim_no = 0
    patients = [f"SYN-PT-{i:05d}" for i in range(30_000)]
    patient_payer = {p: rng.choices(names, weights)[0] for p in patients}
    patient_locality = {p: rng.choice(localities) for p in patients}
    while written < lines:
        patient = rng.choice(patients)
        payer = rng.choices(names, weights)[0] if distinct else patient_payer[patient]
        day = start + dt.timedelta(days=rng.randrange(365))
        pos = "11" if rng.random() < 0.95 else "22"
        locality = rng.choice(localities) if distinct else patient_locality[patient]
        visit = _templates(rng)
        key = (payer, day.year, pos, locality, tuple(visit))
        if distinct:
            signature = (catalog.for_date(day).release, *key)
            if signature in seen:
                continue
            seen.add(signature)
        claim_no += 1
        amounts = expected.get(key)
        if amounts is None:
            encounter = Encounter(day, pos, locality, diagnoses=(), procedures=tuple(
                ServiceLine(c, u, m, (d,)) for c, u, m, d in visit))
            claim = build_claim(encounter, catalog.for_date(day))
            allowed, _ = allowed_lines(claim, payers[payer], dataclasses.replace(practice, locality_key=locality),
                                       catalog.for_year)
            amounts = [a.allowed_cents for a in allowed]
            expected[key] = amounts
        remitted = rng.random() < 0.8
        for (code, units, mods, dx), cents in zip(visit, amounts, strict=True):
            allowed_cents = cents - rng.choices([0, 50, 500, 2000], [90, 5, 3, 2])[0] if remitted else None
            allowed_text = "" if allowed_cents is None else f"{max(allowed_cents, 0) / 100:.2f}"
            paid_text = "" if allowed_cents is None else f"{max(allowed_cents, 0) * 78 // 100 / 100:.2f}"
            auth = f"PA-{claim_no}" if code == "96574" and rng.random() < 0.9 else ""
            writer.writerow([day.isoformat(), f"SYN-CLM-{claim_no:07d}", patient, payer, pos, locality, code, units,
                             mods[0] if mods else "", "", dx, f"{cents * 2 / 100 + 10:.2f}", allowed_text,
                             paid_text, auth])
            written += 1
    path.write_text(out.getvalue(), encoding="utf-8")
    return written


def _setup(folder: Path) -> tuple[TableCatalog, dict[str, Payer], Practice]:
    catalog = default_catalog()
    store = SqliteStore(folder / "bench.sqlite")
    try:
        load_demo(store, catalog.for_year(2026))
        payers = {p.name: p for p in store.payers()}
        practice = store.practice()
    finally:
        store.close()
    return catalog, payers, practice


def _audit_once(path: Path, catalog: TableCatalog, payers: dict[str, Payer], practice: Practice,
                cache: bool = True) -> Any:
    mapping = claims_csv.suggest_mapping(claims_csv.read_header(path))

    def zip_locality(zip_code: str, day: dt.date) -> str | None:
        entry = catalog.zip_codes(day.year).get(zip_code)
        return entry.locality_key if entry else None

    parsed = claims_csv.read_claims(path, mapping, tables_for_date=catalog.for_date, zip_locality=zip_locality)
    return audit_claims(parsed.lines, payers=payers, practice=practice, tables_for_date=catalog.for_date,
                        tables_for_year=catalog.for_year, problems=parsed.problems, cache=cache)


def audit_100k(runs: int = 5, lines: int = LINES, distinct: bool = False) -> dict[str, Any]:
    """The benchmark: see the module docstring."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalog, payers, practice = _setup(folder)
        path = folder / "claims.csv"
        written = write_claims_file(path, catalog, payers, lines=lines, distinct=distinct)
        result = _audit_once(path, catalog, payers, practice)
        # The untimed warm-up run loads the tables and fills the OS file cache.
        seconds = median_seconds(lambda: _audit_once(path, catalog, payers, practice), runs, min_runs=MIN_RUNS)

        sample = folder / "claims_sample.csv"
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        sample.write_text("".join(text[:BASELINE_LINES + 1]), encoding="utf-8")
        start = time.perf_counter()
        _audit_once(sample, catalog, payers, practice, cache=False)
        baseline = (time.perf_counter() - start) * written / min(BASELINE_LINES, written)

        def floor() -> None:
            with path.open(encoding="utf-8", newline="") as handle:
                for _ in csv.reader(handle):
                    pass

        floor_seconds = median_seconds(floor, runs, min_runs=MIN_RUNS)
    return {
        "name": "audit_100k_distinct" if distinct else "audit_100k",
        "seconds": round(seconds, 4),
        "baseline_seconds": round(baseline, 3),
        "speedup": round(baseline / seconds, 1),
        "floor_seconds": round(floor_seconds, 4),
        "runs": max(runs, MIN_RUNS),
        "lines": written,
        "claims": len(result.claims),
        "findings": len(result.findings),
        "underpaid_lines": int(result.underpaid.sum()),
        "target_seconds": 2.0 if distinct else 1.0,
        "machine": machine(),
        "note": f"seconds: median of read_claims + audit_claims over a generated {written}-line file (tables "
                f"loaded once before timing). baseline: the same with the signature cache off, timed on the "
                f"first {BASELINE_LINES} lines and scaled linearly. floor: csv.reader over the file alone."
                + (" Every claim's signature is distinct (109 localities, 5 payers)." if distinct else ""),
    }


def audit_100k_distinct(runs: int = 3, lines: int = LINES) -> dict[str, Any]:
    """``audit_100k`` on a file where no two claims share a signature."""
    return audit_100k(runs, lines, distinct=True)


MILLION_COPIES = 10
#: Audits a claims file in a fresh process and prints its seconds and peak resident memory.
_AUDIT_PROCESS = """
import resource, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from bench_audit import _audit_once, _setup
catalog, payers, practice = _setup(Path(sys.argv[4]))
for year in catalog.years():
    catalog.for_year(year)
start = time.perf_counter()
result = _audit_once(Path(sys.argv[1]), catalog, payers, practice)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, len(result.claims))
"""


def audit_1m_memory() -> dict[str, Any]:
    """Peak memory of auditing 1,000,000 lines: the distinct 100,000-line file ten times over (each copy with its
    own claim and patient ids), read and audited in a fresh process (its own peak, tables loaded first)."""
    import subprocess  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalog, payers, _ = _setup(folder)
        one = folder / "claims_100k.csv"
        written = write_claims_file(one, catalog, payers, distinct=True)
        header, *rows = one.read_text(encoding="utf-8").splitlines()
        big = folder / "claims_1m.csv"
        with big.open("w", encoding="utf-8") as out:
            out.write(header + "\n")
            for k in range(MILLION_COPIES):
                out.write("\n".join(r.replace("SYN-CLM-", f"SYN-CLM-{k}-").replace("SYN-PT-", f"SYN-PT-{k}-")
                                    for r in rows) + "\n")
        del rows
        (folder / "run").mkdir()
        root = Path(__file__).resolve().parents[1]
        done = subprocess.run([sys.executable, "-c", _AUDIT_PROCESS, str(big), str(root), str(root / "bench"),
                               str(folder / "run")], capture_output=True, text=True, check=True)
        seconds, peak, claims = done.stdout.split()
    lines = written * MILLION_COPIES
    return {
        "name": "audit_1m_memory", "seconds": round(float(seconds), 3), "lines": lines, "claims": int(claims),
        "peak_rss_mib": round(int(peak) / 2**20, 1), "target": "<= 1 GiB peak per 1,000,000 lines",
        "machine": machine(),
        "note": f"a {lines}-line claims file (audit_100k_distinct's file {MILLION_COPIES} times, new claim and patient "
                "ids per copy) read and audited in a fresh process; peak_rss_mib: that process's peak resident "
                "memory (Python, numpy, the tables and the audit); seconds: the read and audit.",
    }


BENCHMARKS: dict[str, Callable[..., dict[str, Any]]] = {"audit_100k": audit_100k,
                                                        "audit_100k_distinct": audit_100k_distinct,
                                                        "audit_1m_memory": audit_1m_memory}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run instead")
    parser.add_argument("--distinct", action="store_true", help="every claim distinct (audit_100k_distinct)")
    args = parser.parse_args(argv)
    if args.profile:
        with tempfile.TemporaryDirectory() as tmp:
            catalog, payers, practice = _setup(Path(tmp))
            path = Path(tmp) / "claims.csv"
            write_claims_file(path, catalog, payers, lines=args.lines, distinct=args.distinct)
            print_profile(lambda: _audit_once(path, catalog, payers, practice))
        return 0
    print(json.dumps(audit_100k(args.runs, args.lines, args.distinct)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
