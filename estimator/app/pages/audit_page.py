"""The Audit page: a claims export checked for rule violations, denial risks and underpayments.

"Open claims file..." asks for a CSV, shows the column mapping (the remembered one for that file layout, else
the suggestion from its header) and audits the file off the GUI thread with a progress bar and Cancel.  The
result: a summary, every claim (patient ids shown here, on screen) with a details pane giving each finding's
message, fix and source, the rows that were not audited by line number, and a chart of underpayments by
payer and month.  Exports: the findings as CSV (with patient ids: the user asks for it) and the summary as
PDF (never with patient ids).  Nothing is logged about a patient.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from estimator.app import theme
from estimator.app.charts import style
from estimator.app.charts.underpayment_chart import UnderpaymentChart
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.models.audit_models import ClaimAuditModel, ProblemModel
from estimator.app.models.findings import SEVERITY_LABEL
from estimator.app.pages.remits_panel import RemitsPanel
from estimator.app.workers import Progress, Task
from estimator.core.audit import DEFAULT_TOLERANCE_CENTS, AuditResult, audit_claims, line_dict
from estimator.core.errors import EstimatorError, InputError
from estimator.core.money import format_money
from estimator.core.payers import Payer, Practice
from estimator.reports.audit_report import summary_html, write_findings_csv, write_pdf_summary
from estimator.store import claims_csv
from estimator.store.roles import Action
from estimator.tables.shipped import TableCatalog

KEY = "audit"
TITLE = "Audit"
ORDER = 70
NONE_CHOICE: Final = "(none)"
READ_SHARE: Final = 0.35  # of the progress bar: reading and checking rows; the rest is the audit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditJob:
    """Everything the background audit needs, gathered on the GUI thread (the store stays there)."""

    path: Path
    mapping: claims_csv.ColumnMapping
    catalog: TableCatalog
    payers: tuple[Payer, ...]
    practice: Practice
    tolerance_cents: int


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """An audit's result with what the page shows beside it."""

    path: Path
    rows_read: int
    result: AuditResult


def run_audit(job: AuditJob, progress: Progress) -> AuditOutcome:
    """Read, validate and audit the file (runs off the GUI thread; ``progress`` raises when cancelled)."""
    progress(0.0, f"Reading {job.path.name}")
    catalog = job.catalog

    def zip_locality(zip_code: str, day: dt.date) -> str | None:
        entry = catalog.zip_codes(day.year).get(zip_code)
        return entry.locality_key if entry else None

    parsed = claims_csv.read_claims(job.path, job.mapping, tables_for_date=catalog.for_date,
                                    zip_locality=zip_locality, default_place=job.practice.place_of_service,
                                    default_locality=job.practice.locality_key,
                                    progress=lambda f: progress(READ_SHARE * f, f"Reading {job.path.name}"))
    result = audit_claims(parsed.lines, payers=job.payers, practice=job.practice, tables_for_date=catalog.for_date,
                          tables_for_year=catalog.for_year, tolerance_cents=job.tolerance_cents,
                          problems=parsed.problems,
                          progress=lambda f: progress(READ_SHARE + (1 - READ_SHARE) * f, "Auditing claims"))
    return AuditOutcome(job.path, parsed.rows, result)


