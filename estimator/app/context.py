"""What every page shares: the table catalog, the practice store and a background task runner.

Pages receive this object in their constructor (no globals) and listen to its signals.

Signals:
    store_changed: payers, the practice profile or the charge master changed.
    tables_changed: a new fee-schedule release was imported (the catalog was replaced).
    status_posted(str): a short message for the status bar.

Attributes set by the main window: ``estimate_inputs`` (the shared ``EstimateInputs`` of the estimate page,
so the Compare, Documents and other pages price the same visit).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, Signal

from estimator.app.workers import TaskRunner
from estimator.core.payers import Payer
from estimator.core.schedule import TableSet
from estimator.store.sqlite_store import SqliteStore
from estimator.tables.shipped import TableCatalog


class AppContext(QObject):
    """Shared state of one running app (see module docstring for the signals)."""

    store_changed = Signal()
    tables_changed = Signal()
    status_posted = Signal(str)

    def __init__(self, catalog: TableCatalog, store: SqliteStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.store = store
        self.tasks = TaskRunner(self)
        self.estimate_inputs: QObject | None = None  # the shared EstimateInputs; set by MainWindow

    def payers(self) -> list[Payer]:
        """Every valid payer of the store; one that fails validation is left out and named in the status bar
        (so a bad row written by another tool never breaks the other payers)."""
        payers = self.store.payers()
        if self.store.payer_problems:
            self.status_posted.emit(" ".join(self.store.payer_problems))
        return payers

    def tables(self, year: int | None = None, on: dt.date | None = None) -> TableSet:
        """Tables for a date of service, else a year, else the newest year."""
        if on is not None:
            return self.catalog.for_date(on)
        return self.catalog.for_year(year if year is not None else self.catalog.years()[-1])

    def tables_for_year(self, year: int) -> TableSet:
        return self.catalog.for_year(year)

    def notify_store_changed(self) -> None:
        self.store_changed.emit()

    def replace_catalog(self, catalog: TableCatalog) -> None:
        """Use a new catalog (after an import) and tell every page to re-price."""
        self.catalog = catalog
        self.tables_changed.emit()
