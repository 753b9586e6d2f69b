"""The payer scorecard as bars: per payer, what the contract allows, what came in, and what is underpaid."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from estimator.app.charts import style

#: (scorecard key, legend, role): each role has its own colour and fill pattern (``style.PATTERNS``).
SERIES: Final[tuple[tuple[str, str, style.Role], ...]] = (
    ("contract", "Contract", "facility"), ("received", "Paid + patient", "nonfacility"),
    ("underpaid", "Underpaid", "highlight"))
GROUP_WIDTH: Final = 0.8


class ScorecardChart(QWidget):
    """Contract, received and underpaid dollars per payer (no signals); ``set_series(card)`` draws a scorecard."""

    def __init__(self, parent: QWidget | None = None, antialias: bool = True) -> None:
        super().__init__(parent)
        self._payers: list[str] = []
        self._values: dict[str, list[float]] = {}
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.plot_widget = style.plot_widget(antialias)
        self.plot_widget.setAccessibleName("Payer scorecard chart")
        item = self.plot_widget.getPlotItem()
        style.set_title(self.plot_widget, "Contract against what came in, by payer", 10)
        item.setLabel("left", "Dollars")
        item.getAxis("bottom").setHeight(44)  # room for payer names on two lines
        self._legend = style.legend_below(self.plot_widget)
        self._bars: list[pg.BarGraphItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        self.set_series(None)
        style.follow_palette(self, self.restyle)

    def restyle(self) -> None:
        """Colour the three series (each its own colour and fill pattern) from the palette in force."""
        chart = style.restyle_plot(self.plot_widget)
        for bars, (_key, _legend, role) in zip(self._bars, SERIES, strict=True):
            bars.setOpts(brush=chart.brush(role), pen=chart.bar_pen(role))

    def set_series(self, card: Mapping[str, Any] | None) -> None:
        """Draw a scorecard (``estimator.core.scorecard.scorecard``); ``None`` clears the chart."""
        item = self.plot_widget.getPlotItem()
        for bars in self._bars:
            item.removeItem(bars)
        self._bars = []
        self._legend.clear()
        payers = list(card["payers"]) if card else []
        self._payers = [p["payer"] for p in payers]

        def dollars(text: str) -> float:  # for drawing only
            return float(Decimal(text))

        self._values = {
            "contract": [dollars(p["contract"]) for p in payers],
            "received": [dollars(p["paid"]) + dollars(p["patient_responsibility"]) for p in payers],
            "underpaid": [dollars(p["underpaid"]) for p in payers],
        }
        width = GROUP_WIDTH / len(SERIES)
        x = np.arange(len(payers), dtype=np.float64)
        for k, (key, legend, _role) in enumerate(SERIES):
            bars = pg.BarGraphItem(x=x - GROUP_WIDTH / 2 + width * (k + 0.5), height=self._values[key], width=width,
                                   name=legend)
            item.addItem(bars)
            self._bars.append(bars)
        self.restyle()
        style.fit_legend(self.plot_widget)
        # Long payer names ("Demo: Summit Health (130%)") break before their bracket so neighbours do not overlap.
        item.getAxis("bottom").setTicks([[(float(i), p.replace(" (", "\n(")) for i, p in enumerate(self._payers)]])
        item.setXRange(-0.6, max(len(payers), 1) - 0.4, padding=0)
        top = max([v for values in self._values.values() for v in values] + [1.0])
        item.setYRange(0, top * 1.2, padding=0)
        if card:
            pcts = "; ".join(f"{p['payer']} {p['effective_pct_of_medicare'] or '-'}% of Medicare" for p in payers)
            self.caption.setText(f"Effective rate: {pcts}.")
        else:
            self.caption.setText("No remittances imported.")

    def series(self) -> dict[str, Any]:
        """What is drawn (for tests): payers and dollars per series."""
        return {"payers": list(self._payers), **{k: list(v) for k, v in self._values.items()}}

    def export_png(self, path: Path) -> bool:
        return bool(self.grab().save(str(path), "PNG"))
