"""Browse and search the fee-schedule tables, priced in a chosen locality; import a newer CMS release.

The table is a lazy adapter over the schedule's numpy columns (about 19,000 rows) with a search proxy;
the price column is computed for the whole schedule at once (``price_grid``, vectorized) whenever the
year, locality or setting changes.  "Import CMS release…" runs ``import_release`` on the task runner,
off the GUI thread, with a progress bar and Cancel; when it is done the catalog is rebuilt and every
page re-prices.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from estimator import paths
from estimator.app import settings as opts
from estimator.app import theme
from estimator.app.context import AppContext
from estimator.app.dialogs.service import dialogs
from estimator.app.files import save_text
from estimator.app.models.fee_table import STATUS_NAMES, FeeFilterProxy, FeeTableModel
from estimator.app.settings import Settings
from estimator.app.views.combos import ValueCombo
from estimator.app.views.locality_finder import LocalityFinder
from estimator.app.views.tables_status import ProvisionalCfDialog, status_summary
from estimator.app.workers import Progress, Task
from estimator.core.errors import EstimatorError
from estimator.core.pricing import price_grid
from estimator.core.schedule import NATIONAL_KEY, Setting
from estimator.csv_out import csv_text
from estimator.tables.importing import import_release
from estimator.tables.shipped import TableCatalog, default_catalog

KEY = "tables"
TITLE = "Fee tables"
ORDER = 40
SEARCH_DELAY_MS = 150


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What a finished import hands back to the GUI thread."""

    manifest: dict[str, Any]
    catalog: TableCatalog
    thread_id: int  # the worker thread that did the work (never the GUI thread's)


def run_import(source: Path, user_root: Path, catalog: TableCatalog, progress: Progress) -> ImportResult:
    """Import a CMS release (folder or .zip) and load the new catalog; runs in a worker thread.

    Raises:
        EstimatorError: nothing importable, or a malformed file (named with its line and field).
        Cancelled: the user cancelled.
    """
    thread_id = threading.get_ident()
    progress(0.0, f"reading {source.name}")
    manifest = import_release(source, user_root, catalog, progress=lambda step, done: progress(done * 0.9, step))
    progress(0.92, "loading the new tables")
    fresh = default_catalog()
    fresh.for_year(int(manifest["year"]))
    progress(1.0, "done")
    return ImportResult(manifest, fresh, thread_id)


