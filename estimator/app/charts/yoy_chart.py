"""Year-over-year change per code, split into conversion-factor, RVU and GPCI effects (grouped bars).

Three bars per code (CF, RVU, GPCI effect, in that chained order) and a diamond at the total change, which
the three add up to exactly (to the cent; see ``estimator.core.contracts.YoyDecomposition``).  The three
effects differ in fill pattern as well as colour, and the legend sits below the axis, clear of the bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from estimator.app.charts import style
from estimator.app.views.elided_label import WrappingLabel

BAR_WIDTH = 0.25
EFFECT_NAMES = ("Conversion factor", "RVUs", "GPCIs")
EFFECT_ROLES: tuple[style.Role, ...] = ("nonfacility", "facility", "patient")


@dataclass(frozen=True, slots=True)
class YoySeries:
    """Per code: the three effects and the total change, in dollars per unit."""

    codes: tuple[str, ...]
    cf: tuple[float, ...]
    rvu: tuple[float, ...]
    gpci: tuple[float, ...]
    total: tuple[float, ...]
    title: str = "Change per unit"

    def __post_init__(self) -> None:
        n = len(self.codes)
        if any(len(v) != n for v in (self.cf, self.rvu, self.gpci, self.total)):
            raise ValueError("every series needs one value per code")


class YoyChart(QWidget):
    """Grouped bars of the CF / RVU / GPCI effects per code (feed it with ``set_series``)."""

    def __init__(self, parent: QWidget | None = None, *, antialias: bool = True) -> None:
        super().__init__(parent)
        self._series: YoySeries | None = None
        self.readout = WrappingLabel("", self)  # never squeezed below its lines
        self.readout.setObjectName("chartReadout")
        self.plot_widget = style.plot_widget(antialias)
        item = self.plot_widget.getPlotItem()
        item.setLabel("left", "Change per unit ($)")
        # Below the axis: inside the plot the legend covered the 17000 conversion-factor bar.
        style.legend_below(self.plot_widget)
        self.bars = [pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, name=name) for name in EFFECT_NAMES]
        for bar in self.bars:
            item.addItem(bar)
        self.totals = pg.ScatterPlotItem(symbol="d", size=11, pen=None, name="Total change")
        item.addItem(self.totals)
        self._zero = pg.InfiniteLine(pos=0, angle=0)
        item.addItem(self._zero, ignoreBounds=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot_widget, 1)
        style.make_accessible(self.plot_widget, "Fee change per unit by effect", self.text_alternative)
        self.restyle()
        style.follow_palette(self, self.restyle)

    def restyle(self) -> None:
        """Colour the bars (each effect its own colour and pattern) from the palette in force."""
        chart = style.restyle_plot(self.plot_widget)
        for bar, role in zip(self.bars, EFFECT_ROLES, strict=True):
            bar.setOpts(brush=chart.brush(role), pen=chart.bar_pen(role))
        self.totals.setBrush(pg.mkBrush(chart.text))
        self._zero.setPen(pg.mkPen(chart.text, width=1))

    def text_alternative(self) -> str:
        """The decomposition as text: one line per code."""
        s = self._series
        if s is None or not s.codes:
            return "No data."
        return "\n".join(f"{c}: total {t:+.2f} = CF {a:+.2f} + RVU {b:+.2f} + GPCI {g:+.2f} dollars per unit"
                         for c, a, b, g, t in zip(s.codes, s.cf, s.rvu, s.gpci, s.total, strict=True))

    @property
    def series(self) -> YoySeries | None:
        return self._series

    def set_series(self, series: YoySeries | None) -> None:
        """Show a decomposition (``None`` clears the chart)."""
        self._series = series
        item = self.plot_widget.getPlotItem()
        if series is None or not series.codes:
            for bar in self.bars:
                bar.setOpts(x=[], height=[])
            self.totals.setData([], [])
            self.readout.setText("")
            return
        x = np.arange(len(series.codes), dtype=np.float64)
        for offset, bar, values in zip((-BAR_WIDTH, 0.0, BAR_WIDTH), self.bars, (series.cf, series.rvu, series.gpci),
                                       strict=True):
            bar.setOpts(x=x + offset, height=np.asarray(values, dtype=np.float64), width=BAR_WIDTH)
        self.totals.setData(x, np.asarray(series.total, dtype=np.float64))
        style.set_title(self.plot_widget, series.title, 11)
        item.getAxis("bottom").setTicks([[(float(i), code) for i, code in enumerate(series.codes)]])
        every = np.concatenate([np.asarray(v, dtype=np.float64)
                                for v in (series.cf, series.rvu, series.gpci, series.total)])
        low, high = min(float(every.min()), 0.0), max(float(every.max()), 0.0)
        pad = max((high - low) * 0.1, 0.5)
        item.setYRange(low - pad, high + pad, padding=0)
        item.setXRange(-0.6, len(series.codes) - 0.4, padding=0)
        self.readout.setText("; ".join(f"{c}: {t:+.2f} = CF {a:+.2f} + RVU {b:+.2f} + GPCI {g:+.2f}"
                                       for c, a, b, g, t in zip(series.codes, series.cf, series.rvu, series.gpci,
                                                                series.total, strict=True)))

    def export_png(self, path: Path) -> bool:
        """Save the chart as PNG."""
        return bool(self.grab().save(str(path), "PNG"))
