"""The Good Faith Estimate log: find an issued estimate, see it, reprint it, and check a later bill against it.

Left, the log (newest first) with a search box (part of a name, a date, or ``#id``).  Right, the selected
estimate as the patient received it, "Save copy (PDF)..." (the logged bytes, identical to the original),
"Print...", and "Compare a bill": the billed total against the estimate, flagged when it is $400 or more
over (the patient may then start patient-provider dispute resolution within 120 days of the bill).
"New Good Faith Estimate..." opens ``GfeDialog`` with the visit on the estimate page.

Page protocol used by the main window: ``KEY``, ``TITLE``, ``ORDER``, ``create_page(context)``;
``current_table_view()`` and ``printable_document()`` (the selected estimate, for Ctrl+P).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QShowEvent, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from estimator.app import theme
from estimator.app.context import AppContext
from estimator.app.dialogs.gfe_dialog import GfeDialog
from estimator.app.dialogs.service import dialogs
from estimator.app.text import money
from estimator.core.errors import EstimatorError
from estimator.core.gfe import DISPUTE_WINDOW_DAYS, NOSURPRISES_PHONE, NOSURPRISES_URL, BillComparison
from estimator.core.parsing import parse_money
from estimator.files import staging_dir, write_bytes_atomically
from estimator.reports.documents import gfe_html, text_document
from estimator.store import gfe_log

log = logging.getLogger(__name__)

KEY = "documents"
TITLE = "Good Faith Estimates"
ORDER = 60

Index = QModelIndex | QPersistentModelIndex

#: Rows the log table shows at once (newest first); a search narrows it down.
SHOWN: Final = 500


class GfeLogModel(QAbstractTableModel):
    """The log's records as table rows (an adapter: it formats, never computes)."""

    COLUMNS: Final = ("#", "Issued", "Patient", "Date of birth", "Scheduled for", "Due by", "Language",
                      "Total", "Keep until")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: list[gfe_log.GfeRecord] = []

    def set_records(self, records: list[gfe_log.GfeRecord]) -> None:
        self.beginResetModel()
        self._records = list(records)
        self.endResetModel()

    def record(self, row: int) -> gfe_log.GfeRecord:
        return self._records[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(r.id), r.issued_at[:10], r.patient_name, r.patient_dob, r.scheduled_date or "requested",
                    r.due_date or "not required", r.lang, money(r.total_cents), r.retain_until)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def comparison_text(result: BillComparison) -> str:
    """What a bill compared with the estimate means for the patient, in one or two sentences."""
    head = f"Estimate {money(result.gfe_total_cents)}, billed {money(result.billed_cents)}: "
    if result.dispute_eligible:
        return (head + f"{money(result.excess_cents)} over the estimate ($400 or more). The patient may start "
                f"patient-provider dispute resolution within {DISPUTE_WINDOW_DAYS} days of the bill "
                f"({NOSURPRISES_URL}, {NOSURPRISES_PHONE}).")
    if result.excess_cents > 0:
        return head + f"{money(result.excess_cents)} over the estimate, under the $400 dispute threshold."
    return head + "not over the estimate."


