"""The app's input latency with the practice store on PostgreSQL: ``python bench/bench_pg.py`` prints JSON.

- ``gui_input_latency_pg``: median time from a new lesion count in the estimate page to the claim lines,
  totals and chart updated, with the store on a PostgreSQL server over a local Unix socket, timed change by
  change in alternation with the same window on the default SQLite file (the baseline), so both see the same
  machine.  Target: PostgreSQL adds at most 5 ms.  The server is a throwaway one started by
  ``scripts/pg_test_server.sh`` (or ``ESTIMATOR_BENCH_PG=DSN`` names an existing one; its database must be empty).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

try:
    from bench.bench_gui import LATENCY_CHANGES, LESION_CYCLE, _isolated_env, _result
    from bench.run import REPO_ROOT
except ModuleNotFoundError:  # run alone: bench/ is on sys.path, not the root
    from bench_gui import LATENCY_CHANGES, LESION_CYCLE, _isolated_env, _result
    from run import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "pg_test_server.sh"
TARGET_ADDED_SECONDS = 0.005


def gui_input_latency_pg() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    os.environ.update(_isolated_env(folder))
    server_dir = tempfile.mkdtemp(prefix="bench-pg-server-")
    dsn = os.environ.get("ESTIMATOR_BENCH_PG")
    if not dsn:
        dsn = subprocess.run([str(SCRIPT), "start", server_dir], capture_output=True, text=True,
                             check=True).stdout.strip()
    try:
        return _measure(folder, dsn)
    finally:
        subprocess.run([str(SCRIPT), "stop", server_dir], capture_output=True, check=False)


def _measure(folder: Path, server: str) -> dict[str, Any]:
    import psycopg  # noqa: PLC0415 - after the environment is set, as bench_gui does
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from estimator.app.context import AppContext  # noqa: PLC0415
    from estimator.app.main_window import MainWindow  # noqa: PLC0415
    from estimator.app.settings import Settings  # noqa: PLC0415
    from estimator.store.demo import load_demo  # noqa: PLC0415
    from estimator.store.open import open_store  # noqa: PLC0415
    from estimator.tables.shipped import default_catalog  # noqa: PLC0415

    sys.path.insert(0, str(REPO_ROOT))
    from tests.pg_server import dsn_for  # noqa: PLC0415 - the same DSN spelling as the tests

    name = "bench_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    app = QApplication.instance() or QApplication([sys.argv[0]])
    catalog = default_catalog()
    pages = []
    stores = [open_store(folder / "data" / "practice.sqlite"), open_store(dsn_for(server, name))]
    for store in stores:
        load_demo(store, catalog.for_year(catalog.years()[-1]))
        window = MainWindow(AppContext(catalog, store), Settings(), restore=False)
        window.resize(1280, 800)
        window.show()
        window.show_page("estimate")
        window.estimate_inputs.update(em_code="99213", payer="Demo: Acme PPO (115%)")
        app.processEvents()
        pages.append((window, window.page("estimate")))

    def change(page: Any, count: int) -> float:
        start = time.perf_counter()
        page.form.lesions.setValue(count)
        rows, total, marker = page.model.rowCount(), page.totals.allowed.text(), page.chart.marker()
        elapsed = time.perf_counter() - start
        assert rows >= 2 and total.startswith("$") and marker is not None
        return elapsed

    times: list[list[float]] = [[], []]
    for i in range(LATENCY_CHANGES * 2):  # the first half warms up; changes alternate between the engines
        for engine, (_, page) in enumerate(pages):
            elapsed = change(page, LESION_CYCLE[i % len(LESION_CYCLE)])
            if i >= LATENCY_CHANGES:
                times[engine].append(elapsed)
        if i % 10 == 9:
            app.processEvents()
    for (window, _), store in zip(pages, stores, strict=True):
        window.close()
        store.close()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    sqlite_s, pg_s = statistics.median(times[0]), statistics.median(times[1])
    added = pg_s - sqlite_s
    return _result(
        "gui_input_latency_pg", pg_s, sqlite_s, None,
        f"median of {LATENCY_CHANGES} lesion-count changes with the store on PostgreSQL (local Unix socket) vs "
        f"the same window on SQLite, alternated change by change; PostgreSQL adds {added * 1000:.2f} ms "
        f"(target <= {TARGET_ADDED_SECONDS * 1000:.0f} ms).",
        added_seconds=float(f"{added:.6g}"), target_added_seconds=TARGET_ADDED_SECONDS,
        within_target=added <= TARGET_ADDED_SECONDS)


BENCHMARKS = {"gui_input_latency_pg": gui_input_latency_pg}

if __name__ == "__main__":
    import json

    print(json.dumps(gui_input_latency_pg()), flush=True)