class TablesPage(QWidget):
    """The fee-schedule browser.

    Signals (on the GUI thread, after the page has updated itself):
        import_finished(ImportResult): a release was imported and the catalog replaced.
        import_failed(str): the import failed; nothing changed.
        import_cancelled(): the user cancelled the import; nothing changed.
    """

    import_finished = Signal(object)
    import_failed = Signal(str)
    import_cancelled = Signal()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.task: Task | None = None
        self.last_import: ImportResult | None = None
        self._prices_stale = True
        self._revealed = False
        tables = context.tables()
        self.model = FeeTableModel(tables)
        self.proxy = FeeFilterProxy(self.model)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search: code (17000) or words of the description")
        self.search.setClearButtonEnabled(True)
        self.status_filter = ValueCombo(self)
        self.status_filter.add("All statuses", "")
        for code in sorted(set(tables.schedule.status.tolist())):
            self.status_filter.add(f"{code} – {STATUS_NAMES.get(code, 'other')[:40]}", code)
        self.year = ValueCombo(self)
        for year in context.catalog.years():
            self.year.add(str(year), year)
        self.year.set_value(tables.year)
        practice = context.store.practice()
        self.locality = LocalityFinder(tables, lambda: context.catalog.zip_codes(self.model.tables.year),
                                       practice.locality_key, self)
        self.locality.set_key(practice.locality_key)
        self.setting = ValueCombo(self)
        self.setting.add("Non-facility (office)", Setting.NONFACILITY.value)
        self.setting.add("Facility", Setting.FACILITY.value)
        self.import_button = QToolButton(self)
        self.import_button.setText("&Import CMS release…")
        self.import_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.import_button)
        menu.addAction("From a folder…", lambda: self.choose_import(folder=True))
        menu.addAction("From a .zip file…", lambda: self.choose_import(folder=False))
        self.import_button.setMenu(menu)
        self.import_button.clicked.connect(lambda: self.choose_import(folder=True))
        self.cf_button = QPushButton("Provisional &CF…", self)
        self.cf_button.setToolTip("Enter next year's conversion factor from the final rule until CMS publishes "
                                  "the tables")
        self.cf_button.clicked.connect(lambda: self.edit_provisional_cf())
        self.tables_status = QLabel(self)
        self.tables_status.setObjectName("tables_status")
        self.tables_status.setAccessibleName("Fee-schedule tables status")
        self.tables_status.setWordWrap(True)
        self.tables_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.view = QTableView(self)
        self.view.setAccessibleName("Fee schedule")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((70, 45, 55, 80, 155, 130, 70, 60, 80, 95)):
            header.resizeSection(column, width)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.count = QLabel(self)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress_label = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        for widget in (self.progress, self.progress_label, self.cancel_button, self.message):
            widget.hide()

        top = QHBoxLayout()
        label = QLabel("&Search:")
        label.setBuddy(self.search)
        top.addWidget(label)
        top.addWidget(self.search, 2)
        top.addWidget(self.status_filter, 1)
        top.addWidget(self.import_button)
        top.addWidget(self.cf_button)
        where = QHBoxLayout()
        for text, field, stretch in (("&Year:", self.year, 0), ("&Locality:", self.locality, 3),
                                     ("Se&tting:", self.setting, 0)):
            lbl = QLabel(text)
            lbl.setBuddy(field)
            where.addWidget(lbl)
            where.addWidget(field, stretch)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 2)
        busy.addWidget(self.progress_label, 2)
        busy.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(where)
        layout.addWidget(self.tables_status)
        layout.addLayout(busy)
        layout.addWidget(self.message)
        layout.addWidget(self.caption)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textEdited.connect(lambda _: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)
        self.status_filter.activated.connect(lambda _: self.apply_search())
        self.year.activated.connect(lambda _: self._year_changed())
        self.locality.locality_chosen.connect(lambda _: self.update_prices())
        self.setting.activated.connect(lambda _: self.update_prices())
        self.cancel_button.clicked.connect(self.cancel_import)
        context.store_changed.connect(self._store_changed)
        context.tables_changed.connect(self.refresh_status)
        self.refresh_status()
        self._update_count()

    # --- status and provisional CF ------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        """Releases by year, provisional years, the release due next (and the December reminder)."""
        self.tables_status.setText(status_summary(self.context.catalog, self.context.today()))

    def edit_provisional_cf(self) -> ProvisionalCfDialog:
        """Open the provisional CF dialog; on Save or Remove every page re-prices."""
        dialog = ProvisionalCfDialog(self.context.catalog, self.context.today(), self)
        dialog.finished.connect(lambda result: self._cf_dialog_done(dialog, result))
        dialog.open()
        return dialog

    def _cf_dialog_done(self, dialog: ProvisionalCfDialog, result: int) -> None:
        if not result:
            return
        if dialog.saved is not None:
            text = (f"Provisional {dialog.saved.year} conversion factor {dialog.saved.cf} saved "
                    f"({dialog.saved.source}); {dialog.saved.year} estimates use it, marked provisional.")
        elif dialog.removed is not None:
            text = f"Provisional {dialog.removed.year} conversion factor removed."
        else:
            text = "No provisional conversion factor was set for that year; nothing changed."
        self.context.replace_catalog(self.context.catalog)  # same catalog, new CFs: every page re-prices
        self.context.status_posted.emit(text)

    # --- browsing -----------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._prices_stale:
            self.update_prices()
        if not self._revealed:
            self._revealed = self.reveal("17000")

    def reveal(self, code: str, modifier: str = "") -> bool:
        """Scroll to a code and select it; False when it is not shown."""
        row = self.model.view_row(code, modifier)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.view.selectRow(index.row())
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        return True

    def apply_search(self) -> None:
        self._search_timer.stop()
        self.proxy.set_search(self.search.text(), str(self.status_filter.value() or ""))
        self._update_count()

    def set_search(self, text: str, status: str = "") -> None:
        """Search now (tests, other pages)."""
        self.search.setText(text)
        if not self.status_filter.set_value(status):
            self.status_filter.setCurrentIndex(0)
        self.apply_search()

    def update_prices(self) -> None:
        """Price the whole schedule in the chosen locality and setting (one vectorized call)."""
        self._prices_stale = False
        tables = self.model.tables
        key = self.locality.key()
        setting = Setting(self.setting.value())
        practice = self.context.store.practice()
        try:
            grid = price_grid(tables, np.arange(len(tables.schedule)), [key], [setting], practice.cf_variant)
        except EstimatorError as exc:
            self.caption.setText(f"No prices: {exc}")
            self.model.set_prices(None, None)
            return
        self.model.set_prices(grid.cents[:, 0, 0], grid.priced[:, 0], "Price", grid.na[:, 0])
        name = "national" if key == NATIONAL_KEY else f"{tables.localities.locality(key).name} ({key})"
        cf = tables.policy.conversion_factor(practice.cf_variant)
        self.caption.setText(f"<b>{tables.release}</b> (effective {tables.effective.isoformat()}) · prices in "
                             f"<b>{name}</b>, {setting.label} setting, CF ${cf} ({practice.cf_variant.value}), "
                             "work GPCI floor on · RVUs as published (hundredths) · "
                             "(NA): CMS marks the setting NA; priced as CMS's payment file does")

    def _year_changed(self) -> None:
        year = int(self.year.value())
        self.model.set_tables(self.context.tables_for_year(year))
        self.proxy.refresh()
        self.locality.set_tables(self.model.tables)
        self.update_prices()
        self._update_count()

    def _store_changed(self) -> None:
        self.locality.set_practice_key(self.context.store.practice().locality_key)
        if self.isVisible():
            self.update_prices()
        else:
            self._prices_stale = True

    def _update_count(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        self.count.setText(f"{shown:,} of {total:,} rows" if shown != total else f"{total:,} rows")

    # --- importing ----------------------------------------------------------------------------------------------

    def choose_import(self, folder: bool = True) -> Task | None:
        if folder:
            source = dialogs().open_directory(self, "Folder with a CMS RVU release (PPRRVU, GPCI … files)")
        else:
            source = dialogs().open_file(self, "CMS RVU release (.zip)", "ZIP archives (*.zip)")
        return self.start_import(source) if source is not None else None

    def start_import(self, source: Path) -> Task:
        """Import ``source`` (folder or .zip) on the task runner; progress shows here, the window stays live."""
        user_root = paths.user_tables_root()
        catalog = self.context.catalog
        self.import_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress_label.setText("starting…")
        for widget in (self.progress, self.progress_label, self.cancel_button):
            widget.show()
        self.cancel_button.setEnabled(True)
        self.message.hide()
        self.task = self.context.tasks.start(
            lambda progress: run_import(source, user_root, catalog, progress),
            finished=self._import_finished, failed=self._import_failed, progressed=self._import_progressed,
            cancelled=self._import_cancelled)
        return self.task

    def cancel_import(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("cancelling…")

    def _import_progressed(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 100))
        self.progress_label.setText(message)

    def _import_done(self, text: str, ok: bool) -> None:
        self.task = None
        self.import_button.setEnabled(True)
        for widget in (self.progress, self.progress_label, self.cancel_button):
            widget.hide()
        self.message.setText(text)
        theme.paint(self.message, "ok" if ok else "error")
        self.message.show()
        self.context.status_posted.emit(text.splitlines()[0])

    def _import_finished(self, result: ImportResult) -> None:
        self.last_import = result
        self.context.replace_catalog(result.catalog)
        manifest = result.manifest
        year = int(manifest["year"])
        self.year.blockSignals(True)
        self.year.clear_items()
        for y in self.context.catalog.years():
            self.year.add(str(y), y)
        self.year.set_value(year)
        self.year.blockSignals(False)
        self._year_changed()
        self._import_done(f"Imported {manifest['release']} ({year}, effective {manifest['effective']}); "
                          "estimates for dates on or after that use it now.", True)
        self.import_finished.emit(result)

    def _import_failed(self, message: str) -> None:
        self._import_done(f"Import failed, nothing changed: {message}", False)
        dialogs().error(self, "Import failed", message)
        self.import_failed.emit(message)

    def _import_cancelled(self) -> None:
        self._import_done("Import cancelled; nothing changed.", False)
        self.import_cancelled.emit()

    # --- page protocol ----------------------------------------------------------------------------------------

    def current_table_view(self) -> QTableView:
        return self.view

    def export_csv(self, path: Path) -> int:
        """Write the rows shown (search applied, in display order) as CSV, straight from the columns.

        Raises:
            InputError: the file cannot be written.
        """
        rows = self.proxy.schedule_rows().tolist()
        save_text(path, csv_text(self.model.header(), (self.model.row_texts(r) for r in rows)))
        return len(rows)

    def save_state(self, settings: Settings) -> None:
        settings.set(opts.TABLES_HEADER, self.view.horizontalHeader().saveState())
        settings.set(opts.TABLES_LOCALITY, self.locality.key())

    def restore_state(self, settings: Settings) -> None:
        header = settings.get(opts.TABLES_HEADER)
        if not header.isEmpty():
            self.view.horizontalHeader().restoreState(header)
        key = settings.get(opts.TABLES_LOCALITY)
        if key and self.locality.set_key(key):
            self._prices_stale = True


def create_page(context: AppContext) -> TablesPage:
    return TablesPage(context)
