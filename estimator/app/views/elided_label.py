"""Labels for readouts that must not be cut: ``ElidedLabel`` (one line, never widens its layout: too long
a text is drawn elided "…", whole in its tooltip and accessible description) and ``WrappingLabel``
(wrapped, and never squeezed below the lines its width needs).

Chart readouts change with every hover and keystroke; a label that grew with them would re-lay out the
page (and resize the chart) each time, and a label cut by its layout would hide the end of the figure
without a word.  ``text()`` stays the whole text, so a screen reader and the tests read all of it.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """A plain-text label drawn on one line, elided at the right when it does not fit (no signals)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._describe()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """What is drawn: the text, elided to the label's width."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._describe()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(),
                                  self.isEnabled(), self.shown_text(), self.foregroundRole())

    def _describe(self) -> None:
        # The whole text where the eye sees only its start: on hover, and for a screen reader.
        elided = self.is_elided()
        self.setToolTip(self.text() if elided else "")
        self.setAccessibleDescription(self.text())


class WrappingLabel(QLabel):
    """A plain-text label wrapped at word boundaries that a layout never makes shorter than its lines.

    A word-wrapped ``QLabel`` tells its layout a minimum height for some guessed width; in a short window
    the layout then squeezed it to less than its lines and the readout was cut mid-line.  This one keeps
    its minimum height at what its current width needs, so the page's splitter or scroll area gives way
    instead.

    ``steady=True``: a new text with fewer lines keeps the height of the longest shown at this width, so
    what sits below does not move back and forth (and is not laid out and repainted) with each change; a
    new width starts afresh.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None, *, steady: bool = False) -> None:
        super().__init__(parent)
        self._steady = steady
        self._held_width = -1
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._hold_height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._hold_height()

    def needed_height(self) -> int:
        """The height the text's lines take at the label's width (``heightForWidth`` counts the minimum too)."""
        if not self.text():
            return 0
        margins = self.contentsMargins()
        width = max(self.width() - margins.left() - margins.right() - 2 * self.margin(), 1)
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap)
        lines = self.fontMetrics().boundingRect(QRect(0, 0, width, 1_000_000), flags, self.text())
        return lines.height() + margins.top() + margins.bottom() + 2 * self.margin()

    def _hold_height(self) -> None:
        needed = self.needed_height()
        if self._steady and self.width() == self._held_width:
            needed = max(needed, self.minimumHeight())
        self._held_width = self.width()
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)
