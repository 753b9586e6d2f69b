"""A labelled bar chart (pyqtgraph ``BarGraphItem``) with per-bar colours, value labels and a hover readout.

Used by the compare page for payers (horizontal bars, names on the axis), localities (109 sorted bars,
the practice's highlighted) and years.  Each bar is given a role (``style.Role``): its colour follows the
palette and its fill pattern differs from the other roles', so a highlighted bar stands out without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from estimator.app.charts import style
from estimator.app.views.elided_label import ElidedLabel

MAX_VALUE_LABELS = 24  # more bars than this get no text on them (hover instead)
MAX_TICK_LABELS = 30


class BarChart(QWidget):
    """Bars with a readout line above them.

    Signals:
        hovered(int): index of the bar under the mouse pointer, -1 when none.
    """

    hovered = Signal(int)

    def __init__(self, title: str, value_axis: str, *, horizontal: bool = False, parent: QWidget | None = None,
                 antialias: bool = True) -> None:
        super().__init__(parent)
        self.horizontal = horizontal
        self._labels: list[str] = []
        self._values = np.zeros(0)
        self._roles: list[style.Role] = []
        self._texts: list[pg.TextItem] = []
        self._details: list[str] = []
        self._default_readout = ""
        self.readout = ElidedLabel("", self)  # hover must not resize the chart; a long detail is elided
        self.plot_widget = style.plot_widget(antialias)
        item = self.plot_widget.getPlotItem()
        style.set_title(self.plot_widget, title, 10)
        item.setLabel("bottom" if horizontal else "left", value_axis)
        item.showGrid(x=horizontal, y=not horizontal, alpha=style.GRID_ALPHA)
        self._bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        item.addItem(self._bars)
        self._reference = pg.InfiniteLine(angle=90 if horizontal else 0, movable=False)
        self._reference_text = pg.TextItem("", anchor=(0, 1) if horizontal else (1, 1))
        self._reference_text.setFont(style.label_font(8))
        for extra in (self._reference, self._reference_text):
            extra.hide()
            item.addItem(extra, ignoreBounds=True)
        self._proxy = pg.SignalProxy(item.scene().sigMouseMoved, rateLimit=60, slot=self._mouse_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot_widget, 1)
        style.make_accessible(self.plot_widget, title, self.text_alternative)
        self.restyle()
        style.follow_palette(self, self.restyle)

    def restyle(self) -> None:
        """Colour the bars, labels and reference line from the palette in force."""
        chart = style.restyle_plot(self.plot_widget)
        self._reference.setPen(pg.mkPen(chart.text, width=1, style=Qt.PenStyle.DashLine))
        self._reference_text.setColor(chart.text)
        for text in self._texts:
            text.setColor(chart.text)
        if self._roles:
            self._bars.setOpts(brushes=[chart.brush(r) for r in self._roles],
                               pens=[chart.bar_pen(r) for r in self._roles])

    def set_series(self, labels: Sequence[str], values: Sequence[float], *, roles: Sequence[style.Role] | None = None,
                   value_labels: Sequence[str] | None = None, details: Sequence[str] | None = None,
                   reference: tuple[float, str] | None = None, readout: str = "") -> None:
        """Show one bar per label.

        Args:
            labels: bar names (axis ticks when there are few).
            values: bar lengths (dollars; floats are fine for a chart).
            roles: one ``style.Role`` per bar, which gives its colour and fill pattern (default: all "muted").
            value_labels: text drawn at each bar's end (skipped past ``MAX_VALUE_LABELS`` bars).
            details: the hover text of each bar (default: label and value).
            reference: a dashed line at a value, with its caption (e.g. the Medicare amount).
            readout: the line above the chart when nothing is hovered.
        """
        self._labels = list(labels)
        self._values = np.asarray(values, dtype=np.float64)
        n = len(self._labels)
        self._roles = list(roles) if roles is not None else ["muted"] * n
        chart = style.colors()
        brushes = [chart.brush(r) for r in self._roles]
        pens = [chart.bar_pen(r) for r in self._roles]
        self._details = list(details) if details is not None else \
            [f"{label}: ${value:,.2f}" for label, value in zip(self._labels, self._values, strict=True)]
        item = self.plot_widget.getPlotItem()
        positions = np.arange(n, dtype=np.float64)
        if self.horizontal:
            positions = positions[::-1].copy()  # first label on top
            self._bars.setOpts(x0=np.zeros(n), y=positions, height=0.65, width=self._values, brushes=brushes,
                               pens=pens)
        else:
            self._bars.setOpts(x=positions, height=self._values, width=0.8 if n < 40 else 0.9, y0=0,
                               brushes=brushes, pens=pens)
        category_axis = item.getAxis("left" if self.horizontal else "bottom")
        if n <= MAX_TICK_LABELS:
            category_axis.setTicks([[(float(p), label) for p, label in zip(positions, self._labels, strict=True)]])
        else:
            category_axis.setTicks([[]])
        for text in self._texts:
            item.removeItem(text)
        self._texts = []
        if value_labels is not None and n <= MAX_VALUE_LABELS:
            for p, value, text in zip(positions, self._values, value_labels, strict=True):
                label = pg.TextItem(text, color=chart.text, anchor=(0, 0.5) if self.horizontal else (0.5, 1))
                label.setFont(style.label_font(8))
                if self.horizontal:
                    label.setPos(float(value), float(p))
                else:
                    label.setPos(float(p), float(value))
                item.addItem(label, ignoreBounds=True)
                self._texts.append(label)
        top = float(max(self._values.max() if n else 0.0, reference[0] if reference else 0.0, 1.0))
        span = (-0.6, n - 0.4 + (0.5 if reference is not None and self.horizontal else 0)) if n else (-0.5, 0.5)
        if self.horizontal:
            item.setYRange(*span, padding=0)
            item.setXRange(0, top * (1.5 if value_labels is not None else 1.08), padding=0)
        else:
            item.setXRange(*span, padding=0)
            item.setYRange(0, top * (1.15 if value_labels is not None else 1.08), padding=0)
        if reference is not None:
            self._reference.setPos(reference[0])
            self._reference_text.setText(reference[1])
            if self.horizontal:
                self._reference_text.setPos(reference[0], n - 0.45)
            else:
                self._reference_text.setPos(n - 0.5, reference[0])
        self._reference.setVisible(reference is not None)
        self._reference_text.setVisible(reference is not None)
        self._default_readout = readout
        self.readout.setText(readout)

    def bars(self) -> dict[str, Any]:
        """What is drawn: labels, values (numpy), roles and brushes, for tests and export."""
        return {"labels": list(self._labels), "values": self._values.copy(), "roles": list(self._roles),
                "brushes": list(self._bars.opts.get("brushes") or [])}

    def text_alternative(self) -> str:
        """The bars as text: each bar's detail line (or label and value), in order."""
        if not len(self._labels):
            return "No data."
        details = list(getattr(self, "_details", []) or [])
        if len(details) == len(self._labels):
            return "\n".join(details)
        return "\n".join(f"{label}: {value:,.2f}" for label, value in zip(self._labels, self._values, strict=True))

    def hover_index(self, index: int) -> None:
        """Show bar ``index``'s detail in the readout (-1 restores the default line)."""
        if 0 <= index < len(self._labels):
            self.readout.setText(self._details[index])
        else:
            index = -1
            self.readout.setText(self._default_readout)
        self.hovered.emit(index)

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        item = self.plot_widget.getPlotItem()
        pos = event[0]
        if not item.sceneBoundingRect().contains(pos) or not self._labels:
            self.hover_index(-1)
            return
        point = item.vb.mapSceneToView(pos)
        n = len(self._labels)
        index = n - 1 - round(point.y()) if self.horizontal else round(point.x())
        self.hover_index(index)

    def export_png(self, path: Path) -> bool:
        return bool(self.grab().save(str(path), "PNG"))
