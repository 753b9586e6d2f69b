"""A combo box whose items carry Python values, kept beside the items rather than in Qt's item data.

Values stay exactly what was put in (``None``, enums, ints) with no QVariant round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget


class ValueCombo(QComboBox):
    """``QComboBox`` with one Python value per item (no signals beyond QComboBox's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[Any] = []

    def add(self, text: str, value: Any) -> None:
        self._values.append(value)
        self.addItem(text)

    def add_all(self, items: Iterable[tuple[str, Any]]) -> None:
        for text, value in items:
            self.add(text, value)

    def clear_items(self) -> None:
        self._values.clear()
        self.clear()

    def value(self) -> Any:
        """The current item's value (``None`` when nothing is selected)."""
        index = self.currentIndex()
        return self._values[index] if 0 <= index < len(self._values) else None

    def value_at(self, index: int) -> Any:
        return self._values[index]

    def values(self) -> list[Any]:
        return list(self._values)

    def index_of(self, value: Any) -> int:
        """The first item holding ``value``, or -1."""
        return next((i for i, v in enumerate(self._values) if v == value), -1)

    def set_value(self, value: Any, *, quiet: bool = True) -> bool:
        """Select the item holding ``value`` (without signals when ``quiet``); False when there is none."""
        index = self.index_of(value)
        if index < 0:
            return False
        if index != self.currentIndex():
            blocked = self.blockSignals(quiet)
            self.setCurrentIndex(index)
            self.blockSignals(blocked)
        return True
