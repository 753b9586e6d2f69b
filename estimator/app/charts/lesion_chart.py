"""Payment by lesion count: a step chart of the expected allowed amount for 1..40 lesions.

Two step curves (non-facility and facility setting) and the patient's share in the visit's own setting,
a marker at the current count, and the 14 -> 15 cliff annotated (15 or more lesions bill 17004 alone).
``set_series`` is called only when something other than the lesion count changes; a new count only
moves the marker (``set_current``), which keeps a keystroke well under one frame.

A new series (another payer, locality, place or date) replaces the curves' data only: the axes and the
legend are painted from a pixmap cache, and the y range is changed only when the new curves leave it or
would fill less than half of it, so most changes repaint neither axis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from estimator.app.charts import style
from estimator.app.state import LesionSeries
from estimator.app.views.elided_label import ElidedLabel
from estimator.core.schedule import Setting

TITLE = "Expected allowed amount by lesion count"
ANNOTATION = "15+: 17004 replaces\n17000 + 17003"  # two lines: one was cut at the right edge at 1024 px
#: Headroom above the highest curve for the annotation; the range is kept while the curves fill 50-100% of it.
HEADROOM = 1.4  # room for the two-line annotation above the highest curve
KEEP_RANGE_BELOW = 0.5
_SETTING_NAMES = {Setting.NONFACILITY: "non-facility", Setting.FACILITY: "facility"}


def _money(value: float) -> str:
    return f"${value:,.2f}"


class LesionChart(QWidget):
    """Step chart of payment against lesion count.

    Signals:
        hovered(int): the lesion count under the mouse pointer (0 when it leaves the data).
    """

    hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, antialias: bool = True) -> None:
        super().__init__(parent)
        self._series: LesionSeries | None = None
        self._current = 0
        # The readout changes with every keystroke and hover: its text must never resize the plot (a resize
        # re-lays out and repaints both axes, the costliest part of a frame); a long one is elided, whole in
        # its tooltip and accessible description.
        self.readout = ElidedLabel("", self)
        self.readout.setObjectName("chartReadout")
        # The 14 -> 15 step in words, beside the chart: the amount comes from the priced series.
        self.step_note = QLabel(self)
        self.step_note.setObjectName("chartStepNote")
        self.step_note.setWordWrap(True)
        self.step_note.setTextFormat(Qt.TextFormat.PlainText)
        self.plot_widget = style.plot_widget(antialias)
        item = self.plot_widget.getPlotItem()
        style.set_title(self.plot_widget, TITLE, 11)
        item.setLabel("bottom", "Lesions destroyed")
        item.setLabel("left", "Allowed ($)")
        # Below the x axis: inside the plot it covered the facility and patient curves in a narrow window.
        legend = style.legend_below(self.plot_widget)
        # Axes and legend change rarely: blit them from a cache instead of re-painting them with every curve.
        cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
        legend.setCacheMode(cached)
        for axis in item.axes.values():
            axis["item"].setCacheMode(cached)
        self._y_top = 0.0
        # Told apart by line style as well as colour: solid, dashed, dotted.
        self._curves = {
            Setting.NONFACILITY: pg.PlotDataItem(stepMode="center", name="Non-facility (office)"),
            Setting.FACILITY: pg.PlotDataItem(stepMode="center", name="Facility (hospital, ASC)"),
        }
        self._patient = pg.PlotDataItem(stepMode="center", name="Patient share (this visit's setting)")
        for curve in (*self._curves.values(), self._patient):
            item.addItem(curve)
        self._break_line = pg.InfiniteLine(pos=14.5, angle=90, movable=False)
        self._annotation = pg.TextItem(ANNOTATION, anchor=(0, 0))
        self._annotation.setFont(style.label_font(9, bold=True))
        self._marker_line = pg.InfiniteLine(angle=90, movable=False)
        self._marker = pg.ScatterPlotItem(size=12)
        self._hover_line = pg.InfiniteLine(angle=90, movable=False)
        self._hover_line.hide()
        for extra in (self._break_line, self._annotation, self._marker_line, self._hover_line, self._marker):
            item.addItem(extra, ignoreBounds=True)
        self.restyle()
        style.follow_palette(self, self.restyle)
        # Rate-limited hover readout (pyqtgraph's SignalProxy), as in its crosshair example.
        self._proxy = pg.SignalProxy(item.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.step_note)
        style.make_accessible(self.plot_widget, TITLE, self.text_alternative)

    def restyle(self) -> None:
        """Colour everything from the palette in force (at start and whenever the theme changes)."""
        chart = style.restyle_plot(self.plot_widget)
        dash, dot = Qt.PenStyle.DashLine, Qt.PenStyle.DotLine
        self._curves[Setting.NONFACILITY].setPen(chart.pen("nonfacility", 2.5))
        self._curves[Setting.FACILITY].setPen(chart.pen("facility", 2.5, dash))
        self._patient.setPen(chart.pen("patient", 3, dot))
        self._break_line.setPen(pg.mkPen(chart.text, width=1, style=dot))
        self._annotation.setColor(chart.text)
        self._marker_line.setPen(chart.pen("highlight", 1.5, dash))
        self._marker.setBrush(pg.mkBrush(chart.mark("highlight")))
        self._marker.setPen(pg.mkPen(chart.background, width=1.5))
        hover = QColor(chart.text)
        hover.setAlpha(110)
        self._hover_line.setPen(pg.mkPen(hover))

    # --- data ---------------------------------------------------------------------------------------------

    def set_series(self, series: LesionSeries | None, current: int | None = None) -> None:
        """Show a new lesion series (``None`` clears the chart), marking ``current`` (default: the count marked)."""
        self._series = series
        if current is not None:
            self._current = int(current)
        if series is None:
            for curve in (*self._curves.values(), self._patient):
                curve.setData([], [])
            self._marker.setData([], [])
            self.readout.setText("No chart: the visit cannot be priced as entered.")
            self.step_note.setText("")
            return
        edges = np.arange(0.5, len(series.counts) + 1.0)
        for setting, curve in self._curves.items():
            curve.setData(edges, series.allowed[setting])
        self._patient.setData(edges, series.patient)
        top = max(float(max(v.max() for v in series.allowed.values())), float(series.patient.max()), 1.0)
        item = self.plot_widget.getPlotItem()
        (x_low, x_high), _ = item.viewRange()
        if (x_low, x_high) != (0.5, len(series.counts) + 0.5):
            item.setXRange(0.5, len(series.counts) + 0.5, padding=0)
        if not KEEP_RANGE_BELOW * self._y_top <= top * HEADROOM <= self._y_top:
            self._y_top = top * HEADROOM
            item.setYRange(0, self._y_top, padding=0)
        self._break_line.setPos(series.tier_break - 0.5)
        self._break_line.setVisible(series.tier_break <= len(series.counts))
        self._annotation.setVisible(series.tier_break <= len(series.counts))
        self._annotation.setPos(series.tier_break - 0.3, self._y_top * 0.97)
        self.step_note.setText(self.step_text())
        self.set_current(self._current or 1)

    def set_current(self, count: int) -> None:
        """Mark the current lesion count (counts past the chart sit on its last point)."""
        self._current = int(count)
        series = self._series
        if series is None:
            return
        x = min(max(self._current, 1), len(series.counts))
        y = float(series.allowed[series.setting][x - 1])
        self._marker.setData([x], [y])
        self._marker_line.setPos(x)
        self.readout.setText(self.describe(self._current) + "   (current count)")

    def series(self) -> dict[str, Any]:
        """The plotted data as numpy arrays (for tests and export)."""
        if self._series is None:
            return {}
        s = self._series
        return {"counts": s.counts, "nonfacility": s.allowed[Setting.NONFACILITY],
                "facility": s.allowed[Setting.FACILITY], "patient": s.patient, "setting": s.setting,
                "tier_break": s.tier_break}

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``getData()`` of one curve: ``nonfacility``, ``facility`` or ``patient``."""
        curve = self._patient if name == "patient" else self._curves[Setting(name)]
        x, y = curve.getData()
        return np.asarray(x), np.asarray(y)

    def marker(self) -> tuple[float, float] | None:
        """Where the current-count marker sits, in data coordinates."""
        x, y = self._marker.getData()
        return (float(x[0]), float(y[0])) if len(x) else None

    def annotation_text(self) -> str:
        return str(self._annotation.textItem.toPlainText()) if self._annotation.isVisible() else ""

    def describe(self, count: int) -> str:
        """One line for ``count`` lesions: both settings and the patient's share."""
        s = self._series
        if s is None:
            return ""
        i = min(max(count, 1), len(s.counts)) - 1
        patient = f" · patient {_money(float(s.patient[i]))} ({_SETTING_NAMES[s.setting]})"
        return (f"{count} lesion{'s' if count != 1 else ''}: non-facility "
                f"{_money(float(s.allowed[Setting.NONFACILITY][i]))} · facility "
                f"{_money(float(s.allowed[Setting.FACILITY][i]))}{patient}")

    def step_text(self) -> str:
        """Why the price jumps at 15 and stays flat after: '15 or more lesions bill 17004 once: $162.33 ...'."""
        s = self._series
        if s is None or s.tier_break > len(s.counts):
            return ""
        amount = float(s.allowed[s.setting][s.tier_break - 1])
        before = float(s.allowed[s.setting][s.tier_break - 2]) if s.tier_break >= 2 else 0.0
        return (f"{s.tier_break} or more lesions bill 17004 once: {_money(amount)} whatever the count "
                f"({s.tier_break - 1} lesions bill 17000 + 17003 x{s.tier_break - 2}: {_money(before)}); "
                f"{_SETTING_NAMES[s.setting]}, {s.payer}.")

    def text_alternative(self) -> str:
        """The chart as text: one line per count up to the 17004 step, then the step itself."""
        s = self._series
        if s is None:
            return "No chart: the visit cannot be priced as entered."
        last = min(s.tier_break, len(s.counts))
        lines = [self.describe(n) for n in range(1, last + 1)]
        if s.tier_break <= len(s.counts):
            lines.append(self.step_text())
        return "\n".join(lines)

    def hover_at(self, x: float) -> int:
        """Show the readout for the count at data x (what a mouse move does); returns that count."""
        s = self._series
        count = round(x)
        if s is None or not 1 <= count <= len(s.counts):
            self._hover_line.hide()
            self.set_current(self._current)
            self.hovered.emit(0)
            return 0
        self._hover_line.setPos(count)
        self._hover_line.show()
        self.readout.setText(self.describe(count))
        self.hovered.emit(count)
        return count

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        item = self.plot_widget.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            self.hover_at(0)
            return
        self.hover_at(item.vb.mapSceneToView(pos).x())

    def export_png(self, path: Path) -> bool:
        """Save the chart (with its readout) as PNG."""
        return bool(self.grab().save(str(path), "PNG"))
