"""Rows of plain data (the scorecard, the recovery list) as a read-only table; adapters only, no arithmetic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
RIGHT: Final = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

#: (key in the row, column title, right-aligned)
Column = tuple[str, str, bool]
SCORECARD_COLUMNS: Final[tuple[Column, ...]] = (
    ("payer", "Payer", False), ("lines", "Lines", True), ("paid", "Paid", True),
    ("patient_responsibility", "Patient", True), ("contract", "Contract", True),
    ("effective_pct_of_medicare", "% of Medicare", True), ("underpaid", "Underpaid", True),
    ("denied_lines", "Denied", True), ("denials", "Denials by reason", False),
    ("median_days_to_payment", "Median days to pay", True))
RECOVERY_COLUMNS: Final[tuple[Column, ...]] = (
    ("payer", "Payer", False), ("payer_claim_id", "Payer claim", False), ("service_date", "Date", False),
    ("code", "Code", False), ("status", "Status", False), ("contract", "Contract", True),
    ("allowed", "Allowed", True), ("at_stake", "At stake", True), ("reason_code", "Reason", False),
    ("action", "What to do", False))


def scorecard_table_rows(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The scorecard's payer rows and total, with the denials written out (display text only)."""
    rows = [*card["payers"], {**card["total"], "payer": "All payers"}]
    return [{**r, "denials": " ".join(f"{k}: {v}" for k, v in r["denials_by_carc"].items()),
             "effective_pct_of_medicare": f"{r['effective_pct_of_medicare']}%" if r["effective_pct_of_medicare"]
             else None,
             "median_days_to_payment": None if r["median_days_to_payment"] is None
             else f"{r['median_days_to_payment']:g}"} for r in rows]


class RowsModel(QAbstractTableModel):
    """Dict rows under fixed columns; the tooltip of a row is its ``why`` where it has one."""

    def __init__(self, columns: Sequence[Column]) -> None:
        super().__init__()
        self._columns = tuple(columns)
        self._rows: list[Mapping[str, Any]] = []

    def set_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> Mapping[str, Any]:
        return self._rows[index]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        key, _, right = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = row.get(key)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and right:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("why")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section][1]
        return None
