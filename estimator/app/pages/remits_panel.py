"""The Audit page's Remittances tab: open X12 835 files, then the payer scorecard, its chart and the recovery list.

Reading the files and reconciling run off the GUI thread; storing the lines runs on it (the practice
database belongs to the GUI thread) and is one transaction per file.  Patient ids are not shown here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from estimator.app.charts.scorecard_chart import ScorecardChart
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.models.remits_models import RECOVERY_COLUMNS, SCORECARD_COLUMNS, RowsModel, scorecard_table_rows
from estimator.app.workers import Progress, Task
from estimator.core.audit import DEFAULT_TOLERANCE_CENTS
from estimator.core.errors import EstimatorError
from estimator.core.payers import Payer, Practice
from estimator.core.remits import RemitLine
from estimator.core.scorecard import reconcile, recovery_rows, scorecard
from estimator.files import write_text_atomically
from estimator.reports.remits_report import recovery_csv, write_scorecard_pdf
from estimator.store import remits
from estimator.tables.shipped import TableCatalog

FILTERS = "X12 remittances (*.835 *.x12 *.edi *.era *.txt);;All files (*)"


@dataclass(frozen=True, slots=True)
class ReconcileJob:
    """What the background reconciliation needs, gathered on the GUI thread."""

    lines: tuple[RemitLine, ...]
    payers: tuple[Payer, ...]
    practice: Practice
    catalog: TableCatalog
    tolerance_cents: int


def read_files(paths: Sequence[Path], progress: Progress) -> list[tuple[str, list[RemitLine], str]]:
    """Every file's lines and hash, or the first file's error (runs off the GUI thread)."""
    out = []
    for k, path in enumerate(paths):
        progress(k / max(len(paths), 1), f"Reading {path.name}")
        lines, sha = remits.read_file(path)
        out.append((path.name, lines, sha))
    return out


def run_reconcile(job: ReconcileJob, progress: Progress) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The scorecard and the recovery list (runs off the GUI thread)."""
    progress(0.0, "Reconciling with the contracts")
    rec = reconcile(job.lines, payers=job.payers, practice=job.practice, tables_for_date=job.catalog.for_date,
                    tables_for_year=job.catalog.for_year, tolerance_cents=job.tolerance_cents)
    return scorecard(rec), recovery_rows(rec)


