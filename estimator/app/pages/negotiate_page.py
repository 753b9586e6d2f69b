"""The negotiator's page: every payer's weighted % of Medicare on the practice's own mix, what-ifs, targets
and the fee schedule's year-over-year change split into CF, RVU and GPCI effects.

The mix is an illustrative default (the store's payers, the default lesion histogram, 30% with an E/M)
until a scenario ``.toml`` or a past-encounters ``.csv`` is opened.  Every payer's allowed amounts are
priced once per mix with the real claim rules; the rate-change slider reprices the selected payer's changed
contract line by line with ``contracts.what_if_rates_changed`` (the rule ``negotiate --rate-change`` uses:
percentages per unit, rounded half-up once per unit), one payer's claims per slider value, remembered.

Page protocol used by the main window: ``current_table_view()``, ``current_chart()``.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from estimator.app import theme
from estimator.app.charts.yoy_chart import YoyChart, YoySeries
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.text import money, percent
from estimator.app.views.elided_label import WrappingLabel
from estimator.core import contracts as ct
from estimator.core.errors import EstimatorError, InputError
from estimator.core.forecast import (
    ForecastModel,
    PriceTable,
    Scenario,
    build_model,
    cents,
    default_payer_mix,
    price_table,
)
from estimator.core.parsing import MAX_REVENUE, parse_money
from estimator.core.payers import Payer
from estimator.core.schedule import Setting
from estimator.store import scenarios as sc

KEY = "negotiate"
TITLE = "Negotiate"
ORDER = 50

SLIDER_MIN, SLIDER_MAX = -300, 300  # tenths of a percent: -30.0% .. +30.0%
FloatArray = npt.NDArray[np.float64]


class PayerStandingModel(QAbstractTableModel):
    """Payers on the mix with the what-if column (an adapter over core results: it formats, never computes)."""

    HEADERS: Final = ("Payer", "Contract", "% of Medicare", "Encounters", "Revenue", "What-if revenue",
                      "Change")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._standings: list[ct.PayerStanding] = []
        self._contracts: list[str] = []
        self._what_if: FloatArray = np.zeros(0)

    def set_standings(self, standings: list[ct.PayerStanding], contracts: list[str]) -> None:
        self.beginResetModel()
        self._standings = list(standings)
        self._contracts = list(contracts)
        self._what_if = np.array([float(s.revenue_cents) for s in standings], dtype=np.float64)
        self.endResetModel()

    def set_what_if(self, revenue_cents: FloatArray) -> None:
        """New what-if revenues (cents, one per payer); only the two what-if columns change."""
        self._what_if = revenue_cents
        if self._standings:
            self.dataChanged.emit(self.index(0, 5), self.index(len(self._standings) - 1, 6),
                                  [Qt.ItemDataRole.DisplayRole])

    def standing(self, row: int) -> ct.PayerStanding:
        return self._standings[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._standings)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self._standings[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            what_if = cents(float(self._what_if[index.row()]))
            return (s.payer, self._contracts[index.row()], percent(s.pct_of_medicare), f"{float(s.encounters):,.1f}",
                    money(s.revenue_cents), money(what_if), _signed(what_if - s.revenue_cents))[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


def _signed(cents_value: int) -> str:
    return ("+" if cents_value >= 0 else "−") + money(abs(cents_value))


class NegotiatePage(QWidget):
    """Payer table, what-if slider, revenue target and the year-over-year chart.

    Signals:
        mix_changed(): a new mix was opened or the volume changed (prices or encounters recomputed).
        what_if_changed(float): the slider's rate change in %, after the table and summary redrew.
    """

    mix_changed = Signal()
    what_if_changed = Signal(float)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._payers: list[Payer] = []
        self._model: ForecastModel | None = None
        self._basis: ct.ContractBasis | None = None
        self._slider: ct.RateSlider | None = None
        self._what_ifs: dict[tuple[str, int], ct.WhatIf] = {}
        self._scenario = self._default_scenario()
        self._build()
        self.refresh()
        context.store_changed.connect(self._store_changed)

    # --- building ----------------------------------------------------------------------------------------

    def _default_scenario(self) -> Scenario:
        env = sc.Environment.of(self.context.store, self.context.catalog)
        return sc.illustrative_mix(default_payer_mix(env.payer_names), env)

    def _build(self) -> None:
        self.open_button = QPushButton("Open mix…")
        self.open_button.setToolTip("A forecast scenario (.toml) or a CSV of past encounters")
        self.open_button.clicked.connect(lambda: self.open_mix())
        self.mix_label = WrappingLabel()  # plain text: shows user data
        self.volume = QSpinBox()
        self.volume.setAccessibleName("Practice volume, encounters per year")
        self.volume.setRange(0, 1_000_000)
        self.volume.setGroupSeparatorShown(True)
        self.volume.setSuffix(" encounters / year")
        self.volume.setKeyboardTracking(False)
        self.volume.valueChanged.connect(lambda _v: self._volume_changed())

        self.table_model = PayerStandingModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Payers on the practice's mix")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selection_changed())

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(SLIDER_MIN, SLIDER_MAX)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(50)
        self.slider.setTickInterval(50)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.valueChanged.connect(lambda _v: self.update_what_if())
        self.slider_label = QLabel("+0.0%")
        self.what_if_label = WrappingLabel()  # plain text: shows user data
        self.target = QLineEdit()
        self.target.setPlaceholderText("e.g. 250000")
        self.solve_button = QPushButton("Solve")
        self.solve_button.clicked.connect(lambda: self.solve_target())
        self.target.returnPressed.connect(lambda: self.solve_target())
        self.target_label = WrappingLabel()  # plain text: shows user data
        self.problem_label = WrappingLabel()  # plain text: shows user data
        theme.paint(self.problem_label, "error")

        self.yoy_setting = QComboBox()
        self.yoy_setting.addItem("Non-facility (office)", Setting.NONFACILITY.value)
        self.yoy_setting.addItem("Facility", Setting.FACILITY.value)
        self.yoy_setting.currentIndexChanged.connect(lambda _i: self.update_yoy())
        self.yoy_label = WrappingLabel()  # plain text: shows user data
        self.chart = YoyChart()

        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(QLabel("Volume:"))
        top.addWidget(self.volume)
        top.addWidget(self.mix_label, 1)
        what_if_box = QGroupBox("What-if: change the selected payer's rates")
        wl = QVBoxLayout(what_if_box)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.slider_label)
        wl.addLayout(row)
        wl.addWidget(self.what_if_label)
        target_box = QGroupBox("Target: the rate the selected payer would need")
        tl = QFormLayout(target_box)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.solve_button)
        tl.addRow("Revenue target ($ per year)", target_row)
        tl.addRow(self.target_label)
        yoy_box = QGroupBox("Year over year, per unit, in the mix's locality")
        yl = QVBoxLayout(yoy_box)
        yoy_row = QHBoxLayout()
        yoy_row.addWidget(QLabel("Setting:"))
        yoy_row.addWidget(self.yoy_setting)
        yoy_row.addStretch(1)
        yl.addLayout(yoy_row)
        yl.addWidget(self.yoy_label)
        yl.addWidget(self.chart, 1)

        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addLayout(top)
        ul.addWidget(self.problem_label)
        ul.addWidget(self.table, 1)
        controls = QHBoxLayout()
        controls.addWidget(what_if_box, 1)
        controls.addWidget(target_box, 1)
        ul.addLayout(controls)
        # The readouts are WrappingLabels (never squeezed below their lines: in a short window they were cut
        # mid-line); the table and the chart give way instead, down to a usable height, and the splitter
        # keeps each half's minimum size.
        self.table.setMinimumHeight(90)
        self.chart.setMinimumHeight(200)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(yoy_box)
        for index in range(2):
            self.splitter.setCollapsible(index, False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([500, 500])  # scaled to the window; each half keeps its minimum
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

    # --- computing ----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Price every payer on the current mix (the slow part, ~0.1 s) and redraw everything."""
        store = self.context.store
        s = self._scenario
        self._payers = self.context.payers()
        tables = self.context.tables_for_year(s.year)
        try:
            table = price_table(self._payers, store.practice(), tables, self.context.catalog.for_year,
                                locality_key=s.locality_key, em_code=s.em_code, day=s.pricing_day)
            mix = {n: v for n, v in s.payer_mix.items() if any(p.name == n for p in self._payers)}
            scenario = s if len(mix) == len(s.payer_mix) else dataclasses.replace(
                s, payer_mix=default_payer_mix([p.name for p in self._payers]))
            self._model = build_model(scenario, table)
        except EstimatorError as exc:
            self.problem_label.setText(str(exc))
            return
        self.problem_label.setText("; ".join(table.notes[:3]) + (" …" if len(table.notes) > 3 else ""))
        self.volume.blockSignals(True)
        self.volume.setValue(round(float(self._model.total_volume) * 12 / max(len(self._model.months), 1)))
        self.volume.blockSignals(False)
        self.mix_label.setText(f"Mix: {s.name or 'scenario'}; {s.year} fee schedule ({table.release}), "
                               f"locality {s.locality_key}; {s.em_share.normalize():f}% with an E/M "
                               f"({s.em_code})")
        self._set_basis(ct.basis_of(self._model))
        self.update_yoy()
        self.mix_changed.emit()

    def _set_basis(self, basis: ct.ContractBasis) -> None:
        selected = self.selected_payer()
        self._basis = basis
        self._what_ifs.clear()
        self._slider = ct.RateSlider.of(basis)
        self.table_model.set_standings(ct.standings(basis), [p.describe() for p in self._payers])
        names = [s.payer for s in ct.standings(basis)]
        row = names.index(selected) if selected in names else next(
            (i for i, p in enumerate(self._payers) if not p.builtin), 0)
        if names:
            self.table.selectRow(row)
        self.update_what_if()

    def _volume_changed(self) -> None:
        """Scale every payer's encounters to the new annual volume (no repricing needed)."""
        model = self._model
        if model is None or self._basis is None:
            return
        months = len(model.months)
        old_total = model.total_volume
        new_total = Fraction(self.volume.value() * months, 12)
        scale = new_total / old_total if old_total else Fraction(0)
        encounters = {k: v * scale for k, v in ct.basis_of(model).encounters.items()}
        self._set_basis(ct.ContractBasis(model.table, model.mix.clinical(), encounters, months))
        self.mix_changed.emit()

    def selected_payer(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self._basis is None:
            return None
        return self.table_model.standing(rows[0].row()).payer

    def select_payer(self, name: str) -> None:
        """Select a payer's row (as a click would).

        Raises:
            InputError: no such payer.
        """
        for row in range(self.table_model.rowCount()):
            if self.table_model.standing(row).payer.lower() == name.lower():
                self.table.selectRow(row)
                return
        raise InputError(f"no payer named {name!r} on this page")

    def _selection_changed(self) -> None:
        self.update_what_if()
        self.target_label.setText("")

    @property
    def rate_change(self) -> float:
        """The slider's rate change in %."""
        return self.slider.value() / 10.0

    def update_what_if(self) -> None:
        """Redraw the what-if column and summary for the slider's value (array arithmetic only)."""
        change = self.rate_change
        self.slider_label.setText(f"{change:+.1f}%")
        slider, basis, payer = self._slider, self._basis, self.selected_payer()
        if slider is None or basis is None:
            return
        revenue = np.array(slider.baseline, dtype=np.float64)  # only the selected payer changes
        what_if = self.what_if()
        if payer is not None and what_if is not None:
            revenue[slider.payers.index(payer)] = float(what_if.new_cents)
        self.table_model.set_what_if(revenue)
        if payer is None:
            self.what_if_label.setText("Select a payer in the table.")
        else:
            row = slider.payers.index(payer)
            base = float(slider.baseline[row])
            standing = self.table_model.standing(row)
            pct = standing.pct_of_medicare if what_if is None else what_if.pct_of_medicare
            after = "" if pct is None else f"; {float(pct):.2f}% of Medicare on this mix"
            self.what_if_label.setText(f"{payer}: rates {change:+.1f}% → {money(cents(float(revenue[row])))} a year "
                                       f"({_signed(cents(float(revenue[row]) - base))}){after}")
        self.what_if_changed.emit(change)

    def what_if(self) -> ct.WhatIf | None:
        """The selected payer's revenue at the slider's rate change: ``contracts.what_if_rates_changed``, the
        CLI's rule (repriced line by line, rounded per unit); remembered per payer and value for this basis."""
        basis, name = self._basis, self.selected_payer()
        if basis is None or name is None or self._model is None or self.slider.value() == 0:
            return None  # at 0% the baseline is the answer: nothing to reprice
        key = (name, self.slider.value())
        if key not in self._what_ifs:
            payer = next(p for p in self._payers if p.name == name)
            self._what_ifs[key] = ct.what_if_rates_changed(basis, payer, Decimal(self.slider.value()) / 10,
                                                           self._reprice)
        return self._what_ifs[key]

    def solve_target(self, text: str | None = None) -> ct.Target | None:
        """The rate the selected payer needs for the typed revenue target (checked with the real contract)."""
        raw = self.target.text() if text is None else text
        if text is not None:
            self.target.setText(text)
        payer_name, basis, model = self.selected_payer(), self._basis, self._model
        if payer_name is None or basis is None or model is None:
            self.target_label.setText("Select a payer in the table first.")
            return None
        try:
            target_cents = parse_money(raw, "Target", MAX_REVENUE)  # the CLI's rule and bound
        except InputError as exc:
            self.target_label.setText(str(exc))
            return None
        payer = next(p for p in self._payers if p.name == payer_name)
        try:
            target = ct.required_rate(basis, payer, target_cents)
            check = ct.settle_target(target, payer, basis, self._reprice)
        except EstimatorError as exc:
            self.target_label.setText(str(exc))
            return None
        moved = f"{abs(target.rate_change_pct)}% {'higher' if target.rate_change_pct >= 0 else 'lower'}"
        text_out = f"{payer.name} needs rates {moved}"
        if target.required_percent is not None:
            text_out += f": {target.required_percent}% of Medicare (now {percent(payer.percent)})"
        elif target.required_cf is not None:
            text_out += f": own CF ${target.required_cf} (now ${payer.conversion_factor})"
        text_out += f"; {percent(target.equivalent_pct_of_medicare)} of Medicare on this mix."
        if check is not None:
            rate = f"{check.rate}%" if target.required_percent is not None else f"${check.rate}"
            if check.reached:
                text_out += (f" Checked with the real contract (per-line rounding, caps): {rate} brings "
                             f"{money(check.revenue_cents)}.")
            else:
                cap = " Billed charges cap it (lesser of charge)." if payer.lesser_of_charge else ""
                text_out = (f"{payer.name} cannot reach {money(target.target_cents)}: even at {rate} it brings "
                            f"{money(check.revenue_cents)}.{cap}")
        self.target_label.setText(text_out)
        return target

    def _reprice(self, payer: Payer) -> PriceTable:
        assert self._model is not None
        t = self._model.table
        return price_table([payer], self.context.store.practice(), self.context.tables_for_year(t.year),
                           self.context.catalog.for_year, locality_key=t.locality_key, em_code=t.em_code,
                           day=t.day)

    def yoy_series(self) -> YoySeries | None:
        """The chart's data: 17000/17003/17004 and the E/M code, old -> new year, in the chosen setting."""
        s = self._scenario
        if s.year - 1 not in self.context.catalog.years():
            return None
        setting = Setting(str(self.yoy_setting.currentData()))
        d = ct.yoy_decomposition(self.context.tables_for_year(s.year - 1), self.context.tables_for_year(s.year),
                                 ct.featured_codes(s.em_code), [s.locality_key], [setting],
                                 self.context.store.practice().cf_variant)
        effects = d.effects_cents[:, 0, 0, :] / 100.0
        return YoySeries(d.codes, tuple(effects[:, 0].tolist()), tuple(effects[:, 1].tolist()),
                         tuple(effects[:, 2].tolist()), tuple((d.total_cents[:, 0, 0] / 100.0).tolist()),
                         f"{d.old_year} → {d.new_year} change per unit ({setting.label}, {s.locality_key})")

    def update_yoy(self) -> None:
        series = self.yoy_series()
        self.chart.set_series(series)
        if series is None:
            self.yoy_label.setText(f"No {self._scenario.year - 1} tables to compare with.")
        else:
            self.yoy_label.setText("Split in this order: conversion factor first, then RVUs at the new CF, then "
                                   "GPCIs; the three add up to the change of the published amount exactly.")

    # --- files and store ----------------------------------------------------------------------------------

    def open_mix(self, path: Path | None = None) -> bool:
        """Use the mix of a scenario ``.toml`` or a past-encounters ``.csv`` (asks which when None)."""
        if path is None:
            path = dialogs().open_file(self, "Open the practice's mix",
                                       "Scenarios or past encounters (*.toml *.csv);;All files (*)")
            if path is None:
                return False
        env = sc.Environment.of(self.context.store, self.context.catalog)
        try:
            self._scenario = sc.load_mix(Path(path), env)
        except EstimatorError as exc:
            self.problem_label.setText(str(exc))
            return False
        self.refresh()
        return True

    def _store_changed(self) -> None:
        self.refresh()

    # --- main-window protocol -----------------------------------------------------------------------------

    def current_table_view(self) -> QTableView:
        return self.table

    def current_chart(self) -> QWidget:
        return self.chart


def create_page(context: AppContext) -> QWidget:
    return NegotiatePage(context)
