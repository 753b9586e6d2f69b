"""The negotiator's page: the estimate page's visit priced by every saved payer, in every locality, by year.

Everything comes from ``estimator.core.compare`` (payers, the 109 localities in one vectorized pass, the
years).  The page recomputes only while it is shown: a change elsewhere marks it stale and, if it is
visible, schedules one refresh on the event loop, so typing on the estimate page never waits for it.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from estimator.app import settings as opts
from estimator.app import theme
from estimator.app.charts import style
from estimator.app.charts.bar_chart import BarChart
from estimator.app.context import AppContext
from estimator.app.models.compare import PayerCompareModel, YearCompareModel
from estimator.app.settings import Settings
from estimator.app.state import EstimateInputs, shared_inputs
from estimator.app.text import money, percent
from estimator.core.compare import LocalityRow, PayerRow, YearRow, compare_localities, compare_payers, compare_years
from estimator.core.encounter import price_lines
from estimator.core.errors import EstimatorError
from estimator.core.payers import MEDICARE, SELF_PAY
from estimator.core.schedule import NATIONAL_KEY

KEY = "compare"
TITLE = "Compare"
ORDER = 20
ALL_STATES: Final = "All states"


class ComparePage(QWidget):
    """Payers, localities and years side by side (no signals of its own)."""

    def __init__(self, context: AppContext, state: EstimateInputs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.state = state
        self._stale = True
        self._localities: list[LocalityRow] = []
        self._payer_rows: list[PayerRow] = []
        self._year_rows: list[YearRow] = []
        self._national_cents: int | None = None
        self._saved_state_filter = ALL_STATES
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.message = QLabel(self)
        theme.paint(self.message, "error")
        self.message.setWordWrap(True)
        self.message.hide()

        self.payer_chart = BarChart("Allowed amount by payer", "Allowed ($)", horizontal=True, parent=self)
        self.payer_model = PayerCompareModel()
        self.payer_table = QTableView(self)
        self.payer_table.setModel(self.payer_model)
        self.payer_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.payer_table.verticalHeader().hide()
        self.payer_table.setAlternatingRowColors(True)
        self.payer_table.setWordWrap(False)
        header = self.payer_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        self.state_filter = QComboBox(self)
        self.state_filter.setToolTip("Show the localities of one state")
        self.locality_chart = BarChart("Medicare allowed in each locality (highest first)", "Allowed ($)",
                                       parent=self)
        self.locality_caption = QLabel(self)
        self.locality_caption.setWordWrap(True)

        self.year_chart = BarChart("Medicare allowed by year", "Allowed ($)", parent=self)
        self.year_model = YearCompareModel()
        self.year_table = QTableView(self)
        self.year_table.setModel(self.year_model)
        self.year_table.verticalHeader().hide()
        self.year_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

        payers_box = QGroupBox("Every saved payer", self)
        payers_box.setMinimumHeight(230)
        row = QHBoxLayout(payers_box)
        row.addWidget(self.payer_chart, 4)
        row.addWidget(self.payer_table, 5)

        localities_box = QGroupBox("Every Medicare locality", self)
        loc = QVBoxLayout(localities_box)
        filter_row = QHBoxLayout()
        label = QLabel("&State:")
        label.setBuddy(self.state_filter)
        filter_row.addWidget(label)
        filter_row.addWidget(self.state_filter)
        filter_row.addWidget(self.locality_caption, 1)
        loc.addLayout(filter_row)
        loc.addWidget(self.locality_chart, 1)

        years_box = QGroupBox("Same visit, each year's tables", self)
        years = QVBoxLayout(years_box)
        years.addWidget(self.year_table, 2)
        years.addWidget(self.year_chart, 3)

        bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(localities_box)
        bottom.addWidget(years_box)
        bottom.setSizes([760, 480])
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(payers_box)
        self.split.addWidget(bottom)
        self.split.setSizes([300, 400])
        self.split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)

        self.state_filter.activated.connect(lambda _: self.show_localities())
        self.payer_chart.hovered.connect(lambda _: self._set_chart(self.payer_chart))
        self.locality_chart.hovered.connect(lambda _: self._set_chart(self.locality_chart))
        self.year_chart.hovered.connect(lambda _: self._set_chart(self.year_chart))
        self._chart: BarChart = self.payer_chart
        state.estimate_changed.connect(self.mark_stale)
        context.store_changed.connect(self.mark_stale)
        context.tables_changed.connect(self.mark_stale)

    # --- freshness ----------------------------------------------------------------------------------------

    @property
    def stale(self) -> bool:
        return self._stale

    def mark_stale(self, *_: object) -> None:
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Recompute all three comparisons for the estimate page's current visit (a few milliseconds)."""
        self._stale = False
        est = self.state.estimate
        if est is None:
            self.summary.setText("Nothing to compare: the visit on the Estimate page cannot be priced.")
            return
        inputs = self.state.priced_inputs or self.state.inputs
        encounter = est.claim.encounter
        self.summary.setText(
            f"<b>{inputs.lesions} lesion(s)</b>, {html.escape(est.claim.place.code)} "
            f"{html.escape(est.claim.place.name)} ({est.claim.setting.label}), locality "
            f"{html.escape(self._locality_name(encounter.locality_key))}, {est.claim.release}; "
            f"lines: {html.escape(', '.join(f'{ln.code}×{ln.units}' for ln in est.claim.lines))} "
            "— from the Estimate page.")
        problems: list[str] = []
        try:
            self._payer_rows = compare_payers(est.claim, self.context.payers(), self.state.practice(),
                                              inputs.benefits, self.context.tables_for_year)
        except EstimatorError as exc:
            problems.append(f"Payers: {exc}")
            self._payer_rows = []
        tables = self.context.tables(on=encounter.date_of_service)
        try:
            self._localities = compare_localities(encounter, tables)
            national = price_lines(dataclasses.replace(encounter, locality_key=NATIONAL_KEY), tables)
            self._national_cents = national.total_cents
        except EstimatorError as exc:
            problems.append(f"Localities: {exc}")
            self._localities = []
        years = []
        for year in self.context.catalog.years():
            try:
                years.append(compare_years(encounter, [self.context.tables_for_year(year)])[0])
            except EstimatorError as exc:
                problems.append(f"{year}: {exc}")
        self._year_rows = years
        self.message.setText("\n".join(problems))
        self.message.setVisible(bool(problems))
        self.show_payers()
        self._fill_states()
        self.show_localities()
        self.show_years()

    # --- drawing ------------------------------------------------------------------------------------------

    def show_payers(self) -> None:
        rows = self._payer_rows
        self.payer_model.set_rows(rows)
        medicare = next((r.allowed_cents for r in rows if r.payer == MEDICARE), None)
        roles: list[style.Role] = ["nonfacility" if r.payer == MEDICARE else "neutral" if r.payer == SELF_PAY
                                   else "muted" for r in rows]
        self.payer_chart.set_series(
            [r.payer for r in rows], [r.allowed_cents / 100 for r in rows], roles=roles,
            value_labels=[f" {money(r.allowed_cents)} ({percent(r.pct_of_medicare)})" for r in rows],
            details=[f"{r.payer}: allowed {money(r.allowed_cents)}, payer {money(r.payer_cents, 'unknown')}, "
                     f"patient {money(r.patient_cents, 'unknown: enter benefits')} — {r.contract}" for r in rows],
            reference=(medicare / 100, f"Medicare {money(medicare)}") if medicare else None,
            readout=f"{len(rows)} payers; hover a bar for its split" if rows else "No payers")

    def _fill_states(self) -> None:
        current = self.state_filter.currentText() or self._saved_state_filter
        states = sorted({r.state for r in self._localities})
        self.state_filter.blockSignals(True)
        self.state_filter.clear()
        self.state_filter.addItem(ALL_STATES)
        self.state_filter.addItems(states)
        index = self.state_filter.findText(current)
        self.state_filter.setCurrentIndex(max(index, 0))
        self.state_filter.blockSignals(False)

    def visible_localities(self) -> list[LocalityRow]:
        state = self.state_filter.currentText()
        if not state or state == ALL_STATES:
            return list(self._localities)
        return [r for r in self._localities if r.state == state]

    def show_localities(self) -> None:
        rows = self.visible_localities()
        practice_key = self.state.practice().locality_key
        visit_key = self.state.estimate.claim.encounter.locality_key if self.state.estimate else NATIONAL_KEY
        roles: list[style.Role] = ["highlight" if r.key == practice_key else "nonfacility" if r.key == visit_key
                                   else "muted" for r in rows]
        few = len(rows) <= 12
        self.locality_chart.set_series(
            [f"{r.state} {r.name[:18]}" if few else r.key for r in rows], [r.total_cents / 100 for r in rows],
            roles=roles, value_labels=[money(r.total_cents) for r in rows] if few else None,
            details=[f"#{i} {r.state} · {r.name} ({r.key}): {money(r.total_cents)}"
                     for i, r in enumerate(rows, start=1)],
            reference=(self._national_cents / 100, f"national {money(self._national_cents)}")
            if self._national_cents else None,
            readout="Hover a bar for the locality")
        all_rows = self._localities
        parts = [f"{len(rows)} of {len(all_rows)} localities"]
        for label, key in (("practice", practice_key), ("this visit", visit_key)):
            rank = next((i for i, r in enumerate(all_rows, start=1) if r.key == key), None)
            if rank is not None:
                row = all_rows[rank - 1]
                parts.append(f"{label}: {row.name} {money(row.total_cents)}, #{rank} of {len(all_rows)}")
            elif key == NATIONAL_KEY and label == "practice":
                parts.append("practice locality not set (national)")
        if all_rows:
            parts.append(f"range {money(all_rows[-1].total_cents)}–{money(all_rows[0].total_cents)}")
        self.locality_caption.setText(" · ".join(parts))

    def show_years(self) -> None:
        rows = self._year_rows
        self.year_model.set_rows(rows)
        roles: list[style.Role] = ["nonfacility" if i == len(rows) - 1 else "muted" for i in range(len(rows))]
        self.year_chart.set_series([f"{r.year} ({r.release})" for r in rows], [r.total_cents / 100 for r in rows],
                                   roles=roles, value_labels=[money(r.total_cents) for r in rows],
                                   readout="Medicare fee schedule, same visit and locality")

    def _locality_name(self, key: str) -> str:
        if key == NATIONAL_KEY:
            return "national"
        row = next((r for r in self._localities if r.key == key), None)
        if row is not None:
            return f"{row.name} ({key})"
        try:
            return f"{self.context.tables().localities.locality(key).name} ({key})"
        except EstimatorError:
            return key

    def _set_chart(self, chart: BarChart) -> None:
        self._chart = chart

    # --- page protocol ------------------------------------------------------------------------------------

    def current_table_view(self) -> QTableView:
        return self.payer_table

    def current_chart(self) -> BarChart:
        """The chart last pointed at (the payer chart until then)."""
        return self._chart

    def save_state(self, settings: Settings) -> None:
        settings.set(opts.COMPARE_STATE, self.state_filter.currentText() or ALL_STATES)

    def restore_state(self, settings: Settings) -> None:
        self._saved_state_filter = settings.get(opts.COMPARE_STATE) or ALL_STATES
        index = self.state_filter.findText(self._saved_state_filter)
        if index >= 0:
            self.state_filter.setCurrentIndex(index)
            self.show_localities()


def create_page(context: AppContext) -> ComparePage:
    return ComparePage(context, shared_inputs(context))