class ColumnMappingDialog(QDialog):
    """Which column of the file holds which field, pre-filled; multi-column fields (modifiers, diagnoses)
    take any number of columns."""

    def __init__(self, header: Sequence[str], mapping: claims_csv.ColumnMapping, *, remembered: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Columns of the claims file")
        self.header = list(header)
        self.combos: dict[str, QComboBox] = {}
        self.lists: dict[str, QListWidget] = {}
        intro = QLabel("The mapping remembered for files with these columns is filled in." if remembered else
                       "Guessed from the column names; check it. Fields in bold are required.", self)
        intro.setWordWrap(True)
        form = QFormLayout()
        for field in claims_csv.FIELDS:
            chosen = mapping.get(field.key)
            label = QLabel(f"<b>{html.escape(field.label)}</b>" if field.required else html.escape(field.label))
            if field.help:
                label.setToolTip(field.help)
            if field.multi:
                box = QListWidget(self)
                box.setMaximumHeight(72)
                for name in self.header:
                    item = QListWidgetItem(name, box)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
                box.itemChanged.connect(self._validate)
                self.lists[field.key] = box
                form.addRow(label, box)
            else:
                combo = QComboBox(self)
                combo.addItems([NONE_CHOICE, *self.header])
                combo.setCurrentIndex(combo.findText(chosen[0]) if chosen and chosen[0] in self.header else 0)
                combo.currentIndexChanged.connect(self._validate)
                self.combos[field.key] = combo
                form.addRow(label, combo)
        self.remember = QCheckBox("Remember for files with these columns", self)
        self.remember.setChecked(True)
        self.problem = QLabel(self)
        theme.paint(self.problem, "error")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Audit")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.remember)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._validate()

    def mapping(self) -> claims_csv.ColumnMapping:
        """The mapping as chosen."""
        columns: dict[str, tuple[str, ...]] = {}
        for key, combo in self.combos.items():
            if combo.currentIndex() > 0:
                columns[key] = (combo.currentText(),)
        for key, box in self.lists.items():
            checked = tuple(box.item(i).text() for i in range(box.count())
                            if box.item(i).checkState() == Qt.CheckState.Checked)
            if checked:
                columns[key] = checked
        return claims_csv.ColumnMapping(columns)

    def _validate(self) -> None:
        mapping = self.mapping()
        missing = [claims_csv.FIELD_BY_KEY[k].label for k in mapping.missing()]
        used = [c for cols in mapping.columns.values() for c in cols]
        twice = sorted({c for c in used if used.count(c) > 1})
        problems = ([f"Choose a column for: {', '.join(missing)}."] if missing else []) + \
                   ([f"A column is used twice: {', '.join(twice)}."] if twice else [])
        self.problem.setText(" ".join(problems))
        self.problem.setVisible(bool(problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)


class AuditPage(QWidget):
    """Claims audit (no signals of its own; posts status lines through the context)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.outcome: AuditOutcome | None = None
        self.task: Task | None = None
        self._job: AuditJob | None = None

        self.open_button = QPushButton("&Open claims file…", self)
        self.open_button.clicked.connect(self.open_file)
        self.tolerance = QLineEdit(format_money(DEFAULT_TOLERANCE_CENTS), self)
        self.tolerance.setMaximumWidth(80)
        self.tolerance.setToolTip("A line allowed this much below the contract is not called underpaid (dollars)")
        self.tolerance.editingFinished.connect(self._tolerance_changed)
        tolerance_label = QLabel("&Tolerance $", self)
        tolerance_label.setBuddy(self.tolerance)
        self.only_flagged = QCheckBox("Only claims &with findings", self)
        self.only_flagged.toggled.connect(self._filter_changed)
        self.export_csv_button = QPushButton("Export findings (CSV)…", self)
        self.export_csv_button.setToolTip("Every finding, one row each, with patient ids")
        self.export_csv_button.clicked.connect(self.export_findings)
        self.export_pdf_button = QPushButton("Export summary (PDF)…", self)
        self.export_pdf_button.setToolTip("Counts and totals only; no patient ids")
        self.export_pdf_button.clicked.connect(self.export_summary)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress_label = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))  # Esc stops the audit while it runs
        self.cancel_button.setToolTip("Stop the audit (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        theme.paint(self.message, "error")

        self.summary = QTextBrowser(self)
        self.summary.setAccessibleName("Audit summary")
        self.claim_model = ClaimAuditModel()
        self.claims = QTableView(self)
        self.claims.setAccessibleName("Audited claims")
        self.claims.setModel(self.claim_model)
        self.claims.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.claims.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.claims.setSortingEnabled(True)
        self.claims.verticalHeader().hide()
        self.claims.setAlternatingRowColors(True)
        self.claims.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.claims.horizontalHeader().setStretchLastSection(True)
        self.claims.selectionModel().selectionChanged.connect(self._selection_changed)
        self.details = QTextBrowser(self)
        # Its underpaid lines are coloured in the HTML: drawn again when the theme changes at run time.
        style.follow_palette(self.details, self._redraw_details)
        self.details.setAccessibleName("Selected claim")
        self.problem_model = ProblemModel()
        self.problems = QTableView(self)
        self.problems.setAccessibleName("Rows that could not be read")
        self.problems.setModel(self.problem_model)
        self.problems.verticalHeader().hide()
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.chart = UnderpaymentChart(self)

        claims_split = QSplitter(Qt.Orientation.Vertical, self)
        claims_split.addWidget(self.claims)
        claims_split.addWidget(self.details)
        claims_split.setSizes([400, 220])
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(claims_split, "Claims")
        self.tabs.addTab(self.problems, "Rows not audited")
        self.tabs.addTab(self.chart, "Underpayments")
        self.remits = RemitsPanel(context, self)  # X12 835 remittances and the payer scorecard (issue 18)
        self.tabs.addTab(self.remits, "Remittances")
        self.remits.open_button.clicked.connect(lambda: self.tabs.setCurrentWidget(self.remits))

        bar = QHBoxLayout()
        bar.addWidget(self.open_button)
        bar.addWidget(self.remits.open_button)
        bar.addWidget(tolerance_label)
        bar.addWidget(self.tolerance)
        bar.addWidget(self.only_flagged)
        bar.addStretch(1)
        bar.addWidget(self.export_csv_button)
        bar.addWidget(self.export_pdf_button)
        running = QHBoxLayout()
        running.addWidget(self.progress, 1)
        running.addWidget(self.progress_label, 1)
        running.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(running)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.summary.setPlainText("Open a claims export (CSV, one row per claim line) to audit it: billing rules, "
                                  "payer frequency limits and prior authorization, and underpayments against "
                                  "each payer's contract.")
        self.message.hide()
        self._set_running(False)
        self._show(None)
        not_allowed = context.why_not(Action.AUDIT)  # a shared database's front desk does not audit claims
        if not_allowed:
            self.open_button.setEnabled(False)
            self.open_button.setToolTip(not_allowed)
            self.summary.setPlainText(f"Auditing is not available: {not_allowed}.")

    # --- page protocol (main window) ---------------------------------------------------------------------

    def current_table_view(self) -> QTableView:
        if self.tabs.currentWidget() is self.remits:
            return self.remits.scores
        return self.problems if self.tabs.currentWidget() is self.problems else self.claims

    def current_chart(self) -> QWidget:
        return self.remits.chart if self.tabs.currentWidget() is self.remits else self.chart

    # --- running an audit ---------------------------------------------------------------------------------

    def open_file(self) -> None:
        """Ask for a claims file and its column mapping, then audit it."""
        path = dialogs().open_file(self, "Open claims file", "Claims files (*.csv *.txt *.xlsx *.837 *.x12 *.edi);;"
                                   "All files (*)")
        if path is None:
            return
        try:
            header = claims_csv.read_header(path)
            remembered = claims_csv.remembered_mapping(self.context.store, header)
        except EstimatorError as exc:
            self._fail(str(exc))
            return
        dialog = ColumnMappingDialog(header, remembered or claims_csv.suggest_mapping(header),
                                     remembered=remembered is not None, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        mapping = dialog.mapping()
        if dialog.remember.isChecked():
            claims_csv.remember_mapping(self.context.store, header, mapping)
        self.audit_file(path, mapping)

    def audit_file(self, path: Path, mapping: claims_csv.ColumnMapping) -> Task | None:
        """Audit ``path`` with ``mapping`` in the background; returns the task (None when input is refused)."""
        try:
            tolerance = self._tolerance_cents()
        except InputError as exc:
            self._fail(str(exc))
            return None
        self.cancel()
        job = AuditJob(path, mapping, self.context.catalog, tuple(self.context.payers()),
                       self.context.store.practice(), tolerance)
        self._job = job
        self.message.clear()
        self.message.hide()
        self._set_running(True)
        self.progress_label.setText(f"Reading {path.name}")
        task = self.context.tasks.start(lambda progress: run_audit(job, progress), finished=self._finished,
                                        failed=self._failed, progressed=self._progressed, cancelled=self._cancelled)
        self.task = task
        return task

    def cancel(self) -> None:
        """Stop the running audit (the last finished result stays)."""
        if self.task is not None:
            self.task.cancel()

    def _progressed(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        self.progress_label.setText(message)

    def _finished(self, outcome: object) -> None:
        self.task = None
        self._set_running(False)
        if not isinstance(outcome, AuditOutcome):
            return
        self._show(outcome)
        result = outcome.result
        self.context.status_posted.emit(
            f"Audited {len(result.claims):,} claims of {outcome.path.name}: {len(result.findings):,} findings, "
            f"${format_money(result.underpaid_cents)} underpaid, {len(result.bad_rows):,} bad rows")

    def _failed(self, text: str) -> None:
        self.task = None
        self._set_running(False)
        self._fail(text)

    def _cancelled(self) -> None:
        self.task = None
        self._set_running(False)
        self.progress_label.setText("Audit cancelled")
        self.progress_label.show()
        self.context.status_posted.emit("Audit cancelled")

    def _fail(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.progress_label.setVisible(running)
        self.cancel_button.setVisible(running)
        self.open_button.setEnabled(not running)
        if running:
            self.progress.setValue(0)
        else:
            self.progress_label.setText("")

    def _tolerance_cents(self) -> int:
        text = self.tolerance.text().strip().lstrip("$") or "0"
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InputError(f"the tolerance must be an amount in dollars, e.g. 1.00, got {text!r}") from None
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            raise InputError(f"the tolerance must be dollars and cents, 0 or more, got {text!r}")
        return int(value * 100)

    def _tolerance_changed(self) -> None:
        if self._job is not None and self.task is None:
            try:
                if self._tolerance_cents() != self._job.tolerance_cents:
                    self.audit_file(self._job.path, self._job.mapping)
            except InputError as exc:
                self._fail(str(exc))

    # --- showing the result -------------------------------------------------------------------------------

    def _show(self, outcome: AuditOutcome | None) -> None:
        self.outcome = outcome
        result = outcome.result if outcome else None
        self.claim_model.set_result(result)
        self.problem_model.set_problems(result.problems if result else ())
        self.chart.set_series(result)
        self.details.clear()
        self.export_csv_button.setEnabled(result is not None)
        self.export_pdf_button.setEnabled(result is not None)
        if outcome is not None and result is not None:
            self.summary.setHtml(summary_html(result, source=outcome.path.name, rows_read=outcome.rows_read))
            self.tabs.setTabText(2, f"Rows not audited ({len(result.problems)})")
            self.claims.resizeColumnsToContents()

    def _filter_changed(self, only: bool) -> None:
        self.claim_model.set_only_flagged(only)
        self.details.clear()

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.claims.selectionModel().selectedRows()
        self.show_claim(rows[0].row() if rows else -1)

    def show_claim(self, row: int) -> None:
        """Show claim ``row`` of the table in the details pane (lines, then each finding)."""
        claim = self.claim_model.claim(row)
        if claim is None or self.outcome is None:
            self.details.clear()
            return
        self.details.setHtml(claim_details_html(self.outcome.result, claim_index=self.claim_model.claim_index(row)))

    def _redraw_details(self) -> None:
        rows = self.claims.selectionModel().selectedRows() if self.claims.selectionModel() else []
        self.show_claim(rows[0].row() if rows else -1)

    def export_findings(self) -> None:
        """Write every finding to a CSV file the user picks (patient ids included)."""
        if self.outcome is None:
            return
        path = dialogs().save_file(self, "Export findings (includes patient ids)",
                                   f"{self.outcome.path.stem}-findings.csv", "CSV files (*.csv)")
        if path is None:
            return
        try:
            count = write_findings_csv(self.outcome.result, path)
        except EstimatorError as exc:
            self._fail(str(exc))
            return
        self.context.status_posted.emit(f"Wrote {count:,} findings to {path.name}")

    def export_summary(self) -> None:
        """Write the summary (no patient ids) to a PDF file the user picks."""
        if self.outcome is None:
            return
        path = dialogs().save_file(self, "Export audit summary", f"{self.outcome.path.stem}-audit.pdf",
                                   "PDF files (*.pdf)")
        if path is None:
            return
        try:
            write_pdf_summary(self.outcome.result, path, source=self.outcome.path.name,
                              rows_read=self.outcome.rows_read)
        except EstimatorError as exc:
            self._fail(str(exc))
            return
        self.context.status_posted.emit(f"Wrote the audit summary to {path.name}")


def claim_details_html(result: AuditResult, claim_index: int | None) -> str:
    """One claim for the details pane: who, when, its lines with amounts, and each finding in full."""
    if claim_index is None:
        return ""
    claim = result.claims[claim_index]
    e = html.escape
    numbers = result.lines.line_numbers
    parts = [f"<h3>Claim {e(claim.claim_id)}</h3>",
             f"<p>Patient {e(claim.patient_id)} &middot; {claim.date_of_service.isoformat()} &middot; "
             f"{e(claim.payer)}{'' if claim.payer_known else ' (not in the payer list: payment not audited)'} "
             f"&middot; POS {e(claim.place_of_service)} &middot; locality {e(claim.locality_key)} &middot; "
             f"tables {e(claim.release)}</p>",
             '<table border="1" cellspacing="0" cellpadding="3"><tr><th>Line</th><th>Code</th><th>Units</th>'
             "<th>Modifiers</th><th>Diagnoses</th><th>Billed</th><th>Expected</th><th>Allowed</th><th>Paid</th>"
             "<th>Variance</th></tr>"]
    for i in claim.lines:
        row: dict[str, Any] = line_dict(result, i)
        cells = [row["line"], row["code"], row["units"], " ".join(row["modifiers"]), " ".join(row["diagnoses"]),
                 row["billed"] or "", row["expected"] or "", row["allowed"] or "", row["paid"] or "",
                 row["variance"] or ""]
        style = f' style="color: {theme.tone("error").name()};"' if row["underpaid"] else ""
        parts.append(f"<tr{style}>" + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    if not claim.findings:
        parts.append("<p>No findings.</p>")
    for f in claim.findings:
        finding = f.finding
        where = f" (line {int(numbers[f.line])})" if f.line is not None else ""
        parts.append(f"<p><b>{e(SEVERITY_LABEL[finding.severity])}: {e(finding.code)}</b>{e(where)}<br>"
                     f"{e(finding.message)}<br>"
                     + (f"<i>Fix:</i> {e(finding.fix)}<br>" if finding.fix else "")
                     + f"<small>Source: {e(finding.source)}</small></p>")
    return "".join(parts)


def create_page(context: AppContext) -> QWidget:
    return AuditPage(context)
