"""Desktop-app benchmarks, offscreen: ``python bench/bench_gui.py`` prints one JSON object per line.

``BENCHMARKS`` maps a name to a function returning ``{name, seconds, baseline_seconds, speedup,
floor_seconds, machine, note, ...}`` (``bench/run.py`` wires them in):

- ``gui_update_latency``: median time from a new lesion count in the estimate page's spin box to the
  claim-lines table, the totals and the chart all updated (the update runs synchronously in the
  handler, so the read-back right after ``setValue`` sees it).  Baseline: the straightforward version
  that recomputes the whole 1..40 lesion series on every change.  Floor: the core pricing alone
  (``build_claim`` + ``estimate``), which any update has to do.
- ``gui_startup``: wall time of ``estimator-gui --quit-after-show`` (process start to the first shown
  window, and exit), median of several runs, and its peak memory.  Floor: a bare Qt window shown and
  closed the same way, timed in alternation with the app.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

try:
    from bench.run import REPO_ROOT, compile_sources
    from bench.run import machine as base_machine
except ModuleNotFoundError:  # run alone as ``python bench/bench_gui.py``: bench/ is on sys.path, not the root
    from run import REPO_ROOT, compile_sources
    from run import machine as base_machine

LATENCY_CHANGES = 200
STARTUP_RUNS = 7
LESION_CYCLE = (8, 9, 14, 15, 3, 1, 22, 40, 2, 13)

Result = dict[str, Any]


def machine() -> dict[str, Any]:
    """``bench/run.py``'s machine description plus the Qt binding and platform these numbers depend on."""
    import PySide6  # noqa: PLC0415 - only for its version string

    return {**base_machine(), "pyside6": PySide6.__version__, "qt_qpa_platform": "offscreen"}


def _isolated_env(folder: Path) -> dict[str, str]:
    """Environment for a run that touches nothing of the user's: offscreen, temporary data and settings."""
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ESTIMATOR_DATA_DIR": str(folder / "data"),
            "ESTIMATOR_DB": str(folder / "data" / "practice.sqlite"), "ESTIMATOR_CONFIG_DIR": str(folder / "config")}


def _result(name: str, seconds: float, baseline: float | None, floor: float | None, note: str,
            **extra: Any) -> Result:
    return {"name": name, "seconds": float(f"{seconds:.6g}"),
            "baseline_seconds": None if baseline is None else float(f"{baseline:.6g}"),
            "speedup": None if baseline is None else round(baseline / seconds, 1),
            "floor_seconds": None if floor is None else float(f"{floor:.6g}"), "machine": machine(), "note": note,
            **extra}


def _demo_window(folder: Path) -> tuple[Any, Any, Any, Any]:
    """The app's main window on the demo practice in ``folder``, shown at 1280x800 (the environment is set).

    Returns the QApplication, the window, its context and the store (the caller closes window and store).
    """
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    from estimator.app.context import AppContext  # noqa: PLC0415
    from estimator.app.main import prepare_qt_environment  # noqa: PLC0415
    from estimator.app.main_window import MainWindow  # noqa: PLC0415
    from estimator.app.settings import Settings  # noqa: PLC0415
    from estimator.store.demo import load_demo  # noqa: PLC0415
    from estimator.store.sqlite_store import SqliteStore  # noqa: PLC0415
    from estimator.tables.shipped import default_catalog  # noqa: PLC0415

    prepare_qt_environment()  # as the app's own start does, before the QApplication
    app = QApplication.instance() or QApplication([sys.argv[0]])
    catalog = default_catalog()
    store = SqliteStore(folder / "data" / "practice.sqlite")
    load_demo(store, catalog.for_year(catalog.years()[-1]))
    context = AppContext(catalog, store)
    window = MainWindow(context, Settings(), restore=False)
    window.resize(1280, 800)
    window.show()
    return app, window, context, store


