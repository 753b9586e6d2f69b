"""Comparison results as tables: every payer (with % of Medicare), and the same visit by year."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from estimator.app.text import money, percent, plain_tooltip
from estimator.core.compare import PayerRow, YearRow, percent_of

UNKNOWN: Final = "unknown: enter benefits"  # a commercial plan whose benefits were not entered
PAYER_COLUMNS: Final = ("Payer", "Contract", "Allowed", "Payer pays", "Patient owes", "% of Medicare")

Index = QModelIndex | QPersistentModelIndex
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class PayerCompareModel(QAbstractTableModel):
    """One row per payer: ``compare_payers``' result, translated."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[PayerRow] = []

    def set_rows(self, rows: Sequence[PayerRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[PayerRow]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(PAYER_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(PAYER_COLUMNS):
            return PAYER_COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.payer, row.contract, money(row.allowed_cents), money(row.payer_cents, UNKNOWN),
                    money(row.patient_cents, UNKNOWN), percent(row.pct_of_medicare))[column] if column < 6 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(f"{row.payer}: {row.contract}")
        return None


class YearCompareModel(QAbstractTableModel):
    """Code by code, the visit in each year's tables, with the change from the first year to the last."""

    def __init__(self) -> None:
        super().__init__()
        self._years: list[YearRow] = []
        self._codes: list[tuple[str, int]] = []

    def set_rows(self, years: Sequence[YearRow]) -> None:
        self.beginResetModel()
        self._years = list(years)
        seen: dict[tuple[str, int], None] = {}
        for year in self._years:
            for code, units, _ in year.lines:
                seen.setdefault((code, units), None)
        self._codes = list(seen)
        self.endResetModel()

    def _cents(self, year: YearRow, code: str, units: int) -> int | None:
        return next((c for k, u, c in year.lines if k == code and u == units), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() or not self._years else len(self._codes) + 1

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else 2 + len(self._years) + (1 if len(self._years) > 1 else 0)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == 0:
            return "Code"
        if section == 1:
            return "Units"
        if 2 <= section < 2 + len(self._years):
            year = self._years[section - 2]
            return f"{year.year} ({year.release})"
        if section == 2 + len(self._years) and len(self._years) > 1:
            return "Change"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        column = index.column()
        total = index.row() == len(self._codes)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 1:
            return _RIGHT
        if role == Qt.ItemDataRole.FontRole and total:
            font = QFont()
            font.setBold(True)
            return font
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        values: list[int | None]
        if total:
            values = [y.total_cents for y in self._years]
            if column == 0:
                return "Total"
            if column == 1:
                return ""
        else:
            code, units = self._codes[index.row()]
            if column == 0:
                return code
            if column == 1:
                return str(units)
            values = [self._cents(y, code, units) for y in self._years]
        if 2 <= column < 2 + len(values):
            return money(values[column - 2])
        first, last = values[0], values[-1]
        if first is None or last is None:
            return "—"
        change = percent_of(last - first, first)
        return "—" if change is None else f"{'+' if change >= 0 else ''}{change}%"
