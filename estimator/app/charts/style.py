"""Colours and pens shared by the charts, chosen to stay distinct for colour-blind readers (Okabe-Ito)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QKeyEvent

from estimator.app.dialogs.service import dialogs

TEXT_ALTERNATIVE_KEYS: Final = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)

NONFACILITY: Final = QColor("#0072B2")  # blue
FACILITY: Final = QColor("#E69F00")  # orange
PATIENT: Final = QColor("#009E73")  # green
HIGHLIGHT: Final = QColor("#D55E00")  # vermillion
SECOND: Final = QColor("#CC79A7")  # purple
MUTED: Final = QColor("#9DB4C8")  # grey-blue bars
TEXT: Final = QColor("#222222")
GRID_ALPHA: Final = 0.25


def plot_widget(antialias: bool = True) -> pg.PlotWidget:
    """A white-background plot with a light grid, readable in screenshots and print."""
    widget = pg.PlotWidget(background="w")
    widget.setAntialiasing(antialias)
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
    font = QFont()
    font.setPointSize(point_size)
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