def gui_update_latency() -> Result:
    """Lesion count -> table, totals and chart updated, in the real window with every page (offscreen)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    os.environ.update(_isolated_env(folder))
    # Qt and the app are imported here, after the environment is set (offscreen platform, temp folders).

    from estimator.core.cost_sharing import estimate  # noqa: PLC0415
    from estimator.core.rules import build_claim  # noqa: PLC0415

    app, window, context, store = _demo_window(folder)
    window.show_page("estimate")
    app.processEvents()
    page: Any = window.page("estimate")
    state = window.estimate_inputs
    state.update(em_code="99213", payer="Demo: Acme PPO (115%)")
    app.processEvents()

    def change(count: int) -> float:
        start = time.perf_counter()
        page.form.lesions.setValue(count)
        # Read back what the user sees: every part is updated synchronously by the change.
        rows = page.model.rowCount()
        total = page.totals.allowed.text()
        marker = page.chart.marker()
        elapsed = time.perf_counter() - start
        assert rows >= 2 and total.startswith("$") and marker is not None and marker[0] == min(count, 40)
        return elapsed

    def measure(prepare: Callable[[], None] | None = None) -> list[float]:
        times = []
        for i in range(LATENCY_CHANGES):
            if prepare is not None:
                prepare()
            times.append(change(LESION_CYCLE[i % len(LESION_CYCLE)]))
            if i % 10 == 9:
                app.processEvents()  # paint between bursts, as a user's keystrokes would allow
        return times

    measure()  # warm-up
    times = measure()
    with_paint = []
    for i in range(40):
        start = time.perf_counter()
        page.form.lesions.setValue(LESION_CYCLE[i % len(LESION_CYCLE)])
        app.processEvents()
        with_paint.append(time.perf_counter() - start)

    def forget_series() -> None:
        state._series_key = None  # the naive version: re-price the 1..40 series on every change

    baseline = statistics.median(measure(forget_series))

    practice, payer = state.practice(), state.payer()
    core = []
    for _ in range(LATENCY_CHANGES):
        inputs = state.inputs
        start = time.perf_counter()
        claim = build_claim(inputs.encounter(practice), state.tables())
        estimate(claim, payer, practice, inputs.benefits, context.tables_for_year)
        core.append(time.perf_counter() - start)
    window.close()
    store.close()
    seconds = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95)]
    return _result(
        "gui_update_latency", seconds, baseline, statistics.median(core),
        f"median of {LATENCY_CHANGES} lesion-count changes (E/M 99213 + lesions, demo payer), all pages built; "
        f"p95 {p95 * 1000:.2f} ms; with the offscreen repaint included {statistics.median(with_paint) * 1000:.2f} ms. "
        "baseline: recomputing the 1..40 lesion series on every change; floor: build_claim + estimate alone.",
        target_seconds=0.016, p95_seconds=float(f"{p95:.6g}"),
        with_repaint_seconds=float(f"{statistics.median(with_paint):.6g}"))


INPUT_CHANGES = 40


def gui_input_latency() -> Result:
    """Every input of the Estimate page, typed as a user would: key event -> handler -> next paint done."""
    folder = Path(tempfile.mkdtemp(prefix="bench-gui-input-"))
    os.environ.update({**_isolated_env(folder), "ESTIMATOR_CACHE_DIR": str(folder / "cache")})
    from PySide6.QtCore import Qt  # noqa: PLC0415
    from PySide6.QtTest import QTest  # noqa: PLC0415


    app, window, _context, store = _demo_window(folder)
    page: Any = window.show_page("estimate")
    window.estimate_inputs.update(em_code="99213", lesions=8)
    app.processEvents()
    form = page.form
    date_edit = form.date.edit  # a text field (ISO or US dates): the day's last digit is retyped, 4 <-> 5
    date_edit.selectAll()
    QTest.keyClicks(date_edit, "2026-03-04")

    def select_last_digit(_i: int) -> None:  # not timed: the user's selection before the keystroke
        date_edit.setSelection(len(date_edit.text()) - 1, 1)

    def retype_day(i: int) -> None:  # one keystroke: the selected digit replaced, 4 <-> 5
        QTest.keyClick(date_edit, Qt.Key.Key_5 if i % 2 == 0 else Qt.Key.Key_4)

    def keys(widget: Any, forward: Any, back: Any) -> Callable[[int], None]:
        """Alternate one step forward and one back (a combo's next item, a spin box's next value)."""
        return lambda i: QTest.keyClick(widget, forward if i % 2 == 0 else back)

    def untimed(_i: int) -> None:
        pass

    # (what is done before each timed step, untimed; the timed keystroke)
    inputs: dict[str, tuple[Callable[[int], None], Callable[[int], None]]] = {
        "lesions": (untimed, keys(form.lesions, Qt.Key.Key_Up, Qt.Key.Key_Down)),
        "payer": (untimed, keys(form.payer, Qt.Key.Key_Down, Qt.Key.Key_Up)),
        "locality": (untimed, keys(form.locality.combo, Qt.Key.Key_Down, Qt.Key.Key_Up)),
        "place_of_service": (untimed, keys(form.place, Qt.Key.Key_Down, Qt.Key.Key_Up)),
        "date_of_service": (select_last_digit, retype_day),
    }
    per_input: dict[str, dict[str, float]] = {}
    all_times: list[float] = []
    for name, (prepare, step) in inputs.items():
        for i in range(4):  # warm-up
            prepare(i)
            step(i)
            app.processEvents()
        times = []
        for i in range(INPUT_CHANGES):
            prepare(i)
            app.processEvents()
            start = time.perf_counter()
            step(i)
            app.processEvents()  # the update requests the change posted: layout and paint, offscreen
            times.append(time.perf_counter() - start)
        times.sort()
        per_input[name] = {"p50_ms": round(statistics.median(times) * 1000, 2),
                           "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2)}
        all_times.extend(times)
    window.close()
    store.close()
    worst_p50 = max(v["p50_ms"] for v in per_input.values()) / 1000
    return _result(
        "gui_input_latency", worst_p50, None, None,
        f"{INPUT_CHANGES} changes per input on the Estimate page (E/M 99213 + 8 lesions, demo payers), each a "
        "key press on the widget (QTest.keyClick: up/down on the spin box and combo boxes; the date's last "
        "digit, selected before the timer starts, typed over: one keystroke), "
        "timed from before the key event to the end of the paint it causes (app.processEvents() after it, "
        "offscreen raster). seconds: the slowest input's median.",
        target="<= 8 ms median and <= 16 ms p95 for every input", inputs=per_input)


#: Starts a command and reports when it started (``time.monotonic()``, the clock the app stamps its first
#: paint with), its wall time, peak RSS, exit status and what it printed on stderr.  A child's
#: ``ru_maxrss`` counts the memory of the process it was forked from until it execs, so the bench (hundreds
#: of MiB by now) would be counted as the app's peak: this small launcher (a few MiB) forks the command instead.
LAUNCHER = ("import json, os, subprocess, sys, time\n"
            "start = time.monotonic()\n"
            "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            "err = p.stderr.read().decode(errors='replace')\n"
            "_, status, usage = os.wait4(p.pid, 0)\n"
            "elapsed = time.monotonic() - start\n"
            "code = os.waitstatus_to_exitcode(status)\n"
            "print(json.dumps({'start': start, 'elapsed': elapsed, 'rss': usage.ru_maxrss * 1024, 'code': code,\n"
            "                  'stderr': err}))\n")


class Launch(NamedTuple):
    """One process run: seconds from launch to its first window's paint and to its page being ready (the
    ``startup:`` stamps), to its exit, and peak resident bytes at the first paint and over the whole run."""

    first_window: float
    ready: float | None
    exit: float
    first_window_rss: int | None
    peak_rss: int


def _launch(command: list[str], env: dict[str, str]) -> Launch:
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *command], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)
    from estimator.app.main import startup_stamps  # noqa: PLC0415 - as the other Qt imports of this module

    report = json.loads(done.stdout)
    stamps = startup_stamps(report["stderr"])
    if report["code"] != 0 or not stamps:
        raise RuntimeError(f"{' '.join(command)} failed ({report['code']}): {report['stderr'].strip()[-400:]}")
    ready = stamps.get("ready")
    rss = stamps.get("first_window_rss")
    return Launch(stamps["first_window"] - report["start"],
                  None if ready is None else ready - report["start"], report["elapsed"],
                  None if rss is None else int(rss), report["rss"])


#: The floor: a bare Qt main window, its first paint stamped the way the app stamps its own (on the event-loop
#: turn after the paint event, once the paint has been flushed), then closed.
BARE_WINDOW = ("import sys, time\n"
               "from PySide6.QtCore import QEvent, QObject, QTimer\n"
               "from PySide6.QtWidgets import QApplication, QMainWindow\n"
               "def painted():\n"
               "    print(f'startup: first_window={time.monotonic():.6f}', file=sys.stderr)\n"
               "    window.close()\n"
               "class FirstPaint(QObject):\n"
               "    def eventFilter(self, watched, event):\n"
               "        if event.type() == QEvent.Type.Paint:\n"
               "            QTimer.singleShot(0, painted)  # once the paint has reached the screen\n"
               "        return False\n"
               "app = QApplication([])\nwindow = QMainWindow()\nwindow.resize(1280, 800)\n"
               "spy = FirstPaint()\nwindow.installEventFilter(spy)\nwindow.show()\napp.exec()\n")


def gui_startup() -> Result:
    """Process start -> first window painted, and -> the Estimate page painted, against a bare Qt window."""
    folder = Path(tempfile.mkdtemp(prefix="bench-gui-start-"))
    env = {**_isolated_env(folder), "ESTIMATOR_CACHE_DIR": str(folder / "cache")}
    app = [sys.executable, "-m", "estimator.app.main", "--quit-after-show"]
    floor_cmd = [sys.executable, "-c", BARE_WINDOW]
    compile_sources()
    _launch(app, env)  # warm-up: creates the database and the table cache, fills OS caches
    _launch(floor_cmd, env)
    runs, floor = [], []
    for _ in range(STARTUP_RUNS):  # in alternation, so both see the same machine
        runs.append(_launch(app, env))
        floor.append(_launch(floor_cmd, env))

    def median(values: Iterable[float | int | None]) -> float:
        return statistics.median(float(v or 0) for v in values)

    seconds = median(r.first_window for r in runs)
    floor_seconds = median(f.first_window for f in floor)
    mib = 2**20
    return _result(
        "gui_startup", seconds, None, floor_seconds,
        f"median of {STARTUP_RUNS} runs of 'python -m estimator.app.main --quit-after-show', timed from the "
        "launch to the first paint of the window (its frame: tabs, menus, 'Loading...'; the app stamps the paint "
        "with time.monotonic()); floor: a bare PySide6 QMainWindow's first paint, stamped the same way, timed in "
        "alternation. ready_seconds: launch -> the Estimate page painted with its estimate and chart (numpy, "
        "pyqtgraph, tables from the binary cache, practice database, page built). first_window_rss: peak "
        "resident memory when the frame painted; peak_rss: over the whole run (it exits once the page is ready).",
        target="first window <= 1.5x the floor; RSS at first paint <= 130 MiB",
        vs_floor=round(seconds / floor_seconds, 2),
        first_window_rss_mib=round(median(r.first_window_rss for r in runs) / mib, 1),
        ready_seconds=round(median(r.ready for r in runs), 4),
        exit_seconds=round(median(r.exit for r in runs), 4),
        peak_rss_mib=round(median(r.peak_rss for r in runs) / mib, 1),
        floor_peak_rss_mib=round(median(f.peak_rss for f in floor) / mib, 1),
        runs_seconds=[round(r.first_window, 4) for r in runs])


BENCHMARKS: dict[str, Callable[[], Result]] = {
    "gui_update_latency": gui_update_latency,
    "gui_startup": gui_startup,
    "gui_input_latency": gui_input_latency,
}


if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHMARKS)
    for name in names:
        print(json.dumps(BENCHMARKS[name]()), flush=True)
