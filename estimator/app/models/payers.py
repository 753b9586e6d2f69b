"""The store's payers as a list (name, with the contract in one line as the second line and tooltip)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from estimator.app import theme
from estimator.app.text import plain_tooltip
from estimator.core.payers import Payer

PAYER_ROLE: Final = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


class PayerListModel(QAbstractListModel):
    """One row per payer, in the store's order (built-ins first)."""

    def __init__(self, payers: Sequence[Payer] = ()) -> None:
        super().__init__()
        self._payers: list[Payer] = list(payers)

    def set_payers(self, payers: Sequence[Payer]) -> None:
        self.beginResetModel()
        self._payers = list(payers)
        self.endResetModel()

    def payer(self, row: int) -> Payer:
        return self._payers[row]

    def row_of(self, name: str) -> int:
        """Row of the payer called ``name`` (case-insensitive), or -1."""
        wanted = name.strip().lower()
        return next((i for i, p in enumerate(self._payers) if p.name.lower() == wanted), -1)

    def names(self) -> list[str]:
        return [p.name for p in self._payers]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._payers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._payers):
            return None
        payer = self._payers[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{payer.name}\n    {payer.describe()}"
        if role == Qt.ItemDataRole.EditRole:
            return payer.name
        if role == Qt.ItemDataRole.ToolTipRole:
            built_in = " (built in: cannot be removed or renamed)" if payer.builtin else ""
            notes = f"\n{payer.notes}" if payer.notes else ""
            return plain_tooltip(f"{payer.name}{built_in}\n{payer.describe()}{notes}")
        if role == Qt.ItemDataRole.FontRole and payer.builtin:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and payer.notes.startswith("example"):
            return QBrush(theme.tone("muted"))
        if role == PAYER_ROLE:
            return payer
        return None
