"""What every page shares: the table catalog, the practice store and a background task runner.

Pages receive this object in their constructor (no globals) and listen to its signals.

Signals:
    store_changed: payers, the practice profile, the charge master or the GFE log changed — here, or on another
        workstation sharing the database (seen by polling the store's change counter every few seconds).
    tables_changed: a new fee-schedule release was imported (the catalog was replaced).
    status_posted(str): a short message for the status bar.

Attributes set by the main window: ``estimate_inputs`` (the shared ``EstimateInputs`` of the estimate page,
so the Compare, Documents and other pages price the same visit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QObject, QTimer, Signal

from estimator.app.workers import TaskRunner
from estimator.core.errors import EstimatorError
from estimator.core.payers import Payer
from estimator.core.schedule import TableSet
from estimator.store.roles import Action, Role, why_not
from estimator.store.sql_store import SqlStore
from estimator.tables.shipped import TableCatalog

#: How often the app looks for changes made by other workstations.
POLL_MS: Final = 3000


class AppContext(QObject):
    """Shared state of one running app (see module docstring for the signals)."""

    store_changed = Signal()
    tables_changed = Signal()
    status_posted = Signal(str)

    def __init__(self, catalog: TableCatalog, store: SqlStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.store = store
        self.tasks = TaskRunner(self)
        self.estimate_inputs: QObject | None = None  # the shared EstimateInputs; set by MainWindow
        #: Today's date for the tables reminder and status (tests set another day).
        self.today: Callable[[], dt.date] = dt.date.today
        self.role: Role = store.role()
        self._seen = store.change_counter()
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.poll_timer.start()

    def why_not(self, action: Action) -> str:
        """'' when the connected role may do ``action``, else why not (for a tooltip and a disabled control)."""
        return why_not(self.role, action)

    def poll(self) -> bool:
        """Tell the pages when another workstation (or app) changed the shared data; True when it had."""
        try:
            counter = self.store.change_counter()
        except EstimatorError:  # a lost connection is reported by the next real use, not every few seconds
            return False
        if counter == self._seen:
            return False
        self._seen = counter
        self.store_changed.emit()
        return True

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
        self._seen = self.store.change_counter()  # our own change: the pages reload once, not again on the poll
        self.store_changed.emit()

    def replace_catalog(self, catalog: TableCatalog) -> None:
        """Use a new catalog (after an import or a provisional CF change) and tell every page to re-price."""
        self.catalog = catalog
        self.tables_changed.emit()