def _table(model: RowsModel, parent: QWidget, name: str) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class RemitsPanel(QWidget):
    """Remittances: import, scorecard, chart, recovery list (no signals; status lines go through the context)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.task: Task | None = None
        self.card: dict[str, Any] | None = None
        self.recovery: list[dict[str, Any]] = []
        self.tolerance_cents = DEFAULT_TOLERANCE_CENTS
        self.last_import = ""  # what the last import said, kept above the reconciliation's summary
        self._loaded = False  # the stored remittances are reconciled when the tab is first shown

        self.open_button = QPushButton("Open &remittances…", self)
        self.open_button.setToolTip("Import X12 835 remittance files; lines already imported are skipped")
        self.open_button.clicked.connect(self.open_files)
        self.export_recovery_button = QPushButton("Export recovery list (CSV)…", self)
        self.export_recovery_button.clicked.connect(self.export_recovery)
        self.export_pdf_button = QPushButton("Export scorecard (PDF)…", self)
        self.export_pdf_button.clicked.connect(self.export_pdf)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.score_model = RowsModel(SCORECARD_COLUMNS)
        self.scores = _table(self.score_model, self, "Payer scorecard")
        self.chart = ScorecardChart(self)
        self.recovery_model = RowsModel(RECOVERY_COLUMNS)
        self.recovery_table = _table(self.recovery_model, self, "Recovery list")
        recovery_label = QLabel("Recovery list: underpaid and wrongly denied lines, most money first "
                                "(hover a row for why)", self)
        recovery_label.setBuddy(self.recovery_table)

        bar = QHBoxLayout()
        bar.addWidget(self.open_button)
        bar.addStretch(1)
        bar.addWidget(self.export_recovery_button)
        bar.addWidget(self.export_pdf_button)
        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(self.scores)
        top.addWidget(self.chart)
        top.setSizes([600, 400])
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(recovery_label)
        bottom_layout.addWidget(self.recovery_table, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([320, 260])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.status.setText("Open X12 835 remittance files to see, per payer, what was paid against the contract, "
                            "the denials by reason, and the lines worth appealing.")
        self._set_busy(False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded and self.task is None:
            self.refresh()

    # --- importing and reconciling ---------------------------------------------------------------------------

    def open_files(self) -> None:
        """Ask for a remittance file and import it."""
        path = dialogs().open_file(self, "Open remittances (X12 835)", FILTERS)
        if path is not None:
            self.import_paths([path])

    def import_paths(self, paths: Sequence[Path]) -> Task | None:
        """Read ``paths`` in the background; store them and reconcile when read."""
        try:
            files = remits.files_in(list(paths))
        except EstimatorError as exc:
            self._show_error(str(exc))
            return None
        self._set_busy(True)
        self.task = self.context.tasks.start(lambda progress: read_files(files, progress), finished=self._read,
                                             failed=self._failed, progressed=self._progressed)
        return self.task

    def _read(self, parsed: object) -> None:
        assert isinstance(parsed, list)
        messages = [remits.save(self.context.store, name, sha, lines).message() for name, lines, sha in parsed]
        self.last_import = "\n".join(messages)
        self.status.setText(self.last_import)
        self.context.status_posted.emit(messages[-1] if messages else "Nothing imported")
        self.refresh()

    def refresh(self) -> Task | None:
        """Reconcile every stored line again (after an import, or when the contracts changed)."""
        self._loaded = True
        lines = tuple(remits.load(self.context.store))
        if not lines:
            self._set_busy(False)
            self._show(None, [])
            return None
        job = ReconcileJob(lines, tuple(self.context.store.payers()), self.context.store.practice(),
                           self.context.catalog, self.tolerance_cents)
        self._set_busy(True)
        self.task = self.context.tasks.start(lambda progress: run_reconcile(job, progress), finished=self._reconciled,
                                             failed=self._failed, progressed=self._progressed)
        return self.task

    def _reconciled(self, outcome: object) -> None:
        assert isinstance(outcome, tuple)
        card, recovery = outcome
        self._set_busy(False)
        self._show(card, recovery)

    def _progressed(self, fraction: float, message: str) -> None:
        self.status.setText(message)

    def _failed(self, text: str) -> None:
        self._set_busy(False)
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        self.status.setText(f"Not imported: {text}")
        self.context.status_posted.emit(text)

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self.task = None
        self.open_button.setEnabled(not busy)
        self.export_recovery_button.setEnabled(not busy and self.card is not None)
        self.export_pdf_button.setEnabled(not busy and self.card is not None)

    def _show(self, card: dict[str, Any] | None, recovery: list[dict[str, Any]]) -> None:
        self.card, self.recovery = card, recovery
        self.score_model.set_rows(scorecard_table_rows(card) if card else [])
        self.recovery_model.set_rows(recovery)
        self.chart.set_series(card)
        self.scores.resizeColumnsToContents()
        self.recovery_table.resizeColumnsToContents()
        self._set_busy(False)
        if card:
            total = card["total"]
            text = (f"Reconciled {total['lines']:,} remitted lines: ${total['underpaid']} underpaid, "
                    f"{total['denied_lines']} denied, {len(recovery)} to recover")
            self.status.setText("\n".join(filter(None, (self.last_import, text))))
            self.context.status_posted.emit(text)

    # --- exports -------------------------------------------------------------------------------------------

    def export_recovery(self) -> None:
        """Write the recovery list to a CSV file the user picks (no patient ids)."""
        path = dialogs().save_file(self, "Export recovery list", "recovery-list.csv", "CSV files (*.csv)")
        if path is None:
            return
        try:
            write_text_atomically(path, recovery_csv(self.recovery))
        except EstimatorError as exc:
            self._show_error(str(exc))
            return
        self.context.status_posted.emit(f"Wrote {len(self.recovery)} lines to {path.name}")

    def export_pdf(self) -> None:
        """Write the scorecard and recovery list to a PDF the user picks."""
        if self.card is None:
            return
        path = dialogs().save_file(self, "Export payer scorecard", "payer-scorecard.pdf", "PDF files (*.pdf)")
        if path is None:
            return
        try:
            write_scorecard_pdf(self.card, self.recovery, path)
        except EstimatorError as exc:
            self._show_error(str(exc))
            return
        self.context.status_posted.emit(f"Wrote the payer scorecard to {path.name}")
