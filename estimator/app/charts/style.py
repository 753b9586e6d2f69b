"""Colours and pens shared by the charts, chosen to stay distinct for colour-blind readers (Okabe-Ito).

Charts keep a white plot area in both themes (they are printed and exported as they are shown), so
every mark colour here has at least 3:1 contrast against white (WCAG 1.4.11, checked by a test), and
curves that can overlap also differ by line style (solid, dashed, dotted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QKeyEvent

from estimator.app.dialogs.service import dialogs

TEXT_ALTERNATIVE_KEYS: Final = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)

NONFACILITY: Final = QColor("#0072B2")  # blue
FACILITY: Final = QColor("#C15400")  # vermillion, darkened from Okabe-Ito #D55E00 to reach 4.5:1 on white
PATIENT: Final = QColor("#00805D")  # bluish green, darkened from #009E73
HIGHLIGHT: Final = QColor("#222222")  # the current-count marker: near black
SECOND: Final = QColor("#A0457A")  # reddish purple, darkened from #CC79A7
MUTED: Final = QColor("#5C7894")  # grey-blue bars
EXTRA: Final = (QColor("#1F6E9C"), QColor("#7A6A00"))  # sky blue and yellow, darkened for white
BACKGROUND: Final = QColor("#FFFFFF")
MARK_COLORS: Final = (NONFACILITY, FACILITY, PATIENT, HIGHLIGHT, SECOND, MUTED, *EXTRA)
TEXT: Final = QColor("#222222")
GRID_ALPHA: Final = 0.25


def plot_widget(antialias: bool = True) -> pg.PlotWidget:
    """A white-background plot with a light grid, readable in screenshots and print."""
    widget = pg.PlotWidget(background="w")
    widget.setAntialiasing(antialias)
    # A small minimum: in a narrow window (1024x768, 2x scaling) the plot shrinks instead of being cut off.
    widget.setMinimumSize(160, 120)
    item = widget.getPlotItem()
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    item.setMenuEnabled(False)
    # pyqtgraph creates these menus without a parent, so they would outlive the chart as stray top-level
    # windows; parent them to the plot widget so they are deleted with it.
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None:
            menu.setParent(widget, menu.windowFlags())
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(TEXT))
        axis.setTextPen(pg.mkPen(TEXT))
    return widget


def label_font(point_size: int = 9, bold: bool = False) -> QFont:
    """A chart label font: ``point_size`` is for a 9 pt system font and scales with the system's size."""
    font = QFont()
    font.setPointSizeF(max(font.pointSizeF(), 1.0) * point_size / 9)
    font.setBold(bold)
    return font


class _TextAlternative(QObject):
    """Enter or Space on a focused chart shows its data as text (the chart's alternative for screen readers)."""

    def __init__(self, widget: pg.PlotWidget, name: str, text: Callable[[], str]) -> None:
        super().__init__(widget)
        self._widget, self._name, self._text = widget, name, text

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self._widget.setAccessibleDescription(self._text())  # read when the chart gets focus
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in TEXT_ALTERNATIVE_KEYS:
            dialogs().information(self._widget, self._name, self._text())
            return True
        return False


def make_accessible(widget: pg.PlotWidget, name: str, text: Callable[[], str]) -> None:
    """Name a chart for screen readers and put its data as text one key away (Enter or Space on the chart)."""
    widget.setAccessibleName(f"{name} (chart: press Enter for its data as text)")
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_TextAlternative(widget, name, text))
