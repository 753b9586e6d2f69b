"""Form fields that validate as you type and never throw away what the user typed.

``ValidatedField``: a line edit with a parse function; a bad entry turns the field red and shows the
problem right under it, and only good values are passed on (``value_changed``).  ``LesionSpinBox``: a
spin box that says why it refused a keystroke instead of silently ignoring it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from estimator.app import theme
from estimator.core.errors import EstimatorError


class ValidatedField(QWidget):
    """A line edit checked on every keystroke.

    Signals:
        value_changed(object): the user typed a valid value (the parsed value).
        validity_changed(bool): the field became valid or invalid.
    """

    value_changed = Signal(object)
    validity_changed = Signal(bool)

    def __init__(self, parse: Callable[[str], Any], text: str = "", *, placeholder: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parse = parse
        self.edit = QLineEdit(text, self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleDescription(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.message = QLabel(self)
        theme.paint(self.message, "error")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.edit)
        layout.addWidget(self.message)
        self.setFocusProxy(self.edit)
        self._valid = True
        self._value: Any = None
        self._check(text)
        self.edit.textEdited.connect(self._edited)

    @property
    def valid(self) -> bool:
        return self._valid

    def value(self) -> Any:
        """The value of the last valid text."""
        return self._value

    def text(self) -> str:
        return str(self.edit.text())

    def error(self) -> str:
        return "" if self._valid else str(self.message.text())

    def set_text(self, text: str) -> None:
        """Replace the text from code (no ``value_changed``)."""
        if text != self.edit.text():
            self.edit.setText(text)
        self._check(text)

    def set_parse(self, parse: Callable[[str], Any]) -> None:
        self._parse = parse
        self._check(self.text())

    def revalidate(self) -> bool:
        """Check the text again (the parse depends on something else that changed)."""
        return self._check(self.text())

    def _edited(self, text: str) -> None:
        if self._check(text):
            self.value_changed.emit(self._value)

    def _check(self, text: str) -> bool:
        try:
            value = self._parse(text)
        except EstimatorError as exc:
            self._set_valid(False, str(exc))
            return False
        self._value = value
        self._set_valid(True, "")
        return True

    def _set_valid(self, valid: bool, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(not valid)
        theme.paint(self.edit, None if valid else "invalid")
        self.edit.setToolTip(message)
        self.edit.setAccessibleDescription(message or self.edit.placeholderText())
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)


class LesionSpinBox(QSpinBox):
    """The lesion count (keyboard up/down, page up/down by 5); says why a keystroke was refused.

    Signals:
        refused(str): a keystroke would have made the count invalid; the message says why.
    """

    refused = Signal(str)

    def __init__(self, minimum: int, maximum: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(minimum, maximum)
        self.setAccelerated(True)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)

    # A printable key that leaves the text unchanged was refused by the spin box's validator.  (Overriding
    # validate() instead runs Python several times per keystroke, and PySide6 6.12.0 mishandles its result.)
    def keyPressEvent(self, event: QKeyEvent) -> None:
        before = self.lineEdit().text()
        super().keyPressEvent(event)
        typed = event.text()
        if typed and typed.isprintable() and self.lineEdit().text() == before:
            self.refused.emit(f"{before + typed!r} refused: the lesion count is a whole number from "
                              f"{self.minimum()} to {self.maximum()} (kept {self.value()})")