class DocumentsPage(QWidget):
    """The Good Faith Estimate log page (see the module docstring)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.search = QLineEdit(self)
        self.search.setAccessibleName("Search Good Faith Estimates")
        self.search.setPlaceholderText("Search by patient name, date (2026-12) or #number")
        self.search.setClearButtonEnabled(True)
        self.new_button = QPushButton("New Good Faith Estimate\u2026", self)
        self.model = GfeLogModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Good Faith Estimates issued")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel("No Good Faith Estimates issued yet. Issue one with \u201cNew Good Faith "
                            "Estimate\u2026\u201d; each is kept here for six years.", self)
        self.empty.setWordWrap(True)

        self.preview = QTextBrowser(self)
        self.preview.setAccessibleName("Selected Good Faith Estimate")
        self.preview.setOpenLinks(False)
        self.save_button = QPushButton("Save copy (PDF)\u2026", self)
        self.print_button = QPushButton("Print\u2026", self)
        self.billed = QLineEdit(self)
        self.billed.setAccessibleName("Billed total")
        self.billed.setPlaceholderText("billed total, e.g. 612.50")
        self.compare_button = QPushButton("Compare", self)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Room for the longest verdict (three lines), so a word-wrapped label is never squeezed into one.
        self.result.setMinimumHeight(self.result.fontMetrics().lineSpacing() * 3 + 16)
        self.result.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.save_button)
        actions.addWidget(self.print_button)
        actions.addStretch(1)
        bill = QGroupBox("Compare a bill with this estimate", self)
        bill_layout = QVBoxLayout(bill)
        bill_row = QHBoxLayout()
        bill_row.addWidget(self.billed, 1)
        bill_row.addWidget(self.compare_button)
        bill_layout.addLayout(bill_row)
        bill_layout.addWidget(self.result)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview, 1)
        right_layout.addLayout(actions)
        right_layout.addWidget(bill)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(left)
        self.split.addWidget(right)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.split)

        self.search.textChanged.connect(self.reload)
        context.store_changed.connect(self.reload)  # a GFE issued on another workstation appears here too
        self.new_button.clicked.connect(self.open_new)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.save_button.clicked.connect(self._save_clicked)
        self.print_button.clicked.connect(self._print_clicked)
        self.compare_button.clicked.connect(self.compare)
        self.billed.returnPressed.connect(self.compare)
        self.reload()

    # --- the list -----------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the log (keeping the selected estimate selected when it is still listed)."""
        selected = self.selected_id()
        # The newest SHOWN matches: a keystroke reads those rows only, however long the log is.
        records = gfe_log.list_entries(self.context.store, self.search.text(), limit=SHOWN)
        self.model.set_records(records)
        self.empty.setVisible(not records and not self.search.text().strip())
        ids = [r.id for r in records]
        if selected in ids:
            self.table.selectRow(ids.index(selected))
        elif records:
            self.table.selectRow(0)
        self._show_selected()

    def showEvent(self, event: QShowEvent) -> None:
        # An estimate may have been issued elsewhere (another page's dialog) since the page was last shown.
        self.reload()
        super().showEvent(event)

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.record(rows[0].row()).id if rows else None

    def select_id(self, entry_id: int) -> bool:
        """Select a logged estimate by id (clears the search when it hides it)."""
        for row in range(self.model.rowCount()):
            if self.model.record(row).id == entry_id:
                self.table.selectRow(row)
                return True
        if self.search.text():
            self.search.clear()
            return self.select_id(entry_id)
        return False

    def _selection_changed(self, *_: object) -> None:
        self.result.clear()
        theme.paint(self.result, None)
        self._show_selected()

    def _show_selected(self) -> None:
        entry_id = self.selected_id()
        for button in (self.save_button, self.print_button, self.compare_button):
            button.setEnabled(entry_id is not None)
        if entry_id is None:
            self.preview.clear()
            return
        self.preview.setDocument(self._document(entry_id))

    def _document(self, entry_id: int) -> QTextDocument:
        entry = gfe_log.get(self.context.store, entry_id)
        try:
            source = gfe_html(entry.gfe, entry.record.lang)
        except EstimatorError as exc:
            source = f"<p>Estimate #{entry_id} cannot be shown: {exc}. Its PDF can still be saved.</p>"
        return text_document(source, self)

    # --- actions ------------------------------------------------------------------------------------------

    def open_new(self) -> GfeDialog:
        """Open the dialog for a new estimate, starting from the estimate page's visit when there is one."""
        state = getattr(self.context, "estimate_inputs", None)
        dialog = GfeDialog(self.context, getattr(state, "inputs", None), self)
        dialog.issued.connect(self._issued)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _issued(self, entry_id: int) -> None:
        self.reload()
        self.select_id(entry_id)

    def save_copy(self, path: Any) -> None:
        """Write the selected estimate's logged PDF (byte-identical to the one issued) to ``path``."""
        entry_id = self.selected_id()
        if entry_id is None:
            return
        write_bytes_atomically(path, gfe_log.get(self.context.store, entry_id).pdf, staging=staging_dir())
        self.context.status_posted.emit(f"Saved a copy of Good Faith Estimate #{entry_id}")

    def _save_clicked(self) -> None:
        entry_id = self.selected_id()
        if entry_id is None:
            return
        path = dialogs().save_file(self, "Save a copy of the Good Faith Estimate",
                                   f"good-faith-estimate-{entry_id}.pdf", "PDF files (*.pdf)")
        if path is None:
            return
        try:
            self.save_copy(path)
        except (EstimatorError, OSError) as exc:
            dialogs().error(self, "Good Faith Estimate", str(exc))

    def _print_clicked(self) -> None:
        entry_id = self.selected_id()
        if entry_id is not None:
            dialogs().print_document(self, self._document(entry_id))

    def compare(self) -> BillComparison | None:
        """Compare the billed amount typed with the selected estimate; shows and returns the result."""
        entry_id = self.selected_id()
        if entry_id is None:
            return None
        try:
            result = gfe_log.compare_bill(self.context.store, entry_id, parse_money(self.billed.text(),
                                                                                    "billed total"))
        except EstimatorError as exc:
            theme.paint(self.result, "banner")
            self.result.setText(str(exc))
            return None
        theme.paint(self.result, "banner" if result.dispute_eligible else "ok")
        self.result.setText(comparison_text(result))
        return result

    # --- page protocol ------------------------------------------------------------------------------------

    def current_table_view(self) -> QTableView:
        return self.table

    def printable_document(self) -> QTextDocument:
        """The selected Good Faith Estimate as the patient received it (for Ctrl+P)."""
        entry_id = self.selected_id()
        if entry_id is None:
            return text_document("<p>No Good Faith Estimate is selected.</p>", self)
        return self._document(entry_id)


def create_page(context: AppContext) -> DocumentsPage:
    return DocumentsPage(context)
