"""Colours, patterns and pens shared by the charts, taken from the palette in force.

A chart's plot area, axes and texts follow the application palette (``Base`` and ``Text``), so a chart
is dark in the dark theme and light in the light one, and a theme change re-styles it at once: every chart
wrapper calls ``restyle()`` on a palette change (see ``follow_palette``).  Each series is named by a *role*
(``nonfacility``, ``facility``, ...) whose colour comes from ``colors()`` for that palette: Okabe-Ito hues,
colour-blind safe, darkened on a light plot and lightened on a dark one so every mark keeps 3:1 against
the plot area (WCAG 1.4.11, checked by a test in both themes).

Colour is never the only difference: curves differ by dash style (each chart sets it), and every role has
its own fill pattern for bars (``PATTERNS``: solid, hatched one way or the other, cross-hatched, striped,
dotted), so series stay apart in greyscale and for readers who cannot tell the hues apart.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QWidget

from estimator.app import theme
from estimator.app.dialogs.service import dialogs

TEXT_ALTERNATIVE_KEYS: Final = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)

Role = Literal["nonfacility", "facility", "patient", "highlight", "second", "muted", "extra1", "extra2", "neutral"]
ROLES: Final[tuple[Role, ...]] = ("nonfacility", "facility", "patient", "highlight", "second", "muted", "extra1",
                                  "extra2", "neutral")

#: On a light plot area: Okabe-Ito hues darkened where needed to reach 3:1 (most reach 4.5:1) on white.
_LIGHT_MARKS: Final[Mapping[Role, str]] = {
    "nonfacility": "#0072B2",  # blue
    "facility": "#C15400",  # vermillion, darkened from #D55E00
    "patient": "#00805D",  # bluish green, darkened from #009E73
    "highlight": "#222222",  # the current-count marker, the practice's bar: near black
    "second": "#A0457A",  # reddish purple, darkened from #CC79A7
    "muted": "#5C7894",  # grey-blue bars
    "extra1": "#1F6E9C",  # sky blue, darkened
    "extra2": "#7A6A00",  # yellow, darkened
    "neutral": "#6F6F6F",  # grey (a bar that is neither the subject nor a comparison, e.g. self-pay)
}
#: On a dark plot area: the same hues, as bright as Okabe-Ito's originals (or brighter) for 3:1 on near black.
_DARK_MARKS: Final[Mapping[Role, str]] = {
    "nonfacility": "#56B4E9",  # sky blue
    "facility": "#E69F00",  # orange
    "patient": "#2BC29A",  # bluish green, lightened from #009E73
    "highlight": "#F2F2F2",  # near white
    "second": "#DE8FBC",  # reddish purple, lightened from #CC79A7
    "muted": "#93AFCB",  # grey-blue bars
    "extra1": "#7FC3EE",  # light blue
    "extra2": "#F0E442",  # yellow
    "neutral": "#A8A8A8",  # grey
}
B = Qt.BrushStyle
#: The fill of each role's bars, all different, so bars are told apart without their colour.  Qt's pattern
#: brushes are cosmetic (drawn in device pixels, Qt >= 6.4), so a hatch looks the same at any axis scale;
#: a hatched bar keeps a solid outline in its colour.
PATTERNS: Final[Mapping[Role, Qt.BrushStyle]] = {
    "muted": B.SolidPattern, "nonfacility": B.BDiagPattern, "facility": B.FDiagPattern,
    "patient": B.DiagCrossPattern, "highlight": B.Dense3Pattern, "second": B.HorPattern, "extra1": B.VerPattern,
    "extra2": B.CrossPattern, "neutral": B.Dense5Pattern,
}
#: Roles for a chart's n-th series (payers in name order): cycles past nine.
SERIES_ROLES: Final[tuple[Role, ...]] = ("nonfacility", "facility", "patient", "second", "extra1", "extra2",
                                         "muted", "highlight", "neutral")
GRID_ALPHA: Final = 0.25


@dataclass(frozen=True, slots=True)
class ChartColors:
    """The colours of a chart under one palette: plot area, text and each role's marks."""

    background: QColor
    text: QColor
    marks: Mapping[Role, QColor]
    dark: bool

    def mark(self, role: Role) -> QColor:
        return QColor(self.marks[role])

    def legend_background(self) -> QColor:
        color = QColor(self.background)
        color.setAlpha(225)
        return color

    def pen(self, role: Role, width: float = 2.0, dash: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
        pen = QPen(self.marks[role], width)
        pen.setStyle(dash)
        pen.setCosmetic(True)  # as pyqtgraph's mkPen: the width is in pixels, whatever the axes' scale
        return pen

    def brush(self, role: Role) -> QBrush:
        """The fill of ``role``'s bars: its colour in its pattern (``PATTERNS``)."""
        return pattern_brush(self.marks[role], PATTERNS[role])

    def bar_pen(self, role: Role) -> QPen:
        """A bar's outline: solid in its colour, wide enough to hold a hatched bar's edge."""
        return self.pen(role, 1.5)


def colors(palette: QPalette | None = None) -> ChartColors:
    """The chart colours for ``palette`` (default: the application's)."""
    palette = palette or QGuiApplication.palette()
    dark = theme.is_dark(palette)
    marks = {role: QColor(value) for role, value in (_DARK_MARKS if dark else _LIGHT_MARKS).items()}
    return ChartColors(QColor(palette.color(QPalette.ColorRole.Base)),
                       QColor(palette.color(QPalette.ColorRole.Text)), marks, dark)


def pattern_brush(color: QColor, pattern: Qt.BrushStyle) -> QBrush:
    """A brush of ``color`` in ``pattern`` (solid, hatched, cross-hatched, dotted...)."""
    return QBrush(color, pattern)


def plot_widget(antialias: bool = True) -> pg.PlotWidget:
    """A plot with a light grid in the palette's colours (``restyle_plot`` repaints it for a new palette)."""
    widget = pg.PlotWidget()
    widget.setAntialiasing(antialias)
    # A small minimum: in a narrow window (1024x768, 2x scaling) the plot shrinks instead of being cut off.
    widget.setMinimumSize(160, 120)
    item = widget.getPlotItem()
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    item.setMenuEnabled(False)
    # Every chart here is a fixed view of its figures: no panning or zooming, no auto-range button.
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    # pyqtgraph creates these menus without a parent, so they would outlive the chart as stray top-level
    # windows; parent them to the plot widget so they are deleted with it.
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None:
            menu.setParent(widget, menu.windowFlags())
    widget.installEventFilter(_TitleFitter(widget))
    restyle_plot(widget)
    return widget


def restyle_plot(widget: pg.PlotWidget, chart: ChartColors | None = None) -> ChartColors:
    """Paint a plot's area, axes, title and legend in ``chart``'s colours (default: the palette's)."""
    chart = chart or colors()
    widget.setBackground(chart.background)
    item = widget.getPlotItem()
    for axis in item.axes.values():
        axis["item"].setPen(pg.mkPen(chart.text))
        axis["item"].setTextPen(pg.mkPen(chart.text))
    legend = item.legend
    if legend is not None:
        legend.setBrush(pg.mkBrush(chart.legend_background()))
        legend.setLabelTextColor(chart.text)
        for sample, label in legend.items:
            label.setText(label.text)  # LabelItem applies a new colour only when its text is set again
            sample.update()
        legend.update()
    fit_title(widget)
    return chart


# --- the title: wrapped to the plot's width instead of widening it --------------------------------------------

_TITLE_TEXT, _TITLE_SIZE = "chart_title", "chart_title_size"
_MAX_TITLE_LINES: Final = 2


def set_title(widget: pg.PlotWidget, text: str, size_pt: float = 11) -> None:
    """Show ``text`` as the plot's title, wrapped (and past two lines elided) to the plot's width.

    pyqtgraph's title would otherwise set the plot's minimum width to the text's, and a long title in a
    narrow window pushes the right of the plot out of view.
    """
    widget.setProperty(_TITLE_TEXT, text)
    widget.setProperty(_TITLE_SIZE, float(size_pt))
    fit_title(widget)


def title_lines(text: str, font: QFont, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` (at most two; the last elided)."""
    metrics = QFontMetricsF(font)
    lines: list[str] = []
    for word in text.split():
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > _MAX_TITLE_LINES:
        lines = [*lines[:_MAX_TITLE_LINES - 1], " ".join(lines[_MAX_TITLE_LINES - 1:])]
    return [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines]


def title_font(size_pt: float) -> QFont:
    font = QFont()
    font.setPointSizeF(size_pt * max(font.pointSizeF(), 1.0) / 9)  # follows the system font size
    return font


def fit_title(widget: pg.PlotWidget) -> None:
    """Lay out the title stored by ``set_title`` for the plot's current width and palette."""
    text = widget.property(_TITLE_TEXT)
    item = widget.getPlotItem()
    if not text:
        return
    font = title_font(float(widget.property(_TITLE_SIZE) or 11))
    lines = title_lines(str(text), font, _room(widget) - 10)  # less the text document's own margins
    color = colors().text.name()
    item.setTitle("<br>".join(html.escape(line) for line in lines), color=color,
                  size=f"{font.pointSizeF():.1f}pt")
    height = QFontMetricsF(font).lineSpacing() * len(lines) + 8
    item.titleLabel.setMaximumHeight(height)
    item.layout.setRowFixedHeight(0, height)


def _room(widget: pg.PlotWidget) -> float:
    """The width the title and a legend below the plot may take: the plot's, less the left axis and margins.

    pyqtgraph makes a title's (and a legend label's) minimum width its text's width, so a text wider than
    this would widen the plot past its view and cut off its right-hand side.
    """
    axis = widget.getPlotItem().getAxis("left")
    axis_width = float(axis.width()) if axis.isVisible() else 0.0
    return max(float(widget.width()) - axis_width - 20.0, 40.0)


def title_text(widget: pg.PlotWidget) -> str:
    """The title as shown (lines joined by a space)."""
    item = widget.getPlotItem()
    return " ".join(item.titleLabel.item.toPlainText().split())


# --- the legend: below the plot, never over the marks -------------------------------------------------------

_LEGEND_BELOW = "chart_legend_below"
_SAMPLE_WIDTH: Final = 20
_LEGEND_SPACING: Final = 14


def legend_below(widget: pg.PlotWidget) -> pg.LegendItem:
    """A legend in its own row under the x axis (as many entries a row as fit), so it covers no mark.

    Series added to the plot with a ``name`` are listed in it, as with pyqtgraph's ``addLegend``.
    """
    item = widget.getPlotItem()
    legend = pg.LegendItem(offset=None, horSpacing=_LEGEND_SPACING, frame=False)
    item.layout.addItem(legend, 4, 1)
    item.layout.setRowStretchFactor(4, 0)
    item.legend = legend
    widget.setProperty(_LEGEND_BELOW, True)
    return legend


def fit_legend(widget: pg.PlotWidget) -> int:
    """Put as many legend entries on a row as the plot's width takes; returns the number of columns."""
    legend = widget.getPlotItem().legend
    if legend is None or not widget.property(_LEGEND_BELOW) or not legend.items:
        return 0
    available = _room(widget)
    widths = [_SAMPLE_WIDTH + label.minimumWidth() + _LEGEND_SPACING + 6 for _sample, label in legend.items]
    columns = 1
    for n in range(len(widths), 0, -1):
        if sum(max(widths[j::n]) for j in range(n)) <= available:
            columns = n
            break
    legend.setColumnCount(columns)
    return columns


class _TitleFitter(QObject):
    """Re-wraps the title and re-flows a legend below the plot when the plot is resized."""

    def __init__(self, widget: pg.PlotWidget) -> None:
        super().__init__(widget)
        self._widget = widget

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self._widget:
            fit_title(self._widget)
            fit_legend(self._widget)
        return False


# --- following the palette ---------------------------------------------------------------------------------------

PALETTE_EVENTS: Final = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


class _PaletteFollower(QObject):
    def __init__(self, widget: QWidget, restyle: Callable[[], object]) -> None:
        super().__init__(widget)
        self._widget, self._restyle, self._last = widget, restyle, ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() in PALETTE_EVENTS:
            # Both events arrive for one change; restyle once per new palette.
            key = f"{colors().background.name()}{colors().text.name()}"
            if key != self._last:
                self._last = key
                self._restyle()
        return False


def follow_palette(widget: QWidget, restyle: Callable[[], object]) -> None:
    """Call ``restyle`` whenever the palette ``widget`` is drawn with changes (a theme switched at run time)."""
    follower = _PaletteFollower(widget, restyle)
    follower._last = f"{colors().background.name()}{colors().text.name()}"
    widget.installEventFilter(follower)


# --- keyboard and screen readers ------------------------------------------------------------------------------------


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
