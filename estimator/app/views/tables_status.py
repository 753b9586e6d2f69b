"""The Fee tables page's status: which release prices each year, what is provisional, what is due next,
and the dialog that enters a provisional conversion factor (the same rules as ``estimator tables set-cf``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from estimator import paths
from estimator.core.errors import EstimatorError, InputError
from estimator.tables.provisional_cf import (
    ProvisionalCF,
    clear_provisional_cf,
    parse_cf,
    read_provisional_cfs,
    set_provisional_cf,
)
from estimator.tables.shipped import TableCatalog
from estimator.tables.status import tables_status


def status_summary(catalog: TableCatalog, today: dt.date) -> str:
    """A few plain lines: each year's release (first quarter and last), provisional years, due next."""
    status = tables_status(catalog, today)
    by_year: dict[str, list[str]] = {}
    for q in status.quarters:
        year = q.quarter[:4]
        text = f"{q.release} ({q.origin})" + (f", PROVISIONAL, CF {q.conversion_factor}" if q.provisional else "")
        if text not in by_year.setdefault(year, []):
            by_year[year].append(text)
    lines = ["Tables by year of service: " + " · ".join(f"{y}: {' then '.join(t)}" for y, t in by_year.items()),
             f"Due next: {status.due_next}."]
    if status.reminder:
        lines.append(status.reminder)
    if status.ptp:
        lines.append("NCCI PTP pair edits (imported by you, 'estimator tables import-ptp'): " + " · ".join(status.ptp))
    return "\n".join(lines)


def save_provisional_cf(catalog: TableCatalog, year_text: str, cf_text: str, source: str,
                        today: dt.date) -> ProvisionalCF:
    """Validate and store a provisional CF, and make ``catalog`` use it.

    Raises:
        InputError: the year already has tables, the CF is malformed or implausible, no source.
    """
    year = _year(catalog, year_text)
    newest = catalog.newest()
    entry = set_provisional_cf(paths.user_tables_root(), year, parse_cf(cf_text, Decimal(newest.conversion_factor)),
                               source, today)
    catalog.set_provisional_cfs(read_provisional_cfs(paths.user_tables_root()))
    return entry


def remove_provisional_cf(catalog: TableCatalog, year_text: str) -> ProvisionalCF | None:
    """Remove a year's provisional CF (``None`` when there was none) and make ``catalog`` forget it."""
    year = int(year_text) if year_text.strip().isdigit() else _year(catalog, year_text)
    removed = clear_provisional_cf(paths.user_tables_root(), year)
    catalog.set_provisional_cfs(read_provisional_cfs(paths.user_tables_root()))
    return removed


def _year(catalog: TableCatalog, text: str) -> int:
    if not (text.strip().isdigit() and len(text.strip()) == 4):
        raise InputError(f"year must be 4 digits, e.g. {catalog.newest().year + 1}, got {text!r}")
    year = int(text)
    if year <= catalog.newest().year:
        raise InputError(f"{year} already has CMS tables; a provisional conversion factor is only for a year after "
                         f"{catalog.newest().year}")
    return year


class ProvisionalCfDialog(QDialog):
    """Year, conversion factor and source; Save checks them and keeps the dialog open on a bad entry."""

    def __init__(self, catalog: TableCatalog, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.today = today
        self.saved: ProvisionalCF | None = None
        self.removed: ProvisionalCF | None = None
        self.setWindowTitle("Provisional conversion factor")
        year = catalog.newest().year + 1
        current = catalog.provisional_cfs.get(year)
        self.year = QLineEdit(str(year), self)
        self.year.setAccessibleName("Year")
        self.cf = QLineEdit(str(current.cf) if current else "", self)
        self.cf.setAccessibleName("Conversion factor")
        self.cf.setPlaceholderText(f"e.g. {catalog.newest().conversion_factor} (4 decimals, from the final rule)")
        self.source = QLineEdit(current.source if current else "", self)
        self.source.setAccessibleName("Source")
        self.source.setPlaceholderText(f"e.g. CY {year} PFS final rule")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Error")
        intro = QLabel(f"Used with the {catalog.newest().year} RVUs and GPCIs for dates in that year until its CMS "
                       "release is imported; every estimate says so.", self)
        intro.setWordWrap(True)
        form = QFormLayout()
        for text, field in (("&Year:", self.year), ("&Conversion factor:", self.cf), ("&Source:", self.source)):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.remove_button = buttons.addButton("&Remove", QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.remove_button.clicked.connect(self.remove)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            self.saved = save_provisional_cf(self.catalog, self.year.text(), self.cf.text(), self.source.text(),
                                             self.today)
        except EstimatorError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def remove(self) -> None:
        try:
            self.removed = remove_provisional_cf(self.catalog, self.year.text())
        except EstimatorError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
