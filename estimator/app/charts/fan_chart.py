"""Fan chart of a revenue forecast: the P10-P90 band, the P50 line and the exact expected line by month.

The band is a pyqtgraph ``FillBetweenItem`` between two invisible curves (P10 and P90); the median is a
solid line and the exact expected value a dashed one, so a reader sees at once that the simulation
centres on the exact value and how wide the plausible range is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from estimator.app.charts import style

BAND_ALPHA = 70


@dataclass(frozen=True, slots=True)
class FanSeries:
    """One quantity (allowed or collected) per month, in dollars (floats: a chart, not a bill)."""

    labels: tuple[str, ...]
    p10: tuple[float, ...]
    p50: tuple[float, ...]
    p90: tuple[float, ...]
    expected: tuple[float, ...]
    title: str = "Monthly revenue"

    def __post_init__(self) -> None:
        n = len(self.labels)
        if any(len(v) != n for v in (self.p10, self.p50, self.p90, self.expected)):
            raise ValueError("every series needs one value per month")


class FanChart(QWidget):
    """The forecast's fan chart (wraps one ``PlotWidget``; feed it with ``set_series``)."""

    def __init__(self, parent: QWidget | None = None, *, antialias: bool = True) -> None:
        super().__init__(parent)
        self._series: FanSeries | None = None
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.plot_widget = style.plot_widget(antialias)
        item = self.plot_widget.getPlotItem()
        item.setLabel("left", "Revenue ($)")
        legend = style.legend_below(self.plot_widget)  # under the axis: it covers no month
        self.p10_curve = pg.PlotDataItem()
        self.p90_curve = pg.PlotDataItem()
        self.band = pg.FillBetweenItem(self.p10_curve, self.p90_curve)
        # The median solid with dots, the exact value dashed: apart by line style and symbol, not colour only.
        self.p50_curve = pg.PlotDataItem(name="P50 (median)", symbol="o", symbolSize=5)
        self.expected_curve = pg.PlotDataItem(name="Expected (exact)")
        for curve in (self.p10_curve, self.p90_curve):
            item.addItem(curve)
        item.addItem(self.band)
        item.addItem(self.p50_curve)
        item.addItem(self.expected_curve)
        self._band_sample = pg.BarGraphItem(x=[0], height=[0], width=0)
        legend.addItem(self._band_sample, "P10 - P90 band")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot_widget, 1)
        style.make_accessible(self.plot_widget, "Monthly revenue forecast", self.text_alternative)
        self.restyle()
        style.follow_palette(self, self.restyle)
        self.set_series(None)

    def restyle(self) -> None:
        """Colour the band and lines from the palette in force."""
        chart = style.restyle_plot(self.plot_widget)
        band = chart.mark("nonfacility")
        band.setAlpha(BAND_ALPHA)
        for edge in (self.p10_curve, self.p90_curve):
            edge.setPen(pg.mkPen(band, width=1))
        self.band.setBrush(pg.mkBrush(band))
        self._band_sample.setOpts(brush=pg.mkBrush(band))
        self.p50_curve.setPen(chart.pen("nonfacility", 2.5))
        self.p50_curve.setSymbolBrush(pg.mkBrush(chart.mark("nonfacility")))
        self.p50_curve.setSymbolPen(pg.mkPen(chart.mark("nonfacility")))
        self.expected_curve.setPen(chart.pen("highlight", 2, Qt.PenStyle.DashLine))

    def text_alternative(self) -> str:
        """The forecast as text: per month the expected value and the 10th-90th percentile band."""
        s = self.series
        if s is None:
            return "No forecast."
        return "\n".join([f"{s.title}:", *(f"{m}: expected ${e:,.0f}, 10th-90th percentile ${lo:,.0f}-${hi:,.0f}"
                                          for m, e, lo, hi in zip(s.labels, s.expected, s.p10, s.p90, strict=True))])

    @property
    def series(self) -> FanSeries | None:
        return self._series

    def set_series(self, series: FanSeries | None) -> None:
        """Show a forecast (``None`` clears the chart)."""
        self._series = series
        item = self.plot_widget.getPlotItem()
        empty = series is None or not series.labels
        for name in ("left", "bottom"):
            item.getAxis(name).setStyle(showValues=not empty)
        if series is None or not series.labels:
            for curve in (self.p10_curve, self.p90_curve, self.p50_curve, self.expected_curve):
                curve.setData([], [])
            style.set_title(self.plot_widget, "Run a forecast to see monthly revenue", 11)
            item.setXRange(-0.3, 11.3, padding=0)
            item.setYRange(0, 1, padding=0)
            self.readout.setText("")
            return
        x = np.arange(len(series.labels), dtype=np.float64)

        def y(values: Sequence[float]) -> npt.NDArray[np.float64]:
            return np.asarray(values, dtype=np.float64)

        self.p10_curve.setData(x, y(series.p10))
        self.p90_curve.setData(x, y(series.p90))
        self.p50_curve.setData(x, y(series.p50))
        self.expected_curve.setData(x, y(series.expected))
        style.set_title(self.plot_widget, series.title, 11)
        item.getAxis("bottom").setTicks([[(float(i), label) for i, label in enumerate(series.labels)]])
        top = max(max(series.p90, default=0.0), max(series.expected, default=0.0), 1.0)
        item.setXRange(-0.3, len(series.labels) - 0.7, padding=0)
        item.setYRange(0, top * 1.08, padding=0)
        self.readout.setText(f"{series.title}: shaded band = 10th to 90th percentile of simulated months; "
                             "solid = median; dashed = exact expected value")

    def export_png(self, path: Path) -> bool:
        """Save the chart as PNG."""
        return bool(self.grab().save(str(path), "PNG"))
