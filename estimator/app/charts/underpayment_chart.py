"""Underpaid dollars by month, one bar per payer side by side within each month (pyqtgraph bars)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from estimator.app.charts import style
from estimator.core.audit import AuditResult
from estimator.core.money import format_money

GROUP_WIDTH: Final = 0.8


class UnderpaymentChart(QWidget):
    """Underpayments by payer and month (no signals); ``set_series(result)`` draws an audit's totals."""

    def __init__(self, parent: QWidget | None = None, antialias: bool = True) -> None:
        super().__init__(parent)
        self._months: list[str] = []
        self._payers: list[str] = []
        self._values = np.zeros((0, 0))
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.plot_widget = style.plot_widget(antialias)
        item = self.plot_widget.getPlotItem()
        style.set_title(self.plot_widget, "Underpaid by payer and month", 10)
        item.setLabel("left", "Underpaid ($)")
        self._legend = style.legend_below(self.plot_widget)
        self._bars: list[pg.BarGraphItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        style.make_accessible(self.plot_widget, "Underpaid by payer and month", self.text_alternative)
        self.set_totals({})
        style.follow_palette(self, self.restyle)

    def restyle(self) -> None:
        """Colour each payer's bars (its own colour and fill pattern) from the palette in force."""
        chart = style.restyle_plot(self.plot_widget)
        for k, bars in enumerate(self._bars):
            role = style.SERIES_ROLES[k % len(style.SERIES_ROLES)]
            bars.setOpts(brush=chart.brush(role), pen=chart.bar_pen(role))

    def set_series(self, result: AuditResult | None) -> None:
        """Show the underpaid cents of ``result`` by (payer, month); ``None`` clears the chart."""
        self.set_totals({} if result is None else result.by_payer_month)

    def set_totals(self, totals: Mapping[tuple[str, str], int]) -> None:
        """Show underpaid cents by (payer, "YYYY-MM")."""
        item = self.plot_widget.getPlotItem()
        for bars in self._bars:
            item.removeItem(bars)
        self._bars = []
        self._legend.clear()
        self._months = sorted({m for _, m in totals})
        self._payers = sorted({p for p, _ in totals})
        values = np.zeros((len(self._payers), len(self._months)), dtype=np.float64)  # dollars, for drawing only
        for (payer, month), cents in totals.items():
            values[self._payers.index(payer), self._months.index(month)] = cents / 100
        self._values = values
        width = GROUP_WIDTH / max(len(self._payers), 1)
        x = np.arange(len(self._months), dtype=np.float64)
        for k, payer in enumerate(self._payers):
            bars = pg.BarGraphItem(x=x - GROUP_WIDTH / 2 + width * (k + 0.5), height=values[k], width=width,
                                   name=payer)
            item.addItem(bars)
            self._bars.append(bars)
        self.restyle()
        style.fit_legend(self.plot_widget)
        item.getAxis("bottom").setTicks([[(float(i), m) for i, m in enumerate(self._months)]])
        item.setXRange(-0.6, max(len(self._months), 1) - 0.4, padding=0)
        item.setYRange(0, max(float(values.max()) if values.size else 0.0, 1.0) * 1.15, padding=0)
        total = sum(totals.values())
        self.caption.setText(f"Underpaid in total: ${format_money(total)} over {len(self._months)} month(s), "
                             f"{len(self._payers)} payer(s)" if totals else "No underpaid lines.")

    def text_alternative(self) -> str:
        """The underpayments as text: one line per payer and month with an amount."""
        lines = [self.caption.text()]
        for k, payer in enumerate(self._payers):
            lines += [f"{payer}, {month}: ${self._values[k, i]:,.2f}" for i, month in enumerate(self._months)
                      if self._values[k, i]]
        return "\n".join(lines)

    def series(self) -> dict[str, Any]:
        """What is drawn (for tests and export): months, payers and dollars per payer by month."""
        return {"months": list(self._months), "payers": list(self._payers),
                "values": {p: self._values[k].tolist() for k, p in enumerate(self._payers)}}

    def export_png(self, path: Path) -> bool:
        return bool(self.grab().save(str(path), "PNG"))
