"""The practice manager's page: a revenue forecast with uncertainty bands.

Left, the inputs (annual volume, seasonality, E/M share, facility share, the lesion histogram, the payer
mix with collection rates, paths and seed); a scenario file can be opened to fill them and saved to keep
or share them.  Right, the annual totals in large type, the fan chart (P10-P90 band, median, exact
expected line) and the month-by-month table.  Run prices every encounter type with the real claim rules
and simulates off the GUI thread, with a progress bar and Cancel.

Page protocol used by the main window: ``current_table_view()``, ``current_chart()``.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from estimator.app import theme
from estimator.app.charts.fan_chart import FanChart, FanSeries
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.text import money
from estimator.app.workers import Progress, Task
from estimator.core import codes as cs
from estimator.core.errors import EstimatorError, InputError
from estimator.core.forecast import (
    DEFAULT_SEASONALITY,
    LESION_TIERS,
    MONTH_NAMES,
    SEASONALITY_PRESETS,
    ForecastResult,
    Problem,
    Scenario,
    build_model,
    cents,
    default_payer_mix,
    half_up,
    price_table,
    run_forecast,
    scenario_problems,
)
from estimator.core.payers import Payer
from estimator.core.schedule import Setting
from estimator.store import scenarios as sc

KEY = "forecast"
TITLE = "Forecast"
ORDER = 40

DEFAULT_PATHS: Final = 1000
MAX_GUI_PATHS: Final = 200_000
PRESET_LABELS: Final = {"winter": "Winter peak (Nov-Mar busier)", "flat": "Flat"}
CUSTOM: Final = "custom"
PAYER_COL, SHARE_COL, COLLECTED_COL = 0, 1, 2
PROGRESS_STEPS = 1000


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def _dollars(cents: int | float) -> float:
    return float(cents) / 100.0


class ForecastTableModel(QAbstractTableModel):
    """Month-by-month view of a ``ForecastResult`` (an adapter: it formats, never computes)."""

    HEADERS: Final = ("Month", "Encounters", "Expected allowed", "P10", "P50", "P90", "Expected collected",
                      "Collected P10", "Collected P50", "Collected P90")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, ...]] = []

    def set_result(self, result: ForecastResult | None) -> None:
        self.beginResetModel()
        self._rows = [] if result is None else self._format(result)
        self.endResetModel()

    @staticmethod
    def _format(result: ForecastResult) -> list[tuple[str, ...]]:
        e, a, c = result.expected, result.allowed, result.collected
        rows = []
        for i, label in enumerate(result.labels):
            bands: tuple[str, ...] = ("—",) * 6 if a is None or c is None else (
                money(a.p10[i]), money(a.p50[i]), money(a.p90[i]), money(c.p10[i]), money(c.p50[i]), money(c.p90[i]))
            rows.append((label, f"{float(result.model.volumes[i]):,.1f}", money(e.allowed_cents[i]), *bands[:3],
                         money(e.collected_cents[i]), *bands[3:]))
        totals: tuple[str, ...] = ("—",) * 6 if a is None or c is None else (
            money(a.annual_p10), money(a.annual_p50), money(a.annual_p90), money(c.annual_p10),
            money(c.annual_p50), money(c.annual_p90))
        rows.append(("Total", f"{float(result.model.total_volume):,.1f}", money(e.annual_allowed_cents),
                     *totals[:3], money(e.annual_collected_cents), *totals[3:]))
        return rows

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and index.row() == len(self._rows) - 1:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class ForecastPage(QWidget):
    """Inputs, Run/Cancel with progress, the fan chart, totals and the monthly table.

    Signals:
        forecast_started(): a run began.
        forecast_finished(object): the ``ForecastResult`` of a run.
        forecast_failed(str): a run failed (the message is also shown on the page).
        forecast_cancelled(): a run was cancelled.
    """

    forecast_started = Signal()
    forecast_finished = Signal(object)
    forecast_failed = Signal(str)
    forecast_cancelled = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._task: Task | None = None
        self._result: ForecastResult | None = None
        self._base = self._default_scenario()
        self._build()
        self._fill(self._base)
        context.store_changed.connect(self._store_changed)

    # --- building ----------------------------------------------------------------------------------------

    def _default_scenario(self) -> Scenario:
        env = self._environment()
        return sc.illustrative_mix(default_payer_mix(env.payer_names), env, seasonality=DEFAULT_SEASONALITY, name="")

    def _build(self) -> None:
        self.open_button = QPushButton("Open scenario…")
        self.save_button = QPushButton("Save scenario…")
        self.open_button.clicked.connect(lambda: self.open_scenario())
        self.save_button.clicked.connect(lambda: self.save_scenario())
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)

        self.volume = QSpinBox()
        self.volume.setRange(0, 1_000_000)
        self.volume.setGroupSeparatorShown(True)
        self.volume.setSuffix(" encounters / year")
        self.seasonality = QComboBox()
        for key, label in PRESET_LABELS.items():
            self.seasonality.addItem(label, key)
        self.em_share = QDoubleSpinBox()
        self.em_share.setRange(0, 100)
        self.em_share.setDecimals(2)
        self.em_share.setSuffix(" %")
        self.em_code = QComboBox()
        for code in sorted(cs.EM_CODES):
            self.em_code.addItem(code, code)
        self.facility_share = QDoubleSpinBox()
        self.facility_share.setRange(0, 100)
        self.facility_share.setDecimals(2)
        self.facility_share.setSuffix(" %")
        self.facility_share.setToolTip("Share of encounters in a facility setting (hospital outpatient, ASC); "
                                       "the rest are in the office (non-facility rate)")
        self.paths = QSpinBox()
        self.paths.setRange(1, MAX_GUI_PATHS)
        self.paths.setGroupSeparatorShown(True)
        self.paths.setValue(DEFAULT_PATHS)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_147_483_647)
        self.seed.setValue(1)

        self.lesions = QTableWidget(LESION_TIERS, 1)
        self.lesions.setHorizontalHeaderLabels(["Weight"])
        self.lesions.setVerticalHeaderLabels([str(n) for n in range(1, LESION_TIERS)] + [f"{LESION_TIERS}+"])
        self.lesions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.lesions.setMinimumHeight(200)
        self.payers = QTableWidget(0, 3)
        self.payers.setHorizontalHeaderLabels(["Payer", "Share %", "Collected %"])
        self.payers.horizontalHeader().setSectionResizeMode(PAYER_COL, QHeaderView.ResizeMode.Stretch)
        self.payers.setMinimumHeight(160)
        self.payers.itemChanged.connect(lambda _item: self._update_sum())
        self.payer_sum = QLabel()

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        theme.paint(self.problems_label, "error")
        self.run_button = QPushButton("Run forecast")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))  # Esc stops the simulation while it runs
        self.cancel_button.setToolTip("Stop the simulation (Esc)")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(0)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Annual volume", self.volume)
        form.addRow("Seasonality", self.seasonality)
        form.addRow("With a separate E/M", self.em_share)
        form.addRow("E/M visit code", self.em_code)
        form.addRow("Facility setting", self.facility_share)
        form.addRow("Simulated futures (paths)", self.paths)
        form.addRow("Random seed", self.seed)
        files = QHBoxLayout()
        files.addWidget(self.open_button)
        files.addWidget(self.save_button)
        lesion_box = QGroupBox("Lesions per encounter (histogram weights)")
        QVBoxLayout(lesion_box).addWidget(self.lesions)
        payer_box = QGroupBox("Payer mix and collection rates")
        payer_layout = QVBoxLayout(payer_box)
        payer_layout.addWidget(self.payers)
        payer_layout.addWidget(self.payer_sum)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)

        inputs = QWidget()
        left = QVBoxLayout(inputs)
        left.addLayout(files)
        left.addWidget(self.source_label)
        left.addLayout(form)
        left.addWidget(lesion_box)
        left.addWidget(payer_box)
        left.addStretch(1)
        scroll = QScrollArea()
        scroll.setAccessibleName("Forecast inputs")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inputs)
        # Run, Cancel and the progress stay in view below the scrolling inputs.
        panel = QWidget()
        panel.setMinimumWidth(360)
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(scroll, 1)
        panel_layout.addWidget(self.problems_label)
        panel_layout.addLayout(buttons)
        panel_layout.addWidget(self.progress)
        panel_layout.addWidget(self.status_label)

        big = QFont()
        big.setPointSizeF(big.pointSizeF() * 1.6)  # relative: follows the system font size
        big.setBold(True)
        self.allowed_total = QLabel("Expected allowed: —")
        self.collected_total = QLabel("Expected collected: —")
        for total_label in (self.allowed_total, self.collected_total):
            total_label.setFont(big)
            total_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.allowed_band = QLabel()
        self.collected_band = QLabel()
        self.simulation_label = QLabel()
        self.simulation_label.setWordWrap(True)
        self.chart_quantity = QComboBox()
        self.chart_quantity.addItem("Allowed", "allowed")
        self.chart_quantity.addItem("Collected", "collected")
        self.chart_quantity.currentIndexChanged.connect(lambda _i: self._show_chart())
        self.chart = FanChart()
        self.table_model = ForecastTableModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Forecast by month")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()

        totals = QHBoxLayout()
        for value, band in ((self.allowed_total, self.allowed_band),
                            (self.collected_total, self.collected_band)):
            column = QVBoxLayout()
            column.addWidget(value)
            column.addWidget(band)
            totals.addLayout(column)
        chart_bar = QHBoxLayout()
        chart_bar.addWidget(QLabel("Chart:"))
        chart_bar.addWidget(self.chart_quantity)
        chart_bar.addStretch(1)
        results = QWidget()
        right = QVBoxLayout(results)
        right.addLayout(totals)
        right.addWidget(self.simulation_label)
        right.addLayout(chart_bar)
        splitter_right = QSplitter(Qt.Orientation.Vertical)
        splitter_right.addWidget(self.chart)
        splitter_right.addWidget(self.table)
        splitter_right.setStretchFactor(0, 3)
        splitter_right.setStretchFactor(1, 2)
        right.addWidget(splitter_right, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(panel)
        splitter.addWidget(results)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    # --- form <-> scenario -------------------------------------------------------------------------------

    def _fill(self, s: Scenario) -> None:
        """Show a scenario in the form (fields the form lacks stay in ``self._base``)."""
        self._base = s
        monthly = s.monthly_volumes is not None
        self.volume.setEnabled(not monthly)
        self.volume.setToolTip("monthly volumes come from the scenario file" if monthly else "")
        self.volume.setValue(int(s.annual_volume or sum(s.monthly_volumes or (), Decimal(0))))
        preset = next((k for k, v in SEASONALITY_PRESETS.items() if v == s.seasonality), CUSTOM)
        if preset == CUSTOM and self.seasonality.findData(CUSTOM) < 0:
            self.seasonality.addItem("From the scenario file", CUSTOM)
        self.seasonality.setCurrentIndex(self.seasonality.findData(preset))
        self.em_share.setValue(float(s.em_share))
        self.em_code.setCurrentIndex(max(self.em_code.findData(s.em_code), 0))
        total = sum(s.setting_mix.values(), Decimal(0)) or Decimal(1)
        self.facility_share.setValue(float(s.setting_mix.get(Setting.FACILITY, Decimal(0)) * 100 / total))
        tiers = [Decimal(0)] * LESION_TIERS
        for count, weight in s.lesions.items():
            tiers[min(count, LESION_TIERS) - 1] += weight
        for row, weight in enumerate(tiers):
            self.lesions.setItem(row, 0, QTableWidgetItem(f"{weight.normalize():f}"))
        self._fill_payers(s)
        name = s.name or "unsaved scenario"
        self.source_label.setText(f"Scenario: {name}; {s.year} fee schedule, locality {s.locality_key}, "
                                  f"{s.months} months from {s.start:%Y-%m}")

    def _fill_payers(self, s: Scenario) -> None:
        self.payers.blockSignals(True)
        names = self.context.store.payer_names()
        self.payers.setRowCount(len(names))
        for row, name in enumerate(names):
            item = QTableWidgetItem(name)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.payers.setItem(row, PAYER_COL, item)
            share = next((v for k, v in s.payer_mix.items() if k.lower() == name.lower()), Decimal(0))
            self.payers.setItem(row, SHARE_COL, QTableWidgetItem(f"{share.normalize():f}"))
            self.payers.setItem(row, COLLECTED_COL, QTableWidgetItem(f"{s.collection_rate(name).normalize():f}"))
        self.payers.blockSignals(False)
        self._update_sum()

    def _update_sum(self) -> None:
        total = Decimal(0)
        for row in range(self.payers.rowCount()):
            item = self.payers.item(row, SHARE_COL)
            total += _decimal(item.text() if item else "0") or Decimal(0)
        ok = total == 100
        self.payer_sum.setText(f"Shares add up to {total.normalize():f}%" + ("" if ok else " (must be 100%)"))
        theme.paint(self.payer_sum, None if ok else "error")

    def set_payer_share(self, name: str, share: str, collected: str | None = None) -> None:
        """Type a share (and optionally a collection rate) for a payer, as a user would."""
        for row in range(self.payers.rowCount()):
            if _cell(self.payers, row, PAYER_COL).lower() == name.lower():
                self.payers.setItem(row, SHARE_COL, QTableWidgetItem(share))
                if collected is not None:
                    self.payers.setItem(row, COLLECTED_COL, QTableWidgetItem(collected))
                return
        raise InputError(f"no payer row named {name!r}")

    def scenario(self) -> tuple[Scenario | None, list[Problem]]:
        """The scenario the form describes, or the problems that stop it (each naming its field)."""
        problems: list[Problem] = []
        lesions: dict[int, Decimal] = {}
        for row in range(LESION_TIERS):
            item = self.lesions.item(row, 0)
            value = _decimal(item.text() if item else "")
            label = str(row + 1) if row + 1 < LESION_TIERS else f"{LESION_TIERS}+"
            if value is None:
                problems.append(Problem(f"lesions {label}", "weight must be a number"))
            elif value:
                lesions[row + 1] = value
        payer_mix: dict[str, Decimal] = {}
        rates: dict[str, Decimal] = {}
        shares_seen: dict[str, Decimal] = {}
        for row in range(self.payers.rowCount()):
            name = _cell(self.payers, row, PAYER_COL)
            share = _decimal(_cell(self.payers, row, SHARE_COL))
            rate = _decimal(_cell(self.payers, row, COLLECTED_COL))
            if share is None:
                problems.append(Problem(f"share of {name}", "must be a number (%)"))
                continue
            if rate is None:
                problems.append(Problem(f"collected % of {name}", "must be a number (%)"))
                continue
            shares_seen[name] = share
            rates[name] = rate
            if share:
                payer_mix[name] = share
        total = sum(shares_seen.values(), Decimal(0))
        if shares_seen and total != 100:
            problems.append(Problem("payer mix", f"shares sum to {total.normalize():f}%, they must sum to 100%"))
        facility = Decimal(str(self.facility_share.value()))
        setting_mix = {Setting.NONFACILITY: Decimal(100) - facility, Setting.FACILITY: facility}
        preset = self.seasonality.currentData()
        seasonality = self._base.seasonality if preset == CUSTOM else SEASONALITY_PRESETS[str(preset)]
        monthly = self._base.monthly_volumes
        scenario = dataclasses.replace(
            self._base, payer_mix=payer_mix or shares_seen, lesions=lesions,
            annual_volume=None if monthly is not None else Decimal(self.volume.value()),
            seasonality=seasonality, em_share=Decimal(str(self.em_share.value())),
            em_code=str(self.em_code.currentData()), setting_mix=setting_mix, collection_rates=rates)
        if not problems:
            problems += [p for p in scenario_problems(scenario) if p.field != "payer_mix"]
        return (None if problems else scenario), problems

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problems_label.setText("\n".join(str(p) for p in problems))

    # --- files --------------------------------------------------------------------------------------------

    def _environment(self) -> sc.Environment:
        return sc.Environment.of(self.context.store, self.context.catalog)

    def open_scenario(self, path: Path | None = None) -> bool:
        """Fill the form from a scenario ``.toml`` (or a past-encounters ``.csv``); asks which when None."""
        if path is None:
            path = dialogs().open_file(self, "Open a forecast scenario",
                                       "Scenarios or past encounters (*.toml *.csv);;All files (*)")
            if path is None:
                return False
        try:
            scenario = sc.load_mix(Path(path), self._environment())
        except EstimatorError as exc:
            self._show_problems([Problem(Path(path).name, str(exc))])
            return False
        self._fill(scenario)
        self._show_problems([])
        self.context.status_posted.emit(f"Opened {path}")
        return True

    def save_scenario(self, path: Path | None = None) -> bool:
        """Write the form as a scenario file (atomically); asks where when None."""
        scenario, problems = self.scenario()
        if scenario is None:
            self._show_problems(problems)
            return False
        if path is None:
            path = dialogs().save_file(self, "Save the forecast scenario", "forecast_scenario.toml",
                                       "Scenarios (*.toml)")
            if path is None:
                return False
        try:
            sc.save_scenario(Path(path), scenario)
        except EstimatorError as exc:
            dialogs().error(self, "Save failed", str(exc))
            return False
        self.context.status_posted.emit(f"Saved {path}")
        return True

    # --- running ------------------------------------------------------------------------------------------

    def run(self) -> Task | None:
        """Validate the form and start the forecast in the background (None when the form is invalid)."""
        if self._task is not None:
            return None
        scenario, problems = self.scenario()
        self._show_problems(problems)
        if scenario is None:
            return None
        store = self.context.store
        try:
            payers: list[Payer] = [store.payer(name) for name in scenario.payer_mix]
            practice = store.practice()
            tables = self.context.tables_for_year(scenario.year)
            for year in {p.year for p in payers if p.year}:
                self.context.tables_for_year(year)  # loaded here, not concurrently in the worker
        except EstimatorError as exc:
            self._show_problems([Problem("payers", str(exc))])
            return None
        catalog = self.context.catalog
        paths, seed = self.paths.value(), self.seed.value()
        day = scenario.pricing_day

        def work(progress: Progress) -> ForecastResult:
            progress(0.0, "Pricing every encounter type…")
            table = price_table(payers, practice, tables, catalog.for_year, locality_key=scenario.locality_key,
                                em_code=scenario.em_code, day=day)
            model = build_model(scenario, table)
            progress(0.1, "Simulating…")
            return run_forecast(model, paths, seed,
                                progress=lambda f: progress(0.1 + 0.9 * f, f"Simulating… {f:.0%}"))

        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status_label.setText("Starting…")
        self._task = self.context.tasks.start(work, finished=self._finished, failed=self._failed,
                                              progressed=self._progressed, cancelled=self._cancelled)
        self.forecast_started.emit()
        return self._task

    def cancel(self) -> None:
        """Stop the running forecast (it stops at its next chunk)."""
        if self._task is not None:
            self._task.cancel()
            self.status_label.setText("Cancelling…")

    @property
    def running(self) -> bool:
        return self._task is not None

    def _done(self) -> None:
        self._task = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _progressed(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * PROGRESS_STEPS))
        self.status_label.setText(message)

    def _finished(self, result: object) -> None:
        self._done()
        assert isinstance(result, ForecastResult)
        self.progress.setValue(PROGRESS_STEPS)
        self.show_result(result)
        self.forecast_finished.emit(result)

    def _failed(self, message: str) -> None:
        self._done()
        self.status_label.setText("")
        self._show_problems([Problem("forecast", message)])
        self.forecast_failed.emit(message)

    def _cancelled(self) -> None:
        self._done()
        self.progress.setValue(0)
        self.status_label.setText("Cancelled.")
        self.forecast_cancelled.emit()

    # --- results ------------------------------------------------------------------------------------------

    @property
    def result(self) -> ForecastResult | None:
        return self._result

    def show_result(self, result: ForecastResult) -> None:
        """Totals, chart and table for a finished forecast."""
        self._result = result
        e, a, c = result.expected, result.allowed, result.collected
        months = len(result.labels)
        span = "Annual" if months == 12 else f"{months}-month"
        self.allowed_total.setText(f"{span} allowed: {money(e.annual_allowed_cents)}")
        self.collected_total.setText(f"{span} collected: {money(e.annual_collected_cents)}")
        if a is not None and c is not None and result.simulation is not None:
            self.allowed_band.setText(f"P10 {money(a.annual_p10)} · P50 {money(a.annual_p50)} · "
                                      f"P90 {money(a.annual_p90)}")
            self.collected_band.setText(f"P10 {money(c.annual_p10)} · P50 {money(c.annual_p50)} · "
                                        f"P90 {money(c.annual_p90)}")
            sim = result.simulation
            exact = float(sum(e.allowed, Fraction(0)))
            self.simulation_label.setText(
                f"{sim.paths:,} simulated futures (seed {sim.seed}), {sim.total_encounters:,} encounters; "
                f"simulated mean {money(cents(a.annual_mean))} vs exact {money(cents(exact))}. "
                f"Per encounter: {money(half_up(e.per_encounter_allowed))} allowed, "
                f"{money(half_up(e.per_encounter_collected))} collected."
                + ("".join(f"\nNote: {n}" for n in result.model.table.notes)))
        self.status_label.setText("Done.")
        self.table_model.set_result(result)
        self._show_chart()

    def fan_series(self, quantity: str = "allowed") -> FanSeries | None:
        """The chart's data for ``allowed`` or ``collected`` (dollars)."""
        result = self._result
        if result is None:
            return None
        bands = result.allowed if quantity == "allowed" else result.collected
        exact = result.expected.allowed_cents if quantity == "allowed" else result.expected.collected_cents
        labels = tuple(f"{MONTH_NAMES[d.month - 1]} {d:%y}" for d in result.model.months)
        expected = tuple(_dollars(v) for v in exact)
        if bands is None:
            return FanSeries(labels, expected, expected, expected, expected, f"Expected {quantity} revenue")
        return FanSeries(labels, tuple(_dollars(v) for v in bands.p10), tuple(_dollars(v) for v in bands.p50),
                         tuple(_dollars(v) for v in bands.p90), expected, f"Monthly {quantity} revenue")

    def _show_chart(self) -> None:
        self.chart.set_series(self.fan_series(str(self.chart_quantity.currentData())))

    def _store_changed(self) -> None:
        scenario, _ = self.scenario()
        self._fill_payers(scenario or self._base)

    # --- main-window protocol -----------------------------------------------------------------------------

    def current_table_view(self) -> QTableView:
        return self.table

    def current_chart(self) -> QWidget:
        return self.chart


def create_page(context: AppContext) -> QWidget:
    return ForecastPage(context)
